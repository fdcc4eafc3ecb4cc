# shellcheck shell=bash
# tests/lib/stream.sh - a generated tick stream through ticksink and the
# checks that it landed exactly once.  Source after common.sh.
#
#   stream_init SEED COUNT INVALID_EVERY   expectation from the generator
#   stream_chunk [N]                       produce the next N messages
#   stream_wait [SECS]                     wait until all sent have landed
#   stream_all                             the rest, chunk by chunk
#   verify_exactly_once                    tables == expectation, no dups
#   verify_committed                       group offsets == end offsets
#   verify_drained                         both, around a clean drain
#
# The mock broker keeps at most 5 MiB per partition and drops the oldest
# data beyond that, read or not, so the stream goes out in chunks of
# STREAM_CHUNK messages (about 4 MB), each after the previous one landed,
# and after each the broker must not have dropped anything the group had
# not committed yet (low watermark 0 or at most the committed offset).

: "${STREAM_CHUNK:=20000}"

stream_gen() {
	"$TICKGEN" --seed "$STREAM_SEED" --count "$STREAM_COUNT" \
		--invalid-every "$STREAM_INVALID" --start-ms "$STREAM_START_MS" "$@"
}

stream_init() {
	STREAM_SEED=$1 STREAM_COUNT=$2 STREAM_INVALID=$3
	# Hours ago, so no tick is in the future however long the stream.
	STREAM_START_MS=$(( $(date +%s) * 1000 - 3 * 3600 * 1000 ))
	STREAM_TOTAL=$(( STREAM_COUNT + (STREAM_INVALID > 0 ?
		STREAM_COUNT / STREAM_INVALID : 0) ))
	STREAM_SENT=0
	stream_gen --expect > "$IT_DIR/expect.tsv"
}

# Produce the next N (default STREAM_CHUNK) messages of the stream.
stream_chunk() {
	local n=${1:-$STREAM_CHUNK}
	stream_gen --skip "$STREAM_SENT" --limit "$n" > "$IT_DIR/chunk"
	produce "$IT_DIR/chunk"
	STREAM_SENT=$(( STREAM_SENT + $(wc -l < "$IT_DIR/chunk") ))
}

# Fail if the broker dropped messages that had not landed: a partition's
# low watermark must be at most its committed offset or one past its
# highest offset in the tables (the commit trails the landing by up to
# the auto-commit interval, and the broker may drop what landed since).
check_no_unread_drop() {
	"$KAFKACHECK" -b "$BROKERS" -t "$IT_TOPIC" -g "$IT_GROUP" \
		> "$IT_DIR/offsets" || fail "kafkacheck failed"
	ch_query "SELECT p, max(o) + 1 FROM (SELECT kafka_partition AS p,
	    kafka_offset AS o FROM default.ticks_db UNION ALL SELECT
	    kafka_partition, kafka_offset FROM default.ticks_rejected)
	    GROUP BY p" > "$IT_DIR/landed_ends" 2>/dev/null ||
		: > "$IT_DIR/landed_ends"	# no tables yet: nothing landed
	awk 'NR == FNR { end[$1] = $2; next }
	    $4 != 0 && $4 > $8 && $4 > end[$2] + 0 { exit 1 }' \
		"$IT_DIR/landed_ends" "$IT_DIR/offsets" ||
		fail "broker dropped unread data: $(cat "$IT_DIR/offsets")"
}

# Wait until everything sent so far landed (as ticks or rejects).
stream_wait() {
	wait_until "${1:-60}" "$STREAM_SENT messages landed" \
		landed_at_least "$STREAM_SENT"
	check_no_unread_drop
}

# Produce and land the rest of the stream.
stream_all() {
	while [ "$STREAM_SENT" -lt "$STREAM_TOTAL" ]; do
		stream_chunk
		stream_wait "${1:-60}"
	done
}

# The tables hold exactly the stream: every valid tick once with its
# values, every invalid message once under its reason.
verify_exactly_once() {
	local high dups
	check_no_unread_drop
	high=$(awk '{ s += $6 } END { print s }' "$IT_DIR/offsets")
	[ "$high" -eq "$STREAM_TOTAL" ] ||
		fail "broker holds $high messages, produced $STREAM_TOTAL"
	{
		printf 'valid\t%s\n' "$(table_count ticks_db)"
		ch_query "SELECT 'rejected', reason, count()
			FROM default.ticks_rejected GROUP BY reason ORDER BY reason
			FORMAT TSV"
		ch_query "SELECT 'symbol', symbol, count(), sum(timestamp_ms),
			sum(toInt64(round(price * 1000000))),
			sum(toInt64(round(volume * 100000000))), sum(received_at_ms)
			FROM default.ticks_db GROUP BY symbol ORDER BY symbol
			FORMAT TSV"
	} > "$IT_DIR/actual.tsv"
	diff "$IT_DIR/expect.tsv" "$IT_DIR/actual.tsv" ||
		fail "table contents differ from the generator's expectation"
	dups=$(ch_query "SELECT
		(SELECT count() - uniqExact(kafka_partition, kafka_offset)
			FROM default.ticks_db) +
		(SELECT count() - uniqExact(kafka_partition, kafka_offset)
			FROM default.ticks_rejected)")
	[ "$dups" -eq 0 ] || fail "$dups duplicate rows"
	echo "ok: exactly once: $(table_count ticks_db) ticks," \
		"$(table_count ticks_rejected) rejects, 0 duplicates"
}

# After ticksink stopped: the group committed every end offset.
verify_committed() {
	"$KAFKACHECK" -b "$BROKERS" -t "$IT_TOPIC" -g "$IT_GROUP" \
		> "$IT_DIR/offsets.end" || fail "kafkacheck failed"
	awk '$6 != $8 { exit 1 }' "$IT_DIR/offsets.end" ||
		fail "committed offsets differ from end offsets: $(cat "$IT_DIR/offsets.end")"
	echo "ok: committed == end: $(tr '\n' ' ' < "$IT_DIR/offsets.end")"
}

# The end of a stream test: the tables hold exactly the stream, ticksink
# drains on SIGTERM and exits 0, and the group committed every offset.
verify_drained() {
	verify_exactly_once
	ticksink_stop
	[ "$TICKSINK_STATUS" -eq 0 ] || fail "ticksink exited $TICKSINK_STATUS"
	verify_committed
}

# Start tools/faultproxy.py in front of the private ClickHouse; sets
# PROXY_URL, PROXY_PID, PROXY_IN and PROXY_OUT (its files are named $1,
# "proxy" by default, in IT_DIR).  Commands go through proxy_cmd.
proxy_start() {
	local name=${1:-proxy}
	mkfifo "$IT_DIR/$name.in"
	python3 "$SRCDIR/tools/faultproxy.py" --upstream "127.0.0.1:$CH_HTTP_PORT" \
		<> "$IT_DIR/$name.in" > "$IT_DIR/$name.out" 2> "$IT_DIR/$name.err" &
	PROXY_PID=$!
	exec {PROXY_IN}> "$IT_DIR/$name.in"
	PROXY_OUT=$IT_DIR/$name.out
	wait_until 10 "fault proxy address" test -s "$PROXY_OUT"
	PROXY_URL="http://$(head -n 1 "$PROXY_OUT")"
}

# Send one command to the fault proxy and wait for its "ok".
proxy_cmd() { helper_cmd proxy "$PROXY_IN" "$PROXY_OUT" "$@"; }

proxy_stop() {
	helper_stop "${PROXY_PID:-}"
	PROXY_PID=
}
