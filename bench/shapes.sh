#!/usr/bin/env bash
# bench/shapes.sh - what the shape of ticksink's inserts costs the server.
#
# The same N ticks (ticksink-tickgen --seed 6, one day) reach a private
# ClickHouse 18.16 (tests/lib/clickhouse.sh) as ticksink's table columns,
# in the order ticksink sends them (64 partitions, 700 messages of each in
# turn, as fetches bring them), in each of these shapes:
#
#   direct      bodies of B rows, each its own INSERT (what ticksink does)
#   staged      the same bodies into a temporary Memory table of one HTTP
#               session, then one INSERT ... SELECT into the table, guarded
#               by throwIf on the staged count so that it moves all or none
#   one         a single INSERT of all N rows
#
# each as RowBinary and as Native, every time into a fresh MergeTree table
# made with ticksink's LEGACY layout (PARTITION BY day, ORDER BY
# timestamp_ms).  Per shape it prints the server's CPU (utime + stime of
# CH_PID from /proc, all threads) from the first insert until 8 s after the
# last, so that the merges of the parts are counted, in us per row, and
# the number of parts left.  Every shape must land N rows.
#
# usage: bench/shapes.sh [-n ROWS] [-b BODY_ROWS] [-r RUNS]
#        defaults: 1000000, 45454, 3
# Needs curl and /usr/sbin/clickhouse-server; exits 77 without a server.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=1000000 body=45454 runs=3
while getopts n:b:r: opt; do
	case $opt in
	n) n=$OPTARG ;;
	b) body=$OPTARG ;;
	r) runs=$OPTARG ;;
	*) echo "usage: $0 [-n ROWS] [-b BODY_ROWS] [-r RUNS]" >&2; exit 2 ;;
	esac
done
[[ -x /usr/sbin/clickhouse-server ]] || { echo "no clickhouse-server" >&2; exit 77; }
. "$top/tests/lib/clickhouse.sh"
. "$top/bench/lib.sh"
tmp=$(mktemp -d /tmp/ticksink-shapes.XXXXXX)
trap 'ch_stop; rm -rf "$tmp"' EXIT
ch_start >/dev/null || exit 77
hz=$(getconf CLK_TCK)

cols="timestamp DateTime('UTC'), timestamp_ms Int64, symbol String,
    price Float64, volume Float64, received_at DateTime('UTC'),
    received_at_ms Int64, kafka_partition Int32, kafka_offset Int64"
names="timestamp, timestamp_ms, symbol, price, volume, received_at,
    received_at_ms, kafka_partition, kafka_offset"
names_q=$(printf '%s' "$names" | tr -s ' \n' ' ' | sed 's/ /%20/g')
post() {	# post FILE PARAMS: the file as the body
	curl -sS --fail-with-body --data-binary "@$1" "$CH_URL/?$2" >/dev/null
}

"$top/build/ticksink-tickgen" --seed 6 --count "$n" --invalid-every 0 \
    --start-ms 1764000000000 >"$tmp/ticks.ndjson"
ch_query "CREATE TABLE default.src (timestamp_ms Int64, symbol String,
    price Float64, volume Float64) ENGINE = Log" >/dev/null
ch_insert "INSERT INTO default.src FORMAT JSONEachRow" \
    "input_format_skip_unknown_fields=1" <"$tmp/ticks.ndjson" >/dev/null
nb=$(( (n + body - 1) / body ))
for fmt in RowBinary Native; do
	for (( i = 0; i < nb; i++ )); do
		ch_query "SELECT toDateTime(intDiv(timestamp_ms, 1000)) AS timestamp,
		    timestamp_ms, symbol, price, volume,
		    toDateTime(intDiv(timestamp_ms + 50, 1000)) AS received_at,
		    timestamp_ms + 50 AS received_at_ms,
		    toInt32(k % 64) AS kafka_partition,
		    toInt64(intDiv(k, 64)) AS kafka_offset
		    FROM (SELECT *, rowNumberInAllBlocks() AS k FROM default.src)
		    ORDER BY intDiv(intDiv(k, 64), 700), k % 64, k
		    LIMIT $(( i * body )), $body FORMAT $fmt" \
		    "max_block_size=$body" >"$tmp/$fmt.$i"
	done
	cat "$tmp/$fmt".[0-9]* >"$tmp/$fmt.all"
done

fresh() {
	ch_query "DROP TABLE IF EXISTS default.t" >/dev/null
	ch_query "CREATE TABLE default.t ($cols, insert_time DateTime('UTC')
	    DEFAULT now()) ENGINE = MergeTree PARTITION BY toYYYYMMDD(timestamp)
	    ORDER BY timestamp_ms" >/dev/null
}
shape() {	# shape NAME FORMAT
	local s="session_id=shapes$$-$RANDOM&session_timeout=60" i
	case $1 in
	direct)
		for (( i = 0; i < nb; i++ )); do
			post "$tmp/$2.$i" "query=INSERT%20INTO%20default.t%20($names_q)%20FORMAT%20$2"
		done ;;
	staged)
		ch_query "CREATE TEMPORARY TABLE stage ($cols)" "$s" >/dev/null
		for (( i = 0; i < nb; i++ )); do
			post "$tmp/$2.$i" "$s&query=INSERT%20INTO%20stage%20FORMAT%20$2"
		done
		ch_query "INSERT INTO default.t ($names) SELECT $names FROM stage
		    WHERE throwIf((SELECT count() FROM stage) != $n) = 0" "$s" >/dev/null
		ch_query "DROP TEMPORARY TABLE stage" "$s" >/dev/null ;;
	one)
		post "$tmp/$2.all" "query=INSERT%20INTO%20default.t%20($names_q)%20FORMAT%20$2" ;;
	esac
}

echo "server CPU per row, us, from the first insert to 8 s after the last"
echo "($n ticks, bodies of $body rows, ClickHouse $(ch_query 'SELECT version()'))"
printf '%-8s %-10s %s\n' shape format "runs (parts left)"
for name in direct staged one; do
	for fmt in RowBinary Native; do
		line=
		for (( r = 0; r < runs; r++ )); do
			fresh
			c0=$(cpu_ticks "$CH_PID")
			shape "$name" "$fmt"
			sleep 8
			c1=$(cpu_ticks "$CH_PID")
			got=$(ch_query "SELECT count() FROM default.t")
			[[ $got == "$n" ]] || { echo "$name $fmt landed $got of $n" >&2; exit 1; }
			parts=$(ch_query "SELECT count() FROM system.parts
			    WHERE database = 'default' AND table = 't' AND active")
			line+=$(awk -v c=$(( c1 - c0 )) -v hz="$hz" -v n="$n" -v p="$parts" \
			    'BEGIN { printf " %.2f (%d)", c / hz * 1e6 / n, p }')
		done
		printf '%-8s %-10s%s\n' "$name" "$fmt" "$line"
	done
done
