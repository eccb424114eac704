#!/usr/bin/env bash
# One line per local-stack service: running or not, and whether its health check passes.
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/local/lib.sh
for service in challtestsrv pebble moto task-runner responder adapter api; do
  pid=$(service_pid "$service") || pid="-"
  if [ "$service" = responder ] && [ "$(responder_runtime)" != lambda ]; then state="off (RESPONDER_RUNTIME=$(responder_runtime): in the adapter)"
  elif "${service//-/_}_healthy" >/dev/null 2>&1; then state=healthy
  # DEPLOY_API=false: no API to stand in for (up.sh does not start it; the check says why)
  elif [ "$service" = api ] && [ "$pid" = - ] && { why=$(node --import tsx scripts/local/api-endpoint.ts check 2>&1); [ $? = 3 ]; }; then state="off (${why#not starting the local certificate API: })"
  else state=DOWN; fi
  printf '%-13s pid %-8s %s\n' "$service" "$pid" "$state"
done
