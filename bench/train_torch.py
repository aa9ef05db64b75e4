"""PyTorch CPU training-throughput baseline for the DeepSeek-architecture models seek trains.

    /usr/bin/python3 bench/train_torch.py --config tests/data/configs/train-tiny.json \
        [-B 8] [-T 256] [--threads 2] [--steps 10] [--warmup 2] [--mtp-lambda 0.3] \
        [--balance-alpha 1e-4] [--lr 1e-3] [--seed 0]

Prints one JSON line: {"tokens_per_s", "step_seconds" (median), "params", "active_params_per_token",
"flops_per_step", "gflops", ...}. The model is tests/reference/model.py's (HF tensor names, naive
MLA like HF's DeepseekV3Attention, per-expert loop like HF's moe_infer) in float32, randomly
initialised (model.new_model). One step = forward + loss (ce + mtp_lambda*mtp + balance_alpha*balance,
as in model.training_loss) + backward + clip_grad_norm_(1.0) + AdamW (decay on ndim >= 2 only,
foreach=True: the fastest documented setting) on fresh uniform random tokens [B, T].

Configured the way PyTorch users run it (docs/PERFORMANCE.md, DESIGN.md "How performance is
measured"):
  * BLAS: Debian's python3-torch is built with BLAS_INFO=generic and calls whatever
    libblas.so.3 the alternatives system points at: the reference BLAS (~7 GFLOP/s here) unless
    libopenblas0-pthread is installed (~115 GFLOP/s per core). The library actually mapped is
    reported as "blas"; a reference BLAS is refused (--allow-reference-blas to override).
  * Threads: torch.set_num_threads(N) does not reach that OpenBLAS (torch only calls
    openblas_set_num_threads when built against OpenBLAS directly), which would otherwise use every
    core; so OPENBLAS_NUM_THREADS and OMP_NUM_THREADS are set to N before torch is imported,
    unless already set. With N > 1 also OMP_WAIT_POLICY=PASSIVE (unless set): by default libgomp's
    idle threads spin and starve OpenBLAS's own pthreads of the same cores; on the 2-core dev
    machine that made a step 3-4x slower (B=8, T=256 on train-tiny: ~600-1400 tokens/s
    spinning against ~5200 passive).

Validation before timing: the float32 loss at step 0 must agree with the float64 model built
from the same draw (relative error < 1e-4) and be within 5% of ln(vocab) (a fresh model is
near-uniform); every timed step's loss must be finite.

FLOPs per step (the convention of PaLM / llm.c: 2 per multiply-add, training = 3x forward, causal
attention counted as full T x T, embedding lookups, norms, softmax and the optimizer not counted):
    flops = 6 * N_main * B * T                                    matmul parameters, main model
          + 6 * N_mtp * B * (T-1)                                 MTP module, when mtp_lambda != 0
          + 6 * H * (qk_nope + qk_rope + v_head) * B * (L * T^2 + [mtp] (T-1)^2)   QK^T and PV
where N_* counts the weights a token multiplies by: MLA projections (q_proj or q_a + q_b,
kv_a_proj_with_mqa, kv_b_proj, o_proj), dense SwiGLU 3*d*intermediate, MoE router n_routed*d +
top_k routed experts 3*d*moe_width + shared 3*d*n_shared*moe_width, lm_head V*d; the MTP module
adds eh_proj 2d*d, its block and shared_head.head V*d.
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(argv):
    ap = argparse.ArgumentParser(description="PyTorch CPU training throughput on a DeepSeek config.json")
    ap.add_argument("--config", required=True, help="HF config.json (DeepseekV2/V3 keys)")
    ap.add_argument("-B", "--batch", type=int, default=8)
    ap.add_argument("-T", "--seq-len", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1, help="torch, OpenMP and OpenBLAS threads")
    ap.add_argument("--steps", type=int, default=10, help="timed steps")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    ap.add_argument("--mtp-lambda", type=float, default=0.3)
    ap.add_argument("--balance-alpha", type=float, default=1e-4)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--allow-reference-blas", action="store_true")
    args = ap.parse_args(argv)
    if min(args.batch, args.threads, args.steps) < 1 or args.seq_len < 3 or args.warmup < 0:
        ap.error("need -B, --threads, --steps >= 1, -T >= 3, --warmup >= 0")
    return args


def mapped_blas():
    """The BLAS shared objects this process has mapped (what libblas.so.3 resolved to)."""
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.split()[-1]}
    return sorted(libs)


def matmul_params(cfg, layer_idx):
    """Weights one token multiplies by in decoder layer `layer_idx` (attention + FFN)."""
    d, H = cfg.hidden_size, cfg.num_attention_heads
    qk = cfg.qk_nope_head_dim + cfg.qk_rope_head_dim
    if cfg.q_lora_rank is None:
        attn = d * H * qk
    else:
        attn = d * cfg.q_lora_rank + cfg.q_lora_rank * H * qk
    attn += d * (cfg.kv_lora_rank + cfg.qk_rope_head_dim)
    attn += cfg.kv_lora_rank * H * (cfg.qk_nope_head_dim + cfg.v_head_dim)
    attn += H * cfg.v_head_dim * d
    if cfg.is_moe_layer(layer_idx):
        w = cfg.moe_intermediate_size
        ffn = cfg.n_routed_experts * d + cfg.num_experts_per_tok * 3 * d * w + 3 * d * cfg.n_shared_experts * w
    else:
        ffn = 3 * d * cfg.intermediate_size
    return attn + ffn


def flops_per_step(cfg, B, T, with_mtp):
    """(flops, N_main, N_mtp) by the formula in the module docstring."""
    L, V, d = cfg.num_hidden_layers, cfg.vocab_size, cfg.hidden_size
    n_main = sum(matmul_params(cfg, i) for i in range(L)) + V * d
    n_mtp = 2 * d * d + matmul_params(cfg, L) + V * d if with_mtp else 0
    attn_dim = cfg.num_attention_heads * (cfg.qk_nope_head_dim + cfg.qk_rope_head_dim + cfg.v_head_dim)
    attn_pairs = L * T * T + ((T - 1) * (T - 1) if with_mtp else 0)
    flops = 6 * n_main * B * T + 6 * n_mtp * B * (T - 1) + 6 * attn_dim * B * attn_pairs
    return flops, n_main, n_mtp


def main(argv=None):
    args = parse_args(argv)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(var, str(args.threads))
    if args.threads > 1:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import numpy as np
    import torch

    sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
    import model as M

    torch.set_num_threads(args.threads)
    blas = mapped_blas()
    if not any("openblas" in b or "mkl" in b or "blis" in b for b in blas) and not args.allow_reference_blas:
        print(f"train_torch: torch is using a reference BLAS ({blas}); install libopenblas0-pthread "
              "(apt-get install libopenblas0-pthread) or pass --allow-reference-blas", file=sys.stderr)
        return 1
    with open(args.config) as f:
        cfg = M.Config.from_dict(json.load(f))
    if cfg.family != "deepseek":
        print(f"train_torch: {args.config}: model_type {cfg.model_type} is not a DeepSeek model", file=sys.stderr)
        return 1
    B, T = args.batch, args.seq_len
    with_mtp = args.mtp_lambda != 0.0 and cfg.num_nextn_predict_layers > 0
    flops, n_main, n_mtp = flops_per_step(cfg, B, T, with_mtp)

    model = M.new_model(cfg, torch.float32, seed=args.seed)
    rng = np.random.default_rng(args.seed)

    def batch():
        return torch.from_numpy(rng.integers(0, cfg.vocab_size, size=(B, T)))

    def loss_of(m, tok):
        return M.training_loss(m, tok, args.mtp_lambda, args.balance_alpha)

    # Validate: f32 matches the float64 model of the same draw, and a fresh model is near-uniform.
    tok = batch()
    with torch.no_grad():
        ce32 = float(loss_of(model, tok)["ce"])
        ce64 = float(loss_of(M.new_model(cfg, torch.float64, seed=args.seed), tok)["ce"])
    if not (abs(ce32 - ce64) <= 1e-4 * ce64 and abs(ce32 - math.log(cfg.vocab_size)) < 0.05 * math.log(cfg.vocab_size)):
        print(f"train_torch: validation failed: ce f32 {ce32}, f64 {ce64}, ln(vocab) {math.log(cfg.vocab_size)}",
              file=sys.stderr)
        return 1

    named = list(model.named_parameters())
    params = [p for _, p in named]
    groups = [{"params": [p for _, p in named if p.dim() >= 2], "weight_decay": 0.1},
              {"params": [p for _, p in named if p.dim() < 2], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=args.lr, betas=(0.9, 0.95), eps=1e-8, foreach=True)

    times, losses = [], []
    for step in range(args.warmup + args.steps):
        tok = batch()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_of(model, tok)["total"]
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        dt = time.perf_counter() - t0
        value = float(loss)
        if not math.isfinite(value):
            print(f"train_torch: non-finite loss at step {step}", file=sys.stderr)
            return 1
        if step >= args.warmup:
            times.append(dt)
            losses.append(value)

    step_s = statistics.median(times)
    print(json.dumps({
        "tokens_per_s": round(B * T / step_s, 1),
        "step_seconds": round(step_s, 4),
        "step_seconds_min": round(min(times), 4),
        "params": sum(p.numel() for p in params),
        "active_params_per_token": n_main,
        "mtp_active_params_per_token": n_mtp,
        "flops_per_step": flops,
        "gflops": round(flops / step_s / 1e9, 2),
        "batch": B, "seq_len": T, "threads": args.threads, "steps": args.steps,
        "mtp_lambda": args.mtp_lambda, "balance_alpha": args.balance_alpha,
        "loss_first": round(losses[0], 4), "loss_last": round(losses[-1], 4),
        "torch": torch.__version__, "dtype": "float32", "blas": blas,
        "openblas_num_threads": os.environ["OPENBLAS_NUM_THREADS"],
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(libgomp default)"), "config": args.config,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
