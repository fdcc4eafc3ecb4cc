#!/usr/bin/env bash
# Fault (b): a proxy in front of ClickHouse answers inserts with 500s,
# drops and resets connections, and forwards inserts but never answers (so
# the server inserted and ticksink saw a timeout).  Every tick must still
# land exactly once: errors are retried with the same bytes, and a send
# without a verdict is probed before it is sent again.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"
. "$SRCDIR/tests/lib/stream.sh"

it_setup
trap 'proxy_stop; it_cleanup' EXIT
proxy_start
stream_init 5 100000 100

CH_URL=$PROXY_URL TICKSINK_CLICKHOUSE_TIMEOUT_MS=5000 \
TICKSINK_KAFKA_AUTO_COMMIT_INTERVAL_MS=200 ticksink_start
wait_until 30 "ticksink assigned all partitions" ticksink_assigned
stream_chunk
stream_wait

for fault in "insert_only error500 3" "insert_only drop 2" \
    "insert_only reset 2" "insert_only blackhole_after_forward 2"; do
	proxy_cmd "$fault"
	stream_chunk
	stream_wait 90
	echo "ok: landed through '$fault'"
done
stream_all

# The blackholed inserts landed at once (the server got them), so the
# stream counted as landed before ticksink's client timeout even fired:
# wait for its probe to find them.
probe_found() { [ "$(log_count 'had landed')" -ge 1 ]; }
wait_until 60 "a probe finding a forwarded-but-unanswered insert" probe_found
echo "probes found $(log_count 'had landed') unanswered inserts that had landed"
proxy_cmd stats
echo "proxy: $(tail -n 1 "$IT_DIR/proxy.out")"
verify_drained
