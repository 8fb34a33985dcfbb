#!/usr/bin/env bash
# What RequestBodyFraming: ContentLength (issue 20) costs a body sent without a length, in one command:
#
#   tests/AzureFunctionsInvoker.Benchmarks/Load/framing.sh
#
# A SIZE upload (32 MiB by default) through the library to the stand-in function's upload (nginx, which reads the
# whole body before answering), sent by curl with a Content-Length (streamed through, as always) and chunked (read
# whole into ASP.NET Core's FileBufferingReadStream: 64 KiB in memory, the rest in a temporary file, then sent with a
# Content-Length). Each upload runs in a fresh proxy process after a warm-up of both kinds; reported per kind, medians
# over ROUNDS rounds (the kinds alternating): the proxy's peak RSS growth during the upload (VmHWM after it minus
# VmRSS before it) and the upload's time as curl sees it. On the console and in artifacts/benchmarks/framing-<time>.md.
#
# Knobs: SIZE (bytes, 33554432), ROUNDS (5).
set -euo pipefail
source "$(dirname "$0")/common.sh"

SIZE=${SIZE:-33554432}
ROUNDS=${ROUNDS:-5}

# upload FRAMING FILE: curl's status and seconds for one upload through the proxy, with a Content-Length or chunked.
upload() {
    local framing=() 
    [ "$1" = length ] || framing=(-H "Transfer-Encoding: chunked")
    curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' "${framing[@]}" -H "Content-Type: application/octet-stream" \
        --data-binary "@$2" "http://127.0.0.1:$PROXY_PORT/mytest/upload"
}

# measure length|chunked ROUND: one upload in a fresh proxy, appended to $WORK/framing.tsv.
measure() {
    local kind=$1 round=$2 status seconds before peak
    start_dotnet_proxy library
    upload length "$WORK/small" >/dev/null
    upload chunked "$WORK/small" >/dev/null
    before=$(rss_kib "$PROXY_PID" VmRSS)
    reset_peak_rss "$PROXY_PID" || true
    read -r status seconds < <(upload "$kind" "$WORK/body")
    [ "$status" = 200 ] || { echo "$kind: the upload got $status" >&2; return 1; }
    peak=$(rss_kib "$PROXY_PID" VmHWM)
    kill "$PROXY_PID"
    wait "$PROXY_PID" || true
    printf '%s\t%s\t%s\t%s\t%s\n' "$kind" "$round" "$before" "$peak" "$seconds" >>"$WORK/framing.tsv"
    printf '%-8s round %d/%d: RSS %s KiB before, peak %s KiB (+%s KiB), %s s\n' "$kind" "$round" "$ROUNDS" "$before" "$peak" $((peak - before)) "$seconds" >&2
}

column() {
    awk -F'\t' -v k="$1" "\$1 == k { printf \"%.3f\\n\", $2 }" "$WORK/framing.tsv" | median
}

require_commands nginx curl python3
build_proxies
start_standin
head -c "$SIZE" /dev/urandom >"$WORK/body"
head -c 70000 /dev/urandom >"$WORK/small"

: >"$WORK/framing.tsv"
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then order=(length chunked); else order=(chunked length); fi
    for kind in "${order[@]}"; do
        measure "$kind" "$round"
    done
done

{
    echo "- A $((SIZE / 1048576)) MiB upload through the library (RequestBodyFraming: ContentLength, the default) to nginx's upload, sent by curl with a Content-Length or chunked; each in a fresh proxy after a warm-up; medians of $ROUNDS rounds"
    echo
    echo "| Upload | Peak RSS growth (MiB) | Time (s) |"
    echo "| --- | ---: | ---: |"
    for kind in length chunked; do
        printf '| %s | %.1f | %.3f |\n' "$([ "$kind" = length ] && echo "with Content-Length (streamed)" || echo "chunked (buffered, then sent with Content-Length)")" \
            "$(awk -v k="$(column "$kind" '$4 - $3')" 'BEGIN { print k / 1024 }')" "$(column "$kind" '$5')"
    done
    echo
    echo "Every round (KiB, s):"
    echo
    echo "| Upload | Round | RSS before | Peak RSS | Time |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    awk -F'\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' "$WORK/framing.tsv"
} | report framing "Request body framing"
