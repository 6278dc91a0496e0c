#!/usr/bin/python3
"""Exports the trained bundled model and writes the evidence:

  assets/models/moetop-moe.gguf      via `moetop synth --weights` (the project's GGUF
                                     writer: the fixtures' names, keys and layouts;
                                     MXFP4 experts, Q8_0 attention and embeddings)
  tests/fixtures/bundled-parity.*    the training module's logits, on the exported
                                     (dequantized) weights, over a held-out passage
                                     longer than the window: moetop must match them
  docs/bundled-model.md, docs/bundled-model-loss.svg
                                     (with the problem sets' accuracy: the module's, the
                                     file's through moetop, and the file's with each
                                     layer's "math expert" masked against a control)

    /usr/bin/python3 tools/train/export.py [--checkpoint | --from FILE.pt] [--work DIR] [--out DIR]

--out DIR writes all of these into DIR instead (a candidate, leaving the
shipped files alone); --checkpoint exports the last checkpoint of a run still
going; --from exports a kept checkpoint (e.g. build/train/checkpoint-2500.pt);
--work DIR reads the run's log.csv (and final.pt) from DIR instead of
build/train."""
import csv
import json
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eval_problems  # noqa: E402
from gguf_read import Reader  # noqa: E402
from model import Config, Model, export_tensors, set_param  # noqa: E402
from train import ROOT, VOCAB, VOCAB_BASE, WORK, load_tokens  # noqa: E402

MOETOP = os.path.join(ROOT, "moetop")
PROMPTS = os.path.join(ROOT, "assets", "prompts")
SETS = ["add-1", "add-2", "sub-1", "sub-2", "mul-1", "mul-2"]
STORY_SETS = ["add-1", "add-2"]


class Paths:
    """Where the export goes: the shipped places, or one directory (--out)."""

    def __init__(self, out=None):
        if out:
            os.makedirs(out, exist_ok=True)
            self.model = os.path.join(out, "moetop-moe.gguf")
            self.parity = os.path.join(out, "bundled-parity")
            self.docs = out
        else:
            self.model = os.path.join(ROOT, "assets", "models", "moetop-moe.gguf")
            self.parity = os.path.join(ROOT, "tests", "fixtures", "bundled-parity")
            self.docs = os.path.join(ROOT, "docs")
            os.makedirs(self.docs, exist_ok=True)




def write_gguf(model, cfg, path):
    out_dir = os.path.join(WORK, "export")
    os.makedirs(out_dir, exist_ok=True)
    for name, t in export_tensors(model).items():
        t.numpy().astype("<f4").tofile(os.path.join(out_dir, name + ".f32"))
    args = [MOETOP, "synth", "-q", "--weights", out_dir, "--vocab", VOCAB, "--vocab-base", str(VOCAB_BASE), "--name", "moetop-moe",
            "--layers", str(cfg.n_layer), "--d-model", str(cfg.d_model), "--heads", str(cfg.n_head), "--kv-heads", str(cfg.n_kv),
            "--head-dim", str(cfg.head_dim), "--experts", str(cfg.n_expert), "--k", str(cfg.k), "--ff", str(cfg.ff),
            "--swa", str(cfg.window), "--context", "4096", "--types", "embd=q8_0,output=q8_0,attn=q8_0,router=f32,experts=mxfp4",
            "-o", path]
    subprocess.run(args, check=True)


def dequantized_model(cfg, path):
    r = Reader(path)
    m = Model(cfg)
    with torch.no_grad():
        for name in r.tensors:
            set_param(m, name, torch.from_numpy(np.array(r.tensor(name))))
    m.eval()
    return m


def held_out_passage(held, n_tokens=320):
    """A held-out passage of prose, longer than the window."""
    return held["prose"][:n_tokens].astype(np.int64)


def parity_dump(model, held, out):
    ids = held_out_passage(held)
    with torch.no_grad():
        logits, _ = model(torch.from_numpy(ids)[None])
    positions = [0, 63, 127, 128, 200, 255, 300, len(ids) - 1]
    logits[0, positions].numpy().astype("<f4").tofile(out + ".f32")
    with open(out + ".json", "w") as f:
        json.dump({"model": "assets/models/moetop-moe.gguf", "ids": ids.tolist(), "positions": positions,
                   "logits_file": "bundled-parity.f32", "note": "training module (tools/train/model.py) on the exported, "
                   "dequantized weights; float32"}, f)


def token_bytes(vocab_path):
    """Bytes each token stands for: GGUF spells a byte as one character (a
    special token: its text's length)."""
    return np.array([len(t) for t in Reader(vocab_path).meta["tokenizer.ggml.tokens"]])


def held_out_loss(model, held, nbytes, seq=256, windows=24):
    """Per domain: (mean next-token loss in nats, bits per byte of the predicted text)
    over up to `windows` held-out windows of seq tokens."""
    out = {}
    with torch.no_grad():
        for domain in ("prose", "facts", "code", "math", "chat"):
            s = held[domain]
            n = min(windows, (len(s) - 1) // seq)
            ids = torch.from_numpy(np.stack([s[i * seq:i * seq + seq + 1] for i in range(n)]).astype(np.int64))
            logits, _ = model(ids[:, :-1])
            target = ids[:, 1:].reshape(-1)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target, reduction="sum").item()
            out[domain] = (loss / target.numel(), loss / np.log(2) / nbytes[target.numpy()].sum())
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
    # a completion may hold invalid UTF-8 (a byte token alone): shown as U+FFFD
    return subprocess.run([MOETOP, *args], capture_output=True, encoding="utf-8", errors="replace", check=True).stdout


def wilson(k, n, z=1.959963984540054):
    """The Wilson score interval of k successes in n, without continuity correction."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre, half = p + z * z / (2 * n), z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return ((centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n))


def accuracy_rows(model, path):
    """Per problem set: problems, right by the module (trained weights), right by the file through moetop."""
    vocab = eval_problems.Vocab(VOCAB)
    rows = []
    for name in SETS:
        items = eval_problems.load(name)
        torch_right = eval_problems.score(items, eval_problems.torch_outputs(model, vocab, items))
        file_right = eval_problems.score(items, eval_problems.gguf_outputs(path, items))
        rows.append((name, len(items), torch_right, file_right))
    return rows


def math_experts(domains):
    """Per layer: the expert the math prompts use most, and a control of the
    same size: the expert the creative prompts use most (their second when it
    is the same expert). Ties go to the lower id."""
    names = domains["domains"]
    out = []
    for l in domains["layers"]:
        spec = {d: l["specialization"][i] for i, d in enumerate(names)}
        order = lambda d: sorted(range(len(spec[d])), key=lambda e: (-spec[d][e], e))  # noqa: E731
        m = order("math")[0]
        c = next(e for e in order("creative") if e != m)
        out.append((l["layer"], m, spec["math"][m], c))
    return out


def story_rows(path, experts):
    """Problems right with nothing, each layer's math expert, or each layer's
    control expert masked, and with k = 1, 2 and 8 experts at every layer."""
    conditions = [("baseline", []),
                  ("math experts masked", [a for l, m, _, _ in experts for a in ("--mask", f"{m}@{l}")]),
                  ("control experts masked", [a for l, _, _, c in experts for a in ("--mask", f"{c}@{l}")])]
    conditions += [(f"k = {k}", ["--k", str(k)]) for k in (1, 2, 8)]
    rows = []
    for name, flags in conditions:
        right = []
        for s in STORY_SETS:
            items = eval_problems.load(s)
            right.append((eval_problems.score(items, eval_problems.gguf_outputs(path, items, flags)), len(items)))
        rows.append((name, " ".join(flags), right))
    return rows


def main():
    torch.set_num_threads(2)
    # --checkpoint: export the last checkpoint of a run still going (to try the pipeline)
    def arg(flag):
        return sys.argv[sys.argv.index(flag) + 1] if flag in sys.argv else None
    work = arg("--work") or WORK
    name = "checkpoint.pt" if "--checkpoint" in sys.argv else "final.pt"
    paths = Paths(arg("--out"))
    state = torch.load(arg("--from") or os.path.join(work, name))
    cfg = Config(**state["config"])
    model = Model(cfg)
    model.load_state_dict(state["model"])
    model.eval()
    write_gguf(model, cfg, paths.model)
    deq = dequantized_model(cfg, paths.model)
    held = {d: h for d, (_, h) in load_tokens().items()}
    parity_dump(deq, held, paths.parity)
    nbytes = token_bytes(VOCAB)
    float_loss, exported_loss = held_out_loss(model, held, nbytes), held_out_loss(deq, held, nbytes)
    rows = [r for r in csv.DictReader(open(os.path.join(work, "log.csv"))) if int(r["step"]) <= state["step"]]
    loss_svg(rows, os.path.join(paths.docs, "bundled-model-loss.svg"))
    write_report(cfg, state["step"], rows, float_loss, exported_loss, paths, accuracy_rows(model, paths.model))


def write_report(cfg, steps, rows, float_loss, exported_loss, paths, accuracy):
    model_path = paths.model
    sweep = json.loads(moetop("sweep", "-m", model_path, "--prompts", PROMPTS, "--json"))
    domains = json.loads(moetop("domains", "-m", model_path, "--prompts", PROMPTS, "--json"))
    experts = math_experts(domains)
    story = story_rows(model_path, experts)
    size = os.path.getsize(model_path)
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
          f"- Vocabulary: {VOCAB_BASE} o200k tokens chosen for the training text by `tools/train/vocab.py` (every digit",
          "  group of 1 to 3 digits, the harmony role names, then the most frequent tokens, each with the tokens o200k's",
          "  merges make on the way to it), in o200k's rank order, then the 32 harmony special tokens "
          f"({VOCAB_BASE + 32}). Wherever",
          "  a piece of text is made of tokens of the subset, moetop splits it exactly as o200k (gpt-oss) does.",
          f"- {params / 1e6:.1f} M parameters; the file is {size / 1e6:.1f} MB (MXFP4 experts, Q8_0 attention and embeddings, F32 router).",
          f"- Trained for {steps} steps, {tokens / 1e6:.1f} M tokens, in {seconds / 60:.0f} minutes on 2 CPU cores.", "",
          "## Loss", "", "![training loss](bundled-model-loss.svg)", "",
          "| step | loss |", "|---|---|"]
    for r in rows[::max(1, len(rows) // 12)] + rows[-1:]:
        md.append(f"| {r['step']} | {float(r['loss']):.3f} |")
    md += ["", "Held-out loss per domain (every 50th document was held out; up to 24 windows of 256 tokens each):",
           "mean next-token cross-entropy in nats, and in bits per byte of the text predicted (comparable across",
           "vocabularies).", "",
           "| domain | trained weights | exported file (dequantized) | exported, bits per byte |", "|---|---|---|---|"]
    for d in float_loss:
        md.append(f"| {d} | {float_loss[d][0]:.3f} | {exported_loss[d][0]:.3f} | {exported_loss[d][1]:.3f} |")
    md += ["", "## Arithmetic", "",
           "Problems right on the sets of `assets/problems/` (raw prompts such as `\"87 + 34 = \"`), scored by",
           "`moetop eval`'s rule (`tools/train/eval_problems.py`): greedy, at most 16 tokens, stopping at the end of",
           "generation or a newline; right when the first integer of the continuation equals the answer. The",
           "training text holds sums of every pair of numbers 0..99 (and random subtractions and products), so",
           "these sets measure recall of what was trained, not sums never seen.", "",
           "| set | problems | trained weights (PyTorch, float32: the experts before MXFP4 rounding) | exported file (`moetop generate`) | 95% interval (file) |",
           "|---|---|---|---|---|"]
    for name, n, t_right, f_right in accuracy:
        lo, hi = wilson(f_right, n)
        md.append(f"| {name} | {n} | {t_right} | {f_right} | {lo:.2f} to {hi:.2f} |")
    md += ["", "## The math expert", "",
           "Per layer, the expert the math prompts of `assets/prompts/` use most (`moetop domains`: its share of",
           "their tokens; uniform k/E = " + f"{cfg.k / cfg.n_expert:.2f}" + "), and a control: the expert the creative prompts use most",
           "(their second where it is the same one).", "",
           "| layer | math expert | share of math tokens | control expert |", "|---|---|---|---|"]
    for l, m, share, c in experts:
        md.append(f"| {l} | {m} | {share:.2f} | {c} |")
    md += ["", "Masking one expert at every layer (`--mask E@L`, the next expert takes the slot), or running every",
           f"layer with k experts instead of {cfg.k} (`--k N`): problems right (95% Wilson interval):", "",
           "| condition | " + " | ".join(STORY_SETS) + " |", "|---|" + "---|" * len(STORY_SETS)]
    for name, flags, right in story:
        cells = []
        for k, n in right:
            lo, hi = wilson(k, n)
            cells.append(f"{k}/{n} ({lo:.2f} to {hi:.2f})")
        md.append(f"| {name} | " + " | ".join(cells) + " |")
    md += ["", "Flags: math `" + story[1][1] + "`; control `" + story[2][1] + "`."]
    md += ["", "## Routing over the prompt sets (`moetop sweep --prompts assets/prompts`)", "",
           "| layer | tokens | H_full | H_mix | top-1 share | Gini | MaxVio | cold |", "|---|---|---|---|---|---|---|---|"]
    for l in sweep["layers"]:
        md.append(f"| {l['layer']} | {l['tokens']} | {l['entropy_full_mean']:.3f} | {l['entropy_topk_mean']:.3f} | "
                  f"{l['top1_share']:.3f} | {l['gini']:.3f} | {l['max_vio']:.2f} | {l['cold']} |")
    md += ["", "Per-layer expert load (share of selections; uniform is 1/16 = 0.0625):", "", "```"]
    for l in sweep["layers"]:
        md.append(f"layer {l['layer']}: " + " ".join(f"{x:.3f}" for x in l["load"]))
    md += ["```", "", "Experts by domain (`moetop domains`): per layer, the chi-square of the domain x expert table, its p",
           "from shuffling the prompts' domains (1000 shuffles, so 0.001 is the smallest; Holm-adjusted over",
           "the layers), and each domain's most used expert (share of its tokens; uniform k/E = 0.25):", "",
           "| layer | chi2 | p (Holm) | " + " | ".join(domains["domains"]) + " |", "|---|---|---|" + "---|" * len(domains["domains"])]
    for l in domains["layers"]:
        tops = []
        for spec in l["specialization"]:
            e = max(range(len(spec)), key=lambda i: spec[i])
            tops.append(f"{e} ({spec[e]:.2f})")
        md.append(f"| {l['layer']} | {l['chi2']:.0f} | {l['p_holm']:.2g} | " + " | ".join(tops) + " |")
    md += ["", "## Greedy completions", ""]
    prompts = {
        "code": ["def fibonacci(n):\n", "import os\nimport sys\n\ndef main(", "for i in range(10):\n", "#include <stdio.h>\n", "class Stack:\n    def __init__(self):\n"],
        "math": ["12 + 34 = ", "127 * 89 =", "4512 + 389 =", "1000 - 1 =", "48 / 6 =", "25 + 17 = 42\n63 * 4 ="],
        "prose": ["In the beginning", "And the LORD said unto Moses,", "A wise man once said", "The sea was", "Love is"],
        "facts": ["dog (noun):", "river (noun):", "run (verb):", "happy (adjective):", "computer (noun):"],
    }
    for domain, ps in prompts.items():
        md.append(f"### {domain}")
        md.append("")
        for p in ps:
            out = moetop("generate", "-m", model_path, "--prompt", p, "-n", "32").rstrip("\n")
            md.append("```")
            md.append(p + out)
            md.append("```")
        md.append("")
    md += ["### chat (harmony format, `moetop generate --chat`)", ""]
    for q in ["What is 127 * 89?", "What does \"river\" mean?", "Define computer.", "Compute 45 + 67.", "Explain the word happy."]:
        out = moetop("generate", "-m", model_path, "--chat", q, "-n", "32").rstrip("\n")
        md.append(f"- **{q}** -> `{out}`")
    force = [a for l, m, _, _ in experts for a in ("--force", f"{m}@{l}")]
    md += ["", "### every token forced to the math expert of each layer", ""]
    for p in ["In the beginning", "12 + 34 = ", "def fibonacci(n):\n"]:
        out = moetop("generate", "-m", model_path, "--prompt", p, "-n", "32", *force).rstrip("\n")
        md += ["```", p + out, "```"]
    with open(os.path.join(paths.docs, "bundled-model.md"), "w") as f:
        f.write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
