# shellcheck shell=bash
# bench/lib.sh - helpers the bench scripts share.  Source it from bash.

# utime+stime of pid $1 in clock ticks, all threads.  Field 2 is "(comm)",
# so cut up to the last ')': utime and stime are then the 12th and 13th.
cpu_ticks() {
	local s
	s=$(<"/proc/$1/stat")
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo $(( ${12} + ${13} ))
}

# Median of the arguments (the lower middle for an even count).
median() {
	printf '%s\n' "$@" | sort -g |
	    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# The body of GET http://127.0.0.1:$1$2 (HTTP/1.0, path already
# URL-encoded) into the array BODY, one line an element; empty if nothing
# answers.  Bash alone, no process started: the benches poll beside the
# processes they measure, and a curl | awk pair per poll cost 34 ms of
# CPU.  Bash reads a socket a byte per system call, so this is for short
# answers (kafka_engine.sh's row count every 100 ms); bench/progress.py
# polls ticksink's /metrics.
http_body() {
	local fd line head=1
	BODY=()
	exec {fd}<>"/dev/tcp/127.0.0.1/$1" || return 0
	printf 'GET %s HTTP/1.0\r\n\r\n' "$2" >&"$fd"
	while IFS= read -r line <&"$fd" || [[ -n $line ]]; do
		line=${line%$'\r'}
		if (( head )); then
			[[ -n $line ]] || head=0
		else
			BODY+=("$line")
		fi
	done
	exec {fd}>&-
}

# Milliseconds now into MS, and a wait of $1 seconds (0.02 by default),
# without starting a process (see http_body): bash's own clock, and a read
# that times out on a pipe nobody writes to.
ms_now() { local t=${EPOCHREALTIME/./}; MS=$(( t / 1000 )); }
exec {NAP_FD}<> <(:)
nap() { read -rt "${1:-0.02}" -u "$NAP_FD" || true; }
