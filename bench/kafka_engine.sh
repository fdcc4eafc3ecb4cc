#!/usr/bin/env bash
# bench/kafka_engine.sh - ClickHouse's own Kafka engine as a bench peer:
# the server itself consumes the backlog (Kafka table -> materialized view
# -> MergeTree), no process of ours in between.
#
# usage: bench/kafka_engine.sh [N]
#
# Needs, in the environment: BROKERS, IT_TOPIC (common.sh's default), N
# (or $1: ticks already in the topic, all valid), and a running private
# ClickHouse 18.16 (CH_URL, CH_PID, CH_DIR from tests/lib/clickhouse.sh
# ch_start) whose config.xml holds
#
#     <kafka><auto_offset_reset>smallest</auto_offset_reset></kafka>
#
# 18.16 sets no auto.offset.reset on its consumers, so a new group starts
# at librdkafka's default, the end of each partition, and a backlog is
# never read.  The <kafka> children are librdkafka properties ('_' for
# '.'), for every Kafka table of the server.
#
# A fresh consumer group each run: a Kafka table dropped and created again
# under the same group leaves a member (its JoinGroup was sent) that the
# mock broker keeps until its session times out (45 s), and the new
# consumer's SyncGroup waits for that dead leader.
#
# Tables (default database): kafka_ticks_queue (Kafka engine, timestamps as
# String), kafka_ticks_mv, kafka_ticks (MergeTree, the pipe peer's six
# columns, ticksink's partitioning and order).  The timestamps are ISO 8601
# with microseconds and an offset, which 18.16's JSONEachRow reads only with
# date_time_input_format=best_effort (a query setting the engine's
# background stream does not get), so the view parses them with
# parseDateTimeBestEffort.  The queue and view are dropped at the end (the
# consumer leaves), kafka_ticks is kept for the caller to check.
#
# Waits until N rows landed, polling the active parts' row count (the same
# as count() on a MergeTree, but read from metadata: count() reads a column
# on 18.16 and would cost the server more as the table grows).  The engine
# delivers at least once: its consumers commit only every so often, and a
# rebalance among them (they join one after another) hands a partition to
# another consumer that reads again from the last commit, so rows can land
# twice (1,671,116 rows for 1,000,000 ticks, once in about 20 runs here).
# With KE_DISTINCT set, it waits on until that many distinct (timestamp_ms,
# symbol, price, volume) landed too, polling every second (that query
# reads the table).  Prints "wall_ms server_cpu_ticks rows distinct": wall
# from the CREATE of the Kafka table (so the broker's 3 s group join is
# included) until then, the server's utime+stime over it, the rows landed
# (more than N if some landed twice) and the distinct ticks among them;
# "first rows after MS ms" to stderr.
#
# How 18.16 lands a backlog (server log at trace level): the first stream
# starts 0.5 s after the view and waits out the group join (3 s in the mock
# broker) with no rows; 0.5 s later a second stream reads, and the view's
# insert squashes its blocks up to min_insert_block_size_rows (1,048,576),
# so rows land only per 1,048,576 or when the stream ends: after
# stream_flush_interval_ms (7.5 s, a profile setting) of reading at most,
# seen earlier for a short backlog.  Measured: 100,000 ticks land in one
# insert ~7.3 s after the CREATE, 1,000,000 in one insert after ~10-12 s;
# the offsets are committed just before that insert.
#
# Optional: KE_CONSUMERS (kafka_num_consumers, default 1), KE_BLOCK
# (kafka_max_block_size, default 0 = the server's max_block_size, 65536),
# KE_TIMEOUT seconds (default 600), KE_POLL seconds between polls (0.1).
# Each poll costs the server about 0.4 ms of CPU (over HTTP; counted in
# server_cpu_ticks): at 0.1 s and ~10 s per run that is ~0.4 us/row at
# 100,000 ticks and ~0.04 at 1,000,000.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tests/lib/common.sh
. "$top/tests/lib/common.sh"
# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"

N=${1:-${N:-}}
: "${BROKERS:?}" "${N:?usage: kafka_engine.sh N (or env N)}" "${CH_URL:?}" "${CH_PID:?}"
consumers=${KE_CONSUMERS:-1} block=${KE_BLOCK:-0}
timeout=${KE_TIMEOUT:-600} poll=${KE_POLL:-0.1}

die() { printf 'kafka_engine: %s\n' "$*" >&2; exit 1; }
# On any exit, stop the consumer: drop the view and the Kafka table.
cleanup() {
	ch_query "DROP TABLE IF EXISTS default.kafka_ticks_mv" >/dev/null 2>&1 || true
	ch_query "DROP TABLE IF EXISTS default.kafka_ticks_queue" >/dev/null 2>&1 || true
}
q() { ch_query "$1" >/dev/null || die "query failed: $1"; }

grep -qs '<auto_offset_reset>smallest</auto_offset_reset>' "${CH_DIR:-/nonexistent}/config.xml" ||
	printf 'kafka_engine: warning: no <kafka><auto_offset_reset>smallest in %s: the backlog will be skipped\n' \
	    "${CH_DIR:-?}/config.xml" >&2

# Rows in the engine's target table into C (http_body: no process per poll).
ch_port=${CH_URL##*:}
landed() {
	http_body "$ch_port" "/?query=SELECT%20sum(rows)%20FROM%20system.parts%20WHERE%20database%3D%27default%27%20AND%20table%3D%27kafka_ticks%27%20AND%20active" 2>/dev/null
	C=${BODY[0]:-0}
	[[ $C =~ ^[0-9]+$ ]] || C=0
}

q "DROP TABLE IF EXISTS default.kafka_ticks_mv"
q "DROP TABLE IF EXISTS default.kafka_ticks_queue"
q "DROP TABLE IF EXISTS default.kafka_ticks"
q "CREATE TABLE default.kafka_ticks (timestamp DateTime('UTC'),
    timestamp_ms Int64, symbol String, price Float64, volume Float64,
    received_at DateTime('UTC'))
    ENGINE = MergeTree PARTITION BY toYYYYMMDD(timestamp) ORDER BY timestamp_ms"
# The view first, so the engine starts streaming as soon as the queue exists.
group=bench_kafka_engine_$$_$RANDOM
trap cleanup EXIT
s0=$(cpu_ticks "$CH_PID"); ms_now; t0=$MS
q "CREATE TABLE default.kafka_ticks_queue (timestamp String,
    timestamp_ms Int64, symbol String, price Float64, volume Float64,
    received_at String)
    ENGINE = Kafka SETTINGS kafka_broker_list = '$BROKERS',
    kafka_topic_list = '$IT_TOPIC', kafka_group_name = '$group',
    kafka_format = 'JSONEachRow', kafka_num_consumers = $consumers,
    kafka_max_block_size = $block"
q "CREATE MATERIALIZED VIEW default.kafka_ticks_mv TO default.kafka_ticks AS
    SELECT parseDateTimeBestEffort(timestamp) AS timestamp, timestamp_ms,
    symbol, price, volume, parseDateTimeBestEffort(received_at) AS received_at
    FROM default.kafka_ticks_queue"

deadline=$(( t0 + timeout * 1000 )) first=
while :; do
	landed
	ms_now
	[[ -z $first && $C -gt 0 ]] && first=$(( MS - t0 ))
	(( C >= N )) && break
	(( MS < deadline )) || die "$C of $N rows after $timeout s (group $group)"
	kill -0 "$CH_PID" 2>/dev/null || die "server (pid $CH_PID) died"
	nap "$poll"
done
distinct() {
	ch_query "SELECT uniqExact(timestamp_ms, symbol, price, volume)
	    FROM default.kafka_ticks" 2>/dev/null || echo 0
}
u=$(distinct)
while (( u < ${KE_DISTINCT:-0} )); do
	(( $(now_ms) < deadline )) ||
		die "$u of $KE_DISTINCT distinct ticks after $timeout s"
	sleep 1
	u=$(distinct)
done
ms_now; t1=$MS; s1=$(cpu_ticks "$CH_PID")

cleanup
cnt=$(ch_query "SELECT count() FROM default.kafka_ticks") || die "count failed"
(( cnt >= N )) || die "$cnt rows landed, want $N"
printf 'kafka_engine: first rows after %s ms\n' "$first" >&2
echo "$(( t1 - t0 )) $(( s1 - s0 )) $cnt $u"
