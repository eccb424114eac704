#!/usr/bin/env bash
# Stops every local-stack service started by up.sh (moto's data is in memory and goes with it).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/local/lib.sh
for service in api task-runner adapter responder pebble challtestsrv moto; do stop_service "$service"; done
# credentials and ids of principals and keys that lived in that moto; the adapter's mode
rm -f "$RUN_DIR/admin.env" "$RUN_DIR/aws.env" "$RUN_DIR/issuer.env" "$RUN_DIR/responder.env" "$RUN_DIR/api.env" "$RUN_DIR/iam.json" "$RUN_DIR/adapter.runtime" "$RUN_DIR/task.json" "$RUN_DIR/task-runner.heartbeat"
rm -rf "$RUN_DIR/tasks" # the pids of the tasks the runner ran
