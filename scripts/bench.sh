#!/usr/bin/env bash
# Benchmarks behind docs/PERFORMANCE.md. Run through ./build.sh bench, which
# builds bin/sessionguard and static/sessionguard.wasm first.
#   ./build.sh bench            everything (about two minutes)
#   BENCH_QUICK=1 ./build.sh bench   shorter load runs
set -euo pipefail
cd "$(dirname "$0")/.."

section() { printf '\n## %s\n\n' "$*"; }

section "Machine"
echo "- $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "- $(go version)"
if command -v wrk >/dev/null 2>&1; then
  echo "- load generator: $(wrk --version 2>&1 | head -1 | cut -c1-40)"
else
  echo "- load generator: the Go client in internal/loadcmp (wrk not installed)"
fi

section "Go benchmarks"
echo '```'
go test -run '^$' -bench . -skip 'StatusDuringSignIns|StatusManySessions|Streams' -benchmem -count 1 \
  ./policy ./server/session ./server/auth ./server/store/cache ./server/store/memory ./server/store/sqlite \
  | grep -E '^(Benchmark|pkg:)'
echo '```'

section "Under pressure: status p99 during 200 parallel sign-ins"
echo '```'
go test -run '^$' -bench StatusDuringSignIns -benchtime 1x ./server/auth | grep -E '^Benchmark'
echo '```'

section "Ten thousand live event streams"
echo '```'
go test -run '^$' -bench Streams -benchtime 1x ./server/auth | grep -E '^Benchmark'
echo '```'

section "A million sessions (PostgreSQL rows need SG_TEST_POSTGRES_URL)"
echo '```'
go test -run '^$' -bench StatusManySessions -benchtime 200000x -benchmem ./server/auth | grep -E '^Benchmark|SKIP'
echo '```'

section "Loopback load: status check against a bare net/http handler"
go build -o bin/loadcmp ./internal/loadcmp
if [ "${BENCH_QUICK:-}" = 1 ]; then dur=3s rounds=2; else dur=5s rounds=3; fi
bin/loadcmp -bin bin/sessionguard -static static -duration "$dur" -rounds "$rounds"
echo
bin/loadcmp -bin bin/sessionguard -static static -duration "$dur" -rounds "$rounds" -sg-flags "-strategy jwt"

section "Browser module size"
raw=$(wc -c < static/sessionguard.wasm)
gz=$(gzip -9 -c static/sessionguard.wasm | wc -c)
sgz=$(wc -c < static/sessionguard.wasm.gz)
br=$(wc -c < static/sessionguard.wasm.br)
printf '| file | raw | gzip -9 | served gzip (.gz) | served brotli (.br) |\n|---|---|---|---|---|\n'
awk -v r="$raw" -v g="$gz" -v s="$sgz" -v b="$br" 'BEGIN { printf "| static/sessionguard.wasm | %d bytes (%.0f KiB) | %d bytes (%.0f KiB) | %d bytes (%.0f KiB) | %d bytes (%.0f KiB) |\n", r, r/1024, g, g/1024, s, s/1024, b, b/1024 }'

section "Browser module start-up in Chromium"
if command -v chromium >/dev/null 2>&1; then
  echo '```'
  out=$(go test -run '^$' -bench BenchmarkModuleStartup -benchtime 10x ./e2e 2>&1) || { echo "$out" | tail -20; exit 1; }
  echo "$out" | grep -E '^Benchmark'
  echo '```'
else
  echo "chromium not installed: skipped"
fi
