#!/usr/bin/env bash
# Fault (e): a second ticksink joins the consumer group mid-stream, takes
# some partitions (cooperative-sticky rebalance), and later leaves (SIGTERM,
# drain), handing them back.  On every move the old owner drops what it
# had not sent of a revoked partition and the new owner's resume check
# skips what already landed: every tick lands exactly once.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"
. "$SRCDIR/tests/lib/stream.sh"

# The mock coordinator moves partitions only when a member's session
# ends or it rejoins on a heartbeat: keep both short.
export TICKSINK_KAFKA_SESSION_TIMEOUT_MS=6000
export TICKSINK_KAFKA_HEARTBEAT_INTERVAL_MS=500
it_setup
second_pid=
trap '[ -z "$second_pid" ] || kill -KILL "$second_pid" 2>/dev/null; it_cleanup' EXIT
stream_init 9 100000 100

TICKSINK_KAFKA_AUTO_COMMIT_INTERVAL_MS=200 ticksink_start
wait_until 30 "first ticksink assigned all partitions" ticksink_assigned
stream_chunk
stream_wait

stream_chunk
TICKSINK_KAFKA_BROKERS=$BROKERS TICKSINK_KAFKA_TOPIC=$IT_TOPIC \
TICKSINK_KAFKA_GROUP=$IT_GROUP TICKSINK_CLICKHOUSE_URL=$CH_URL \
TICKSINK_KAFKA_AUTO_COMMIT_INTERVAL_MS=200 \
	"$TICKSINK" > "$IT_DIR/second.log" 2>&1 &
second_pid=$!
second_assigned() { grep -q 'kafka: assigned' "$IT_DIR/second.log"; }
wait_until 60 "the second ticksink got a partition" second_assigned
first_revoked() { [ "$(log_count 'kafka: revoked')" -ge 1 ]; }
wait_until 60 "the first ticksink gave a partition up" first_revoked
echo "rebalanced: second owns $(grep -c 'kafka: assigned' "$IT_DIR/second.log") partition(s)"
stream_wait 90
stream_chunk
stream_wait 90

kill -TERM "$second_pid"
status=0
wait "$second_pid" || status=$?
second_pid=
[ "$status" -eq 0 ] || fail "second ticksink exited $status"
echo "second ticksink left the group"
back() { [ "$(log_count 'kafka: assigned')" -gt "$IT_PARTITIONS" ]; }
wait_until 60 "the first ticksink took the partitions back" back
stream_all 90

verify_drained
