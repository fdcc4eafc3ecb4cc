#!/usr/bin/env bash
# Integration: everything ticksink does in a run (start-up against
# ClickHouse, joining the group, consuming valid and invalid ticks,
# inserting into both tables, the drain) fits in the sandbox of
# systemd/ticksink.service.  ticksink runs under strace; tests/sandbox.py
# checks the trace against the unit's SystemCallFilter=,
# RestrictAddressFamilies=, MemoryDenyWriteExecute=, ProtectSystem=strict
# and ProcSubset=pid.  The unit cannot be run for real here (no systemd as
# PID 1), so this is how the hardening is shown not to break the service.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"

for tool in strace systemd-analyze python3; do
	command -v "$tool" > /dev/null ||
		{ echo "SKIP: $tool not found"; exit 77; }
done
it_setup

TRACE=$IT_DIR/strace
TICKSINK_KAFKA_BROKERS=$BROKERS \
TICKSINK_KAFKA_TOPIC=$IT_TOPIC \
TICKSINK_KAFKA_GROUP=$IT_GROUP \
TICKSINK_CLICKHOUSE_URL=$CH_URL \
	strace -f -qq -o "$TRACE" "$TICKSINK" >> "$IT_DIR/ticksink.log" 2>&1 &
STRACE_PID=$!
# strace does not pass signals on: signal (and later reap) its child.
wait_until 10 "ticksink under strace" pgrep -P "$STRACE_PID" > /dev/null
TICKSINK_PID=$(pgrep -P "$STRACE_PID")
wait_until 30 "ticksink assigned all partitions" ticksink_assigned
"$TICKGEN" --seed 3 --count 2000 --invalid-every 50 \
	--start-ms "$(( $(date +%s) * 1000 - 60000 ))" > "$IT_DIR/ticks"
produce "$IT_DIR/ticks"
wait_until 60 "2040 messages landed" landed_at_least 2040
kill -TERM "$TICKSINK_PID"
TICKSINK_PID=
status=0
wait "$STRACE_PID" || status=$?
[ "$status" -eq 0 ] || fail "ticksink under strace exited $status"
python3 "$SRCDIR/tests/sandbox.py" "$SRCDIR/systemd/ticksink.service" "$TRACE" ||
	fail "ticksink did something its unit forbids"
