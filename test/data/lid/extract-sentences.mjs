#!/usr/bin/env node
// Builds test/data/lid/sentences.tsv: prose sentences from Debian's manual pages in 25 languages (the `manpages`
// and `manpages-XX` packages, installed with apt), for checking lid-176 against fastText itself. Roff markup is
// stripped, paragraphs are split into sentences, and only prose-looking sentences in the package's own script are
// kept (no options, paths, code or untranslated English); then up to PER_LANGUAGE per language, spread evenly
// over the candidates, in a stable order. Deterministic for the same package versions (see README.md).
//
//   apt-get install -y manpages manpages-cs manpages-da ... (README.md lists them)
//   node test/data/lid/extract-sentences.mjs > test/data/lid/sentences.tsv
import { execFileSync } from "node:child_process";
import { lstatSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const PER_LANGUAGE = 150;

/** Debian package → [man directory, fastText label, script]. */
const PACKAGES = {
  manpages: ["/usr/share/man/man", "en", "latin"],
  "manpages-cs": ["/usr/share/man/cs/", "cs", "latin"],
  "manpages-da": ["/usr/share/man/da/", "da", "latin"],
  "manpages-de": ["/usr/share/man/de/", "de", "latin"],
  "manpages-el": ["/usr/share/man/el/", "el", "greek"],
  "manpages-es": ["/usr/share/man/es/", "es", "latin"],
  "manpages-fi": ["/usr/share/man/fi/", "fi", "latin"],
  "manpages-fr": ["/usr/share/man/fr/", "fr", "latin"],
  "manpages-hu": ["/usr/share/man/hu/", "hu", "latin"],
  "manpages-id": ["/usr/share/man/id/", "id", "latin"],
  "manpages-it": ["/usr/share/man/it/", "it", "latin"],
  "manpages-ja": ["/usr/share/man/ja/", "ja", "cjk"],
  "manpages-mk": ["/usr/share/man/mk/", "mk", "cyrillic"],
  "manpages-nb": ["/usr/share/man/nb/", "no", "latin"],
  "manpages-nl": ["/usr/share/man/nl/", "nl", "latin"],
  "manpages-pl": ["/usr/share/man/pl/", "pl", "latin"],
  "manpages-pt-br": ["/usr/share/man/pt_BR/", "pt", "latin"],
  "manpages-ro": ["/usr/share/man/ro/", "ro", "latin"],
  "manpages-ru": ["/usr/share/man/ru/", "ru", "cyrillic"],
  "manpages-sr": ["/usr/share/man/sr/", "sr", "cyrillic"],
  "manpages-sv": ["/usr/share/man/sv/", "sv", "latin"],
  "manpages-tr": ["/usr/share/man/tr/", "tr", "latin"],
  "manpages-uk": ["/usr/share/man/uk/", "uk", "cyrillic"],
  "manpages-vi": ["/usr/share/man/vi/", "vi", "latin"],
  "manpages-zh": ["/usr/share/man/zh_", "zh", "cjk"],
};

const SCRIPTS = {
  latin: /\p{Script=Latin}/u,
  greek: /\p{Script=Greek}/u,
  cyrillic: /\p{Script=Cyrillic}/u,
  cjk: /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u,
};

/** Common English words: when they make 30% of a sentence of a translated page, it was left untranslated. */
const ENGLISH = new Set(
  ("the a an and or of to in is are be by for with this that which when if not no as on at from it its use used can may will " +
    "should would all any each has have given file files option default error errors see set only").split(" "),
);

/** Named roff characters that occur in prose. */
const NAMED = { em: "—", en: "–", aq: "'", dq: '"', lq: "“", rq: "”", oq: "‘", cq: "’", co: "©", rg: "®", bu: "•", hy: "-", mi: "-", ti: "~", "Fo": "«", "Fc": "»", ">=": "≥", "<=": "≤" };

function unescape(text) {
  return text
    .replace(/\\f(\[[^\]]*\]|\(..|.)/g, "") // font changes
    .replace(/\\s[+-]?\d/g, "") // size changes
    .replace(/\\\*(\[[^\]]*\]|\(..|.)/g, "") // strings
    .replace(/\\\((..)/g, (_, name) => NAMED[name] ?? "")
    .replace(/\\\[([^\]]*)\]/g, (_, name) => NAMED[name] ?? "")
    .replace(/\\[-]/g, "-")
    .replace(/\\e/g, "\\")
    .replace(/\\[ ~0]/g, " ")
    .replace(/\\[&%c:|^)/,]/g, "")
    .replace(/\\./g, "");
}

/** The paragraphs of prose of one roff page: plain text lines, no requests, tags, examples or tables. */
function paragraphs(roff) {
  const out = [];
  let current = [];
  let noFill = false;
  let skipNext = false;
  const flush = () => {
    if (current.length > 0) out.push(current.join(" "));
    current = [];
  };
  for (const line of roff.split("\n")) {
    if (line.startsWith(".") || line.startsWith("'")) {
      const request = line.slice(1).trim().split(/\s+/)[0] ?? "";
      if (["nf", "EX", "TS", "EQ", "DS"].includes(request)) noFill = true;
      if (["fi", "EE", "TE", "EN", "DE"].includes(request)) noFill = false;
      if (request === "TP") skipNext = true;
      if (!["\\\"", "br", "sp", "B", "I", "BR", "IR", "RB", "RI", "BI", "IB", "UR", "UE", "MT", "ME"].includes(request)) flush();
      continue;
    }
    if (noFill) continue;
    if (skipNext) {
      skipNext = false;
      continue;
    }
    if (line.trim() === "") {
      flush();
      continue;
    }
    current.push(unescape(line).trim());
  }
  flush();
  return out;
}

function sentences(paragraph, script) {
  const text = paragraph.replace(/\s+/g, " ").trim();
  const parts = script === "cjk" ? text.split(/(?<=[。！？])/u) : text.split(/(?<=[.!?])\s+(?=[\p{Lu}\p{Lo}"“«(])/u);
  return parts.map((s) => s.trim()).filter(Boolean);
}

function isProse(sentence, script, label) {
  const length = [...sentence].length;
  if (script === "cjk" ? length < 12 || length > 140 : length < 40 || length > 260) return false;
  if (/[/\\=<>{}[\]|_$#@*~`^]|--|\.\.|\w\(\d*\)/.test(sentence)) return false;
  const letters = [...sentence].filter((c) => /\p{L}/u.test(c));
  const inScript = letters.filter((c) => SCRIPTS[script].test(c)).length;
  if (letters.length === 0 || inScript / letters.length < (script === "cjk" ? 0.6 : 0.9)) return false;
  if ((sentence.match(/\d/g) ?? []).length > 4) return false;
  if (script !== "cjk" && sentence.split(" ").length < 6) return false;
  if (label !== "en") {
    const words = sentence.toLowerCase().split(/[^\p{L}]+/u).filter(Boolean);
    if (words.filter((w) => ENGLISH.has(w)).length >= 0.3 * words.length) return false;
  }
  return /[.!?。！？]$/u.test(sentence);
}

const rows = [];
for (const [pkg, [prefix, label, script]] of Object.entries(PACKAGES)) {
  const files = execFileSync("dpkg", ["-L", pkg], { encoding: "utf8" })
    .split("\n")
    .filter((f) => f.startsWith(prefix) && f.endsWith(".gz") && lstatSync(f).isFile())
    .sort();
  const seen = new Set();
  const candidates = [];
  for (const file of files) {
    const roff = gunzipSync(readFileSync(file)).toString("utf8");
    if (roff.startsWith(".so ")) continue;
    const source = `${pkg}:${file.replace(/^\/usr\/share\/man\//, "").replace(/\.gz$/, "")}`;
    for (const paragraph of paragraphs(roff)) {
      for (const sentence of sentences(paragraph, script)) {
        if (!isProse(sentence, script, label) || seen.has(sentence)) continue;
        seen.add(sentence);
        candidates.push([label, source, sentence]);
      }
    }
  }
  const take = Math.min(PER_LANGUAGE, candidates.length);
  for (let i = 0; i < take; i++) rows.push(candidates[Math.floor((i * candidates.length) / take)]);
  process.stderr.write(`${pkg} (${label}): ${files.length} pages, ${candidates.length} candidate sentences, ${take} kept\n`);
}
process.stdout.write("language\tsource\tsentence\n" + rows.map((row) => row.join("\t")).join("\n") + "\n");
