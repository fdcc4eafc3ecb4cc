# shellcheck shell=bash
# tests/lib/common.sh - shared pieces of the integration tests and scripts:
# a private ClickHouse (clickhouse.sh), the mock broker process, ticksink
# itself, condition waits and assertions.
#
#   . "$SRCDIR/tests/lib/common.sh"
#   it_setup                 # temp dir, ClickHouse, broker; cleanup on exit
#   ticksink_start [ARGS]    # runs $TICKSINK with TICKSINK_* pointing at them
#   produce FILE             # kcat into the topic, spread over partitions
#   wait_until SECS DESC CMD...
#
# Binaries come from the environment meson sets (TICKSINK, MOCKBROKER,
# TICKGEN, KAFKACHECK); scripts outside meson set them from the build dir.

_it_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/clickhouse.sh
. "$_it_lib/clickhouse.sh"

: "${IT_TOPIC:=price_ticks}"
: "${IT_GROUP:=ticks_ingestor}"
: "${IT_PARTITIONS:=3}"

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	if [ -n "${IT_DIR:-}" ] && [ -f "$IT_DIR/ticksink.log" ]; then
		printf -- '--- ticksink log (tail) ---\n' >&2
		tail -n 30 "$IT_DIR/ticksink.log" >&2
	fi
	exit 1
}

# Milliseconds on the monotonic-ish wall clock (for reporting durations).
now_ms() { date +%s%3N; }

# wait_until SECS DESCRIPTION CMD...: run CMD every 100 ms until it
# succeeds; fail with DESCRIPTION after SECS seconds.
wait_until() {
	local secs=$1 desc=$2 deadline
	shift 2
	deadline=$(( $(now_ms) + secs * 1000 ))
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] ||
			fail "timed out after ${secs}s waiting for: $desc"
		sleep 0.1
	done
}

# A TCP port free on 127.0.0.1 (for ticksink's HTTP listener).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# metric PORT NAME: the value of sample NAME in the /metrics of the
# ticksink listening on 127.0.0.1:PORT (empty if it has none).
metric() {
	curl -fsS "http://127.0.0.1:$1/metrics" |
		awk -v m="$2" '$1 == m { print $2 }'
}

# Start the mock broker (librdkafka's mock cluster as a process); its
# stdin is a fifo for fault commands (broker_cmd), its first output line
# the bootstrap address.
broker_start() {
	mkfifo "$IT_DIR/broker.in"
	"$MOCKBROKER" -p "$IT_PARTITIONS" -t "$IT_TOPIC" \
		<> "$IT_DIR/broker.in" > "$IT_DIR/broker.out" 2> "$IT_DIR/broker.err" &
	BROKER_PID=$!
	exec {BROKER_IN}> "$IT_DIR/broker.in"
	wait_until 10 "mock broker address" test -s "$IT_DIR/broker.out"
	BROKERS=$(head -n 1 "$IT_DIR/broker.out")
	export BROKERS
}

# True once file $1 has more than $2 lines.
more_lines_than() { [ "$(wc -l < "$1")" -gt "$2" ]; }

# One command line ($4...) to a helper process (the mock broker, the fault
# proxy) that reads fd $2 and answers a line each in file $3; wait for the
# answer and fail unless it starts with "ok".  $1 names it in messages.
helper_cmd() {
	local who=$1 fd=$2 out=$3 before
	shift 3
	before=$(wc -l < "$out")
	printf '%s\n' "$*" >&"$fd"
	wait_until 10 "$who reply to '$*'" more_lines_than "$out" "$before"
	tail -n 1 "$out" | grep -q '^ok' ||
		fail "$who command '$*': $(tail -n 1 "$out")"
}

# SIGTERM pid $1 if set and wait for it.
helper_stop() {
	if [ -n "$1" ]; then
		kill -TERM "$1" 2>/dev/null || true
		wait "$1" 2>/dev/null || true
	fi
}

# Send one fault command to the broker and wait for its reply.
broker_cmd() { helper_cmd broker "$BROKER_IN" "$IT_DIR/broker.out" "$@"; }

broker_stop() {
	helper_stop "${BROKER_PID:-}"
	BROKER_PID=
}

# Produce FILE (one message per line) spread randomly over the partitions.
produce() {
	kcat -P -b "$BROKERS" -t "$IT_TOPIC" \
		-X sticky.partitioning.linger.ms=0 -X partitioner=random < "$1" ||
		fail "kcat could not produce $1"
}

# Run ticksink against the private peers; extra args go to ticksink.
ticksink_start() {
	TICKSINK_KAFKA_BROKERS=$BROKERS \
	TICKSINK_KAFKA_TOPIC=$IT_TOPIC \
	TICKSINK_KAFKA_GROUP=$IT_GROUP \
	TICKSINK_CLICKHOUSE_URL=$CH_URL \
		"$TICKSINK" "$@" >> "$IT_DIR/ticksink.log" 2>&1 &
	TICKSINK_PID=$!
}

# Number of lines in the ticksink log matching a pattern.
log_count() { grep -c -- "$1" "$IT_DIR/ticksink.log" || true; }

# True once ticksink logged that it owns all partitions.
ticksink_assigned() {
	[ "$(log_count 'kafka: assigned')" -ge "$IT_PARTITIONS" ]
}

# SIGTERM ticksink and wait for it; sets TICKSINK_STATUS and TICKSINK_STOP_MS.
ticksink_stop() {
	local t0
	t0=$(now_ms)
	kill -TERM "$TICKSINK_PID"
	TICKSINK_STATUS=0
	wait "$TICKSINK_PID" || TICKSINK_STATUS=$?
	TICKSINK_STOP_MS=$(( $(now_ms) - t0 ))
	TICKSINK_PID=
}

# Row count of a table in the default database.
table_count() { ch_query "SELECT count() FROM default.$1"; }

# Conditions for wait_until (evaluated afresh on every try).
table_count_is() { [ "$(table_count "$1" 2>/dev/null || echo -1)" -eq "$2" ]; }
landed_at_least() {
	local t r
	t=$(table_count ticks_db 2>/dev/null) || return 1
	r=$(table_count ticks_rejected 2>/dev/null) || return 1
	[ $(( t + r )) -ge "$1" ]
}

it_cleanup() {
	if [ -n "${TICKSINK_PID:-}" ]; then
		kill -KILL "$TICKSINK_PID" 2>/dev/null || true
		wait "$TICKSINK_PID" 2>/dev/null || true
	fi
	broker_stop
	ch_stop
	if [ -n "${IT_DIR:-}" ] && [ -z "${IT_KEEP:-}" ]; then
		rm -rf "$IT_DIR"
	fi
}

# Temp dir, private ClickHouse, mock broker; everything stops on exit.
it_setup() {
	for tool in kcat "$TICKSINK" "$MOCKBROKER" "$TICKGEN" "$KAFKACHECK"; do
		command -v "$tool" > /dev/null ||
			{ echo "SKIP: $tool not found"; exit 77; }
	done
	[ -x "$CH_SERVER_BIN" ] ||
		{ echo "SKIP: $CH_SERVER_BIN not installed"; exit 77; }
	IT_DIR=$(mktemp -d /tmp/ticksink-it.XXXXXX)
	trap it_cleanup EXIT
	ch_start || fail "clickhouse did not start"
	broker_start
}
