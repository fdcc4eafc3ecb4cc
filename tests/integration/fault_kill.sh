#!/usr/bin/env bash
# Fault (d): SIGKILL of ticksink mid-stream, then a restart.
#
# The first instance commits nothing (auto-commit every 10 minutes), so
# when it is killed every row it landed is in ClickHouse with its offset
# uncommitted, and more rows are in flight.  The restarted instance reads
# all of it again from offset 0: its resume check must find the landed
# offsets and skip them, so each tick is still in the table exactly once.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"
. "$SRCDIR/tests/lib/stream.sh"

# The killed member holds its partitions until its session times out.
export TICKSINK_KAFKA_SESSION_TIMEOUT_MS=6000
export TICKSINK_KAFKA_HEARTBEAT_INTERVAL_MS=500
it_setup
stream_init 4 100000 100

TICKSINK_KAFKA_AUTO_COMMIT_INTERVAL_MS=600000 ticksink_start
wait_until 30 "ticksink assigned all partitions" ticksink_assigned
stream_chunk
stream_wait
stream_chunk
# Mid-stream: the second chunk is being consumed and inserted.
wait_until 30 "part of the second chunk landed" \
	landed_at_least $(( STREAM_CHUNK + 1000 ))
kill -KILL "$TICKSINK_PID"
wait "$TICKSINK_PID" 2>/dev/null || true
TICKSINK_PID=
before=$(( $(table_count ticks_db) + $(table_count ticks_rejected) ))
echo "killed with $before rows landed and no offset committed"

TICKSINK_KAFKA_AUTO_COMMIT_INTERVAL_MS=200 ticksink_start
stream_wait 60
stream_all
skipped=$(grep -o '[0-9]* messages from offset [0-9]* already in clickhouse' \
	"$IT_DIR/ticksink.log" | awk '{ s += $1 } END { print s + 0 }')
echo "resume check skipped $skipped messages already in clickhouse"
[ "$skipped" -ge "$before" ] ||
	fail "resume check skipped $skipped, but $before had landed"
verify_drained
