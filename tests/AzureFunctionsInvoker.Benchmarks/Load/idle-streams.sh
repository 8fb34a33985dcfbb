#!/usr/bin/env bash
# The idle event streams benchmark of issue 9, in one command from any directory:
#
#   tests/AzureFunctionsInvoker.Benchmarks/Load/idle-streams.sh
#
# STREAMS server-sent event streams held open at once through each .NET proxy (this library and YARP, see Load/*.cs),
# from a stand-in function that sends one event at once and then one every INTERVAL seconds (idle_sse.py; nginx
# cannot pace events), to a client that opens them all and reads each one's first event (idle_sse.py too). Each
# measurement starts the proxy afresh, warms it up with a few streams, reads its RSS, opens the streams, holds them
# HOLD seconds and reads its RSS again; the proxies alternate over ROUNDS rounds, so a noisy moment hits both.
# Reported, medians over the rounds: the RSS the open streams added per stream (KiB), the managed heap still live per
# stream after a full collection (KiB), the bytes allocated per stream meanwhile (KiB: the live heap and the garbage), the time to open them all, and each figure's ratio to YARP; on the console and
# in artifacts/benchmarks/idle-streams-<time>.md. Installs curl and python3 with apt-get if they are missing.
#
# Knobs: STREAMS (5000), ROUNDS (3), INTERVAL (s between events, 20), HOLD (s the streams stay open before the
# reading, INTERVAL + 5: every stream has had its second event), CONCURRENCY (connections being opened at a time, 256).
# GCDUMP=<path of dotnet-gcdump> also lists the proxy's managed heap by type before and with the streams (after each
# RSS reading, into artifacts/benchmarks/idle-streams-gcdump/), for gcdump_breakdown.py; the dump's own buffers then
# count in the RSS with the streams, so take RSS figures from a run without it.
# HTTP2=1: both proxies speak HTTP/2 with prior knowledge (h2c) to the stand-in, which is then the .NET one of
# Load/SseFunction.cs (100 streams per connection, as App Service's front ends allow), and the report adds how many
# connections the proxy held to it (issue 20's must: at most 64 for 5,000 streams).
# CALLER_HTTP2=1: the client speaks HTTP/2 with prior knowledge to the proxy too, 100 streams per connection (Kestrel's
# default), so the caller's side of a stream is an HTTP/2 stream rather than an HTTP/1.1 connection; it needs Debian's
# python3-h2 (installed with apt-get if missing). KINDS picks the proxies, for example KINDS="library library-h2 yarp-h2":
# the library to the function over HTTP/1.1 and over HTTP/2, and YARP over HTTP/2, side by side in each round (an
# HTTP/1.1 kind gets idle_sse.py's stand-in, an -h2 kind Load/SseFunction.cs). RSS ratios are to the last YARP kind.
set -euo pipefail
source "$(dirname "$0")/common.sh"

STREAMS=${STREAMS:-5000}
ROUNDS=${ROUNDS:-3}
INTERVAL=${INTERVAL:-20}
HOLD=${HOLD:-$((INTERVAL + 5))}
CONCURRENCY=${CONCURRENCY:-256}
WARMUP_STREAMS=100
SSE="$LOAD_DIR/idle_sse.py"
DUMPS="$REPO_ROOT/artifacts/benchmarks/idle-streams-gcdump"

# The proxy holds two sockets per stream (caller and function), each process its own limit.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((2 * STREAMS + 1024)) ]; then
    echo "$STREAMS streams need $((2 * STREAMS + 1024)) open files in the proxy; the hard limit here is $(ulimit -Hn)." >&2
    exit 1
fi
# Each stream takes one ephemeral port towards the proxy and one towards the function (other destinations, so the
# two do not compete), and the closed ones of the previous measurement wait out TIME_WAIT.
read -r low high </proc/sys/net/ipv4/ip_local_port_range
if [ $((high - low)) -lt $((2 * STREAMS)) ]; then
    echo "Only $((high - low)) ephemeral ports (net.ipv4.ip_local_port_range): fewer than $((2 * STREAMS)), lower STREAMS." >&2
    exit 1
fi

# Established connections to 127.0.0.1:PORT, counted by the kernel.
connections_to() {
    ss -Htn state established "( dport = :$1 )" | wc -l
}

# function_port KIND: the stand-in's port the proxy KIND forwards to.
function_port() {
    case $1 in *-h2) echo "$FUNCTION_PORT_H2" ;; *) echo "$FUNCTION_PORT" ;; esac
}

# wait_released KIND: polls until the proxy has let go of every connection to the function (the warm-up's streams
# are torn down).
wait_released() {
    # Over HTTP/2 the warm-up's streams end but their connection stays pooled (Keepalive), as it should.
    case $1 in *-h2) return 0 ;; esac
    local attempt
    for attempt in $(seq 100); do
        [ "$(connections_to "$FUNCTION_PORT")" -eq 0 ] && return
        sleep 0.2
    done
    echo "The proxy still holds $(connections_to "$FUNCTION_PORT") connections to the function after 20 s." >&2
    return 1
}

# The proxy's "live committed threads allocated" line (LoadProxyHost.cs), after a full collection.
heap() {
    curl -fsS ${CALLER_HTTP2:+--http2-prior-knowledge} "http://127.0.0.1:$PROXY_PORT/diagnostics/heap"
}

# The client, over HTTP/2 with CALLER_HTTP2.
client() {
    "$CLIENT_PYTHON" "$SSE" client --port "$PROXY_PORT" --path /mytest/events ${CALLER_HTTP2:+--http2} "$@"
}

# heap_listing NAME: with GCDUMP set, the proxy's heap by type into $DUMPS/NAME.txt.
heap_listing() {
    [ -n "${GCDUMP:-}" ] || return 0
    mkdir -p "$DUMPS"
    "$GCDUMP" collect -p "$PROXY_PID" -o "$DUMPS/$1.gcdump" >/dev/null
    "$GCDUMP" report "$DUMPS/$1.gcdump" >"$DUMPS/$1.txt"
}

# measure library|yarp ROUND: one measurement, appended to $WORK/idle.tsv.
measure() {
    local kind=$1 round=$2 opened seconds rss_before rss_after live_before live_after committed threads_before threads_after allocated_before allocated_after
    start_dotnet_proxy "$kind"

    # JIT, the connection pool and the first buffers are paid for before the baseline.
    echo close | client --streams "$WARMUP_STREAMS" >/dev/null
    wait_released "$kind"
    read -r live_before committed threads_before allocated_before < <(heap)
    rss_before=$(rss_kib "$PROXY_PID" VmRSS)
    heap_listing "$kind-$round-before"

    coproc CLIENT { client --streams "$STREAMS" --concurrency "$CONCURRENCY" --hold-limit $((HOLD + 120)); }
    STARTED_PIDS+=("$CLIENT_PID")
    local client_pid=$CLIENT_PID client_out=${CLIENT[0]} client_in=${CLIENT[1]}
    read -r -t 330 -u "$client_out" opened _ seconds || { echo "$kind: the client did not open its streams" >&2; return 1; }
    [ "$opened" = open ] || { echo "$kind: the client said '$opened'" >&2; return 1; }
    local to_function
    to_function=$(connections_to "$(function_port "$kind")")
    case $kind in
        *-h2) ;;
        *) [ "$to_function" -ge "$STREAMS" ] || { echo "$kind: fewer than $STREAMS streams reach the function" >&2; return 1; } ;;
    esac

    # Held open, idle but for one event per stream every INTERVAL seconds: the measurement period, not a wait on state.
    sleep "$HOLD"
    rss_after=$(rss_kib "$PROXY_PID" VmRSS)
    read -r live_after committed threads_after allocated_after < <(heap)
    heap_listing "$kind-$round-after"

    echo close >&"$client_in"
    wait "$client_pid" || true
    kill "$PROXY_PID"
    wait "$PROXY_PID" || true

    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$round" "$seconds" "$rss_before" "$rss_after" \
        "$live_before" "$live_after" "$threads_before" "$threads_after" "$to_function" "$allocated_before" "$allocated_after" >>"$WORK/idle.tsv"
    printf '%-8s round %d/%d: %d streams open in %.2f s, RSS %s -> %s KiB (%s KiB per stream), live heap %s KiB per stream, allocated %s KiB per stream, threads %s -> %s, %s connections to the function\n' \
        "$kind" "$round" "$ROUNDS" "$STREAMS" "$seconds" "$rss_before" "$rss_after" \
        "$(per_stream_kib "$rss_before" "$rss_after" 1)" "$(per_stream_kib "$live_before" "$live_after" 1024)" "$(per_stream_kib "$allocated_before" "$allocated_after" 1024)" \
        "$threads_before" "$threads_after" "$to_function" >&2
}

# per_stream_kib BEFORE AFTER DIVISOR: (AFTER - BEFORE) / DIVISOR / STREAMS; DIVISOR 1 for readings in KiB, 1024 in bytes.
per_stream_kib() {
    awk -v b="$1" -v a="$2" -v u="$3" -v n="$STREAMS" 'BEGIN { printf "%.1f", (a - b) / u / n }'
}

median() {
    sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# column KIND EXPRESSION: the median over KIND's rounds of an awk expression over the columns of idle.tsv.
column() {
    awk -F'\t' -v k="$1" -v n="$STREAMS" "\$1 == k { printf \"%.3f\\n\", $2 }" "$WORK/idle.tsv" | median
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "—" }'
}

require_commands curl python3
CLIENT_PYTHON=python3
if [ -n "${CALLER_HTTP2:-}" ]; then
    # Debian's python3-h2 lands in the system Python's packages, which a python3 earlier on PATH may not see.
    python3 -c 'import h2' 2>/dev/null || /usr/bin/python3 -c 'import h2' 2>/dev/null || install_packages python3-h2
    python3 -c 'import h2' 2>/dev/null || CLIENT_PYTHON=/usr/bin/python3
    export AZFI_LOAD_CALLER_HTTP2=1
fi
build_proxies

if [ -n "${KINDS:-}" ]; then
    read -r -a KINDS <<<"$KINDS"
elif [ -n "${HTTP2:-}" ]; then
    KINDS=(library-h2 yarp-h2)
else
    KINDS=(library yarp)
fi
FUNCTION_PORT='' FUNCTION_PORT_H2=''
if [[ " ${KINDS[*]}" =~ -h2( |$) ]]; then
    FUNCTION_PORT_H2=$(free_port)
    dotnet "$PROXY_DLL" sse-function --port "$FUNCTION_PORT_H2" --key "$FUNCTION_KEY" --interval "$INTERVAL" >"$WORK/function-h2.log" 2>&1 &
    STARTED_PIDS+=("$!")
    wait_ready "http://127.0.0.1:$FUNCTION_PORT_H2/api/hello/ready" "$WORK/function-h2.log" --http2-prior-knowledge
fi
if [[ " ${KINDS[*]} " =~ \ (library|yarp)\  ]]; then
    FUNCTION_PORT=$(free_port)
    python3 "$SSE" function --port "$FUNCTION_PORT" --key "$FUNCTION_KEY" --interval "$INTERVAL" --streams "$STREAMS" \
        >"$WORK/function.log" 2>&1 &
    STARTED_PIDS+=("$!")
    wait_ready "http://127.0.0.1:$FUNCTION_PORT/api/hello/ready" "$WORK/function.log"
fi

export AZFI_LOAD_DIAGNOSTICS=1
: >"$WORK/idle.tsv"
for round in $(seq "$ROUNDS"); do
    # Rotating which goes first, so none always gets the machine right after another's teardown.
    for index in "${!KINDS[@]}"; do
        measure "${KINDS[$(((index + round - 1) % ${#KINDS[@]}))]}" "$round"
    done
done

declare -A RSS LIVE ALLOCATED OPEN CONNECTIONS
for kind in "${KINDS[@]}"; do
    RSS[$kind]=$(column "$kind" '($5 - $4) / n')
    LIVE[$kind]=$(column "$kind" '($7 - $6) / 1024 / n')
    ALLOCATED[$kind]=$(column "$kind" '($12 - $11) / 1024 / n')
    OPEN[$kind]=$(column "$kind" '$3')
    CONNECTIONS[$kind]=$(awk -F'\t' -v k="$kind" '$1 == k && $10 > m { m = $10 } END { print m + 0 }' "$WORK/idle.tsv")
done
for kind in "${KINDS[@]}"; do
    case $kind in yarp*) YARP=$kind ;; esac
done

{
    echo "- $STREAMS streams per proxy, opened $CONCURRENCY at a time by one asyncio client$([ -z "${CALLER_HTTP2:-}" ] || echo " over HTTP/2 (h2c, 100 streams per connection)"); an event at once, then one every ${INTERVAL} s; read after ${HOLD} s open"
    echo "- RSS: VmRSS of the proxy after a ${WARMUP_STREAMS}-stream warm-up and before the streams, then with them all open; live heap: GC.GetTotalMemory after a full compacting collection, at the same two points; allocated: GC.GetTotalAllocatedBytes between them (the live heap and the garbage of opening and holding the streams); medians of $ROUNDS rounds, each in a fresh process, the proxies alternating"
    echo
    echo "| Proxy | RSS per stream (KiB) | Live managed heap per stream (KiB) | Allocated per stream (KiB) | Time to open all (s) | RSS per stream vs YARP | Most connections to the function |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    for kind in "${KINDS[@]}"; do
        printf '| %s | %.1f | %.1f | %.2f | %.2f | %s | %s |\n' "$kind" "${RSS[$kind]}" "${LIVE[$kind]}" "${ALLOCATED[$kind]}" "${OPEN[$kind]}" "$(ratio "${RSS[$kind]}" "${RSS[$YARP]}")" "${CONNECTIONS[$kind]}"
    done
    echo
    echo "Every round (RSS and live heap in KiB, live heap from bytes):"
    echo
    echo "| Proxy | Round | Open (s) | RSS before | RSS with streams | Live before | Live with streams | Allocated between | Threads before | Threads with streams |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %.0f | %.0f | %.0f | %s | %s |\n", $1, $2, $3, $4, $5, $6 / 1024, $7 / 1024, ($12 - $11) / 1024, $8, $9 }' "$WORK/idle.tsv"
} | report idle-streams "Idle event streams"
