#!/usr/bin/env bash
# Config errors a person can fix (issue 7 §4), end to end with the binary:
# each bad configuration stops ticksink with exit status 2 and exactly one
# line on stderr that names what is wrong, and nothing on stdout; a valid
# one passes --check-config with exit 0 and the secrets masked.
set -euo pipefail

T=${TICKSINK:?}
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
failures=0

fail() { printf 'FAIL: %s\n' "$*" >&2; failures=$((failures + 1)); }

# expect_error NAME PATTERN CMD...: CMD exits 2 with one stderr line
# matching PATTERN and no output.
expect_error() {
	local name=$1 pattern=$2 rc=0
	shift 2
	env -u TICKSINK_CLICKHOUSE_PASSWORD -u CREDENTIALS_DIRECTORY \
		"$@" > "$D/out" 2> "$D/err" < /dev/null || rc=$?
	[ "$rc" -eq 2 ] || fail "$name: exit $rc, expected 2"
	[ ! -s "$D/out" ] || fail "$name: wrote to stdout: $(head -c 200 "$D/out")"
	[ "$(wc -l < "$D/err")" -eq 1 ] ||
		fail "$name: $(wc -l < "$D/err") lines on stderr, expected 1: $(cat "$D/err")"
	grep -q -E -- "$pattern" "$D/err" ||
		fail "$name: '$(cat "$D/err")' does not match '$pattern'"
	printf 'ok  %-22s %s\n' "$name" "$(head -n 1 "$D/err")"
}

ini() { printf '%b' "$2" > "$D/$1"; }

ini unknown.ini '[batch]\nmax_row = 5\n'
expect_error unknown_key \
	"unknown.ini:2: unknown key 'max_row' in \[batch\] \(did you mean 'max_rows'\?\)" \
	"$T" --config "$D/unknown.ini"

ini badvalue.ini '[batch]\nmax_rows = abc\n'
expect_error bad_value "badvalue.ini:2: \[batch\] max_rows = 'abc': expected" \
	"$T" --config "$D/badvalue.ini"

expect_error bad_env_value "TICKSINK_BATCH_MAX_DELAY_MS.*'soon'" \
	env TICKSINK_BATCH_MAX_DELAY_MS=soon "$T"

ini conflict.ini '[kafka]\nenable.auto.commit = false\n'
expect_error conflicting_setting "enable.auto.commit" "$T" --config "$D/conflict.ini"

# librdkafka's own checks, at start and in --check-config, not only once
# ClickHouse has answered and the consumer is made.
ini kafkavalue.ini '[kafka]\nfetch.max.bytes = banana\n'
expect_error kafka_bad_value \
	"config: \[kafka\] fetch.max.bytes = 'banana': Invalid value" \
	"$T" --config "$D/kafkavalue.ini" --check-config
ini kafkaname.ini '[kafka]\nfetch.max.byte = 1048576\n'
expect_error kafka_unknown_property \
	"config: \[kafka\] fetch.max.byte = '1048576': No such configuration" \
	"$T" --config "$D/kafkaname.ini"

ini creds.ini '[clickhouse]\nurl = https://u:secretpw@ch.example/\n'
expect_error credentials_in_url "must not hold credentials" \
	"$T" --config "$D/creds.ini"
grep -q secretpw "$D/err" && fail "credentials_in_url: the password is echoed"
ini urllist.ini '[clickhouse]\nurl = http://ch1:8123, ch2:8123\n'
expect_error bad_url_in_list \
	"urllist.ini:2: \[clickhouse\] url = 'http://ch1:8123, ch2:8123': expected an http:// or https:// URL with a host, or up to 16 of them separated by commas" \
	"$T" --config "$D/urllist.ini" --check-config
ini credslist.ini '[clickhouse]\nurl = ftp://ch1, https://u:secretpw@ch2/\n'
expect_error credentials_in_url_list "must not hold credentials" \
	"$T" --config "$D/credslist.ini"
grep -q secretpw "$D/err" &&
	fail "credentials_in_url_list: the password is echoed"

expect_error missing_file "$D/none.ini: No such file or directory" \
	"$T" --config "$D/none.ini"
expect_error directory_as_file "$D: Is a directory" "$T" --config "$D"

ini pwmissing.ini "[clickhouse]\npassword_file = $D/no-such-password\n"
expect_error missing_password_file \
	"password_file: $D/no-such-password: No such file or directory" \
	"$T" --config "$D/pwmissing.ini"
mkdir "$D/pwdir"
ini pwdir.ini "[clickhouse]\npassword_file = $D/pwdir\n"
expect_error password_file_is_dir "password_file: $D/pwdir: Is a directory" \
	"$T" --config "$D/pwdir.ini"

# Permission denied needs an unprivileged user; root reads anything.
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null; then
	ini noread.ini '[batch]\nmax_rows = 5\n'
	chmod 0600 "$D/noread.ini"
	chmod 0755 "$D"
	printf 'pw\n' > "$D/pw"
	chmod 0600 "$D/pw"
	ini pwnoread.ini "[clickhouse]\npassword_file = $D/pw\n"
	chmod 0644 "$D/pwnoread.ini"
	if setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$T"; then
		expect_error unreadable_file "noread.ini: Permission denied" \
			setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$T" --config "$D/noread.ini"
		expect_error unreadable_password_file \
			"password_file: $D/pw: Permission denied" \
			setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$T" --config "$D/pwnoread.ini"
	fi
fi

# Valid: --check-config exits 0, prints the config, masks the secrets.
printf 'Pw-Check-7z\n' > "$D/goodpw"
ini good.ini "[kafka]\nsasl.password = Kafka-Sasl-9y\nsecurity.protocol = sasl_plaintext\n[clickhouse]\npassword_file = $D/goodpw\n[batch]\nmax_rows = 5\n"
rc=0
"$T" --config "$D/good.ini" --check-config > "$D/out" 2> "$D/err" || rc=$?
[ "$rc" -eq 0 ] || fail "--check-config on a valid file: exit $rc: $(cat "$D/err")"
grep -q '^max_rows = 5$' "$D/out" || fail "--check-config does not show max_rows = 5"
grep -q '^# password = (set)$' "$D/out" || fail "--check-config does not say (set)"
grep -q '^sasl.password = \*\*\*\*\*\*\*\*$' "$D/out" ||
	fail "--check-config does not mask sasl.password"
grep -q -e Pw-Check-7z -e Kafka-Sasl-9y "$D/out" "$D/err" &&
	fail "--check-config shows a secret"
echo "ok  check_config_valid"

[ "$failures" -eq 0 ] || { echo "$failures failures"; exit 1; }
