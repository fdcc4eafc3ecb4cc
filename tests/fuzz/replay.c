/*
 * ticksink: a main() for the fuzz targets without libFuzzer.
 *
 * Runs LLVMFuzzerTestOneInput once on every file named on the command line,
 * and on every regular file of every directory named, so that the committed
 * corpus is replayed by any compiler (gcc included) as a regression test.
 * A crash or abort fails the run; at the end it prints how many inputs ran.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int	replay_file(const char *);
static int	replay_dir(const char *);

static unsigned	replay_count;

/* Read one file whole and run the target on it; -1 if it cannot be read. */
static int
replay_file(const char *path)
{
	FILE	*f;
	uint8_t	*buf;
	long	 len;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: %s: cannot size\n", path);
		fclose(f);
		return (-1);
	}
	/* Exactly len bytes, so that reads past the input are caught. */
	if ((buf = malloc(len == 0 ? 1 : (size_t)len)) == NULL ||
	    fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "replay: %s: read failed\n", path);
		free(buf);
		fclose(f);
		return (-1);
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	replay_count++;
	return (0);
}

/* Run the target on every regular file in dir. */
static int
replay_dir(const char *dir)
{
	struct dirent	**names;
	struct stat	  st;
	char		 *path;
	int		  n, i, rc = 0;

	if ((n = scandir(dir, &names, NULL, alphasort)) < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return (-1);
	}
	for (i = 0; i < n; i++) {
		if (asprintf(&path, "%s/%s", dir, names[i]->d_name) == -1)
			abort();
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    replay_file(path) != 0)
			rc = -1;
		free(path);
		free(names[i]);
	}
	free(names);
	return (rc);
}

/* Replay every file and directory named in argv. */
int
main(int argc, char **argv)
{
	struct stat	st;
	int		i, rc = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			rc = 1;
		} else if (S_ISDIR(st.st_mode) ? replay_dir(argv[i]) != 0 :
		    replay_file(argv[i]) != 0)
			rc = 1;
	}
	printf("replayed %u inputs\n", replay_count);
	if (replay_count == 0)
		rc = 1;
	return (rc);
}
