#!/usr/bin/env bash
# Where a status check's CPU goes, against the bare net/http handler: runs
# bin/sessionguard (default flags, signed in) and loadcmp's bare handler
# under the same wrk load, samples each with Linux perf, and prints the
# server's CPU per request split by what net/http was doing (reading the
# request, the handler, writing the answer, deadlines, GC, scheduling).
# Both get the same request, the session cookie included. SG_FLAGS adds
# flags to the server (SG_FLAGS='-strategy jwt'). docs/PERFORMANCE.md keeps
# its output. Needs perf (Debian: linux-perf) and wrk; run it on a quiet
# machine, after ./build.sh.
#   scripts/status-profile.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
for c in perf wrk; do command -v "$c" >/dev/null || { echo "status-profile: $c is not installed" >&2; exit 1; }; done
rounds=${1:-2}
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o bin/loadcmp ./internal/loadcmp
bin/loadcmp -serve-bare 127.0.0.1:18791 & pids+=($!)
# shellcheck disable=SC2086 # SG_FLAGS is a list of flags
bin/sessionguard -addr 127.0.0.1:18792 -data "$work/data" -static static -demo ${SG_FLAGS:-} >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:18792/healthz && break; sleep 0.1; done
cookie=$(curl -fs -D - -o /dev/null -H 'Content-Type: application/json' \
  -d '{"email":"user@example.com","password":"user-password"}' http://127.0.0.1:18792/api/auth/signin |
  awk 'tolower($1) == "set-cookie:" && $2 ~ /^__Host-sg_session=/ { split($2, a, ";"); print a[1]; exit }')

# profile NAME PID URL [COOKIE]: 4 s of wrk while perf samples PID.
profile() {
  local name=$1 pid=$2 url=$3 hdr=()
  [ -n "${4:-}" ] && hdr=(-H "Cookie: $4")
  perf record -q -e cpu-clock -F 4000 -g -p "$pid" -o "$work/$name.perf" -- sleep 4.5 >/dev/null 2>&1 &
  local rec=$!
  sleep 0.2
  wrk -t2 -c32 -d4s "${hdr[@]}" "$url" | awk -v n="$name" '/requests in/ { print n, $1 }' >> "$work/requests"
  wait "$rec"
}
names=()
for r in $(seq "$rounds"); do
  profile "bare$r" "${pids[0]}" http://127.0.0.1:18791/api/get-session-status "$cookie"
  profile "sg$r" "${pids[1]}" http://127.0.0.1:18792/api/get-session-status "$cookie"
  names+=("bare$r" "sg$r")
done

# Each sample (one stack, 250 µs of CPU at 4 kHz) goes to the first
# category one of whose frames it holds.
printf '| µs of server CPU per request |'; for n in "${names[@]}"; do printf ' %s |' "$n"; done; echo
printf '|---|'; for _ in "${names[@]}"; do printf -- '---|'; done; echo
for n in "${names[@]}"; do
  perf script -i "$work/$n.perf" -F ip,sym 2>/dev/null | awk -v req="$(awk -v n="$n" '$1 == n { print $2 }' "$work/requests")" '
    BEGIN { RS = ""; split("deadlines handler write-answer read-request wait-for-request background-read gc sysmon scheduler other", order, " ")
      pat["deadlines"] = "setDeadlineImpl|SetReadDeadline|SetWriteDeadline"; pat["handler"] = "serverHandler.ServeHTTP"
      pat["write-answer"] = "finishRequest"; pat["read-request"] = "conn\\).readRequest"
      pat["wait-for-request"] = "bufio.\\(\\*Reader\\).Peek|connReader\\).Read"; pat["background-read"] = "backgroundRead"
      pat["gc"] = "gcBgMarkWorker|bgsweep|gcDrain|gcStart|bgscavenge|markroot"; pat["sysmon"] = "sysmon"
      pat["scheduler"] = "schedule|findRunnable|park_m|mcall|netpoll" }
    { c = "other"; for (i = 1; i <= 9; i++) if ($0 ~ pat[order[i]]) { c = order[i]; break }; n[c]++; total++ }
    END { for (i = 1; i <= 10; i++) printf "%s %.2f\n", order[i], n[order[i]] * 250 / req; printf "total %.2f\n", total * 250 / req }' > "$work/$n.cat"
done
for row in deadlines handler write-answer read-request wait-for-request background-read gc sysmon scheduler other total; do
  printf '| %s |' "$row"
  for n in "${names[@]}"; do printf ' %s |' "$(awk -v r="$row" '$1 == r { print $2 }' "$work/$n.cat")"; done
  echo
done
