#!/usr/bin/env bash
# Failover: [clickhouse] url lists two endpoints, two fault proxies in
# front of the one private ClickHouse server.  Requests go to the first
# while it answers; once it is gone they go to the second; when the second
# answers 503, or 500 with a ZooKeeper error code, they go round to the
# (still dead) first and back.  A restart
# with the first one still dead starts on the second.  Every tick lands
# exactly once and the group commits to the end.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"
. "$SRCDIR/tests/lib/stream.sh"

it_setup
trap 'helper_stop "${A_PID:-}"; proxy_stop; it_cleanup' EXIT
proxy_start a
A_URL=$PROXY_URL A_PID=$PROXY_PID A_IN=$PROXY_IN A_OUT=$PROXY_OUT
proxy_start b
stream_init 7 80000 100

port=$(free_port)
forwarded() {	# $1 = the proxy's stdout, after a "stats" reply
	tail -n 1 "$1" | sed -n 's/.* forwarded=\([0-9]*\).*/\1/p'
}
start() {
	CH_URL="$A_URL, $PROXY_URL" TICKSINK_CLICKHOUSE_TIMEOUT_MS=5000 \
	TICKSINK_HTTP_LISTEN=127.0.0.1:$port \
	TICKSINK_KAFKA_AUTO_COMMIT_INTERVAL_MS=200 ticksink_start
}

start
wait_until 30 "ticksink assigned all partitions" ticksink_assigned
stream_chunk
stream_wait
helper_cmd proxy-a "$A_IN" "$A_OUT" stats
proxy_cmd stats
echo "first endpoint forwarded $(forwarded "$A_OUT"), second $(forwarded "$PROXY_OUT")"
[ "$(forwarded "$A_OUT")" -gt 0 ] || fail "nothing went to the first endpoint"
[ "$(forwarded "$PROXY_OUT")" -eq 0 ] ||
	fail "the second endpoint was used while the first answered"
[ "$(metric "$port" ticksink_clickhouse_endpoint)" -eq 0 ] ||
	fail "endpoint gauge $(metric "$port" ticksink_clickhouse_endpoint), expected 0"

# The first endpoint goes away for good.
helper_stop "$A_PID"
A_PID=
stream_chunk
stream_wait 90
[ "$(log_count "$A_URL did not answer")" -ge 1 ] ||
	fail "no failover logged"
[ "$(metric "$port" ticksink_clickhouse_endpoint)" -eq 1 ] ||
	fail "endpoint gauge $(metric "$port" ticksink_clickhouse_endpoint), expected 1"
echo "ok: failed over: $(grep -m 1 'did not answer' "$IT_DIR/ticksink.log")"

# The second one answers 503 to two inserts, then 500 with "Code: 999"
# (KEEPER_EXCEPTION, as from a replica without ZooKeeper): each time
# requests go round through the dead first and back.
for fault in "insert_only error503 2" "insert_only error500 2"; do
	switches=$(metric "$port" ticksink_clickhouse_endpoint_switches_total)
	proxy_cmd "$fault"
	stream_chunk
	stream_wait 90
	after=$(metric "$port" ticksink_clickhouse_endpoint_switches_total)
	[ "$after" -ge $(( switches + 2 )) ] ||
		fail "switches $switches -> $after through '$fault', expected 2 more"
	[ "$(metric "$port" ticksink_clickhouse_endpoint)" -eq 1 ] ||
		fail "endpoint gauge $(metric "$port" ticksink_clickhouse_endpoint), expected 1"
	echo "ok: through '$fault', switches $switches -> $after"
done

# A restart while the first endpoint is still dead starts on the second.
ticksink_stop
[ "$TICKSINK_STATUS" -eq 0 ] || fail "ticksink exited $TICKSINK_STATUS"
: > "$IT_DIR/ticksink.log"
start
stream_all 90
[ "$(log_count "$A_URL did not answer")" -ge 1 ] ||
	fail "the restart did not log leaving the first endpoint"
verify_drained
