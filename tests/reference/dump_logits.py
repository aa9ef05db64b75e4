"""Reference logits (and gradients) for a HF model directory, in seek's file formats.

    /usr/bin/python3 tests/reference/dump_logits.py MODEL_DIR --out LOGITS.f32
        [--tokens 1,2,3[;4,5,6] | --seed 1234 --n 40] [--tokens-out TOKENS.txt]
        [--mtp-out MTP.f32] [--routing-out ROUTING.json] [--hidden-out HIDDEN.safetensors]
        [--grads GRADS.safetensors [--mtp-lambda 0.3] [--balance-alpha 1e-4]]

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
               "loss.total", "loss.ce", "loss.mtp", "loss.balance" ([1]) and "tokens" (I64).

Logits use the naive MLA form; the absorbed form is computed too and must agree to a relative
L2 of 1e-10 (float64), otherwise the script fails. Default tokens: the first n ids of
numpy.random.default_rng(seed).integers(0, vocab_size, size=n) -- read --tokens-out rather
than re-deriving them.
"""

import argparse
import json
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


def run(model_dir, tokens, out=None, mtp_out=None, tokens_out=None, routing_out=None, hidden_out=None,
        grads=None, mtp_lambda=0.0, balance_alpha=0.0, model=None):
    """Does the work; returns a summary dict. `model` may be passed to skip loading."""
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
    ap.add_argument("--mtp-lambda", type=float, default=0.0, help="weight of the MTP loss (grads mode)")
    ap.add_argument("--balance-alpha", type=float, default=0.0, help="weight of the balance loss (grads mode)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        cfg = M.load_config(args.model_dir)
        tokens = parse_tokens(args.tokens) if args.tokens else [default_tokens(cfg.vocab_size, args.seed, args.n)]
        summary = run(args.model_dir, tokens, out=args.out, mtp_out=args.mtp_out, tokens_out=args.tokens_out,
                      routing_out=args.routing_out, hidden_out=args.hidden_out, grads=args.grads,
                      mtp_lambda=args.mtp_lambda, balance_alpha=args.balance_alpha)
    except (ValueError, OSError, KeyError, AssertionError) as e:
        print(f"dump_logits: {args.model_dir}: {e}", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
