#!/usr/bin/env bash
# A stand-in for a training script: reads --lr, --seed, --warmup, --out, prints progress,
# writes a "model" and its metrics. CUDA_VISIBLE_DEVICES says which GPU it was given.
set -euo pipefail
while [ $# -gt 0 ]; do
  case "$1" in
    --lr) lr=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
echo "training on GPU ${CUDA_VISIBLE_DEVICES:-none}: lr=$lr seed=$seed warmup=$warmup"
loss=$(awk -v lr="$lr" -v seed="$seed" 'BEGIN { printf "%.4f", 1 / (1 + 100 * lr) + seed / 1000 }')
for epoch in 1 2 3; do
  sleep 0.3
  echo "epoch $epoch loss $(awk -v l="$loss" -v e="$epoch" 'BEGIN { printf "%.4f", l * (4 - e) / 2 }')"
done
echo "METRIC loss=$loss"
echo "lr=$lr seed=$seed" > "$out/model.txt"
printf '{"loss": %s}\n' "$loss" > "$out/metrics.json"
