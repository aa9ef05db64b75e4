#!/usr/bin/env bash
# Rebuilds models/seek-r1-tiny, the default model ./run serves, with seek's own pipeline:
#   seek data (reasoning problems with step-by-step traces, levels 1-2 of every task)
#   -> seek tokenizer train (byte-level BPE, DeepSeek-V3 layout, R1 chat template)
#   -> seek train (SFT of a DeepSeek-V3-architecture model: MLA, 8 routed + 1 shared expert with
#      aux-loss-free balancing, one MTP module; tests/data/configs/train-tiny.json)
#   -> seek eval on held-out problems.
# Takes ~25 minutes on 2 cores. Usage: tools/train_default_model.sh [WORK_DIR] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-build/default-model}
STEPS=${2:-5000}
SEEK=build/seek
mkdir -p "$WORK"
"$SEEK" data --task mix --level 1 --count 60000 --seed 1 --out "$WORK/l1.jsonl"
"$SEEK" data --task mix --level 2 --count 60000 --seed 2 --out "$WORK/l2.jsonl"
cat "$WORK/l1.jsonl" "$WORK/l2.jsonl" >"$WORK/train.jsonl"
"$SEEK" tokenizer train --input "$WORK/train.jsonl" --vocab-size 1024 --out "$WORK/tok"
"$SEEK" train --data "$WORK/train.jsonl" --config tests/data/configs/train-tiny.json --tokenizer "$WORK/tok" \
  --out "$WORK/run" --steps "$STEPS" --batch 8 --seq 256 --lr 2e-3 --min-lr 2e-4 --warmup 100 \
  --save-every 250 --log-every 25 -t 2 --save-dtype bf16 $( [ -d "$WORK/run/checkpoints" ] && echo --resume )
"$SEEK" eval --model "$WORK/run" --task mix --level 1 --count 60
mkdir -p models/seek-r1-tiny
cp "$WORK/run/config.json" "$WORK/run/model.safetensors" "$WORK/run/tokenizer.json" \
  "$WORK/run/tokenizer_config.json" "$WORK/run/metrics.jsonl" models/seek-r1-tiny/
