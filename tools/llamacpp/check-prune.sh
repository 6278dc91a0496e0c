#!/bin/sh
# llama.cpp as a measuring stick for `moetop prune`: does llama.cpp load the
# pruned files, and compute what moetop computes with the removed experts
# masked? Installs node-llama-cpp (npm; its prebuilt CPU build of llama.cpp)
# into build/llamacpp, prunes the bundled model three ways (structural N=8 and
# N=5, soft 4,8,12,12,8,4), and for a prompt prints the agreement (agree.py)
# of llama.cpp on each pruned file with moetop on the original with --mask of
# the removed experts, beside two controls: llama.cpp and moetop on the
# original, and llama.cpp on the pruned file against the unmasked original
# (which must disagree far more). Not part of `make test`: it needs the npm
# registry. Usage: sh tools/llamacpp/check-prune.sh [MODEL.gguf]
set -eu
cd "$(dirname "$0")/../.."
model=${1:-assets/models/moetop-moe.gguf}
work=build/llamacpp
mkdir -p "$work"
[ -x ./moetop ] || make -j2 moetop
if [ ! -d "$work/node_modules/node-llama-cpp" ]; then
  echo "check-prune: installing node-llama-cpp@3.22.1 into $work (npm)" >&2
  (cd "$work" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --no-audit --no-fund node-llama-cpp@3.22.1 >&2)
fi
cp tools/llamacpp/logits.mjs "$work/logits.mjs"
ids=$(./moetop tokenize -m "$model" --json "The cat sat on the mat. 127 * 89 = " |
  /usr/bin/python3 -c 'import json, sys; print(" ".join(str(t["id"]) for t in json.load(sys.stdin)["tokens"]))')
masks() { # prune --json -> the --mask flags of its removed experts
  /usr/bin/python3 -c 'import json, sys
for l in json.load(open(sys.argv[1]))["layers"]:
    if l["removed"]: print("--mask", ",".join(map(str, l["removed"])) + "@" + str(l["layer"]))' "$1"
}
llama() { (cd "$work" && node logits.mjs "$1" "$ids") > "$2"; }
./moetop trace -m "$model" --ids "$ids" --logits all --json > "$work/original.json"
llama "$(pwd)/$model" "$work/original.llama.jsonl"
pairs="$work/original.json:$work/original.llama.jsonl"
for spec in "s8:--keep 8" "s5:--keep 5" "soft:--soft --keep 4,8,12,12,8,4"; do
  name=${spec%%:*}
  ./moetop prune -m "$model" -o "$work/$name.gguf" ${spec#*:} --json > "$work/$name.prune.json"
  ./moetop trace -m "$model" --ids "$ids" --logits all --json $(masks "$work/$name.prune.json") > "$work/$name.masked.json"
  llama "$(pwd)/$work/$name.gguf" "$work/$name.llama.jsonl"
  pairs="$pairs $work/$name.masked.json:$work/$name.llama.jsonl $work/original.json:$work/$name.llama.jsonl"
done
echo "prompt: $(echo "$ids" | wc -w) tokens; llama.cpp: node-llama-cpp 3.22.1 (CPU)"
/usr/bin/python3 tools/llamacpp/agree.py $pairs
