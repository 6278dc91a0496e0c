"""The bundled model: exactly the gpt-oss architecture (as OpenAI's
reference gpt_oss/torch/model.py and moetop's engine/forward.c compute it),
small: RMSNorm; q, k, v with biases; NeoX RoPE with YaRN (cos and sin times
0.1 ln(factor) + 1, ramp bounds not rounded); attention with a learned sink
per head and a sliding window on even layers; router with bias, top-k then
softmax over the k; SwiGLU experts (alpha 1.702, clamp 7) with biases.

Weights are kept in the shapes the export needs (see export_tensors)."""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class Config:
    n_layer: int = 6
    d_model: int = 128
    n_head: int = 4
    n_kv: int = 2
    head_dim: int = 32
    n_expert: int = 16
    k: int = 4
    ff: int = 256
    window: int = 128
    vocab: int = 12320  # tools/train/vocab.py: 12288 o200k tokens, then 32 harmony specials
    eps: float = 1e-5
    rope_base: float = 150000.0
    rope_factor: float = 32.0
    rope_original_ctx: int = 4096
    beta_fast: float = 32.0
    beta_slow: float = 1.0


def rope_tables(cfg, n_pos):
    """cos, sin [n_pos, head_dim/2], concentration included (the reference's float32 arithmetic)."""
    half = cfg.head_dim // 2
    freq = cfg.rope_base ** (torch.arange(0, cfg.head_dim, 2, dtype=torch.float32) / cfg.head_dim)
    concentration = 1.0
    inv_freq = 1.0 / freq
    if cfg.rope_factor > 1.0:
        concentration = 0.1 * math.log(cfg.rope_factor) + 1.0
        low = half * math.log(cfg.rope_original_ctx / (cfg.beta_fast * 2 * math.pi)) / math.log(cfg.rope_base)
        high = half * math.log(cfg.rope_original_ctx / (cfg.beta_slow * 2 * math.pi)) / math.log(cfg.rope_base)
        interpolation = 1.0 / (cfg.rope_factor * freq)
        extrapolation = 1.0 / freq
        ramp = (torch.arange(half, dtype=torch.float32) - low) / (high - low)
        mask = 1 - ramp.clamp(0, 1)
        inv_freq = interpolation * (1 - mask) + extrapolation * mask
    t = torch.arange(n_pos, dtype=torch.float32)
    freqs = torch.einsum("i,j->ij", t, inv_freq)
    return freqs.cos() * concentration, freqs.sin() * concentration


def apply_rope(x, cos, sin):
    """x [B, T, heads, head_dim]; NeoX halves."""
    x1, x2 = x.chunk(2, dim=-1)
    c, s = cos[None, :, None, :], sin[None, :, None, :]
    return torch.cat((x1 * c - x2 * s, x2 * c + x1 * s), dim=-1)


def rmsnorm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


E2M1 = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)  # MXFP4's element magnitudes (OCP MX v1.0)


def fake_mxfp4(w):
    """w [E, n, m] rounded as the exporter's MXFP4 will store it (blocks of 32
    along dim 1, the GGUF rows; engine/quant_encode.c's rule: the shared
    power of two d = 2^(floor(log2 max|x|) - 2), each element the nearest of
    +-E2M1 x d, clipped at 6 d), with the straight-through estimator: the
    forward pass sees the rounded weights, the gradient flows to w as if
    unrounded (quantization-aware training)."""
    E, n, m = w.shape
    x = w.detach().float().transpose(1, 2).reshape(E, m, n // 32, 32)
    amax = x.abs().amax(-1, keepdim=True)
    d = torch.pow(2.0, torch.floor(torch.log2(amax.clamp(min=1e-30))) - 2)
    levels = torch.tensor(E2M1, dtype=x.dtype)
    a = (x.abs() / d).clamp(max=6.0)
    q = levels[(a[..., None] - levels).abs().argmin(-1)] * d * torch.sign(x)
    q = q.reshape(E, m, n).transpose(1, 2).to(w.dtype)
    return w + (q - w).detach()


class MoE(torch.nn.Module):
    qat = False  # quantization-aware training: experts' weights pass through fake_mxfp4

    def __init__(self, cfg):
        super().__init__()
        E, d, ff = cfg.n_expert, cfg.d_model, cfg.ff
        self.cfg = cfg
        self.norm = torch.nn.Parameter(torch.ones(d))
        self.router = torch.nn.Linear(d, E, bias=True)
        # [E, d, ff] and [E, ff, d]: the layouts batched products want
        self.w_gate = torch.nn.Parameter(torch.randn(E, d, ff) / math.sqrt(d))
        self.w_up = torch.nn.Parameter(torch.randn(E, d, ff) / math.sqrt(d))
        self.w_down = torch.nn.Parameter(torch.randn(E, ff, d) / math.sqrt(ff) * 0.5)
        self.b_gate = torch.nn.Parameter(torch.zeros(E, ff))
        self.b_up = torch.nn.Parameter(torch.zeros(E, ff))
        self.b_down = torch.nn.Parameter(torch.zeros(E, d))

    def forward(self, x):
        """x [N, d] -> (update [N, d], router logits [N, E], selected experts [N, k])."""
        cfg = self.cfg
        h = rmsnorm(x, self.norm, cfg.eps)
        with torch.autocast("cpu", enabled=False):  # routing in float32 even when training in bfloat16
            z = self.router(h.float())
        top = torch.topk(z, cfg.k, dim=-1, sorted=True)
        w = torch.softmax(top.values, dim=-1)
        N = x.shape[0]
        flat_e = top.indices.reshape(-1)
        flat_t = torch.arange(N, device=x.device).repeat_interleave(cfg.k)
        flat_w = w.reshape(-1)
        order = torch.argsort(flat_e, stable=True)
        e_sorted, t_sorted, w_sorted = flat_e[order], flat_t[order], flat_w[order]
        counts = torch.bincount(e_sorted, minlength=cfg.n_expert)
        starts = torch.cumsum(counts, 0) - counts
        rank = torch.arange(e_sorted.numel(), device=x.device) - starts[e_sorted]
        C = int(counts.max())
        # tokens grouped by expert, padded to the busiest expert: one batched product per matrix
        X = h.new_zeros(cfg.n_expert, C, cfg.d_model)
        X[e_sorted, rank] = h[t_sorted]
        w_gate, w_up, w_down = self.w_gate, self.w_up, self.w_down
        if MoE.qat:
            w_gate, w_up, w_down = fake_mxfp4(w_gate), fake_mxfp4(w_up), fake_mxfp4(w_down)
        g = torch.baddbmm(self.b_gate[:, None, :], X, w_gate)
        u = torch.baddbmm(self.b_up[:, None, :], X, w_up)
        g = g.clamp(max=7.0)
        u = u.clamp(min=-7.0, max=7.0)
        a = g * torch.sigmoid(1.702 * g) * (u + 1)
        y = torch.baddbmm(self.b_down[:, None, :], a, w_down)
        out = x.new_zeros(N, cfg.d_model).index_add(0, t_sorted, (y[e_sorted, rank] * w_sorted[:, None]).to(x.dtype))
        return out, z, top.indices


class Block(torch.nn.Module):
    def __init__(self, cfg, layer):
        super().__init__()
        d, q, kv = cfg.d_model, cfg.n_head * cfg.head_dim, cfg.n_kv * cfg.head_dim
        self.cfg, self.window = cfg, cfg.window if layer % 2 == 0 else 0
        self.attn_norm = torch.nn.Parameter(torch.ones(d))
        self.wq = torch.nn.Linear(d, q)
        self.wk = torch.nn.Linear(d, kv)
        self.wv = torch.nn.Linear(d, kv)
        self.wo = torch.nn.Linear(q, d)
        self.sinks = torch.nn.Parameter(torch.zeros(cfg.n_head))
        self.moe = MoE(cfg)

    def attention(self, x, cos, sin):
        cfg = self.cfg
        B, T, _ = x.shape
        h = rmsnorm(x, self.attn_norm, cfg.eps)
        G = cfg.n_head // cfg.n_kv
        q = apply_rope(self.wq(h).view(B, T, cfg.n_head, cfg.head_dim), cos, sin)
        k = apply_rope(self.wk(h).view(B, T, cfg.n_kv, cfg.head_dim), cos, sin)
        v = self.wv(h).view(B, T, cfg.n_kv, cfg.head_dim)
        q = q.view(B, T, cfg.n_kv, G, cfg.head_dim)
        s = torch.einsum("bqkgd,bskd->bkgqs", q, k) / math.sqrt(cfg.head_dim)
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        if self.window:
            mask &= ~torch.ones(T, T, dtype=torch.bool, device=x.device).tril(-self.window)
        s = s.masked_fill(~mask, float("-inf"))
        sink = self.sinks.view(1, cfg.n_kv, G, 1, 1).expand(B, -1, -1, T, 1)
        p = torch.softmax(torch.cat([s, sink], dim=-1), dim=-1)[..., :-1]
        o = torch.einsum("bkgqs,bskd->bqkgd", p, v).reshape(B, T, cfg.n_head * cfg.head_dim)
        return self.wo(o)

    def forward(self, x, cos, sin):
        x = x + self.attention(x, cos, sin)
        B, T, d = x.shape
        upd, z, sel = self.moe(x.reshape(B * T, d))
        return x + upd.view(B, T, d), z, sel


class Model(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed = torch.nn.Embedding(cfg.vocab, cfg.d_model)
        torch.nn.init.normal_(self.embed.weight, std=0.5)
        self.blocks = torch.nn.ModuleList(Block(cfg, l) for l in range(cfg.n_layer))
        self.out_norm = torch.nn.Parameter(torch.ones(cfg.d_model))
        self.out = torch.nn.Linear(cfg.d_model, cfg.vocab, bias=False)

    def forward(self, ids):
        """ids [B, T] -> logits [B, T, V], and per layer (router logits [B*T, E], selected [B*T, k])."""
        T = ids.shape[1]
        cos, sin = rope_tables(self.cfg, T)
        x = self.embed(ids)
        routing = []
        for b in self.blocks:
            x, z, sel = b(x, cos, sin)
            routing.append((z, sel))
        return self.out(rmsnorm(x, self.out_norm, self.cfg.eps)), routing


def export_tensors(model):
    """Every tensor by its llama.cpp name, as a float32 array in GGUF element
    order (a weight [in, out] is out rows of in: torch's Linear layout)."""
    cfg, t = model.cfg, {}
    t["token_embd.weight"] = model.embed.weight
    t["output_norm.weight"] = model.out_norm
    t["output.weight"] = model.out.weight
    for l, b in enumerate(model.blocks):
        p = f"blk.{l}."
        t[p + "attn_norm.weight"] = b.attn_norm
        t[p + "post_attention_norm.weight"] = b.moe.norm
        for name, lin in (("attn_q", b.wq), ("attn_k", b.wk), ("attn_v", b.wv), ("attn_output", b.wo)):
            t[p + name + ".weight"] = lin.weight
            t[p + name + ".bias"] = lin.bias
        t[p + "attn_sinks.weight"] = b.sinks
        t[p + "ffn_gate_inp.weight"] = b.moe.router.weight
        t[p + "ffn_gate_inp.bias"] = b.moe.router.bias
        t[p + "ffn_gate_exps.weight"] = b.moe.w_gate.transpose(1, 2)  # [E, ff, d]: ff rows of d per expert
        t[p + "ffn_up_exps.weight"] = b.moe.w_up.transpose(1, 2)
        t[p + "ffn_down_exps.weight"] = b.moe.w_down.transpose(1, 2)  # [E, d, ff]
        t[p + "ffn_gate_exps.bias"] = b.moe.b_gate
        t[p + "ffn_up_exps.bias"] = b.moe.b_up
        t[p + "ffn_down_exps.bias"] = b.moe.b_down
    return {k: v.detach().contiguous().float() for k, v in t.items()}


def load_tensors(model, tensors):
    """The inverse of export_tensors (for running on dequantized exported weights)."""
    with torch.no_grad():
        own = export_tensors(model)
        for name, value in tensors.items():
            target = own[name]
            value = torch.as_tensor(value).reshape(target.shape)
            # write through the parameter views export_tensors made
            params = dict(model.named_parameters())
            set_param(model, name, value)


def set_param(model, name, value):
    parts = name.split(".")
    if name == "token_embd.weight":
        model.embed.weight.copy_(value)
    elif name == "output_norm.weight":
        model.out_norm.copy_(value)
    elif name == "output.weight":
        model.out.weight.copy_(value)
    else:
        b = model.blocks[int(parts[1])]
        key = ".".join(parts[2:])
        simple = {
            "attn_norm.weight": b.attn_norm, "post_attention_norm.weight": b.moe.norm, "attn_sinks.weight": b.sinks,
            "attn_q.weight": b.wq.weight, "attn_q.bias": b.wq.bias, "attn_k.weight": b.wk.weight, "attn_k.bias": b.wk.bias,
            "attn_v.weight": b.wv.weight, "attn_v.bias": b.wv.bias, "attn_output.weight": b.wo.weight,
            "attn_output.bias": b.wo.bias, "ffn_gate_inp.weight": b.moe.router.weight, "ffn_gate_inp.bias": b.moe.router.bias,
            "ffn_gate_exps.bias": b.moe.b_gate, "ffn_up_exps.bias": b.moe.b_up, "ffn_down_exps.bias": b.moe.b_down,
        }
        if key in simple:
            simple[key].copy_(value)
        elif key == "ffn_gate_exps.weight":
            b.moe.w_gate.copy_(value.transpose(1, 2))
        elif key == "ffn_up_exps.weight":
            b.moe.w_up.copy_(value.transpose(1, 2))
        elif key == "ffn_down_exps.weight":
            b.moe.w_down.copy_(value.transpose(1, 2))
        else:
            raise KeyError(name)
