# Shared by run.sh, memory.sh and idle-streams.sh (sourced, not run): tools, ports, the stand-in function, the .NET proxies,
# RSS readings and cleanup. Everything listens on 127.0.0.1 only, on ports the OS picks.

# Non-root shells on Debian often lack /usr/sbin, where nginx lives.
PATH="$PATH:/usr/sbin"

LOAD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$LOAD_DIR/../../.." && pwd)
PROJECT="$REPO_ROOT/tests/AzureFunctionsInvoker.Benchmarks"

# The key every request to the stand-in must carry: a 401 would show up as an error in the results, so a proxy
# that failed to add it cannot go unnoticed.
FUNCTION_KEY=load-benchmark-function-key

# Server GC, as an app made with the Web SDK gets by default; this console project would otherwise run the
# proxies with workstation GC.
export DOTNET_gcServer=${DOTNET_gcServer:-1} DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/azfi-load.XXXXXX")
STARTED_PIDS=()

cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Installs the Debian packages named like the missing commands, and only those.
require_commands() {
    local missing=() command
    for command in "$@"; do
        command -v "$command" >/dev/null || missing+=("$command")
    done
    [ "${#missing[@]}" -eq 0 ] || install_packages "${missing[@]}"
}

# install_packages PACKAGE...: apt-get install, as root or through sudo.
install_packages() {
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    echo "Installing $*..." >&2
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null
}

# A port that was free on 127.0.0.1 a moment ago.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Builds this checkout's proxies and, when BASELINE names another checkout of the project (an earlier commit,
# say), that checkout's too: its library runs as the target "baseline", so a change is measured side by side
# with what it changes.
build_proxies() {
    echo "Building $PROJECT (Release)..." >&2
    dotnet build "$PROJECT" --configuration Release -warnaserror --nologo --verbosity quiet >&2
    PROXY_DLL="$PROJECT/bin/Release/net10.0/AzureFunctionsInvoker.Benchmarks.dll"
    [ -n "${BASELINE:-}" ] || return 0
    local baseline_project
    baseline_project="$(cd "$BASELINE" && pwd)/tests/AzureFunctionsInvoker.Benchmarks"
    echo "Building $baseline_project (Release), the baseline..." >&2
    dotnet build "$baseline_project" --configuration Release -warnaserror --nologo --verbosity quiet >&2
    BASELINE_DLL="$baseline_project/bin/Release/net10.0/AzureFunctionsInvoker.Benchmarks.dll"
}

# wait_ready URL LOG [CURL ARGUMENTS]: polls until the URL answers 2xx, or fails naming the log of the process behind it.
wait_ready() {
    local url=$1 log=$2 attempt
    shift 2   # any more arguments go to curl (--http2-prior-knowledge)
    for attempt in $(seq 100); do
        curl -fso /dev/null -H "x-functions-key: $FUNCTION_KEY" "$@" "$url" && return
        sleep 0.2
    done
    echo "Not ready after 20 s: $url. Log $log:" >&2
    cat "$log" >&2
    return 1
}

# start_nginx NAME SERVER_BLOCK: an nginx of our own (no system configuration, run as the current user, in the
# foreground under this script) with its files in $WORK/NAME. Sets NGINX_PID.
start_nginx() {
    local name=$1 server=$2 prefix="$WORK/$1"
    mkdir -p "$prefix"
    cat >"$prefix/nginx.conf" <<EOF
daemon off;
# Workers as the current user: started by root they would otherwise be nobody, who cannot read \$WORK (nginx
# ignores this line, with a warning in its log, when not started by root).
user $(id -un) $(id -gn);
worker_processes auto;
pid $prefix/nginx.pid;
error_log $prefix/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $prefix/client_body;
    proxy_temp_path $prefix/proxy;
    fastcgi_temp_path $prefix/fastcgi;
    uwsgi_temp_path $prefix/uwsgi;
    scgi_temp_path $prefix/scgi;
    # Kestrel, and so the Functions host, never closes a keep-alive connection after some number of requests.
    keepalive_requests 1000000;
$server
}
EOF
    nginx -p "$prefix" -c "$prefix/nginx.conf" 2>>"$prefix/error.log" &
    NGINX_PID=$!
    STARTED_PIDS+=("$NGINX_PID")
}

# The stand-in Function App on FUNCTION_PORT: a fast function at /api/hello/ that checks the key like Azure does; when
# FUNCTION_PORT_H2 is set, the same over HTTP/2 with prior knowledge (h2c) on that port too.
# Sets FUNCTION_PORT, STANDIN_PID and WWW (files under $WWW/api/hello/ are served as they are).
start_standin() {
    FUNCTION_PORT=$(free_port)
    WWW="$WORK/www"
    mkdir -p "$WWW/api/hello"
    head -c 1048576 /dev/urandom >"$WWW/api/hello/large"
    start_nginx standin "
    server {
        listen 127.0.0.1:$FUNCTION_PORT;
        ${FUNCTION_PORT_H2:+listen 127.0.0.1:$FUNCTION_PORT_H2 http2;}
        root $WWW;
        if (\$http_x_functions_key != \"$FUNCTION_KEY\") { return 401; }

        location /api/hello/ { default_type text/plain; return 200 'Hello Kong!'; }

        location = /api/hello/large { }   # 1 MiB
        location = /api/hello/huge { }    # memory.sh's 1 GiB

        # A function reads its whole body before answering; nginx's return would answer first. The mirror module
        # reads the body (in memory up to 128 KiB, so the 64 KiB POST never touches the disk), then the missing
        # file's 404 is turned into the function's 200. The mirrored copy goes nowhere.
        location = /api/hello/upload {
            client_max_body_size 0;
            client_body_buffer_size 128k;
            mirror /discard;
            mirror_request_body on;
            error_page 404 =200 @received;
            log_not_found off;   # that 404 is the plan, not an error to log on every request
        }
        location = /discard { internal; return 204; }
        location @received { default_type text/plain; return 200 'Received'; }
    }"
    STANDIN_PID=$NGINX_PID
    wait_ready "http://127.0.0.1:$FUNCTION_PORT/api/hello/ready" "$WORK/standin/error.log"
}

# The stand-in Function App of the Durable rewriting checks (slow-readers.sh, rewrite-cpu.sh) on FUNCTION_PORT: nginx
# serving slow_readers.py's two bodies as application/json, /api/hello/durable.json (300 management URLs on its own
# origin) and /api/hello/plain.json (JSON of the same size without any). Sets FUNCTION_PORT and WWW.
start_json_standin() {
    FUNCTION_PORT=$(free_port)
    WWW="$WORK/www"
    mkdir -p "$WWW/api/hello"
    python3 "$LOAD_DIR/slow_readers.py" bodies --origin "http://127.0.0.1:$FUNCTION_PORT" --dir "$WWW/api/hello"
    start_nginx standin "
    server {
        listen 127.0.0.1:$FUNCTION_PORT;
        root $WWW;
        location /api/hello/ { types { } default_type application/json; }
        location = /api/hello/ready { default_type text/plain; return 200 'ok'; }
    }"
    wait_ready "http://127.0.0.1:$FUNCTION_PORT/api/hello/plain.json" "$WORK/standin/error.log"
}

# start_dotnet_proxy library|yarp|baseline: the proxy from Load/, in front of the stand-in ("baseline": the library
# of the BASELINE checkout). Sets PROXY_PORT and PROXY_PID.
start_dotnet_proxy() {
    local kind=$1 log="$WORK/$1.log" dll=$PROXY_DLL
    if [ "$kind" = baseline ]; then
        kind=library
        dll=$BASELINE_DLL
    fi
    # library-h2, yarp-h2: the same proxy speaking HTTP/2 with prior knowledge to the stand-in's h2c port.
    local function_port=$FUNCTION_PORT http_version=1.1
    case $kind in
        *-h2) kind=${kind%-h2} function_port=${FUNCTION_PORT_H2:-$FUNCTION_PORT} http_version=2 ;;
    esac
    PROXY_PORT=$(free_port)
    AZFI_LOAD_HTTP_VERSION=$http_version dotnet "$dll" serve "$kind" --port "$PROXY_PORT" --function-port "$function_port" --function-key "$FUNCTION_KEY" >"$log" 2>&1 &
    PROXY_PID=$!
    STARTED_PIDS+=("$PROXY_PID")
    # AZFI_LOAD_CALLER_HTTP2=1: the proxy takes callers over HTTP/2 with prior knowledge only (LoadProxyHost.cs).
    wait_ready "http://127.0.0.1:$PROXY_PORT/mytest/ready" "$log" ${AZFI_LOAD_CALLER_HTTP2:+--http2-prior-knowledge}
}

# A process and its children (nginx's workers), whose memory counts together.
process_tree() {
    echo "$1"
    pgrep -P "$1" || true
}

# rss_kib PID FIELD: VmRSS (now) or VmHWM (peak since start or the last reset) of the tree, in KiB.
rss_kib() {
    local total=0 pid
    for pid in $(process_tree "$1"); do
        total=$((total + $(awk -v field="$2:" '$1 == field { print $2 }' "/proc/$pid/status")))
    done
    echo "$total"
}

# Restarts VmHWM at the current RSS (Linux's clear_refs 5); fails where the kernel does not allow it.
reset_peak_rss() {
    local pid
    for pid in $(process_tree "$1"); do
        echo 5 2>/dev/null >"/proc/$pid/clear_refs" || return 1
    done
}

# report NAME TITLE: stdin to the console and to artifacts/benchmarks/NAME-<time>.md (git-ignored), under a heading
# saying what ran where.
report() {
    local file
    file="$REPO_ROOT/artifacts/benchmarks/$1-$(date -u +%Y%m%dT%H%M%SZ).md"
    mkdir -p "$(dirname "$file")"
    {
        echo "## $2, $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo
        echo "- Commit $(git -C "$REPO_ROOT" rev-parse --short HEAD)$(git -C "$REPO_ROOT" diff --quiet HEAD || echo ' (with local changes)');" \
            "$(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)) shared by the client, the stand-in and the proxy"
        echo "- $(! command -v nginx >/dev/null || echo "$(nginx -v 2>&1), ").NET SDK $(dotnet --version), $([ "$DOTNET_gcServer" = 1 ] && echo Server || echo Workstation) GC${DOTNET_GCDynamicAdaptationMode:+, DOTNET_GCDynamicAdaptationMode=$DOTNET_GCDynamicAdaptationMode}${DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS:+, inline socket completions}${AZFI_LOAD_KESTREL_INLINE:+, Kestrel inline scheduling}"
        cat
    } | tee "$file"
    echo "Written to $file" >&2
}

mib() {
    awk -v kib="$1" 'BEGIN { printf "%.1f", kib / 1024 }'
}

# wrk's report -> "req/s p50-ms p99-ms errors", errors being socket errors plus non-2xx/3xx answers.
parse_wrk() {
    awk '
        function ms(v) {
            if (v ~ /us$/) return v / 1000
            if (v ~ /ms$/) return v + 0
            if (v ~ /m$/) return v * 60000
            return v * 1000
        }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        /Socket errors:/ { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
        /Non-2xx or 3xx responses:/ { errors += $NF }
        $1 == "Requests/sec:" { rps = $2 }
        END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, errors }'
}

median() {
    sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
