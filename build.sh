#!/usr/bin/env bash
# sessionguard's one entry point.
#   ./build.sh          build bin/sessionguard, static/sessionguard.wasm, static/wasm_exec.js
#   ./build.sh run      build, then serve the demo on http://127.0.0.1:8080 (extra args go to the server)
#   ./build.sh test     build, then run every test this machine can run
#   ./build.sh bench    build, then run the benchmarks (see docs/PERFORMANCE.md)
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '==> %s\n' "$*" >&2; }

build() {
  mkdir -p bin static
  say "server: bin/sessionguard"
  go build -trimpath -o bin/sessionguard ./server
  say "browser module: static/sessionguard.wasm"
  GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o static/sessionguard.wasm ./wasm
  local root
  root=$(go env GOROOT)
  if [ -f "$root/lib/wasm/wasm_exec.js" ]; then
    cp "$root/lib/wasm/wasm_exec.js" static/wasm_exec.js
  else
    cp "$root/misc/wasm/wasm_exec.js" static/wasm_exec.js
  fi
}

# The packages that compile to WebAssembly; their tests also run under Node.
wasm_pkgs=(./wasm/... ./policy/... ./wire/...)

wasm_exec() {
  local root
  root=$(go env GOROOT)
  if [ -x "$root/lib/wasm/go_js_wasm_exec" ]; then
    echo "$root/lib/wasm/go_js_wasm_exec"
  else
    echo "$root/misc/wasm/go_js_wasm_exec"
  fi
}

run_tests() {
  say "go vet"
  go vet ./...
  GOOS=js GOARCH=wasm go vet "${wasm_pkgs[@]}"
  say "unit, API, store and browser tests (-race)"
  go test -race -count=1 ./...
  if command -v node >/dev/null 2>&1; then
    say "browser module tests under Node (GOOS=js GOARCH=wasm)"
    GOOS=js GOARCH=wasm go test -count=1 -exec="$(wasm_exec)" "${wasm_pkgs[@]}"
  elif [ "${SG_REQUIRE_BROWSER:-}" = 1 ]; then
    say "node is missing and SG_REQUIRE_BROWSER=1: cannot run the WASM tests"; exit 1
  else
    say "SKIP: node is not installed, so the WASM tests under Node do not run"
  fi
}

cmd=${1:-build}
[ $# -gt 0 ] && shift
case "$cmd" in
  build) build ;;
  run)
    build
    say "demo on http://127.0.0.1:8080 — user@example.com / user-password, admin@example.com / admin-password"
    exec bin/sessionguard -demo "$@"
    ;;
  test) build; run_tests ;;
  bench) build; exec ./scripts/bench.sh "$@" ;;
  *) echo "usage: $0 [build|run|test|bench]" >&2; exit 2 ;;
esac
