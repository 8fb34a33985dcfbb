#!/usr/bin/env bash
# The proxy's CPU time per request, this checkout's library beside BASELINE's (another checkout of the project, e.g. a
# worktree of the commit before a change), in one command from any directory:
#
#   BASELINE=/path/to/checkout tests/AzureFunctionsInvoker.Benchmarks/Load/cpu-per-request.sh
#
# Requests per second (run.sh) move by a third from run to run when other work shares the machine; the CPU time the
# proxy process spends per request (its utime + stime in /proc, over one wrk run) moves far less, as waiting for a
# core costs none. Each round runs wrk against both, the order swapped every round; every run's line is printed
# (scenario, round, target, requests, req/s, CPU µs per request, non-2xx answers) and each scenario's medians follow.
# Knobs: ROUNDS (6), DURATION (s per run, 5), CONNECTIONS (32), SCENARIOS (comma-separated, all three by default).
set -euo pipefail
source "$(dirname "$0")/common.sh"

: "${BASELINE:?set BASELINE to the checkout to compare with}"
ROUNDS=${ROUNDS:-6}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-32}
IFS=, read -ra SCENARIOS <<<"${SCENARIOS:-small GET,64 KiB POST,1 MiB GET}"
declare -A SCENARIO_PATH=(["small GET"]="/hello?name=Kong" ["64 KiB POST"]="/upload" ["1 MiB GET"]="/large")
declare -A BASE_URL PID

require_commands wrk nginx curl python3
build_proxies
start_standin
for target in library baseline; do
    start_dotnet_proxy "$target"
    BASE_URL[$target]="http://127.0.0.1:$PROXY_PORT/mytest"
    PID[$target]=$PROXY_PID
done

cat >"$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = string.rep("x", 64 * 1024)
wrk.headers["Content-Type"] = "application/octet-stream"
LUA

# Clock ticks (1/100 s) the process has run, in user and kernel mode.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

: >"$WORK/runs.tsv"
for scenario in "${SCENARIOS[@]}"; do
    args=(-t1 -c"$CONNECTIONS")
    [ "$scenario" != "64 KiB POST" ] || args+=(-s "$WORK/post.lua")
    for target in library baseline; do
        wrk "${args[@]}" -d2s "${BASE_URL[$target]}${SCENARIO_PATH[$scenario]}" >/dev/null
    done
    for round in $(seq "$ROUNDS"); do
        order=(library baseline)
        [ $((round % 2)) -eq 1 ] || order=(baseline library)
        for target in "${order[@]}"; do
            before=$(cpu_ticks "${PID[$target]}")
            out=$(wrk "${args[@]}" -d"${DURATION}s" "${BASE_URL[$target]}${SCENARIO_PATH[$scenario]}")
            after=$(cpu_ticks "${PID[$target]}")
            requests=$(awk '/requests in/ { print $1 }' <<<"$out")
            rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
            non2xx=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
            cpu_us=$(awk -v t=$((after - before)) -v n="$requests" 'BEGIN { printf "%.1f", t * 10000 / n }')
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$round" "$target" "$requests" "$rps" "$cpu_us" "${non2xx:-0}" | tee -a "$WORK/runs.tsv"
        done
    done
done

python3 - "$WORK/runs.tsv" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    scenario, round_, target, _, rps, cpu, _ = line.rstrip("\n").split("\t")
    runs.setdefault(scenario, {}).setdefault(round_, {})[target] = (float(rps), float(cpu))
print("| Scenario | CPU µs/request, library | baseline | library / baseline (median of rounds) | req/s library / baseline (median of rounds) |")
print("| --- | ---: | ---: | ---: | ---: |")
for scenario, rounds in runs.items():
    pairs = [r for r in rounds.values() if len(r) == 2]
    cpu = statistics.median(r["library"][1] / r["baseline"][1] for r in pairs)
    rps = statistics.median(r["library"][0] / r["baseline"][0] for r in pairs)
    print(f"| {scenario} | {statistics.median(r['library'][1] for r in pairs):.1f} | {statistics.median(r['baseline'][1] for r in pairs):.1f} | {cpu:.2f} | {rps:.2f} |")
PY
