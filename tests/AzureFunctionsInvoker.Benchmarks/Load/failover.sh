#!/usr/bin/env bash
# How long failover takes when a backend freezes (docs/failover.md), in one command from any directory:
#
#   TIMEOUT=10000 tests/AzureFunctionsInvoker.Benchmarks/Load/failover.sh
#
# The sample (samples/MinimalApi, Release) mounts Hello at /mytest with two Backends on 127.0.0.1: A (Priority 1) is
# a Python http.server stopped with SIGSTOP, so the kernel still accepts its connections and nothing ever answers
# them, as a hung region does; B (Priority 2) answers. One POST, then GETs one at a time, each timed by curl: the POST
# gets 504 after Timeout (a body is never sent twice), each GET fails over to B after Timeout until A's circuit opens
# (FailureThreshold, 5, failures in a row), and from then on goes to B at once.
#
# Knobs: TIMEOUT (milliseconds, 10000), GETS (7).
set -euo pipefail
source "$(dirname "$0")/common.sh"
require_commands curl python3

TIMEOUT=${TIMEOUT:-10000}
GETS=${GETS:-7}

echo "Building the sample (Release)..." >&2
dotnet build "$REPO_ROOT/samples/MinimalApi" --configuration Release --nologo --verbosity quiet >&2
sample_dir="$REPO_ROOT/samples/MinimalApi/bin/Release/net10.0"

mkdir -p "$WORK/site/api"
printf 'B' >"$WORK/site/api/hello"
frozen_port=$(free_port)
python3 -m http.server "$frozen_port" --bind 127.0.0.1 --directory "$WORK/site" >"$WORK/frozen.log" 2>&1 &
frozen=$!
STARTED_PIDS+=("$frozen")
answering_port=$(free_port)
python3 -m http.server "$answering_port" --bind 127.0.0.1 --directory "$WORK/site" >"$WORK/answering.log" 2>&1 &
STARTED_PIDS+=("$!")
wait_ready "http://127.0.0.1:$frozen_port/api/hello" "$WORK/frozen.log"
wait_ready "http://127.0.0.1:$answering_port/api/hello" "$WORK/answering.log"
kill -STOP "$frozen"

proxy_port=$(free_port)
(
    cd "$sample_dir" # its appsettings.json
    export AzureFunctions__Hello__HostDomain='' AzureFunctions__Hello__Https=false AzureFunctions__Hello__Timeout="$TIMEOUT" \
        AzureFunctions__Hello__Backends__0__AppName=127.0.0.1 AzureFunctions__Hello__Backends__0__Port="$frozen_port" \
        AzureFunctions__Hello__Backends__0__Priority=1 \
        AzureFunctions__Hello__Backends__1__AppName=127.0.0.1 AzureFunctions__Hello__Backends__1__Port="$answering_port" \
        AzureFunctions__Hello__Backends__1__Priority=2
    exec dotnet MinimalApi.dll --urls "http://127.0.0.1:$proxy_port"
) >"$WORK/sample.log" 2>&1 &
STARTED_PIDS+=("$!")
wait_ready "http://127.0.0.1:$proxy_port/health" "$WORK/sample.log"

echo "Timeout $TIMEOUT ms; backend A frozen (SIGSTOP), B answering:"
curl -sS -o /dev/null -w "POST   : %{http_code} in %{time_total} s\n" -X POST -d 'x=1' "http://127.0.0.1:$proxy_port/mytest"
for i in $(seq "$GETS"); do
    curl -sS -o /dev/null -w "GET  $i : %{http_code} in %{time_total} s\n" "http://127.0.0.1:$proxy_port/mytest?name=Kong"
done
kill -CONT "$frozen"
echo "The proxy's log lines about A, counted:"
grep -E "at 127.0.0.1:$frozen_port|backend 127.0.0.1:$frozen_port" "$WORK/sample.log" | sed -E 's/^ +//' | sort | uniq -c
