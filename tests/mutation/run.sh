#!/usr/bin/env bash
# Mutation testing of the files that hold the library's security and failover promises, with Stryker.NET (a local
# dotnet tool, .config/dotnet-tools.json). Not run by CI: too slow for its 2 cores (see docs/architecture.md, Testing).
#
#   tests/mutation/run.sh                  every promise file (below)
#   tests/mutation/run.sh PathSafety       one file, or several: file names without .cs, wherever the file lives
#   STRYKER_ARGS="--disable-bail" tests/mutation/run.sh ...   more Stryker options (here: every covering test runs
#                                          on each mutant, so the JSON report's killedBy lists every test that kills it)
#   STRYKER_ARGS="--test-case-filter FullyQualifiedName~AzureFunctionsInvoker.Tests.Forwarding." tests/mutation/run.sh HeaderRules Backend
#                                          the tests of one folder only: a file whose static initializers are mutated
#                                          (HeaderRules' header sets) otherwise runs every unit test per such mutant
#   STRYKER_ARGS="--test-case-filter FullyQualifiedName~ConnectionBudgetTests|FullyQualifiedName~Http2TransportTests|FullyQualifiedName~BackendConnectionsTests" tests/mutation/run.sh BackendConnections
#                                          the socket tests a file is reached by, when the unit tests do not reach it
#
# Files are chosen by name (**/Name.cs), never by folder, so the selection survives files moving between folders.
# Each mutant runs only the tests that cover it (coverage per test), out of the unit tests: Integration/, Reliability/
# and Samples/ start servers for every test and cover every line of the forward path, so a surviving mutant there
# would run hundreds of socket tests (config: tests/mutation/stryker-config.json, test-case-filter).
# Reports: tests/mutation/StrykerOutput/<time>/reports/mutation-report.{html,json}; the per-file scores are printed last.
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

promise_files=(
    # path safety (PathSafety also judges the spellings of a reserved segment such as the Durable links path)
    PathSafety RequestTarget
    # header rules (Backend holds the backend's HeaderPolicy, the proxy's and the user's choices)
    HeaderRules Backend
    # the failover layer (CircuitBreaker holds CircuitState), the request body it may hold whole, the connection budget
    BackendPool CircuitBreaker CircuitRegistry WeightedSchedule RequestBodyBuffer BackendConnections
    # Durable link validation, and the system key never reaching a caller
    DurableLinkRequest DurableOperation CallerParameters DurableLinkProtector DurableUrlRewriter ManagementUrlScan
    # redirect and cookie rewriting (RewriteScope holds what was OriginUrl, how a URL reads against the origin, and what
    # was RedirectRewriter; ResponseCopier holds what was ResponseHeaderRewriter, which applies them to the headers)
    CookieRewriter RewriteScope ResponseCopier
    # options validation
    AzureFunctionProxyOptionsValidator AppNameHint HeaderNameCharacters HostNames OptionsOrigin PathCharacters
)

files=("$@")
[ ${#files[@]} -gt 0 ] || files=("${promise_files[@]}")

mutate=()
for name in "${files[@]}"; do
    mutate+=(--mutate "**/${name%.cs}.cs")
done

dotnet tool restore
started=$(date +%s)
# shellcheck disable=SC2086 # STRYKER_ARGS holds several words
dotnet stryker --config-file stryker-config.json "${mutate[@]}" ${STRYKER_ARGS:-}
echo "Stryker ran $(( ($(date +%s) - started) / 60 )) min for: ${files[*]}"

# Per-file score as Stryker counts it: detected (killed, timed out) over detected and undetected (survived, no coverage).
report=$(ls -t StrykerOutput/*/reports/mutation-report.json | head -1)
python3 - "$report" <<'PY'
import json, os, sys
files = json.load(open(sys.argv[1]))["files"]
print(f"{'file':45} {'score':>6} {'killed':>6} {'timeout':>7} {'survived':>8} {'nocov':>5}")
for path, data in sorted(files.items(), key=lambda item: os.path.basename(item[0])):
    status = [m["status"] for m in data["mutants"]]
    count = {s: status.count(s) for s in ("Killed", "Timeout", "Survived", "NoCoverage")}
    detected, total = count["Killed"] + count["Timeout"], sum(count.values())
    if total:
        print(f"{os.path.basename(path):45} {100 * detected / total:5.1f}% {count['Killed']:6} {count['Timeout']:7} {count['Survived']:8} {count['NoCoverage']:5}")
PY
