# acme-on-aws: every command goes through here. `just` alone lists the recipes.
# Configuration: `.env` (made from the committed .env.example when missing) is parsed by just
# through dotenv-command and exported to every recipe; variables already set in the shell win.
set dotenv-command := "test -f .env || cp .env.example .env; cat .env"
set export
set shell := ["bash", "-euo", "pipefail", "-c"]

# list the recipes
default:
    @just --list --unsorted

# ---------------------------------------------------------------- local stack

# start pebble, challtestsrv, moto and the local ALB adapter (installs pebble and moto when missing)
up:
    scripts/local/up.sh

# stop the local stack
down:
    scripts/local/down.sh

# show what is running in the local stack
status:
    scripts/local/status.sh

# bring the stack up, register, issue one certificate for two names and show it
demo: up
    node --import tsx container/cli.ts register
    node --import tsx container/cli.ts issue --name demo --domain demo.example.com --domain www.demo.example.com

# run the issuer CLI against the configured CA and AWS endpoint, e.g. `just issuer list`
issuer *ARGS:
    node --import tsx container/cli.ts {{ARGS}}

# ---------------------------------------------------------------- checks

# type-check everything
typecheck:
    npx tsc --noEmit -p .

# install what the local stack and the tests run (pebble, moto, cfn-lint) when missing
install:
    scripts/local/install.sh

# the test suite: core, responder, end to end on pebble + moto, infra (each e2e file starts its own stack)
test: install typecheck
    npx vitest run

