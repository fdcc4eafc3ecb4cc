/*
 * ticksink: per-partition tracking of what has landed, and what may be
 * committed.
 */
#ifndef HANDLERS_OFFSETS_H
#define HANDLERS_OFFSETS_H

#include <stdbool.h>
#include <stdint.h>

struct offsets;

/* Returns allocated; free with offsets_free. */
struct offsets	*offsets_new(void);
void		 offsets_free(struct offsets *);

void		 offsets_assign(struct offsets *, int32_t);
void		 offsets_revoke(struct offsets *, int32_t);
bool		 offsets_is_assigned(const struct offsets *, int32_t);

void		 offsets_add(struct offsets *, int32_t, int64_t, uint64_t);
void		 offsets_skip(struct offsets *, int32_t, int64_t);
void		 offsets_landed(struct offsets *, uint64_t);
bool		 offsets_next_commit(struct offsets *, int32_t *, int64_t *);
int64_t		 offsets_committable(const struct offsets *, int32_t);
int64_t		 offsets_first_pending(const struct offsets *, int32_t);
size_t		 offsets_pending(const struct offsets *, int32_t);

#endif /* HANDLERS_OFFSETS_H */
