#!/usr/bin/env bash
# Runs the workloads of DESIGN.md section 5 in the engine and in PyTorch in one run and prints a table:
# workload, engine ms, PyTorch ms, ratio (PyTorch time / engine time), GFLOP/s, share of the peak the engine
# measured at the width it ran (ENGINE_SIMD picks it; the default is the widest the machine supports).
#
#   bench/compare.sh                  both sides, ROUNDS rounds (default 2) alternating engine and PyTorch,
#                                     best median per side (the machine is shared; the best round is the least disturbed)
#   bench/compare.sh --engine-only    the engine only: one JSON line per workload, {"name": ..., "ms": ...}
#   bench/compare.sh --only a,b       a subset of the workloads (names as in the JSON)
#
# Both sides use 2 threads. PyTorch runs at its best: the environment's OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (pinned
# for older OpenBLAS builds) are unset for the PyTorch command alone, so OpenBLAS picks its own kernel for this CPU
# (Cooperlake, AVX-512, on the development machine); the table names the kernel it chose. Tests and CI never change
# them. PyTorch comes from Debian (python3-torch with libopenblas0-pthread: without OpenBLAS,
# Debian's torch falls back to the reference BLAS and is 30x slower); the script installs them when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

engine_only=0
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --engine-only) engine_only=1 ;;
    --only) only=(--only "$2"); shift ;;
    *) echo "compare.sh: unknown argument '$1' (use --engine-only, --only a,b)" >&2; exit 2 ;;
  esac
  shift
done

dotnet build -c Release bench/Engine.Bench -v q -nologo >/dev/null || { echo "compare.sh: build of bench/Engine.Bench failed" >&2; dotnet build -c Release bench/Engine.Bench -v q -nologo >&2; exit 1; }
engine=(dotnet bench/Engine.Bench/bin/Release/net10.0/Engine.Bench.dll compare --json)

if [ "$engine_only" = 1 ]; then
  exec "${engine[@]}" "${only[@]}"
fi

PY=/usr/bin/python3
if ! "$PY" -c "import torch, torchvision" 2>/dev/null || ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  echo "compare.sh: PyTorch or OpenBLAS is missing; installing python3-torch and libopenblas0-pthread with apt-get" >&2
  apt-get update -qq && apt-get install -y -qq python3-torch python3-torchvision libopenblas0-pthread >&2
fi
# smallcnn_fmnist_epoch trains on the full Fashion-MNIST, on both sides, from Debian's package.
if [ ! -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && [ ! -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte ]; then
  echo "compare.sh: the full Fashion-MNIST is missing; installing dataset-fashion-mnist with apt-get" >&2
  apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rounds=${ROUNDS:-2}
for r in $(seq 1 "$rounds"); do
  echo "compare.sh: round $r of $rounds: engine" >&2
  "${engine[@]}" "${only[@]}" | tee -a "$tmp/engine.jsonl" >&2
  # PyTorch twice per round: OpenMP's default spin-waiting, and passive waiting, which is several times faster
  # for the small ops when the machine is oversubscribed. The table keeps PyTorch's best, to be fair to it.
  for policy in ACTIVE PASSIVE; do
    echo "compare.sh: round $r of $rounds: PyTorch (2 threads, OMP_WAIT_POLICY=$policy)" >&2
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=2 OMP_WAIT_POLICY=$policy \
      "$PY" bench/compare_torch.py run "${only[@]}" | tee -a "$tmp/torch.jsonl" >&2
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (other work on the machine slows both sides)"
"$PY" bench/compare_torch.py table "$tmp/engine.jsonl" "$tmp/torch.jsonl"
