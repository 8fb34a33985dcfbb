# Helpers for the .ci scripts, which source this file. Every app they start listens on 127.0.0.1 only.

# Installs the Debian packages among "$@" that are missing (as root, or through sudo), so a fresh machine
# gets what the checks need without an install step anyone has to remember.
ensure_debian_packages() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

# Starts an ASP.NET Core app (the command "$@" after the log file) on a port the OS picks on 127.0.0.1, so
# parallel runs cannot collide, and sets app_pid and app_url from Kestrel's "Now listening on" line.
start_app() {
    local log=$1
    shift
    "$@" --urls http://127.0.0.1:0 >"$log" 2>&1 &
    app_pid=$!
    local attempt
    for attempt in $(seq 100); do
        app_url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$log" | head -n 1 || true)
        [ -z "$app_url" ] || return 0
        if ! kill -0 "$app_pid" 2>/dev/null; then
            cat "$log" >&2
            echo "The app exited before listening." >&2
            return 1
        fi
        sleep 0.1
    done
    cat "$log" >&2
    echo "The app did not listen within $((attempt / 10)) s." >&2
    return 1
}

# Stops the app start_app started, if it runs; safe to call twice (the EXIT trap calls it again).
stop_app() {
    [ -n "${app_pid:-}" ] || return 0
    kill "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
    app_pid=
}

# GETs $1 and fails unless the body is exactly $2.
expect_answer() {
    local url=$1 expected=$2 actual
    actual=$(curl -sS --max-time 30 "$url")
    if [ "$actual" != "$expected" ]; then
        echo "GET $url answered '$actual', expected '$expected'." >&2
        return 1
    fi
    echo "GET $url -> $actual"
}
