#!/usr/bin/env bash
# bench/core.sh - instructions per tick of the pure core (issue 6, step 3).
#
# A fixed corpus (ticksink-tickgen --seed 6 --count 100000 --invalid-every
# 1000 --start-ms 1767139200000: 100,000 ticks and 100 invalid messages)
# goes through ticksink-bench-core (bench/core.c: decode, validate, batch,
# RowBinary encode, offsets) under valgrind --tool=callgrind, counting only
# inside core_run().  Instruction counts do not depend on the machine's
# load, so the figure is comparable between commits: bench/RESULTS.md
# records it.  Prints "core: N Ir per message" and the top functions.
#
# usage: bench/core.sh [BUILD_DIR]      default: build
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$top/build}
command -v valgrind >/dev/null || { echo "bench/core.sh: no valgrind" >&2; exit 77; }
tmp=$(mktemp -d /tmp/ticksink-core.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

"$build/ticksink-tickgen" --seed 6 --count 100000 --invalid-every 1000 \
    --start-ms 1767139200000 >"$tmp/corpus"
msgs=$(wc -l <"$tmp/corpus")
valgrind --tool=callgrind --toggle-collect='core_run*' \
    --callgrind-out-file="$tmp/cg.out" \
    "$build/ticksink-bench-core" "$tmp/corpus" >"$tmp/out" 2>"$tmp/vg"
ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/vg")
[[ -n $ir ]] || { cat "$tmp/vg" >&2; exit 1; }
cat "$tmp/out"
echo "core: $(( ir / msgs )) Ir per message ($ir over $msgs messages)"
callgrind_annotate --inclusive=no "$tmp/cg.out" 2>/dev/null |
	awk '/file:function/ { on = 1; next } on && NF && !/^-/ && n++ < 12 {
		lib = match($0, /\[[^]]*\]$/) ? substr($0, RSTART + 1, RLENGTH - 2) : ""
		sub(/ \[.*\]$/, ""); sub(/[^ ]*\/\.\.\//, "")
		if ($0 ~ /\?\?\?:/) { sub(/.*\//, "", lib); $0 = $0 " (" lib ")" }
		print "  " $0 }'
