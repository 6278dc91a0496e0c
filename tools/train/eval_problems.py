#!/usr/bin/python3
"""Scores the bundled model on a problem set (assets/problems/*.jsonl) by the
rule of `moetop eval` (shared/contracts/cli.md): greedy, at most 16 tokens,
stopping at an end-of-generation token or a newline; a numeric answer is
correct when the first match of -?[0-9]+ in the continuation (commas between
digit groups removed first) equals it as an integer; a text answer when the
continuation, leading whitespace removed, starts with it. Raw prompts only
("chat": true problems are refused).

    /usr/bin/python3 tools/train/eval_problems.py [--checkpoint build/train/final.pt]
                                                  [--gguf FILE] [--dequantized FILE] [-v] SET ...

SET is a name in assets/problems/ (add-1) or a .jsonl path.
  --checkpoint PT   the PyTorch module with the checkpoint's weights (tokens from the bundled vocabulary)
  --gguf FILE       the exported file, through `moetop generate -m FILE --prompt P -n 16 --json`
  --dequantized F   the PyTorch module on F's weights as stored (dequantized): must agree with --gguf F
  --flags "..."     intervention flags for --gguf (e.g. "--mask 3@0 --mask 5@1")
Prints one line per set and source: correct / problems (accuracy); -v lists the wrong ones.
--self-test checks the scoring rule on hand-worked cases."""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_read import Reader  # noqa: E402
from o200k import BYTE  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MOETOP = os.path.join(ROOT, "moetop")
MAX_TOKENS = 16
UNBYTE = {c: b for b, c in BYTE.items()}
NUMBER = re.compile(r"-?[0-9]+")
GROUPED = re.compile(r"(?<=[0-9]),(?=[0-9]{3}(?![0-9]))")


def load(name):
    path = name if name.endswith(".jsonl") else os.path.join(ROOT, "assets", "problems", name + ".jsonl")
    items = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    if any(p.get("chat") for p in items):
        raise SystemExit(f"eval_problems.py: {path}: chat problems are not handled here")
    return items


def correct(continuation, answer):
    """The contract's scoring of one continuation (already cut at the first newline)."""
    if re.fullmatch(r"-?[0-9]+", answer.strip()):
        m = NUMBER.search(GROUPED.sub("", continuation))
        return bool(m) and int(m.group()) == int(answer)
    return continuation.lstrip().startswith(answer)


def self_test():
    """The scoring rule on hand-worked cases; raises AssertionError on a mismatch."""
    cases = [("12", "12", True), (" 12", "12", True), ("120", "12", False), ("1,234 apples", "1234", True),
             ("1,234,567", "1234567", True), ("12,34", "12", True), ("-5", "-5", True), ("x -5", "5", False),
             ("", "3", False), ("007", "7", True), ("The answer is 42.", "42", True), (" Paris.", "Paris", True),
             ("paris", "Paris", False)]
    for text, answer, want in cases:
        assert correct(text, answer) == want, (text, answer, want)
    assert cut("46\n12 + 3") == "46" and cut("46") == "46"
    print(f"eval_problems.py: the scoring rule gives the expected verdict on {len(cases)} hand-worked cases")


def cut(text):
    """The continuation up to (not including) the first newline."""
    return text.split("\n", 1)[0]


class Vocab:
    """Token texts and end-of-generation ids of a GGUF vocabulary."""

    def __init__(self, path):
        meta = Reader(path).meta
        self.tokens = meta["tokenizer.ggml.tokens"]
        self.path = path
        names = {t: i for i, t in enumerate(self.tokens)}
        self.eog = {names[t] for t in ("<|return|>", "<|call|>", "<|endoftext|>") if t in names}
        if "tokenizer.ggml.eos_token_id" in meta:
            self.eog.add(meta["tokenizer.ggml.eos_token_id"])

    def encode(self, text):
        r = subprocess.run([MOETOP, "tokenize", "-m", self.path, text], capture_output=True, text=True, check=True)
        return [int(x) for x in r.stdout.split()]

    def decode(self, ids):
        return b"".join(bytes(UNBYTE[c] for c in self.tokens[i]) for i in ids).decode("utf-8", "replace")


def torch_outputs(model, vocab, items):
    """Greedy continuations by the PyTorch module, recomputing the whole
    sequence each step; prompts of one length run as one batch."""
    prompts = [vocab.encode(p["prompt"]) for p in items]
    out = [None] * len(items)
    by_len = {}
    for i, ids in enumerate(prompts):
        by_len.setdefault(len(ids), []).append(i)
    with torch.no_grad():
        for group in by_len.values():
            seq = torch.tensor([prompts[i] for i in group])
            gen = {i: [] for i in group}
            live = set(group)
            for _ in range(MAX_TOKENS):
                logits, _ = model(seq)
                nxt = torch.argmax(logits[:, -1], dim=-1)
                for row, i in enumerate(group):
                    t = int(nxt[row])
                    if i not in live:
                        continue
                    if t in vocab.eog:
                        live.discard(i)
                        continue
                    gen[i].append(t)
                    if "\n" in vocab.decode(gen[i]):
                        live.discard(i)
                if not live:
                    break
                seq = torch.cat([seq, nxt[:, None]], dim=1)
            for i in group:
                out[i] = cut(vocab.decode(gen[i]))
    return out


def gguf_outputs(path, items, flags=()):
    """Greedy continuations by `moetop generate` (flags: intervention flags, e.g. ["--mask", "3@0"])."""
    out = []
    for p in items:
        r = subprocess.run([MOETOP, "generate", "-m", path, "--prompt", p["prompt"], "-n", str(MAX_TOKENS), "--json", *flags],
                           capture_output=True, text=True, check=True)
        out.append(cut(json.loads(r.stdout)["text"]))
    return out


def checkpoint_model(path):
    from model import Config, Model
    state = torch.load(path)
    model = Model(Config(**state["config"]))
    model.load_state_dict(state["model"])
    return model.eval()


def dequantized_model(path):
    from model import Config, Model, set_param
    r = Reader(path)
    m = r.meta
    cfg = Config(n_layer=m["gpt-oss.block_count"], d_model=m["gpt-oss.embedding_length"],
                 n_head=m["gpt-oss.attention.head_count"], n_kv=m["gpt-oss.attention.head_count_kv"],
                 head_dim=m["gpt-oss.attention.key_length"], n_expert=m["gpt-oss.expert_count"],
                 k=m["gpt-oss.expert_used_count"], ff=m["gpt-oss.expert_feed_forward_length"],
                 window=m["gpt-oss.attention.sliding_window"], vocab=len(m["tokenizer.ggml.tokens"]))
    model = Model(cfg)
    with torch.no_grad():
        for name in r.tensors:
            set_param(model, name, torch.from_numpy(np.array(r.tensor(name))))
    return model.eval()


def score(items, outputs):
    return sum(correct(o, p["answer"]) for o, p in zip(outputs, items))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="*")
    ap.add_argument("--self-test", action="store_true", help="check the scoring rule on hand-worked cases")
    ap.add_argument("--checkpoint")
    ap.add_argument("--gguf")
    ap.add_argument("--dequantized")
    ap.add_argument("--flags", default="", help="intervention flags for --gguf")
    ap.add_argument("--vocab", help="vocabulary for --checkpoint (default: train.py's)")
    ap.add_argument("--json", action="store_true", help="one JSON object: {source: {set: correct}}")
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    if args.self_test:
        self_test()
        return
    torch.set_num_threads(int(os.environ.get("MOETOP_THREADS", "2")))
    sources = []
    if args.checkpoint:
        from train import VOCAB
        sources.append(("checkpoint", lambda items, m=checkpoint_model(args.checkpoint), v=Vocab(args.vocab or VOCAB):
                        torch_outputs(m, v, items)))
    if args.dequantized:
        sources.append(("dequantized", lambda items, m=dequantized_model(args.dequantized), v=Vocab(args.dequantized):
                        torch_outputs(m, v, items)))
    if args.gguf:
        sources.append(("gguf", lambda items: gguf_outputs(args.gguf, items, shlex.split(args.flags))))
    if not sources:
        ap.error("give --checkpoint, --gguf or --dequantized")
    result, outputs = {}, {}
    for name, run in sources:
        for s in args.sets:
            items = load(s)
            outs = run(items)
            outputs[(name, s)] = outs
            n = score(items, outs)
            result.setdefault(name, {})[s] = n
            if not args.json:
                print(f"{s:>8} {name:>12}: {n}/{len(items)} ({n / len(items):.2f})", flush=True)
            if args.v:
                for o, p in zip(outs, items):
                    if not correct(o, p["answer"]):
                        print(f"    {p['prompt']!r} -> {o!r} (answer {p['answer']})")
    if args.dequantized and args.gguf and args.gguf == args.dequantized:
        for s in args.sets:
            a, b = outputs[("dequantized", s)], outputs[("gguf", s)]
            diff = sum(x != y for x, y in zip(a, b))
            if not args.json:
                print(f"{s:>8} dequantized vs gguf: {len(a) - diff}/{len(a)} continuations identical")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
