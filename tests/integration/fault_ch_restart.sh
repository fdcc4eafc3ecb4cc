#!/usr/bin/env bash
# Fault (a): ClickHouse is killed mid-stream and restarted 10 s later.
# Inserts fail while it is away and are retried (probed first: a killed
# server may have taken an insert); when it is back everything lands once.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"
. "$SRCDIR/tests/lib/stream.sh"

it_setup
stream_init 6 100000 100

TICKSINK_CLICKHOUSE_TIMEOUT_MS=3000 \
TICKSINK_KAFKA_AUTO_COMMIT_INTERVAL_MS=200 ticksink_start
wait_until 30 "ticksink assigned all partitions" ticksink_assigned
stream_chunk
stream_wait
stream_chunk
ch_kill
echo "clickhouse killed"
stream_chunk
# The outage itself is the scenario: ten seconds without a server.
sleep 10
ch_restart || fail "clickhouse did not restart"
echo "clickhouse restarted"
stream_wait 120
stream_all
failed=$(log_count 'failed')
echo "ticksink logged $failed failed requests during the outage"
[ "$failed" -ge 1 ] || fail "no request failed: the outage did not happen"
verify_drained
