#!/usr/bin/env bash
# How ticksink's log lines look: with $JOURNAL_STREAM naming stderr's device
# and inode (what systemd sets for StandardError=journal), "<6>text" for
# journald to parse; otherwise (a file, a terminal, or a JOURNAL_STREAM that
# names some other file) "2026-11-25T10:00:00.123Z info: text" in UTC.
# ticksink is pointed at a closed port, so it logs its start and keeps
# retrying ClickHouse; SIGTERM must then still drain and exit 0.
set -euo pipefail

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
tmp=$(mktemp -d)
pid=
trap '[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# Run ticksink with stderr appended to $1 and JOURNAL_STREAM=$2 (or unset
# when empty) until it logged the start-up retry, then stop it.
run() {
	local log=$1 js=$2 i status=0
	: > "$log"
	env -i ${js:+JOURNAL_STREAM=$js} \
	    TICKSINK_CLICKHOUSE_URL=http://127.0.0.1:9/ \
	    "$TICKSINK" 2>> "$log" &
	pid=$!
	for i in $(seq 1 100); do
		grep -q 'retrying in' "$log" && break
		sleep 0.1
	done
	grep -q 'retrying in' "$log" || fail "no retry logged: $(cat "$log")"
	kill -TERM "$pid"
	wait "$pid" || status=$?
	pid=
	[ "$status" -eq 0 ] || fail "SIGTERM while retrying: exit $status"
}

: > "$tmp/journal"
run "$tmp/journal" "$(stat -c '%d:%i' "$tmp/journal")"
head -n 1 "$tmp/journal" | grep -Eq '^<6>ticksink [^ ]+ starting$' ||
	fail "journal style: $(head -n 1 "$tmp/journal")"
grep -q '^<4>clickhouse: .* retrying in' "$tmp/journal" ||
	fail "journal style: no <4> warning in $(cat "$tmp/journal")"

run "$tmp/plain" ""
ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
head -n 1 "$tmp/plain" | grep -Eq "^$ts info: ticksink [^ ]+ starting\$" ||
	fail "plain style: $(head -n 1 "$tmp/plain")"
grep -Eq "^$ts warning: clickhouse: .* retrying in" "$tmp/plain" ||
	fail "plain style: no warning in $(cat "$tmp/plain")"
grep -q '^<' "$tmp/plain" && fail "priority prefixes outside the journal"

: > "$tmp/other"
run "$tmp/plain2" "$(stat -c '%d:%i' "$tmp/other")"
head -n 1 "$tmp/plain2" | grep -Eq "^$ts info: " ||
	fail "JOURNAL_STREAM of another file: $(head -n 1 "$tmp/plain2")"
echo "journal: $(head -n 1 "$tmp/journal")"
echo "plain:   $(head -n 1 "$tmp/plain")"
