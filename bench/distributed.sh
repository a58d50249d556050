#!/usr/bin/env bash
# Data-parallel training over Open MPI on this machine: samples/s of the Fashion-MNIST CNN at 1 and 2 ranks on the
# same workload (the same global batch: 1 rank at B, 2 ranks at B/2 each), the gradient all-reduce time per step,
# the cost of SyncBatchNorm, and the all-reduce alone. Prints a markdown table.
#
#   bench/distributed.sh                 every row (a few minutes on 2 cores)
#   SAMPLES=3200 bench/distributed.sh    a shorter epoch (default 6400 images: 100 steps at global batch 64)
#
# Needs openmpi-bin and libopenmpi3 (apt-get install openmpi-bin libopenmpi3). Traffic stays on loopback: every mpirun
# gets --mca pml ob1 --mca btl self,vader,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo.
# Each run trains 2 epochs and reports the second (the first warms the JIT and the pools). ENGINE_THREADS sets the
# kernel threads per rank: on 2 cores, 2 ranks x 2 threads oversubscribe them and 2 ranks x 1 thread fill them.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v mpirun >/dev/null || { echo "distributed.sh: mpirun is missing: apt-get install openmpi-bin libopenmpi3" >&2; exit 1; }
dotnet build -c Release bench/Engine.Bench -v q -nologo >/dev/null || { echo "distributed.sh: build of bench/Engine.Bench failed" >&2; dotnet build -c Release bench/Engine.Bench -v q -nologo >&2; exit 1; }
dll=bench/Engine.Bench/bin/Release/net10.0/Engine.Bench.dll
samples=${SAMPLES:-6400}
batch=${BATCH:-64}
loopback=(--allow-run-as-root --mca pml ob1 --mca btl self,vader,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)
export TERM=dumb
# a program started without mpirun is a 1-rank job; keep its MPI helper on loopback too (it does not load MPI at all)
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() {  # ranks threads model norm
  local ranks=$1 threads=$2 model=$3 norm=$4 b=$((batch / $1))
  echo "distributed.sh: $ranks rank(s) x $threads thread(s), $model, norm $norm, batch $b per rank" >&2
  if [ "$ranks" = 1 ]; then
    ENGINE_THREADS=$threads dotnet "$dll" ddp --model "$model" --norm "$norm" --batch "$b" --samples "$samples" | tail -1 >>"$tmp/ddp.jsonl"
  else
    mpirun "${loopback[@]}" -np "$ranks" -x ENGINE_THREADS="$threads" dotnet "$dll" ddp --model "$model" --norm "$norm" --batch "$b" --samples "$samples" | grep '^{' | tail -1 >>"$tmp/ddp.jsonl"
  fi
}
run 1 2 cnn local
run 2 2 cnn local
run 1 1 cnn local
run 2 1 cnn local
run 1 1 cnn-bn local
run 2 1 cnn-bn local
run 2 1 cnn-bn sync
echo "distributed.sh: the all-reduce alone, 2 ranks" >&2
mpirun "${loopback[@]}" -np 2 -x ENGINE_THREADS=1 dotnet "$dll" allreduce | grep '^{' >"$tmp/allreduce.jsonl"

/usr/bin/python3 - "$tmp/ddp.jsonl" "$tmp/allreduce.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("| model | BatchNorm | ranks x threads | batch per rank | train samples/s (job) | step ms | all-reduce ms/step | all-reduce share |")
print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    norm = "-" if r["model"] == "cnn" else ("SyncBatchNorm" if r["norm"] == "sync" else "local")
    share = "-" if r["ranks"] == 1 else f'{100 * r["allreduce_ms"] / r["step_ms"]:.1f}%'
    ar = "-" if r["ranks"] == 1 else f'{r["allreduce_ms"]:.2f}'
    print(f'| {r["model"]} ({r["params"] / 1e6:.2f}M params) | {norm} | {r["ranks"]} x {r["threads"]} | {r["batch"]} | {r["samples_per_s"]:.0f} | {r["step_ms"]:.1f} | {ar} | {share} |')
print()
print("| all-reduce (2 ranks, in place) | median | GB/s |")
print("| ---: | ---: | ---: |")
for l in open(sys.argv[2]):
    r = json.loads(l)
    n = r["allreduce_floats"]
    print(f'| {n:,} floats ({n * 4 / 1e6:.3g} MB) | {r["median_ms"] * 1000:.1f} us | {r["gb_per_s"]:.2f} |')
PY
