#!/usr/bin/env bash
# Integration: 200,000 generated ticks plus invalid messages over three
# partitions, through the real mock broker and ClickHouse server.  The table
# must hold exactly the valid ticks (count and per-symbol digest equal to
# the generator's expectation), every invalid message must be in the
# rejects table with its reason, the committed offsets must equal the end
# offsets, and SIGTERM must exit 0 within the drain deadline.
#
# The mock broker keeps at most 5 MiB per partition and silently drops the
# oldest data beyond that, read or not (40 MB over three partitions cannot
# all stay).  So the stream is produced in chunks while ticksink consumes,
# each chunk after the previous one landed, and after every chunk the test
# checks that the broker dropped nothing the group had not yet committed
# (low watermark 0, or at most the committed offset).  Commits are made
# every 200 ms here so that check is tight.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"

COUNT=${IT_COUNT:-200000}
INVALID_EVERY=100
CHUNK=20000
DRAIN_MS=20000
it_setup

start_ms=$(( $(date +%s) * 1000 - 3 * 3600 * 1000 ))
gen() { "$TICKGEN" --seed 42 --count "$COUNT" --invalid-every "$INVALID_EVERY" \
	--start-ms "$start_ms" "$@"; }
gen --expect > "$IT_DIR/expect.tsv"
total=$(( COUNT + COUNT / INVALID_EVERY ))

# Fail if the broker dropped messages the group had not committed.
check_no_unread_drop() {
	"$KAFKACHECK" -b "$BROKERS" -t "$IT_TOPIC" -g "$IT_GROUP" > "$IT_DIR/offsets"
	awk '$4 != 0 && $4 > $8 { exit 1 }' "$IT_DIR/offsets" ||
		fail "broker dropped unread data: $(cat "$IT_DIR/offsets")"
}

TICKSINK_KAFKA_AUTO_COMMIT_INTERVAL_MS=200 \
TICKSINK_SERVICE_DRAIN_TIMEOUT_MS=$DRAIN_MS ticksink_start
wait_until 30 "ticksink assigned all partitions" ticksink_assigned

t0=$(now_ms)
sent=0
while [ "$sent" -lt "$total" ]; do
	gen --skip "$sent" --limit "$CHUNK" > "$IT_DIR/chunk"
	produce "$IT_DIR/chunk"
	sent=$(( sent + $(wc -l < "$IT_DIR/chunk") ))
	wait_until 60 "$sent messages landed" landed_at_least "$sent"
	check_no_unread_drop
done
elapsed=$(( $(now_ms) - t0 ))
echo "landed $total messages in ${elapsed} ms"

# Every message produced reached the broker.
high=$(awk '{ s += $6 } END { print s }' "$IT_DIR/offsets")
[ "$high" -eq "$total" ] || fail "broker holds $high messages, produced $total"

# Exactly the valid ticks, each once, with the expected values.
{
	printf 'valid\t%s\n' "$(table_count ticks_db)"
	ch_query "SELECT 'rejected', reason, count() FROM default.ticks_rejected
		GROUP BY reason ORDER BY reason FORMAT TSV"
	ch_query "SELECT 'symbol', symbol, count(), sum(timestamp_ms),
		sum(toInt64(round(price * 1000000))),
		sum(toInt64(round(volume * 100000000))), sum(received_at_ms)
		FROM default.ticks_db GROUP BY symbol ORDER BY symbol FORMAT TSV"
} > "$IT_DIR/actual.tsv"
diff "$IT_DIR/expect.tsv" "$IT_DIR/actual.tsv" ||
	fail "table contents differ from the generator's expectation"
dups=$(ch_query "SELECT count() - uniqExact(kafka_partition, kafka_offset)
	FROM default.ticks_db")
[ "$dups" -eq 0 ] || fail "$dups duplicate ticks"

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
"$KAFKACHECK" -b "$BROKERS" -t "$IT_TOPIC" -g "$IT_GROUP" > "$IT_DIR/offsets.2"
awk '$6 != $8 { exit 1 }' "$IT_DIR/offsets.2" ||
	fail "committed offsets differ from end offsets: $(cat "$IT_DIR/offsets.2")"
echo "ok: $(cat "$IT_DIR/offsets.2" | tr '\n' ' ')"
echo "ok: drain took ${TICKSINK_STOP_MS} ms"
