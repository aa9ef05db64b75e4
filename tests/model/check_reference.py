#!/usr/bin/env python3
"""seek's logits against the independent PyTorch reference, on every tiny model variant.

For each variant of tests/reference/make_tiny.py this runs `seek logits` over the reference's 40
tokens and compares every position's logits (relative L2 over the whole [40 x vocab] array):
  - from the Hugging Face directory and from the GGUF that `seek convert` writes of it,
  - with both MLA forms (naive and absorbed; dense models run the same path twice),
  - MTP logits (row t predicts token t+2) where the model has an MTP module.
Bounds: f32 weights 1e-5. Weights stored as bf16 / f16 / FP8 are exact in f32 too when the scalar
kernels run (checked at 1e-5); the default fast kernels round activations to bf16 in prefill matmuls
with bf16 weights (VDPBF16PS), which moves logits by ~5e-3 on dense models and can flip near-tie MoE
routing choices: bound 1e-1 for those runs (documented in docs/MODEL.md).

Usage: check_reference.py SEEK_BINARY WORK_DIR
Prints one line per check and ends with "N passed, N failed"; exit status 1 on any failure.
"""
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "..", "reference")
PY = sys.executable

F32_BOUND = 1e-5
FAST_LOW_PRECISION_BOUND = 1e-1
LOW_PRECISION = {"v3_fp8", "v3_bf16", "qwen2_tied", "llama3"}  # weights not stored as f32
MTP_VARIANTS = {"v3_like", "v3_fp8", "v3_bf16"}


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def rel_l2(got, want):
    return float(np.linalg.norm(got - want) / np.linalg.norm(want))


def main():
    seek, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    run([PY, os.path.join(REF, "make_tiny.py"), "--out", work, "--variant", "all"])
    variants = sorted(d for d in os.listdir(work) if os.path.isfile(os.path.join(work, d, "config.json")))
    passed = failed = 0

    def check(name, got_path, want, bound):
        nonlocal passed, failed
        got = np.fromfile(got_path, dtype=np.float32).astype(np.float64)
        ok = got.shape == want.shape and np.isfinite(got).all()
        err = rel_l2(got, want) if ok else float("inf")
        ok = ok and err < bound
        print(f"{'ok  ' if ok else 'FAIL'} {name}: rel_l2 {err:.3e} (bound {bound:g})")
        passed, failed = passed + ok, failed + (not ok)

    for v in variants:
        model = os.path.join(work, v)
        ref_logits, ref_mtp, tok_file = (os.path.join(work, f"{v}.{s}") for s in ("ref.f32", "refmtp.f32", "tokens"))
        cmd = [PY, os.path.join(REF, "dump_logits.py"), model, "--out", ref_logits, "--tokens-out", tok_file]
        if v in MTP_VARIANTS:
            cmd += ["--mtp-out", ref_mtp]
        run(cmd)
        tokens = open(tok_file).read().strip()
        want = np.fromfile(ref_logits, dtype=np.float32).astype(np.float64)
        gguf = os.path.join(work, f"{v}.gguf")
        run([seek, "convert", model, gguf])
        for source, path in (("hf", model), ("gguf", gguf)):
            for form in ("naive", "absorbed"):
                runs = [("scalar", F32_BOUND)] if v in LOW_PRECISION else []
                runs.append(("auto", FAST_LOW_PRECISION_BOUND if v in LOW_PRECISION else F32_BOUND))
                for kernels, bound in runs:
                    out = os.path.join(work, f"{v}.{source}.{form}.{kernels}.f32")
                    run([seek, "logits", "--model", path, "--tokens", tokens, "--out", out, "--mla", form,
                         "--kernels", kernels, "-t", "2"])
                    check(f"{v} {source} {form} {kernels}", out, want, bound)
        if v in MTP_VARIANTS:
            out = os.path.join(work, f"{v}.mtp.f32")
            kernels = "scalar" if v in LOW_PRECISION else "auto"
            run([seek, "logits", "--model", model, "--tokens", tokens, "--out", os.path.join(work, "main.f32"),
                 "--mtp-out", out, "--kernels", kernels, "-t", "2"])
            check(f"{v} mtp {kernels}", out, np.fromfile(ref_mtp, dtype=np.float32).astype(np.float64), F32_BOUND)

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
