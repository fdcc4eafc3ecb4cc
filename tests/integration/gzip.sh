#!/usr/bin/env bash
# Integration: ticks inserts compressed with gzip ([clickhouse] gzip_level
# 1), through the fault proxy, which counts the requests whose body came
# gzip-encoded, into the real server (18.16 takes Content-Encoding: gzip).
#   1. A backlog of 20,000 messages (4 partitions, batches of 1,000,
#      windows of 5,000): windows, streamed and compressed as they go.
#   2. The last 604 after it, fewer than a batch: a plain insert closed by
#      its delay, compressed too, and the first insert then is answered
#      500 by the proxy and sent again from its first byte.
#   - Everything lands exactly once (invalid messages as rejects, which go
#     as they are), and the group commits every offset;
#   - the proxy saw gzip-encoded inserts, and /metrics landed windows.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"
. "$SRCDIR/tests/lib/stream.sh"

IT_PARTITIONS=4
it_setup
trap 'proxy_stop; it_cleanup' EXIT
proxy_start
stream_init 31 20400 100
port=$(free_port)
gzipped() { proxy_cmd stats; sed -n 's/.* gzip=\([0-9]*\).*/\1/p' "$PROXY_OUT" | tail -n 1; }

stream_chunk 20000
check_no_unread_drop
CH_URL=$PROXY_URL TICKSINK_CLICKHOUSE_GZIP_LEVEL=1 \
TICKSINK_BATCH_MAX_ROWS=1000 TICKSINK_BATCH_WINDOW_ROWS=5000 \
TICKSINK_HTTP_LISTEN=127.0.0.1:$port ticksink_start
stream_wait 120
windows=$(metric "$port" 'ticksink_windows_total{result="landed"}')
[ "${windows:-0}" -ge 1 ] || fail "no window landed (${windows:-none})"
g1=$(gzipped)
[ "${g1:-0}" -ge 1 ] || fail "no gzip-encoded request reached the proxy"
echo "ok: backlog landed in $windows windows; $g1 gzip-encoded requests"

proxy_cmd "insert_only error500 1"
stream_all
g2=$(gzipped)
[ "$g2" -gt "$g1" ] || fail "the inserts after the backlog were not gzip-encoded ($g1, then $g2)"
[ "$(log_count 'failed: http 500')" -ge 1 ] || fail "the proxy's 500 was not seen"
echo "ok: the rest landed; $g2 gzip-encoded requests in all"

verify_drained
