# acme-on-aws: every command goes through here. `just` alone lists the recipes.
# Configuration: `.env` (made from the committed .env.example when missing) is parsed by just
# through dotenv-command and exported to every recipe; variables already set in the shell win.
# .env.example is read first, so a variable added after your .env was made still has its default.
set dotenv-command := "test -f .env || cp .env.example .env; cat .env.example .env"
set export
set shell := ["bash", "-euo", "pipefail", "-c"]

# list the recipes
default:
    @just --list --unsorted

# ---------------------------------------------------------------- local stack

# start pebble, challtestsrv, moto, the task runner and the local ALB adapter (installs pebble and moto when missing)
up:
    scripts/local/up.sh

# stop the local stack
down:
    scripts/local/down.sh

# show what is running in the local stack
status:
    scripts/local/status.sh

# With LOCAL_IAM_ENFORCE=true the issuer runs as the local task role (the session `just up` wrote), as on Fargate.
_issuer_env := 'if [ "${LOCAL_IAM_ENFORCE:-false}" = true ]; then run="${LOCAL_STATE_DIR:-.local}/run"; [ -s "$run/issuer.env" ] || { echo "no $run/issuer.env: run just up" >&2; exit 1; }; set -a; source "$run/aws.env"; source "$run/issuer.env"; set +a; fi'

# With LOCAL_IAM_ENFORCE=true a request to the local stack's ECS is the operator's: the admin `just up` made.
_operator_env := 'if [ "${LOCAL_IAM_ENFORCE:-false}" = true ]; then run="${LOCAL_STATE_DIR:-.local}/run"; [ -s "$run/admin.env" ] || { echo "no $run/admin.env: run just up" >&2; exit 1; }; set -a; source "$run/aws.env"; source "$run/admin.env"; set +a; fi'

# on the local stack, the RunTask the renewal schedule's target sends (its Input, from the template); waits for the task and prints its exit code
schedule-fire:
    #!/usr/bin/env bash
    set -euo pipefail
    {{_operator_env}}
    node --import tsx scripts/local/run-task.ts --schedule

# the certificate dashboard on 127.0.0.1:DASHBOARD_PORT, its API calls signed with your credentials: the local stack's API, `--aws` the deployed stack's (your AWS_PROFILE), or `--api-url URL`
[positional-arguments]
dashboard *ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    if [[ " $* " == *" --aws "* ]]; then {{_aws_env}}; else {{_operator_env}}; fi
    node --import tsx scripts/dashboard/server.ts "$@"

# bring the stack up, register, issue one certificate for two names and show it
demo: up
    #!/usr/bin/env bash
    set -euo pipefail
    {{_issuer_env}}
    node --import tsx container/cli.ts register
    node --import tsx container/cli.ts issue --name demo --domain demo.example.com --domain www.demo.example.com

# Every recipe that forwards arguments takes them as positional arguments ("$@"), never
# interpolated into its text: an argument is passed as one word and never read by a shell.

# run the issuer CLI against the configured CA and AWS endpoint, e.g. `just issuer list`
[positional-arguments]
issuer *ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    {{_issuer_env}}
    node --import tsx container/cli.ts "$@"

# ---------------------------------------------------------------- checks

# type-check everything
typecheck:
    npx tsc --noEmit -p .
    npx tsc --noEmit -p scripts/dashboard/page

# formatting (prettier --check) and lint (eslint, type-aware; a warning fails it, so does an unused disable comment)
lint:
    npx prettier --check .
    npx eslint --max-warnings 0 --report-unused-disable-directives .

# install what the local stack and the tests run (pebble, moto, cfn-lint) when missing
install:
    scripts/local/install.sh

# the reliability suite alone (faults, crashes, generated inputs) and its report
reliability: install
    npx vitest run tests/reliability
    node --import tsx scripts/reliability-report.ts

# replay container/Dockerfile without Docker: its RUN lines in order, with the base image's Node and npm
image-replay: install
    node --import tsx scripts/dockerfile-replay.ts

# the test suite: core, responder, end to end on pebble + moto, infra (each e2e file starts its own stack)
test: install typecheck lint
    npx vitest run


# ---------------------------------------------------------------- AWS (CDK)
# The stack reads only DEPLOY_* variables (see .env.example and docs/deploy.md). The recipes that
# talk to AWS drop the local stack's endpoint and moto's dummy keys that .env sets, and use your own
# credentials (AWS_PROFILE, SSO or a role); DEPLOY_REGION, when set, picks the region.
_aws_env := 'unset AWS_ENDPOINT_URL; if [ "${AWS_ACCESS_KEY_ID:-}" = testing ]; then unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; fi; if [ -n "${DEPLOY_REGION:-}" ]; then export AWS_REGION="$DEPLOY_REGION" AWS_DEFAULT_REGION="$DEPLOY_REGION"; else unset AWS_REGION; fi; stack="${DEPLOY_STACK_NAME:-AcmeIssuer}"'

# synthesize the stack offline (cdk-nag AwsSolutions must be clean) and lint the template with cfn-lint
synth:
    #!/usr/bin/env bash
    set -euo pipefail
    {{_aws_env}}
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
    AWS_EC2_METADATA_DISABLED=true npx cdk synth --quiet --no-notices
    rc=0; cfn-lint -- "cdk.out/$stack.template.json" || rc=$?
    # cfn-lint's status is a bit mask: 1 fatal, 2 errors, 4 warnings, 8 informational
    if (( rc & 3 )); then echo "cfn-lint found errors in cdk.out/$stack.template.json" >&2; exit 1; fi
    echo "synth ok: cdk.out/$stack.template.json (cdk-nag clean, cfn-lint: no errors)"

# deploy-local needs no AWS account and no Docker: scripts/deploy-local.ts drops every AWS_* and CDK_* variable of
# the shell and .env itself and gives the CLI moto's dummy keys only, so it cannot reach a real account.

# the real CDK CLI deploys into a fresh moto, prints the outputs, checks the deployed responder (`stop`: a kept moto)
[positional-arguments]
deploy-local *ARGS: install
    node --import tsx scripts/deploy-local.ts "$@"

# one-time per account and region: the CDK's bootstrap stack (asset bucket and image repository)
[positional-arguments]
bootstrap *ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    {{_aws_env}}
    npx cdk bootstrap --no-notices "$@"

# show what a deploy would change
[positional-arguments]
diff *ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    {{_aws_env}}
    npx cdk diff --no-notices "$stack" "$@"

# deploy the stack (builds the issuer image with Docker; asks before widening IAM or security groups)
[positional-arguments]
deploy *ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    {{_aws_env}}
    npx cdk deploy --no-notices --require-approval broadening "$stack" "$@"

# delete the stack; the certificate bucket, its access-log bucket and the KMS key are kept (see docs/deploy.md)
[positional-arguments]
destroy *ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    {{_aws_env}}
    npx cdk destroy --no-notices "$stack" "$@"

# run the issuer once on AWS and wait for it, e.g. `just run-task -- issue --name www --domain www.example.com` (default: renew); `--local` first: on the local stack
[positional-arguments]
run-task *ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    if [ "${1:-}" = "--local" ]; then shift; {{_operator_env}}; exec node --import tsx scripts/local/run-task.ts "$@"; fi
    {{_aws_env}}
    if [ "${1:-}" = "--" ]; then shift; fi
    if [ "$#" -eq 0 ]; then set -- renew; fi
    declare -A out
    while IFS=$'\t' read -r key value; do out[$key]=$value; done < <(
      aws cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output text)
    overrides=$(node -e 'const [name, ...command] = process.argv.slice(1); console.log(JSON.stringify({ containerOverrides: [{ name, command }] }))' "${out[ContainerName]}" "$@")
    network="awsvpcConfiguration={subnets=[${out[TaskSubnetIds]}],securityGroups=[${out[TaskSecurityGroupId]}],assignPublicIp=${out[TaskAssignPublicIp]}}"
    task=$(aws ecs run-task --cluster "${out[ClusterName]}" --task-definition "${out[TaskDefinitionArn]}" --launch-type FARGATE \
      --network-configuration "$network" --overrides "$overrides" --query 'tasks[0].taskArn' --output text)
    echo "started $task: $*"
    echo "waiting for it to stop (logs: just logs)..."
    aws ecs wait tasks-stopped --cluster "${out[ClusterName]}" --tasks "$task"
    aws logs tail "${out[IssuerLogGroup]}" --since 1h --format short --log-stream-names "issuer/${out[ContainerName]}/${task##*/}" || true
    code=$(aws ecs describe-tasks --cluster "${out[ClusterName]}" --tasks "$task" --query 'tasks[0].containers[0].exitCode' --output text)
    reason=$(aws ecs describe-tasks --cluster "${out[ClusterName]}" --tasks "$task" --query 'tasks[0].stoppedReason' --output text)
    echo "exit code: $code ($reason)"
    [ "$code" = 0 ]

# show the issuer's logs (default: follow from the last day); extra args go to `aws logs tail`
[positional-arguments]
logs *ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    {{_aws_env}}
    group=$(aws cloudformation describe-stacks --stack-name "$stack" --query "Stacks[0].Outputs[?OutputKey=='IssuerLogGroup'].OutputValue" --output text)
    if [ "$#" -eq 0 ]; then set -- --since 1d --follow; fi
    aws logs tail "$group" --format short "$@"

# print the stack's outputs (CNAME target, bucket, run-task command, log groups)
outputs:
    #!/usr/bin/env bash
    set -euo pipefail
    {{_aws_env}}
    aws cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output table

# ---------------------------------------------------------------- benchmarks
# Not part of `just test`. The bench brings up its own local stack (same scripts as `just up`, on
# BENCH_* ports, plus a second pebble for the peers' standalone servers) and stops it at the end.

# issuance vs certbot and lego, responder (size, cost per request, cold start under the Lambda runtime), renewal sweep, protocol (CA requests and round trips, loopback and with latency), declarations (10,000 in S3, nothing due: S3 requests vs 10); e.g. `just bench` or `just bench declarations`
[positional-arguments]
bench *PARTS:
    bench/install.sh "$@"
    node --import tsx bench/run.ts "$@"

# re-render the table in docs/performance.md and the chart from bench/results/latest.json
bench-report:
    node --import tsx bench/report.ts

# refresh package-lock.json after a dependency change, keeping it valid for `npm ci` on every platform and with every npm users have
lock:
    npm install --no-audit --no-fund
    node scripts/lock-foreign-platforms.mjs
    node scripts/check-lock.mjs
