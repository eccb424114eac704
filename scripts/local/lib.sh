# Shared by the local-stack scripts: paths, and starting/stopping one background service.
# Every port and path comes from the environment that `just` loads from .env.
: "${LOCAL_STATE_DIR:=.local}"
RUN_DIR="$LOCAL_STATE_DIR/run"
LOG_DIR="$LOCAL_STATE_DIR/logs"
PEBBLE_DIR="$LOCAL_STATE_DIR/pebble"
mkdir -p "$RUN_DIR" "$LOG_DIR" "$PEBBLE_DIR"

say() { printf '%s\n' "$*" >&2; }

# pid of a service we started, if it is still alive
service_pid() {
  local pidfile="$RUN_DIR/$1.pid"
  [ -f "$pidfile" ] || return 1
  local pid; pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null || return 1
  # A killed service its adopter has not reaped yet is a zombie: kill -0 answers, but it runs no more.
  [ "$(sed -E 's/^[0-9]+ \(.*\) (\S).*/\1/' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  printf '%s' "$pid"
}

# start_service NAME CMD... : runs CMD detached (own session), logs to $LOG_DIR/NAME.log
start_service() {
  local name=$1; shift
  setsid nohup "$@" >"$LOG_DIR/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/$name.pid"
}

stop_service() {
  local name=$1 pid
  if pid=$(service_pid "$name"); then
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 -- "-$pid" 2>/dev/null || true
    say "stopped $name (pid $pid)"
  fi
  rm -f "$RUN_DIR/$name.pid"
}

# wait_for NAME CHECK-COMMAND... : polls a real health check for up to 30 s
wait_for() {
  local name=$1; shift
  for _ in $(seq 300); do
    if "$@" >/dev/null 2>&1; then say "ok   $name"; return 0; fi
    sleep 0.1
  done
  say "FAIL $name did not become healthy; last lines of $LOG_DIR/$name.log:"
  tail -n 20 "$LOG_DIR/$name.log" >&2 || true
  return 1
}

# health checks that exercise real function
pebble_healthy() { curl -fsS --cacert "$PEBBLE_DIR/tls-cert.pem" "https://localhost:$PEBBLE_PORT/dir" | grep -q newAccount; }
challtestsrv_healthy() { curl -fsS -X POST -d '{"host":"health.check.local","addresses":["127.0.0.1"]}' "http://127.0.0.1:$CHALLTESTSRV_MANAGEMENT_PORT/add-a"; }
# With IAM enforced (LOCAL_IAM_ENFORCE=true) moto refuses unsigned requests, so its check is S3
# ListBuckets signed with the admin's keys: it proves moto serves S3 and the admin is accepted.
# Without the admin's keys there is nothing to ask: not healthy (up.sh starts a fresh moto).
iam_enforced() { [ "${LOCAL_IAM_ENFORCE:-false}" = true ]; }
moto_healthy() {
  if ! iam_enforced; then curl -fsS "http://127.0.0.1:$MOTO_PORT/" | grep -q ListAllMyBucketsResult; return; fi
  [ -s "$RUN_DIR/admin.env" ] || return 1
  (
    set -a; source "$RUN_DIR/admin.env"; set +a
    curl -fsS --aws-sigv4 "aws:amz:${AWS_REGION:-us-east-1}:s3" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "http://127.0.0.1:$MOTO_PORT/"
  ) | grep -q ListAllMyBucketsResult
}
# moto's own API answers before any principal exists and is not counted as a request by its IAM
# check (INITIAL_NO_AUTH_ACTION_COUNT counts only AWS API calls): the server is up.
moto_serving() { curl -fsS -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/config"; }
# the local API endpoint answers a request signed with the stack's own keys (and so checks signatures)
: "${API_PORT:=5004}"
api_healthy() { curl -fsS --aws-sigv4 "aws:amz:${AWS_REGION:-us-east-1}:lambda" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "http://127.0.0.1:$API_PORT/health" | grep -q '"ok"'; }
adapter_healthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PEBBLE_HTTP_PORT/health-check-unknown-path")" = 404 ]; }
# An invocation with the ALB event of a request for an unknown path: the handler, run by the
# runtime client under the emulator, must answer it 404 (a function error has no statusCode).
RESPONDER_HEALTH_EVENT='{"requestContext":{"elb":{"targetGroupArn":"arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/local-acme/0000000000000000"}},"httpMethod":"GET","path":"/health-check-unknown-path","queryStringParameters":{},"headers":{"host":"localhost"},"body":"","isBase64Encoded":true}'
responder_healthy() { curl -fsS -d "$RESPONDER_HEALTH_EVENT" "http://127.0.0.1:${RESPONDER_INVOKE_PORT:-5003}/2015-03-31/functions/function/invocations" | grep -q '"statusCode":404'; }
# lambda (default): the responder runs under the Lambda runtime emulator; inprocess: inside the adapter
responder_runtime() { printf '%s' "${RESPONDER_RUNTIME:-lambda}"; }
# The task runner writes its heartbeat after every poll of moto's ECS tasks (TASK_RUNNER_POLL_MS).
task_runner_healthy() {
  service_pid task-runner >/dev/null && [ -n "$(find "$RUN_DIR/task-runner.heartbeat" -newermt '-30 seconds' 2>/dev/null)" ]
}
