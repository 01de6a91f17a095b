#!/usr/bin/env bash
# Benchmarks behind docs/PERFORMANCE.md. Run through ./build.sh bench, which
# builds bin/sessionguard and static/sessionguard.wasm first.
#   ./build.sh bench            everything (about five minutes)
#   BENCH_QUICK=1 ./build.sh bench   shorter load runs
# It ends with one table: each figure of the performance targets, its
# anchor measured in the same run, the ratio and the target.
set -euo pipefail
cd "$(dirname "$0")/.."

section() { printf '\n## %s\n\n' "$*"; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

section "Machine"
echo "- $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "- $(go version); load average $(cut -d' ' -f1-3 /proc/loadavg)"
if command -v wrk >/dev/null 2>&1; then
  echo "- load generator: $(wrk --version 2>&1 | head -1 | cut -c1-40)"
else
  echo "- load generator: the Go client in internal/loadcmp (wrk not installed)"
fi

section "Go benchmarks"
echo '```'
go test -run '^$' -bench . -skip 'StatusDuringSignIns|StatusManySessions|Streams' -benchmem -count 1 \
  ./policy ./server/session ./server/auth ./server/metrics ./server/store/cache ./server/store/memory ./server/store/sqlite \
  | grep -E '^(Benchmark|pkg:)' | tee "$out/go"
echo '```'

section "Under pressure: status p99 during 200 parallel sign-ins"
echo '```'
go test -run '^$' -bench StatusDuringSignIns -benchtime 1x ./server/auth | grep -E '^Benchmark' | tee "$out/pressure"
echo '```'

section "Ten thousand live event streams"
echo '```'
go test -run '^$' -bench Streams -benchtime 1x ./server/auth | grep -E '^Benchmark' | tee "$out/streams"
echo '```'

section "A million sessions (PostgreSQL rows need SG_TEST_POSTGRES_URL)"
echo '```'
go test -run '^$' -bench StatusManySessions -benchtime 200000x -benchmem ./server/auth | grep -E '^Benchmark|SKIP' | tee "$out/scale"
echo '```'

section "Loopback load: status check against a bare net/http handler"
go build -o bin/loadcmp ./internal/loadcmp
if [ "${BENCH_QUICK:-}" = 1 ]; then dur=3s rounds=2; else dur=5s rounds=5; fi
bin/loadcmp -bin bin/sessionguard -static static -duration "$dur" -rounds "$rounds" | tee "$out/load"
echo
bin/loadcmp -bin bin/sessionguard -static static -duration "$dur" -rounds "$rounds" -sg-flags "-strategy jwt" | tee "$out/loadjwt"
# The shared stores with -store-cache, when the test services are there.
: > "$out/loadpg"; : > "$out/loadredis"
if [ -n "${SG_TEST_POSTGRES_URL:-}" ]; then
  echo
  bin/loadcmp -bin bin/sessionguard -static static -duration "$dur" -rounds "$rounds" \
    -sg-flags "-store postgres -store-url $SG_TEST_POSTGRES_URL -store-schema sg_bench -store-cache" | tee "$out/loadpg"
fi
if [ -n "${SG_TEST_REDIS_URL:-}" ]; then
  echo
  bin/loadcmp -bin bin/sessionguard -static static -duration "$dur" -rounds "$rounds" \
    -sg-flags "-store redis -store-url $SG_TEST_REDIS_URL -store-prefix sg_bench: -store-cache" | tee "$out/loadredis"
fi

section "Browser module size"
mkdir -p "$out/min"
cat > "$out/min/main.go" <<'GO'
package main

import "syscall/js"

func main() {
	js.Global().Set("__sgReadyAt", js.Global().Get("performance").Call("now"))
	select {}
}
GO
# Built with the module's GOEXPERIMENT (internal/wasmbuild), so the ratio
# compares the project's code, not build settings.
exp=$(go run ./internal/buildwasm -experiments)
(cd "$out/min" && GOEXPERIMENT=$exp GOOS=js GOARCH=wasm GOFLAGS= GO111MODULE=off go build -trimpath -ldflags="-s -w" -o min.wasm main.go)
go run ./internal/precompress "$out/min/min.wasm" >/dev/null 2>&1
printf '| file | raw | served gzip (.gz) | served brotli (.br) |\n|---|---|---|---|\n'
for f in static/sessionguard.wasm "$out/min/min.wasm"; do
  name=$f; [ "$f" = static/sessionguard.wasm ] || name="minimal syscall/js program"
  awk -v n="$name" -v r="$(wc -c < "$f")" -v g="$(wc -c < "$f.gz")" -v b="$(wc -c < "$f.br")" \
    'BEGIN { printf "| %s | %d bytes (%.0f KiB) | %d bytes (%.0f KiB) | %d bytes (%.0f KiB) |\n", n, r, r/1024, g, g/1024, b, b/1024 }'
done

section "Browser module start-up in Chromium"
if command -v chromium >/dev/null 2>&1; then
  echo '```'
  res=$(go test -run '^$' -bench BenchmarkModuleStartup -benchtime 60x ./e2e 2>&1) || { echo "$res" | tail -20; exit 1; }
  echo "$res" | grep -E '^Benchmark' | tee "$out/startup"
  echo '```'
else
  echo "chromium not installed: skipped"
  : > "$out/startup"
fi

# metric FILE LINE-PATTERN UNIT: the value before UNIT on the first line
# of FILE matching LINE-PATTERN ("" when there is none).
metric() { awk -v p="$2" -v u="$3" '$0 ~ p { for (i = 2; i <= NF; i++) if ($i == u) { print $(i-1); exit } }' "$1" 2>/dev/null || true; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "—"; else printf "%.2f×", a / b }'; }
kib() { awk -v n="$1" 'BEGIN { printf "%.0f KiB", n / 1024 }'; }

section "Summary: the targets"
printf '| figure | now | anchor (same run) | ratio | target |\n|---|---|---|---|---|\n'
for f in load loadjwt loadpg loadredis; do
  [ -s "$out/$f" ] || continue
  sg=$(awk -F'|' '/sessionguard GET/ { gsub(/ /, "", $3); print $3 }' "$out/$f")
  bare=$(awk -F'|' '/bare net\/http handler/ { gsub(/ /, "", $3); print $3 }' "$out/$f")
  mx=$(awk -F'|' '/gorilla\/mux alone/ { gsub(/ /, "", $3); print $3 }' "$out/$f")
  same=$(awk -F'|' '/server settings and headers/ { gsub(/ /, "", $3); print $3 }' "$out/$f")
  case $f in
    load) label="status req/s, default flags" target="≥ 0.85×" ;;
    loadjwt) label="status req/s, -strategy jwt" target="≥ 0.85×" ;;
    loadpg) label="status req/s, -store postgres -store-cache" target="≥ 0.7×" ;;
    loadredis) label="status req/s, -store redis -store-cache" target="≥ 0.7×" ;;
  esac
  med=$(sed -n 's/^median of the \([0-9]*\) rounds: sessionguard ÷ bare \([0-9.]*×\).*/\2, median of \1 rounds/p' "$out/$f")
  echo "| $label | $sg | bare net/http: $bare (gorilla/mux alone: $mx, $(ratio "$mx" "$bare"); with sessionguard's server settings and headers: $same, $(ratio "$same" "$bare"), sessionguard ÷ it $(ratio "$sg" "$same")) | $(ratio "$sg" "$bare") best rounds (${med:-—}) | $target |"
done
st=$(metric "$out/go" '^BenchmarkStatus/sqlite[+]cache' ns/op); sta=$(metric "$out/go" '^BenchmarkStatus/sqlite[+]cache' allocs/op)
bare=$(metric "$out/go" '^BenchmarkStatusAnchors/bare' ns/op); barea=$(metric "$out/go" '^BenchmarkStatusAnchors/bare' allocs/op)
mx=$(metric "$out/go" '^BenchmarkStatusAnchors/mux' ns/op); mxa=$(metric "$out/go" '^BenchmarkStatusAnchors/mux' allocs/op)
echo "| status handler in process, database | $st ns, $sta allocs | bare: $bare ns, $barea allocs (gorilla/mux: $mx ns, $mxa allocs) | $(ratio "$st" "$bare") | ≤ 2,000 ns, ≤ 20 allocs |"
st=$(metric "$out/go" '^BenchmarkStatusJWT/sqlite[+]cache' ns/op); sta=$(metric "$out/go" '^BenchmarkStatusJWT/sqlite[+]cache' allocs/op)
echo "| status handler in process, jwt | $st ns, $sta allocs | bare: $bare ns, $barea allocs (gorilla/mux: $mx ns, $mxa allocs) | $(ratio "$st" "$bare") | ≤ 2,000 ns, ≤ 20 allocs |"
gz=$(wc -c < static/sessionguard.wasm.gz); br=$(wc -c < static/sessionguard.wasm.br)
mgz=$(wc -c < "$out/min/min.wasm.gz"); mbr=$(wc -c < "$out/min/min.wasm.br")
echo "| module, gzip | $(kib "$gz") | minimal program: $(kib "$mgz") | $(ratio "$gz" "$mgz") | ≤ 720 KiB |"
echo "| module, brotli | $(kib "$br") | minimal program: $(kib "$mbr") | $(ratio "$br" "$mbr") | ≤ 560 KiB |"
for s in database jwt; do
  ms=$(metric "$out/startup" "^BenchmarkModuleStartup/$s/loopback" ms/ready); an=$(metric "$out/startup" "^BenchmarkModuleStartup/$s/loopback" anchor-ms)
  echo "| module ready after navigation, $s (warm) | ${ms:-—} ms | minimal program: ${an:-—} ms | $(ratio "$ms" "$an") | ≤ 1.2× |"
done
for s in database jwt; do
  p="^BenchmarkModuleStartup/$s/loopback"
  echo "| module start-up split, $s (warm): fetch, compile and instantiate; go.run to ready | $(metric "$out/startup" "$p" load-ms) ms; $(metric "$out/startup" "$p" boot-ms) ms | minimal program: $(metric "$out/startup" "$p" anchor-load-ms) ms; $(metric "$out/startup" "$p" anchor-boot-ms) ms | — | reported |"
done
for s in database jwt; do
  ms=$(metric "$out/startup" "^BenchmarkModuleStartup/$s/rtt=40ms" ms/ready); an=$(metric "$out/startup" "^BenchmarkModuleStartup/$s/rtt=40ms" anchor-ms)
  echo "| module ready after navigation, $s (warm, 40 ms to the server) | ${ms:-—} ms | minimal program: ${an:-—} ms | $(ratio "$ms" "$an") | reported |"
done
rest=$(metric "$out/pressure" 'slots=default' rest-p99-µs); burst=$(metric "$out/pressure" 'slots=default' burst-p99-µs)
echo "| status p99 during 200 parallel sign-ins | $burst µs | at rest: $rest µs | $(ratio "$burst" "$rest") | ≤ 5× |"
k=$(metric "$out/scale" 'sqlite/sessions=1000-' ns/op); m=$(metric "$out/scale" 'sqlite/sessions=1000000-' ns/op)
echo "| status with 1M sessions, SQLite | $m ns | 1k sessions: $k ns | $(ratio "$m" "$k") | ≤ 1.10× |"
k=$(metric "$out/scale" 'postgres/sessions=1000-' ns/op); m=$(metric "$out/scale" 'postgres/sessions=1000000-' ns/op)
echo "| status with 1M sessions, PostgreSQL | ${m:-—} ns | 1k sessions: ${k:-—} ns | $(ratio "$m" "$k") | ≤ 1.10× |"
mem=$(metric "$out/streams" '^BenchmarkStreams' server-B/stream); p99=$(metric "$out/streams" '^BenchmarkStreams' revoke-p99-µs)
echo "| 10,000 event streams: server memory per stream, revocation → event p99 | $mem B, $p99 µs | — | — | reported |"
