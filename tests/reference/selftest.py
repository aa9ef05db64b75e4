"""Self-test of the PyTorch reference: formats, tiny checkpoints, model paths, gradients.

    /usr/bin/python3 tests/reference/selftest.py [--keep DIR]

Builds every tiny variant into a temporary directory (or DIR) and checks: FP8/BF16 codecs and
safetensors round trips; FP8 ragged edge blocks; determinism of make_tiny; strict loading (the
manifest naming rules against the model's module names); absorbed == naive MLA; finite,
non-degenerate logits; routing spread over experts; MTP logits; published YaRN/softmax-scale
numbers; gradients against central finite differences; batched gradients = mean of per-sequence
ones; AdamW mode against a numpy replica of its documented update; the real-model manifests; the
dump_logits CLI. Prints one line per check and exits non-zero on any failure.
"""

import argparse
import filecmp
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import dump_logits  # noqa: E402
import make_manifests  # noqa: E402
import make_tiny  # noqa: E402
import model as M  # noqa: E402
import safetensors_io as st  # noqa: E402

FAILURES = []


def check(name, cond, detail=""):
    print(f"{'ok  ' if cond else 'FAIL'} {name}{(': ' + detail) if detail else ''}", flush=True)
    if not cond:
        FAILURES.append(name)


# ----------------------------------------------------------------------------- formats


def test_codecs(tmp):
    v = st.FP8_E4M3_VALUES
    check("fp8 table", v[0x7E] == 448 and v[0x08] == 2 ** -6 and v[0x01] == 2 ** -9 and v[0x38] == 1.0
          and np.isnan(v[0x7F]) and np.isnan(v[0xFF]) and v[0xFE] == -448 and np.isnan(v).sum() == 2)
    codes = np.array([c for c in range(256) if c not in (0x7F, 0xFF)], dtype=np.uint8)
    check("fp8 encode(decode(c)) == c", np.array_equal(st.f64_to_fp8_e4m3(v[codes]), codes))
    cases = [(1.0625, 0x38), (1.1875, 0x3A), (1000.0, 0x7E), (-1000.0, 0xFE), (460.0, 0x7E),
             (2.0 ** -10, 0x00), (3 * 2.0 ** -11, 0x01), (0.0, 0x00), (-0.0, 0x80), (float("nan"), 0x7F),
             (1.0624, 0x38), (1.0626, 0x39), (-1.1875, 0xBA), (2.0 ** -7 + 2.0 ** -10, 0x04)]
    got = st.f64_to_fp8_e4m3(np.array([x for x, _ in cases]))
    check("fp8 round-to-nearest-even / saturate / NaN", list(got) == [c for _, c in cases],
          str([hex(x) for x in got]))
    bf = st.f32_to_bf16(np.array([1 + 2 ** -8, 1 + 3 * 2 ** -8, -2.5, np.inf, np.nan], dtype=np.float32))
    check("bf16 round-to-nearest-even", list(bf[:4]) == [0x3F80, 0x3F82, 0xC020, 0x7F80] and bf[4] == 0x7FC0)

    rng = np.random.default_rng(0)
    tensors = {"a.f32": ("F32", rng.standard_normal((3, 5)).astype(np.float32)),
               "b.bf16": ("BF16", st.f32_to_bf16(rng.standard_normal(7))),
               "c.f16": ("F16", rng.standard_normal((2, 2)).astype(np.float16)),
               "d.fp8": ("F8_E4M3", st.f64_to_fp8_e4m3(rng.standard_normal((4, 3)))),
               "e.i64": ("I64", np.arange(5, dtype=np.int64)), "f.scalar": ("F64", np.array(3.5))}
    path = os.path.join(tmp, "roundtrip.safetensors")
    st.write_file(path, tensors)
    header, meta, start = st.read_header(path)
    back = st.read_raw(path)
    same = all(back[k][0] == dt and np.array_equal(back[k][1], a) and back[k][1].shape == np.shape(a)
               for k, (dt, a) in tensors.items())
    check("safetensors round trip", same and meta == {"format": "pt"} and (start - 8) % 8 == 0)

    # 128x128 block quantisation with ragged edges on both axes.
    w = rng.standard_normal((200, 300)) * np.linspace(0.1, 3, 300)[None, :]
    codes, sinv = st.fp8_block_quantize(w)
    deq = st.fp8_block_dequantize(codes, sinv)
    edge_scale_ok = sinv.shape == (2, 3) and sinv[1, 2] == np.float32(np.abs(w[128:, 256:]).max() / 448)
    scale_full = np.repeat(np.repeat(sinv.astype(np.float64), 128, 0), 128, 1)[:200, :300]
    bound = 2.0 ** -4 * np.abs(w) + 2.0 ** -10 * scale_full + 1e-12
    check("fp8 block quantise: ragged scale shape/value and error bound",
          edge_scale_ok and bool(np.all(np.abs(deq - w) <= bound)))


def test_rope_numbers():
    cfg3 = M.Config.from_dict(make_manifests.DEEPSEEK_V3)
    cfgl = M.Config.from_dict(make_manifests.DEEPSEEK_V2_LITE)
    omega, af = M.rope_frequencies(cfg3)
    check("yarn omega_0/1/31 (architecture.md §3)",
          abs(omega[0] - 1.0) < 1e-12 and abs(omega[1] - 0.74989421) < 1e-8 and abs(omega[31] - 3.3338e-06) < 1e-9
          and af == 1.0, f"{omega[0]}, {omega[1]}, {omega[31]}")
    check("softmax scale V3 0.13523378 / V2-Lite 0.11472139 (§2.3)",
          abs(M.mla_softmax_scale(cfg3) - 0.13523378) < 1e-8 and abs(M.mla_softmax_scale(cfgl) - 0.11472139) < 1e-8,
          f"{M.mla_softmax_scale(cfg3):.8f} {M.mla_softmax_scale(cfgl):.8f}")
    cfg = M.Config.from_dict(make_tiny.VARIANTS["llama3"]["config"])
    omega, _ = M.rope_frequencies(cfg)
    base = cfg.rope_theta ** (-np.arange(0, cfg.head_dim, 2) / cfg.head_dim)
    kept, divided = np.isclose(omega, base), np.isclose(omega, base / 8)
    mid = ~kept & ~divided
    check("llama3 rope: kept, blended and /factor bands all present",
          kept.any() and divided.any() and mid.any() and np.all((omega[mid] < base[mid]) & (omega[mid] > base[mid] / 8)))


# ----------------------------------------------------------------------------- tiny models


def test_determinism(tmp, built):
    other = os.path.join(tmp, "again")
    for name in ("v3_fp8", "qwen2_tied", "v3_like"):
        make_tiny.build_variant(name, other)
        a, b = os.path.join(built, name), os.path.join(other, name)
        files = sorted(os.listdir(a))
        same = files == sorted(os.listdir(b)) and all(filecmp.cmp(os.path.join(a, f), os.path.join(b, f), False)
                                                      for f in files)
        check(f"make_tiny deterministic ({name})", same)


def test_fp8_checkpoint(path, weights):
    raw = {}
    for f in st.checkpoint_files(path)[0]:
        raw.update(st.read_raw(os.path.join(path, f)))
    fp8 = [n for n, (dt, _) in raw.items() if dt == "F8_E4M3"]
    shapes_ok = all(raw[n + "_scale_inv"][1].shape == tuple(-(-s // 128) for s in raw[n][1].shape)
                    and raw[n + "_scale_inv"][0] == "F32" for n in fp8)
    kv = "model.layers.1.self_attn.kv_a_proj_with_mqa.weight"
    check("v3_fp8: every FP8 weight has an F32 ceil-shaped weight_scale_inv",
          len(fp8) > 0 and shapes_ok and raw[kv][1].shape == (576, 320) and raw[kv + "_scale_inv"][1].shape == (5, 3))
    kept = ["model.embed_tokens.weight", "lm_head.weight", "model.layers.1.mlp.gate.weight",
            "model.layers.3.eh_proj.weight", "model.layers.3.shared_head.head.weight", "model.norm.weight"]
    check("v3_fp8: embeddings, head, router, eh_proj, norms stay BF16; bias F32",
          all(raw[n][0] == "BF16" for n in kept) and raw["model.layers.1.mlp.gate.e_score_correction_bias"][0] == "F32")
    tensors, _ = st.load_checkpoint(path)
    worst = 0.0
    for n in fp8:
        w = weights[n]
        sinv = raw[n + "_scale_inv"][1].astype(np.float64)
        scale = np.repeat(np.repeat(sinv, 128, 0), 128, 1)[:w.shape[0], :w.shape[1]]
        excess = np.abs(tensors[n] - w) - (2.0 ** -4 * np.abs(w) + 2.0 ** -10 * scale)
        worst = max(worst, float(excess.max()))
        # ragged last blocks: their scale is amax over the real elements only
        rb, cb = (np.array(w.shape) - 1) // 128
        blk = w[rb * 128:, cb * 128:]
        if sinv[rb, cb] != np.float32(np.abs(blk).max() / 448):
            worst = max(worst, 1.0)
    check("v3_fp8: dequantised weights within e4m3 rounding of the originals, edge-block scales exact",
          worst <= 1e-12, f"worst excess {worst:.2e}")


def test_tokenizer(path, cfg):
    with open(os.path.join(path, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    with open(os.path.join(path, "tokenizer_config.json"), encoding="utf-8") as f:
        tcfg = json.load(f)
    vocab = tok["model"]["vocab"]
    added = {a["content"]: a["id"] for a in tok["added_tokens"]}
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in tok["model"]["merges"]]
    ids = list(vocab.values()) + [i for t, i in added.items() if t not in vocab]
    ok = (len(ids) == len(set(ids)) and max(ids) < cfg["vocab_size"]
          and all(a in vocab and b in vocab and a + b in vocab for a, b in merges)
          and all(vocab.get(t, i) == i for t, i in added.items()))
    bos, eos = tcfg["bos_token"], tcfg["eos_token"]
    ok = ok and added[eos["content"]] == cfg["eos_token_id"]
    if cfg["model_type"].startswith("deepseek"):
        ok = ok and added[bos["content"]] == cfg["bos_token_id"] and "<｜Assistant｜><think>\\n" in tcfg["chat_template"]
    check(f"{os.path.basename(path)}: tokenizer.json consistent ({len(vocab)} BPE, {len(merges)} merges, "
          f"{len(added)} added)", ok)


def test_variant(name, path):
    t0 = time.time()
    m = M.load_model(path)  # strict: manifest names == module names, shapes match
    cfg = m.cfg
    tokens = torch.tensor([dump_logits.default_tokens(cfg.vocab_size)])
    with torch.no_grad():
        trace = M.new_trace()
        res = m(tokens, trace=trace)
        logits = res["logits"]
        finite = bool(torch.isfinite(logits).all())
        std_all, std_pos = logits.std().item(), logits.std(dim=1).mean().item()
        check(f"{name}: logits finite and non-degenerate", finite and std_all > 0.5 and std_pos > 0.5,
              f"std {std_all:.2f}, across positions {std_pos:.2f}")
        if cfg.family == "deepseek":
            res_abs = m(tokens, form="absorbed")
            err = M.rel_l2(res_abs["logits"].numpy(), logits.numpy())
            check(f"{name}: absorbed MLA == naive", err < 1e-10, f"rel-L2 {err:.1e}")
            margin = min(float(r["margin"].min()) for r in trace["routing"])
            check(f"{name}: default tokens have no near-tie routing decision (f32-safe)", margin > 1e-5,
                  f"min margin {margin:.1e}")
            counts = [len(set(r["idx"].flatten().tolist())) for r in trace["routing"]]
            check(f"{name}: routing spreads (distinct experts per MoE layer > n_routed/2)",
                  len(counts) > 0 and min(counts) > cfg.n_routed_experts / 2,
                  f"{counts} of {cfg.n_routed_experts}")
            # weights: normalised to routed_scaling_factor when norm_topk_prob
            w = trace["routing"][0]["weights"]
            if cfg.norm_topk_prob:
                check(f"{name}: normalised gate weights sum to routed_scaling_factor",
                      torch.allclose(w.sum(-1), torch.full_like(w[..., 0], cfg.routed_scaling_factor)))
        if cfg.num_nextn_predict_layers:
            mtp = res["mtp_logits"]
            err = M.rel_l2(res_abs["mtp_logits"].numpy(), mtp.numpy())
            check(f"{name}: MTP logits [T-1, V], finite, absorbed == naive",
                  tuple(mtp.shape) == (1, tokens.shape[1] - 1, cfg.vocab_size) and bool(torch.isfinite(mtp).all())
                  and mtp.std().item() > 0.5 and err < 1e-10, f"rel-L2 {err:.1e}")
            # incremental check: MTP row t depends only on tokens[..t+1]
            short = m(tokens[:, :10])["mtp_logits"]
            check(f"{name}: MTP causal (prefix run matches)", M.rel_l2(short.numpy(), mtp[:, :9].numpy()) < 1e-12)
        short = m(tokens[:, :7])["logits"]
        check(f"{name}: causal (prefix run matches)", M.rel_l2(short.numpy(), logits[:, :7].numpy()) < 1e-12)
    print(f"     {name}: {time.time() - t0:.1f}s", flush=True)
    return m, logits


def _fd_check(name, m, tokens, param_names, mtp_lambda, balance_alpha, n_entries=1):
    losses, grads = M.compute_grads(m, tokens, mtp_lambda, balance_alpha)
    params = dict(m.named_parameters())
    worst = 0.0
    details = []
    for pname in param_names:
        g = grads[pname]
        flat = np.argsort(-np.abs(g).ravel())[:n_entries]
        for fi in flat:
            idx = np.unravel_index(fi, g.shape)
            p = params[pname]
            with torch.no_grad():
                orig = p[idx].item()
                eps = 1e-5 * max(1.0, abs(orig))
                p[idx] = orig + eps
                lp = M.training_loss(m, tokens, mtp_lambda, balance_alpha)["total"].item()
                p[idx] = orig - eps
                lm = M.training_loss(m, tokens, mtp_lambda, balance_alpha)["total"].item()
                p[idx] = orig
            fd = (lp - lm) / (2 * eps)
            err = abs(fd - g[idx]) / (abs(g[idx]) + 1e-6)
            worst = max(worst, err)
            details.append(f"{pname.replace('model.layers.', 'L')}:{err:.0e}")
    check(f"{name}: gradients == central finite differences ({len(details)} entries)", worst < 1e-5,
          f"worst rel err {worst:.1e}")
    return losses, grads


def test_grads(models):
    m = models["v3_like"]
    tokens = torch.tensor([dump_logits.default_tokens(m.cfg.vocab_size, seed=7, n=24)])
    L = m.cfg.num_hidden_layers
    p = "model.layers.1."
    with torch.no_grad():
        trace = M.new_trace()
        m(tokens, trace=trace)
    used = set(trace["routing"][0]["idx"].flatten().tolist())
    expert = min(used)
    names = [p + "self_attn.q_a_proj.weight", p + "self_attn.q_a_layernorm.weight", p + "self_attn.q_b_proj.weight",
             p + "self_attn.kv_a_proj_with_mqa.weight", p + "self_attn.kv_a_layernorm.weight",
             p + "self_attn.kv_b_proj.weight", p + "self_attn.o_proj.weight", p + "mlp.gate.weight",
             p + f"mlp.experts.{expert}.down_proj.weight", p + "mlp.shared_experts.up_proj.weight",
             p + "input_layernorm.weight", "model.layers.0.mlp.gate_proj.weight",
             f"model.layers.{L}.eh_proj.weight", f"model.layers.{L}.enorm.weight", f"model.layers.{L}.hnorm.weight",
             f"model.layers.{L}.embed_tokens.weight", f"model.layers.{L}.shared_head.head.weight",
             f"model.layers.{L}.mlp.gate.weight", "model.norm.weight", "lm_head.weight", "model.embed_tokens.weight"]
    losses, grads = _fd_check("v3_like (ce + 0.3 mtp + 0.01 balance)", m, tokens, names, 0.3, 0.01)
    unused = [e for e in range(m.cfg.n_routed_experts) if e not in used]
    zero_ok = all(not np.any(grads[p + f"mlp.experts.{e}.gate_proj.weight"]) for e in unused)
    check("v3_like: unselected experts get zero gradient, bias has none",
          zero_ok and not any("e_score_correction_bias" in n for n in grads), f"unused experts {unused}")
    check("v3_like: losses finite and positive", all(math.isfinite(v) for v in losses.values())
          and losses["ce"] > 0 and losses["mtp"] > 0 and losses["balance"] > 0, str(losses))

    m = models["v2_like"]
    tokens = torch.tensor([dump_logits.default_tokens(m.cfg.vocab_size, seed=8, n=16)])
    _fd_check("v2_like (softmax groups, balance)", m, tokens,
              ["model.layers.1.mlp.gate.weight", "model.layers.2.self_attn.kv_b_proj.weight",
               "model.layers.1.self_attn.q_b_proj.weight"], 0.0, 0.01)
    m = models["v2_lite_like"]
    _fd_check("v2_lite_like", m, tokens, ["model.layers.1.self_attn.q_proj.weight",
                                          "model.layers.2.mlp.gate.weight"], 0.0, 0.0)
    m = models["qwen2_biases"]
    _fd_check("qwen2_biases", m, tokens, ["model.layers.0.self_attn.q_proj.bias", "model.layers.1.self_attn.k_proj.bias",
                                          "model.layers.0.self_attn.v_proj.weight", "lm_head.weight"], 0.0, 0.0)
    m = models["qwen2_tied"]
    _fd_check("qwen2_tied", m, tokens, ["model.embed_tokens.weight", "model.layers.1.mlp.down_proj.weight"], 0.0, 0.0)
    m = models["llama3"]
    _fd_check("llama3", m, tokens, ["model.layers.0.self_attn.k_proj.weight", "model.layers.1.self_attn.o_proj.weight"],
              0.0, 0.0)


def test_batch_grads(m):
    """A batch's loss is the mean of its sequences' (equal lengths), so its gradient is too."""
    a = dump_logits.default_tokens(m.cfg.vocab_size, seed=11, n=12)
    b = dump_logits.default_tokens(m.cfg.vocab_size, seed=12, n=12)
    lab, gab = M.compute_grads(m, torch.tensor([a, b]), 0.3, 0.01)
    la, ga = M.compute_grads(m, torch.tensor([a]), 0.3, 0.01)
    lb, gb = M.compute_grads(m, torch.tensor([b]), 0.3, 0.01)
    loss_err = max(abs(lab[k] - (la[k] + lb[k]) / 2) for k in lab)
    grad_err = max(M.rel_l2(gab[n], (ga[n] + gb[n]) / 2) for n in gab if np.any(gab[n]))
    check("v3_like: batch [2, 12] losses and gradients = mean of the two sequences'",
          loss_err < 1e-12 and grad_err < 1e-10, f"loss err {loss_err:.1e}, worst grad rel-L2 {grad_err:.1e}")


def _adamw_replica(m, tok, steps, lr, beta1, beta2, eps, wd, clip, mtp_lambda, balance_alpha):
    """dump_logits' documented AdamW update written out in numpy (updates m in place)."""
    params = dict(m.named_parameters())
    moments = {n: (np.zeros(p.shape), np.zeros(p.shape)) for n, p in params.items()}
    losses = []
    for k in range(1, steps + 1):
        loss, grads = M.compute_grads(m, tok, mtp_lambda, balance_alpha)
        losses.append(loss["total"])
        norm = math.sqrt(sum(float((g * g).sum()) for g in grads.values()))
        scale = min(1.0, clip / (norm + 1e-6)) if clip else 1.0
        for n, p in params.items():
            w, (mom, vel), g = p.detach().numpy(), moments[n], grads[n] * scale   # w shares p's memory
            w *= 1.0 - lr * (wd if w.ndim >= 2 else 0.0)
            mom *= beta1
            mom += (1 - beta1) * g
            vel *= beta2
            vel += (1 - beta2) * g * g
            w -= lr / (1 - beta1 ** k) * mom / (np.sqrt(vel) / math.sqrt(1 - beta2 ** k) + eps)
    return losses


def test_adamw(tmp, path):
    out = os.path.join(tmp, "adamw")
    os.makedirs(out, exist_ok=True)
    cfg = M.load_config(path)
    seqs = [dump_logits.default_tokens(cfg.vocab_size, seed=s, n=12) for s in (21, 22)]
    hyper = dict(lr=1e-3, beta1=0.9, beta2=0.95, eps=1e-8, wd=0.1, clip=1.0, mtp_lambda=0.3, balance_alpha=1e-4)
    cmd = [sys.executable, os.path.join(HERE, "dump_logits.py"), path,
           "--tokens", ";".join(",".join(map(str, t)) for t in seqs), "--adamw-steps", "3",
           "--steps-out", os.path.join(out, "steps.json"), "--params-out", os.path.join(out, "params.safetensors"),
           "--lr", "1e-3", "--beta1", "0.9", "--beta2", "0.95", "--eps", "1e-8", "--weight-decay", "0.1",
           "--clip", "1.0", "--mtp-lambda", "0.3", "--balance-alpha", "1e-4"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        check("dump_logits --adamw-steps CLI", False, r.stderr.strip()[-300:])
        return
    with open(os.path.join(out, "steps.json")) as f:
        rec = json.load(f)
    losses = rec["losses"]
    check("v3_like: 3 AdamW steps (batch 2 x 12, clip 1) lower the loss",
          all(len(rec[k]) == 3 for k in ("losses", "ce", "mtp", "balance", "grad_norms"))
          and losses[2] < losses[1] < losses[0] and rec["final"]["total"] < losses[2]
          and min(rec["grad_norms"]) > 0, f"losses {[round(x, 3) for x in losses]} final {rec['final']['total']:.3f}")
    m = M.load_model(path)
    bias0 = {n: b.clone() for n, b in m.named_buffers()}
    ref = _adamw_replica(m, torch.tensor(seqs), 3, **hyper)
    saved = st.read_raw(os.path.join(out, "params.safetensors"))
    worst = max(M.rel_l2(saved[n][1], p.detach().numpy()) for n, p in m.named_parameters())
    loss_err = max(abs(a - b) / b for a, b in zip(losses, ref))
    bias_ok = all(np.array_equal(saved[n][1], b.numpy().astype(np.float32)) for n, b in bias0.items())
    check("AdamW mode == numpy replica of the documented update (losses, every parameter)",
          loss_err < 1e-10 and worst < 1e-6 and bias_ok and len(saved) == len(dict(m.named_parameters())) + len(bias0),
          f"loss rel err {loss_err:.1e}, worst parameter rel-L2 {worst:.1e} (f32 file)")
    # Parameters without a gradient (the MTP layer when its loss is off) still decay: matrices by
    # (1 - lr*wd) per step, 1-D ones not at all.
    m = M.load_model(path)
    L = m.cfg.num_hidden_layers
    params = dict(m.named_parameters())
    w0 = params[f"model.layers.{L}.eh_proj.weight"].detach().clone()
    n0 = params[f"model.layers.{L}.enorm.weight"].detach().clone()
    dump_logits.adamw_run(m, torch.tensor(seqs), 2, lr=1e-2, weight_decay=0.1, mtp_lambda=0.0)
    decayed = M.rel_l2(params[f"model.layers.{L}.eh_proj.weight"].detach().numpy(), (w0 * (1 - 1e-3) ** 2).numpy())
    check("AdamW: a matrix without gradient decays by (1 - lr*wd)^k, a 1-D one stays",
          decayed < 1e-14 and torch.equal(params[f"model.layers.{L}.enorm.weight"], n0), f"rel-L2 {decayed:.1e}")


def test_manifests():
    counts = {}
    for name in make_manifests.MODELS:
        counts[name] = make_manifests.build_manifest(name)["num_tensors"]  # asserts expected counts
    check("real-model manifests (R1 91,991 and Qwen-1.5B 339 tensors asserted)",
          counts["DeepSeek-R1"] == 91991 and counts["DeepSeek-R1-Distill-Qwen-1.5B"] == 339, str(counts))
    out = os.path.join(HERE, "..", "data", "manifests")
    if os.path.isdir(out):
        rc = make_manifests.main(["--out", out, "--check"])
        check("checked-in manifests are up to date", rc == 0)


def test_cli(tmp, path, m):
    out = os.path.join(tmp, "cli")
    os.makedirs(out, exist_ok=True)
    cmd = [sys.executable, os.path.join(HERE, "dump_logits.py"), path, "--out", os.path.join(out, "l.f32"),
           "--mtp-out", os.path.join(out, "m.f32"), "--tokens-out", os.path.join(out, "t.txt"),
           "--grads", os.path.join(out, "g.safetensors"), "--mtp-lambda", "0.3", "--balance-alpha", "0.0001"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    ok = r.returncode == 0
    if ok:
        V = m.cfg.vocab_size
        logits = np.fromfile(os.path.join(out, "l.f32"), dtype="<f4").reshape(-1, V)
        mtp = np.fromfile(os.path.join(out, "m.f32"), dtype="<f4").reshape(-1, V)
        toks = [int(x) for x in open(os.path.join(out, "t.txt")).read().strip().split(",")]
        with torch.no_grad():
            res = m(torch.tensor([toks]))
        g = st.read_raw(os.path.join(out, "g.safetensors"))
        ok = (logits.shape == (40, V) and mtp.shape == (39, V) and toks == dump_logits.default_tokens(V)
              and M.rel_l2(logits, res["logits"][0].numpy()) < 1e-7
              and M.rel_l2(mtp, res["mtp_logits"][0].numpy()) < 1e-7
              and set(n for n, _ in m.named_parameters()) <= set(g) and "loss.total" in g)
    check("dump_logits CLI (sharded v3_like: logits, MTP, tokens, grads)", ok, r.stderr.strip()[-300:])
    r = subprocess.run([sys.executable, os.path.join(HERE, "dump_logits.py"), path, "--tokens", "1,2,99999"],
                       capture_output=True, text=True)
    check("dump_logits rejects out-of-range token ids", r.returncode != 0 and "token ids" in r.stderr)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Self-test of tests/reference.")
    ap.add_argument("--keep", help="build the tiny models here and keep them")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        built = args.keep or os.path.join(tmp, "tiny")
        os.makedirs(built, exist_ok=True)
        test_codecs(tmp)
        test_rope_numbers()
        weights = {}
        for name in make_tiny.VARIANTS:
            path, weights[name] = make_tiny.build_variant(name, built)
        test_determinism(tmp, built)
        test_fp8_checkpoint(os.path.join(built, "v3_fp8"), weights["v3_fp8"])
        models, logits = {}, {}
        for name in make_tiny.VARIANTS:
            with open(os.path.join(built, name, "config.json")) as f:
                test_tokenizer(os.path.join(built, name), json.load(f))
            models[name], logits[name] = test_variant(name, os.path.join(built, name))
        # bf16 rounding moves logits ~1% and flips a few routing decisions (those positions move more).
        a, b = logits["v3_bf16"][0].numpy(), logits["v3_like"][0].numpy()
        per_pos = sorted(M.rel_l2(a[t], b[t]) for t in range(a.shape[0]))
        check("v3_bf16 logits close to v3_like (same draw, bf16 storage)",
              1e-6 < per_pos[len(per_pos) // 2] < 0.05 and per_pos[-1] < 0.5,
              f"per-position rel-L2 median {per_pos[len(per_pos) // 2]:.1e}, max {per_pos[-1]:.1e}")
        test_grads(models)
        test_batch_grads(models["v3_like"])
        test_adamw(tmp, os.path.join(built, "v3_like"))
        test_manifests()
        test_cli(tmp, os.path.join(built, "v3_like"), models["v3_like"])
    status = "FAILED: " + ", ".join(FAILURES) if FAILURES else "all passed"
    print(f"selftest: {status} ({time.time() - t0:.1f}s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
