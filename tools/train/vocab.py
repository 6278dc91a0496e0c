#!/usr/bin/python3
"""Builds the bundled model's vocabulary: a subset of o200k chosen for the
training text, closed under o200k's merges, so that moetop splits text
exactly as o200k (gpt-oss) does wherever o200k's tokens are in the subset.

    /usr/bin/python3 tools/train/vocab.py [--size N] [--measure] [--check-only]

1. Counts the o200k tokens of the training text (corpus.py's training split,
   tokenized by `moetop tokenize` with the full o200k_harmony vocabulary),
   each domain's share of tokens weighted equally, the generated arithmetic
   left out (its numbers are all taken below; so the choice moves neither
   with the training mix nor with the arithmetic generator).
2. Takes every single-byte token, every digit group the pre-tokenizer makes
   (1 to 3 digits: "0".."999" and "00".."099", "000".."099"), the harmony role
   and channel names (with and without a leading space), then the most
   frequent tokens, each with its merge tree (every token o200k's merging
   makes on the way to it), until N ordinary tokens (default 12288).
3. Writes the ranks (build/vocab/ranks-N.txt) and the vocabulary GGUF
   (assets/vocab/o200k-harmony-moetop-N.gguf) through
   `moetop synth --vocab-only --vocab-tokens`: ids dense in o200k rank order,
   then the 32 harmony specials.
4. Checks the file: every listed token's merge tree is in it; over a sample of
   every domain's text, moetop's ids equal o200k's (mapped into the subset)
   for every pre-tokenizer chunk whose o200k tokens are all in the subset, and
   the subset's own merging elsewhere; "127", "999", "system", "user",
   "assistant" and " assistant" are single tokens.

--measure prints, for several sizes, the share of the training text's o200k
tokens and chunks the subset holds, and the subset's tokens per byte."""
import argparse
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402
import o200k  # noqa: E402
from gguf_read import Reader  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FULL = os.path.join(ROOT, "..", "shared", "oracle", "tokenizer", "o200k_harmony.vocab.gguf")
MOETOP = os.path.join(ROOT, "moetop")
WORK = os.path.join(ROOT, "build", "vocab")
N_ORDINARY = 199998            # o200k's ordinary ranks; the harmony specials follow
DEFAULT_SIZE = 12288
ROLES = ["system", "user", "assistant", "developer", "analysis", "final", "commentary"]


def out_path(size):
    return os.path.join(ROOT, "assets", "vocab", f"o200k-harmony-moetop-{size}.gguf")


def full_vocab(path):
    """(tokens, {token: rank}) of o200k's ordinary tokens."""
    tokens = Reader(path).meta["tokenizer.ggml.tokens"][:N_ORDINARY]
    return tokens, {t: i for i, t in enumerate(tokens)}


def training_texts(docs_by_domain):
    """Each domain's training split, documents joined by <|endoftext|> (as train.py tokenizes it)."""
    out = {}
    for domain, docs in docs_by_domain.items():
        out[domain] = corpus.EOT.join(d for i, d in enumerate(docs) if not corpus.held_out(i)) + corpus.EOT
    return out


def moetop_ids(model, text, name, special=True):
    """`moetop tokenize` of text (through a file under build/vocab)."""
    path = os.path.join(WORK, name + ".txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    args = [MOETOP, "tokenize", "-m", model, "-f", path] + (["--special"] if special else [])
    r = subprocess.run(args, capture_output=True, text=True, check=True)
    return np.array([int(x) for x in r.stdout.split()], dtype=np.int64)


def weighted_frequency(texts, weights):
    """Per o200k rank: sum over domains of weight x (count / the domain's tokens)."""
    freq = np.zeros(N_ORDINARY)
    for domain, text in texts.items():
        ids = moetop_ids(FULL, text, "count-" + domain)
        ids = ids[ids < N_ORDINARY]
        freq += weights[domain] * np.bincount(ids, minlength=N_ORDINARY) / max(1, len(ids))
    return freq


def merge_tree(token, rank):
    """The tokens o200k's merging makes on the way to token (token included);
    None if o200k never produces it from its own bytes."""
    parts, made = o200k.merge(token, rank)
    return made if parts == [token] else None


def required(tokens, rank):
    """Single bytes, the digit groups of 1 to 3 digits, the role and channel names."""
    req = [t for t in tokens if len(t) == 1]
    req += [f"{n:0{w}d}" for w in (1, 2, 3) for n in range(10 ** w)]
    req += [o200k.spell(w) for w in ROLES] + [o200k.spell(" " + w) for w in ROLES]
    return [t for t in req if t in rank]


def choose(size, freq, tokens, rank):
    """The sorted ranks of a subset of `size` tokens (see the module's comment)."""
    chosen = set()

    def take(t):
        tree = merge_tree(t, rank) if len(t) > 1 else [t]
        if tree is None:
            return True
        new = [x for x in tree if x not in chosen]
        if len(chosen) + len(new) > size:
            return False
        chosen.update(new)
        return True

    for t in required(tokens, rank):
        if not take(t):
            raise SystemExit(f"vocab.py: --size {size} is too small for the required tokens")
    for r in np.argsort(-freq, kind="stable"):
        if freq[r] <= 0 or len(chosen) >= size:
            break
        take(tokens[r])
    return sorted(rank[t] for t in chosen)


def tokenize_subset(text, rank, sub_rank, cache):
    """Expected subset tokenization of text: per chunk, o200k's tokens when all
    are in the subset (flag True), else the subset's own merging (flag False)."""
    out = []
    for c in o200k.chunks(text):
        hit = cache.get(c)
        if hit is None:
            full, _ = o200k.merge(c, rank)
            if all(t in sub_rank for t in full):
                hit = (full, True)
            else:
                hit = (o200k.merge(c, sub_rank)[0], False)
            cache[c] = hit
        out.append(hit)
    return out


def sample(texts, n_chars):
    return {d: t[:n_chars].replace(corpus.EOT, "\n") for d, t in texts.items()}


def measure(texts, freq, tokens, rank, sizes):
    samples = sample(texts, 200_000)
    print(f"{'size':>7} {'tokens held':>12} {'chunks as o200k':>16} {'tokens/byte':>12}")
    for size in sizes:
        ranks = choose(size, freq, tokens, rank) if size else list(range(8192))
        sub = {tokens[r]: r for r in ranks}
        held = sum(freq[r] for r in ranks) / freq.sum()
        chunks_same = n_chunks = n_tok = n_bytes = 0
        for text in samples.values():
            pieces = tokenize_subset(text, rank, sub, {})
            n_chunks += len(pieces)
            chunks_same += sum(1 for _, same in pieces if same)
            n_tok += sum(len(p) for p, _ in pieces)
            n_bytes += len(text.encode("utf-8"))
        label = size if size else "8192*"
        print(f"{label:>7} {held:12.4f} {chunks_same / n_chunks:16.4f} {n_tok / n_bytes:12.4f}", flush=True)
    print("8192*: the first 8192 ranks (the vocabulary before this one); the full o200k:", end=" ")
    n_tok = sum(len(moetop_ids(FULL, t, "measure", special=False)) for t in samples.values())
    print(f"{n_tok / sum(len(t.encode('utf-8')) for t in samples.values()):.4f} tokens/byte")


NPM = os.path.join(ROOT, "build", "npm")  # where `make test` installs npm's tiktoken


def tiktoken_ids(text):
    """o200k_base ids of text by tiktoken itself (npm's package, as the tests
    install it under build/npm), or None where node or the package is missing."""
    if not os.path.exists(os.path.join(NPM, "node_modules", "tiktoken", "package.json")):
        return None
    path = os.path.join(WORK, "tiktoken-input.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    script = ("const {get_encoding} = require('tiktoken'); const fs = require('fs');"
              "const e = get_encoding('o200k_base'); process.stdout.write(Array.from("
              "e.encode_ordinary(fs.readFileSync(process.argv[1], 'utf8'))).join(' ')); e.free();")
    try:
        r = subprocess.run(["node", "-e", script, path], capture_output=True, text=True, check=True,
                           env=dict(os.environ, NODE_PATH=os.path.join(NPM, "node_modules")))
    except (OSError, subprocess.CalledProcessError):
        return None
    return [int(x) for x in r.stdout.split()]


def check(path, texts, tokens, rank, ranks):
    """The checks of step 4; raises SystemExit on the first failure."""
    sub = {tokens[r]: r for r in ranks}
    sub_id = {r: i for i, r in enumerate(ranks)}
    r = Reader(path)
    got = r.meta["tokenizer.ggml.tokens"]
    if got[:len(ranks)] != [tokens[x] for x in ranks] or len(got) != len(ranks) + 32:
        raise SystemExit(f"vocab.py: {path}: its tokens are not the listed ranks then 32 specials")
    for x in ranks:
        tree = merge_tree(tokens[x], rank) if len(tokens[x]) > 1 else [tokens[x]]
        if tree is None or any(t not in sub for t in tree):
            raise SystemExit(f"vocab.py: rank {x} ({tokens[x]!r}): its merge tree is not all in the subset")
    for word in ["127", "999", "system", "user", "assistant", " assistant"]:
        ids = moetop_ids(path, word, "word", special=False)
        if len(ids) != 1:
            raise SystemExit(f"vocab.py: {word!r} is {len(ids)} tokens, not one")
    same = total = 0
    for domain, text in sample(texts, 300_000).items():
        want_full = [rank[t] for c in o200k.chunks(text) for t in o200k.merge(c, rank)[0]]
        if not np.array_equal(moetop_ids(FULL, text, "check-full", special=False), want_full):
            raise SystemExit(f"vocab.py: {domain}: this script's o200k merging differs from moetop's with the full vocabulary")
        tik = tiktoken_ids(text)
        if tik is not None and tik != want_full:
            raise SystemExit(f"vocab.py: {domain}: this script's o200k merging differs from tiktoken's")
        print(f"check {domain}: o200k's ids agree with moetop's full vocabulary"
              + (" and tiktoken's" if tik is not None else " (tiktoken not installed under build/npm: not compared)"))
        pieces = tokenize_subset(text, rank, sub, {})
        want = [sub_id[sub[t]] for p, _ in pieces for t in p]
        have = moetop_ids(path, text, "check-sub", special=False)
        if not np.array_equal(have, want):
            at = next((i for i, (a, b) in enumerate(zip(have, want)) if a != b), min(len(have), len(want)))
            raise SystemExit(f"vocab.py: {domain}: moetop's tokenization with {path} differs from o200k's at token {at}")
        same += sum(len(p) for p, s in pieces if s)
        total += sum(len(p) for p, _ in pieces)
        print(f"check {domain}: {len(have)} tokens equal; {sum(1 for _, s in pieces if s) / len(pieces):.4f} of chunks as o200k",
              flush=True)
    print(f"check: {path} holds every listed merge tree; {same / total:.4f} of the sample's tokens are o200k's own")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=DEFAULT_SIZE, help="ordinary tokens (default %(default)s)")
    ap.add_argument("--measure", action="store_true", help="compare sizes instead of writing a vocabulary")
    ap.add_argument("--check-only", action="store_true", help="check the existing file of --size")
    args = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)
    tokens, rank = full_vocab(FULL)
    texts = training_texts(corpus.build())
    counted = {d: t for d, t in texts.items() if d != "math"}
    freq = weighted_frequency(counted, {d: 1 / len(counted) for d in counted})
    if args.measure:
        measure(texts, freq, tokens, rank, [0, 4096, 8192, 12288, 16384, 24576, 32768])
        return
    ranks = choose(args.size, freq, tokens, rank)
    path = out_path(args.size)
    if not args.check_only:
        listing = os.path.join(WORK, f"ranks-{args.size}.txt")
        with open(listing, "w") as f:
            f.write(f"# o200k ranks of the bundled vocabulary ({len(ranks)}), written by tools/train/vocab.py\n")
            f.write("".join(f"{x}\n" for x in ranks))
        subprocess.run([MOETOP, "synth", "-q", "--vocab-only", "--vocab", FULL, "--vocab-tokens", listing,
                        "--name", f"o200k_harmony subset of {args.size} for moetop's bundled model", "-o", path], check=True)
        print(f"wrote {path}: {len(ranks)} o200k tokens and 32 harmony specials")
    check(path, texts, tokens, rank, ranks)


if __name__ == "__main__":
    main()
