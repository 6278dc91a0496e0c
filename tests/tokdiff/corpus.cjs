// The differential corpus shared by the tokenizer tests (tests/tiktoken,
// tests/tokdiff): text that covers every Unicode category, many scripts, every
// whitespace kind, digits of all scripts, contractions in all cases, long runs
// of spaces, newlines and punctuation, plus real text found on the machine
// (licenses, C headers, Python sources). Deterministic: the same documents on
// every machine with the same files.
//   corpus(targetBytes, fail) -> { real: [strings], synthetic: () => string, categories }
// fail(what, why) is called (and must not return) when Debian's UnicodeData.txt is missing.
"use strict";
const fs = require("fs");
const path = require("path");

function corpus(targetBytes, fail) {
  let seed = 0x9e3779b9;
  function rand() { // xorshift32: the same corpus on every machine
    seed ^= seed << 13; seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5; seed >>>= 0;
    return seed / 4294967296;
  }
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

  // Code points by general category from Debian's unicode-data, the same data
  // moetop's tables come from (so both sides agree on which characters exist).
  const byCategory = {};
  const ucd = "/usr/share/unicode/UnicodeData.txt";
  {
    let text = "", first = null;
    try {
      text = fs.readFileSync(ucd, "utf8");
    } catch (e) {
      fail(ucd, `${e.code === "ENOENT" ? "missing" : e.message} (Debian package unicode-data: sh tools/deps.sh installs it)`);
    }
    for (const line of text.split("\n")) {
      const f = line.split(";");
      if (f.length < 3) continue;
      const cp = parseInt(f[0], 16), name = f[1], cat = f[2];
      if (cat === "Cs" || cat === "Co") continue; // surrogates cannot be in a JS string; private use is dull
      if (name.endsWith(", First>")) { first = cp; continue; }
      const lo = name.endsWith(", Last>") ? first : cp;
      (byCategory[cat] = byCategory[cat] || []).push([lo, cp]);
    }
  }
  const categories = Object.keys(byCategory).sort();
  if (categories.length < 27) fail(ucd, `only ${categories.length} of the 27 general categories it lists (Cs and Co left out); not Unicode data?`);
  function charOf(cat) {
    const ranges = byCategory[cat];
    const [lo, hi] = pick(ranges);
    return String.fromCodePoint(int(lo, hi));
  }

  const scripts = [ // [first, last] code points of letters in common scripts
    [0x41, 0x5a], [0x61, 0x7a], [0xc0, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x531, 0x587], [0x5d0, 0x5ea],
    [0x620, 0x64a], [0x905, 0x939], [0x985, 0x9b9], [0xe01, 0xe30], [0x10d0, 0x10fa], [0x1100, 0x1112],
    [0x3041, 0x3096], [0x30a1, 0x30fa], [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0x1e00, 0x1eff],
  ];
  const marks = [0x300, 0x301, 0x302, 0x308, 0x327, 0x93f, 0x94d, 0x64e, 0x5b4, 0xe31, 0x20dd];
  const spaces = ["\t", "\n", "\x0b", "\x0c", "\r", " ", "\x85", "\xa0", "\u1680", "\u2000", "\u2005", "\u200a",
    "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\r\n"];
  const digitZeros = [0x30, 0x660, 0x6f0, 0x966, 0x9e6, 0xe50, 0xff10, 0x1d7ce, 0x104a0];
  const contractions = ["s", "t", "re", "ve", "m", "ll", "d"];
  const punct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\u00a1\u00bf\u2014\u2026\u3001\u3002\uff01\u00ab\u00bb\u2018\u2019\u201c\u201d";
  const words = ["the", "The", "THE", "quick", "Brown", "fOX", "don", "I", "we", "They", "It", "camelCase", "HTTPServer",
    "naïve", "Ünïcödé", "straße", "ǅemal", "ǈudevit", "Ωmega", "число", "mañana", "日本語", "한국어", "عربي", "עברית"];

  function caseVariants(s) {
    let r = "";
    for (const ch of s) r += rand() < 0.5 ? ch.toUpperCase() : ch;
    return r.replace(/s/g, () => (rand() < 0.15 ? "\u017f" : "s"));
  }

  const generators = [
    () => { let s = ""; for (let i = int(1, 40); i > 0; i--) s += charOf(pick(categories)); return s; },
    () => { const [lo, hi] = pick(scripts); let s = ""; for (let i = int(1, 12); i > 0; i--) s += String.fromCodePoint(int(lo, hi)); return s; },
    () => { const [lo, hi] = pick(scripts); let s = String.fromCodePoint(int(lo, hi)); for (let i = int(1, 3); i > 0; i--) s += String.fromCodePoint(pick(marks)); return s; },
    () => { let s = ""; for (let i = int(1, 6); i > 0; i--) s += pick(spaces); return s; },
    () => " ".repeat(int(1, 300)),
    () => "\n".repeat(int(1, 12)) + (rand() < 0.5 ? " ".repeat(int(0, 8)) : ""),
    () => { const z = pick(digitZeros); let s = ""; for (let i = int(1, 12); i > 0; i--) s += String.fromCodePoint(z + int(0, 9)); return s; },
    () => String(int(0, 1e9)) + pick(["", ".", ",", " * ", " = ", "/"]) + String(int(0, 99999)),
    () => pick(words) + "'" + caseVariants(pick(contractions)),
    () => caseVariants(pick(words)) + pick(["'", "\u2019"]) + pick(contractions),
    () => { let s = ""; for (let i = int(1, 20); i > 0; i--) s += pick(punct); return s + (rand() < 0.3 ? pick(["\r\n", "/", "\n\n"]) : ""); },
    () => pick(words) + pick(punct) + pick(words),
    () => charOf(pick(["Nd", "Nl", "No"])).repeat(int(1, 7)),
    () => charOf(pick(["Mn", "Mc", "Me"])) + charOf(pick(["Lu", "Ll", "Lo", "Lm", "Lt"])),
    () => "\ud83d\ude00\u200d\ud83d\udc4d" + pick(["", " ", "!", "x"]),
  ];

  function syntheticDoc() {
    let s = "";
    for (let i = int(5, 60); i > 0; i--) {
      s += pick(generators)();
      if (rand() < 0.5) s += pick([" ", " ", "", "\n", pick(punct)]);
    }
    return s;
  }

  function realTexts() {
    const roots = ["/usr/share/common-licenses", "/usr/include", "/usr/lib/python3.11", "/usr/share/doc/bash"];
    const files = [];
    for (const root of roots) {
      let names = [];
      try { names = fs.readdirSync(root).sort(); } catch { continue; }
      for (const n of names) {
        const p = path.join(root, n);
        try { if (fs.statSync(p).isFile() && fs.statSync(p).size < 200000) files.push(p); } catch {}
        if (files.length > 400) break;
      }
    }
    const docs = [];
    for (const p of files) {
      let text;
      try { text = fs.readFileSync(p, "utf8"); } catch { continue; } // unreadable: not part of the corpus
      if (!text.includes("\ufffd")) docs.push(text); // valid UTF-8 only: tiktoken takes strings
    }
    return docs;
  }
  return { real: realTexts(), synthetic: syntheticDoc, categories };
}

module.exports = { corpus };
