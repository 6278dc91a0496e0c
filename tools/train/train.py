#!/usr/bin/python3
"""Trains the bundled model (see model.py for the architecture, corpus.py for
the data, vocab.py for the vocabulary). Seeded, checkpointed every 100 steps
into build/train/ (--work), resumes from the last checkpoint; every
--eval-every steps it scores the module on the add-1 and add-2 problem sets
(eval_problems.py's rule) into accuracy.csv; then `export.py` writes
assets/models/ and the evidence in docs/.

    /usr/bin/python3 tools/train/train.py [--steps N] [--threads 2] [--work DIR] [--weights math=0.3,...]

Needs Debian's python3-torch, python3-numpy and libopenblas0-pthread, and a
built ./moetop (it tokenizes the corpus with the model's own tokenizer)."""
import argparse
import csv
import hashlib
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402
from gguf_read import Reader  # noqa: E402
from model import Config, Model, MoE  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORK = os.path.join(ROOT, "build", "train")
VOCAB_BASE = 12288     # o200k tokens in the bundled vocabulary (tools/train/vocab.py), then 32 specials
VOCAB = os.path.join(ROOT, "assets", "vocab", f"o200k-harmony-moetop-{VOCAB_BASE}.gguf")
EOT_ID = VOCAB_BASE + 1  # <|endoftext|>: the second special
STEPS = 3000
DECAY_SHARE = 0.2
KEEP_EVERY = 500   # checkpoint-<step>.pt kept every this many steps (to lengthen a run from before its decay)
DOMAIN_WEIGHTS = {"prose": 0.18, "facts": 0.16, "code": 0.18, "math": 0.3, "chat": 0.18}
TOKENS = os.path.join(ROOT, "build", "train", "tokens")  # tokenized corpus, by content


def tokenize_domains(docs_by_domain):
    """Token ids per domain, train and held-out, via `moetop tokenize` (the
    model's own tokenizer): documents joined by <|endoftext|>. Cached under
    build/train/tokens/ by a hash of the documents and the vocabulary."""
    out = {}
    os.makedirs(TOKENS, exist_ok=True)
    with open(VOCAB, "rb") as f:
        vocab_hash = hashlib.sha1(f.read()).hexdigest()
    for domain, docs in docs_by_domain.items():
        h = hashlib.sha1(vocab_hash.encode())
        for d in docs:
            h.update(d.encode("utf-8", "replace"))
            h.update(b"\0")
        cache = os.path.join(TOKENS, f"{domain}-{h.hexdigest()[:16]}.npz")
        if os.path.exists(cache):
            z = np.load(cache)
            out[domain] = (z["train"], z["held"])
            continue
        parts = {"train": [], "held": []}
        for i, d in enumerate(docs):
            parts["held" if corpus.held_out(i) else "train"].append(d)
        ids = {}
        for split, items in parts.items():
            path = os.path.join(TOKENS, f"{domain}.{split}.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write(corpus.EOT.join(items) + corpus.EOT)
            r = subprocess.run([os.path.join(ROOT, "moetop"), "tokenize", "-m", VOCAB, "--special", "-f", path],
                               capture_output=True, text=True, check=True)
            ids[split] = np.array([int(x) for x in r.stdout.split()], dtype=np.int32)
        np.savez(cache + ".tmp.npz", train=ids["train"], held=ids["held"])
        os.replace(cache + ".tmp.npz", cache)
        out[domain] = (ids["train"], ids["held"])
        print(f"{domain}: {len(ids['train'])} train tokens, {len(ids['held'])} held out", flush=True)
    return out


def load_tokens():
    """{domain: (train ids, held-out ids)} of the corpus as corpus.py builds it now."""
    return tokenize_domains(corpus.build())


NUMBER_PERIODS = (10, 100, 1000, 5, 50, 500, 20, 200)


def init_numbers(model):
    """Number tokens "0".."999" start with Fourier features of their value in
    the first 2 x len(NUMBER_PERIODS) dimensions of their embedding and output
    rows (cos and sin of 2 pi n / period), so that sums are easier to learn
    (the clock-like features trained models come to use for addition); the
    other dimensions keep their random start."""
    tokens = Reader(VOCAB).meta["tokenizer.ggml.tokens"]
    ids = {t: i for i, t in enumerate(tokens)}
    d, w = model.cfg.d_model, 2 * len(NUMBER_PERIODS)
    with torch.no_grad():
        out_std = model.out.weight.std().item()
        for n in range(1000):
            f = torch.tensor([g(2 * math.pi * n / p) for p in NUMBER_PERIODS for g in (math.cos, math.sin)])
            model.embed.weight[ids[str(n)], :w] = f * 0.35 * math.sqrt(d / w)
            model.out.weight[ids[str(n)], :w] = f * out_std * math.sqrt(d / w)


def batch(streams, rng, B, T, domain_weights):
    """B windows of T+1 tokens, each from a domain drawn by domain_weights."""
    names = [n for n in domain_weights if domain_weights[n] > 0]
    weights = [domain_weights[n] for n in names]
    rows = []
    for _ in range(B):
        s = streams[rng.choices(names, weights)[0]]
        at = rng.randrange(0, len(s) - T - 1)
        rows.append(s[at:at + T + 1])
    return torch.from_numpy(np.stack(rows).astype(np.int64))


def balance_loss(routing, cfg):
    """Switch-style load balancing: E * sum_e f_e P_e per layer (1 when even)."""
    total = 0.0
    for z, sel in routing:
        p = torch.softmax(z, dim=-1).mean(0)
        f = torch.bincount(sel.reshape(-1), minlength=cfg.n_expert).float() / sel.numel()
        total = total + cfg.n_expert * (f * p).sum()
    return total / len(routing)


def evaluate(model, held, T, max_windows=24):
    """Mean next-token loss per domain over held-out windows."""
    model.eval()
    out = {}
    with torch.no_grad():
        for domain, s in held.items():
            n = min(max_windows, (len(s) - 1) // T)
            if n == 0:
                continue
            ids = torch.from_numpy(np.stack([s[i * T:i * T + T + 1] for i in range(n)]).astype(np.int64))
            logits, _ = model(ids[:, :-1])
            out[domain] = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1)).item()
    model.train()
    return out


def learning_rate(step, steps, peak, warmup):
    """Warm-up, stable, decay: linear warm-up over `warmup` steps, then the
    peak until the last DECAY_SHARE of the steps, then a cosine down to a
    tenth. Runs of different lengths share every step before their decay, so
    a run can be lengthened from a checkpoint kept before its decay began."""
    decay_from = int(steps * (1 - DECAY_SHARE))
    if step < warmup:
        return peak * (step + 1) / warmup
    if step < decay_from:
        return peak
    return peak * (0.1 + 0.45 * (1 + math.cos(math.pi * (step - decay_from) / max(1, steps - decay_from))))


def accuracy(model, sets=("add-1", "add-2")):
    """Problems right per set (greedy, eval_problems.py's rule) by the module as it is."""
    import eval_problems
    model.eval()
    vocab = eval_problems.Vocab(VOCAB)
    out = {}
    for s in sets:
        items = eval_problems.load(s)
        out[s] = eval_problems.score(items, eval_problems.torch_outputs(model, vocab, items))
    model.train()
    return out


def parse_weights(text):
    w = dict(DOMAIN_WEIGHTS)
    for item in filter(None, (text or "").split(",")):
        name, _, value = item.partition("=")
        if name not in w:
            raise SystemExit(f"train.py: --weights: unknown domain '{name}' ({', '.join(w)})")
        w[name] = float(value)
    return w


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=STEPS)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", default=WORK, help="checkpoints and logs (default build/train)")
    ap.add_argument("--weights", help="domain shares of batches, e.g. math=1,prose=0 (default: DOMAIN_WEIGHTS)")
    ap.add_argument("--keep-every", type=int, default=KEEP_EVERY,
                    help=f"keep checkpoint-<step>.pt every N steps (default {KEEP_EVERY})")
    ap.add_argument("--eval-every", type=int, default=100, help="score add-1 and add-2 every N steps (0: never)")
    ap.add_argument("--bf16", type=int, default=1, help="matrix products in bfloat16 (autocast; 0: float32)")
    ap.add_argument("--qat", type=int, default=0,
                    help="1: experts' weights pass through MXFP4 rounding in the forward pass (quantization-aware "
                         "fine-tuning, so the exported MXFP4 file keeps the trained accuracy)")
    ap.add_argument("--config", default="", help="model shape overrides, e.g. d_model=192,n_layer=8")
    args = ap.parse_args()
    work = args.work
    os.makedirs(work, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    domain_weights = parse_weights(args.weights)
    cfg = Config(**{k: int(v) for k, v in (kv.split("=") for kv in filter(None, args.config.split(",")))})
    print("building the corpus ...", flush=True)
    tokens = load_tokens()
    streams = {d: t for d, (t, _) in tokens.items()}
    held = {d: h for d, (_, h) in tokens.items()}
    ckpt = os.path.join(work, "checkpoint.pt")
    state = torch.load(ckpt) if os.path.exists(ckpt) else None
    if state:
        cfg = Config(**state["config"])  # a resumed run keeps its shape
    model = Model(cfg)
    MoE.qat = bool(args.qat)
    init_numbers(model)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embed" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    step = 0
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        print(f"resumed at step {step}", flush=True)
    # the log keeps the rows up to the checkpoint (a stopped run's later steps are redone)
    log_path = os.path.join(work, "log.csv")
    rows = list(csv.reader(open(log_path))) if step and os.path.exists(log_path) else []
    rows = rows[:1] + [r for r in rows[1:] if int(r[0]) <= step]
    log = open(log_path, "w", newline="")
    writer = csv.writer(log)
    writer.writerows(rows or [["step", "tokens", "loss", "balance", "lr", "tok_s", "seconds"]])
    seconds_before = float(rows[-1][6]) if len(rows) > 1 else 0.0
    warmup, t0, tokens_seen = 100, time.time() - seconds_before, step * args.batch * args.seq
    while step < args.steps:
        lr = learning_rate(step, args.steps, args.lr, warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        ts = time.time()
        ids = batch(streams, rng, args.batch, args.seq, domain_weights)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bool(args.bf16)):
            logits, routing = model(ids[:, :-1])
        loss = F.cross_entropy(logits.float().reshape(-1, cfg.vocab), ids[:, 1:].reshape(-1))
        bal = balance_loss(routing, cfg)
        opt.zero_grad(set_to_none=True)
        (loss + 0.02 * bal).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens_seen += args.batch * args.seq
        tok_s = args.batch * args.seq / (time.time() - ts)
        writer.writerow([step, tokens_seen, f"{loss.item():.4f}", f"{bal.item():.4f}", f"{lr:.6f}", f"{tok_s:.0f}",
                         f"{time.time() - t0:.1f}"])
        if step % 20 == 0:
            log.flush()
            print(f"step {step}/{args.steps} loss {loss.item():.3f} balance {bal.item():.3f} lr {lr:.2e} "
                  f"{tok_s:.0f} tok/s", flush=True)
        if args.eval_every and (step % args.eval_every == 0 or step == args.steps):
            acc = accuracy(model)
            new = not os.path.exists(os.path.join(work, "accuracy.csv"))
            with open(os.path.join(work, "accuracy.csv"), "a") as f:
                f.write(("step," + ",".join(acc) + "\n" if new else "") + f"{step}," + ",".join(map(str, acc.values())) + "\n")
            print(f"step {step}: problems right {acc}", flush=True)
        if step % 100 == 0 or step % args.keep_every == 0 or step == args.steps:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "rng": rng.getstate(),
                        "torch_rng": torch.get_rng_state(), "config": cfg.__dict__}, ckpt + ".tmp")
            os.replace(ckpt + ".tmp", ckpt)
            if step % args.keep_every == 0:
                shutil.copyfile(ckpt, os.path.join(work, f"checkpoint-{step}.pt"))
    held_loss = evaluate(model, held, args.seq)
    with open(os.path.join(work, "held_out.json"), "w") as f:
        json.dump(held_loss, f, indent=1)
    print("held-out loss per domain:", held_loss, flush=True)
    torch.save({"model": model.state_dict(), "config": cfg.__dict__, "step": step}, os.path.join(work, "final.pt"))


if __name__ == "__main__":
    main()
