#!/usr/bin/env bash
# Profiles one compare workload with perf (cpu-clock sampling: works on VMs without hardware counters) and prints
# the hottest methods by self time, then by inclusive time. JIT-compiled methods get their names from the perf map
# the runtime writes (DOTNET_PerfMapEnabled=1); W^X double mapping is turned off so perf can attribute samples.
#
#   bench/profile.sh depthwise3x3_n32_c64_32x32_fwdbwd [top-N]
#
# The samples include the warm-up calls and every thread (the Parallel.For workers appear as separate roots in the
# inclusive view). Relative shares survive a loaded machine far better than wall times do.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: bench/profile.sh WORKLOAD [top-N] (names: bench/Engine.Bench/Workloads.cs)}
top=${2:-30}
if ! command -v perf >/dev/null; then
  echo "profile.sh: perf is missing; installing linux-perf with apt-get" >&2
  apt-get update -qq && apt-get install -y -qq linux-perf >&2
fi
dotnet build -c Release bench/Engine.Bench -v q -nologo >/dev/null
data=$(mktemp /tmp/engine-profile.XXXXXX)
trap 'rm -f "$data"' EXIT
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 \
  perf record -q -e cpu-clock -F 1000 -g -o "$data" \
  dotnet bench/Engine.Bench/bin/Release/net10.0/Engine.Bench.dll compare --only "$name" --repeat ${REPEAT:-2}
echo "== self time"
perf report -i "$data" --no-children --sort symbol -g none 2>/dev/null | grep -v '^#' | grep '%' | head -"$top" | cut -c1-160 || true
echo "== inclusive time (engine methods)"
perf report -i "$data" --children --sort symbol -g none 2>/dev/null | grep -v '^#' | grep '%' | grep 'Engine\.' | head -"$top" | cut -c1-160 || true
