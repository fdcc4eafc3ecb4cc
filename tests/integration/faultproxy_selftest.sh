#!/usr/bin/env bash
# Self-test of tools/faultproxy.py, the fault-injecting HTTP proxy the
# fault tests put between ticksink and ClickHouse: on a private ClickHouse,
# with curl through the proxy, every fault does what it says, and the
# client connection stays usable (keep-alive) across requests and faults.
# "[ A ] && [ B ] || fail ...": fail is meant to run when either test fails.
# shellcheck disable=SC2015
set -euo pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib/clickhouse.sh
. "$SRCDIR/tests/lib/clickhouse.sh"

PROXY=$SRCDIR/tools/faultproxy.py
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" > /dev/null || { echo "SKIP: $PYTHON not found"; exit 77; }
[ -x "$CH_SERVER_BIN" ] || { echo "SKIP: $CH_SERVER_BIN not installed"; exit 77; }

T=$(mktemp -d /tmp/faultproxy-selftest.XXXXXX)
PROXY_PID=
PROXY2_PID=
PROXY_IN=

cleanup() {
	local pid
	for pid in "$PROXY_PID" "$PROXY2_PID"; do
		if [ -n "$pid" ]; then
			kill -KILL "$pid" 2> /dev/null || true
			wait "$pid" 2> /dev/null || true
		fi
	done
	if [ -n "$PROXY_IN" ]; then exec {PROXY_IN}>&-; fi
	ch_stop
	if [ -z "${FP_KEEP:-}" ]; then rm -rf "$T"; else echo "kept $T" >&2; fi
}
trap cleanup EXIT

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	if [ -s "$T/proxy.err" ]; then
		printf -- '--- faultproxy stderr (tail) ---\n' >&2
		tail -n 20 "$T/proxy.err" >&2
	fi
	exit 1
}
ok() { printf 'ok - %s\n' "$*"; }
now_ms() { date +%s%3N; }

wait_until() {          # SECS DESCRIPTION CMD...
	local deadline=$(( $(now_ms) + $1 * 1000 )) desc=$2
	shift 2
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] || fail "timed out waiting for: $desc"
		sleep 0.05
	done
}

urlencode() { _ch_urlencode "$1"; }

ch_start || fail "clickhouse did not start"
ch_query "CREATE TABLE default.fp (x UInt32) ENGINE = Memory" > /dev/null

# The proxy: commands from a fifo opened read-write (never EOF), replies
# and the address on stdout.
mkfifo "$T/proxy.in"
"$PYTHON" "$PROXY" --upstream "127.0.0.1:$CH_HTTP_PORT" \
	<> "$T/proxy.in" > "$T/proxy.out" 2> "$T/proxy.err" &
PROXY_PID=$!
exec {PROXY_IN}> "$T/proxy.in"
wait_until 10 "proxy address" test -s "$T/proxy.out"
ADDR=$(head -n 1 "$T/proxy.out")
[[ $ADDR =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "first stdout line is not an address: '$ADDR'"
P="http://$ADDR"
ok "proxy listens on $ADDR"

replied() { [ "$(wc -l < "$T/proxy.out")" -gt "$1" ]; }
# cmd LINE: send a command, wait for its reply line, leave it in $REPLY.
cmd() {
	local before
	before=$(wc -l < "$T/proxy.out")
	printf '%s\n' "$1" >&"$PROXY_IN"
	wait_until 10 "reply to '$1'" replied "$before"
	REPLY=$(sed -n "$(( before + 1 ))p" "$T/proxy.out")
}
cmd_ok() { cmd "$1"; [[ $REPLY == ok* ]] || fail "command '$1' answered '$REPLY'"; }

# http [CURL ARGS...]: sets CODE (HTTP status), RC (curl exit) and BODY.
http() {
	RC=0
	CODE=$(curl -sS -o "$T/body" -w '%{http_code}' "$@" 2> "$T/curl.err") || RC=$?
	BODY=$(cat "$T/body" 2> /dev/null || true)
	rm -f "$T/body"
}
select_() { http --data-binary "$1" "$P/"; }
insert() {      # insert VALUE [CURL ARGS...]
	local v=$1
	shift
	http "$@" --data-binary "$v" "$P/?query=$(urlencode 'INSERT INTO default.fp FORMAT TSV')"
}
count_x() { ch_query "SELECT count() FROM default.fp WHERE x = $1"; }

# --- pass ---------------------------------------------------------------
select_ "SELECT 40 + 2"
[ "$RC" -eq 0 ] && [ "$CODE" = 200 ] && [ "$BODY" = 42 ] ||
	fail "SELECT through the proxy: rc=$RC code=$CODE body='$BODY'"
ok "SELECT through the proxy"

insert 1
[ "$RC" -eq 0 ] && [ "$CODE" = 200 ] || fail "INSERT through the proxy: rc=$RC code=$CODE"
[ "$(count_x 1)" = 1 ] || fail "row 1 not inserted"
ok "INSERT through the proxy"

# ClickHouse's own errors are relayed (status and body).
select_ "SELEC 1"
[ "$CODE" = 400 ] && [[ $BODY == *"Code: 62"* ]] ||
	fail "upstream error not relayed: code=$CODE body='$BODY'"
ok "upstream 400 relayed"

# A chunked request body is relayed.
insert 2 -H 'Transfer-Encoding: chunked'
[ "$RC" -eq 0 ] && [ "$CODE" = 200 ] || fail "chunked INSERT: rc=$RC code=$CODE body='$BODY'"
[ "$(count_x 2)" = 1 ] || fail "chunked INSERT: row 2 not inserted"
ok "chunked request body"

# --- insert_only error500 2 ---------------------------------------------
cmd_ok "insert_only error500 2"
insert 3
[ "$CODE" = 500 ] && [[ $BODY == "Code: 999, e.displayText() = DB::Exception: injected by faultproxy"* ]] ||
	fail "1st INSERT after insert_only error500 2: code=$CODE body='$BODY'"
select_ "SELECT 7"
[ "$CODE" = 200 ] && [ "$BODY" = 7 ] || fail "SELECT between the faulted INSERTs: code=$CODE body='$BODY'"
insert 3
[ "$CODE" = 500 ] && [[ $BODY == "Code: 999"* ]] ||
	fail "2nd INSERT after insert_only error500 2: code=$CODE body='$BODY'"
[ "$(count_x 3)" = 0 ] || fail "a 500-faulted INSERT reached ClickHouse"
insert 3
[ "$CODE" = 200 ] || fail "3rd INSERT (count used up) not passed: code=$CODE body='$BODY'"
[ "$(count_x 3)" = 1 ] || fail "3rd INSERT: row 3 not inserted once"
ok "insert_only error500 2: two INSERTs got 500 Code: 999, the SELECT between and the 3rd INSERT passed"

# --- error503 (applies to any request) ------------------------------------
cmd_ok "error503 1"
select_ "SELECT 1"
[ "$CODE" = 503 ] && [ "$BODY" = "injected 503" ] || fail "error503: code=$CODE body='$BODY'"
select_ "SELECT 1"
[ "$CODE" = 200 ] || fail "after error503 1: code=$CODE"
ok "error503 1 hits a SELECT, then pass"

# --- drop / reset -----------------------------------------------------------
cmd_ok "drop 1"
insert 4
[ "$RC" -eq 52 ] || fail "drop: curl exit $RC (want 52, empty reply): $(cat "$T/curl.err")"
[ "$(count_x 4)" = 0 ] || fail "drop: the request was forwarded"
ok "drop 1: curl exit 52 (empty reply), nothing inserted"

cmd_ok "reset 1"
insert 5
[ "$RC" -eq 56 ] || fail "reset: curl exit $RC (want 56, connection reset): $(cat "$T/curl.err")"
grep -qi 'reset' "$T/curl.err" || fail "reset: curl did not see a reset: $(cat "$T/curl.err")"
[ "$(count_x 5)" = 0 ] || fail "reset: the request was forwarded"
ok "reset 1: curl exit 56 (connection reset by peer), nothing inserted"

# --- blackhole_after_forward --------------------------------------------------
cmd_ok "blackhole_after_forward 1"
insert 6 --max-time 2
[ "$RC" -eq 28 ] || fail "blackhole: curl exit $RC (want 28, timeout): $(cat "$T/curl.err")"
[ "$(count_x 6)" = 1 ] || fail "blackhole: row 6 not inserted"
ok "blackhole_after_forward 1: curl timed out (exit 28), yet row 6 is in the table"

# --- delay ---------------------------------------------------------------------
cmd_ok "delay 1500 1"
t0=$(now_ms)
select_ "SELECT 5"
took=$(( $(now_ms) - t0 ))
[ "$CODE" = 200 ] && [ "$BODY" = 5 ] || fail "delay: code=$CODE body='$BODY'"
[ "$took" -ge 1500 ] || fail "delay 1500: the request took only $took ms"
t0=$(now_ms)
select_ "SELECT 5"
took2=$(( $(now_ms) - t0 ))
[ "$took2" -lt 1000 ] || fail "the request after delay 1500 1 took $took2 ms"
ok "delay 1500 1: the request took $took ms, the next $took2 ms"

# --- keep-alive ------------------------------------------------------------------
# curl URL1 URL2 reuses the connection: num_connects is 0 for the second.
ka() {          # ka CURL ARGS... -> lines "code num_connects", bodies in $T/ka1 $T/ka2
	curl -sS -w '%{http_code} %{num_connects}\n' -o "$T/ka1" -o "$T/ka2" "$@" \
		2> "$T/curl.err" > "$T/ka.out" || fail "keep-alive curl: $(cat "$T/curl.err")"
}
ka "$P/?query=$(urlencode 'SELECT 11')" "$P/?query=$(urlencode 'SELECT 12')"
[ "$(cat "$T/ka.out")" = $'200 1\n200 0' ] || fail "keep-alive: $(cat "$T/ka.out")"
[ "$(cat "$T/ka1")" = 11 ] && [ "$(cat "$T/ka2")" = 12 ] || fail "keep-alive: wrong bodies"
ok "keep-alive: two requests on one connection both succeed"

# ... also after an injected error and for POST bodies.
cmd_ok "error500 1"
ka --data-binary 'SELECT 13' "$P/" "$P/"
[ "$(cat "$T/ka.out")" = $'500 1\n200 0' ] || fail "keep-alive after error500: $(cat "$T/ka.out")"
[ "$(cat "$T/ka2")" = 13 ] || fail "keep-alive after error500: wrong body"
ok "keep-alive: the connection stays usable after an injected 500"

# --- many concurrent connections ------------------------------------------------
pids=()
for i in $(seq 1 20); do
	curl -sS --max-time 20 "$P/?query=$(urlencode "SELECT $i")" "$P/?query=$(urlencode "SELECT $i")" \
		> "$T/par.$i" 2>&1 &
	pids+=($!)
done
for i in $(seq 1 20); do
	wait "${pids[$(( i - 1 ))]}" || fail "concurrent client $i failed: $(cat "$T/par.$i")"
	[ "$(cat "$T/par.$i")" = "$i"$'\n'"$i" ] || fail "concurrent client $i: $(cat "$T/par.$i")"
done
ok "20 concurrent keep-alive clients"

# --- command errors, stats ----------------------------------------------------------
cmd "bogus 1"
[[ $REPLY == "error: "* ]] || fail "unknown command answered '$REPLY'"
cmd "drop 0"
[[ $REPLY == "error: "* ]] || fail "'drop 0' answered '$REPLY'"
# A gzip-encoded body passes through as it is (the server inflates it).
printf '4242\n' | gzip > "$T/gz"
http -H 'Content-Encoding: gzip' --data-binary @"$T/gz" \
    "$P/?query=$(urlencode 'INSERT INTO default.fp FORMAT TSV')"
[ "$CODE" = 200 ] && [ "$(count_x 4242)" -eq 1 ] ||
	fail "gzip insert through the proxy: $CODE $BODY"
cmd_ok "stats"
[[ $REPLY =~ ^ok\ requests=([0-9]+)\ forwarded=([0-9]+)\ faulted=([0-9]+)\ gzip=([0-9]+)$ ]] ||
	fail "stats: '$REPLY'"
[ "${BASH_REMATCH[4]}" -eq 1 ] || fail "stats: gzip=${BASH_REMATCH[4]}, want 1: $REPLY"
# faulted: 2 x error500 (insert_only), error503, drop, reset, blackhole, delay, error500
[ "${BASH_REMATCH[3]}" -eq 8 ] || fail "stats: faulted=${BASH_REMATCH[3]}, want 8: $REPLY"
[ "${BASH_REMATCH[1]}" -eq $(( BASH_REMATCH[2] + 6 )) ] ||
	fail "stats: requests != forwarded + 6 not-forwarded faults: $REPLY"
[ "$(grep -c -e 'error500' -e 'error503' -e 'drop' -e 'reset' -e 'blackhole' -e 'delay' \
	"$T/proxy.err")" -eq 8 ] || fail "want one stderr line per faulted request"
ok "stats: $REPLY"

cmd_ok "quit"
rc=0
wait "$PROXY_PID" || rc=$?
PROXY_PID=
[ "$rc" -eq 0 ] || fail "quit: exit status $rc"
ok "quit: exit 0"

# --- upstream down: 502; stdin at EOF: keeps serving; SIGTERM: exit 0 -----
ch_port=$CH_HTTP_PORT
ch_stop         # unsets CH_*; nothing listens on ch_port any more
"$PYTHON" "$PROXY" --upstream "127.0.0.1:$ch_port" \
	< /dev/null > "$T/proxy2.out" 2> "$T/proxy2.err" &
PROXY2_PID=$!
wait_until 10 "second proxy address" test -s "$T/proxy2.out"
P2="http://$(head -n 1 "$T/proxy2.out")"
sleep 0.2       # stdin EOF has been seen by now
http --data-binary 'SELECT 1' "$P2/"
[ "$RC" -eq 0 ] && [ "$CODE" = 502 ] || fail "upstream down: rc=$RC code=$CODE body='$BODY'"
ok "upstream down: 502 ($BODY)"
kill -TERM "$PROXY2_PID"
rc=0
wait "$PROXY2_PID" || rc=$?
PROXY2_PID=
[ "$rc" -eq 0 ] || fail "SIGTERM: exit status $rc"
ok "stdin EOF: kept serving; SIGTERM: exit 0"
