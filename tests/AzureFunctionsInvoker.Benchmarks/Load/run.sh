#!/usr/bin/env bash
# The load benchmark of issue 3, in one command from any directory:
#
#   tests/AzureFunctionsInvoker.Benchmarks/Load/run.sh
#
# A stand-in function (nginx) is called directly, through nginx's proxy_pass, through a minimal YARP MapForwarder
# app and through this library (both from this project's Release build, see Load/*.cs), with wrk. Each scenario is
# run REPEATS times per target, the targets interleaved so a noisy moment hits all of them; medians are reported
# with errors, the proxy's peak RSS and the ratios to YARP and to direct, on the console and in
# artifacts/benchmarks/load-<time>.md. Installs wrk and nginx with apt-get if they are missing.
#
# Knobs: BASELINE (another checkout of the project, e.g. a worktree of the commit before a change: its library runs
# beside this one as the target "baseline", and the report adds the ratio to it), DURATION (s per measured run, 10), REPEATS (3), CONNECTIONS (32), WARMUP (s before each run, 2), SCENARIO (one
# of the scenarios alone, e.g. "small GET"), HTTP2=1 (adds yarp-h2 and library-h2: the two .NET proxies speaking HTTP/2
# with prior knowledge to the stand-in, the library with HttpVersion 2; AZFI_LOAD_MAX_CONNECTIONS sets its
# MaxConnectionsPerBackend). Host settings under test go in the environment, which both .NET proxies
# inherit: DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1, DOTNET_gcServer=0, DOTNET_GCDynamicAdaptationMode=0, and
# AZFI_LOAD_KESTREL_INLINE=1 for Kestrel's UnsafePreferInlineScheduling (docs/benchmarks.md, "Tuning").
set -euo pipefail
source "$(dirname "$0")/common.sh"

DURATION=${DURATION:-10}
REPEATS=${REPEATS:-3}
CONNECTIONS=${CONNECTIONS:-32}
WARMUP=${WARMUP:-2}

PROXIES=(nginx yarp library)
[ -z "${BASELINE:-}" ] || PROXIES+=(baseline)
# HTTP2=1: YARP and the library once more, each speaking HTTP/2 (h2c) to the stand-in's second port.
if [ -n "${HTTP2:-}" ]; then
    PROXIES+=(yarp-h2 library-h2)
    FUNCTION_PORT_H2=$(free_port)
fi
TARGETS=(direct "${PROXIES[@]}")
SCENARIOS=("small GET" "64 KiB POST" "1 MiB GET")
if [ -n "${SCENARIO:-}" ]; then
    SCENARIOS=("$SCENARIO")
fi
declare -A SCENARIO_PATH=(["small GET"]="/hello?name=Kong" ["64 KiB POST"]="/upload" ["1 MiB GET"]="/large")
declare -A SCENARIO_SCRIPT=(["64 KiB POST"]="$WORK/post.lua")
declare -A BASE_URL PID

# nginx as a reverse proxy the way it is tuned for one: pooled HTTP/1.1 connections to the function, and bodies
# streamed both ways through a 64 KiB buffer (no whole-body buffering, no temp files), as the two .NET proxies
# stream them through theirs.
start_nginx_proxy() {
    local port
    port=$(free_port)
    start_nginx proxy "
    upstream function {
        server 127.0.0.1:$FUNCTION_PORT;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$port;
        client_max_body_size 0;
        client_body_buffer_size 64k;
        location /mytest/ {
            proxy_pass http://function/api/hello/;
            proxy_http_version 1.1;
            proxy_set_header Connection '';
            proxy_set_header x-functions-key $FUNCTION_KEY;
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-Host \$host;
            proxy_buffering off;
            proxy_buffer_size 64k;
            proxy_buffers 4 64k;   # unused without buffering, but nginx checks them against proxy_buffer_size
            proxy_request_buffering off;
        }
    }"
    BASE_URL[nginx]="http://127.0.0.1:$port/mytest"
    PID[nginx]=$NGINX_PID
    wait_ready "${BASE_URL[nginx]}/ready" "$WORK/proxy/error.log"
}

# wrk_run TARGET SCENARIO SECONDS: wrk's report. Only the direct calls carry the key; the proxies add it.
wrk_run() {
    local target=$1 scenario=$2 args=(-t1 -c"$CONNECTIONS" -d"$3s" --latency)
    [ -z "${SCENARIO_SCRIPT[$scenario]:-}" ] || args+=(-s "${SCENARIO_SCRIPT[$scenario]}")
    [ "$target" != direct ] || args+=(-H "x-functions-key: $FUNCTION_KEY")
    wrk "${args[@]}" "${BASE_URL[$target]}${SCENARIO_PATH[$scenario]}"
}

# Column COLUMN (4 req/s, 5 p50, 6 p99) of the runs of SCENARIO against TARGET, as its median.
median_of() {
    awk -F'\t' -v s="$1" -v t="$2" -v c="$3" '$1 == s && $2 == t { print $c }' "$WORK/runs.tsv" | median
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "—" }'
}

summary_table() {
    local scenario=$1 target rps p50 p99 errors peak
    declare -A median_rps median_p99
    for target in "${TARGETS[@]}"; do
        median_rps[$target]=$(median_of "$scenario" "$target" 4)
        median_p99[$target]=$(median_of "$scenario" "$target" 6)
    done
    echo "### $scenario"
    echo
    local baseline_head="" baseline_rule="" baseline_cell=""
    if [ -n "${BASELINE:-}" ]; then
        baseline_head=" Req/s vs baseline |"
        baseline_rule=" ---: |"
    fi
    echo "| Target | Req/s | p50 (ms) | p99 (ms) | Errors | Peak RSS (MiB) | Req/s vs YARP | Req/s vs direct | p99 vs YARP |$baseline_head"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |$baseline_rule"
    for target in "${TARGETS[@]}"; do
        rps=${median_rps[$target]}
        p99=${median_p99[$target]}
        p50=$(median_of "$scenario" "$target" 5)
        errors=$(awk -F'\t' -v s="$scenario" -v t="$target" '$1 == s && $2 == t { n += $7 } END { print n + 0 }' "$WORK/runs.tsv")
        peak=$(awk -F'\t' -v s="$scenario" -v t="$target" '$1 == s && $2 == t { print $3 }' "$WORK/peaks.tsv")
        [ -z "${BASELINE:-}" ] || baseline_cell=" $(ratio "$rps" "${median_rps[baseline]}") |"
        echo "| $target | $rps | $p50 | $p99 | $errors | ${peak:-—} | $(ratio "$rps" "${median_rps[yarp]}") | $(ratio "$rps" "${median_rps[direct]}") | $(ratio "$p99" "${median_p99[yarp]}") |$baseline_cell"
    done
    echo
}

require_commands wrk nginx curl python3
build_proxies
start_standin
BASE_URL[direct]="http://127.0.0.1:$FUNCTION_PORT/api/hello"
start_nginx_proxy
for target in "${PROXIES[@]:1}"; do
    start_dotnet_proxy "$target"
    BASE_URL[$target]="http://127.0.0.1:$PROXY_PORT/mytest"
    PID[$target]=$PROXY_PID
done

cat >"$WORK/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = string.rep("x", 64 * 1024)
wrk.headers["Content-Type"] = "application/octet-stream"
EOF

rss_note="reset per scenario (clear_refs), so it is the peak within the scenario"
: >"$WORK/runs.tsv"
: >"$WORK/peaks.tsv"
for scenario in "${SCENARIOS[@]}"; do
    for target in "${PROXIES[@]}"; do
        reset_peak_rss "${PID[$target]}" || rss_note="the peak since the proxy started (this kernel refused clear_refs)"
    done
    for repeat in $(seq "$REPEATS"); do
        for target in "${TARGETS[@]}"; do
            [ "$WARMUP" -eq 0 ] || wrk_run "$target" "$scenario" "$WARMUP" >/dev/null
            read -r rps p50 p99 errors < <(wrk_run "$target" "$scenario" "$DURATION" | parse_wrk)
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$target" "$repeat" "$rps" "$p50" "$p99" "$errors" >>"$WORK/runs.tsv"
            printf '%-12s %d/%d %-8s %8s req/s  p50 %8s ms  p99 %8s ms  errors %s\n' \
                "$scenario" "$repeat" "$REPEATS" "$target" "$rps" "$p50" "$p99" "$errors" >&2
        done
    done
    for target in "${PROXIES[@]}"; do
        printf '%s\t%s\t%s\n' "$scenario" "$target" "$(mib "$(rss_kib "${PID[$target]}" VmHWM)")" >>"$WORK/peaks.tsv"
    done
done

{
    echo "- $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2) -t1 -c$CONNECTIONS -d${DURATION}s after a ${WARMUP}s warm-up; runs per target: $REPEATS, interleaved; medians; errors summed over the runs"
    echo "- Peak RSS: VmHWM of the proxy process (nginx: master and workers added up), $rss_note"
    echo
    for scenario in "${SCENARIOS[@]}"; do
        summary_table "$scenario"
    done
} | report load "Load benchmark"
