#!/usr/bin/env bash
# Issue 19's cost target for JSON rewriting (item 3) as the review measured it: the proxy's CPU time per request, over
# sockets, for a JSON body holding 300 management URLs on the function's origin (as Durable writes a status URL, of 33
# instances taken in turn: the rewriting budget of one response, 300 URLs and 33 links sealed, the worst body within it)
# against plain JSON of the same size (57 KiB), both through the same buffered path, in one command from any directory:
#
#   tests/AzureFunctionsInvoker.Benchmarks/Load/rewrite-cpu.sh
#
# The stand-in function is nginx serving slow_readers.py's two bodies; the proxy is Load/LibraryProxy.cs (Durable links
# on). Each round runs wrk against both paths, the order swapped every round, and reads the proxy's utime + stime in
# /proc over each run; every run's line is printed (body, round, requests, req/s, CPU µs per request, non-2xx answers)
# and the medians follow, with the ratio of each round's two figures. Knobs: ROUNDS (6), DURATION (s per run, 5),
# CONNECTIONS (8).
set -euo pipefail
source "$(dirname "$0")/common.sh"

ROUNDS=${ROUNDS:-6}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-8}

require_commands wrk nginx curl python3
build_proxies

start_json_standin
start_dotnet_proxy library
BASE_URL="http://127.0.0.1:$PROXY_PORT/mytest"

# Clock ticks (1/100 s) the process has run, in user and kernel mode.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

for body in plain durable; do
    curl -fsS "$BASE_URL/$body.json" | grep -q "$([ "$body" = durable ] && echo /mytest/_durable/ || echo order-)" \
        || { echo "$body.json did not come back as expected" >&2; exit 1; }
    wrk -t1 -c"$CONNECTIONS" -d3s "$BASE_URL/$body.json" >/dev/null
done

: >"$WORK/runs.tsv"
for round in $(seq "$ROUNDS"); do
    order=(plain durable)
    [ $((round % 2)) -eq 1 ] || order=(durable plain)
    for body in "${order[@]}"; do
        before=$(cpu_ticks "$PROXY_PID")
        out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "$BASE_URL/$body.json")
        after=$(cpu_ticks "$PROXY_PID")
        requests=$(awk '/requests in/ { print $1 }' <<<"$out")
        rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
        non2xx=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
        cpu_us=$(awk -v t=$((after - before)) -v n="$requests" 'BEGIN { printf "%.1f", t * 10000 / n }')
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$body" "$round" "$requests" "$rps" "$cpu_us" "${non2xx:-0}" | tee -a "$WORK/runs.tsv"
    done
done

python3 - "$WORK/runs.tsv" <<'PY' | report rewrite-cpu "Proxy CPU per request, rewritten and plain JSON"
import statistics, sys
rounds = {}
for line in open(sys.argv[1]):
    body, round_, _, rps, cpu, non2xx = line.rstrip("\n").split("\t")
    rounds.setdefault(round_, {})[body] = (float(rps), float(cpu), int(non2xx))
pairs = [r for r in rounds.values() if len(r) == 2]
print("| Body | CPU µs/request (median) | req/s (median) | non-2xx |")
print("| --- | ---: | ---: | ---: |")
for body in ("plain", "durable"):
    print(f"| {body} | {statistics.median(r[body][1] for r in pairs):.0f} | {statistics.median(r[body][0] for r in pairs):.0f} | {sum(r[body][2] for r in pairs)} |")
print()
print(f"Ratio durable / plain, CPU per request, median of {len(pairs)} rounds: {statistics.median(r['durable'][1] / r['plain'][1] for r in pairs):.2f}")
PY
