#!/bin/sh
# Regenerates the small seed inputs of the formats fuzzers under tests/fuzz/corpus/:
#   safetensors/  valid files covering every dtype, metadata, scalars and empty tensors
#   gguf/         valid GGUF v3 files: every metadata value type, f32/f16/bf16/q8_0/q4_0 tensors,
#                 a custom alignment, and llama.cpp-style deepseek2 / llama hyper-parameters
#   config/       the real configs of tests/data/configs plus a tiny DeepSeek-V3-shaped one
# The seeds are committed; run this only to change them. Needs python3 (standard library only).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python3 - "$here" <<'EOF'
import json, os, shutil, struct, sys

here = sys.argv[1]
corpus = os.path.join(here, "corpus")
for sub in ("safetensors", "gguf", "config"):
    os.makedirs(os.path.join(corpus, sub), exist_ok=True)

def safetensors(tensors, metadata):
    header, data = {"__metadata__": metadata}, b""
    for name, dtype, shape, payload in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data

def write(sub, name, blob):
    with open(os.path.join(corpus, sub, name), "wb") as f:
        f.write(blob)

write("safetensors", "every_dtype.safetensors", safetensors([
    ("f64", "F64", [2], bytes(range(16))), ("i64", "I64", [1, 1], bytes(8)), ("f32", "F32", [2, 2], bytes(range(16))),
    ("i32", "I32", [3], bytes(12)), ("bf16", "BF16", [2, 3], bytes(range(12))), ("f16", "F16", [1, 2, 1, 2], bytes(8)),
    ("i16", "I16", [2], bytes(4)), ("fp8", "F8_E4M3", [4], bytes([0x38, 0x40, 0x7e, 0xfe])), ("i8", "I8", [2], b"\x01\xff"),
    ("u8", "U8", [3], b"abc"), ("scalar", "F32", [], bytes(4)), ("empty", "BF16", [0, 5], b""),
], {"format": "pt"}))
write("safetensors", "model_layer.safetensors", safetensors([
    ("model.layers.0.self_attn.kv_a_proj_with_mqa.weight", "BF16", [4, 8], bytes(64)),
    ("model.layers.0.self_attn.kv_a_proj_with_mqa.weight_scale_inv", "F32", [1, 1], struct.pack("<f", 0.5)),
    ("model.layers.0.mlp.gate.e_score_correction_bias", "F32", [2], bytes(8)),
], {"format": "pt", "total": "3"}))

def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b

SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}

def gvalue(t, v):
    if t == 8:
        return gstr(v)
    if t == 9:
        et, items = v
        out = struct.pack("<IQ", et, len(items))
        return out + b"".join(gvalue(et, x) for x in items)
    return struct.pack(SCALAR[t], v)

BLOCK = {0: (1, 4), 1: (1, 2), 30: (1, 2), 8: (32, 34), 2: (32, 18)}

def gguf(kvs, tensors, alignment=32):
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    for key, t, v in kvs:
        out += gstr(key) + struct.pack("<I", t) + gvalue(t, v)
    offset, infos, datas = 0, b"", []
    for name, ggml_type, shape in tensors:  # shape outermost-first
        ne = list(reversed(shape))
        numel = 1
        for d in ne:
            numel *= d
        per, size = BLOCK[ggml_type]
        nbytes = numel // per * size
        infos += gstr(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", d) for d in ne)
        infos += struct.pack("<IQ", ggml_type, offset)
        datas.append(bytes((i * 7) & 0xff for i in range(nbytes)))
        offset += nbytes + (-nbytes % alignment)
    out += infos
    out += b"\0" * (-len(out) % alignment)
    for d in datas:
        out += d + b"\0" * (-len(d) % alignment)
    return out

write("gguf", "every_value_type.gguf", gguf([
    ("general.architecture", 8, "llama"), ("u8", 0, 200), ("i8", 1, -3), ("u16", 2, 60000), ("i16", 3, -7),
    ("u32", 4, 123456), ("i32", 5, -5), ("f32", 6, 0.5), ("bool", 7, True), ("u64", 10, 1 << 40),
    ("i64", 11, -(1 << 40)), ("f64", 12, 1e-3), ("strs", 9, (8, ["a", "bc", ""])), ("ints", 9, (5, [1, -2, 3])),
    ("nested", 9, (9, [(0, [1, 2]), (8, ["x"])])),
], [("f32", 0, [2, 3]), ("f16", 1, [4]), ("bf16", 30, [2, 2]), ("q8_0", 8, [2, 32]), ("q4_0", 2, [1, 64])]))
write("gguf", "alignment_64.gguf", gguf([("general.alignment", 4, 64)], [("a", 0, [3]), ("b", 8, [32])], alignment=64))

def deepseek2_kvs():
    a = "deepseek2."
    return [
        ("general.architecture", 8, "deepseek2"), (a + "block_count", 4, 2), (a + "context_length", 4, 4096),
        (a + "embedding_length", 4, 64), (a + "feed_forward_length", 4, 128), (a + "attention.head_count", 4, 4),
        (a + "attention.head_count_kv", 4, 1), (a + "rope.freq_base", 6, 10000.0),
        (a + "attention.layer_norm_rms_epsilon", 6, 1e-6), (a + "expert_used_count", 4, 2),
        (a + "expert_group_count", 4, 2), (a + "expert_group_used_count", 4, 1), (a + "expert_gating_func", 4, 2),
        (a + "leading_dense_block_count", 4, 1), (a + "vocab_size", 4, 32), (a + "attention.q_lora_rank", 4, 16),
        (a + "attention.kv_lora_rank", 4, 16), (a + "attention.key_length", 4, 24), (a + "attention.value_length", 4, 16),
        (a + "attention.key_length_mla", 4, 24), (a + "attention.value_length_mla", 4, 16),
        (a + "expert_feed_forward_length", 4, 32), (a + "expert_count", 4, 4), (a + "expert_shared_count", 4, 1),
        (a + "expert_weights_scale", 6, 2.5), (a + "expert_weights_norm", 7, True), (a + "rope.dimension_count", 4, 8),
        (a + "rope.scaling.type", 8, "yarn"), (a + "rope.scaling.factor", 6, 40.0),
        (a + "rope.scaling.original_context_length", 4, 4096), (a + "rope.scaling.yarn_log_multiplier", 6, 0.1),
        (a + "nextn_predict_layers", 4, 1), ("tokenizer.ggml.bos_token_id", 4, 0), ("tokenizer.ggml.eos_token_id", 4, 1),
    ]

write("gguf", "deepseek2_tiny.gguf", gguf(deepseek2_kvs(), [("token_embd.weight", 0, [32, 64]), ("output.weight", 8, [32, 64])]))
a = "llama."
write("gguf", "llama_tiny.gguf", gguf([
    ("general.architecture", 8, "llama"), (a + "block_count", 4, 2), (a + "context_length", 4, 2048),
    (a + "embedding_length", 4, 64), (a + "feed_forward_length", 4, 128), (a + "attention.head_count", 4, 4),
    (a + "attention.head_count_kv", 4, 2), (a + "rope.freq_base", 6, 500000.0),
    (a + "attention.layer_norm_rms_epsilon", 6, 1e-5), (a + "vocab_size", 4, 32),
    ("seek.rope.llama3.factor", 6, 8.0), ("seek.rope.llama3.low_freq_factor", 6, 1.0),
    ("seek.rope.llama3.high_freq_factor", 6, 4.0), ("seek.rope.llama3.original_context_length", 4, 8192),
    ("tokenizer.ggml.tokens", 9, (8, ["t%d" % i for i in range(32)])),
], [("token_embd.weight", 30, [32, 64]), ("blk.0.attn_q.bias", 0, [64])]))

configs = os.path.join(here, "..", "data", "configs")
for name in sorted(os.listdir(configs)):
    shutil.copy(os.path.join(configs, name), os.path.join(corpus, "config", name))
with open(os.path.join(configs, "deepseek-v3.json")) as f:
    tiny = json.load(f)
tiny.update({"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4,
             "q_lora_rank": 16, "kv_lora_rank": 16, "qk_nope_head_dim": 16, "qk_rope_head_dim": 8, "v_head_dim": 16,
             "intermediate_size": 128, "moe_intermediate_size": 32, "n_routed_experts": 8, "num_experts_per_tok": 2,
             "n_group": 2, "topk_group": 1, "first_k_dense_replace": 1, "vocab_size": 64})
with open(os.path.join(corpus, "config", "tiny-deepseek-v3.json"), "w") as f:
    json.dump(tiny, f, indent=1)
EOF
