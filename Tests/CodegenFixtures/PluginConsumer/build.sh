#!/usr/bin/env bash
# Builds and runs the plugin consumer: a separate package depending on this repository by path.
# A first build compiles baseplate-swift's Baseplate, CBaseplateIO, swift-log and thrift-swift for
# the consumer (about 1–2 minutes on 2 cores); later builds are incremental (seconds).
#
#   Tests/CodegenFixtures/PluginConsumer/build.sh [SCRATCH_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scratch=${1:-${BPIO_PEERS:-$here/../../../.build/peers}/codegen/plugin-consumer}
swift build --package-path "$here" --scratch-path "$scratch"
"$scratch/debug/greeter-demo"
