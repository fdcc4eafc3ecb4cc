#!/usr/bin/env bash
# Integration: a quiet market.  Three ticks arrive and then nothing more.
# They must land from the batch timer, max_delay_ms after the first of them
# was consumed, although no further message arrives (the replaced consumer
# only checked its batch when a message came, so these rows waited forever).
# The rows must not have been sent by anything but that timer: with
# max_rows at its default (32,768), three rows can only go out through the
# delay.  fetch.max.bytes is set below librdkafka's default
# message.max.bytes (1000000), which librdkafka refuses unless ticksink
# brings message.max.bytes down with it.
# Then the quiet itself: with four partitions and three ticks, one partition
# at least never gives a message, so its lag is unknown; ticksink may wake
# the fetcher for it (kafka_nudge_cb) for a second at most, not every 50 ms
# for as long as the market is quiet (it did, 19 seeks a second).
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"

DELAY_MS=1500
MARGIN_MS=1500
IT_PARTITIONS=4
it_setup

port=$(free_port)
wakeups() { metric "$port" ticksink_kafka_fetch_wakeups_total; }
TICKSINK_HTTP_LISTEN=127.0.0.1:$port TICKSINK_KAFKA_FETCH_MAX_BYTES=262144 \
TICKSINK_BATCH_MAX_DELAY_MS=$DELAY_MS ticksink_start
wait_until 30 "ticksink assigned all partitions" ticksink_assigned

now=$(( $(date +%s) * 1000 ))
"$TICKGEN" --seed 7 --count 3 --start-ms "$(( now - 1000 ))" > "$IT_DIR/three"
t0=$(now_ms)
produce "$IT_DIR/three"
wait_until 30 "three quiet ticks landed" table_count_is ticks_db 3
took=$(( $(now_ms) - t0 ))
echo "three ticks landed ${took} ms after they were produced"
[ "$took" -ge "$DELAY_MS" ] ||
	fail "landed after ${took} ms, before max_delay_ms=${DELAY_MS}: not the timer"
[ "$took" -le $(( DELAY_MS + MARGIN_MS )) ] ||
	fail "landed after ${took} ms, more than max_delay_ms + ${MARGIN_MS} ms"
[ "$(log_count 'drain')" -eq 0 ] || fail "a drain flushed the rows, not the timer"

w0=$(wakeups)
sleep 3
w1=$(wakeups)
echo "fetcher wake-ups in 3 s of quiet: $(( w1 - w0 ))"
[ $(( w1 - w0 )) -le 20 ] || fail "$(( w1 - w0 )) fetcher wake-ups in 3 s of quiet"

ticksink_stop
[ "$TICKSINK_STATUS" -eq 0 ] || fail "ticksink exited $TICKSINK_STATUS"
