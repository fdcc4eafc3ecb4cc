#!/usr/bin/env bash
# ticksink.ini.example, the commented sample configuration meson installs,
# lists every key with its default: with its settings uncommented it loads,
# gives exactly the defaults, and names the same keys in the same sections
# as --check-config prints.  A key added to handlers/conf.c without a line
# here fails this test.
set -euo pipefail

EXAMPLE=$SRCDIR/ticksink.ini.example
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Settings are "#key = value"; prose is "# text".
sed -E 's/^#([a-z_.]+ = )/\1/' "$EXAMPLE" > "$tmp/uncommented.ini"
env -i "$TICKSINK" --config "$tmp/uncommented.ini" --check-config \
	> "$tmp/sample" 2>&1 || fail "the sample does not load: $(cat "$tmp/sample")"
env -i "$TICKSINK" --check-config > "$tmp/defaults"
diff -u "$tmp/defaults" "$tmp/sample" ||
	fail "the sample's values are not the defaults"

# [section] key, one per line, for settings only.
keys() {
	awk '/^\[/ { s = $0 } /^#?[a-z_.]+ = / { sub(/^#/, ""); print s, $1 }' \
	    "$1" | sort
}
keys "$EXAMPLE" > "$tmp/sample.keys"
keys "$tmp/defaults" > "$tmp/defaults.keys"
diff -u "$tmp/defaults.keys" "$tmp/sample.keys" ||
	fail "the sample and --check-config list different keys"
# The example alone, commented as shipped, loads too.
env -i "$TICKSINK" --config "$EXAMPLE" --check-config > /dev/null ||
	fail "the sample as shipped does not load"
echo "$(wc -l < "$tmp/sample.keys") keys, all documented with their defaults"
