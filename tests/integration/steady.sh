#!/usr/bin/env bash
# Integration: the steady state.  bench/steady.py writes 1,000 ticks a
# second for 6 s, each stamped with the time it was written, and polls
# ClickHouse until every one is there.  Once a batch closed by its delay
# told ticksink the feed's rate, it leaves the messages that come while a
# batch is open in librdkafka's queue until the batch's deadline
# (kafka_defer): the counter of deferred reads must grow, and every tick
# must still land within max_delay_ms and a margin of being written.  A
# tick read at the deadline but put in the next batch would be a whole
# delay later than that.
# Then the drain: one tick opens a batch, ten more come while it is open
# and are left queued, and a SIGTERM comes before the batch's deadline.
# The drain must read them into its last batch: every tick lands and the
# group's committed offsets reach the end of every partition.
# The broker is librdkafka's mock, which holds a fetch that finds nothing
# for the whole of fetch.wait.max.ms even when messages come meanwhile:
# 20 ms, as in bench/run, stands for a real broker's early answer.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"

DELAY_MS=1000
MARGIN_MS=400
RATE=1000
SECS=6
it_setup

port=$(free_port)
deferred() { metric "$port" ticksink_kafka_reads_deferred_total; }
printf '[kafka]\nfetch.wait.max.ms = 20\n' > "$IT_DIR/steady.ini"
TICKSINK_HTTP_LISTEN=127.0.0.1:$port TICKSINK_BATCH_MAX_DELAY_MS=$DELAY_MS \
	ticksink_start --config "$IT_DIR/steady.ini"
wait_until 30 "ticksink assigned all partitions" ticksink_assigned
ticks_table() { [[ $(ch_query "EXISTS TABLE default.ticks_db") == 1 ]]; }
wait_until 30 "the ticks table" ticks_table

out=$(python3 "$SRCDIR/bench/steady.py" "$BROKERS" "$IT_TOPIC" "$CH_URL" \
	default.ticks_db "$RATE" "$SECS" 20) || fail "steady.py: $out"
echo "steady, $RATE ticks/s for $SECS s, max_delay_ms $DELAY_MS: $out"
read -r _ sent _ seen _ p50 _ p90 _ p99 _ pmax <<< "$out"
[ "$seen" -eq $(( RATE * SECS )) ] || fail "$seen of $(( RATE * SECS )) ticks seen"
[ "$p99" -le $(( DELAY_MS + MARGIN_MS )) ] ||
	fail "p99 ${p99} ms, more than max_delay_ms + ${MARGIN_MS} ms"
d0=$(deferred)
echo "reads deferred: $d0"
[ "$d0" -gt 0 ] || fail "no read was deferred in the steady state"

# The drain with a batch's messages left queued.
now=$(( $(date +%s) * 1000 ))
"$TICKGEN" --seed 11 --count 11 --start-ms "$(( now - 1000 ))" > "$IT_DIR/eleven"
head -n 1 "$IT_DIR/eleven" > "$IT_DIR/first"
tail -n +2 "$IT_DIR/eleven" > "$IT_DIR/ten"
consumed() { metric "$port" ticksink_messages_consumed_total; }
c0=$(consumed)
produce "$IT_DIR/first"
opened() { [ "$(consumed)" -gt "$c0" ]; }
wait_until 10 "the first tick read" opened
produce "$IT_DIR/ten"
left() { [ "$(deferred)" -gt "$d0" ]; }
wait_until 10 "the ten ticks left queued" left
[ "$(table_count ticks_db)" -eq "$sent" ] ||
	fail "the batch of the eleven was sent before the SIGTERM"
ticksink_stop
[ "$TICKSINK_STATUS" -eq 0 ] || fail "ticksink exited $TICKSINK_STATUS"
[ "$(table_count ticks_db)" -eq $(( sent + 11 )) ] ||
	fail "$(table_count ticks_db) ticks landed, $(( sent + 11 )) produced"
dups=$(ch_query "SELECT count() - uniqExact(kafka_partition, kafka_offset) FROM default.ticks_db")
[ "$dups" -eq 0 ] || fail "$dups ticks landed twice"
"$KAFKACHECK" -b "$BROKERS" -t "$IT_TOPIC" -g "$IT_GROUP" > "$IT_DIR/offsets"
awk '$8 != $6 { bad = 1 } END { exit bad }' "$IT_DIR/offsets" ||
	fail "committed offsets short of the end: $(cat "$IT_DIR/offsets")"
echo "ok: the drain read the ten queued ticks; all $(( sent + 11 )) landed and committed"
