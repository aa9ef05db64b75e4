#!/usr/bin/env node
// A tokenizer trained by `seek tokenizer train`, checked against Hugging Face `tokenizers` (the Rust
// library through its Node binding) reading the files seek wrote.
//
//   node trained_parity.js SEEK_BINARY CORPUS
//
// 1. Trains on the first half of CORPUS's lines, twice: both runs must write identical bytes.
// 2. HF loads DIR/tokenizer.json: vocabulary size (added tokens included) as asked, DeepSeek's
//    tokens at the documented ids, tokenizer_config.json as documented (R1 chat template).
// 3. Every line of CORPUS (the second half was never seen in training) and the whole file at once:
//    `seek tokenize --special` ids equal HF's, and HF decodes them back to the text (lines are read
//    as Node reads text, invalid UTF-8 becoming U+FFFD, which is seek's rule too).
// 4. HF's own BpeTrainer (Tokenizer.train, min_frequency 0) learns exactly seek's merges, in order,
//    until no pair is left. HF's train() reads every line as its own text and does not cut added
//    tokens out, so this runs on the lines that start with a letter, digit, punctuation or symbol
//    and hold no added token: for those, line-by-line pre-tokens equal whole-file ones.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { Tokenizer } = require('tokenizers');

const [seekBin, corpusPath] = process.argv.slice(2);
if (!seekBin || !corpusPath) {
  console.error('usage: node trained_parity.js SEEK_BINARY CORPUS');
  process.exit(2);
}
const VOCAB_SIZE = 2000;
const MAX_SHOWN = 10;
// Layout documented in src/tokenizer/bpe_trainer.h.
const EXPECTED_IDS = {
  '<｜begin▁of▁sentence｜>': 0,
  '<｜end▁of▁sentence｜>': 1,
  '<｜▁pad▁｜>': 2,
  '!': 3,
  'Ġ': 223,
  '<｜User｜>': VOCAB_SIZE - 4,
  '<｜Assistant｜>': VOCAB_SIZE - 3,
  '<think>': VOCAB_SIZE - 2,
  '</think>': VOCAB_SIZE - 1,
};

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

function train(input, outDir) {
  execFileSync(seekBin, ['tokenizer', 'train', '--input', input, '--vocab-size', String(VOCAB_SIZE), '--out', outDir],
    { stdio: ['ignore', 'ignore', 'pipe'] });  // its summary line only shows up in a failure
}

function runSeek(modelDir, args) {
  const out = execFileSync(seekBin, ['tokenize', '--model', modelDir, '--special', ...args],
    { maxBuffer: 1 << 30, encoding: 'utf8' });
  return out.split('\n').slice(0, -1).map((l) => (l === '' ? [] : l.split(' ').map(Number)));
}

const ADDED_TOKENS = ['<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>', '<｜▁pad▁｜>', '<｜User｜>', '<｜Assistant｜>',
  '<think>', '</think>'];

// Check 4: the merges of seek and of HF's trainer on the same text; returns a problem or null.
function compareWithHfTrainer(lines, work) {
  const keep = lines.filter((l) => /^[\p{L}\p{N}\p{P}\p{S}]/u.test(l) && !ADDED_TOKENS.some((t) => l.includes(t)));
  const textPath = path.join(work, 'hf_train.txt');
  fs.writeFileSync(textPath, keep.join('\n') + '\n');
  const seekDir = path.join(work, 'exhaust');
  execFileSync(seekBin, ['tokenizer', 'train', '--input', textPath, '--vocab-size', '1000000', '--min-frequency', '0',
    '--out', seekDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Training from seek's own file gives HF the same pre-tokenizer and added tokens. It runs in a
  // child process because HF's trainer prints progress lines that cannot be turned off here.
  const hfTrain = "const { Tokenizer } = require('tokenizers'); const [src, text, out] = process.argv.slice(1);" +
    'const t = Tokenizer.fromFile(src); t.train([text]); t.save(out, false);';
  execFileSync(process.execPath, ['-e', hfTrain, path.join(seekDir, 'tokenizer.json'), textPath,
    path.join(work, 'hf_trained.json')], { cwd: __dirname, stdio: ['ignore', 'ignore', 'pipe'] });
  const asPair = (m) => (typeof m === 'string' ? m.split(' ') : m);
  const ours = JSON.parse(fs.readFileSync(path.join(seekDir, 'tokenizer.json'), 'utf8')).model.merges.map(asPair);
  const theirs = JSON.parse(fs.readFileSync(path.join(work, 'hf_trained.json'), 'utf8')).model.merges.map(asPair);
  const differ = ours.findIndex((m, i) => !theirs[i] || m[0] !== theirs[i][0] || m[1] !== theirs[i][1]);
  console.log(`HF BpeTrainer on ${keep.length} lines: ${theirs.length} merges, seek ${ours.length}` +
    (differ < 0 && ours.length === theirs.length ? ', identical' : ''));
  if (differ >= 0) {
    return `merge ${differ} differs from HF's trainer: seek ${JSON.stringify(ours[differ])}, ` +
      `HF ${JSON.stringify(theirs[differ])}`;
  }
  if (ours.length !== theirs.length) return `seek learned ${ours.length} merges, HF's trainer ${theirs.length}`;
  return null;
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

async function main() {
  const corpus = fs.readFileSync(corpusPath);
  const lineBufs = splitLines(corpus);
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  const lines = lineBufs.map((b) => decoder.decode(b));
  const problems = [];

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seek-trained-parity-'));
  try {
    const trainPath = path.join(work, 'train.txt');
    const half = Math.ceil(lineBufs.length / 2);
    fs.writeFileSync(trainPath, Buffer.concat(lineBufs.slice(0, half).flatMap((b) => [b, Buffer.from('\n')])));
    const dirA = path.join(work, 'a');
    const dirB = path.join(work, 'b');
    train(trainPath, dirA);
    train(trainPath, dirB);
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
      if (!fs.readFileSync(path.join(dirA, f)).equals(fs.readFileSync(path.join(dirB, f)))) {
        problems.push(`${f} differs between two runs on the same input`);
      }
    }

    const hf = Tokenizer.fromFile(path.join(dirA, 'tokenizer.json'));
    if (hf.getVocabSize(true) !== VOCAB_SIZE) problems.push(`HF vocab size ${hf.getVocabSize(true)}, asked ${VOCAB_SIZE}`);
    for (const [token, id] of Object.entries(EXPECTED_IDS)) {
      if (hf.tokenToId(token) !== id) problems.push(`HF id of ${token} is ${hf.tokenToId(token)}, expected ${id}`);
    }
    const config = JSON.parse(fs.readFileSync(path.join(dirA, 'tokenizer_config.json'), 'utf8'));
    const r1 = fs.readFileSync(path.join(__dirname, 'templates', 'deepseek_r1.jinja'), 'utf8');
    if (config.chat_template !== r1) problems.push('chat_template is not templates/deepseek_r1.jinja');
    if (config.bos_token !== '<｜begin▁of▁sentence｜>' || config.eos_token !== '<｜end▁of▁sentence｜>' ||
        config.pad_token !== '<｜▁pad▁｜>' || config.add_bos_token !== true ||
        config.tokenizer_class !== 'LlamaTokenizerFast') {
      problems.push('tokenizer_config.json special-token fields are not as documented');
    }

    const hfEncode = async (s) => Array.from((await hf.encode(s, null, { addSpecialTokens: false })).getIds());
    const seekLines = runSeek(dirA, ['--lines', '--file', corpusPath]);
    if (seekLines.length !== lines.length) {
      problems.push(`seek printed ${seekLines.length} lines for ${lines.length} input lines`);
    } else {
      let equal = 0;
      let roundTrips = 0;
      for (let i = 0; i < lines.length; ++i) {
        const want = await hfEncode(lines[i]);
        if (same(seekLines[i], want)) ++equal;
        else if (problems.length < MAX_SHOWN) {
          problems.push(`line ${i + 1} ${JSON.stringify(lines[i])}\n    seek: ${seekLines[i].join(' ')}\n` +
            `    HF:   ${want.join(' ')}`);
        }
        if ((await hf.decode(want, false)) === lines[i]) ++roundTrips;
        else if (problems.length < MAX_SHOWN) problems.push(`line ${i + 1}: HF decode does not give the text back`);
      }
      const wholeText = decoder.decode(corpus);
      const wholeWant = await hfEncode(wholeText);
      const wholeSeek = runSeek(dirA, ['--file', corpusPath])[0] || [];
      const wholeOk = same(wholeSeek, wholeWant) && (await hf.decode(wholeWant, false)) === wholeText;
      if (!wholeOk) problems.push('whole file: seek and HF ids differ or do not decode back');
      console.log(`trained (vocab ${VOCAB_SIZE}, ${half} of ${lines.length} lines): ${equal}/${lines.length} lines ` +
        `equal to HF tokenizers, ${roundTrips} round-trip through HF decode; whole file ` +
        `(${wholeWant.length} ids) ${wholeOk ? 'equal' : 'DIFFERENT'}`);
    }
    const trainerProblem = compareWithHfTrainer(lines, work);
    if (trainerProblem) problems.push(trainerProblem);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  for (const p of problems) console.log(`  FAIL ${p}`);
  process.exit(problems.length ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
