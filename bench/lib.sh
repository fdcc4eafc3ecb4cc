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
