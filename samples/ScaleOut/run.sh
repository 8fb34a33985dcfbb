#!/usr/bin/env bash
# Two instances of samples/MinimalApi behind nginx (round-robin), sharing their Data Protection keys and their output
# cache in one redis-server, everything on 127.0.0.1 on free ports. It walks a Durable orchestration and a cached GET
# across both instances with curl, shows which instance answered each request (X-Instance, set by nginx), and stops
# everything it started when it ends, however it ends. docs/scale-out.md explains what it shows.
#
#   bash samples/ScaleOut/run.sh            # from a clone of the repository, with the .NET 10 SDK
#   KEEP_RUNNING=1 bash samples/ScaleOut/run.sh   # leaves it all up until Enter is pressed, to try it by hand
set -euo pipefail
cd "$(dirname "$0")/../.."

# What it uses, from Debian's packages, installed only when missing.
missing=()
for package in redis-server nginx curl python3; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until $2 answers on 127.0.0.1, or fails showing the log $3.
wait_for() {
    local what=$1 check=$2 log=$3
    for _ in $(seq 1 120); do
        if eval "$check" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.5
    done
    echo "$what did not start; its log:" >&2
    cat "$log" >&2
    exit 1
}

redis_port=$(free_port)
demo_port=$(free_port)
a_port=$(free_port)
b_port=$(free_port)
gateway_port=$(free_port)
demo_key=$(python3 -c 'import secrets; print(secrets.token_hex(16))')

echo "== Building the sample"
dotnet build samples/MinimalApi --configuration Release --output "$work/app" -tl:off -v:q -nologo >"$work/build.log" 2>&1 \
    || { cat "$work/build.log"; exit 1; }

echo "== redis-server on 127.0.0.1:$redis_port (in memory only)"
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
wait_for "redis-server" "redis-cli -h 127.0.0.1 -p $redis_port ping" "$work/redis.log"

# Both instances keep keys and cache in the Redis; each has a home folder of its own, as on two machines, so nothing is
# shared through Data Protection's default key folder. A runs the demo Function App on a fixed port and key; B names
# that Function App as Hello's, as both would name a real one.
start_instance() {
    local name=$1 port=$2
    shift 2
    mkdir -p "$work/home-$name"
    env HOME="$work/home-$name" ConnectionStrings__Redis="127.0.0.1:$redis_port" "$@" \
        dotnet "$work/app/MinimalApi.dll" --urls "http://127.0.0.1:$port" --contentRoot "$work/app" >"$work/$name.log" 2>&1 &
    pids+=($!)
}

echo "== Instance A on 127.0.0.1:$a_port (with the demo Function App on 127.0.0.1:$demo_port)"
start_instance a "$a_port" Demo__Port="$demo_port" Demo__FunctionKey="$demo_key"
wait_for "Instance A" "curl -sf http://127.0.0.1:$a_port/" "$work/a.log"

echo "== Instance B on 127.0.0.1:$b_port"
start_instance b "$b_port" AzureFunctions__Hello__AppName=127.0.0.1 AzureFunctions__Hello__HostDomain= \
    AzureFunctions__Hello__Port="$demo_port" AzureFunctions__Hello__Https=false AzureFunctions__Hello__ApiKey="$demo_key"
wait_for "Instance B" "curl -sf http://127.0.0.1:$b_port/" "$work/b.log"

echo "== nginx on 127.0.0.1:$gateway_port, round-robin to A and B"
cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
error_log $work/nginx-error.log;
pid $work/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $work/nginx-body;
    proxy_temp_path $work/nginx-proxy;
    upstream gateway {
        server 127.0.0.1:$a_port;
        server 127.0.0.1:$b_port;
        keepalive 8;
    }
    server {
        listen 127.0.0.1:$gateway_port;
        location / {
            proxy_pass http://gateway;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # The caller's Host: links are built on it, and the output cache keys on it.
            proxy_set_header Host \$http_host;
            proxy_buffering off;
            add_header X-Instance \$upstream_addr always;
        }
    }
}
NGINX
nginx -c "$work/nginx.conf" -g 'daemon off;' >"$work/nginx.log" 2>&1 &
pids+=($!)
gateway="http://127.0.0.1:$gateway_port"
wait_for "nginx" "curl -sf $gateway/" "$work/nginx-error.log"

instance() {
    case "$1" in
        *":$a_port") echo "A" ;;
        *":$b_port") echo "B" ;;
        *) echo "$1" ;;
    esac
}

# curl through nginx; prints "instance status" and keeps the body in $work/body and the headers in $work/headers.
call() {
    local method=$1 url=$2
    shift 2
    curl -s -X "$method" "$@" -D "$work/headers" -o "$work/body" "$url"
    local status upstream
    status=$(awk 'NR == 1 { print $2 }' "$work/headers")
    upstream=$(awk 'tolower($1) == "x-instance:" { print $2 }' "$work/headers" | tr -d '\r')
    echo "$(instance "$upstream") $status"
}

json() {
    python3 -c "import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/body" "$1"
}

echo
echo "== A Durable orchestration, each step through the next instance"
read -r by status < <(call POST "$gateway/mytest/orchestrations/hello?name=ScaleOut")
echo "POST /mytest/orchestrations/hello?name=ScaleOut -> $status, started by $by"
status_link=$(json statusQueryGetUri)
event_link=$(json sendEventPostUri)
echo "   status link: $status_link"
read -r by status < <(call GET "$status_link")
echo "GET  status link   -> $status by $by: $(cat "$work/body")"
read -r by status < <(call POST "${event_link/\{eventName\}/greeted}" -d '{}')
echo "POST raiseEvent    -> $status by $by"
for _ in $(seq 1 20); do
    read -r by status < <(call GET "$status_link")
    [ "$status" = "200" ] && break
    sleep 1
done
echo "GET  status link   -> $status by $by: $(cat "$work/body")"
[ "$status" = "200" ] || { echo "The orchestration did not complete." >&2; exit 1; }
if grep -qiE 'code=|taskHub|runtime/webhooks' "$work/body"; then
    echo "A Durable answer showed a key or the function's host." >&2
    exit 1
fi

echo
echo "== A cached GET (10 s, per query string), shared through Redis"
for i in 1 2 3; do
    read -r by status < <(call GET "$gateway/cached?name=Kong")
    age=$(awk 'tolower($1) == "age:" { print $2 }' "$work/headers" | tr -d '\r')
    echo "GET /cached?name=Kong -> $status by $by: $(cat "$work/body")  ${age:+(from the cache, Age: $age s)}"
done

echo
echo "All of it ran on 127.0.0.1: redis $redis_port, A $a_port, B $b_port, nginx $gateway_port."
if [ -n "${KEEP_RUNNING:-}" ]; then
    echo "Try: curl -i '$gateway/cached?name=Kong'   (Enter stops everything)"
    read -r _
fi
