#!/usr/bin/env bash
# sessionguard's one entry point.
#   ./build.sh          build bin/sessionguard, static/sessionguard.wasm (with .br and .gz), static/wasm_exec.js
#   ./build.sh run      build, then serve the demo on http://127.0.0.1:8080 (extra args go to the server)
#   ./build.sh test     build, then run every test this machine can run
#   ./build.sh bench    build, then run the benchmarks (see docs/PERFORMANCE.md)
#   ./build.sh soak [d] build, then run real instances under load and faults for d (default 10m;
#                       soak flags may follow, see bin/soak -h and docs/RELIABILITY.md)
#   ./build.sh fuzz [s] run every fuzz target for s seconds each (default 30)
#   ./build.sh vulncheck  scan the module with govulncheck (part of test)
set -euo pipefail
cd "$(dirname "$0")"

# The Go release everything is built, tested and scanned with. The go command
# fetches it from the module proxy the first time (machines that set
# GOTOOLCHAIN=local ignore a toolchain line in go.mod, so it is set here).
export GOTOOLCHAIN=${SG_GOTOOLCHAIN:-go1.27.3}

# Pinned security tools, run with `go run pkg@version` so they stay out of
# the project's go.mod.
govulncheck_pkg=golang.org/x/vuln/cmd/govulncheck@v1.9.0
# The vulnerability database is built from this snapshot of golang.org/x/vulndb
# (its OSV files) with internal/vulnindex, once per machine, outside the repo.
vulndb_version=v0.0.0-20261105234957-e22db6528018

say() { printf '==> %s\n' "$*" >&2; }

build() {
  mkdir -p bin static
  say "server: bin/sessionguard"
  go build -trimpath -o bin/sessionguard ./server
  say "browser module: static/sessionguard.wasm"
  # internal/wasmbuild holds the module's build flags and GOEXPERIMENT, which
  # the tests that build the module use too.
  go run ./internal/buildwasm -o static/sessionguard.wasm ./wasm
  # Its brotli and gzip forms, which the server sends as they are.
  say "browser module, compressed: static/sessionguard.wasm.br, .gz"
  go run ./internal/precompress static/sessionguard.wasm >&2
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

# fuzz_targets lists "package target" for every fuzz target in the module.
fuzz_targets() {
  local file pkg
  grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
    pkg=$(go list "$(dirname "$file")")
    sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file" | sed "s|^|$pkg |"
  done
}

# The core targets CI fuzzes briefly on every run (every target's corpus is
# replayed by the ordinary tests anyway).
core_fuzz=(
  "github.com/sessionguard/sessionguard/policy FuzzCleanMatch"
  "github.com/sessionguard/sessionguard/policy FuzzSafeRedirect"
  "github.com/sessionguard/sessionguard/server/session FuzzStrategyLoad"
  "github.com/sessionguard/sessionguard/server/session FuzzSessionCookie"
  "github.com/sessionguard/sessionguard/server/session FuzzValidCookieValue"
  "github.com/sessionguard/sessionguard/server/auth FuzzRequestBodies"
  "github.com/sessionguard/sessionguard/wasm/client FuzzSSEParser"
)

# run_fuzz SECONDS PARALLEL TARGET... fuzzes each "package target" in turn,
# prints its time and result, and fails when any target finds an input that
# breaks its property (go test writes it under the package's testdata/fuzz).
# The tag sgfuzz leaves out the test files that link SQLite and the database
# clients only to run other tests on them (server/session's store matrix):
# the fuzzer instruments every package a test binary links, and that many
# more counters slowed its targets 1.7 to 4.5 times (docs/TESTING.md).
run_fuzz() {
  local secs=$1 par=$2; shift 2
  local failed=() line pkg target start took status
  for line in "$@"; do
    read -r pkg target <<<"$line"
    start=$(date +%s)
    if go test -tags sgfuzz -run '^$' -fuzz "^${target}\$" -fuzztime "${secs}s" -fuzzminimizetime 5s \
        -parallel "$par" "$pkg" >"/tmp/sg-fuzz-$$.log" 2>&1; then
      status=ok
    else
      status=FAIL; failed+=("$target")
      tail -n 30 "/tmp/sg-fuzz-$$.log" >&2
    fi
    took=$(( $(date +%s) - start ))
    printf '    %-4s %-22s %-48s %4ss  %s\n' "$status" "$target" "${pkg#github.com/sessionguard/sessionguard/}" "$took" \
      "$(grep -o 'execs: [0-9]*' "/tmp/sg-fuzz-$$.log" | tail -n 1)" >&2
  done
  rm -f "/tmp/sg-fuzz-$$.log"
  if [ ${#failed[@]} -gt 0 ]; then
    say "fuzzing found inputs that break ${failed[*]}: see testdata/fuzz in their packages"; return 1
  fi
}

# vulndb_dir builds (once) and prints the offline vulnerability database.
vulndb_dir() {
  local cache dir src
  cache=${SG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionguard}
  dir="$cache/vulndb-$vulndb_version"
  if [ ! -f "$dir/index/db.json" ]; then
    say "building the vulnerability database from golang.org/x/vulndb@$vulndb_version (once per machine)"
    src=$(go mod download -json "golang.org/x/vulndb@$vulndb_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || return 1
    [ -d "$src/data/osv" ] || return 1
    rm -rf "$dir.tmp" && mkdir -p "$cache" || return 1
    go run ./internal/vulnindex -vulns "$src/data/osv" -out "$dir.tmp" >&2 || return 1
    mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}

# vulncheck fails when the code calls a known vulnerability (the toolchain's
# standard library included). Without a database (no network on first use)
# it skips, unless SG_REQUIRE_SERVICES=1 (CI).
vulncheck() {
  local db
  if ! db=$(vulndb_dir); then
    if [ "${SG_REQUIRE_SERVICES:-}" = 1 ]; then
      say "cannot build the vulnerability database and SG_REQUIRE_SERVICES=1"; return 1
    fi
    say "SKIP: govulncheck: cannot build the vulnerability database (no module proxy?); run ./build.sh vulncheck once online"
    return 0
  fi
  say "govulncheck ($(go env GOVERSION), database golang.org/x/vulndb@$vulndb_version)"
  go run "$govulncheck_pkg" -db "file://$db" ./...
}

# soak DURATION [FLAGS...] runs internal/soak against bin/sessionguard: two
# instances on a private PostgreSQL, two on a private Redis, one on SQLite,
# started in a temporary directory and removed after. Without PostgreSQL's or
# Redis's programs it runs the SQLite setup only and says so, unless
# SG_REQUIRE_SERVICES=1.
soak() {
  local dur=$1; shift
  go build -o bin/soak ./internal/soak
  bin/soak -bin bin/sessionguard "$@" "$dur"
}

run_tests() {
  say "go vet"
  go vet ./...
  GOOS=js GOARCH=wasm go vet "${wasm_pkgs[@]}"
  # The race detector needs cgo, so a C compiler; without one the tests run
  # without it, and say so.
  local race=(-race) cc
  cc=$(go env CC)
  if ! command -v "$cc" >/dev/null 2>&1; then
    race=()
    say "NOTE: no C compiler ('$cc'): the race detector (-race) needs one; install gcc (Debian: apt install gcc). Running the tests without -race."
  fi
  say "unit, API, store and browser tests (${race[*]:-without -race})"
  # The Chromium suite runs long on a busy 2-core machine; the default 10 min
  # per package is too tight there. internal/testsum prints what plain go test
  # would, then one line per group of skipped tests with how to run them.
  go build -o bin/testsum ./internal/testsum
  go test "${race[@]}" -count=1 -timeout 30m -json ./... | bin/testsum
  if [ ${#race[@]} -gt 0 ]; then
    # Under -race sync.Pool drops objects at random, so the tests that
    # count allocations skip there and run here.
    say "allocation tests, without -race"
    go test -count=1 -run '^TestStatusCheckKeepsTheSessionOffTheHeap$' ./server/auth
  fi
  if command -v node >/dev/null 2>&1; then
    say "browser module tests under Node (GOOS=js GOARCH=wasm)"
    GOEXPERIMENT=$(go run ./internal/buildwasm -experiments) GOOS=js GOARCH=wasm \
      go test -count=1 -exec="$(wasm_exec)" "${wasm_pkgs[@]}"
  elif [ "${SG_REQUIRE_BROWSER:-}" = 1 ]; then
    say "node is missing and SG_REQUIRE_BROWSER=1: cannot run the WASM tests"; exit 1
  else
    say "SKIP: node is not installed, so the WASM tests under Node do not run"
  fi
  say "soak: ${SG_SOAK_DURATION:-60s} of real instances under load and faults (./build.sh soak runs it longer)"
  soak "${SG_SOAK_DURATION:-60s}"
  say "fuzzing the core targets, 10 s each (every corpus was replayed above)"
  run_fuzz 10 2 "${core_fuzz[@]}"
  vulncheck
}

cmd=${1:-build}
[ $# -gt 0 ] && shift
case "$cmd" in
  build) build ;;
  run)
    build
    # The server says where it listens once it does (a second run on a busy
    # port fails instead of announcing a URL it will not serve).
    say "demo accounts: user@example.com / user-password, admin@example.com / admin-password"
    exec bin/sessionguard -demo "$@"
    ;;
  test) build; run_tests ;;
  bench) build; exec ./scripts/bench.sh "$@" ;;
  soak)
    build
    dur=10m
    if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then dur=$1; shift; fi
    soak "$dur" "$@"
    ;;
  fuzz)
    secs=${1:-30}
    mapfile -t targets < <(fuzz_targets)
    say "fuzzing ${#targets[@]} targets, ${secs} s each ($(go env GOVERSION))"
    run_fuzz "$secs" "${SG_FUZZ_PARALLEL:-2}" "${targets[@]}"
    ;;
  vulncheck) vulncheck ;;
  *) echo "usage: $0 [build|run|test|bench|soak [duration] [flags]|fuzz [seconds]|vulncheck]" >&2; exit 2 ;;
esac
