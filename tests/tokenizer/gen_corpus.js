#!/usr/bin/env node
// Writes the tokenizer parity corpus to stdout: one test case per line, deterministic (fixed seed),
// mixing languages, code, numbers, emoji, whitespace runs, special tokens, invalid UTF-8 and edge
// cases (usage: node gen_corpus.js [--seed N] [--random-lines N] > corpus.txt). Lines never contain '\n' (every other byte may appear). Characters come from Unicode 14 or
// earlier, the version of the PCRE2 and Python tables seek is built with (see nfc_tables.cpp).
'use strict';

// Options for stress runs: --seed N changes every random choice, --random-lines N the number of
// random mixture lines at the end (default 700).
const argValue = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
let seed = argValue('--seed', 0x5eed1234);
const randomLines = argValue('--random-lines', 700);
function rand() {  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rand() * a.length)];
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const repeat = (n, f) => Array.from({ length: n }, f).join('');
function shuffle(a) {  // Fisher-Yates: deterministic for a given seed on every engine
  for (let i = a.length - 1; i > 0; --i) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
const thousands = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

const lines = [];  // Buffers
const add = (s) => lines.push(Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'));

// --- English prose with contractions in every case --------------------------------------------
const words = ('the of and to in is was he for it with as his on be at by I this had not are but from or have ' +
  'an they which one you were her all she there would their we him been has when who will more no if out so ' +
  'said what up its about into than them can only other new some could time these two may then do first any ' +
  'my now such like our over man me even most made after also did many before must through back years where ' +
  'much your way well down should because each just those people Mr how too little state good very make world ' +
  'still own see men work long get here between both life being under never day same another know while last ' +
  'tokenizer transformer attention DeepSeek Qwen Llama latent mixture experts inference quantization').split(' ');
const contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'M", "'LL", "'D",
  "'Ll", "’s", "’t", "'"];
const punct = ['.', ',', '!', '?', ';', ':', '...', ' -', ' —', '"', "'", '(', ')', '!?', '?!'];
for (let i = 0; i < 300; ++i) {
  let s = '';
  const n = int(3, 25);
  for (let k = 0; k < n; ++k) {
    let w = pick(words);
    if (rand() < 0.12) w = w[0].toUpperCase() + w.slice(1);
    if (rand() < 0.04) w = w.toUpperCase();
    if (rand() < 0.1) w += pick(contractions);
    s += (k ? ' ' : '') + w;
    if (rand() < 0.1) s += pick(punct);
  }
  add(s + pick(['.', '!', '?', '', '\r', ' ', '  ']));
}
for (const c of ["it's", "IT'S", "don't", "DON'T", "we're", "WE'RE", "they've", "I'm", "you'll", "YOU'LL",
  "he'd", "'s'", "''s", "'sss", "x'S y'T", "rock'n'roll", "O'Neil's", "'ll'll'll", "it'ſ it'K", "’tis"])
  add(`Contraction test: ${c} and ${c.toUpperCase()} and ${c.toLowerCase()}`);

// --- CJK, Korean and other scripts ----------------------------------------------------------------
const zh = '的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事其里所去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此心前面又定见只主没公从知文' +
  '深度求索模型推理训练注意力机制专家混合量化分词器';
const ja = 'これはテストです。日本語の文章を書きます。カタカナとひらがなと漢字が混ざっています。ﾊﾝｶｸｶﾀｶﾅもあります。ー〜';
const ko = '안녕하세요 한국어 문장입니다 토크나이저 테스트를 합니다 서울특별시 대한민국';
for (let i = 0; i < 120; ++i) add(repeat(int(2, 40), () => pick(zh)) + pick(['。', '，', '！', '？', '', '、']));
for (let i = 0; i < 60; ++i) add(Array.from(ja).slice(int(0, 20), int(21, ja.length)).join('') + pick(['', '。', ' ']));
for (let i = 0; i < 60; ++i) add(shuffle(ko.split(' ')).join(pick([' ', '  ', ', '])));
const scripts = [
  'Привет, как дела? Это тест токенизатора.', 'Γειά σου κόσμε, αυτό είναι δοκιμή.',
  'مرحبا بالعالم، هذا اختبار 123 للترميز.', 'שלום עולם, זהו מבחן 456.', 'नमस्ते दुनिया, यह एक परीक्षण है।',
  'สวัสดีชาวโลก นี่คือการทดสอบ', 'Xin chào thế giới, đây là bài kiểm tra tiếng Việt.',
  'Ṫḧïṡ ïṡ ḋïäċṛïẗïċṡ', 'English العربية עברית 中文 mixed ‏RTL‎ marks', 'Zürich Straße Ærøskøbing façade naïve',
  'ⅫⅣ Ⅱ ½ ¾ ² ³ ₁₂ ① ② ⑳', '∀x∈ℝ: x²≥0 ⇒ √(x²)=|x| ∑ ∫ ∂', '١٢٣٤٥ ٦٧٨٩٠ ۱۲۳ १२३ ١٢٣٤',
  'ＦＵＬＬＷＩＤＴＨ　ｔｅｘｔ　１２３４５', 'ﬁ ﬂ ﬀ ligatures and ℌ ℍ 𝕏 𝔸 math letters',
];
for (const s of scripts) { add(s); add(s + ' ' + s.split('').reverse().join('')); }

// --- Combining marks and normalization (NFC changes these) ----------------------------------------
const marks = ['\u0301', '\u0300', '\u0308', '\u0327', '\u0323', '\u030A', '\u0302', '\u0303', '\u0316', '\u0345',
  '\u05B4', '\u0651', '\u064E', '\u093C', '\u20DD', '\u302A'];
for (let i = 0; i < 80; ++i) {
  let s = '';
  for (let k = 0; k < int(3, 20); ++k) {
    s += pick('aeiouAEIOUcnszgkhwy한ㄱ각'.split('')) + repeat(int(0, 3), () => pick(marks));
    if (rand() < 0.2) s += ' ';
  }
  add(s);
}
for (const s of ['e\u0301 vs é', 'A\u030A \u212B \u00C5', '\u2126 Ω \u212A K', '\u1100\u1161\u11A8 각',
  '\u1112\u1161\u11AB\u1100\u1173\u11AF', 'q\u0307\u0323 q\u0323\u0307', '\u0344 \u0340 \u0341 \u0343',
  '\uF900\uF901 \uFA10 豈', 'ậ ậ ặ ằ', 'Z\u0351\u036B\u0343\u036A\u0302\u036B\u033D\u034F\u0334\u0319\u0324',
  '\u0915\u093C \u0958', 'a\u0328\u0301 ą́'])
  add(s);

// --- Code ---------------------------------------------------------------------------------------
const code = [
  'def encode(self, text: str) -> list[int]:', '    return [self.vocab[t] for t in text.split()]',
  '\tif (x != nullptr && *x >= 0x7FFF) { return -1; }', 'for (int i = 0; i < n; ++i) sum += a[i] * b[i];',
  '#include <vector>  // std::vector<int32_t>', 'template <typename T> T max(T a, T b) { return a > b ? a : b; }',
  '{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}',
  '[{"id":1,"tags":["a","b"],"score":-0.125e-3,"ok":true,"nil":null}]', 'SELECT * FROM users WHERE id = 42;',
  'x = {k: v**2 for k, v in d.items() if v % 2 == 0}', 'console.log(`${a}+${b}=${a + b}`);',
  '        self.assertEqual(tok.encode("hi"), [1, 2, 3])', '\t\t\treturn std::move(result_);',
  'https://example.com/path/to/page?query=1&lang=en#section-2', 'user@example.org <mailto:user@example.org>',
  '$ ls -la /usr/local/bin | grep -E "^d" > out.txt 2>&1', 'a:b::c:::d;;;e,,,f...g', '<div class="x">&amp;&lt;</div>',
  'fn main() { println!("{:?}", vec![1u8, 2, 3]); }', 'matrix[i][j] += alpha * A[i][k] * B[k][j]; // GEMM',
];
for (const c of code) { add(c); add('    ' + c); add('\t' + c + '   '); }

// --- Numbers of every length ----------------------------------------------------------------
const digits = (n) => repeat(n, () => String(int(0, 9)));
for (let n = 1; n <= 40; ++n) {
  add(digits(n));
  add('-' + digits(n) + '.' + digits(int(1, 6)));
  add(`x${digits(n)}y ${digits(n)}abc`);
}
for (let i = 0; i < 40; ++i)
  add(pick(['$', '€', '', '¥', '-', '+']) + thousands(int(0, 1e6)) + pick(['', '.00', '%', 'e-7', 'E+12', 'kg']));
add('3.14159265358979323846264338327950288419716939937510 2.71828 -0.0 1e308 0x1F 0b1010 0o777 1_000_000');
add('２０２４年１月１日 ¹²³ ⁴⁵⁶ ₇₈₉ 0.5 .5 5. 1,000,000.00 1.000.000,00');

// --- Emoji --------------------------------------------------------------------------------------
const emoji = ['😀', '🙂', '👍', '👍🏽', '❤️', '🔥', '🚀', '🇺🇸', '🇯🇵', '🇨🇳', '🏳️‍🌈', '👨‍👩‍👧‍👦', '👩🏾‍💻',
  '🧑‍🤝‍🧑', '1️⃣', '#️⃣', '©️', '™', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '🫠', '🥲', '☺', '✌🏻', '🤷‍♂️', '👁️‍🗨️', '🐈‍⬛'];
for (let i = 0; i < 80; ++i) {
  let s = '';
  for (let k = 0; k < int(1, 12); ++k) s += (rand() < 0.4 ? pick(words) + pick([' ', '']) : '') + pick(emoji);
  add(s);
}

// --- Whitespace runs -----------------------------------------------------------------------------
const spaces = [' ', '  ', '   ', '\t', '\t\t', ' \t', '\r', '\r\r', '\v', '\f', '\u00A0', '\u3000', '\u2028',
  '\u2029', '\u0085', '\u2003', '\u200B', '\uFEFF', '\u180E', '\u202F', '\u205F', '\u1680', '\u200D'];
for (let i = 0; i < 150; ++i) {
  let s = rand() < 0.5 ? repeat(int(1, 3), () => pick(spaces)) : '';
  for (let k = 0; k < int(1, 8); ++k)
    s += pick([...words.slice(0, 30), '中文', '123', '!!', 'x']) + repeat(int(1, 4), () => pick(spaces));
  add(s);
}
for (let n = 1; n <= 20; ++n) { add(' '.repeat(n)); add('\t'.repeat(n)); add('a' + ' '.repeat(n) + 'b'); }
add('');
add('');
add(' ');
add('trailing spaces   ');
add('   leading spaces');

// --- Special tokens inside text -----------------------------------------------------------------
const specials = ['<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>', '<｜User｜>', '<｜Assistant｜>', '<think>',
  '</think>', '<｜tool▁calls▁begin｜>', '<｜tool▁call▁begin｜>', '<｜tool▁sep｜>', '<｜fim▁hole｜>', '<|EOT|>',
  '<|im_start|>', '<|im_end|>', '<|endoftext|>', '<tool_call>', '</tool_call>', '<|fim_prefix|>',
  '<|begin_of_text|>', '<|eot_id|>', '<|start_header_id|>', '<|end_header_id|>', '<|reserved_special_token_5|>',
  '<｜place▁holder▁no▁7｜>', '<|im_start', 'im_end|>', '<｜User', '<<|im_end|>>', '<think></think>'];
for (let i = 0; i < 120; ++i) {
  let s = '';
  for (let k = 0; k < int(1, 6); ++k) {
    s += pick(specials);
    if (rand() < 0.7) s += pick(['', ' ', '\t', '  ']) + pick(words) + pick(['', ' ', '中文', '123']);
  }
  add(s);
}
add('<|im_start|>user\\nHello<|im_end|>');
add('<｜User｜>What is 2+2?<｜Assistant｜><think>\\nsimple</think>4<｜end▁of▁sentence｜>');

// --- Invalid UTF-8 --------------------------------------------------------------------------------
const bad = [[0x80], [0xBF], [0xC0, 0xAF], [0xC1, 0x81], [0xE4, 0xB8], [0xED, 0xA0, 0x80], [0xF5], [0xFF], [0xFE],
  [0xF0, 0x9F, 0x98], [0xF0, 0x9F], [0xE0, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3], [0xE2, 0x82],
  [0xF8, 0x88, 0x80, 0x80, 0x80], [0xEF, 0xBF, 0xBD]];
for (let i = 0; i < 80; ++i) {
  const parts = [];
  for (let k = 0; k < int(1, 6); ++k) {
    parts.push(Buffer.from(pick([...words.slice(0, 20), '中文', ' ', '123', '', 'é']), 'utf8'));
    parts.push(Buffer.from(pick(bad)));
  }
  add(Buffer.concat(parts));
}

// --- Edge cases -------------------------------------------------------------------------------------
add('a'.repeat(500));
add('ab'.repeat(300));
add('Supercalifragilisticexpialidocious'.repeat(12));
add(repeat(600, () => pick(zh)));
add('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo='.repeat(20));
add('!'.repeat(300) + '?'.repeat(100));
add('-'.repeat(200) + '='.repeat(100) + '_'.repeat(100));
add('\u200B'.repeat(50) + 'zero width' + '\u200C\u200D'.repeat(20));
add(repeat(200, () => pick(emoji)));
add('x' + '\u0301'.repeat(100));
add('\x00\x01\x02\x03\x1b[31mred\x1b[0m\x7f\x08');

// --- Random mixtures of everything above -----------------------------------------------------------
const pool = [...'abcXYZ019 \t\r.,!?\'"-_/\\@#$%^&*()[]{}<>|~`+=:;', ...specials, ...emoji, ...spaces, ...marks,
  ...Array.from(zh.slice(0, 60)), ...Array.from(ja.slice(0, 30)), ...Array.from(ko.slice(0, 20)), 'é', 'ß', 'ſ', 'İ',
  'ﬁ', '½', '²', '٣', 'Ⅻ', '\u212B', '\u2126', '\uF900', "'s", "'LL", ' 12', '3456', 'the', ' The', 'ing'];
for (let i = 0; i < randomLines; ++i) {
  const parts = [Buffer.alloc(0)];
  for (let k = 0; k < int(1, 30); ++k) {
    if (rand() < 0.03) parts.push(Buffer.from(pick(bad)));
    else parts.push(Buffer.from(pick(pool), 'utf8'));
  }
  add(Buffer.concat(parts));
}

process.stdout.write(Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
