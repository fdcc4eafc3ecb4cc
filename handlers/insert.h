/*
 * ticksink: what an insert's answer means, and when to try again.
 */
#ifndef HANDLERS_INSERT_H
#define HANDLERS_INSERT_H

#include <stddef.h>
#include <stdint.h>

/* How the transfer itself went, mapped from curl at the boundary. */
enum insert_transport {
	INSERT_NET_OK,		/* an HTTP answer arrived */
	INSERT_NET_TIMEOUT,	/* no answer in time; may have landed */
	INSERT_NET_ERROR	/* connect refused, reset, DNS... */
};

enum insert_outcome {
	INSERT_OK,		/* landed */
	INSERT_RETRY,		/* send the same bytes again later */
	INSERT_POISON		/* the rows themselves are refused */
};

/* The answer to one request. body is borrowed during the call. */
struct insert_response {
	enum insert_transport	 transport;
	long			 status;
	const char		*body;
	size_t			 len;
	uint64_t		 elapsed_us;	/* send to answer; 0 if unknown */
};

enum insert_outcome	 insert_classify(const struct insert_response *,
			     int *);
int			 insert_error_code(const char *, size_t);
uint64_t		 insert_backoff_us(unsigned, uint64_t);
const char		*insert_outcome_name(enum insert_outcome);

#endif /* HANDLERS_INSERT_H */
