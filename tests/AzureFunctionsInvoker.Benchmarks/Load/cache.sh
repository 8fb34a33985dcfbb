#!/usr/bin/env bash
# Output caching in front of a function (docs/scale-out.md, "Measured"), in one command from any directory:
#
#   tests/AzureFunctionsInvoker.Benchmarks/Load/cache.sh
#
# The small GET of run.sh (the nginx stand-in function's "Hello Kong!") called directly, through the library without a
# cache (MapAzureFunctionProxy), and through CacheOutput() with the in-memory store and with the Redis store (a
# redis-server of its own on 127.0.0.1), with wrk. Runs interleaved REPEATS times; medians on the console and in
# artifacts/benchmarks/cache-<time>.md. Installs wrk, nginx and redis-server with apt-get if they are missing.
# Knobs as run.sh: DURATION (10), REPEATS (3), CONNECTIONS (32), WARMUP (2).
set -euo pipefail
source "$(dirname "$0")/common.sh"

DURATION=${DURATION:-10}
REPEATS=${REPEATS:-3}
CONNECTIONS=${CONNECTIONS:-32}
WARMUP=${WARMUP:-2}

TARGETS=(direct uncached memory redis)
declare -A BASE_URL

require_commands wrk nginx curl python3 redis-server
build_proxies
start_standin
BASE_URL[direct]="http://127.0.0.1:$FUNCTION_PORT/api/hello"

REDIS_PORT=$(free_port)
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >"$WORK/redis.log" 2>&1 &
STARTED_PIDS+=("$!")

for cache in none memory redis; do
    port=$(free_port)
    dotnet "$PROXY_DLL" serve cached --cache "$cache" --redis "127.0.0.1:$REDIS_PORT" --port "$port" \
        --function-port "$FUNCTION_PORT" --function-key "$FUNCTION_KEY" >"$WORK/$cache.log" 2>&1 &
    STARTED_PIDS+=("$!")
    target=$([ "$cache" = none ] && echo uncached || echo "$cache")
    BASE_URL[$target]="http://127.0.0.1:$port/mytest"
    wait_ready "${BASE_URL[$target]}/ready" "$WORK/$cache.log"
done

wrk_run() {
    local target=$1 args=(-t1 -c"$CONNECTIONS" -d"$2s" --latency)
    [ "$target" != direct ] || args+=(-H "x-functions-key: $FUNCTION_KEY")
    wrk "${args[@]}" "${BASE_URL[$target]}/hello?name=Kong"
}

: >"$WORK/runs.tsv"
for repeat in $(seq "$REPEATS"); do
    for target in "${TARGETS[@]}"; do
        [ "$WARMUP" -eq 0 ] || wrk_run "$target" "$WARMUP" >/dev/null
        read -r rps p50 p99 errors < <(wrk_run "$target" "$DURATION" | parse_wrk)
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$repeat" "$rps" "$p50" "$p99" "$errors" >>"$WORK/runs.tsv"
        printf '%d/%d %-9s %8s req/s  p50 %8s ms  p99 %8s ms  errors %s\n' "$repeat" "$REPEATS" "$target" "$rps" "$p50" "$p99" "$errors" >&2
    done
done

median_of() {
    awk -F'\t' -v t="$1" -v c="$2" '$1 == t { print $c }' "$WORK/runs.tsv" | median
}

{
    echo "- $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2) -t1 -c$CONNECTIONS -d${DURATION}s after a ${WARMUP}s warm-up, GET /hello?name=Kong; runs per target: $REPEATS, interleaved; medians"
    echo
    echo "| Target | Req/s | p50 (ms) | p99 (ms) | Errors | Req/s vs uncached | Req/s vs direct |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    uncached=$(median_of uncached 3)
    direct=$(median_of direct 3)
    for target in "${TARGETS[@]}"; do
        rps=$(median_of "$target" 3)
        errors=$(awk -F'\t' -v t="$target" '$1 == t { n += $6 } END { print n + 0 }' "$WORK/runs.tsv")
        echo "| $target | $rps | $(median_of "$target" 4) | $(median_of "$target" 5) | $errors | $(awk -v a="$rps" -v b="$uncached" 'BEGIN { printf "%.2f", a / b }') | $(awk -v a="$rps" -v b="$direct" 'BEGIN { printf "%.2f", a / b }') |"
    done
} | report cache "Output caching benchmark"
