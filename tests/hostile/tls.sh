#!/usr/bin/env bash
# Integration: TLS to ClickHouse (issue 7 §6) against the real server's
# https_port, with a CA and a server certificate made here with openssl.
#
#   - Signed by another CA ([clickhouse] ca_file = the wrong CA): ticksink
#     refuses the server, logs why (the certificate), keeps retrying, never
#     creates a table or sends a row, and SIGTERM still exits 0.
#   - No ca_file (the system CAs, which do not know ours): refused too.
#   - The right CA: ticks land over https.
#   - tls_verify = false: a warning at start, and the ticks land.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"

command -v openssl > /dev/null || { echo "SKIP: openssl not found"; exit 77; }
TLS=$(mktemp -d /tmp/ticksink-tls.XXXXXX)
trap 'rm -rf "$TLS"' EXIT
# One CA signs the server's certificate (for 127.0.0.1); the other does not.
for ca in ca wrong; do
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ticksink test $ca" \
		-keyout "$TLS/$ca.key" -out "$TLS/$ca.crt" 2> /dev/null
done
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	-keyout "$TLS/server.key" -out "$TLS/server.csr" 2> /dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > "$TLS/ext"
openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" \
	-CAcreateserial -days 2 -extfile "$TLS/ext" -out "$TLS/server.crt" 2> /dev/null
chmod 0644 "$TLS"/*

export CH_TLS_DIR=$TLS
it_setup
trap 'it_cleanup; rm -rf "$TLS"' EXIT
HTTPS="https://127.0.0.1:$CH_HTTPS_PORT"
curl -sS --cacert "$TLS/ca.crt" "$HTTPS/ping" | grep -q Ok ||
	fail "the server does not answer on $HTTPS"

# Like ticksink_start, but over https; extra environment in "$@".
tls_start() {
	env TICKSINK_KAFKA_BROKERS="$BROKERS" TICKSINK_KAFKA_TOPIC="$IT_TOPIC" \
	    TICKSINK_KAFKA_GROUP="$IT_GROUP" TICKSINK_CLICKHOUSE_URL="$HTTPS" \
	    "$@" "$TICKSINK" >> "$IT_DIR/ticksink.log" 2>&1 &
	TICKSINK_PID=$!
}
tables_exist() { ch_query "SELECT count() FROM system.tables WHERE database = 'default' AND name LIKE 'ticks_%'"; }
cert_refusals() { grep -c -i 'clickhouse: .*failed.*certificate' "$IT_DIR/ticksink.log" || true; }
refused_twice() { [ "$(cert_refusals)" -ge 2 ]; }
start_ms=$(( $(date +%s) * 1000 - 60000 ))
"$TICKGEN" --seed 11 --count 100 --start-ms "$start_ms" > "$IT_DIR/ticks"

# The wrong CA, then the system CAs: refused, nothing sent.
for case in wrong system; do
	: > "$IT_DIR/ticksink.log"
	if [ "$case" = wrong ]; then
		tls_start TICKSINK_CLICKHOUSE_CA_FILE="$TLS/wrong.crt"
	else
		tls_start
	fi
	wait_until 30 "ticksink to refuse the certificate ($case CA)" refused_twice
	[ "$(tables_exist)" -eq 0 ] || fail "tables were created through a refused server"
	grep -q 'kafka: assigned' "$IT_DIR/ticksink.log" &&
		fail "consumption started with a refused server ($case CA)"
	ticksink_stop
	[ "$TICKSINK_STATUS" -eq 0 ] || fail "SIGTERM while refusing: exit $TICKSINK_STATUS"
	echo "ok: $case CA refused: $(grep -m 1 -i -o 'failed.*certificate[^;]*' "$IT_DIR/ticksink.log")"
done
produce "$IT_DIR/ticks"

# The right CA: everything lands over https.
: > "$IT_DIR/ticksink.log"
tls_start TICKSINK_CLICKHOUSE_CA_FILE="$TLS/ca.crt"
wait_until 60 "100 ticks landed over https" table_count_is ticks_db 100
grep -q -i 'tls_verify = false' "$IT_DIR/ticksink.log" &&
	fail "a tls_verify warning with verification on"
ticksink_stop
[ "$TICKSINK_STATUS" -eq 0 ] || fail "ticksink exited $TICKSINK_STATUS"
echo "ok: right CA: 100 ticks landed over https"

# Verification off: said at start, as a warning, and it works.
: > "$IT_DIR/ticksink.log"
"$TICKGEN" --seed 12 --count 50 --start-ms "$start_ms" > "$IT_DIR/ticks2"
tls_start TICKSINK_CLICKHOUSE_TLS_VERIFY=false
produce "$IT_DIR/ticks2"
wait_until 60 "150 ticks landed" table_count_is ticks_db 150
grep -q -E '(^<4>|warning:) clickhouse: tls_verify = false' "$IT_DIR/ticksink.log" ||
	fail "no warning at start with tls_verify = false"
ticksink_stop
[ "$TICKSINK_STATUS" -eq 0 ] || fail "ticksink exited $TICKSINK_STATUS"
echo "ok: tls_verify = false warned at start: $(grep -m 1 'tls_verify' "$IT_DIR/ticksink.log")"
