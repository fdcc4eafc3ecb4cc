#!/usr/bin/env bash
# Windows: a backlog reaches ClickHouse as streamed inserts of many batches
# (handlers/sink.c, reactor/ch.c ch_stream), here through the fault proxy.
#   1. A backlog of 60,000 ticks (8 partitions, batches of 1,000, windows
#      of 10,000 rows).  The first window is forwarded (the server takes it
#      whole) and never answered: ticksink's request times out, the
#      window's partitions are read again from Kafka, and the resume check
#      skips the rows that landed.
#   2. Another 60,000 as a backlog.  The first window is reset by the proxy
#      after it read the body: nothing landed; the partitions are read
#      again and land.
#   - Everything lands exactly once, and the group commits every offset;
#   - /metrics counts landed and failed windows, the log shows the re-reads
#     and the skip.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"
. "$SRCDIR/tests/lib/stream.sh"

IT_PARTITIONS=8
it_setup
trap 'proxy_stop; it_cleanup' EXIT
proxy_start
stream_init 12 120000 0		# no invalid messages: every insert is of ticks
port=$(free_port)
windows() { metric "$port" "ticksink_windows_total{result=\"$1\"}"; }

stream_chunk 60000
check_no_unread_drop
proxy_cmd "insert_only blackhole_after_forward 1"
CH_URL=$PROXY_URL TICKSINK_CLICKHOUSE_TIMEOUT_MS=3000 \
TICKSINK_BATCH_MAX_ROWS=1000 TICKSINK_BATCH_WINDOW_ROWS=10000 \
TICKSINK_KAFKA_AUTO_COMMIT_INTERVAL_MS=200 \
TICKSINK_HTTP_LISTEN=127.0.0.1:$port ticksink_start
# The rows are in the table before ticksink's request times out.
stream_wait 120
failed_at_least() { [ "$(windows failed)" -ge "$1" ]; }
wait_until 30 "the unanswered window to fail" failed_at_least 1
skipped() { [ "$(log_count 'already in clickhouse; they are skipped')" -ge 1 ]; }
wait_until 30 "the resume check to skip the window's rows" skipped
committed() {
	"$KAFKACHECK" -b "$BROKERS" -t "$IT_TOPIC" -g "$IT_GROUP" |
		awk '{ c += $8 } END { exit c == 60000 ? 0 : 1 }'
}
wait_until 30 "all 60000 offsets committed" committed
echo "ok: backlog 1 landed; windows landed $(windows landed), failed $(windows failed)"

proxy_cmd "insert_only reset 1"
stream_chunk 60000
stream_wait 120
[ "$(windows failed)" -ge 2 ] || fail "the reset window did not fail: $(windows failed)"
[ "$(windows landed)" -ge 2 ] || fail "windows landed: $(windows landed)"
[ "$(log_count 'again from')" -ge 2 ] || fail "no partition was read again"
echo "ok: backlog 2 landed; windows landed $(windows landed), failed $(windows failed)"

verify_drained
