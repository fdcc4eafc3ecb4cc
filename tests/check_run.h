/*
 * ticksink tests: every unit test program runs its one Check suite the same
 * way; the exit status says whether every test passed.
 */

#ifndef TESTS_CHECK_RUN_H
#define TESTS_CHECK_RUN_H

#include <stdlib.h>

#include <check.h>

/* Run s (CK_VERBOSITY from the environment); EXIT_SUCCESS if all passed. */
static inline int
check_run(Suite *s)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

#endif /* TESTS_CHECK_RUN_H */
