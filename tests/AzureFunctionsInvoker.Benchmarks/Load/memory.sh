#!/usr/bin/env bash
# The memory check of issue 3, in one command from any directory:
#
#   tests/AzureFunctionsInvoker.Benchmarks/Load/memory.sh
#
# A 1 GiB download and a 1 GiB upload through the proxy, from and to the stand-in function (nginx, see common.sh),
# with the proxy's RSS before and its peak RSS (VmHWM) after. Streaming means the peak stays near the baseline:
# PASS when it grew by less than 32 MiB and both transfers arrived whole. This library is checked, then YARP for
# comparison; the exit status is this library's result. Installs nginx with apt-get if it is missing.
#
# Knobs: PROXIES (library yarp).
set -euo pipefail
source "$(dirname "$0")/common.sh"

PROXIES=${PROXIES:-library yarp}
LIMIT_MIB=32
GIB=$((1024 * 1024 * 1024))

# transfer WHAT URL CURL_ARGS...: one 1 GiB transfer; prints "status bytes seconds", bytes as curl counted them
# in the direction WHAT (download or upload).
transfer() {
    curl -sS -o /dev/null --max-time 600 -w "%{http_code} %{size_$1} %{time_total}" "${@:2}" || true
}

# outcome "status bytes seconds": "200, 1024 MiB in 3.1 s", and whether that is a whole 1 GiB.
outcome() {
    local status bytes seconds
    read -r status bytes seconds <<<"$1"
    printf '%s, %d MiB in %.1f s\n' "$status" $((bytes / 1024 / 1024)) "$seconds"
    [ "$status" = 200 ] && [ "$bytes" -eq "$GIB" ]
}

require_commands nginx curl python3
build_proxies
start_standin
# Sparse: 1 GiB that takes neither disk nor memory, served to the downloads and read by curl for the uploads.
HUGE="$WWW/api/hello/huge"
truncate -s "$GIB" "$HUGE"

library_result=
rss_note="reset just before the transfers (clear_refs)"
rows=()
for proxy in $PROXIES; do
    start_dotnet_proxy "$proxy"
    url="http://127.0.0.1:$PROXY_PORT/mytest"

    # JIT, connection pool and first buffers are paid for before the baseline: growth is what the transfers add.
    for _ in 1 2 3; do
        curl -fsS -o /dev/null "$url/large"
        curl -fsS -o /dev/null --data-binary @"$WWW/api/hello/large" "$url/upload"
    done

    before=$(rss_kib "$PROXY_PID" VmRSS)
    reset_peak_rss "$PROXY_PID" || rss_note="the peak since the proxy started (this kernel refused clear_refs)"
    # curl -T streams the file with its Content-Length; --data-binary would load it into curl's memory first.
    download=$(transfer download "$url/huge")
    upload=$(transfer upload -T "$HUGE" -X POST -H "Content-Type: application/octet-stream" "$url/upload")
    peak=$(rss_kib "$PROXY_PID" VmHWM)

    growth=$((peak - before))
    result=PASS
    download_outcome=$(outcome "$download") || result=FAIL
    upload_outcome=$(outcome "$upload") || result=FAIL
    [ "$growth" -lt $((LIMIT_MIB * 1024)) ] || result=FAIL
    [ "$proxy" != library ] || library_result=$result
    rows+=("| $proxy | $(mib "$before") | $(mib "$peak") | $(mib "$growth") | $download_outcome | $upload_outcome | $result |")

    # One proxy at a time, so the next one has the machine to itself.
    kill "$PROXY_PID"
    wait "$PROXY_PID" || true
done

{
    echo "- curl $(curl --version | head -1 | cut -d' ' -f2); RSS before: VmRSS after a warm-up; peak: VmHWM, $rss_note"
    echo
    echo "| Proxy | RSS before (MiB) | Peak RSS (MiB) | Growth (MiB) | 1 GiB download | 1 GiB upload | < $LIMIT_MIB MiB growth, whole transfers |"
    echo "| --- | ---: | ---: | ---: | --- | --- | --- |"
    printf '%s\n' "${rows[@]}"
} | report memory "Memory check, 1 GiB each way"
[ "$library_result" != FAIL ]
