#!/usr/bin/env python3
"""seek's training against the independent float64 PyTorch reference (tests/reference).

For each tiny variant (built by tests/model/check_reference.py into MODEL_DIR, or made here):
  1. gradients: `seek grads` on a batch of 2 x 16 tokens with the MTP loss (lambda 0.3) and the
     balance loss (alpha 0.01) vs dump_logits.py --grads: the losses, and every parameter's gradient
     tensor by tensor, relative L2 error < 1e-4 (f32 against float64);
  2. optimisation: 10 AdamW steps (lr 2e-4, betas 0.9/0.95, wd 0.1, clip 1.0) on that batch, the
     loss before every step within 1e-4 relative of the reference's.

usage: /usr/bin/python3 tests/train/check_train.py SEEK_BINARY MODEL_DIR
Prints one line per check and ends with "N passed, N failed".
"""
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "..", "reference")
sys.path.insert(0, REF)
import safetensors_io  # noqa: E402

VARIANTS = ["v3_like", "v2_like", "v2_lite_like", "qwen2_biases", "qwen2_tied", "llama3"]
GRAD_TOL = 1e-4
LOSS_TOL = 1e-4
ADAMW = ["--lr", "2e-4", "--beta1", "0.9", "--beta2", "0.95", "--eps", "1e-8", "--weight-decay", "0.1",
         "--clip", "1.0"]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} ... failed:\n{r.stdout}\n{r.stderr}")
    return r.stdout


def tensors(path):
    """Parameter-named tensors of a gradient file (the losses and token ids are skipped)."""
    return {k: safetensors_io.decode(*v) for k, v in safetensors_io.read_raw(path).items()
            if not k.startswith("loss.") and k != "tokens"}


def main():
    seek, model_dir = sys.argv[1], sys.argv[2]
    work = os.path.join(model_dir, "train-checks")
    os.makedirs(work, exist_ok=True)
    missing = [v for v in VARIANTS if not os.path.isdir(os.path.join(model_dir, v))]
    if missing:
        run([sys.executable, os.path.join(REF, "make_tiny.py"), "--out", model_dir, "--variant", "all"])
    rng = np.random.default_rng(7)
    passed = failed = 0

    def report(ok, text):
        nonlocal passed, failed
        passed += ok
        failed += not ok
        print(("ok   " if ok else "FAIL ") + text)

    for variant in VARIANTS:
        path = os.path.join(model_dir, variant)
        vocab = json.load(open(os.path.join(path, "config.json")))["vocab_size"]
        tokens = rng.integers(0, vocab, size=(2, 16))
        tok = ";".join(",".join(str(int(t)) for t in row) for row in tokens)
        loss_args = ["--mtp-lambda", "0.3", "--balance-alpha", "0.01"]
        ref_g, seek_g = os.path.join(work, variant + ".ref.safetensors"), os.path.join(work, variant + ".seek.safetensors")
        ref_out = run([sys.executable, os.path.join(REF, "dump_logits.py"), path, "--out", os.path.join(work, "unused.f32"),
                       "--tokens", tok, "--grads", ref_g] + loss_args)
        run([seek, "grads", "--model", path, "--tokens", tok, "--out", seek_g, "-t", "2"] + loss_args)
        ref_losses = json.loads(ref_out.strip().splitlines()[-1])["losses"]
        meta = safetensors_io.read_header(seek_g)[1]
        for key in ("total", "ce", "mtp", "balance"):
            want, got = ref_losses[key], float(meta[key])
            err = abs(got - want) / max(abs(want), 1e-12)
            report(err < LOSS_TOL or (want == 0 and got == 0), f"{variant}: loss {key} {got:.9g} vs {want:.9g} (rel {err:.1e})")
        want_g, got_g = tensors(ref_g), tensors(seek_g)
        worst, worst_name, bad = 0.0, "", []
        for name, w in want_g.items():
            if name not in got_g:
                bad.append(f"{name} missing")
                continue
            g = got_g[name]
            norm = np.linalg.norm(w)
            err = np.linalg.norm(g - w) / norm if norm > 0 else np.linalg.norm(g)
            if err > worst:
                worst, worst_name = err, name
            if err >= GRAD_TOL:
                bad.append(f"{name} rel {err:.2e}")
        extra = [n for n in got_g if n not in want_g and np.linalg.norm(got_g[n]) != 0]  # buffers: zero
        report(not bad and not extra, f"{variant}: {len(want_g)} gradients, worst rel-L2 {worst:.1e} ({worst_name})"
               + ("; " + ", ".join((bad + extra)[:5]) if bad or extra else ""))

        steps_ref, steps_seek = os.path.join(work, variant + ".ref-steps.json"), os.path.join(work, variant + ".seek-steps.json")
        run([sys.executable, os.path.join(REF, "dump_logits.py"), path, "--out", os.path.join(work, "unused.f32"),
             "--tokens", tok, "--adamw-steps", "10", "--steps-out", steps_ref] + loss_args + ADAMW)
        run([seek, "grads", "--model", path, "--tokens", tok, "--steps", "10", "--steps-out", steps_seek, "-t", "2"]
            + loss_args + ADAMW)
        want_l, got_l = json.load(open(steps_ref))["losses"], json.load(open(steps_seek))["losses"]
        errs = [abs(a - b) / abs(b) for a, b in zip(got_l, want_l)]
        report(len(got_l) == len(want_l) == 10 and max(errs) < LOSS_TOL,
               f"{variant}: 10 AdamW steps, loss {want_l[0]:.4f} -> {want_l[-1]:.4f}, worst rel {max(errs):.1e}")

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
