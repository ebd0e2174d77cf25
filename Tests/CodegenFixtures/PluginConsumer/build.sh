#!/usr/bin/env bash
# Builds and runs the plugin consumer: a separate package depending on this repository by path.
# A first build compiles baseplate-swift's Baseplate, CBaseplateIO, swift-log and thrift-swift for
# the consumer (about 1–2 minutes on 2 cores); later builds are incremental (seconds).
#
#   Tests/CodegenFixtures/PluginConsumer/build.sh [SCRATCH_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scratch=${1:-${BPIO_PEERS:-$here/../../../.build/peers}/codegen/plugin-consumer}
# SwiftPM's cached view of the path dependency can go stale (a source file added to Baseplate
# is then "not found"): a failed incremental build is retried once from an empty scratch.
if ! swift build --package-path "$here" --scratch-path "$scratch"; then
  echo "build.sh: retrying from an empty scratch directory" >&2
  rm -rf "$scratch"
  swift build --package-path "$here" --scratch-path "$scratch"
fi
"$scratch/debug/greeter-demo"
