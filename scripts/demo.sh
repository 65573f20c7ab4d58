#!/usr/bin/env bash
# Installs what is missing, builds retnet-mlir and runs the main job.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${RETNET_BUILD_DIR:-$root/build}"

"$root/scripts/build.sh"
echo "== retention in three forms, parsed, verified and printed by retnet-opt"
"$build/bin/retnet-opt" "$root/examples/ir/retention.mlir"
