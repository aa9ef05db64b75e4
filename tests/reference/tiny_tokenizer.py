"""Tiny but real byte-level BPE tokenizers (tokenizer.json + tokenizer_config.json) for the
tiny checkpoints. The 256 ByteLevel byte tokens come first (GPT-2 bytes_to_unicode order),
then merges learned from the small text below, then special tokens laid out like the real
model family:

  deepseek_v3      <｜begin▁of▁sentence｜>=0 <｜end▁of▁sentence｜>=1 <｜▁pad▁｜>=2, bytes from 3, merges,
                   then <think>, </think>, fim, <｜User｜>, <｜Assistant｜>, <|EOT|>, tool tokens
                   (V3/R1 order); DeepSeek-V3 Split pre-tokenizer sequence; R1 chat template.
  deepseek_v2      bytes from 0, merges, then BOS, EOS, the rest (V2 layout: BOS after BPE);
                   ByteLevel pre-tokenizer with its own regex; R1 chat template.
  r1_distill_qwen  Qwen layout relabelled as in R1-Distill-Qwen (EOS, User, Assistant, BOS,
                   <|EOT|>, <think>, </think>, ...); Qwen2 Split pre-tokenizer; R1 template.
  qwen2_chatml     Qwen2.5 layout (<|endoftext|>, <|im_start|>, <|im_end|>); ChatML template.
  llama3           Llama-3.1 layout (<|begin_of_text|> ... <|eot_id|>); Llama-3 template;
                   ignore_merges true; BOS added by a TemplateProcessing post-processor.
  (qwen2_chatml writes merges in the newer [["a", "b"], ...] form, the others as "a b".)

Deterministic: the merges depend only on the text and the merge count.
"""

import re
from collections import Counter

TRAIN_TEXT = """\
The quick brown fox jumps over the lazy dog. The dog sleeps in the sun, and the fox runs into the forest.
Deep learning models read tokens, not characters. A tokenizer splits text into pieces that the model
has seen many times during training, and the embedding table turns every piece into a vector.
Multi-head latent attention compresses the keys and values into a small latent vector, which is
the only thing the cache needs to keep for every token. Mixture-of-experts layers route each token
to a few experts out of many; shared experts always run. The router chooses experts by their scores.
Question: what is 12 + 30? Answer: 42. Question: what is 7 * 8? Answer: 56. 100, 200, 300, 2024, 3.14159.
Please reason step by step, and put your final answer within \\boxed{}.
<think>
The user asks for the sum. First add the tens, then the ones. The result is forty-two.
</think>
The answer is 42.
def forward(self, x):
    return self.down_proj(silu(self.gate_proj(x)) * self.up_proj(x))
for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }
if (x > 0) { return x; } else { return -x; }
{"role": "user", "content": "Hello, how are you today?"}
{"role": "assistant", "content": "I am fine, thank you. How can I help you?"}
深度求索 人工智能 模型 推理 你好 世界。こんにちは、せかい。カタカナ
Les modèles de langage lisent des jeux de données. Die Katze schläft auf dem Sofa.
The weather in Copenhagen is cold and windy in winter, and mild in summer.
It's the model's job to predict the next token; they're trained on text that we've collected.
"""

# Pre-tokenizer used only to learn merges (ASCII approximation of the GPT-2 regex; the
# merges are valid BPE merges whatever pre-tokenizer the runtime uses).
_TRAIN_SPLIT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]{1,3}| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode character map, in its id order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [(b, chr(c)) for b, c in zip(bs, cs)]


BYTE_TOKENS = [ch for _, ch in bytes_to_unicode()]
_BYTE_TO_CHAR = dict(bytes_to_unicode())


def learn_merges(text, num_merges):
    """Plain BPE training: repeatedly merge the most frequent adjacent pair (ties: smallest)."""
    words = Counter()
    for piece in _TRAIN_SPLIT.findall(text):
        words[tuple(_BYTE_TO_CHAR[b] for b in piece.encode("utf-8"))] += 1
    words = dict(words)
    merges = []
    while len(merges) < num_merges:
        pairs = Counter()
        for w, n in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += n
        if not pairs:
            break
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        # A merge whose result already exists (same string reached by another split) is still
        # a valid BPE rule; build() gives the string a single id.
        merges.append(best)
        new_words = {}
        for w, n in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new_words[tuple(out)] = new_words.get(tuple(out), 0) + n
        words = new_words
    return merges


# --------------------------------------------------------------------------- special tokens

BOS, EOS, PAD = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>"
USER, ASSISTANT = "<｜User｜>", "<｜Assistant｜>"
THINK, END_THINK = "<think>", "</think>"
DEEPSEEK_TAIL = [THINK, END_THINK, "<｜fim▁hole｜>", "<｜fim▁begin｜>", "<｜fim▁end｜>", USER, ASSISTANT,
                 "<|EOT|>", "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>",
                 "<｜tool▁call▁end｜>", "<｜tool▁outputs▁begin｜>", "<｜tool▁outputs▁end｜>",
                 "<｜tool▁output▁begin｜>", "<｜tool▁output▁end｜>", "<｜tool▁sep｜>"]
R1_DISTILL_QWEN_TAIL = [EOS, USER, ASSISTANT, BOS, "<|EOT|>", THINK, END_THINK, PAD,
                        "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>",
                        "<｜tool▁call▁end｜>", "<｜tool▁outputs▁begin｜>", "<｜tool▁outputs▁end｜>",
                        "<｜tool▁output▁begin｜>", "<｜tool▁output▁end｜>", "<｜tool▁sep｜>"]
QWEN_CHATML_TAIL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
LLAMA3_TAIL = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
               "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
               "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"]
NOT_SPECIAL = {THINK, END_THINK}  # R1 marks the reasoning tags as non-special added tokens

# --------------------------------------------------------------------------- chat templates

# R1 (updated) template, in the style described in architecture.md §9.2: system messages joined
# with "\n\n" right after BOS, <｜User｜>/<｜Assistant｜> turns without newlines, earlier reasoning
# dropped up to the last </think>, tool calls/outputs, generation prompt "<｜Assistant｜><think>\n".
R1_TEMPLATE = (
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}"
    "{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='', is_first_sp=true) %}"
    "{%- for message in messages %}{%- if message['role'] == 'system' %}{%- if ns.is_first_sp %}"
    "{% set ns.system_prompt = ns.system_prompt + message['content'] %}{% set ns.is_first_sp = false %}"
    "{%- else %}{% set ns.system_prompt = ns.system_prompt + '\\n\\n' + message['content'] %}{%- endif %}"
    "{%- endif %}{%- endfor %}"
    "{{ bos_token }}{{ ns.system_prompt }}"
    "{%- for message in messages %}"
    "{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}"
    "{%- if message['role'] == 'assistant' and 'tool_calls' in message %}{%- set ns.is_tool = false -%}"
    "{%- for tool in message['tool_calls'] %}{%- if not ns.is_first %}"
    "{%- if message['content'] is none %}{{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}"
    "{%- else %}{{'<｜Assistant｜>' + message['content'] + '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}"
    "{%- endif %}{%- set ns.is_first = true -%}"
    "{%- else %}{{'\\n' + '<｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}"
    "{%- endif %}{%- endfor %}{{'<｜tool▁calls▁end｜><｜end▁of▁sentence｜>'}}{%- endif %}"
    "{%- if message['role'] == 'assistant' and 'tool_calls' not in message %}"
    "{%- if ns.is_tool %}{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}{%- set ns.is_tool = false -%}"
    "{%- else %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}"
    "{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endif %}"
    "{%- if message['role'] == 'tool' %}{%- set ns.is_tool = true -%}"
    "{%- if ns.is_output_first %}{{'<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- set ns.is_output_first = false %}"
    "{%- else %}{{'<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- endif %}{%- endif %}"
    "{%- endfor -%}"
    "{% if ns.is_tool %}{{'<｜tool▁outputs▁end｜>'}}{% endif %}"
    "{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\\n'}}{% endif %}"
)

CHATML_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)

# --------------------------------------------------------------------------- pre-tokenizers

DEEPSEEK_V3_PRE = {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": "\\p{N}{1,3}"}, "behavior": "Isolated", "invert": False},
    {"type": "Split", "pattern": {"Regex": "[一-龥぀-ゟ゠-ヿ]+"}, "behavior": "Isolated", "invert": False},
    {"type": "Split", "pattern": {"Regex":
        "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+|"
        " ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": False},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
]}
BYTELEVEL_PRE = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
QWEN2_PRE = {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex":
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
        "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": False},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
]}
LLAMA3_PRE = {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex":
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
        "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": False},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
]}
BYTELEVEL_DECODER = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}


def _template_post(bos, bos_id):
    return {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}}}


def _added(tok_id, content, deepseek):
    """Flags as in the real files: DeepSeek marks BOS/EOS/pad (and <|EOT|>) special and
    un-normalised, its chat/tool/fim/think tokens normalised and not special; Qwen and Llama
    mark every added token special and un-normalised, except R1-Distill's <think> tags."""
    if deepseek:
        core = content in (BOS, EOS, PAD)
        return {"id": tok_id, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": not core, "special": core or content == "<|EOT|>"}
    return {"id": tok_id, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": content not in NOT_SPECIAL}


def _token_obj(content):
    return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": True,
            "rstrip": False, "single_word": False}


def build(style, vocab_size, num_merges):
    """-> (tokenizer_json dict, tokenizer_config dict, {token string: id} of special tokens)."""
    merges = learn_merges(TRAIN_TEXT, num_merges)
    head = [BOS, EOS, PAD] if style == "deepseek_v3" else []
    tail = {"deepseek_v3": DEEPSEEK_TAIL,
            "deepseek_v2": [BOS, EOS, PAD] + DEEPSEEK_TAIL,
            "r1_distill_qwen": R1_DISTILL_QWEN_TAIL,
            "qwen2_chatml": QWEN_CHATML_TAIL,
            "llama3": LLAMA3_TAIL}[style]
    vocab = {}
    for tok in head:
        vocab[tok] = len(vocab)
    for tok in BYTE_TOKENS:
        vocab[tok] = len(vocab)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    special = {tok: i for i, tok in enumerate(head)}
    next_id = len(vocab)
    for tok in tail:
        special[tok] = next_id
        next_id += 1
    if next_id > vocab_size:
        raise ValueError(f"tokenizer needs {next_id} ids, vocab_size is {vocab_size}")
    # Only the head specials (V3 layout) sit in the BPE vocab; the rest are added tokens.
    bpe_vocab = dict(vocab)
    deepseek = style in ("deepseek_v3", "deepseek_v2")
    added = [_added(i, t, deepseek) for t, i in sorted(special.items(), key=lambda kv: kv[1])]

    if style in ("deepseek_v3", "deepseek_v2", "r1_distill_qwen"):
        bos, eos = BOS, EOS
    elif style == "qwen2_chatml":
        bos, eos = None, "<|im_end|>"
    else:
        bos, eos = "<|begin_of_text|>", "<|eot_id|>"
    pre = {"deepseek_v3": DEEPSEEK_V3_PRE, "deepseek_v2": BYTELEVEL_PRE, "r1_distill_qwen": QWEN2_PRE,
           "qwen2_chatml": QWEN2_PRE, "llama3": LLAMA3_PRE}[style]
    if style in ("qwen2_chatml", "r1_distill_qwen"):
        post = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
        normalizer = {"type": "NFC"}
    elif style == "llama3":  # Llama-3.1 style: ByteLevel then BOS via TemplateProcessing
        post = {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
            _template_post(bos, special[bos])]}
        normalizer = None
    else:  # DeepSeek: BOS comes from add_bos_token in tokenizer_config.json
        post = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True}
        normalizer = {"type": "Sequence", "normalizers": []}
    # Both merge spellings occur in the wild: "a b" strings (DeepSeek, Llama) and [a, b] pairs
    # (newer tokenizers, e.g. Qwen3); the ChatML variant uses pairs.
    merges_json = [[a, b] for a, b in merges] if style == "qwen2_chatml" else [f"{a} {b}" for a, b in merges]
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": normalizer, "pre_tokenizer": pre, "post_processor": post, "decoder": BYTELEVEL_DECODER,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": style == "llama3", "vocab": bpe_vocab, "merges": merges_json},
    }
    template = {"deepseek_v3": R1_TEMPLATE, "deepseek_v2": R1_TEMPLATE, "r1_distill_qwen": R1_TEMPLATE,
                "qwen2_chatml": CHATML_TEMPLATE, "llama3": LLAMA3_TEMPLATE}[style]
    tcfg = {
        "add_bos_token": style in ("deepseek_v3", "deepseek_v2", "r1_distill_qwen"),
        "add_eos_token": False,
        "bos_token": _token_obj(bos) if bos else None,
        "eos_token": _token_obj(eos),
        "pad_token": _token_obj({"deepseek_v3": PAD, "deepseek_v2": PAD, "r1_distill_qwen": EOS,
                                 "qwen2_chatml": "<|endoftext|>", "llama3": "<|finetune_right_pad_id|>"}[style]),
        "unk_token": None,
        "clean_up_tokenization_spaces": False,
        "legacy": True,
        "model_max_length": 16384,
        "sp_model_kwargs": {},
        "tokenizer_class": "Qwen2Tokenizer" if style == "qwen2_chatml" else
                           ("PreTrainedTokenizerFast" if style == "llama3" else "LlamaTokenizerFast"),
        "added_tokens_decoder": {str(a["id"]): {k: a[k] for k in ("content", "lstrip", "normalized", "rstrip",
                                                                  "single_word", "special")} for a in added},
        "chat_template": template,
    }
    return tokenizer, tcfg, special
