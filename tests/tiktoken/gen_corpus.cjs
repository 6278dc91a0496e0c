// Differential corpus for the tokenizer: generates text that covers every
// Unicode category, many scripts, every whitespace kind, digits of all
// scripts, contractions in all cases, long runs of spaces, newlines and
// punctuation, plus real text found on the machine; encodes each document
// with npm's tiktoken (o200k_base, encode_ordinary) and writes
//   per document: u32 byte length, UTF-8 bytes, u32 id count, u32 ids
// Usage: node gen_corpus.cjs OUT.bin [MEGABYTES]   (deterministic)
// A missing input (the tiktoken package, Debian's UnicodeData.txt) is one
// line on stderr naming it, and exit status 2.
"use strict";
const fs = require("fs");
const path = require("path");

function fail(what, why) {
  process.stderr.write(`gen_corpus.cjs: ${what}: ${why}\n`);
  process.exit(2);
}

let get_encoding;
try {
  ({ get_encoding } = require("tiktoken"));
} catch (e) {
  fail("tiktoken", `cannot load the npm package (${e.code || e.message}); NODE_PATH=${process.env.NODE_PATH || "(unset)"}`);
}

const out = process.argv[2];
if (!out) fail("usage", "node gen_corpus.cjs OUT.bin [MEGABYTES]");
const targetBytes = (Number(process.argv[3]) || 5.5) * 1024 * 1024;

const { corpus } = require("../tokdiff/corpus.cjs");
const { real, synthetic: syntheticDoc, categories } = corpus(targetBytes, fail);
const realTexts = () => real;

const enc = get_encoding("o200k_base");
const chunks = [];
let bytes = 0, docs = 0;
function emit(text) {
  const utf8 = Buffer.from(text, "utf8");
  const ids = enc.encode_ordinary(text);
  const head = Buffer.alloc(4); head.writeUInt32LE(utf8.length);
  const count = Buffer.alloc(4); count.writeUInt32LE(ids.length);
  chunks.push(head, utf8, count, Buffer.from(new Uint32Array(ids).buffer));
  bytes += utf8.length; docs++;
}
let realBytes = 0;
for (const t of realTexts()) {
  if (realBytes > targetBytes / 3) break;
  emit(t); realBytes += Buffer.byteLength(t);
}
while (bytes < targetBytes) emit(syntheticDoc());
enc.free();
try {
  fs.writeFileSync(out, Buffer.concat(chunks));
} catch (e) {
  fail(out, e.message);
}
console.log(`${docs} documents, ${(bytes / 1048576).toFixed(2)} MiB (${(realBytes / 1048576).toFixed(2)} MiB real text), ${categories.length} categories`);
