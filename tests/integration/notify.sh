#!/usr/bin/env bash
# Integration: ticksink under a test harness that plays systemd.
# tests/sdnotify.py binds the NOTIFY_SOCKET datagram socket and records every
# message with its arrival time; WATCHDOG_USEC asks for a ping every second.
# The scenario, against the real ClickHouse server and the mock broker:
#
#   A. READY=1 exactly once, after the consumer got its partitions (which
#      happens only after ClickHouse answered), with EXTEND_TIMEOUT_USEC
#      before it while starting; WATCHDOG=1 every 1000 ms.
#   B. A quiet upstream, twice as long as stall_timeout_ms: the pings go on.
#   C. The ticks table is detached while ticks wait: rows are consumed but
#      cannot land, so after stall_timeout_ms the pings stop (and STATUS=
#      says why), and none comes while the stall lasts.
#   D. The table is attached again: everything lands, the pings resume.
#   E. The table is detached again, ticks wait, SIGTERM: STOPPING=1; the
#      table comes back during the drain, the rows land, ticksink asks for
#      more time (EXTEND_TIMEOUT_USEC) as the drain makes progress, and
#      exits 0 with every tick in the table.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"

WD_USEC=2000000		# systemd would ping-check every 2 s ...
PING_MS=1000		# ... so ticksink pings every 1 s
STALL_MS=3000
STATUS_MS=500
DRAIN_MS=30000

command -v python3 > /dev/null || { echo "SKIP: python3 not found"; exit 77; }
it_setup

NOTIFY_LOG=$IT_DIR/notify.log
SDNOTIFY_PID=
sdn() { python3 "$SRCDIR/tests/sdnotify.py" "$@"; }
cleanup() {
	if [ -n "$SDNOTIFY_PID" ]; then
		kill -TERM "$SDNOTIFY_PID" 2>/dev/null || true
		wait "$SDNOTIFY_PID" 2>/dev/null || true
	fi
	it_cleanup
}
trap cleanup EXIT

# Number of messages starting with $1 after time $2 (ms).
n_since() { sdn count "$NOTIFY_LOG" "$1" "$2"; }
# True once at least $3 messages starting with $1 came after time $2.
has_since() { [ "$(n_since "$1" "$2")" -ge "$3" ]; }
# The last STATUS= line.
last_status() { grep ' STATUS=' "$NOTIFY_LOG" | tail -n 1 | cut -d' ' -f2-; }
# True once more than $1 inserts failed.
inserts_failed_since() { [ "$(log_count 'insert .* failed')" -gt "$1" ]; }
# True once a STATUS= line after time $1 reports rows held (buffered).
holds_rows_since() {
	awk -v t="$1" '$1 > t && $2 ~ /^STATUS=/ && !/buffered 0 B/ { f = 1 }
	    END { exit !f }' "$NOTIFY_LOG"
}
# Line number of the first log line matching $1 (0 if none).
log_line() { awk -v re="$1" '$0 ~ re { print NR; found = 1; exit }
	END { if (!found) print 0 }' "$IT_DIR/ticksink.log"; }
# Slices of one stream of 5800 generated ticks.
gen() { "$TICKGEN" --seed 11 --count 5800 --start-ms "$start_ms" "$@"; }

python3 "$SRCDIR/tests/sdnotify.py" record "$IT_DIR/notify.sock" \
	"$NOTIFY_LOG" > "$IT_DIR/sdnotify.out" 2>&1 &
SDNOTIFY_PID=$!
wait_until 10 "the notify socket" test -S "$IT_DIR/notify.sock"
touch "$NOTIFY_LOG"

start_ms=$(( $(date +%s) * 1000 - 60000 ))
NOTIFY_SOCKET=$IT_DIR/notify.sock \
WATCHDOG_USEC=$WD_USEC \
TICKSINK_SERVICE_STALL_TIMEOUT_MS=$STALL_MS \
TICKSINK_SERVICE_STATUS_INTERVAL_MS=$STATUS_MS \
TICKSINK_SERVICE_DRAIN_TIMEOUT_MS=$DRAIN_MS \
TICKSINK_BATCH_MAX_ROWS=100 \
	ticksink_start

# A. Ready once assigned; the pings' cadence.
wait_until 30 "READY=1" has_since READY=1 0 1
if grep -q 'built without libsystemd' "$IT_DIR/ticksink.log"; then
	echo "SKIP: ticksink was built without libsystemd"
	exit 77
fi
ready_ms=$(sdn first "$NOTIFY_LOG" READY=1)
assigned=$(log_line 'kafka: assigned')
chready=$(log_line 'tables .* ready')
readyline=$(log_line 'systemd: ready')
[ "$chready" -gt 0 ] && [ "$assigned" -gt "$chready" ] &&
	[ "$readyline" -gt "$assigned" ] ||
	fail "READY=1 not after 'clickhouse ready' and 'kafka: assigned'" \
		"(log lines $chready, $assigned, $readyline)"
gen --limit 5000 > "$IT_DIR/a"
produce "$IT_DIR/a"
wait_until 60 "5000 ticks landed" table_count_is ticks_db 5000
wait_until 30 "5 pings after READY" has_since WATCHDOG=1 "$ready_ms" 5
read -r n lo hi hole <<< "$(sdn gaps "$NOTIFY_LOG" WATCHDOG=1 "$ready_ms" "$(now_ms)")"
echo "A: $n pings after READY=1, every $lo-$hi ms"
[ "$lo" -ge $(( PING_MS * 8 / 10 )) ] && [ "$hi" -le $(( PING_MS * 13 / 10 )) ] ||
	fail "pings every $lo-$hi ms, expected about $PING_MS ms"

# B. Quiet: nothing to consume for twice the stall timeout.
quiet_ms=$(now_ms)
wait_until 30 "pings through a quiet period" \
	has_since WATCHDOG=1 "$quiet_ms" $(( 2 * STALL_MS / PING_MS + 1 ))
now=$(now_ms)
read -r n lo hi hole <<< "$(sdn gaps "$NOTIFY_LOG" WATCHDOG=1 "$quiet_ms" "$now")"
echo "B: quiet for $(( now - quiet_ms )) ms: $n pings, longest hole $hole ms"
[ "$hole" -le $(( PING_MS * 13 / 10 )) ] ||
	fail "a quiet upstream stopped the pings for $hole ms"
[ "$(log_count 'watchdog pings stop')" -eq 0 ] ||
	fail "a quiet upstream was called unhealthy"
last_status | grep -q '^STATUS=idle: ' ||
	fail "quiet, but STATUS says: $(last_status)"

# C. Stall: ticks wait, the table cannot take them.
ch_query "DETACH TABLE default.ticks_db" > /dev/null
gen --skip 5000 --limit 500 > "$IT_DIR/c"
stall_ms=$(now_ms)
produce "$IT_DIR/c"
wait_until 30 "the pings to stop" grep -q 'watchdog pings stop' \
	"$IT_DIR/ticksink.log"
stop_ms=$(now_ms)
last_ping=$(sdn last "$NOTIFY_LOG" WATCHDOG=1 "$stop_ms")
echo "C: stalled at +0 ms, last ping at +$(( last_ping - stall_ms )) ms," \
	"stop logged at +$(( stop_ms - stall_ms )) ms"
[ $(( last_ping - stall_ms )) -ge $(( STALL_MS - PING_MS - 300 )) ] ||
	fail "pings stopped $(( last_ping - stall_ms )) ms into the stall," \
		"before stall_timeout_ms=$STALL_MS"
wait_until 30 "STATUS= while stalled" has_since STATUS= "$stop_ms" 6
now=$(now_ms)
n=$(n_since WATCHDOG=1 "$stop_ms")
echo "C: $n pings in the $(( now - stop_ms )) ms after the stall was seen"
[ "$n" -eq 0 ] || fail "$n pings while stalled"
[ $(( now - stop_ms )) -ge $(( 2 * PING_MS )) ] ||
	fail "stall observed for only $(( now - stop_ms )) ms"
last_status | grep -q '^STATUS=stalled (watchdog stopped): .*clickhouse ok' ||
	fail "stalled, but STATUS says: $(last_status)"

# D. Recovery.
ch_query "ATTACH TABLE default.ticks_db" > /dev/null
attach_ms=$(now_ms)
wait_until 90 "5500 ticks landed" table_count_is ticks_db 5500
wait_until 30 "pings to resume" has_since WATCHDOG=1 "$attach_ms" 2
grep -q 'watchdog pings resume' "$IT_DIR/ticksink.log" ||
	fail "recovery not logged"
echo "D: table back, all rows landed, pings resumed"

# E. A drain that waits for ClickHouse, then makes progress.
ch_query "DETACH TABLE default.ticks_db" > /dev/null
failed_before=$(log_count 'insert .* failed')
gen --skip 5500 --limit 300 > "$IT_DIR/e"
e_ms=$(now_ms)
produce "$IT_DIR/e"
wait_until 30 "rows held while the table is away" holds_rows_since "$e_ms"
wait_until 30 "an insert to fail" inserts_failed_since "$failed_before"
term_ms=$(now_ms)
kill -TERM "$TICKSINK_PID"
# "since" counts strictly later messages; STOPPING=1 may come within the
# same millisecond as term_ms.
wait_until 10 "STOPPING=1" has_since STOPPING=1 "$(( term_ms - 1 ))" 1
ch_query "ATTACH TABLE default.ticks_db" > /dev/null
TICKSINK_STATUS=0
wait "$TICKSINK_PID" || TICKSINK_STATUS=$?
TICKSINK_PID=
stopped_ms=$(now_ms)
echo "E: drained in $(( stopped_ms - term_ms )) ms, exit $TICKSINK_STATUS"
[ "$TICKSINK_STATUS" -eq 0 ] || fail "ticksink exited $TICKSINK_STATUS"
table_count_is ticks_db 5800 ||
	fail "after the drain the table holds $(table_count ticks_db) ticks, not 5800"
stopping_ms=$(sdn first "$NOTIFY_LOG" STOPPING=1)
has_since EXTEND_TIMEOUT_USEC= "$stopping_ms" 1 ||
	fail "no EXTEND_TIMEOUT_USEC while the drain made progress"
# Before READY=1 (no watchdog yet) the start-up is extended while healthy;
# between READY=1 and STOPPING=1 there is nothing to extend.
[ "$(sdn count "$NOTIFY_LOG" EXTEND_TIMEOUT_USEC= 0 "$ready_ms")" -ge 1 ] ||
	fail "no EXTEND_TIMEOUT_USEC during start-up"
[ "$(sdn count "$NOTIFY_LOG" EXTEND_TIMEOUT_USEC= "$ready_ms" \
    "$(( stopping_ms - 1 ))")" -eq 0 ] ||
	fail "EXTEND_TIMEOUT_USEC while running"

# The whole conversation, in order.
[ "$(n_since READY=1 0)" -eq 1 ] || fail "READY=1 sent $(n_since READY=1 0) times"
[ "$(n_since STOPPING=1 0)" -eq 1 ] || fail "STOPPING=1 sent more than once"
[ "$ready_ms" -lt "$stopping_ms" ] || fail "STOPPING=1 before READY=1"
echo "--- notify sequence (STATUS= shown when its state changes) ---"
sdn sequence "$NOTIFY_LOG"
