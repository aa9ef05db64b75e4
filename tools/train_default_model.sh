#!/usr/bin/env bash
# Rebuilds models/seek-r1-tiny, the default model ./run serves, with seek's own pipeline:
#   seek data (reasoning problems with step-by-step traces, levels 1-2 of every task)
#   -> seek tokenizer train (byte-level BPE, DeepSeek-V3 layout, R1 chat template)
#   -> seek train (SFT of a DeepSeek-V3-architecture model: MLA, 8 routed + 1 shared expert with
#      aux-loss-free balancing, one MTP module; tests/data/configs/train-tiny.json)
#   -> seek train --model (stages 2, 3 and 4: continued on new shuffles, lr 1e-3 -> 1e-4, 5e-4 -> 5e-5,
#      3e-4 -> 3e-5; stage 4 scores held-out problems every 500 steps with --eval-every)
#   -> seek eval on held-out problems.
# Takes ~90 minutes on 2 cores. Usage: tools/train_default_model.sh [WORK_DIR] [STEPS] [STEPS2] [STEPS3] [STEPS4]
# The shipped model's stage 1 was started with STEPS 5000, killed with SIGKILL at step 1250 and
# resumed with STEPS 2500 (a shorter cosine schedule from there on); stages 2, 3 and 4 ran 2500 each.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-build/default-model}
STEPS=${2:-2500}
STEPS2=${3:-2500}
STEPS3=${4:-2500}
STEPS4=${5:-2500}
SEEK=build/seek
mkdir -p "$WORK"
"$SEEK" data --task mix --level 1 --count 60000 --seed 1 --out "$WORK/l1.jsonl"
"$SEEK" data --task mix --level 2 --count 60000 --seed 2 --out "$WORK/l2.jsonl"
cat "$WORK/l1.jsonl" "$WORK/l2.jsonl" >"$WORK/train.jsonl"
"$SEEK" tokenizer train --input "$WORK/train.jsonl" --vocab-size 1024 --out "$WORK/tok"
"$SEEK" train --data "$WORK/train.jsonl" --config tests/data/configs/train-tiny.json --tokenizer "$WORK/tok" \
  --out "$WORK/run" --steps "$STEPS" --batch 8 --seq 256 --lr 2e-3 --min-lr 2e-4 --warmup 100 \
  --save-every 250 --log-every 25 -t 2 --save-dtype bf16 $( [ -d "$WORK/run/checkpoints" ] && echo --resume )
"$SEEK" train --data "$WORK/train.jsonl" --model "$WORK/run" --out "$WORK/run2" --steps "$STEPS2" --batch 8 \
  --seq 256 --lr 1e-3 --min-lr 1e-4 --warmup 50 --seed 1 --save-every 250 --log-every 50 -t 2 --save-dtype bf16 \
  $( [ -d "$WORK/run2/checkpoints" ] && echo --resume )
"$SEEK" train --data "$WORK/train.jsonl" --model "$WORK/run2" --out "$WORK/run3" --steps "$STEPS3" --batch 8 \
  --seq 256 --lr 5e-4 --min-lr 5e-5 --warmup 50 --seed 2 --save-every 250 --log-every 50 -t 2 --save-dtype bf16 \
  $( [ -d "$WORK/run3/checkpoints" ] && echo --resume )
"$SEEK" train --data "$WORK/train.jsonl" --model "$WORK/run3" --out "$WORK/run4" --steps "$STEPS4" --batch 8 \
  --seq 256 --lr 3e-4 --min-lr 3e-5 --warmup 50 --seed 3 --save-every 250 --log-every 50 -t 2 --save-dtype bf16 \
  --eval-every 500 --eval-count 60 $( [ -d "$WORK/run4/checkpoints" ] && echo --resume )
"$SEEK" eval --model "$WORK/run4" --task mix --level 1 --count 60
M=models/seek-r1-tiny
mkdir -p "$M"
cp "$WORK/run4/config.json" "$WORK/run4/model.safetensors" "$WORK/run4/tokenizer.json" \
  "$WORK/run4/tokenizer_config.json" "$M/"
cp "$WORK/run/metrics.jsonl" "$M/metrics-stage1.jsonl"
cp "$WORK/run2/metrics.jsonl" "$M/metrics-stage2.jsonl"
cp "$WORK/run3/metrics.jsonl" "$M/metrics-stage3.jsonl"
cp "$WORK/run4/metrics.jsonl" "$M/metrics-stage4.jsonl"
"$SEEK" plot "$M"/metrics-stage{1,2,3,4}.jsonl --out "$M/loss.svg" --metric loss,ce --smooth 5
"$SEEK" plot "$M/metrics-stage4.jsonl" --out "$M/expert_load.svg" --metric expert_load
"$SEEK" plot "$M/metrics-stage4.jsonl" --out "$M/eval_accuracy.svg" --metric eval_accuracy,eval_format
