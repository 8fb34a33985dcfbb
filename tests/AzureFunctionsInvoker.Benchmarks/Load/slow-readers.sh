#!/usr/bin/env bash
# The slow readers check of issue 19 (item 3), in one command from any directory:
#
#   tests/AzureFunctionsInvoker.Benchmarks/Load/slow-readers.sh
#
# READERS callers that ask this library's proxy (Load/LibraryProxy.cs, Durable links on) for a JSON body and then read
# nothing (slow_readers.py: a 4 KiB receive buffer, the status line read, the rest left in the kernel), against a
# stand-in function (nginx) serving two bodies of the same size: durable.json, 300 management URLs on the function's
# origin of 33 instances taken in turn (the rewriting budget of one response: 300 URLs, 33 links sealed), and
# plain.json, JSON without any. Each measurement starts the proxy afresh, fetches both bodies WARMUP times, reads its
# RSS, opens the readers, holds them HOLD seconds and reads its RSS again, then the managed heap still live after a full
# compacting collection (what the proxy keeps alive, against what the GC has not yet taken back); plain and Durable
# alternate over ROUNDS rounds. Reported, medians over the rounds: the RSS the readers added, in all and per reader, the
# live heap they added per reader, and the bodies' sizes as the readers get them; on the console and in artifacts/benchmarks/slow-readers-<time>.md. Installs nginx, curl and
# python3 with apt-get if they are missing.
#
# Knobs: READERS (200), ROUNDS (3), HOLD (s the readers stay open before the reading, 5), WARMUP (20).
set -euo pipefail
source "$(dirname "$0")/common.sh"

READERS=${READERS:-200}
ROUNDS=${ROUNDS:-3}
HOLD=${HOLD:-5}
WARMUP=${WARMUP:-20}
CLIENT="$LOAD_DIR/slow_readers.py"

require_commands nginx curl python3
build_proxies

start_json_standin

# measure plain|durable ROUND: one measurement, appended to $WORK/readers.tsv.
measure() {
    local body=$1 round=$2 path=/mytest/$1.json rss_before rss_after live_before live_after size opened
    start_dotnet_proxy library
    for _ in $(seq "$WARMUP"); do
        size=$(curl -fsS -o /dev/null -w '%{size_download}' "http://127.0.0.1:$PROXY_PORT$path")
    done
    rss_before=$(rss_kib "$PROXY_PID" VmRSS)
    read -r live_before _ < <(heap)

    coproc READER { python3 "$CLIENT" client --port "$PROXY_PORT" --path "$path" --readers "$READERS"; }
    STARTED_PIDS+=("$READER_PID")
    local reader_pid=$READER_PID reader_out=${READER[0]} reader_in=${READER[1]}
    read -r -t 120 -u "$reader_out" opened _ || { echo "$body: the readers did not open" >&2; return 1; }
    [ "$opened" = open ] || { echo "$body: the client said '$opened'" >&2; return 1; }

    # Held open, reading nothing: the measurement period, not a wait on state.
    sleep "$HOLD"
    rss_after=$(rss_kib "$PROXY_PID" VmRSS)
    read -r live_after _ < <(heap)

    echo close >&"$reader_in"
    wait "$reader_pid" || true
    kill "$PROXY_PID"
    wait "$PROXY_PID" || true

    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$body" "$round" "$rss_before" "$rss_after" "$size" "$live_before" "$live_after" >>"$WORK/readers.tsv"
    printf '%-8s round %d/%d: %d readers of %s B, RSS %s -> %s KiB (+%s MiB, %s KiB per reader), live heap +%s KiB per reader\n' \
        "$body" "$round" "$ROUNDS" "$READERS" "$size" "$rss_before" "$rss_after" "$(mib $((rss_after - rss_before)))" \
        "$(awk -v b="$rss_before" -v a="$rss_after" -v n="$READERS" 'BEGIN { printf "%.1f", (a - b) / n }')" \
        "$(awk -v b="$live_before" -v a="$live_after" -v n="$READERS" 'BEGIN { printf "%.1f", (a - b) / 1024 / n }')" >&2
}

# The proxy's "live committed threads" line (LoadProxyHost.cs), after a full compacting collection.
heap() {
    curl -fsS "http://127.0.0.1:$PROXY_PORT/diagnostics/heap"
}

# column BODY EXPRESSION: the median over BODY's rounds of an awk expression over the columns of readers.tsv.
column() {
    awk -F'\t' -v k="$1" -v n="$READERS" "\$1 == k { printf \"%.3f\\n\", $2 }" "$WORK/readers.tsv" | median
}

export AZFI_LOAD_DIAGNOSTICS=1
: >"$WORK/readers.tsv"
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then order=(plain durable); else order=(durable plain); fi
    for body in "${order[@]}"; do
        measure "$body" "$round"
    done
done

{
    echo "- $READERS readers per measurement, each with a 4 KiB receive buffer, reading the status line and nothing more; RSS (VmRSS of the proxy) after $WARMUP fetches of both bodies and before the readers, then after $HOLD s with them; medians of $ROUNDS rounds, each in a fresh process"
    echo
    echo "| Body | Size from the function (B) | Size to the caller (B) | RSS added (MiB) | RSS per reader (KiB) | Live heap per reader (KiB) |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    for body in plain durable; do
        printf '| %s | %s | %.0f | %.1f | %.1f | %.1f |\n' "$body" "$(stat -c %s "$WWW/api/hello/$body.json")" "$(column "$body" '$5')" \
            "$(column "$body" '($4 - $3) / 1024')" "$(column "$body" '($4 - $3) / n')" "$(column "$body" '($7 - $6) / 1024 / n')"
    done
    echo
    echo "Every round (KiB):"
    echo
    echo "| Body | Round | RSS before | RSS with readers |"
    echo "| --- | ---: | ---: | ---: |"
    awk -F'\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$WORK/readers.tsv"
} | report slow-readers "Slow readers of rewritten and plain JSON"
