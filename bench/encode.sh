#!/usr/bin/env bash
# bench/encode.sh - RowBinary against JSONEachRow as ticksink's insert body.
#
# Builds bench/encode.c by hand (the top-level meson.build does not know
# about bench/), which generates N ticks, encodes them with ticksink's own
# rowenc_tick() and with a JSONEachRow encoder, and reports bytes and CPU
# per row on our side.  Then a private ClickHouse 18.16 (tests/lib/
# clickhouse.sh, on /dev/shm) takes each body RUNS times, the formats
# alternating after one untimed warm-up insert each, every time into a fresh
# table created with ticksink's LEGACY DDL (schema_create_sql()).  Per
# insert it records curl's total time and the server's CPU time (utime +
# stime of CH_PID from /proc, all threads, in clock ticks).  Every insert
# must land N rows, and the last RowBinary and JSON tables are compared
# (aggregate checksums, then a row-by-row join on (kafka_partition,
# kafka_offset)).  A third body, JSON with every double as %.17g, is inserted
# once (not timed) to see if more digits make the server's text parse exact.
#
# usage: bench/encode.sh [-n ROWS] [-r RUNS]      defaults: 1000000, 3
# Needs cc, curl and /usr/sbin/clickhouse-server; exits 77 without a server.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=1000000
runs=3
while getopts n:r: opt; do
	case $opt in
	n) n=$OPTARG ;;
	r) runs=$OPTARG ;;
	*) echo "usage: $0 [-n ROWS] [-r RUNS]" >&2; exit 2 ;;
	esac
done
[[ $n =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] ||
	{ echo "encode.sh: ROWS and RUNS must be positive integers" >&2; exit 2; }

# shellcheck source=tests/lib/clickhouse.sh
. "$top/tests/lib/clickhouse.sh"
. "$top/bench/lib.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ticksink-bench.XXXXXX")
cleanup() { ch_stop; rm -rf "$tmp"; }
trap cleanup EXIT

die() { printf 'encode.sh: FAIL: %s\n' "$*" >&2; exit 1; }


# insert TABLE BODY: fresh table, one POST, append "cpu_us_per_row wall_ms"
# to $tmp/TABLE.runs, check the row count.
insert() {
	local t=$1 body=$2 q c0 c1 out code secs count
	ch_query "DROP TABLE IF EXISTS default.$t" >/dev/null
	ch_query "$(<"$tmp/$t.create.sql")" >/dev/null
	q=$(_ch_urlencode "$(<"$tmp/$t.insert.sql")")
	c0=$(cpu_ticks "$CH_PID")
	out=$(curl -sS -o "$tmp/response" -w '%{http_code} %{time_total}' \
	    -H 'Content-Type: application/octet-stream' \
	    --data-binary @"$tmp/$body" "$CH_URL/?query=$q")
	c1=$(cpu_ticks "$CH_PID")
	code=${out% *}
	secs=${out#* }
	[[ $code == 200 ]] || { cat "$tmp/response" >&2; die "$t: HTTP $code"; }
	count=$(ch_query "SELECT count() FROM default.$t")
	[[ $count == "$n" ]] || die "$t: $count rows, expected $n"
	awk -v d=$(( c1 - c0 )) -v hz="$hz" -v n="$n" -v s="$secs" \
	    'BEGIN { printf "%.4f %.1f\n", d / hz * 1e6 / n, s * 1000 }' \
	    >>"$tmp/$t.runs"
}

cd "$top"
cc -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra -I handlers -I reactor \
    -o "$tmp/encode" bench/encode.c handlers/buf.c handlers/rowenc.c \
    handlers/schema.c reactor/xmalloc.c reactor/log.c -lm
"$tmp/encode" -n "$n" -o "$tmp"
echo

CH_LOG_LEVEL=warning ch_start ||
	{ echo "encode.sh: no clickhouse" >&2; exit 77; }
hz=$(getconf CLK_TCK)
echo "server: ClickHouse $(ch_query 'SELECT version()'), pid $CH_PID," \
    "$(nproc) CPUs, CLK_TCK $hz"
c0=$(cpu_ticks "$CH_PID")
sleep 2
c1=$(cpu_ticks "$CH_PID")
echo "server idle CPU: $(( c1 - c0 )) ticks in 2 s (noise floor)"

# One untimed insert of each first: the very first one pays for the
# server's cold caches and allocations, which a running ticksink does not.
insert t_rb rowbinary.bin
insert t_js jsoneachrow.ndjson
rm -f "$tmp/t_rb.runs" "$tmp/t_js.runs"
for (( r = 1; r <= runs; r++ )); do
	insert t_rb rowbinary.bin
	insert t_js jsoneachrow.ndjson
done
for t in t_rb t_js; do
	printf '%s runs (server CPU us/row, wall ms):' "$t"
	while read -r a b; do printf ' %s/%s' "$a" "$b"; done <"$tmp/$t.runs"
	echo
done

# The RowBinary table holds what was generated.  Text cannot be compared
# bit for bit with it: ClickHouse 18.16 reads text floats with its fast
# parser (readFloatTextFast, "usually" the nearest double, sometimes one ulp
# off), so for the JSON tables every column must be equal except that price
# and volume may differ in the last bit; those rows are counted.
read -r gen_n gen_ts gen_off gen_cents gen_vol <"$tmp/encode.tsv"
sums='count(), sum(timestamp_ms), sum(toUInt64(timestamp)),
    sum(received_at_ms), sum(toUInt64(received_at)),
    sum(toInt64(round(price * 100))), sum(toInt64(round(volume * 1e8))),
    sum(kafka_partition), sum(kafka_offset),
    sum(cityHash64(symbol, price, volume)),
    sum(cityHash64(timestamp, timestamp_ms, symbol, price, volume,
        received_at, received_at_ms, kafka_partition, kafka_offset))'
rb=$(ch_query "SELECT $sums FROM default.t_rb")
js=$(ch_query "SELECT $sums FROM default.t_js")
echo "checksums t_rb: $rb"
echo "checksums t_js: $js"
read -r -a f <<<"$rb"
[[ ${f[0]} == "$gen_n" && ${f[1]} == "$gen_ts" && ${f[5]} == "$gen_cents" &&
    ${f[6]} == "$gen_vol" && ${f[8]} == "$gen_off" ]] ||
	die "t_rb does not match the generator" \
	    "($gen_n $gen_ts $gen_cents $gen_vol $gen_off)"
[[ $(cut -f1-9 <<<"$rb") == "$(cut -f1-9 <<<"$js")" ]] ||
	die "t_js and t_rb differ beyond the float bits"
if [[ $rb == "$js" ]]; then
	echo "t_rb and t_js: identical checksums"
else
	echo "t_rb and t_js: integer/decimal sums equal, hashes of the" \
	    "Float64 bits differ"
fi

# exactness TABLE: "matched other price volume maxrel" against t_rb.
exactness() {
	ch_query "SELECT count(), countIf(timestamp != ts2 OR
	    timestamp_ms != tsms2 OR symbol != sym2 OR received_at != ra2 OR
	    received_at_ms != rams2), countIf(price != p2), countIf(volume != v2),
	    max(greatest(abs(price - p2) / price,
	        if(volume = 0, 0, abs(volume - v2) / volume)))
	    FROM default.t_rb ANY INNER JOIN (SELECT kafka_partition,
	    kafka_offset, timestamp AS ts2, timestamp_ms AS tsms2,
	    symbol AS sym2, price AS p2, volume AS v2, received_at AS ra2,
	    received_at_ms AS rams2 FROM default.$1)
	    USING (kafka_partition, kafka_offset)"
}

# The %.17g body is not timed; it shows whether more digits help.
ch_query "$(<"$tmp/t_js17.create.sql")" >/dev/null
ch_insert "$(<"$tmp/t_js17.insert.sql")" <"$tmp/jsoneachrow17.ndjson" \
    >/dev/null
[[ $(ch_query "SELECT count() FROM default.t_js17") == "$n" ]] ||
	die "t_js17: row count"
for t in t_js t_js17; do
	read -r matched other dp dv maxrel <<<"$(exactness "$t")"
	[[ $matched == "$n" && $other == 0 ]] ||
		die "$t: $matched rows matched, $other differ in non-float columns"
	awk -v r="$maxrel" 'BEGIN { exit !(r <= 2.3e-16) }' ||
		die "$t: a float is off by more than one ulp ($maxrel)"
	printf '%s vs t_rb: %s rows matched, other columns equal;' "$t" "$matched"
	printf ' price != in %s rows, volume != in %s rows' "$dp" "$dv"
	printf ' (max relative error %s)\n' "$maxrel"
done
echo "verified: $runs x 2 timed inserts of $n rows each, row counts exact"
echo

# The table.
awk -F '\t' -v n="$n" 'NR > 1 { printf "%s\t%.6f\t%s\n", $1, $2 / n, $3 }' \
    "$tmp/encode.tsv" >"$tmp/enc"
row() {	# FORMAT TABLE
	local t=$2 bpr ns cpu wall
	IFS=$'\t' read -r _ bpr ns < <(grep "^$1	" "$tmp/enc")
	# shellcheck disable=SC2046
	cpu=$(median $(cut -d' ' -f1 "$tmp/$t.runs"))
	# shellcheck disable=SC2046
	wall=$(median $(cut -d' ' -f2 "$tmp/$t.runs"))
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$bpr" "$ns" "$cpu" "$wall"
}
{
	row RowBinary t_rb
	row JSONEachRow t_js
} >"$tmp/table"
awk -F '\t' -v runs="$runs" '
	{ f[NR] = $1; b[NR] = $2; e[NR] = $3; c[NR] = $4; w[NR] = $5 }
	END {
		printf "%-14s | %9s | %14s | %17s | %8s\n", "format",
		    "bytes/row", "encode ns/row", "server CPU us/row", "wall ms"
		printf "%-14s | %9s | %14s | %17s | %8s\n", "", "",
		    "(ticksink CPU)", "(median of " runs ")", "(median)"
		for (i = 1; i <= 2; i++)
			printf "%-14s | %9.2f | %14.1f | %17.3f | %8.1f\n",
			    f[i], b[i], e[i], c[i], w[i]
		printf "%-14s | %9.3f | %14.3f | %17.3f | %8.3f\n",
		    "RowBinary/JSON", b[1] / b[2], e[1] / e[2], c[1] / c[2],
		    w[1] / w[2]
	}' "$tmp/table"
