#!/usr/bin/env bash
# The alerting rules load and their unit tests pass (promtool, from
# Debian's prometheus package; skipped where it is missing).
set -euo pipefail
command -v promtool > /dev/null ||
	{ echo "SKIP: promtool not found (install Debian package prometheus)"; exit 77; }
cd "$SRCDIR/alerts"
promtool check rules ticksink.rules.yml
promtool test rules ticksink.rules.test.yml
