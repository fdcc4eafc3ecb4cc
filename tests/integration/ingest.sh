#!/usr/bin/env bash
# Integration: 200,000 generated ticks plus invalid messages over three
# partitions, through the real mock broker and ClickHouse server.  The table
# must hold exactly the valid ticks (count and per-symbol digest equal to
# the generator's expectation), every invalid message must be in the
# rejects table with its reason, the committed offsets must equal the end
# offsets, and SIGTERM must exit 0 within the drain deadline.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"
. "$SRCDIR/tests/lib/stream.sh"

DRAIN_MS=20000
it_setup
stream_init 42 "${IT_COUNT:-200000}" 100

# Commits every 200 ms so the broker-drop check after each chunk is tight.
TICKSINK_KAFKA_AUTO_COMMIT_INTERVAL_MS=200 \
TICKSINK_SERVICE_DRAIN_TIMEOUT_MS=$DRAIN_MS ticksink_start
wait_until 30 "ticksink assigned all partitions" ticksink_assigned

t0=$(now_ms)
stream_all
echo "landed $STREAM_TOTAL messages in $(( $(now_ms) - t0 )) ms"
verify_exactly_once

# Every reject row names where it came from and keeps the raw bytes.
bad=$(ch_query "SELECT count() FROM default.ticks_rejected WHERE
	kafka_topic != '$IT_TOPIC' OR kafka_offset < 0 OR raw_size = 0 OR
	length(raw) = 0 OR detail = ''")
[ "$bad" -eq 0 ] || fail "$bad reject rows without origin, raw or detail"

# SIGTERM: exit 0 well within the drain deadline, offsets committed.
ticksink_stop
[ "$TICKSINK_STATUS" -eq 0 ] || fail "ticksink exited $TICKSINK_STATUS"
[ "$TICKSINK_STOP_MS" -lt "$DRAIN_MS" ] ||
	fail "drain took ${TICKSINK_STOP_MS} ms (deadline $DRAIN_MS)"
verify_committed
echo "ok: drain took ${TICKSINK_STOP_MS} ms"
