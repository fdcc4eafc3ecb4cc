#!/usr/bin/env bash
# systemd/ticksink.service: the exposure score that
# `systemd-analyze security --offline=true systemd/ticksink.service` gives
# must be 1.5 or lower; `systemd-analyze verify` must pass on the unit meson
# installs (with ExecStart= pointed at the binary just built, since verify
# insists that it exists); the settings the service relies on must be
# there, with TimeoutStopSec= above the default drain deadline; and meson
# must install the binary, the unit and the sample configuration.
# Skipped (77) where systemd-analyze is absent: apt-get install systemd.
set -euo pipefail

UNIT=$SRCDIR/systemd/ticksink.service
MAX_SCORE=1.5

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
command -v systemd-analyze > /dev/null || {
	echo "SKIP: systemd-analyze not found (apt-get install systemd)"
	exit 77
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The score.
systemd-analyze security --offline=true "$UNIT" > "$tmp/security" 2>&1 ||
	fail "systemd-analyze security failed: $(cat "$tmp/security")"
score=$(sed -n 's/.*Overall exposure level for ticksink.service: \([0-9.]*\).*/\1/p' \
	"$tmp/security")
[ -n "$score" ] || fail "no score in: $(tail -n 3 "$tmp/security")"
echo "systemd-analyze security --offline=true systemd/ticksink.service: $score"
awk -v s="$score" -v m="$MAX_SCORE" 'BEGIN { exit !(s <= m) }' ||
	fail "exposure $score is above $MAX_SCORE: $(grep '✗' "$tmp/security")"

# verify, on what meson installs.
installed=$BUILDDIR/ticksink.service
[ -f "$installed" ] || fail "meson did not generate $installed"
sed "s|^ExecStart=[^ ]*|ExecStart=$TICKSINK|" "$installed" > "$tmp/ticksink.service"
systemd-analyze verify "$tmp/ticksink.service" > "$tmp/verify" 2>&1 ||
	fail "systemd-analyze verify: $(cat "$tmp/verify")"
[ ! -s "$tmp/verify" ] || fail "systemd-analyze verify said: $(cat "$tmp/verify")"
echo "systemd-analyze verify: ok"

# What the service relies on.
has() { grep -qx -- "$1" "$UNIT" || fail "the unit lacks '$1'"; }
has 'Type=notify'
has 'NotifyAccess=main'
has 'Restart=on-failure'
has 'DynamicUser=yes'
has 'ConfigurationDirectory=ticksink'
has 'LoadCredential=clickhouse_password:/etc/ticksink/clickhouse_password'
has 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX'
has 'StandardError=journal'
grep -q '^WatchdogSec=[1-9]' "$UNIT" || fail "the unit has no WatchdogSec="
grep -q '^StartLimitBurst=[1-9]' "$UNIT" || fail "no restart limit"
stop_s=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$UNIT")
drain_ms=$(env -i "$TICKSINK" --check-config | sed -n 's/^drain_timeout_ms = //p')
[ -n "$stop_s" ] && [ -n "$drain_ms" ] ||
	fail "cannot read TimeoutStopSec= ($stop_s) or drain_timeout_ms ($drain_ms)"
[ $(( stop_s * 1000 )) -gt "$drain_ms" ] ||
	fail "TimeoutStopSec=${stop_s}s is not above drain_timeout_ms=$drain_ms"
echo "TimeoutStopSec=${stop_s}s > drain_timeout_ms=$drain_ms"

# meson install: binary, unit, sample configuration.
python3 - "$BUILDDIR/meson-info/intro-installed.json" <<'PY' ||
import json, sys
dests = json.load(open(sys.argv[1])).values()
want = ("/bin/ticksink", "/systemd/system/ticksink.service",
        "/ticksink/ticksink.ini.example")
missing = [w for w in want if not any(d.endswith(w) for d in dests)]
if missing:
    print("not installed:", *missing)
    sys.exit(1)
PY
	fail "meson install misses something"
echo "meson install: binary, unit, sample configuration"
