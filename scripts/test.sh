#!/usr/bin/env bash
# Installs what the suite needs on a fresh machine, then runs every check and test:
# lint, types, package metadata (publint, attw), the tests on Node 20 and on Node 24,
# and a short smoke run of the benchmarks so they cannot rot.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

if ! command -v pnpm >/dev/null 2>&1; then
  log "installing pnpm"
  npm install --global --no-audit --no-fund pnpm@10 >/dev/null
fi

# promtool validates our /metrics text; the Python client parses the OpenMetrics form with exemplars.
if ! command -v promtool >/dev/null 2>&1 || ! /usr/bin/python3 -c "import prometheus_client" >/dev/null 2>&1; then
  log "installing prometheus (promtool) and python3-prometheus-client from Debian"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus python3-prometheus-client >/dev/null
fi

# The suites talk to the machine's PostgreSQL and Redis; start them if they are down.
bash scripts/services.sh

log "pnpm install"
pnpm install --frozen-lockfile

log "build"
pnpm build
log "lint"
pnpm lint
log "typecheck"
pnpm typecheck
log "package metadata (publint, attw)"
pnpm check:packages

rm -rf packages/*/test-results packages/*/fixtures/*/test-results apps/*/test-results
log "tests on $(node --version)"
pnpm test

# Node 24 changed AsyncLocalStorage underneath: the same suite runs there too.
NODE24_DIR="${NODE24_DIR:-$HOME/.cache/maestro-observability/node24}"
if [ ! -x "$NODE24_DIR/node_modules/.bin/node" ]; then
  log "installing Node 24 from the npm registry into $NODE24_DIR"
  npm install --prefix "$NODE24_DIR" --no-audit --no-fund --no-save node@24 >/dev/null
fi
log "tests on $("$NODE24_DIR/node_modules/.bin/node" --version)"
PATH="$NODE24_DIR/node_modules/.bin:$PATH" pnpm test

log "benchmark smoke run"
BENCH_SMOKE=1 pnpm bench

log "summary"
node scripts/summarize-tests.mjs 20 24
