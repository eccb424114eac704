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
    node --import tsx scripts/demo.ts

# run the issuer CLI against the configured CA and AWS endpoint, e.g. `just issuer list`
issuer *ARGS:
    node --import tsx container/cli.ts {{ARGS}}

# ---------------------------------------------------------------- checks

# type-check everything
typecheck:
    npx tsc --noEmit -p .

# the test suite: unit, responder, end to end on pebble + moto, infra (brings the stack up first)
test: up typecheck
    npx vitest run

