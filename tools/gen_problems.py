#!/usr/bin/python3
"""Writes the built-in problem sets of `moetop eval` into assets/problems/
(JSON Lines, one {"prompt", "answer", "chat"} per line), deterministically:

  reports-8       the eight problems of the reports moetop was made for
  add-1, add-2    A + B with one-digit (0..9) or two-digit (10..99) operands
  sub-1, sub-2    A - B, same operands, A >= B (no negative answers)
  mul-1, mul-2    A * B, same operands

The one-digit sets hold every ordered pair (100 problems, shuffled); the
two-digit sets 100 distinct pairs drawn without replacement. Seeded by the
set's name, so the files never change unless this script does.

    /usr/bin/python3 tools/gen_problems.py [OUT_DIR]"""
import json
import os
import random
import sys
import zlib

REPORTS_8 = ["2 + 2", "5 * 5", "10 - 3", "23 * 17", "127 * 89", "456 + 789", "999 * 888", "1234 + 5678"]
OPS = {"add": ("+", lambda a, b: a + b), "sub": ("-", lambda a, b: a - b), "mul": ("*", lambda a, b: a * b)}
N_DRAWN = 100


def line(expr, answer):
    return json.dumps({"prompt": f"{expr} = ", "answer": str(answer), "chat": False}) + "\n"


def pairs(name, digits, op):
    rng = random.Random(zlib.crc32(name.encode()))
    lo, hi = (0, 9) if digits == 1 else (10, 99)
    every = [(a, b) for a in range(lo, hi + 1) for b in range(lo, hi + 1) if op != "sub" or a >= b]
    if digits == 1:
        rng.shuffle(every)
        return every
    return rng.sample(every, N_DRAWN)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "assets", "problems")
    os.makedirs(out, exist_ok=True)
    by_symbol = {sym: fn for sym, fn in OPS.values()}
    reports = []
    for e in REPORTS_8:
        a, sym, b = e.split()
        reports.append(line(e, by_symbol[sym](int(a), int(b))))
    files = {"reports-8": "".join(reports)}
    for op, (sym, fn) in OPS.items():
        for digits in (1, 2):
            name = f"{op}-{digits}"
            files[name] = "".join(line(f"{a} {sym} {b}", fn(a, b)) for a, b in pairs(name, digits, op))
    for name, text in files.items():
        with open(os.path.join(out, name + ".jsonl"), "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        print(f"{name}: {text.count(chr(10))} problems")


if __name__ == "__main__":
    main()
