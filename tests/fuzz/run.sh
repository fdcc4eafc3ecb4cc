#!/usr/bin/env bash
# tests/fuzz/run.sh FUZZER CORPUS SECONDS - run one libFuzzer target for a
# bounded time over the committed corpus.  New inputs go to a temporary
# directory (libFuzzer writes into the first corpus it is given), so the
# committed one is never modified; a crash leaves its input in the build
# directory's fuzz-artifacts/ and fails the test.
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts=${MESON_BUILD_ROOT:-$PWD}/fuzz-artifacts
mkdir -p "$artifacts"
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-max_len=65536 -print_final_stats=1 \
	-artifact_prefix="$artifacts/$(basename "$fuzzer")-" \
	"$work" "$corpus"
