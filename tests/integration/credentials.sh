#!/usr/bin/env bash
# Integration: the ClickHouse password from a systemd credential.
# The private server's user 'ticksink' has a password; ticksink gets it only
# as $CREDENTIALS_DIRECTORY/clickhouse_password (what LoadCredential= makes),
# never from argv, the config file or the environment.
#
#   - With a wrong password in the credential the server refuses start-up
#     (so the password is really checked), ticksink keeps retrying, and a
#     SIGTERM while it waits still exits 0.
#   - With the right one, ticks land as user 'ticksink'.
#   - Neither password appears in ticksink's log, its argv or environment
#     (/proc/PID/cmdline, /proc/PID/environ), or --check-config, which says
#     "(set)".
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"

PASSWORD='Cr3d-7Hq2xZ-ticksink'
WRONG='Wr0ng-9Kp4vB-ticksink'
export CH_PASSWORD=$PASSWORD
it_setup
unset CH_PASSWORD	# only the server's config needed it

CREDS=$IT_DIR/credentials
mkdir -m 0700 "$CREDS"
# As LoadCredential= would leave it: read-only, with a trailing newline.
put_credential() {
	rm -f "$CREDS/clickhouse_password"
	printf '%s\n' "$1" > "$CREDS/clickhouse_password"
	chmod 0400 "$CREDS/clickhouse_password"
}
# Fail if file $1 (described as $2) contains either password.
no_password_in() {
	if grep -a -q -e "$PASSWORD" -e "$WRONG" "$1"; then
		fail "a password appears in $2"
	fi
}
# Copy what /proc shows of ticksink's argv and environment.
snapshot_proc() {
	tr '\0' ' ' < "/proc/$TICKSINK_PID/cmdline" > "$IT_DIR/cmdline.$1"
	tr '\0' '\n' < "/proc/$TICKSINK_PID/environ" > "$IT_DIR/environ.$1"
	no_password_in "$IT_DIR/cmdline.$1" "argv ($1)"
	no_password_in "$IT_DIR/environ.$1" "the environment ($1)"
	grep -q "^CREDENTIALS_DIRECTORY=$CREDS\$" "$IT_DIR/environ.$1" ||
		fail "CREDENTIALS_DIRECTORY not in ticksink's environment"
}
refused() { [ "$(log_count 'failed (http .*193')" -ge 1 ]; }

unset TICKSINK_CLICKHOUSE_PASSWORD
export CREDENTIALS_DIRECTORY=$CREDS
export TICKSINK_CLICKHOUSE_USER=ticksink

# --check-config sees the credential and does not print it.
put_credential "$PASSWORD"
"$TICKSINK" --check-config > "$IT_DIR/check-config" 2>&1 ||
	fail "--check-config failed: $(cat "$IT_DIR/check-config")"
grep -q '^# password = (set)$' "$IT_DIR/check-config" ||
	fail "--check-config does not say the password is set"
grep -q '^user = ticksink$' "$IT_DIR/check-config" ||
	fail "--check-config does not show user ticksink"
no_password_in "$IT_DIR/check-config" "--check-config"

# The wrong password: refused by the server, retried, clean stop.
put_credential "$WRONG"
ticksink_start
wait_until 30 "ClickHouse to refuse the wrong password" refused
snapshot_proc wrong
grep -q 'tables .* ready' "$IT_DIR/ticksink.log" &&
	fail "start-up went on with the wrong password"
ticksink_stop
[ "$TICKSINK_STATUS" -eq 0 ] ||
	fail "SIGTERM while waiting for ClickHouse: exit $TICKSINK_STATUS"
echo "wrong password refused: $(grep -m 1 -o 'Code: 193[^,]*' "$IT_DIR/ticksink.log")"

# The right password: ticks land as user 'ticksink'.
put_credential "$PASSWORD"
mv "$IT_DIR/ticksink.log" "$IT_DIR/ticksink.log.wrong"
ticksink_start
wait_until 30 "ticksink assigned all partitions" ticksink_assigned
snapshot_proc right
"$TICKGEN" --seed 5 --count 100 --start-ms "$(( $(date +%s) * 1000 - 60000 ))" \
	> "$IT_DIR/ticks"
produce "$IT_DIR/ticks"
wait_until 60 "100 ticks landed" table_count_is ticks_db 100
ticksink_stop
[ "$TICKSINK_STATUS" -eq 0 ] || fail "ticksink exited $TICKSINK_STATUS"
echo "right password: 100 ticks landed as user ticksink"

no_password_in "$IT_DIR/ticksink.log.wrong" "the log (wrong password run)"
no_password_in "$IT_DIR/ticksink.log" "the log"
