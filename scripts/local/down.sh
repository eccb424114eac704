#!/usr/bin/env bash
# Stops every local-stack service started by up.sh (moto's data is in memory and goes with it).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/local/lib.sh
for service in adapter responder pebble challtestsrv moto; do stop_service "$service"; done
rm -f "$RUN_DIR/adapter.runtime"
