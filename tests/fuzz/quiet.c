/*
 * ticksink: the fuzz targets' logger setup.
 */

#include <stdbool.h>
#include <stdio.h>

#include "fuzz.h"
#include "log.h"

/* Point the logger at /dev/null once, so targets that log stay fast. */
void
fuzz_quiet(void)
{
	static bool	 done;
	static FILE	*null;

	if (done)
		return;
	done = true;
	if ((null = fopen("/dev/null", "w")) != NULL)
		log_open(0, LOG_STYLE_PLAIN, null, NULL);
}
