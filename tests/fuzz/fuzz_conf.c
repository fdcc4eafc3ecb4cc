/*
 * ticksink: fuzz target for conf_load, conf_apply_env, conf_validate and
 * conf_dump.
 *
 * The input is INI text, optionally followed by a NUL byte and environment
 * entries, one per line (so "TICKSINK_BATCH_MAX_ROWS=5" overrides a key).
 * On success the target checks two promises of conf.h: the dump never shows
 * the password, and loading the dump into a fresh config dumps the same text
 * again.  On failure the cause must be one line.
 */

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fuzz.h"

#define FUZZ_CONF_MAXENV	64
#define FUZZ_CONF_PASSWORD	"Fz-pw-Qx81-secret"

/* Abort unless cause is one non-empty line; then free it. */
static void
fuzz_conf_check_cause(char *cause)
{
	if (cause == NULL || cause[0] == '\0' || strchr(cause, '\n') != NULL)
		abort();
	free(cause);
}

/* Split s (modified in place) at newlines into envp; returns envp. */
static char **
fuzz_conf_env(char *s, char **envp)
{
	size_t	n = 0;
	char	*line;

	while (s != NULL && n < FUZZ_CONF_MAXENV) {
		line = s;
		if ((s = strchr(s, '\n')) != NULL)
			*s++ = '\0';
		envp[n++] = line;
	}
	envp[n] = NULL;
	return (envp);
}

/* libFuzzer entry: load text and environment, validate, dump, reload. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	*c, *again;
	char		*envp[FUZZ_CONF_MAXENV + 1];
	char		*text, *env, *cause = NULL, *dump, *dump2;
	size_t		 tlen;

	fuzz_quiet();
	/* The text part is copied exactly, so reads past it are caught. */
	env = memchr(data, '\0', size);
	tlen = env != NULL ? (size_t)(env - (const char *)data) : size;
	if ((text = malloc(tlen == 0 ? 1 : tlen)) == NULL)
		abort();
	memcpy(text, data, tlen);
	env = NULL;
	if (tlen < size) {
		if ((env = malloc(size - tlen)) == NULL)
			abort();
		memcpy(env, data + tlen + 1, size - tlen - 1);
		env[size - tlen - 1] = '\0';
	}

	c = conf_new();
	if (conf_load(c, text, tlen, "fuzz.ini", &cause) != 0) {
		fuzz_conf_check_cause(cause);
		goto out;
	}
	if (env != NULL &&
	    conf_apply_env(c, fuzz_conf_env(env, envp), &cause) != 0) {
		fuzz_conf_check_cause(cause);
		goto out;
	}
	if (conf_validate(c, &cause) != 0)
		fuzz_conf_check_cause(cause);
	conf_set_password(c, FUZZ_CONF_PASSWORD, strlen(FUZZ_CONF_PASSWORD));
	dump = conf_dump(c);
	if (strstr(dump, FUZZ_CONF_PASSWORD) != NULL)
		abort();
	again = conf_new();
	if (conf_load(again, dump, strlen(dump), "dump", &cause) != 0)
		abort();
	conf_set_password(again, FUZZ_CONF_PASSWORD,
	    strlen(FUZZ_CONF_PASSWORD));
	dump2 = conf_dump(again);
	if (strcmp(dump, dump2) != 0)
		abort();
	free(dump2);
	conf_free(again);
	free(dump);
out:
	conf_free(c);
	free(env);
	free(text);
	return (0);
}
