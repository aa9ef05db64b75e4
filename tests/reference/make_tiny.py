"""Tiny random checkpoints in the real Hugging Face layout, one per code path.

    /usr/bin/python3 tests/reference/make_tiny.py --out DIR [--variant NAME|all] [--seed S]

Writes DIR/<variant>/{config.json, model.safetensors (or 2 shards + index), tokenizer.json,
tokenizer_config.json, generation_config.json}. Deterministic for a given seed. Tensor names,
shapes and dtypes come from make_manifests.tensor_manifest (the §8.2 naming rules), so loading
them with model.load_model (strict) cross-checks both.
"""

import argparse
import copy
import json
import math
import os
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import make_manifests  # noqa: E402
import safetensors_io  # noqa: E402
import tiny_tokenizer  # noqa: E402

VOCAB = 512
NUM_MERGES = 230
DEFAULT_SEED = 1234

_YARN = lambda m: {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": m, "mscale_all_dim": m,  # noqa: E731
                   "original_max_position_embeddings": 4096, "type": "yarn"}


def _deepseek_base(v3):
    """Keys of the real DeepSeek config.json files, with tiny values filled in per variant."""
    c = {
        "architectures": ["DeepseekV3ForCausalLM" if v3 else "DeepseekV2ForCausalLM"],
        "attention_bias": False, "attention_dropout": 0.0,
        "auto_map": {"AutoConfig": f"configuration_deepseek.Deepseek{'V3' if v3 else 'V2'}Config",
                     "AutoModel": f"modeling_deepseek.Deepseek{'V3' if v3 else 'V2'}Model",
                     "AutoModelForCausalLM": f"modeling_deepseek.Deepseek{'V3' if v3 else 'V2'}ForCausalLM"},
        "aux_loss_alpha": 0.001, "ep_size": 1, "hidden_act": "silu", "initializer_range": 0.02,
        "max_position_embeddings": 163840, "model_type": "deepseek_v3" if v3 else "deepseek_v2",
        "moe_layer_freq": 1, "num_key_value_heads": None, "pretraining_tp": 1, "rms_norm_eps": 1e-06,
        "rope_theta": 10000, "seq_aux": True, "tie_word_embeddings": False, "torch_dtype": "float32",
        "transformers_version": "4.46.3", "use_cache": True, "vocab_size": VOCAB,
    }
    return c


def _v3_like(**over):
    c = _deepseek_base(True)
    c.update(hidden_size=256, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=4,
             q_lora_rank=128, kv_lora_rank=512, qk_nope_head_dim=128, qk_rope_head_dim=64, v_head_dim=128,
             intermediate_size=512, moe_intermediate_size=64, n_routed_experts=16, n_shared_experts=1,
             num_experts_per_tok=4, n_group=4, topk_group=2, topk_method="noaux_tc", scoring_func="sigmoid",
             norm_topk_prob=True, routed_scaling_factor=2.5, first_k_dense_replace=1,
             num_nextn_predict_layers=1, rope_scaling=_YARN(1.0))
    c.update(over)
    return c


def _dense(model_type, **over):
    if model_type == "qwen2":
        c = {"architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "hidden_act": "silu",
             "initializer_range": 0.02, "max_position_embeddings": 131072, "max_window_layers": 2,
             "model_type": "qwen2", "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "sliding_window": 4096,
             "torch_dtype": "float32", "transformers_version": "4.44.0", "use_cache": True,
             "use_mrope": False, "use_sliding_window": False, "vocab_size": VOCAB}
    else:
        c = {"architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
             "hidden_act": "silu", "initializer_range": 0.02, "max_position_embeddings": 131072,
             "mlp_bias": False, "model_type": "llama", "pretraining_tp": 1, "rms_norm_eps": 1e-05,
             "rope_theta": 500000.0, "torch_dtype": "float32", "transformers_version": "4.43.0.dev0",
             "use_cache": True, "vocab_size": VOCAB}
    c.update(over)
    return c


# name -> {config, weight dtype, tokenizer style, shards}. Every tensor's random stream depends
# only on (seed, tensor name), so variants with the same shapes get the same draw.
VARIANTS = {
    # q_lora null (q_proj), softmax greedy, no groups, 2 shared experts, 1 dense layer, yarn 0.707.
    "v2_lite_like": dict(
        config=dict(_deepseek_base(False), hidden_size=256, num_hidden_layers=3, num_attention_heads=4,
                    num_key_value_heads=4, q_lora_rank=None, kv_lora_rank=512, qk_nope_head_dim=128,
                    qk_rope_head_dim=64, v_head_dim=128, intermediate_size=512, moe_intermediate_size=64,
                    n_routed_experts=8, n_shared_experts=2, num_experts_per_tok=2, n_group=1, topk_group=1,
                    topk_method="greedy", scoring_func="softmax", norm_topk_prob=False,
                    routed_scaling_factor=1.0, first_k_dense_replace=1, rope_scaling=_YARN(0.707)),
        dtype="F32", tokenizer="deepseek_v2"),
    # q_lora on, softmax group_limited_greedy (group max), scaling 16, and deliberately unusual MLA
    # dims (nope 32, rope 16, v 24 != nope, latent 64) so nothing may assume 128/64/128/512.
    "v2_like": dict(
        config=dict(_deepseek_base(False), hidden_size=192, num_hidden_layers=3, num_attention_heads=4,
                    num_key_value_heads=4, q_lora_rank=96, kv_lora_rank=64, qk_nope_head_dim=32,
                    qk_rope_head_dim=16, v_head_dim=24, intermediate_size=384, moe_intermediate_size=48,
                    n_routed_experts=8, n_shared_experts=2, num_experts_per_tok=3, n_group=4, topk_group=2,
                    topk_method="group_limited_greedy", scoring_func="softmax", norm_topk_prob=False,
                    routed_scaling_factor=16.0, first_k_dense_replace=1, rope_scaling=_YARN(0.707)),
        dtype="F32", tokenizer="deepseek_v2"),
    # sigmoid noaux_tc + bias, 4 groups of 4 (top-2-sum), norm_topk_prob, x2.5, MTP layer, 1 dense;
    # stored as 2 shards + model.safetensors.index.json (the MTP layer in the second shard).
    "v3_like": dict(config=_v3_like(), dtype="F32", tokenizer="deepseek_v3", shards=2),
    # v3 architecture in FP8 e4m3 + weight_scale_inv; hidden 320, q_lora 192, dense 448, shared
    # 2x96: every 128x128 grid has ragged edge blocks (kv_a_proj_with_mqa is [576, 320] -> [5, 3]).
    "v3_fp8": dict(
        config=_v3_like(hidden_size=320, q_lora_rank=192, intermediate_size=448, moe_intermediate_size=96,
                        n_shared_experts=2, torch_dtype="bfloat16",
                        quantization_config={"activation_scheme": "dynamic", "fmt": "e4m3",
                                             "quant_method": "fp8", "weight_block_size": [128, 128]}),
        dtype="BF16", tokenizer="deepseek_v3"),
    # v3_like's exact random draw stored as bf16 (logits must be close to v3_like's).
    "v3_bf16": dict(config=_v3_like(torch_dtype="bfloat16"), dtype="BF16", tokenizer="deepseek_v3"),
    # Qwen2 with q/k/v biases, GQA 6/2, untied lm_head; R1-Distill-Qwen tokenizer + R1 template.
    "qwen2_biases": dict(
        config=_dense("qwen2", hidden_size=192, num_hidden_layers=2, num_attention_heads=6,
                      num_key_value_heads=2, intermediate_size=384, tie_word_embeddings=False),
        dtype="F32", tokenizer="r1_distill_qwen"),
    # Qwen2 with tied embeddings (no lm_head tensor), MQA 4/1, theta 1e6, bf16; ChatML template.
    "qwen2_tied": dict(
        config=_dense("qwen2", hidden_size=128, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=1, intermediate_size=256, rope_theta=1000000.0,
                      tie_word_embeddings=True, torch_dtype="bfloat16"),
        dtype="BF16", tokenizer="qwen2_chatml"),
    # Llama-3 GQA 6/2 with llama3 rope scaling (all three frequency bands occur for head_dim 32),
    # stored as f16; Llama-3 template.
    "llama3": dict(
        config=_dense("llama", hidden_size=192, num_hidden_layers=2, num_attention_heads=6,
                      num_key_value_heads=2, intermediate_size=384, tie_word_embeddings=False,
                      torch_dtype="float16",
                      rope_scaling={"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                    "original_max_position_embeddings": 8192, "rope_type": "llama3"}),
        dtype="F16", tokenizer="llama3"),
}


# ----------------------------------------------------------------------------- weights


def _std_for(name, shape, cfg):
    """Initial scale per tensor kind: sane activations, spread routing, non-degenerate logits."""
    if name.endswith("e_score_correction_bias"):
        return "bias", 0.1
    if name.endswith(".bias"):
        return "normal", 0.3
    if "norm" in name.split(".")[-2] or name.endswith("layernorm.weight"):
        return "norm", 0.1
    if name.endswith("embed_tokens.weight"):
        # Tied models read logits off the embedding, so keep it at the lm_head scale there.
        return "normal", 2.0 / math.sqrt(shape[1]) if cfg.get("tie_word_embeddings") else 1.0
    if name == "lm_head.weight" or name.endswith("shared_head.head.weight"):
        return "normal", 2.0 / math.sqrt(shape[1])
    if name.endswith("mlp.gate.weight"):
        return "normal", 1.5 / math.sqrt(shape[1])
    return "normal", 1.0 / math.sqrt(shape[1])


def random_weights(cfg, seed):
    """name -> float64 array for every tensor of the manifest (scales excluded)."""
    names = [(n, s) for n, s, dt in make_manifests.tensor_manifest(cfg) if not n.endswith("_scale_inv")]
    out = {}
    for name, shape in names:
        # Per-tensor stream: independent of manifest order, stable across variants.
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        kind, s = _std_for(name, shape, cfg)
        if kind == "norm":
            out[name] = 1.0 + s * rng.standard_normal(shape)
        else:
            out[name] = s * rng.standard_normal(shape)
    # The MTP layer stores copies of the shared embedding and head (architecture.md §6).
    L = cfg["num_hidden_layers"]
    for k in range(cfg.get("num_nextn_predict_layers") or 0):
        out[f"model.layers.{L + k}.embed_tokens.weight"] = out["model.embed_tokens.weight"].copy()
        out[f"model.layers.{L + k}.shared_head.head.weight"] = out["lm_head.weight"].copy()
    return out


def encode_tensors(cfg, weights, weight_dtype):
    """Manifest order; FP8 tensors get block-quantised with their weight_scale_inv."""
    tensors = {}
    for name, shape, dtype in make_manifests.tensor_manifest(cfg, weight_dtype):
        if name.endswith(".weight_scale_inv"):
            continue  # written together with its weight
        w = weights[name]
        assert list(w.shape) == shape, (name, w.shape, shape)
        if dtype == "F8_E4M3":
            codes, scale_inv = safetensors_io.fp8_block_quantize(w)
            tensors[name] = ("F8_E4M3", codes)
            tensors[name + "_scale_inv"] = ("F32", scale_inv)
        else:
            tensors[name] = (dtype, safetensors_io.encode(dtype, w))
    return tensors


# ----------------------------------------------------------------------------- writing


def _write_json(path, obj):
    with open(path + ".tmp.write", "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(path + ".tmp.write", path)


def _shard_of(name, cfg, shards):
    """Shard 1: embeddings and the first half of the layers; shard 2: the rest (incl. MTP)."""
    if shards == 1:
        return 0
    if name.startswith("model.layers."):
        layer = int(name.split(".")[2])
        return 0 if layer < (cfg["num_hidden_layers"] + 1) // 2 else 1
    return 0 if name == "model.embed_tokens.weight" else 1


def build_variant(name, out_dir, seed=DEFAULT_SEED):
    """Write one variant; returns (path, float64 weights before storage rounding)."""
    spec = VARIANTS[name]
    path = os.path.join(out_dir, name)
    os.makedirs(path, exist_ok=True)
    cfg = copy.deepcopy(spec["config"])

    tok_json, tok_cfg, special = tiny_tokenizer.build(spec["tokenizer"], cfg["vocab_size"], NUM_MERGES)
    if spec["tokenizer"] in ("deepseek_v3", "deepseek_v2"):
        cfg["bos_token_id"] = special[tiny_tokenizer.BOS]
        cfg["eos_token_id"] = special[tiny_tokenizer.EOS]
    elif spec["tokenizer"] == "r1_distill_qwen":  # as the real distill config: bos = eos = EOS id
        cfg["bos_token_id"] = cfg["eos_token_id"] = special[tiny_tokenizer.EOS]
    elif spec["tokenizer"] == "qwen2_chatml":
        cfg["bos_token_id"] = special["<|endoftext|>"]
        cfg["eos_token_id"] = special["<|im_end|>"]
    else:
        cfg["bos_token_id"] = special["<|begin_of_text|>"]
        cfg["eos_token_id"] = special["<|eot_id|>"]
    cfg = dict(sorted(cfg.items()))

    weights = random_weights(cfg, seed)
    tensors = encode_tensors(cfg, weights, spec["dtype"])

    shards = spec.get("shards", 1)
    for old in os.listdir(path):
        if old.endswith(".safetensors") or old == "model.safetensors.index.json":
            os.remove(os.path.join(path, old))
    if shards == 1:
        safetensors_io.write_file(os.path.join(path, "model.safetensors"), tensors)
    else:
        files = [f"model-{i + 1:05d}-of-{shards:05d}.safetensors" for i in range(shards)]
        parts = [dict() for _ in range(shards)]
        weight_map = {}
        for tname, v in tensors.items():
            base = tname[:-len("_scale_inv")] if tname.endswith("_scale_inv") else tname
            k = _shard_of(base, cfg, shards)
            parts[k][tname] = v
            weight_map[tname] = files[k]
        total = 0
        for fname, part in zip(files, parts):
            safetensors_io.write_file(os.path.join(path, fname), part)
            total += sum(np.asarray(a).nbytes for _, a in part.values())
        _write_json(os.path.join(path, "model.safetensors.index.json"),
                    {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))})

    _write_json(os.path.join(path, "config.json"), cfg)
    _write_json(os.path.join(path, "tokenizer.json"), tok_json)
    _write_json(os.path.join(path, "tokenizer_config.json"), tok_cfg)
    _write_json(os.path.join(path, "generation_config.json"),
                {"_from_model_config": True, "bos_token_id": cfg["bos_token_id"],
                 "eos_token_id": cfg["eos_token_id"], "do_sample": True, "temperature": 0.6, "top_p": 0.95,
                 "transformers_version": cfg.get("transformers_version", "4.46.3")})
    return path, weights


def main(argv=None):
    ap = argparse.ArgumentParser(description="Write tiny random HF checkpoints for seek's tests.")
    ap.add_argument("--out", required=True, help="output directory (one sub-directory per variant)")
    ap.add_argument("--variant", default="all", help="variant name or 'all': " + ", ".join(VARIANTS))
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    names = list(VARIANTS) if args.variant == "all" else [args.variant]
    for n in names:
        if n not in VARIANTS:
            ap.error(f"unknown variant {n!r}; choose from {', '.join(VARIANTS)} or all")
    for n in names:
        path, _ = build_variant(n, args.out, args.seed)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
