"""Tensor manifests of the real checkpoints, generated from config.json values and the naming
rules of architecture.md §8.2 (DeepSeek) and the standard HF Qwen2/Llama names.

Writes tests/data/manifests/<model>.json (or .json.gz when large):
  {"model": ..., "source": ..., "config": {...config.json...}, "num_tensors": N,
   "tensors": [{"name": ..., "shape": [...], "dtype": "BF16" | "F8_E4M3" | "F32"}, ...]}

The same `tensor_manifest()` gives make_tiny.py its tensor list, so the reference model's
strict loader (model.load_model) cross-checks these naming rules on every tiny checkpoint.

    /usr/bin/python3 tests/reference/make_manifests.py [--out tests/data/manifests] [--check]
"""

import argparse
import gzip
import io
import json
import math
import os
import sys

FP8_BLOCK = 128


def _ceil(a, b):
    return -(-a // b)


def _is_moe(c, i):
    return bool(c.get("n_routed_experts")) and i >= c.get("first_k_dense_replace", 0) \
        and i % c.get("moe_layer_freq", 1) == 0


def deepseek_tensors(c, weight_dtype="BF16", fp8=False):
    """[(name, shape, dtype)] of a DeepseekV2/V3 HF checkpoint (§8.2), MTP layers included.

    fp8=True: every linear weight of attention and FFN/experts is F8_E4M3 with a F32
    `weight_scale_inv` [ceil(out/128), ceil(in/128)]; embeddings, lm_head, norms, router
    weights, eh_proj and shared_head.head stay `weight_dtype`; e_score_correction_bias is F32.
    """
    d, H, V = c["hidden_size"], c["num_attention_heads"], c["vocab_size"]
    nope, rope, vdim = c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"]
    rank, qr = c["kv_lora_rank"], c.get("q_lora_rank")
    out = []

    def plain(name, shape, dtype=weight_dtype):
        out.append((name, list(shape), dtype))

    def lin(name, rows, cols):
        if fp8:
            out.append((name + ".weight", [rows, cols], "F8_E4M3"))
            out.append((name + ".weight_scale_inv", [_ceil(rows, FP8_BLOCK), _ceil(cols, FP8_BLOCK)], "F32"))
        else:
            plain(name + ".weight", [rows, cols])

    def ffn(prefix, width):
        lin(prefix + ".gate_proj", width, d)
        lin(prefix + ".up_proj", width, d)
        lin(prefix + ".down_proj", d, width)

    def block(i):
        p = f"model.layers.{i}."
        plain(p + "input_layernorm.weight", [d])
        if qr is None:
            lin(p + "self_attn.q_proj", H * (nope + rope), d)
        else:
            lin(p + "self_attn.q_a_proj", qr, d)
            plain(p + "self_attn.q_a_layernorm.weight", [qr])
            lin(p + "self_attn.q_b_proj", H * (nope + rope), qr)
        lin(p + "self_attn.kv_a_proj_with_mqa", rank + rope, d)
        plain(p + "self_attn.kv_a_layernorm.weight", [rank])
        lin(p + "self_attn.kv_b_proj", H * (nope + vdim), rank)
        lin(p + "self_attn.o_proj", d, H * vdim)
        plain(p + "post_attention_layernorm.weight", [d])
        if _is_moe(c, i):
            n = c["n_routed_experts"]
            plain(p + "mlp.gate.weight", [n, d])
            if c.get("topk_method") == "noaux_tc":
                plain(p + "mlp.gate.e_score_correction_bias", [n], "F32")
            for e in range(n):
                ffn(p + f"mlp.experts.{e}", c["moe_intermediate_size"])
            if c.get("n_shared_experts"):
                ffn(p + "mlp.shared_experts", c["n_shared_experts"] * c["moe_intermediate_size"])
        else:
            ffn(p + "mlp", c["intermediate_size"])

    L = c["num_hidden_layers"]
    plain("model.embed_tokens.weight", [V, d])
    for i in range(L):
        block(i)
    for k in range(c.get("num_nextn_predict_layers") or 0):
        i = L + k
        p = f"model.layers.{i}."
        block(i)
        plain(p + "enorm.weight", [d])
        plain(p + "hnorm.weight", [d])
        plain(p + "eh_proj.weight", [d, 2 * d])
        plain(p + "embed_tokens.weight", [V, d])
        plain(p + "shared_head.norm.weight", [d])
        plain(p + "shared_head.head.weight", [V, d])
    plain("model.norm.weight", [d])
    plain("lm_head.weight", [V, d])
    return out


def dense_tensors(c, weight_dtype="BF16"):
    """[(name, shape, dtype)] of a HF Qwen2ForCausalLM / LlamaForCausalLM checkpoint."""
    d, H, V = c["hidden_size"], c["num_attention_heads"], c["vocab_size"]
    KV = c.get("num_key_value_heads") or H
    hd = c.get("head_dim") or d // H
    qwen = c["model_type"] == "qwen2"
    attn_bias = c.get("attention_bias", False)
    out = []

    def t(name, shape):
        out.append((name, list(shape), weight_dtype))

    t("model.embed_tokens.weight", [V, d])
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        t(p + "input_layernorm.weight", [d])
        for proj, rows in (("q_proj", H * hd), ("k_proj", KV * hd), ("v_proj", KV * hd)):
            t(p + f"self_attn.{proj}.weight", [rows, d])
            if qwen or attn_bias:
                t(p + f"self_attn.{proj}.bias", [rows])
        t(p + "self_attn.o_proj.weight", [d, H * hd])
        if not qwen and attn_bias:
            t(p + "self_attn.o_proj.bias", [d])
        t(p + "post_attention_layernorm.weight", [d])
        t(p + "mlp.gate_proj.weight", [c["intermediate_size"], d])
        t(p + "mlp.up_proj.weight", [c["intermediate_size"], d])
        t(p + "mlp.down_proj.weight", [d, c["intermediate_size"]])
    t("model.norm.weight", [d])
    if not c.get("tie_word_embeddings", False):
        t("lm_head.weight", [V, d])
    return out


def tensor_manifest(c, weight_dtype="BF16"):
    """Manifest of a config dict; FP8 iff the config carries an fp8 quantization_config."""
    if c["model_type"] in ("deepseek_v2", "deepseek_v3"):
        q = c.get("quantization_config") or {}
        fp8 = q.get("quant_method") == "fp8"
        if fp8 and q.get("weight_block_size", [FP8_BLOCK, FP8_BLOCK]) != [FP8_BLOCK, FP8_BLOCK]:
            raise ValueError("only 128x128 FP8 blocks are supported")
        return deepseek_tensors(c, weight_dtype, fp8)
    if c["model_type"] in ("qwen2", "llama"):
        return dense_tensors(c, weight_dtype)
    raise ValueError(f"unknown model_type {c['model_type']!r}")


# ----------------------------------------------------------------------------- real configs
# Values from architecture.md §7 and the public config.json files. Fields the spec does not
# quote (auto_map, initializer_range, transformers_version, ...) are from the public HF configs
# as remembered, and do not affect any tensor name or shape.

_DEEPSEEK_AUTO_MAP = lambda v: {  # noqa: E731
    "AutoConfig": f"configuration_deepseek.Deepseek{v}Config",
    "AutoModel": f"modeling_deepseek.Deepseek{v}Model",
    "AutoModelForCausalLM": f"modeling_deepseek.Deepseek{v}ForCausalLM"}

DEEPSEEK_V2_LITE = {
    "architectures": ["DeepseekV2ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
    "auto_map": _DEEPSEEK_AUTO_MAP("V2"), "aux_loss_alpha": 0.001, "bos_token_id": 100000,
    "eos_token_id": 100001, "first_k_dense_replace": 1, "hidden_act": "silu", "hidden_size": 2048,
    "initializer_range": 0.02, "intermediate_size": 10944, "kv_lora_rank": 512,
    "max_position_embeddings": 163840, "model_type": "deepseek_v2", "moe_intermediate_size": 1408,
    "moe_layer_freq": 1, "n_group": 1, "n_routed_experts": 64, "n_shared_experts": 2,
    "norm_topk_prob": False, "num_attention_heads": 16, "num_experts_per_tok": 6,
    "num_hidden_layers": 27, "num_key_value_heads": 16, "pretraining_tp": 1, "q_lora_rank": None,
    "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "rms_norm_eps": 1e-06,
    "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 0.707,
                     "mscale_all_dim": 0.707, "original_max_position_embeddings": 4096, "type": "yarn"},
    "rope_theta": 10000, "routed_scaling_factor": 1.0, "scoring_func": "softmax", "seq_aux": True,
    "tie_word_embeddings": False, "topk_group": 1, "topk_method": "greedy", "torch_dtype": "bfloat16",
    "transformers_version": "4.33.1", "use_cache": True, "v_head_dim": 128, "vocab_size": 102400,
}

DEEPSEEK_V3 = {
    "architectures": ["DeepseekV3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
    "auto_map": _DEEPSEEK_AUTO_MAP("V3"), "aux_loss_alpha": 0.001, "bos_token_id": 0, "eos_token_id": 1,
    "ep_size": 1, "first_k_dense_replace": 3, "hidden_act": "silu", "hidden_size": 7168,
    "initializer_range": 0.02, "intermediate_size": 18432, "kv_lora_rank": 512,
    "max_position_embeddings": 163840, "model_type": "deepseek_v3", "moe_intermediate_size": 2048,
    "moe_layer_freq": 1, "n_group": 8, "n_routed_experts": 256, "n_shared_experts": 1,
    "norm_topk_prob": True, "num_attention_heads": 128, "num_experts_per_tok": 8,
    "num_hidden_layers": 61, "num_key_value_heads": 128, "num_nextn_predict_layers": 1,
    "pretraining_tp": 1, "q_lora_rank": 1536, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
    "quantization_config": {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
                            "weight_block_size": [128, 128]},
    "rms_norm_eps": 1e-06,
    "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 1.0, "mscale_all_dim": 1.0,
                     "original_max_position_embeddings": 4096, "type": "yarn"},
    "rope_theta": 10000, "routed_scaling_factor": 2.5, "scoring_func": "sigmoid", "seq_aux": True,
    "tie_word_embeddings": False, "topk_group": 4, "topk_method": "noaux_tc", "torch_dtype": "bfloat16",
    "transformers_version": "4.33.1", "use_cache": True, "v_head_dim": 128, "vocab_size": 129280,
}

DEEPSEEK_R1 = dict(DEEPSEEK_V3, transformers_version="4.46.3")

R1_DISTILL_QWEN_1_5B = {
    "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
    "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 1536, "initializer_range": 0.02,
    "intermediate_size": 8960, "max_position_embeddings": 131072, "max_window_layers": 21,
    "model_type": "qwen2", "num_attention_heads": 12, "num_hidden_layers": 28, "num_key_value_heads": 2,
    "rms_norm_eps": 1e-06, "rope_theta": 10000, "sliding_window": 4096, "tie_word_embeddings": False,
    "torch_dtype": "bfloat16", "transformers_version": "4.44.0", "use_cache": True, "use_mrope": False,
    "use_sliding_window": False, "vocab_size": 151936,
}

R1_DISTILL_QWEN_7B = dict(
    R1_DISTILL_QWEN_1_5B, hidden_size=3584, intermediate_size=18944, max_window_layers=28,
    num_attention_heads=28, num_key_value_heads=4, vocab_size=152064)

R1_DISTILL_LLAMA_8B = {
    "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
    "bos_token_id": 128000, "eos_token_id": 128001, "hidden_act": "silu", "hidden_size": 4096,
    "initializer_range": 0.02, "intermediate_size": 14336, "max_position_embeddings": 131072,
    "mlp_bias": False, "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32,
    "num_key_value_heads": 8, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
    "rope_scaling": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "rope_theta": 500000.0, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
    "transformers_version": "4.43.0.dev0", "use_cache": True, "vocab_size": 128256,
}

# name -> (config, expected tensor count or None, gzip?)
MODELS = {
    "DeepSeek-V2-Lite": (DEEPSEEK_V2_LITE, 5291, True),
    "DeepSeek-V3": (DEEPSEEK_V3, 91991, True),
    "DeepSeek-R1": (DEEPSEEK_R1, 91991, True),      # architecture.md §8.2 [R1-dump]
    "DeepSeek-R1-Distill-Qwen-1.5B": (R1_DISTILL_QWEN_1_5B, 339, False),  # §7.2
    "DeepSeek-R1-Distill-Qwen-7B": (R1_DISTILL_QWEN_7B, 339, False),
    "DeepSeek-R1-Distill-Llama-8B": (R1_DISTILL_LLAMA_8B, 291, False),
}

# Total stored values in billions (architecture.md §8.2 "684.53B stored values" for R1, incl.
# the scale tensors; §7.1 "V2-Lite = 15.71B total").
STORED_BILLIONS = {"DeepSeek-R1": 684.53, "DeepSeek-V3": 684.53, "DeepSeek-V2-Lite": 15.71}

# Spot checks from architecture.md §2.1, §7.1, §8.2 (name -> (shape, dtype)).
SPOT_CHECKS = {
    "DeepSeek-R1": {
        "model.layers.3.self_attn.q_a_proj.weight_scale_inv": ([12, 56], "F32"),
        "model.layers.3.self_attn.q_b_proj.weight": ([24576, 1536], "F8_E4M3"),
        "model.layers.3.self_attn.q_b_proj.weight_scale_inv": ([192, 12], "F32"),
        "model.layers.3.self_attn.kv_a_proj_with_mqa.weight_scale_inv": ([5, 56], "F32"),
        "model.layers.3.self_attn.kv_b_proj.weight_scale_inv": ([256, 4], "F32"),
        "model.layers.3.self_attn.o_proj.weight_scale_inv": ([56, 128], "F32"),
        "model.layers.0.mlp.gate_proj.weight_scale_inv": ([144, 56], "F32"),
        "model.layers.0.mlp.down_proj.weight_scale_inv": ([56, 144], "F32"),
        "model.layers.5.mlp.experts.255.down_proj.weight_scale_inv": ([56, 16], "F32"),
        "model.layers.5.mlp.gate.weight": ([256, 7168], "BF16"),
        "model.layers.5.mlp.gate.e_score_correction_bias": ([256], "F32"),
        "model.layers.61.eh_proj.weight": ([7168, 14336], "BF16"),
        "model.layers.61.embed_tokens.weight": ([129280, 7168], "BF16"),
        "model.layers.61.shared_head.head.weight": ([129280, 7168], "BF16"),
        "model.layers.61.mlp.experts.0.gate_proj.weight": ([2048, 7168], "F8_E4M3"),
    },
    "DeepSeek-V2-Lite": {
        "model.layers.0.self_attn.q_proj.weight": ([3072, 2048], "BF16"),
        "model.layers.1.self_attn.kv_a_proj_with_mqa.weight": ([576, 2048], "BF16"),
        "model.layers.1.self_attn.kv_b_proj.weight": ([4096, 512], "BF16"),
        "model.layers.1.mlp.shared_experts.gate_proj.weight": ([2816, 2048], "BF16"),
        "model.layers.0.mlp.gate_proj.weight": ([10944, 2048], "BF16"),
        "model.layers.26.mlp.experts.63.up_proj.weight": ([1408, 2048], "BF16"),
    },
    "DeepSeek-R1-Distill-Qwen-1.5B": {
        "model.embed_tokens.weight": ([151936, 1536], "BF16"),
        "model.layers.0.self_attn.k_proj.bias": ([256], "BF16"),
        "lm_head.weight": ([151936, 1536], "BF16"),
    },
}


def build_manifest(name):
    cfg, expect, _ = MODELS[name]
    tensors = tensor_manifest(cfg)
    names = [t[0] for t in tensors]
    if len(set(names)) != len(names):
        raise AssertionError(f"{name}: duplicate tensor names")
    if expect is not None and len(tensors) != expect:
        raise AssertionError(f"{name}: {len(tensors)} tensors, expected {expect}")
    if name in STORED_BILLIONS:
        total = sum(math.prod(shape) for _, shape, _ in tensors) / 1e9
        if abs(total - STORED_BILLIONS[name]) > 0.005:
            raise AssertionError(f"{name}: {total:.3f}B stored values, expected {STORED_BILLIONS[name]}B")
    by_name = {t[0]: (t[1], t[2]) for t in tensors}
    for tname, want in SPOT_CHECKS.get(name, {}).items():
        if by_name.get(tname) != want:
            raise AssertionError(f"{name}: {tname} is {by_name.get(tname)}, expected {want}")
    return {"model": name, "source": "tests/reference/make_manifests.py (architecture.md §7, §8.2)",
            "config": cfg, "num_tensors": len(tensors),
            "tensors": [{"name": n, "shape": s, "dtype": dt} for n, s, dt in tensors]}


def dumps_manifest(m):
    """One tensor per line, so diffs stay readable."""
    head = {k: v for k, v in m.items() if k != "tensors"}
    lines = json.dumps(head, indent=1, ensure_ascii=False)[:-2]
    rows = ",\n".join("  " + json.dumps(t, separators=(", ", ": ")) for t in m["tensors"])
    return lines + ',\n "tensors": [\n' + rows + "\n ]\n}\n"


def write_manifest(out_dir, name, m, compress):
    text = dumps_manifest(m).encode("utf-8")
    path = os.path.join(out_dir, name + (".json.gz" if compress else ".json"))
    if compress:
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as g:
            g.write(text)
        text = buf.getvalue()
    with open(path + ".tmp.write", "wb") as f:
        f.write(text)
    os.replace(path + ".tmp.write", path)
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.normpath(os.path.join(here, "..", "data", "manifests")))
    ap.add_argument("--check", action="store_true",
                    help="verify the checked-in files equal what this script generates")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    bad = 0
    for name, (_, _, compress) in MODELS.items():
        m = build_manifest(name)
        if args.check:
            path = os.path.join(args.out, name + (".json.gz" if compress else ".json"))
            with open(path, "rb") as f:
                data = f.read()
            if compress:
                data = gzip.decompress(data)
            ok = json.loads(data) == json.loads(dumps_manifest(m))
            bad += not ok
            print(f"{'ok  ' if ok else 'DIFF'} {path} ({m['num_tensors']} tensors)")
        else:
            print(f"{write_manifest(args.out, name, m, compress)}: {m['num_tensors']} tensors")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
