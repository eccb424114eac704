#!/usr/bin/env bash
# Starts the local stack: pebble-challtestsrv (DNS), pebble (ACME CA), moto (S3/ACM/ECS), the
# task runner (runs the issuer tasks RunTask records in moto), the responder under the Lambda
# runtime emulator (RESPONDER_RUNTIME=lambda, the default) and the local ALB adapter (pebble's
# HTTP-01 port -> the responder). Idempotent: a healthy service is
# left alone. Installs what is missing (install.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/local/lib.sh

scripts/local/install.sh

# Pebble ships no TLS certificate: make one for localhost and 127.0.0.1 once.
if [ ! -s "$PEBBLE_DIR/tls-cert.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -keyout "$PEBBLE_DIR/tls-key.pem" -out "$PEBBLE_DIR/tls-cert.pem" -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
fi
# Short-lived certificates for renewal tests (seconds); pebble's default is five years.
validity=""
# pebble 2.4 reads certificateValidityPeriod; current pebble reads it per profile.
if [ -n "${PEBBLE_CERT_VALIDITY_SECONDS:-}" ]; then
  validity=", \"certificateValidityPeriod\": $PEBBLE_CERT_VALIDITY_SECONDS, \"profiles\": {\"default\": {\"description\": \"short-lived for tests\", \"validityPeriod\": $PEBBLE_CERT_VALIDITY_SECONDS}}"
fi
# Named profiles for current pebble, as its config takes them (a JSON object: name -> description,
# validityPeriod in seconds, promoteCommonName); replaces the one above.
if [ -n "${PEBBLE_PROFILES:-}" ]; then
  validity=", \"profiles\": $PEBBLE_PROFILES"
fi
cat > "$PEBBLE_DIR/pebble.json" <<JSON
{
  "pebble": {
    "listenAddress": "127.0.0.1:$PEBBLE_PORT",
    "managementListenAddress": "127.0.0.1:$PEBBLE_MANAGEMENT_PORT",
    "certificate": "$PEBBLE_DIR/tls-cert.pem",
    "privateKey": "$PEBBLE_DIR/tls-key.pem",
    "httpPort": $PEBBLE_HTTP_PORT,
    "tlsPort": 0,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false$validity
  }
}
JSON

if ! challtestsrv_healthy >/dev/null 2>&1; then
  stop_service challtestsrv
  start_service challtestsrv pebble-challtestsrv -http01 "" -https01 "" -tlsalpn01 "" \
    -dns01 "127.0.0.1:$CHALLTESTSRV_DNS_PORT" -management "127.0.0.1:$CHALLTESTSRV_MANAGEMENT_PORT" -defaultIPv6 ""
  wait_for challtestsrv challtestsrv_healthy
else say "ok   challtestsrv (already running)"; fi

if ! pebble_healthy >/dev/null 2>&1; then
  stop_service pebble
  start_service pebble env PEBBLE_VA_NOSLEEP="${PEBBLE_VA_NOSLEEP:-1}" PEBBLE_WFE_NONCEREJECT="${PEBBLE_WFE_NONCEREJECT:-0}" \
    PEBBLE_AUTHZREUSE="${PEBBLE_AUTHZREUSE:-0}" "${PEBBLE_BIN:-pebble}" ${PEBBLE_STRICT:+-strict} -config "$PEBBLE_DIR/pebble.json" -dnsserver "127.0.0.1:$CHALLTESTSRV_DNS_PORT"
  wait_for pebble pebble_healthy
else say "ok   pebble (already running)"; fi

moto_started=false
if ! moto_healthy >/dev/null 2>&1; then
  stop_service moto
  # The task runner and the API poll moto: left running, their requests would spend the new moto's
  # first unauthenticated actions (INITIAL_NO_AUTH_ACTION_COUNT, meant for making the admin), and
  # they hold the last moto's cluster and credentials anyway. Both are started again below.
  stop_service task-runner
  stop_service api
  # moto's state is in memory: whatever was made for the last one is gone with it
  rm -f "$RUN_DIR/admin.env" "$RUN_DIR/aws.env" "$RUN_DIR/issuer.env" "$RUN_DIR/responder.env" "$RUN_DIR/api.env" "$RUN_DIR/iam.json" "$RUN_DIR/task.json"
  if iam_enforced; then
    # moto checks every request against IAM after the first three, which make the admin user
    # (bootstrap-iam.ts admin); moto-server.py hands moto the resource ARNs it leaves out.
    start_service moto env INITIAL_NO_AUTH_ACTION_COUNT=3 python3 scripts/local/moto-server.py -H 127.0.0.1 -p "$MOTO_PORT"
    wait_for moto moto_serving
    node --import tsx scripts/local/bootstrap-iam.ts admin
  else
    # moto-server.py also without IAM: its ACM imports certificates without a subject CN, as AWS
    # does, and it gives ECS tasks the lifecycle the task runner reports
    start_service moto python3 scripts/local/moto-server.py -H 127.0.0.1 -p "$MOTO_PORT"
  fi
  wait_for moto moto_healthy
  moto_started=true
else say "ok   moto (already running)"; fi
# From here on the stack's own requests are the admin's (moto refuses anyone unknown).
if iam_enforced; then set -a; source "$RUN_DIR/admin.env"; set +a; fi

# The bucket (with a KMS key as its default encryption), as the stack makes it on AWS.
node --import tsx scripts/local/bootstrap-aws.ts
set -a; source "$RUN_DIR/aws.env"; set +a

# The issuer's cluster and task definition, from the template (its task role is the one made
# next); then the runner that runs its tasks (a runner still running holds the last moto's
# cluster: it is replaced).
ecs_registered=false
if [ "$moto_started" = true ] || [ ! -s "$RUN_DIR/task.json" ]; then
  node --import tsx scripts/local/bootstrap-ecs.ts
  stop_service task-runner
  ecs_registered=true
fi

# The issuer's, the responder's and the API's roles, with the synthesized template's policies
# (the API's names the task definition just registered: a new revision needs it put again).
if iam_enforced && { [ "$moto_started" = true ] || [ "$ecs_registered" = true ] || [ ! -s "$RUN_DIR/responder.env" ]; }; then
  node --import tsx scripts/local/bootstrap-iam.ts roles
  # a responder, adapter or API still running holds the last sessions
  stop_service responder
  stop_service adapter
  stop_service api
fi
if ! task_runner_healthy >/dev/null 2>&1; then
  stop_service task-runner
  rm -f "$RUN_DIR/task-runner.heartbeat"
  start_service task-runner node --import tsx scripts/local/task-runner.ts
  wait_for task-runner task_runner_healthy
else say "ok   task-runner (already running)"; fi

# The responder runs as its role: RESPONDER_AWS_* from run/responder.env when moto enforces IAM
# (responder-function.ts, or alb-adapter.ts in process, hands them to the function as AWS_*).
as_responder=()
if iam_enforced; then as_responder=(bash -c 'set -a; source "$1"; set +a; shift; exec "$@"' as-responder "$RUN_DIR/responder.env"); fi

case "$(responder_runtime)" in
  lambda)
    if ! responder_healthy >/dev/null 2>&1; then
      stop_service responder
      # the deploy's asset and configuration, synthesized here (or taken from the cache) so the
      # service itself starts at once and a failing synth shows its output
      node --import tsx scripts/local/responder-asset.ts >/dev/null
      start_service responder "${as_responder[@]}" node --import tsx scripts/local/responder-function.ts
      wait_for responder responder_healthy
    else say "ok   responder (already running)"; fi ;;
  inprocess) stop_service responder ;;
  *) say "RESPONDER_RUNTIME=\"$RESPONDER_RUNTIME\" is not valid; expected lambda or inprocess"; exit 2 ;;
esac

# A running adapter of the other RESPONDER_RUNTIME is replaced.
if ! adapter_healthy >/dev/null 2>&1 || [ "$(cat "$RUN_DIR/adapter.runtime" 2>/dev/null)" != "$(responder_runtime)" ]; then
  stop_service adapter
  start_service adapter "${as_responder[@]}" node --import tsx scripts/local/alb-adapter.ts
  responder_runtime > "$RUN_DIR/adapter.runtime"
  wait_for adapter adapter_healthy
else say "ok   adapter (already running)"; fi

# The certificate API's local function URL, when the stack it stands in for has the API: with IAM
# enforced its handler runs as the api role (run/api.env), as the function runs as its role on
# Lambda. DEPLOY_API=false (no API role in the template): not started, and `check` says why.
api_line="API http://127.0.0.1:$API_PORT"
if api_why=$(node --import tsx scripts/local/api-endpoint.ts check 2>&1); then
  if ! api_healthy >/dev/null 2>&1 || [ "$moto_started" = true ]; then
    stop_service api
    start_service api node --import tsx scripts/local/api-endpoint.ts
    wait_for api api_healthy
  else say "ok   api (already running)"; fi
else
  status=$?
  if [ "$status" != 3 ]; then say "FAIL api: $api_why"; exit 1; fi
  stop_service api
  api_why=${api_why#not starting the local certificate API: }
  say "skip api: $api_why"
  api_line="no API ($api_why)"
fi

say "local stack is up: ACME https://localhost:$PEBBLE_PORT/dir, AWS $AWS_ENDPOINT_URL$(iam_enforced && echo ' (IAM enforced: the issuer runs with run/issuer.env)'), HTTP-01 on :$PEBBLE_HTTP_PORT (responder: $(responder_runtime)), $api_line"
