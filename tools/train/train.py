#!/usr/bin/python3
"""Trains the bundled model (see model.py for the architecture, corpus.py for
the data). Seeded, checkpointed every 100 steps into build/train/, resumes
from the last checkpoint; then `export.py` writes assets/models/ and the
evidence in docs/.

    /usr/bin/python3 tools/train/train.py [--steps 1300] [--threads 2]

Needs Debian's python3-torch, python3-numpy and libopenblas0-pthread, and a
built ./moetop (it tokenizes the corpus with the model's own tokenizer)."""
import argparse
import csv
import json
import math
import os
import random
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402
from model import Config, Model  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORK = os.path.join(ROOT, "build", "train")
VOCAB = os.path.join(ROOT, "assets", "vocab", "o200k-harmony-8192.gguf")
EOT_ID = 8193          # <|endoftext|> in the bundled vocabulary (8192 ranks, then the specials)
DOMAIN_WEIGHTS = {"prose": 0.22, "facts": 0.2, "code": 0.2, "math": 0.18, "chat": 0.2}


def tokenize_domains(docs_by_domain):
    """Token ids per domain, train and held-out, via `moetop tokenize` (the
    model's own tokenizer): documents joined by <|endoftext|>."""
    out = {}
    os.makedirs(WORK, exist_ok=True)
    for domain, docs in docs_by_domain.items():
        cache = os.path.join(WORK, f"{domain}.npz")
        if os.path.exists(cache):
            z = np.load(cache)
            out[domain] = (z["train"], z["held"])
            continue
        parts = {"train": [], "held": []}
        for i, d in enumerate(docs):
            parts["held" if corpus.held_out(i) else "train"].append(d)
        ids = {}
        for split, items in parts.items():
            path = os.path.join(WORK, f"{domain}.{split}.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write(corpus.EOT.join(items) + corpus.EOT)
            r = subprocess.run([os.path.join(ROOT, "moetop"), "tokenize", "-m", VOCAB, "--special", "-f", path],
                               capture_output=True, text=True, check=True)
            ids[split] = np.array([int(x) for x in r.stdout.split()], dtype=np.int32)
        np.savez(cache, train=ids["train"], held=ids["held"])
        out[domain] = (ids["train"], ids["held"])
        print(f"{domain}: {len(ids['train'])} train tokens, {len(ids['held'])} held out", flush=True)
    return out


def batch(streams, rng, B, T):
    """B windows of T+1 tokens, each from a domain drawn by DOMAIN_WEIGHTS."""
    names = list(DOMAIN_WEIGHTS)
    weights = [DOMAIN_WEIGHTS[n] for n in names]
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=1300)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    cfg = Config()
    print("building the corpus ...", flush=True)
    tokens = tokenize_domains(corpus.build())
    streams = {d: t for d, (t, _) in tokens.items()}
    held = {d: h for d, (_, h) in tokens.items()}
    model = Model(cfg)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embed" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    ckpt = os.path.join(WORK, "checkpoint.pt")
    step = 0
    if os.path.exists(ckpt):
        state = torch.load(ckpt)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        print(f"resumed at step {step}", flush=True)
    log_path = os.path.join(WORK, "log.csv")
    log = open(log_path, "a", newline="")
    writer = csv.writer(log)
    if step == 0:
        writer.writerow(["step", "tokens", "loss", "balance", "lr", "tok_s", "seconds"])
    warmup, t0, tokens_seen = 100, time.time(), step * args.batch * args.seq
    while step < args.steps:
        lr = args.lr * (step + 1) / warmup if step < warmup else \
            args.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * (step - warmup) / max(1, args.steps - warmup))))
        for g in opt.param_groups:
            g["lr"] = lr
        ts = time.time()
        ids = batch(streams, rng, args.batch, args.seq)
        logits, routing = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, cfg.vocab), ids[:, 1:].reshape(-1))
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
        if step % 100 == 0 or step == args.steps:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "rng": rng.getstate(),
                        "torch_rng": torch.get_rng_state(), "config": cfg.__dict__}, ckpt + ".tmp")
            os.replace(ckpt + ".tmp", ckpt)
    held_loss = evaluate(model, held, args.seq)
    with open(os.path.join(WORK, "held_out.json"), "w") as f:
        json.dump(held_loss, f, indent=1)
    print("held-out loss per domain:", held_loss, flush=True)
    torch.save({"model": model.state_dict(), "config": cfg.__dict__, "step": step}, os.path.join(WORK, "final.pt"))


if __name__ == "__main__":
    main()
