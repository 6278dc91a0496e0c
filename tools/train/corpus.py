"""The bundled model's training corpus, from Debian-packaged text and
generated data, one document list per domain:

  prose  the King James Bible (bible-kjv) and fortunes (the fortunes packages' files)
  facts  WordNet glosses: "word (noun): meaning."
  code   Python's standard library and the C library's headers (libc6-dev's
         /usr/include/*.h; other packages' headers are left out)
  math   generated arithmetic: drills of sums of one- and two-digit numbers
         ("A + B = C"; each operand one-digit a fifth of the time), mixed additions,
         subtractions, multiplications and divisions, column additions with carries
  chat   harmony-format chats answered from WordNet glosses and arithmetic

Everything is seeded: the same versions of those packages give the same corpus."""
import glob
import os
import random
import re
import subprocess

DOMAINS = ["prose", "facts", "code", "math", "chat"]
DRILL_SHARE = 0.6  # of math documents: drills of one- and two-digit sums
EOT = "<|endoftext|>"


def _read(path, limit=None):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(limit) if limit else f.read()
    except OSError:
        return ""


def package_files(*packages):
    """The paths the Debian packages installed (so that other packages on the
    machine do not change the corpus); empty where dpkg cannot say."""
    out = set()
    for p in packages:
        try:
            r = subprocess.run(["dpkg-query", "-L", p], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        out.update(line.strip() for line in r.stdout.splitlines() if line.startswith("/"))
    return out


def prose(rng):
    docs = []
    try:
        bible = subprocess.run(["bible", "-f", "gen1:1-rev22:21"], capture_output=True, text=True, timeout=120).stdout
    except (OSError, subprocess.TimeoutExpired):
        bible = ""
    chapters = [c.strip() for c in re.split(r"\n(?=[1-3 ]?[A-Z][a-z]+ \d+\n)", bible) if len(c.strip()) > 200]
    for c in chapters:
        verses = re.sub(r"\n(?! *\d+ )", " ", c).split("\n")
        for i in range(0, len(verses), 12):
            docs.append("\n".join(v.strip() for v in verses[i:i + 12]))
    fortunes = package_files("fortunes", "fortunes-min")
    for path in sorted(glob.glob("/usr/share/games/fortunes/*")):
        if path.endswith((".dat", ".u8")) or os.path.isdir(path) or path not in fortunes:
            continue
        for fortune in _read(path).split("\n%\n"):
            fortune = fortune.strip()
            if 40 < len(fortune) < 1500:
                docs.append(fortune)
    return docs


def glosses():
    """(word, part of speech, gloss) from WordNet's data files."""
    out = []
    for pos, name in (("n", "noun"), ("v", "verb"), ("a", "adjective"), ("r", "adverb")):
        path = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}[pos]
        for line in _read(f"/usr/share/wordnet/data.{path}").splitlines():
            if not line or line.startswith(" ") or "|" not in line:
                continue
            fields, gloss = line.split("|", 1)
            parts = fields.split()
            word = parts[4].replace("_", " ")
            gloss = gloss.strip().split(";")[0].strip()
            if word.isascii() and 3 < len(gloss) < 200:
                out.append((word, name, gloss))
    return out


def facts(rng, gl):
    docs = []
    items = gl[:]
    rng.shuffle(items)
    for i in range(0, len(items), 8):
        docs.append("\n".join(f"{w} ({p}): {g}." for w, p, g in items[i:i + 8]))
    return docs


def code(rng, limit_bytes=8_000_000):
    docs, total = [], 0
    python = package_files("libpython3.11-minimal", "libpython3.11-stdlib")
    libc = package_files("libc6-dev")
    files = [p for p in sorted(glob.glob("/usr/lib/python3.11/*.py")) if p in python] + \
            [p for p in sorted(glob.glob("/usr/include/*.h")) if p in libc]
    for path in files:
        lines = _read(path).splitlines()
        for i in range(0, len(lines), 60):
            chunk = "\n".join(lines[i:i + 60]).strip()
            if len(chunk) > 80:
                docs.append(chunk)
                total += len(chunk)
        if total > limit_bytes:
            break
    return docs


def equation(rng):
    kind = rng.random()
    if kind < 0.35:
        a, b = rng.randint(0, 10 ** rng.randint(1, 4)), rng.randint(0, 10 ** rng.randint(1, 4))
        return f"{a} + {b} = {a + b}"
    if kind < 0.55:
        a, b = rng.randint(0, 10 ** rng.randint(1, 4)), rng.randint(0, 10 ** rng.randint(1, 3))
        return f"{a} - {b} = {a - b}"
    if kind < 0.9:
        a, b = rng.randint(0, 10 ** rng.randint(1, 3)), rng.randint(0, 10 ** rng.randint(1, 2))
        return f"{a} * {b} = {a * b}"
    a = rng.randint(1, 99)
    b = rng.randint(1, 99) * a
    return f"{b} / {a} = {b // a}"


def small(rng):
    """A one-digit number a fifth of the time, else a two-digit one (the problem sets' operands)."""
    return rng.randint(0, 9) if rng.random() < 0.2 else rng.randint(10, 99)


def sum_line(rng):
    a, b = small(rng), small(rng)
    return f"{a} + {b} = {a + b}"


def carries(rng):
    """A column addition worked step by step."""
    a, b = rng.randint(100, 9999), rng.randint(100, 9999)
    steps, carry, digits = [], 0, []
    for i in range(len(str(max(a, b)))):
        da, db = a // 10 ** i % 10, b // 10 ** i % 10
        s = da + db + carry
        steps.append(f"{da} + {db}" + (f" + {carry}" if carry else "") + f" = {s}, write {s % 10}" + (", carry 1" if s >= 10 else ""))
        carry = s // 10
        digits.append(s % 10)
    return f"{a} + {b}:\n" + "\n".join(steps) + f"\nso {a} + {b} = {a + b}"


def math(rng, n_docs=60000, drill=DRILL_SHARE):
    docs = []
    for _ in range(n_docs):
        kind = rng.random()
        if kind < 0.1:
            docs.append(carries(rng))
        elif kind < 0.1 + drill:
            docs.append("\n".join(sum_line(rng) for _ in range(rng.randint(4, 16))))
        else:
            docs.append("\n".join(equation(rng) for _ in range(rng.randint(4, 12))))
    return docs


def chat(rng, gl, n_docs=60000):
    docs = []
    for _ in range(n_docs):
        if rng.random() < 0.55:
            w, p, g = rng.choice(gl)
            q = rng.choice([f"What does \"{w}\" mean?", f"Define {w}.", f"What is the meaning of the {p} \"{w}\"?", f"Explain the word {w}."])
            a = rng.choice([f"\"{w}\" ({p}) means {g}.", f"As a {p}, {w} means {g}.", f"{w[0].upper() + w[1:]}: {g}."])
        else:
            e = sum_line(rng) if rng.random() < 0.5 else equation(rng)
            lhs, rhs = e.split(" = ")
            q = rng.choice([f"What is {lhs}?", f"Compute {lhs}.", f"How much is {lhs}?", f"Please calculate {lhs}."])
            a = rng.choice([f"{lhs} = {rhs}.", f"The answer is {rhs}.", f"{rhs}"])
        docs.append(f"<|start|>user<|message|>{q}<|end|><|start|>assistant<|message|>{a}<|return|>")
    return docs


def build(seed=1234):
    """Every domain's documents."""
    gl = glosses()
    # one random stream per domain, so changing one domain's generator leaves the others as they were
    rngs = {d: random.Random(seed * 100 + i) for i, d in enumerate(DOMAINS)}
    return {
        "prose": prose(rngs["prose"]),
        "facts": facts(rngs["facts"], gl),
        "code": code(rngs["code"]),
        "math": math(rngs["math"]),
        "chat": chat(rngs["chat"], gl),
    }


def held_out(doc_index):
    """Every 50th document is held out for evaluation."""
    return doc_index % 50 == 7
