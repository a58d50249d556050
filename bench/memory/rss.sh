#!/usr/bin/env bash
# Samples memory over a long `engine train` run and states the bound: the engine's counters and the process's RSS
# every 100 batches (ENGINE_MEMORY_LOG, a MemoryMonitor), then a table of RSS at 10 %, 50 % and the end of the run,
# and the growth after the first epoch (warm-up: every tensor size the run needs, validation's included, is pooled
# by then). Exits 1 when RSS after the first epoch grows by more than the bound.
#
#   bench/memory/rss.sh [MODEL] [EPOCHS] [BOUND_MB]      # defaults: cnn 3 64
#
# Uses the full Fashion-MNIST (dataset-fashion-mnist, installed with apt-get when missing) so that runs are long:
# 938 batches of 64 an epoch.
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:-cnn}; epochs=${2:-3}; bound=${3:-64}
data=/usr/share/datasets/fashion-mnist
if [ ! -d "$data" ]; then
  echo "rss.sh: installing dataset-fashion-mnist with apt-get" >&2
  apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >&2
fi
dotnet build -c Release src/Cli -v q -nologo >/dev/null
run=$(mktemp -d /tmp/engine-rss.XXXXXX); log="$run/memory.csv"
trap 'rm -rf "$run"' EXIT
ENGINE_MEMORY_LOG="$log" TERM=dumb dotnet src/Cli/bin/Release/net10.0/engine.dll train --model "$model" --epochs "$epochs" \
  --data "$data" --plain --run-dir "$run/run" > "$run/train.log"
tail -1 "$run/train.log"
/usr/bin/env python3 - "$log" "$model" "$epochs" "$bound" <<'PY'
import csv, sys
path, model, epochs, bound = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
rows = list(csv.DictReader(open(path)))
steps = int(rows[-1]["step"]); per_epoch = steps // epochs
def at(frac):
    target = frac * steps
    return min(rows, key=lambda r: abs(int(r["step"]) - target))
print(f"memory over {steps} batches of `engine train --model {model}` ({epochs} epochs)")
print(f"{'at':>6} {'step':>6} {'rss MB':>8} {'GC heap MB':>11} {'pool in use MB':>15} {'pooled MB':>10} {'pool allocated MB':>18} {'scratch MB':>11} {'tensors':>8}")
for name, frac in (("10 %", .1), ("50 %", .5), ("end", 1.0)):
    r = at(frac)
    print(f"{name:>6} {r['step']:>6} {r['rss_mb']:>8} {r['gc_heap_mb']:>11} {r['pool_live_mb']:>15} {r['pool_pooled_mb']:>10} {r['pool_allocated_mb']:>18} {r['scratch_mb']:>11} {r['live_tensors']:>8}")
after = [r for r in rows if int(r["step"]) > per_epoch]
if not after:
    print("one epoch only: nothing after the warm-up to compare"); sys.exit(0)
first = float(after[0]["rss_mb"]); peak = max(float(r["rss_mb"]) for r in after)
growth = peak - first
print(f"RSS after the first epoch: {first:.0f} MB, peak {peak:.0f} MB: growth {growth:.0f} MB (bound {bound:.0f} MB)")
sys.exit(0 if growth <= bound else 1)
PY
