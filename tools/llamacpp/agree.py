"""Agreement of moetop's logits (`moetop trace --logits all --json`) with
llama.cpp's (logits.mjs, one JSON array per position): per position the
largest |difference| over the vocabulary divided by the largest |logit| of
moetop's row; printed as the median and maximum over positions, with the
number of positions whose argmax agrees.

usage: python3 agree.py MOETOP.json:LLAMA.jsonl [...]"""
import json
import sys

import numpy as np


def main():
    for pair in sys.argv[1:]:
        mt_path, lc_path = pair.split(":")
        a = np.array(json.load(open(mt_path))["logits"], dtype=np.float64)
        b = np.array([json.loads(line) for line in open(lc_path)], dtype=np.float64)
        if a.shape != b.shape:
            sys.exit(f"agree.py: {mt_path} has logits {a.shape}, {lc_path} {b.shape}")
        rel = np.max(np.abs(a - b), axis=1) / np.max(np.abs(a), axis=1)
        agree = int(np.sum(np.argmax(a, 1) == np.argmax(b, 1)))
        print(f"{mt_path.rsplit('/', 1)[-1]:>22} vs {lc_path.rsplit('/', 1)[-1]:<22} median {np.median(rel):.2e}  "
              f"max {np.max(rel):.2e}  argmax {agree}/{len(b)}")


if __name__ == "__main__":
    main()
