"""Reference logits (and gradients) for a HF model directory, in seek's file formats.

    /usr/bin/python3 tests/reference/dump_logits.py MODEL_DIR --out LOGITS.f32
        [--tokens 1,2,3[;4,5,6] | --seed 1234 --n 40] [--tokens-out TOKENS.txt]
        [--mtp-out MTP.f32] [--routing-out ROUTING.json] [--hidden-out HIDDEN.safetensors]
        [--grads GRADS.safetensors [--mtp-lambda 0.3] [--balance-alpha 1e-4]]
        [--adamw-steps N --steps-out STEPS.json [--params-out PARAMS.safetensors] [--lr 1e-3]
         [--beta1 0.9] [--beta2 0.95] [--eps 1e-8] [--weight-decay 0.1] [--clip 1.0]
         [--mtp-lambda 0.3] [--balance-alpha 1e-4]]

Formats (all little-endian):
  LOGITS.f32   raw float32 rows [n_tokens x vocab], no header -- same as `seek logits --out`.
               Several sequences (';'-separated) are written one after another.
  MTP.f32      raw float32 rows [(n_tokens-1) x vocab]: row t predicts token t+2 from the main
               model's hidden h_t (after model.norm, see model.MTP_HIDDEN_AFTER_FINAL_NORM) and
               emb(tokens[t+1]), t = 0..n-2. Only for models with num_nextn_predict_layers > 0.
  TOKENS.txt   the token ids used, comma-separated, one line per sequence.
  ROUTING.json {"layers": [{"layer": i, "experts": [[...] per token], "weights": [[...]],
               "margin": [...]}]}: experts sorted ascending per token, weights in the same
               order, margin = the score gap that decided the choice (see model.MoEGate).
  HIDDEN.safetensors  F32 "hidden.{i}" = residual stream after layer i [B, T, d],
               "hidden.final" = after model.norm.
  GRADS.safetensors   F32 gradient of loss.total for every parameter under its HF name, plus
               "loss.total", "loss.ce", "loss.mtp", "loss.balance" ([1]) and "tokens" (I64,
               [B, T]). With a batch the losses are means over it (model.training_loss).
  STEPS.json   --adamw-steps N: {"losses": [total before step k, k = 0..N-1], "ce", "mtp",
               "balance" (same), "grad_norms": [global L2 norm of the gradient before clipping],
               "final": {"total", "ce", "mtp", "balance"} at the parameters after step N,
               "optimizer": {hyper-parameters}, "tokens": [[...]]}.
  PARAMS.safetensors  F32 parameters after N AdamW steps under their HF names, plus the
               untouched buffers (e_score_correction_bias), so the file is a full state dict.

AdamW mode (the rule seek's trainer must reproduce): torch.optim.AdamW in float64, constant lr,
on every step k = 1..N for every parameter p with gradient g (the gradient of the same total loss
as --grads, on the same tokens every step):
    g     = g * min(1, clip / (||g_all||_2 + 1e-6))      only with --clip; the norm is global
    p     = p * (1 - lr * wd_p)                          decoupled weight decay, before the update
    m     = beta1 * m + (1 - beta1) * g
    v     = beta2 * v + (1 - beta2) * g^2
    p     = p - (lr / (1 - beta1^k)) * m / (sqrt(v) / sqrt(1 - beta2^k) + eps)
wd_p = --weight-decay for every parameter with ndim >= 2 (all matrices: projections, experts,
router gates, embeddings, heads, eh_proj) and 0 for 1-D ones (RMSNorm weights, q/k/v biases).
A parameter that takes no part in a step (an expert no token chose, the MTP layer when
--mtp-lambda is 0) gets a zero gradient, not torch's "skip": it still decays and its moments
still decay, and every parameter shares the global step count k. e_score_correction_bias is a
buffer: never updated.

Logits use the naive MLA form; the absorbed form is computed too and must agree to a relative
L2 of 1e-10 (float64), otherwise the script fails. Default tokens: the first n ids of
numpy.random.default_rng(seed).integers(0, vocab_size, size=n) -- read --tokens-out rather
than re-deriving them.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import model as M  # noqa: E402
import safetensors_io  # noqa: E402

ABSORBED_TOL = 1e-10


def default_tokens(vocab_size, seed=1234, n=40):
    return np.random.default_rng(seed).integers(0, vocab_size, size=n).tolist()


def parse_tokens(text):
    seqs = [[int(x) for x in part.split(",") if x.strip()] for part in text.split(";") if part.strip()]
    if not seqs or len({len(s) for s in seqs}) != 1:
        raise ValueError("--tokens: give one or more ';'-separated sequences of equal length")
    return seqs


def _write_atomic(path, data):
    with open(path + ".tmp.write", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp.write", path)


def _f32_rows(t):
    return np.ascontiguousarray(t.detach().numpy().reshape(-1, t.shape[-1]), dtype="<f4").tobytes()


def decays(p):
    """The weight-decay rule: matrices decay, 1-D parameters (norm weights, biases) do not."""
    return p.dim() >= 2


def adamw_run(m, tok, steps, lr=1e-3, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.1, clip=None,
              mtp_lambda=0.0, balance_alpha=0.0):
    """N AdamW steps on the fixed batch `tok` [B, T] (see the module docstring for the exact
    update); returns the per-step record of STEPS.json. Updates `m` in place."""
    named = list(m.named_parameters())
    params = [p for _, p in named]
    groups = [{"params": [p for n, p in named if decays(p)], "weight_decay": weight_decay},
              {"params": [p for n, p in named if not decays(p)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=lr, betas=(beta1, beta2), eps=eps)
    record = {k: [] for k in ("losses", "ce", "mtp", "balance", "grad_norms")}
    for _ in range(steps):
        for p in params:
            p.grad = None
        losses = M.training_loss(m, tok, mtp_lambda, balance_alpha)
        losses["total"].backward()
        for p in params:  # zero, not None: torch would skip the parameter (no decay, own step count)
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        if clip is not None:
            norm = float(torch.nn.utils.clip_grad_norm_(params, clip))
        else:
            norm = float(torch.sqrt(sum((p.grad * p.grad).sum() for p in params)))
        if not all(math.isfinite(float(v)) for v in losses.values()) or not math.isfinite(norm):
            raise AssertionError(f"non-finite loss or gradient at step {len(record['losses'])}")
        for key, name in (("losses", "total"), ("ce", "ce"), ("mtp", "mtp"), ("balance", "balance")):
            record[key].append(float(losses[name]))
        record["grad_norms"].append(norm)
        opt.step()
    with torch.no_grad():
        record["final"] = {k: float(v) for k, v in M.training_loss(m, tok, mtp_lambda, balance_alpha).items()}
    record["optimizer"] = {"name": "adamw", "steps": steps, "lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps,
                           "weight_decay": weight_decay, "clip": clip, "mtp_lambda": mtp_lambda,
                           "balance_alpha": balance_alpha, "decay": "ndim >= 2"}
    return record


def run(model_dir, tokens, out=None, mtp_out=None, tokens_out=None, routing_out=None, hidden_out=None,
        grads=None, mtp_lambda=0.0, balance_alpha=0.0, model=None, adamw=None, steps_out=None,
        params_out=None):
    """Does the work; returns a summary dict. `model` may be passed to skip loading (AdamW mode,
    which runs last, updates it in place). `adamw` = keyword arguments of adamw_run (steps, lr, ...)."""
    m = model if model is not None else M.load_model(model_dir)
    cfg = m.cfg
    tok = torch.tensor(tokens, dtype=torch.long)
    if int(tok.min()) < 0 or int(tok.max()) >= cfg.vocab_size:
        raise ValueError(f"token ids must be in [0, {cfg.vocab_size})")
    if mtp_out and not cfg.num_nextn_predict_layers:
        raise ValueError("--mtp-out: the model has no MTP layer (num_nextn_predict_layers = 0)")
    summary = {"model": model_dir, "tokens": tokens, "vocab_size": cfg.vocab_size,
               "mtp_hidden_after_final_norm": M.MTP_HIDDEN_AFTER_FINAL_NORM}
    with torch.no_grad():
        trace = M.new_trace()
        res = m(tok, form="naive", trace=trace)
        if cfg.family == "deepseek":
            res_abs = m(tok, form="absorbed")
            for key in ("logits", "mtp_logits"):
                if key in res:
                    err = M.rel_l2(res_abs[key].numpy(), res[key].numpy())
                    summary[f"absorbed_vs_naive_{key}"] = err
                    if not err < ABSORBED_TOL:
                        raise AssertionError(f"absorbed MLA {key} differ from naive: rel-L2 {err:.3e}")
    for key in ("logits", "mtp_logits"):
        if key in res and not torch.isfinite(res[key]).all():
            raise AssertionError(f"non-finite {key}")
    summary["logits_shape"] = list(res["logits"].shape)
    if trace["routing"]:
        # Smallest score gap that decided an expert/group choice: if tiny (< ~1e-5), f32 code
        # may pick differently and the logits comparison is ill-posed for these tokens.
        summary["min_routing_margin"] = min(float(r["margin"].min()) for r in trace["routing"])
    if out:
        _write_atomic(out, _f32_rows(res["logits"]))
    if mtp_out:
        _write_atomic(mtp_out, _f32_rows(res["mtp_logits"]))
        summary["mtp_logits_shape"] = list(res["mtp_logits"].shape)
    if tokens_out:
        _write_atomic(tokens_out, "".join(",".join(map(str, s)) + "\n" for s in tokens).encode())
    if routing_out:
        layers = [i for i in range(cfg.num_hidden_layers + cfg.num_nextn_predict_layers) if cfg.is_moe_layer(i)]
        rows = []
        for layer, r in zip(layers, trace["routing"]):
            idx, w = r["idx"].reshape(-1, r["idx"].shape[-1]), r["weights"].reshape(-1, r["idx"].shape[-1])
            order = idx.argsort(-1)
            rows.append({"layer": layer, "experts": idx.gather(1, order).tolist(),
                         "weights": w.gather(1, order).tolist(), "margin": r["margin"].reshape(-1).tolist()})
        _write_atomic(routing_out, json.dumps({"layers": rows}).encode())
    if hidden_out:
        tensors = {f"hidden.{i}": ("F32", h.numpy().astype(np.float32)) for i, h in enumerate(trace["hidden"])}
        tensors["hidden.final"] = ("F32", res["hidden"].numpy().astype(np.float32))
        safetensors_io.write_file(hidden_out, tensors)
    if grads:
        losses, g = M.compute_grads(m, tok, mtp_lambda=mtp_lambda, balance_alpha=balance_alpha)
        tensors = {f"loss.{k}": ("F32", np.array([v], dtype=np.float32)) for k, v in losses.items()}
        tensors["tokens"] = ("I64", np.asarray(tokens, dtype=np.int64))
        for name, arr in g.items():
            if not np.isfinite(arr).all():
                raise AssertionError(f"non-finite gradient for {name}")
            tensors[name] = ("F32", arr.astype(np.float32))
        meta = {"format": "pt", "mtp_lambda": repr(mtp_lambda), "balance_alpha": repr(balance_alpha),
                "mtp_hidden_after_final_norm": str(M.MTP_HIDDEN_AFTER_FINAL_NORM).lower()}
        meta.update({f"loss.{k}": repr(v) for k, v in losses.items()})
        safetensors_io.write_file(grads, tensors, meta)
        summary["losses"] = losses
    if adamw:
        record = adamw_run(m, tok, mtp_lambda=mtp_lambda, balance_alpha=balance_alpha, **adamw)
        record["tokens"] = tokens
        if steps_out:
            _write_atomic(steps_out, json.dumps(record).encode())
        if params_out:
            tensors = {n: ("F32", p.detach().numpy().astype(np.float32)) for n, p in m.named_parameters()}
            tensors.update({n: ("F32", b.numpy().astype(np.float32)) for n, b in m.named_buffers()})
            meta = {"format": "pt", "adamw_steps": str(record["optimizer"]["steps"])}
            safetensors_io.write_file(params_out, tensors, meta)
        summary["adamw"] = {"first_loss": record["losses"][0] if record["losses"] else None,
                            "final_loss": record["final"]["total"]}
    return summary


def main(argv=None):
    ap = argparse.ArgumentParser(description="Reference float64 logits / gradients for a HF model directory.")
    ap.add_argument("model_dir")
    ap.add_argument("--out", help="raw float32 logits [n_tokens x vocab]")
    ap.add_argument("--tokens", help="comma-separated ids; ';' separates sequences of equal length")
    ap.add_argument("--seed", type=int, default=1234, help="seed for the default token sequence")
    ap.add_argument("--n", type=int, default=40, help="length of the default token sequence")
    ap.add_argument("--tokens-out", help="write the token ids used")
    ap.add_argument("--mtp-out", help="raw float32 MTP logits [(n_tokens-1) x vocab]")
    ap.add_argument("--routing-out", help="JSON with the experts chosen per MoE layer and token")
    ap.add_argument("--hidden-out", help="safetensors with the residual stream after every layer")
    ap.add_argument("--grads", help="safetensors with losses and every parameter gradient")
    ap.add_argument("--mtp-lambda", type=float, default=0.0, help="weight of the MTP loss (grads / AdamW mode)")
    ap.add_argument("--balance-alpha", type=float, default=0.0, help="weight of the balance loss (grads / AdamW mode)")
    ap.add_argument("--adamw-steps", type=int, help="run N AdamW steps on the tokens (see the module docstring)")
    ap.add_argument("--steps-out", help="AdamW mode: JSON with the loss and gradient norm of every step")
    ap.add_argument("--params-out", help="AdamW mode: safetensors with the parameters after the last step")
    ap.add_argument("--lr", type=float, default=1e-3, help="AdamW learning rate (constant)")
    ap.add_argument("--beta1", type=float, default=0.9)
    ap.add_argument("--beta2", type=float, default=0.95)
    ap.add_argument("--eps", type=float, default=1e-8)
    ap.add_argument("--weight-decay", type=float, default=0.1, help="decoupled; parameters with ndim >= 2 only")
    ap.add_argument("--clip", type=float, help="global gradient-norm clip before each step (default: none)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    adamw = None
    if args.adamw_steps is not None:
        if args.adamw_steps < 1:
            ap.error("--adamw-steps must be >= 1")
        if not (args.steps_out or args.params_out):
            ap.error("--adamw-steps needs --steps-out and/or --params-out")
        if args.clip is not None and not args.clip > 0:
            ap.error("--clip must be > 0")
        adamw = {"steps": args.adamw_steps, "lr": args.lr, "beta1": args.beta1, "beta2": args.beta2,
                 "eps": args.eps, "weight_decay": args.weight_decay, "clip": args.clip}
    elif args.steps_out or args.params_out:
        ap.error("--steps-out / --params-out need --adamw-steps N")
    torch.set_num_threads(args.threads)
    try:
        cfg = M.load_config(args.model_dir)
        tokens = parse_tokens(args.tokens) if args.tokens else [default_tokens(cfg.vocab_size, args.seed, args.n)]
        summary = run(args.model_dir, tokens, out=args.out, mtp_out=args.mtp_out, tokens_out=args.tokens_out,
                      routing_out=args.routing_out, hidden_out=args.hidden_out, grads=args.grads,
                      mtp_lambda=args.mtp_lambda, balance_alpha=args.balance_alpha, adamw=adamw,
                      steps_out=args.steps_out, params_out=args.params_out)
    except (ValueError, OSError, KeyError, AssertionError) as e:
        print(f"dump_logits: {args.model_dir}: {e}", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
