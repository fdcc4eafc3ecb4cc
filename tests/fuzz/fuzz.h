/*
 * ticksink: what every fuzz target shares.
 *
 * Each target defines LLVMFuzzerTestOneInput.  Built with clang and
 * -Dfuzz=true, libFuzzer supplies main(); otherwise replay.c does, running
 * the target once over every file it is given so that the committed corpus
 * is exercised by any compiler.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Run one input (borrowed during the call); always returns 0. */
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * Silence the logger for a target whose code logs (conf, sink): the output
 * would only slow the fuzzer down.  Idempotent.
 */
void	fuzz_quiet(void);

#endif /* TESTS_FUZZ_FUZZ_H */
