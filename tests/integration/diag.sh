#!/usr/bin/env bash
# Integration: the diagnostics heartbeat, monitoring events, retention and
# /metrics against the real ClickHouse server (18.16) and the mock broker.
#
# A generated stream (received_at = timestamp + 5..300 ms) goes through
# ticksink with a 1 s heartbeat.  Then:
#   - the heartbeat rows cover every landed tick exactly once (sum of
#     message_count == rows in ticks_db), windows are contiguous and their
#     recorded length is end - start;
#   - the average websocket lag over the rows equals the one computed from
#     the generated file (within 1 ms), the processing lag equals the one
#     computed from the ticks table (within 1 ms);
#   - events come once per episode: "System started", one websocket lag
#     spike (threshold 4 ms, below every tick's lag of 5 to 301 ms, so no
#     window with ticks can end the episode: with 100 ms, a window holding
#     only a few ticks averaged under it now and then and began a second
#     episode), one processing
#     spike (the ticks are hours old), one "Upstream quiet" after
#     empty_limit heartbeats, one "ClickHouse unreachable" and one
#     "ClickHouse recovered" around a server kill, "System closing" at exit;
#   - retention drops a backdated partition and keeps today's rows;
#   - /metrics passes promtool and its counters equal the tables.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"

COUNT=${IT_COUNT:-20000}
BAD=5
EMPTY_LIMIT=5
it_setup

port=$(free_port)
METRICS="http://127.0.0.1:$port"

start_ms=$(( $(date +%s) * 1000 - 3 * 3600 * 1000 ))
"$TICKGEN" --seed 5 --count "$COUNT" --start-ms "$start_ms" > "$IT_DIR/stream"
for i in $(seq "$BAD"); do echo "not json $i"; done >> "$IT_DIR/stream"

# The expectation, from the generated file alone: count and the average
# of received_at - timestamp in milliseconds (both truncated to ms, as
# ticksink stores them).
python3 - "$IT_DIR/stream" > "$IT_DIR/expect" <<'EOF'
import json, sys
from datetime import datetime
n = s = 0
for line in open(sys.argv[1]):
    try:
        t = json.loads(line)
    except ValueError:
        continue
    r = datetime.fromisoformat(t["received_at"])
    r_ms = int(r.timestamp() * 1000000) // 1000
    n += 1
    s += r_ms - t["timestamp_ms"]
print(n, "%.6f" % (s / n))
EOF
read -r exp_n exp_ws < "$IT_DIR/expect"
echo "expected from the file: $exp_n ticks, websocket lag $exp_ws ms"

TICKSINK_DIAGNOSTICS_HEARTBEAT_S=1 \
TICKSINK_DIAGNOSTICS_WS_LAG_THRESHOLD_MS=4 \
TICKSINK_DIAGNOSTICS_EMPTY_LIMIT=$EMPTY_LIMIT \
TICKSINK_DIAGNOSTICS_RETENTION_INTERVAL_S=1 \
TICKSINK_HTTP_LISTEN=127.0.0.1:$port \
TICKSINK_CLICKHOUSE_TIMEOUT_MS=2000 \
	ticksink_start
wait_until 30 "ticksink assigned all partitions" ticksink_assigned
curl -fsS "$METRICS/readyz" | grep -q '^ready' || fail "/readyz not ready"
curl -fsS "$METRICS/healthz" | grep -q '^ok' || fail "/healthz not ok"

# Quiet episodes before the stream (joining the group takes seconds) may
# have been recorded; the one after it must be exactly one more.
ev_count() { ch_query "SELECT count() FROM default.monitoring_db WHERE event = '$1'"; }
ev_is() { [ "$(ev_count "$1")" -eq "$2" ]; }
quiet0=$(ev_count "Upstream quiet")
# In four parts, two heartbeats apart, so the ticks spread over windows.
split -n l/4 -d "$IT_DIR/stream" "$IT_DIR/part."
sent=0
for part in "$IT_DIR"/part.*; do
	produce "$part"
	sent=$(( sent + $(wc -l < "$part") ))
	wait_until 60 "$sent messages landed" landed_at_least "$sent"
	beats=$(table_count uptime_db)
	two_beats() { [ "$(table_count uptime_db)" -ge $(( beats + 2 )) ]; }
	wait_until 20 "two heartbeats" two_beats
done
[ "$(table_count ticks_db)" -eq "$exp_n" ] || fail "ticks_db holds $(table_count ticks_db), expected $exp_n"

# Heartbeats cover every landed tick (the last rows need a window or two).
hb_sum() { ch_query "SELECT sum(message_count) FROM default.websocket_diagnostics"; }
hb_covers() { [ "$(hb_sum)" -eq "$exp_n" ]; }
wait_until 20 "heartbeats cover all $exp_n ticks" hb_covers

q() { ch_query "$1"; }
for t in processing_diagnostics uptime_db; do
	s=$(q "SELECT sum(message_count) FROM default.$t")
	[ "$s" -ge "$exp_n" ] || fail "$t counts $s ticks, expected $exp_n"
done
proc_sum=$(q "SELECT sum(message_count) FROM default.processing_diagnostics WHERE window_end_ms <= (SELECT max(window_end_ms) FROM default.websocket_diagnostics)")
[ "$proc_sum" -eq "$exp_n" ] || fail "processing_diagnostics counts $proc_sum"
# Windows follow each other: every start but the first is an earlier end,
# and the recorded length is end - start.
gaps=$(q "SELECT count() FROM default.uptime_db WHERE window_start_ms NOT IN (SELECT window_end_ms FROM default.uptime_db)")
[ "$gaps" -eq 1 ] || fail "$gaps uptime windows do not start where one ended"
badlen=$(q "SELECT count() FROM default.uptime_db WHERE window_ms != window_end_ms - window_start_ms OR window_ms <= 0 OR toInt64(window_end) * 1000 != window_end_ms")
[ "$badlen" -eq 0 ] || fail "$badlen windows with a wrong length or end"
up=$(q "SELECT countIf(is_up = 1), countIf(is_up = 0 AND message_count = 0), count() FROM default.uptime_db FORMAT TSV")
echo "uptime rows (up, empty, all): $up"

ws=$(q "SELECT sum(avg_websocket_lag_ms * message_count) / sum(message_count) FROM default.websocket_diagnostics WHERE message_count > 0")
proc=$(q "SELECT sum(avg_processing_lag_ms * message_count) / sum(message_count) FROM default.processing_diagnostics WHERE message_count > 0")
proc_exp=$(q "SELECT avg(toInt64(insert_time) * 1000 - received_at_ms) FROM default.ticks_db")
echo "websocket lag: rows $ws ms, file $exp_ws ms; processing lag: rows $proc ms, table $proc_exp ms"
awk -v a="$ws" -v b="$exp_ws" 'BEGIN { d = a - b; exit !(d < 1 && d > -1) }' ||
	fail "websocket lag $ws ms differs from $exp_ws ms"
awk -v a="$proc" -v b="$proc_exp" 'BEGIN { d = a - b; exit !(d < 1 && d > -1) }' ||
	fail "processing lag $proc ms differs from $proc_exp ms"

# Quiet upstream: one event after EMPTY_LIMIT heartbeats, and no second
# one while it stays quiet.
wait_until 20 "an Upstream quiet event" ev_is "Upstream quiet" $(( quiet0 + 1 ))
rows_now=$(table_count uptime_db)
more_rows() { [ "$(table_count uptime_db)" -ge $(( rows_now + EMPTY_LIMIT + 1 )) ]; }
wait_until 20 "$EMPTY_LIMIT more heartbeats" more_rows
ev_is "Upstream quiet" $(( quiet0 + 1 )) || fail "Upstream quiet recorded $(ev_count 'Upstream quiet') times"

# Retention on 18.16: a backdated partition goes, today's rows stay.
old_ms=$(( ($(date +%s) - 10 * 86400) * 1000 ))
q "INSERT INTO default.ticks_db (timestamp, timestamp_ms, symbol, price, volume, received_at, received_at_ms, kafka_partition, kafka_offset) VALUES ($(( old_ms / 1000 )), $old_ms, 'OLD:TICK', 1, 1, $(( old_ms / 1000 )), $old_ms, 99, 0)"
q "INSERT INTO default.uptime_db (window_start, window_end, window_start_ms, window_end_ms, window_ms, is_up, message_count) VALUES ($(( old_ms / 1000 )), $(( old_ms / 1000 )), $old_ms, $old_ms, 0, 0, 0)"
old_gone() { [ "$(q "SELECT count() FROM default.ticks_db WHERE symbol = 'OLD:TICK'") $(q "SELECT count() FROM default.uptime_db WHERE window_end_ms = $old_ms")" = "0 0" ]; }
wait_until 20 "backdated partitions dropped" old_gone
[ "$(table_count ticks_db)" -eq "$exp_n" ] || fail "retention took today's ticks: $(table_count ticks_db) left"
echo "ok: retention dropped the backdated partitions, $exp_n ticks kept"

# /metrics: promtool accepts it, counters equal the tables.
curl -fsS "$METRICS/metrics" > "$IT_DIR/metrics"
if command -v promtool > /dev/null; then
	promtool check metrics < "$IT_DIR/metrics" || fail "promtool check metrics failed"
	echo "ok: promtool check metrics"
else
	echo "note: promtool missing (Debian package prometheus); format not checked"
fi
m() { awk -v k="$1" '$1 == k { print $2 }' "$IT_DIR/metrics"; }
[ "$(m ticksink_rows_landed_total)" -eq "$exp_n" ] || fail "rows_landed_total $(m ticksink_rows_landed_total)"
[ "$(m ticksink_rejects_landed_total)" -eq "$(table_count ticks_rejected)" ] || fail "rejects_landed_total"
[ "$(m 'ticksink_rejects_total{reason="bad_json"}')" -eq "$BAD" ] || fail "bad_json rejects"
[ "$(m ticksink_messages_consumed_total)" -eq $(( exp_n + BAD )) ] || fail "messages_consumed_total"
lagsum=$(awk '/^ticksink_consumer_lag_messages\{/ { s += $2; n++ } END { print n, s }' "$IT_DIR/metrics")
[ "$lagsum" = "3 0" ] || fail "consumer lag per partition (partitions, sum): $lagsum"
grep -E '^ticksink_(rows_landed|messages_consumed|inserts|heartbeats|insert_batch_rows_count|monitoring_events)' "$IT_DIR/metrics"

# ClickHouse away and back: one event each.
ch_kill
down_seen() { curl -fsS "$METRICS/metrics" | grep -q '^ticksink_clickhouse_reachable 0'; }
wait_until 20 "ticksink noticed ClickHouse down" down_seen
ch_restart || fail "clickhouse did not restart"
wait_until 30 "ClickHouse recovered event" ev_is "ClickHouse recovered" 1
ev_is "ClickHouse unreachable" 1 || fail "ClickHouse unreachable recorded $(ev_count 'ClickHouse unreachable') times"

ticksink_stop
[ "$TICKSINK_STATUS" -eq 0 ] || fail "ticksink exited $TICKSINK_STATUS"
ev_is "Upstream quiet" $(( quiet0 + 1 )) || fail "Upstream quiet recorded again"
for e in "System started" "System closing" "Websocket lag spike" "Processing lag spike" "ClickHouse unreachable" "ClickHouse recovered"; do
	ev_is "$e" 1 || fail "event '$e' recorded $(ev_count "$e") times, expected once"
done
q "SELECT event_time, event, detail FROM default.monitoring_db ORDER BY event_time_ms FORMAT TSV"
echo "heartbeat rows: $(table_count websocket_diagnostics) websocket, $(table_count processing_diagnostics) processing, $(table_count uptime_db) uptime"
q "SELECT w.window_start, w.window_end, w.window_ms, w.message_count, round(w.avg_websocket_lag_ms, 3), round(p.avg_processing_lag_ms, 1) FROM default.websocket_diagnostics AS w ANY INNER JOIN (SELECT window_end_ms, avg_processing_lag_ms FROM default.processing_diagnostics) AS p USING window_end_ms WHERE w.message_count > 0 ORDER BY w.window_end_ms FORMAT TSV"
echo "ok: diagnostics"
