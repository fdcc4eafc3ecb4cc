#!/usr/bin/env bash
# /metrics, /healthz and /readyz with no peers: ticksink starts with an
# unreachable ClickHouse; /metrics must pass `promtool check metrics`,
# /healthz answers 200 and /readyz 503 saying why.
set -euo pipefail
command -v promtool > /dev/null ||
	{ echo "SKIP: promtool not found (install Debian package prometheus)"; exit 77; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env -i TICKSINK_HTTP_LISTEN=127.0.0.1:$port \
	TICKSINK_CLICKHOUSE_URL=http://127.0.0.1:1 "$TICKSINK" > "$tmp/log" 2>&1 &
pid=$!
trap 'kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
	curl -fsS "http://127.0.0.1:$port/healthz" > "$tmp/healthz" 2>/dev/null && break
	sleep 0.1
done
grep -q '^ok: loop turning' "$tmp/healthz" || fail "/healthz: $(cat "$tmp/healthz")"
code=$(curl -s -o "$tmp/readyz" -w '%{http_code}' "http://127.0.0.1:$port/readyz")
[ "$code" = 503 ] || fail "/readyz answered $code without ClickHouse"
grep -q 'clickhouse start-up not done' "$tmp/readyz" || fail "/readyz: $(cat "$tmp/readyz")"
curl -fsS "http://127.0.0.1:$port/metrics" > "$tmp/metrics"
promtool check metrics < "$tmp/metrics" || fail "promtool check metrics"
grep -q '^ticksink_rows_landed_total 0$' "$tmp/metrics" || fail "no rows_landed_total"
echo "ok: $(grep -c '^# TYPE' "$tmp/metrics") metric families pass promtool; /readyz: $(cat "$tmp/readyz")"
