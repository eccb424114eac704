#!/usr/bin/env bash
# Stops every local-stack service started by up.sh (moto's data is in memory and goes with it).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/local/lib.sh
for service in api adapter responder pebble challtestsrv moto; do stop_service "$service"; done
# credentials and ids of principals and keys that lived in that moto; the adapter's mode
rm -f "$RUN_DIR/admin.env" "$RUN_DIR/aws.env" "$RUN_DIR/issuer.env" "$RUN_DIR/responder.env" "$RUN_DIR/iam.json" "$RUN_DIR/adapter.runtime"
