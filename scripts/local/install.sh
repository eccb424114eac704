#!/usr/bin/env bash
# Installs what the local stack runs when it is missing: pebble + pebble-challtestsrv (Debian
# package `pebble`), Chromium (Debian package, for the dashboard's browser test), moto's server
# (PyPI `moto[server]`), cfn-lint (PyPI), the Node runtimes
# production runs and the Lambda runtime (emulator and runtime interface client) the responder
# runs under (scripts/local/runtimes.mjs). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/../.."
say() { printf '%s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else say "need root for: $*"; return 1; fi; }

if ! command -v pebble >/dev/null || ! command -v pebble-challtestsrv >/dev/null; then
  say "installing pebble (Debian package)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pebble >/dev/null
fi
# Chromium for the dashboard's browser test (tests/e2e/dashboard.test.ts drives it with playwright-core,
# which downloads no browser): Debian's package, where CHROMIUM_PATH (.env) has none.
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
  if [ "$CHROMIUM_PATH" = /usr/bin/chromium ] && command -v apt-get >/dev/null; then
    say "installing chromium (Debian package), for the dashboard's browser test"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    say "no Chromium at CHROMIUM_PATH=$CHROMIUM_PATH: install Chromium and point CHROMIUM_PATH (.env) at it"; exit 1
  fi
fi
# moto exactly: scripts/local/moto-server.py corrects its IAM checks through its internals, which
# are only known for this version.
MOTO_VERSION=5.2.1
if ! command -v moto_server >/dev/null || [ "$(python3 -c 'import moto; print(moto.__version__)' 2>/dev/null)" != "$MOTO_VERSION" ]; then
  say "installing moto[server]==$MOTO_VERSION (PyPI)"
  python3 -m pip install --quiet "moto[server]==$MOTO_VERSION"
  if command -v pyenv >/dev/null; then pyenv rehash; fi
  hash -r
  command -v moto_server >/dev/null || { say "moto_server is not on PATH after pip install (pip's script dir: $(python3 -m site --user-base)/bin)"; exit 1; }
fi
if ! command -v cfn-lint >/dev/null; then
  say "installing cfn-lint (PyPI), used by the infrastructure tests"
  python3 -m pip install --quiet "cfn-lint>=1,<2"
  if command -v pyenv >/dev/null; then pyenv rehash; fi
  hash -r
fi
# A current pebble (ARI, profiles) built from the Go module proxy, for the renewal tests; Debian's
# 2.4 has neither. Built once into .local/bin.
PEBBLE_CURRENT_VERSION=v2.10.1
if [ ! -x .local/bin/pebble-current ] || [ "$(cat .local/bin/pebble-current.version 2>/dev/null)" != "$PEBBLE_CURRENT_VERSION" ]; then
  command -v go >/dev/null || { say "go is needed to build pebble $PEBBLE_CURRENT_VERSION (ARI tests)"; exit 1; }
  say "building pebble $PEBBLE_CURRENT_VERSION (Go module proxy) into .local/bin"
  mkdir -p .local/bin
  tmp=$(mktemp -d)
  GOBIN="$tmp" GOFLAGS=-mod=mod go install "github.com/letsencrypt/pebble/v2/cmd/pebble@$PEBBLE_CURRENT_VERSION"
  mv "$tmp/pebble" .local/bin/pebble-current && rm -rf "$tmp"
  echo "$PEBBLE_CURRENT_VERSION" > .local/bin/pebble-current.version
fi
# Node as the image and Lambda run it (npm registry), and Lambda's runtime interface emulator and
# client (Go module proxy, npm registry), for the tests that run code where it runs.
node scripts/local/runtimes.mjs install
