#!/usr/bin/env bash
# The GPU check, for a machine with a CUDA GPU and PyTorch but no .NET.
#
# Build the carried binary first, on a machine with the .NET 10 SDK (from the repository root):
#   dotnet publish bench/gpu/GpuCheck -c Release -r linux-x64 --self-contained \
#       -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -o bench/gpu/bin/gpucheck
# (bench/gpu/bin is git-ignored: name it in the device tool's `carry`.)
#
# Then, on the GPU machine, from the repository root:
#   bash bench/gpu/run.sh            # checks + engine timings + PyTorch timings + ratio table
#   bash bench/gpu/run.sh --quick    # a smoke run with tiny sizes
# Output goes to stdout and to $OUT (or bench/gpu/results) as engine.json, torch.json and run.log.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${GPUCHECK:-$here/bin/gpucheck/gpucheck}"
out="${OUT:-$here/results}"
mkdir -p "$out"
quick=(); batch=256; mm=4096
if [[ "${1:-}" == "--quick" ]]; then quick=(--quick); batch=1; mm=64; fi

{
  echo "== machine"; date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || echo "nvidia-smi not found"
  if [[ ! -x "$bin" ]]; then echo "gpucheck binary not found at $bin; publish it first (see the top of this script)"; exit 2; fi
  echo "== engine: op checks against the CPU backend, then timings"
  DOTNET_gcServer=0 "$bin" --device cuda "${quick[@]}" --json "$out/engine.json"; rc=$?
  echo "gpucheck exit code: $rc"
  echo "== PyTorch on the same GPU, and the ratios (engine ms / torch ms)"
  python3 "$here/torch_bench.py" --engine "$out/engine.json" --json "$out/torch.json" --batch "$batch" --matmul "$mm"
  exit $rc
} 2>&1 | tee "$out/run.log"
exit "${PIPESTATUS[0]}"
