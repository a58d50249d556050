#!/usr/bin/env bash
# Runs the whole test suite (the README's test command). Extra arguments go to `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")"
exec dotnet test Engine.sln -c Release --nologo "$@"
