#!/usr/bin/env bash
# Integration: a backlog drained through the default (small) prefetch queue.
# 100,000 ticks plus invalid messages sit in 8 partitions (about 2.5 MB
# each, under the mock broker's 5 MiB) before ticksink starts with its
# defaults.  librdkafka's queue (queued.max.messages.kbytes = 1024) fills at
# once, so its fetcher stops and ticksink must wake it (reactor/kafka.c,
# kafka_wake_fetcher) by seeking a partition to its own position, and stop
# taking messages while every insert slot is busy (sink_saturated).
#   - everything lands exactly once, offsets committed: the seeks neither
#     skipped nor repeated a message;
#   - /metrics counted fetcher wake-ups (the path was taken);
#   - the backlog's last ticks batch closed because Kafka was read to its
#     end (ticksink_batches_total{reason="caught_up"}), not by its delay:
#     max_delay_ms is 5 s here, so that path could not come first;
#   - peak RSS (VmHWM) stays under 64 MB (a loose guard; bench/run measures).
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"
. "$SRCDIR/tests/lib/stream.sh"

IT_PARTITIONS=8
it_setup
stream_init 77 100000 200
stream_chunk "$STREAM_TOTAL"
check_no_unread_drop
echo "backlog: $STREAM_SENT messages in $IT_PARTITIONS partitions"

port=$(free_port)
TICKSINK_BATCH_MAX_DELAY_MS=5000 TICKSINK_HTTP_LISTEN=127.0.0.1:$port \
	ticksink_start
stream_wait 120
verify_exactly_once

curl -fsS "http://127.0.0.1:$port/metrics" >"$IT_DIR/metrics"
wakeups=$(awk '$1 == "ticksink_kafka_fetch_wakeups_total" { print $2 }' "$IT_DIR/metrics")
[ "${wakeups:-0}" -ge 1 ] || fail "no fetcher wake-up counted (${wakeups:-none})"
caught=$(awk '$1 == "ticksink_batches_total{reason=\"caught_up\"}" { print $2 }' "$IT_DIR/metrics")
[ "${caught:-0}" -ge 1 ] || fail "no batch closed at the backlog's end: $(grep batches_total "$IT_DIR/metrics" | tr '\n' ' ')"
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$TICKSINK_PID/status")
[ "$hwm" -lt 65536 ] || fail "peak RSS $hwm kB"
echo "ok: $wakeups fetcher wake-ups, $caught batch closed caught up, peak RSS $hwm kB"

ticksink_stop
[ "$TICKSINK_STATUS" -eq 0 ] || fail "ticksink exited $TICKSINK_STATUS"
verify_committed
