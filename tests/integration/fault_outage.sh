#!/usr/bin/env bash
# Fault (f): a ClickHouse outage longer than the memory bound can buffer.
# With max_buffer_bytes at 1 MiB, a chunk of 20,000 messages (about 1.8 MB
# as rows) arrives while ClickHouse is down: ticksink must pause
# consumption at the bound, hold its peak RSS under the bound plus a fixed
# overhead, resume when the server is back, and land everything exactly
# once.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"
. "$SRCDIR/tests/lib/stream.sh"

BOUND=1048576
# What a running ticksink needs besides the bound: libraries, librdkafka's
# fetch queue (queued.max.messages.kbytes 8192), curl, the decoder.
# Measured: 25 MiB peak in all.
OVERHEAD=$(( 32 * 1024 * 1024 ))
it_setup
stream_init 7 100000 100

TICKSINK_BATCH_MAX_BUFFER_BYTES=$BOUND TICKSINK_BATCH_MAX_BYTES=262144 \
TICKSINK_CLICKHOUSE_TIMEOUT_MS=3000 \
TICKSINK_KAFKA_AUTO_COMMIT_INTERVAL_MS=200 ticksink_start
wait_until 30 "ticksink assigned all partitions" ticksink_assigned
stream_chunk
stream_wait

ch_kill
echo "clickhouse killed"
stream_chunk
wait_until 60 "ticksink paused at the memory bound" \
	grep -q 'pausing consumption' "$IT_DIR/ticksink.log"
hwm_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$TICKSINK_PID/status")
echo "paused; peak RSS so far $(( hwm_kb / 1024 )) MiB (bound $(( BOUND / 1048576 )) MiB)"
ch_restart || fail "clickhouse did not restart"
echo "clickhouse restarted"
wait_until 60 "ticksink resumed" \
	grep -q 'resuming' "$IT_DIR/ticksink.log"
stream_wait 120
stream_all
hwm_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$TICKSINK_PID/status")
echo "peak RSS over the whole run $(( hwm_kb / 1024 )) MiB"
[ $(( hwm_kb * 1024 )) -le $(( BOUND + OVERHEAD )) ] ||
	fail "peak RSS ${hwm_kb} KiB over bound + overhead"
verify_drained
