#!/usr/bin/env bash
# Integration: hostile messages against the real peers (issue 7 §3), with
# the secrets check of §5 on the same run.
#
# ROUNDS rounds of bad_input.py's mix (malformed JSON, 10,000 levels of
# nesting, a 1 MiB value, invalid UTF-8, NaN/Infinity/1e400, duplicate
# keys, nulls, wrong types, empty values, tombstones, keys only, binary
# garbage, odd valid and invalid ISO times) interleaved with valid ticks.
# After every round: all valid ticks landed, every bad message is in the
# rejects table under its reason, ticksink is still running.  VmRSS after
# the last round may exceed the one after round 2 by at most RSS_SLACK_KB.
#
# ticksink runs as user 'ticksink' with its password in password_file and
# a secret librdkafka passthrough property (sasl.password); neither may
# appear in the log, --check-config, /proc/PID/cmdline or /proc/PID/environ.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"

ROUNDS=${ROUNDS:-12}
RSS_SLACK_KB=${RSS_SLACK_KB:-16384}
PASSWORD='Ch-pw-Bad1nput-7Xq'
SASL='Sasl-s3cret-Bad1nput-Zk'
export CH_PASSWORD=$PASSWORD
it_setup
unset CH_PASSWORD

printf '%s\n' "$PASSWORD" > "$IT_DIR/password"
chmod 0600 "$IT_DIR/password"
cat > "$IT_DIR/ticksink.ini" <<INI
[kafka]
sasl.password = $SASL
[clickhouse]
user = ticksink
password_file = $IT_DIR/password
[batch]
max_delay_ms = 50
INI

no_secret_in() {
	if grep -a -q -e "$PASSWORD" -e "$SASL" "$1"; then
		fail "a secret appears in $2"
	fi
}

"$TICKSINK" --config "$IT_DIR/ticksink.ini" --check-config > "$IT_DIR/check" 2>&1 ||
	fail "--check-config: $(cat "$IT_DIR/check")"
grep -q '^sasl.password = \*\*\*\*\*\*\*\*$' "$IT_DIR/check" ||
	fail "--check-config does not mask sasl.password"
no_secret_in "$IT_DIR/check" "--check-config"

ticksink_start --config "$IT_DIR/ticksink.ini"
wait_until 30 "ticksink assigned all partitions" ticksink_assigned
tr '\0' '\n' < "/proc/$TICKSINK_PID/cmdline" > "$IT_DIR/cmdline"
tr '\0' '\n' < "/proc/$TICKSINK_PID/environ" > "$IT_DIR/environ"
no_secret_in "$IT_DIR/cmdline" "/proc/PID/cmdline"
no_secret_in "$IT_DIR/environ" "/proc/PID/environ"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$TICKSINK_PID/status"; }
alive() { kill -0 "$TICKSINK_PID" 2> /dev/null; }
rejects_total() { ch_query "SELECT count() FROM default.ticks_rejected"; }
landed_both() {
	[ "$(table_count ticks_db 2> /dev/null || echo -1)" -eq "$1" ] &&
	    [ "$(rejects_total 2> /dev/null || echo -1)" -eq "$2" ]
}

: > "$IT_DIR/expected"
want_ok=0 want_bad=0
for r in $(seq 1 "$ROUNDS"); do
	python3 "$SRCDIR/tests/hostile/bad_input.py" "$r" "$(now_ms)" \
		"$IT_DIR/round" >> "$IT_DIR/expected"
	kcat -P -b "$BROKERS" -t "$IT_TOPIC" -D '\x1e' -K '\x1f' -Z \
		-X message.max.bytes=4000000 < "$IT_DIR/round" ||
		fail "kcat could not produce round $r"
	want_ok=$(awk '$2 == "ok"' "$IT_DIR/expected" | wc -l)
	want_bad=$(awk '$2 != "ok"' "$IT_DIR/expected" | wc -l)
	wait_until 60 "round $r: $want_ok ticks and $want_bad rejects" \
		landed_both "$want_ok" "$want_bad"
	alive || fail "ticksink died in round $r"
	[ "$r" -eq 2 ] && rss_early=$(rss_kb)
done
rss_late=$(rss_kb)

# Every reason, with its count, exactly as expected.
awk '$2 != "ok" { print $2 }' "$IT_DIR/expected" | sort | uniq -c |
	awk '{ print $2 "\t" $1 }' > "$IT_DIR/reasons.want"
ch_query "SELECT reason, count() FROM default.ticks_rejected GROUP BY reason
	ORDER BY reason" > "$IT_DIR/reasons.got"
diff -u "$IT_DIR/reasons.want" "$IT_DIR/reasons.got" ||
	fail "rejects by reason differ from what was sent"
bad=$(ch_query "SELECT count() FROM default.ticks_rejected WHERE detail = ''
	OR kafka_topic != '$IT_TOPIC'")
[ "$bad" -eq 0 ] || fail "$bad reject rows without a detail or origin"
big=$(ch_query "SELECT max(raw_size), max(length(raw)) FROM default.ticks_rejected")
echo "largest reject: raw_size, kept bytes = $big"
# The valid ticks, each exactly once.
dup=$(ch_query "SELECT count() - uniqExact(symbol) FROM default.ticks_db")
[ "$dup" -eq 0 ] || fail "$dup duplicate ticks"

echo "VmRSS after round 2: $rss_early kB, after round $ROUNDS: $rss_late kB"
[ $(( rss_late - rss_early )) -le "$RSS_SLACK_KB" ] ||
	fail "RSS grew by $(( rss_late - rss_early )) kB over $(( ROUNDS - 2 )) rounds"

ticksink_stop
[ "$TICKSINK_STATUS" -eq 0 ] || fail "ticksink exited $TICKSINK_STATUS"
no_secret_in "$IT_DIR/ticksink.log" "the log"
echo "ok: $want_ok ticks, $want_bad rejects over $ROUNDS rounds; no secret in the log, argv, environment or --check-config"
cat "$IT_DIR/reasons.got"
