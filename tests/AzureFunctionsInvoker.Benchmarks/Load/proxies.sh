#!/usr/bin/env bash
# Functions Proxies (docs/proxies.md, "Measured"), in one command from any directory:
#
#   tests/AzureFunctionsInvoker.Benchmarks/Load/proxies.sh
#
# The same forward to the nginx stand-in function of run.sh through a MapAzureFunctionProxy endpoint ("mount", the
# "cached" host with --cache none) and through a proxies.json proxy /mytest/{*rest} (AddFunctionsProxies,
# MapFunctionsProxies) in a file of 1 proxy ("proxies") and of 1,001 ("proxies1000": 1,000 others first, with
# parameters, overrides and a %SETTING% each), side by side: wrk, small GET and 64 KiB POST, the targets interleaved
# REPEATS times, medians and the ratios to the mount. Then the load and reload time of a 1,000-proxy file
# (the proxies-timing command). Console and artifacts/benchmarks/proxies-<time>.md. Installs wrk and nginx if missing.
# Knobs as run.sh: DURATION (10), REPEATS (3), CONNECTIONS (32), WARMUP (2).
set -euo pipefail
source "$(dirname "$0")/common.sh"

DURATION=${DURATION:-10}
REPEATS=${REPEATS:-3}
CONNECTIONS=${CONNECTIONS:-32}
WARMUP=${WARMUP:-2}

TARGETS=(mount proxies proxies1000)
SCENARIOS=("small GET" "64 KiB POST")
declare -A SCENARIO_PATH=(["small GET"]="/hello?name=Kong" ["64 KiB POST"]="/upload")
declare -A BASE_URL

require_commands wrk nginx curl python3
build_proxies
start_standin

start_target() {
    local target=$1 port
    shift
    port=$(free_port)
    dotnet "$PROXY_DLL" serve "$@" --port "$port" --function-port "$FUNCTION_PORT" --function-key "$FUNCTION_KEY" >"$WORK/$target.log" 2>&1 &
    STARTED_PIDS+=("$!")
    BASE_URL[$target]="http://127.0.0.1:$port/mytest"
    wait_ready "${BASE_URL[$target]}/ready" "$WORK/$target.log"
}

start_target mount cached --cache none
start_target proxies proxies --filler 0
start_target proxies1000 proxies --filler 1000

cat >"$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = string.rep("x", 64 * 1024)
wrk.headers["Content-Type"] = "application/octet-stream"
LUA

wrk_run() {
    local target=$1 scenario=$2 args=(-t1 -c"$CONNECTIONS" -d"$3s" --latency)
    [ "$scenario" != "64 KiB POST" ] || args+=(-s "$WORK/post.lua")
    wrk "${args[@]}" "${BASE_URL[$target]}${SCENARIO_PATH[$scenario]}"
}

: >"$WORK/runs.tsv"
for scenario in "${SCENARIOS[@]}"; do
    for repeat in $(seq "$REPEATS"); do
        for target in "${TARGETS[@]}"; do
            [ "$WARMUP" -eq 0 ] || wrk_run "$target" "$scenario" "$WARMUP" >/dev/null
            read -r rps p50 p99 errors < <(wrk_run "$target" "$scenario" "$DURATION" | parse_wrk)
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$target" "$repeat" "$rps" "$p50" "$p99" "$errors" >>"$WORK/runs.tsv"
            printf '%-12s %d/%d %-11s %8s req/s  p50 %8s ms  p99 %8s ms  errors %s\n' "$scenario" "$repeat" "$REPEATS" "$target" "$rps" "$p50" "$p99" "$errors" >&2
        done
    done
done

timing=$(dotnet "$PROXY_DLL" proxies-timing --proxies 1000 --repeats 5)

median_of() {
    awk -F'\t' -v s="$1" -v t="$2" -v c="$3" '$1 == s && $2 == t { print $c }' "$WORK/runs.tsv" | median
}

{
    echo "- $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2) -t1 -c$CONNECTIONS -d${DURATION}s after a ${WARMUP}s warm-up; runs per target: $REPEATS, interleaved; medians"
    for scenario in "${SCENARIOS[@]}"; do
        echo
        echo "### $scenario"
        echo
        echo "| Target | Req/s | p50 (ms) | p99 (ms) | Errors | Req/s vs mount |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: |"
        mount=$(median_of "$scenario" mount 4)
        for target in "${TARGETS[@]}"; do
            rps=$(median_of "$scenario" "$target" 4)
            errors=$(awk -F'\t' -v s="$scenario" -v t="$target" '$1 == s && $2 == t { n += $7 } END { print n + 0 }' "$WORK/runs.tsv")
            echo "| $target | $rps | $(median_of "$scenario" "$target" 5) | $(median_of "$scenario" "$target" 6) | $errors | $(awk -v a="$rps" -v b="$mount" 'BEGIN { printf "%.3f", a / b }') |"
        done
    done
    echo
    echo "Load and reload (proxies-timing, 5 runs): $timing"
} | report proxies "Functions Proxies benchmark"
