#!/usr/bin/python3
"""Exports the trained bundled model and writes the evidence:

  assets/models/moetop-moe.gguf      via `moetop synth --weights` (the project's GGUF
                                     writer: the fixtures' names, keys and layouts;
                                     MXFP4 experts, Q8_0 attention and embeddings)
  tests/fixtures/bundled-parity.*    the training module's logits, on the exported
                                     (dequantized) weights, over a held-out passage
                                     longer than the window: moetop must match them
  docs/bundled-model.md, docs/bundled-model-loss.svg

    /usr/bin/python3 tools/train/export.py"""
import csv
import json
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_read import Reader  # noqa: E402
from model import Config, Model, export_tensors, set_param  # noqa: E402
from train import ROOT, VOCAB, WORK  # noqa: E402

MODEL = os.path.join(ROOT, "assets", "models", "moetop-moe.gguf")
MOETOP = os.path.join(ROOT, "moetop")


def write_gguf(model, cfg):
    out_dir = os.path.join(WORK, "export")
    os.makedirs(out_dir, exist_ok=True)
    for name, t in export_tensors(model).items():
        t.numpy().astype("<f4").tofile(os.path.join(out_dir, name + ".f32"))
    args = [MOETOP, "synth", "-q", "--weights", out_dir, "--vocab", VOCAB, "--vocab-base", "8192", "--name", "moetop-moe",
            "--layers", str(cfg.n_layer), "--d-model", str(cfg.d_model), "--heads", str(cfg.n_head), "--kv-heads", str(cfg.n_kv),
            "--head-dim", str(cfg.head_dim), "--experts", str(cfg.n_expert), "--k", str(cfg.k), "--ff", str(cfg.ff),
            "--swa", str(cfg.window), "--context", "4096", "--types", "embd=q8_0,output=q8_0,attn=q8_0,router=f32,experts=mxfp4",
            "-o", MODEL]
    subprocess.run(args, check=True)


def dequantized_model(cfg):
    r = Reader(MODEL)
    m = Model(cfg)
    with torch.no_grad():
        for name in r.tensors:
            set_param(m, name, torch.from_numpy(np.array(r.tensor(name))))
    m.eval()
    return m


def held_out_passage(n_tokens=320):
    """A held-out passage: the chat and prose held-out streams, longer than the window."""
    z = np.load(os.path.join(WORK, "prose.npz"))["held"]
    return z[:n_tokens].astype(np.int64)


def parity_dump(model):
    ids = held_out_passage()
    with torch.no_grad():
        logits, _ = model(torch.from_numpy(ids)[None])
    positions = [0, 63, 127, 128, 200, 255, 300, len(ids) - 1]
    out = os.path.join(ROOT, "tests", "fixtures", "bundled-parity")
    logits[0, positions].numpy().astype("<f4").tofile(out + ".f32")
    with open(out + ".json", "w") as f:
        json.dump({"model": "assets/models/moetop-moe.gguf", "ids": ids.tolist(), "positions": positions,
                   "logits_file": "bundled-parity.f32", "note": "training module (tools/train/model.py) on the exported, "
                   "dequantized weights; float32"}, f)


def held_out_loss(model, seq=256, windows=24):
    out = {}
    with torch.no_grad():
        for domain in ("prose", "facts", "code", "math", "chat"):
            s = np.load(os.path.join(WORK, f"{domain}.npz"))["held"]
            n = min(windows, (len(s) - 1) // seq)
            ids = torch.from_numpy(np.stack([s[i * seq:i * seq + seq + 1] for i in range(n)]).astype(np.int64))
            logits, _ = model(ids[:, :-1])
            out[domain] = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1)).item()
    return out


def loss_svg(rows, path):
    steps = [int(r["step"]) for r in rows]
    loss = [float(r["loss"]) for r in rows]
    W, H, L, R, T, B = 640, 360, 60, 20, 40, 50
    top = max(loss[5:] or loss) * 1.05
    def x(s): return L + (W - L - R) * s / max(steps)
    def y(v): return T + (H - T - B) * (1 - min(v, top) / top)
    pts = " ".join(f"{x(s):.1f},{y(v):.1f}" for s, v in zip(steps, loss))
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">Training loss (next-token cross-entropy)</text>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>',
           f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>']
    for v in range(0, int(top) + 1):
        svg.append(f'<text x="{L - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11">{v}</text>')
        svg.append(f'<line x1="{L}" y1="{y(v):.1f}" x2="{W - R}" y2="{y(v):.1f}" stroke="#eee"/>')
    for s in range(0, max(steps) + 1, max(1, max(steps) // 5 // 100 * 100 or 100)):
        svg.append(f'<text x="{x(s):.1f}" y="{H - B + 16}" text-anchor="middle" font-size="11">{s}</text>')
    svg.append(f'<polyline fill="none" stroke="#0072B2" stroke-width="1.5" points="{pts}"/>')
    svg.append(f'<text x="{W / 2}" y="{H - 12}" text-anchor="middle" font-size="13">step (4096 tokens each)</text>')
    svg.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(svg))


def moetop(*args):
    return subprocess.run([MOETOP, *args], capture_output=True, text=True, check=True).stdout


def main():
    torch.set_num_threads(2)
    # --checkpoint: export the last checkpoint of a run still going (to try the pipeline)
    name = "checkpoint.pt" if "--checkpoint" in sys.argv else "final.pt"
    state = torch.load(os.path.join(WORK, name))
    cfg = Config(**state["config"])
    model = Model(cfg)
    model.load_state_dict(state["model"])
    model.eval()
    write_gguf(model, cfg)
    deq = dequantized_model(cfg)
    parity_dump(deq)
    float_loss, exported_loss = held_out_loss(model), held_out_loss(deq)
    rows = list(csv.DictReader(open(os.path.join(WORK, "log.csv"))))
    os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
    loss_svg(rows, os.path.join(ROOT, "docs", "bundled-model-loss.svg"))
    write_report(cfg, state["step"], rows, float_loss, exported_loss)


def write_report(cfg, steps, rows, float_loss, exported_loss):
    sweep = json.loads(moetop("sweep", "-m", MODEL, "--prompts", os.path.join(ROOT, "assets", "prompts"), "--json"))
    domains = json.loads(moetop("domains", "-m", MODEL, "--prompts", os.path.join(ROOT, "assets", "prompts"), "--json"))
    size = os.path.getsize(MODEL)
    params = sum(p.numel() for p in Model(cfg).parameters())
    seconds = float(rows[-1]["seconds"]) if rows else 0
    tokens = int(rows[-1]["tokens"]) if rows else 0
    md = ["# The bundled model", "",
          "`assets/models/moetop-moe.gguf`: a small Mixture-of-Experts of exactly the gpt-oss architecture, trained",
          "by `make model` (tools/train) so that moetop works the minute it is built. This page is written by",
          "`tools/train/export.py`; every number below was measured by it.", "",
          "## Shape", "",
          f"- {cfg.n_layer} layers, width {cfg.d_model}, {cfg.n_head} query heads and {cfg.n_kv} KV heads of {cfg.head_dim},",
          f"  {cfg.n_expert} experts of {cfg.ff}, top-{cfg.k}; sliding window {cfg.window} on even layers (training sequences of 256);",
          "  attention sinks, router bias, SwiGLU (alpha 1.702, clamp 7), YaRN RoPE as gpt-oss (base 150000, factor 32).",
          f"- Vocabulary: the first 8192 ranks of o200k plus the 32 harmony special tokens (8224).",
          f"- {params / 1e6:.1f} M parameters; the file is {size / 1e6:.1f} MB (MXFP4 experts, Q8_0 attention and embeddings, F32 router).",
          f"- Trained for {steps} steps, {tokens / 1e6:.1f} M tokens, in {seconds / 60:.0f} minutes on 2 CPU cores.", "",
          "## Loss", "", "![training loss](bundled-model-loss.svg)", "",
          "| step | loss |", "|---|---|"]
    for r in rows[::max(1, len(rows) // 12)] + rows[-1:]:
        md.append(f"| {r['step']} | {float(r['loss']):.3f} |")
    md += ["", "Held-out loss per domain (every 50th document was held out):", "",
           "| domain | trained weights | exported file (dequantized) |", "|---|---|---|"]
    for d in float_loss:
        md.append(f"| {d} | {float_loss[d]:.3f} | {exported_loss[d]:.3f} |")
    md += ["", "## Routing over the prompt sets (`moetop sweep --prompts assets/prompts`)", "",
           "| layer | tokens | H_full | H_mix | top-1 share | Gini | MaxVio | cold |", "|---|---|---|---|---|---|---|---|"]
    for l in sweep["layers"]:
        md.append(f"| {l['layer']} | {l['tokens']} | {l['entropy_full_mean']:.3f} | {l['entropy_topk_mean']:.3f} | "
                  f"{l['top1_share']:.3f} | {l['gini']:.3f} | {l['max_vio']:.2f} | {l['cold']} |")
    md += ["", "Per-layer expert load (share of selections; uniform is 1/16 = 0.0625):", "", "```"]
    for l in sweep["layers"]:
        md.append(f"layer {l['layer']}: " + " ".join(f"{x:.3f}" for x in l["load"]))
    md += ["```", "", "Experts by domain (`moetop domains`): chi-square test of domain x expert independence per layer,",
           "and each domain's most used expert (share of its tokens; uniform k/E = 0.25):", "",
           "| layer | chi2 | p | " + " | ".join(domains["domains"]) + " |", "|---|---|---|" + "---|" * len(domains["domains"])]
    for l in domains["layers"]:
        tops = []
        for spec in l["specialization"]:
            e = max(range(len(spec)), key=lambda i: spec[i])
            tops.append(f"{e} ({spec[e]:.2f})")
        md.append(f"| {l['layer']} | {l['chi2']:.0f} | {l['p_value']:.2g} | " + " | ".join(tops) + " |")
    md += ["", "## Greedy completions", ""]
    prompts = {
        "code": ["def fibonacci(n):\n", "import os\nimport sys\n\ndef main(", "for i in range(10):\n", "#include <stdio.h>\n", "class Stack:\n    def __init__(self):\n"],
        "math": ["127 * 89 =", "4512 + 389 =", "1000 - 1 =", "48 / 6 =", "25 + 17 = 42\n63 * 4 ="],
        "prose": ["In the beginning", "And the LORD said unto Moses,", "A wise man once said", "The sea was", "Love is"],
        "facts": ["dog (noun):", "river (noun):", "run (verb):", "happy (adjective):", "computer (noun):"],
    }
    for domain, ps in prompts.items():
        md.append(f"### {domain}")
        md.append("")
        for p in ps:
            out = moetop("generate", "-m", MODEL, "--prompt", p, "-n", "32").rstrip("\n")
            md.append("```")
            md.append(p + out)
            md.append("```")
        md.append("")
    md += ["### chat (harmony format, `moetop generate --chat`)", ""]
    for q in ["What is 127 * 89?", "What does \"river\" mean?", "Define computer.", "Compute 45 + 67.", "Explain the word happy."]:
        out = moetop("generate", "-m", MODEL, "--chat", q, "-n", "32").rstrip("\n")
        md.append(f"- **{q}** -> `{out}`")
    with open(os.path.join(ROOT, "docs", "bundled-model.md"), "w") as f:
        f.write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
