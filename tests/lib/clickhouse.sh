# shellcheck shell=bash
# tests/lib/clickhouse.sh - run a private, throw-away ClickHouse server for tests.
#
# Source it from bash (works under `set -euo pipefail`):
#
#   . "$(dirname "$0")/../lib/clickhouse.sh"
#   ch_start || exit 99          # or: ch_start || { echo "no clickhouse"; exit 77; }
#   trap ch_stop EXIT
#   ch_query "CREATE DATABASE IF NOT EXISTS db"
#   printf '%s\n' '{"a":1}' | ch_insert "INSERT INTO db.t FORMAT JSONEachRow"
#
# Targets Debian's clickhouse-server 18.16.1 (/usr/sbin/clickhouse-server).
# Never touches the system instance (/etc/clickhouse-server, /var/lib/clickhouse):
# everything lives in a temp dir on tmpfs (/dev/shm), listening on 127.0.0.1 only,
# on free ports (the interserver port is not configured, so it is not opened).
#
# Functions
#   ch_start              start a server; exports CH_HTTP_PORT CH_TCP_PORT CH_URL
#                         CH_DIR CH_PID CH_START_MS. Returns 1 (after printing the
#                         log tail) on failure.
#   ch_query SQL [PARAMS] POST SQL as body to $CH_URL/?PARAMS (user default).
#                         Prints the result; on HTTP error prints status and body
#                         to stderr and returns 1.
#   ch_insert QUERY [PARAMS]
#                         QUERY (e.g. "INSERT INTO db.t FORMAT RowBinary") goes in
#                         ?query=, the body is read from stdin (binary safe).
#   ch_client [ARGS...]   clickhouse-client against the private server (native port).
#   ch_stop               SIGTERM, bounded wait, SIGKILL if needed, remove CH_DIR.
#                         Idempotent; safe to use in `trap ... EXIT`.
#   ch_kill               SIGKILL only, keeps CH_DIR (for fault tests).
#   ch_restart            (stop if still running, then) start again with the same
#                         config, ports and data dir.
#   ch_alive              true if the server process is running.
#
# Notes
#   - One server per shell (state is in the CH_* variables).
#   - The server is a disowned background child: install `trap ch_stop EXIT`,
#     otherwise an aborted test leaks the process and its /dev/shm dir.
#   - Users: 'default' (no password) and 'ticksink' ($CH_PASSWORD), both limited
#     to 127.0.0.1/::1, profile 'default' (max_memory_usage = 2 GB), quota 'default'.
#   - 18.16 runs fine as root; a cold start takes ~0.4 s, warm ~0.2 s.
#
# Environment (read by ch_start)
#   CH_PASSWORD      password of user 'ticksink' (default: empty = no password).
#                    User 'default' never has a password.
#   CH_TIMEZONE      optional server <timezone> (e.g. America/New_York).
#   CH_TLS_DIR       optional dir holding server.crt and server.key (PEM):
#                    the server also listens for https on a free port,
#                    exported as CH_HTTPS_PORT.
#   CH_LOG_LEVEL     logger level (default: information; 'warning' is quieter).
#   CH_START_TIMEOUT seconds to wait for /ping (default 30).
#   CH_STOP_TIMEOUT  seconds to wait after SIGTERM before SIGKILL (default 20).
#   CH_SERVER_BIN    default /usr/sbin/clickhouse-server.
#   CH_CLIENT_BIN    default /usr/bin/clickhouse-client.
#   CH_SHM           parent dir for the temp dir (default /dev/shm).
#   CH_KEEP_DIR=1    ch_stop / failed ch_start leave CH_DIR in place (debugging).

: "${CH_SERVER_BIN:=/usr/sbin/clickhouse-server}"
: "${CH_CLIENT_BIN:=/usr/bin/clickhouse-client}"

_ch_log() { printf 'clickhouse.sh: %s\n' "$*" >&2; }

# Milliseconds since the epoch.
_ch_now_ms() {
    local t=${EPOCHREALTIME:-}
    if [[ -n $t ]]; then
        t=${t/[.,]/}              # seconds + 6 digits of microseconds
        printf '%s\n' "$(( t / 1000 ))"
    else
        printf '%s\n' "$(( $(date +%s%N) / 1000000 ))"
    fi
}

# True if pid $1 exists and is not a zombie (a reparented, unreaped zombie
# still answers kill -0).
_ch_pid_alive() {
    local pid=${1:-} st=
    [[ -n $pid ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -r /proc/$pid/stat ]]; then
        st=$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null || true)
        [[ $st != Z && $st != X ]] || return 1
    fi
    return 0
}

ch_alive() { _ch_pid_alive "${CH_PID:-}"; }

# XML-escape $1.
_ch_xml_escape() {
    local s=${1-}
    # Replacements are quoted: with bash 5.2's patsub_replacement an unquoted
    # '&' in the replacement stands for the matched text.
    s=${s//'&'/'&amp;'}
    s=${s//'<'/'&lt;'}
    s=${s//'>'/'&gt;'}
    s=${s//'"'/'&quot;'}
    s=${s//"'"/'&apos;'}
    printf '%s' "$s"
}

# Percent-encode $1 for use in a URL query string (bytewise, RFC 3986 unreserved kept).
_ch_urlencode() {
    local LC_ALL=C s=${1-} out='' c i
    for (( i = 0; i < ${#s}; i++ )); do
        c=${s:i:1}
        case $c in
            [a-zA-Z0-9.~_-]) out+=$c ;;
            *) printf -v c '%%%02X' "'$c"; out+=$c ;;
        esac
    done
    printf '%s' "$out"
}

# Print two distinct free TCP ports on 127.0.0.1 ("http tcp").
_ch_free_ports() {
    if command -v python3 >/dev/null 2>&1; then
        # Bind both at once so the kernel hands out two different ports.
        if python3 - <<'EOF' 2>/dev/null; then return 0; fi
import socket
ss = []
for _ in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    ss.append(s)
print(" ".join(str(s.getsockname()[1]) for s in ss))
EOF
    fi
    # Fallback: random ports in 20000..32767 (below the ephemeral range) that
    # nothing is listening on. ch_start retries with new ports if bind fails.
    local p ports=() tries=0
    while (( ${#ports[@]} < 2 && tries < 200 )); do
        tries=$(( tries + 1 ))
        p=$(( 20000 + RANDOM % 12768 ))
        [[ ${#ports[@]} -eq 1 && ${ports[0]} -eq $p ]] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            ports+=("$p")
        fi
    done
    (( ${#ports[@]} == 2 )) || return 1
    printf '%s %s\n' "${ports[0]}" "${ports[1]}"
}

# The https listener and its certificate, when CH_TLS_DIR is set.
_ch_tls_config() {
    [[ -n ${CH_TLS_DIR:-} ]] || return 0
    cat <<EOF
    <https_port>$CH_HTTPS_PORT</https_port>
    <openSSL>
        <server>
            <certificateFile>$CH_TLS_DIR/server.crt</certificateFile>
            <privateKeyFile>$CH_TLS_DIR/server.key</privateKeyFile>
            <verificationMode>none</verificationMode>
            <loadDefaultCAFile>false</loadDefaultCAFile>
            <cacheSessions>true</cacheSessions>
            <disableProtocols>sslv2,sslv3</disableProtocols>
            <preferServerCiphers>true</preferServerCiphers>
        </server>
    </openSSL>
EOF
}

_ch_write_config() {
    local dir=$1 http=$2 tcp=$3 tz=''
    if [[ -n ${CH_TLS_DIR:-} && -z ${CH_HTTPS_PORT:-} ]]; then
        CH_HTTPS_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        export CH_HTTPS_PORT
    fi
    if [[ -n ${CH_TIMEZONE:-} ]]; then
        tz="    <timezone>$(_ch_xml_escape "$CH_TIMEZONE")</timezone>"
    fi
    cat >"$dir/config.xml" <<EOF
<?xml version="1.0"?>
<!-- generated by tests/lib/clickhouse.sh -->
<yandex>
    <logger>
        <level>${CH_LOG_LEVEL:-information}</level>
        <log>$dir/log/clickhouse-server.log</log>
        <errorlog>$dir/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>1</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$http</http_port>
    <tcp_port>$tcp</tcp_port>
    <!-- no interserver_http_port: not listened on when absent -->
    <max_connections>1024</max_connections>
    <keep_alive_timeout>10</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>16777216</uncompressed_cache_size>
    <mark_cache_size>16777216</mark_cache_size>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mlock_executable>false</mlock_executable>
$tz
$(_ch_tls_config)
    <!-- For Kafka engine tables only (bench/kafka_engine.sh): 18.16 sets
         no auto.offset.reset, so a new group would start at the end. -->
    <kafka><auto_offset_reset>smallest</auto_offset_reset></kafka>
</yandex>
EOF
    cat >"$dir/users.xml" <<EOF
<?xml version="1.0"?>
<!-- generated by tests/lib/clickhouse.sh -->
<yandex>
    <profiles>
        <default>
            <max_memory_usage>2000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks replace="replace">
                <ip>::1</ip>
                <ip>127.0.0.1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
        <ticksink>
            <password>$(_ch_xml_escape "${CH_PASSWORD:-}")</password>
            <networks replace="replace">
                <ip>::1</ip>
                <ip>127.0.0.1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </ticksink>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
}

# Print the interesting tail of the server's logs to stderr.
_ch_dump_logs() {
    local dir=${1:-${CH_DIR:-}} f
    [[ -n $dir ]] || return 0
    for f in "$dir/log/clickhouse-server.err.log" "$dir/server.stdout"; do
        if [[ -s $f ]]; then
            printf -- '--- tail of %s ---\n' "$f" >&2
            tail -n 30 "$f" >&2 || true
        fi
    done
    return 0
}

# Launch the server for the config in $CH_DIR and wait for /ping.
# Sets CH_PID. Returns 0 when "Ok." is answered, 2 if the port was taken,
# 1 on any other failure (server killed in both failure cases).
_ch_launch() {
    local dir=$CH_DIR deadline now r pid
    mkdir -p "$dir/log" "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
    # Own stdio (test harnesses wait for their pipes to close), stdin from
    # /dev/null, cwd = temp dir (core files, relative paths).
    (cd "$dir" && exec "$CH_SERVER_BIN" --config-file="$dir/config.xml" \
        </dev/null >>"$dir/server.stdout" 2>&1) &
    pid=$!
    disown "$pid" 2>/dev/null || true   # no "Killed" job notices, not caught by a bare `wait`
    CH_PID=$pid
    export CH_PID
    printf '%s\n' "$pid" >"$dir/server.pid"

    deadline=$(( $(_ch_now_ms) + ${CH_START_TIMEOUT:-30} * 1000 ))
    while :; do
        r=$(curl -s --max-time 2 "http://127.0.0.1:$CH_HTTP_PORT/ping" 2>/dev/null || true)
        if [[ $r == "Ok." ]]; then
            return 0
        fi
        if ! _ch_pid_alive "$pid"; then
            _ch_log "server (pid $pid) exited during startup"
            break
        fi
        now=$(_ch_now_ms)
        if (( now >= deadline )); then
            _ch_log "server did not answer /ping within ${CH_START_TIMEOUT:-30}s"
            break
        fi
        sleep 0.05
    done
    _ch_kill_pid "$pid" 5
    if grep -qs -e 'Address already in use' -e 'Net Exception: Address' \
            "$dir/log/clickhouse-server.err.log" "$dir/server.stdout"; then
        return 2
    fi
    return 1
}

# SIGTERM pid $1, wait up to $2 seconds, then SIGKILL and wait a bit more.
_ch_kill_pid() {
    local pid=${1:-} secs=${2:-20} deadline
    [[ -n $pid ]] || return 0
    _ch_pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(( $(_ch_now_ms) + secs * 1000 ))
    while _ch_pid_alive "$pid" && (( $(_ch_now_ms) < deadline )); do
        sleep 0.05
    done
    if _ch_pid_alive "$pid"; then
        _ch_log "server pid $pid ignored SIGTERM for ${secs}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        deadline=$(( $(_ch_now_ms) + 5000 ))
        while _ch_pid_alive "$pid" && (( $(_ch_now_ms) < deadline )); do
            sleep 0.05
        done
    fi
    return 0
}

ch_start() {
    local t0 dir ports attempt rc=1
    if [[ -n ${CH_PID:-} ]] && ch_alive; then
        _ch_log "ch_start: a server is already running (pid $CH_PID, dir ${CH_DIR:-?})"
        return 1
    fi
    if [[ ! -x $CH_SERVER_BIN ]]; then
        _ch_log "ch_start: $CH_SERVER_BIN not found"
        return 1
    fi
    command -v curl >/dev/null 2>&1 || { _ch_log "ch_start: curl not found"; return 1; }
    t0=$(_ch_now_ms)
    dir=$(mktemp -d "${CH_SHM:-/dev/shm}/ticksink-ch.XXXXXX") || return 1
    CH_DIR=$dir
    export CH_DIR

    for attempt in 1 2 3; do
        ports=$(_ch_free_ports) || { _ch_log "ch_start: cannot find free ports"; rc=1; break; }
        CH_HTTP_PORT=${ports% *}
        CH_TCP_PORT=${ports#* }
        CH_URL="http://127.0.0.1:$CH_HTTP_PORT"
        export CH_HTTP_PORT CH_TCP_PORT CH_URL
        _ch_write_config "$dir" "$CH_HTTP_PORT" "$CH_TCP_PORT"
        rc=0
        _ch_launch || rc=$?
        if (( rc == 2 )); then
            _ch_log "ch_start: port $CH_HTTP_PORT/$CH_TCP_PORT taken, retrying ($attempt)"
            rm -rf "${dir:?}/data" "${dir:?}/log" "$dir/server.stdout"
            continue
        fi
        break
    done

    if (( rc != 0 )); then
        _ch_log "ch_start: failed (dir $dir)"
        _ch_dump_logs "$dir"
        if [[ ${CH_KEEP_DIR:-0} != 1 ]]; then
            rm -rf "${dir:?}"
        fi
        unset CH_PID CH_DIR CH_URL CH_HTTP_PORT CH_TCP_PORT
        return 1
    fi
    CH_START_MS=$(( $(_ch_now_ms) - t0 ))
    export CH_START_MS
    return 0
}

# ch_query SQL [URL-PARAMS]   e.g. ch_query "SELECT 1" "max_threads=1&default_format=JSON"
ch_query() {
    local sql=${1:?ch_query: SQL required} params=${2:-} out code rc=0
    [[ -n ${CH_URL:-} ]] || { _ch_log "ch_query: no server (CH_URL unset)"; return 1; }
    out=$(mktemp "${CH_DIR:-/tmp}/.q.XXXXXX") || return 1
    code=$(curl -sS -o "$out" -w '%{http_code}' --data-binary @- \
        "$CH_URL/${params:+?$params}" <<<"$sql") || rc=$?
    if (( rc != 0 )) || [[ ! $code =~ ^2 ]]; then
        _ch_log "ch_query: HTTP ${code:-none} (curl rc $rc) for: $sql"
        cat "$out" >&2 2>/dev/null || true
        rm -f "$out"
        return 1
    fi
    cat "$out"
    rm -f "$out"
    return 0
}

# ch_insert QUERY [URL-PARAMS] < body
ch_insert() {
    local q=${1:?ch_insert: query required} params=${2:-} out code rc=0
    [[ -n ${CH_URL:-} ]] || { _ch_log "ch_insert: no server (CH_URL unset)"; return 1; }
    out=$(mktemp "${CH_DIR:-/tmp}/.q.XXXXXX") || return 1
    code=$(curl -sS -o "$out" -w '%{http_code}' -H 'Content-Type: application/octet-stream' \
        --data-binary @- "$CH_URL/?query=$(_ch_urlencode "$q")${params:+&$params}") || rc=$?
    if (( rc != 0 )) || [[ ! $code =~ ^2 ]]; then
        _ch_log "ch_insert: HTTP ${code:-none} (curl rc $rc) for: $q"
        cat "$out" >&2 2>/dev/null || true
        rm -f "$out"
        return 1
    fi
    cat "$out"
    rm -f "$out"
    return 0
}

ch_client() {
    [[ -n ${CH_TCP_PORT:-} ]] || { _ch_log "ch_client: no server"; return 1; }
    "$CH_CLIENT_BIN" --host 127.0.0.1 --port "$CH_TCP_PORT" "$@"
}

ch_stop() {
    if [[ -n ${CH_PID:-} ]]; then
        _ch_kill_pid "$CH_PID" "${CH_STOP_TIMEOUT:-20}"
    fi
    if [[ -n ${CH_DIR:-} && -d $CH_DIR && ${CH_KEEP_DIR:-0} != 1 ]]; then
        rm -rf "${CH_DIR:?}"
    fi
    unset CH_PID CH_DIR CH_URL CH_HTTP_PORT CH_TCP_PORT
    return 0
}

ch_kill() {
    [[ -n ${CH_PID:-} ]] || { _ch_log "ch_kill: no server"; return 1; }
    local deadline
    kill -KILL "$CH_PID" 2>/dev/null || true
    # Tearing down a busy server's threads and mappings can take seconds.
    # Once seen dead after SIGKILL it is dead: a multithreaded server's
    # leader can read as a zombie and then, for a moment, not (its other
    # threads still exiting), so there is no second look.
    deadline=$(( $(_ch_now_ms) + 30000 ))
    while _ch_pid_alive "$CH_PID"; do
        if (( $(_ch_now_ms) >= deadline )); then
            _ch_log "ch_kill: pid $CH_PID still alive after SIGKILL"
            return 1
        fi
        sleep 0.02
    done
    return 0
}

ch_restart() {
    [[ -n ${CH_DIR:-} && -f $CH_DIR/config.xml ]] || { _ch_log "ch_restart: no server dir"; return 1; }
    local t0 rc=0 attempt
    t0=$(_ch_now_ms)
    if ch_alive; then
        _ch_kill_pid "$CH_PID" "${CH_STOP_TIMEOUT:-20}"
    fi
    # The old listening sockets may linger briefly; retry a few times.
    for attempt in 1 2 3 4 5; do
        rc=0
        _ch_launch || rc=$?
        (( rc == 2 )) || break
        _ch_log "ch_restart: port busy, retrying ($attempt)"
        sleep 1
    done
    if (( rc != 0 )); then
        _ch_log "ch_restart: failed (dir $CH_DIR kept)"
        _ch_dump_logs "$CH_DIR"
        return 1
    fi
    CH_START_MS=$(( $(_ch_now_ms) - t0 ))
    export CH_START_MS
    return 0
}
