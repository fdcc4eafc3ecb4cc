/*
 * ticksink: allocation that cannot fail (it aborts through fatal).
 */
#ifndef REACTOR_XMALLOC_H
#define REACTOR_XMALLOC_H

#include <stddef.h>

/* Each returns allocated memory; the caller frees it. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif /* REACTOR_XMALLOC_H */
