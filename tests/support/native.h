/*
 * tests: ClickHouse Native blocks read back into RowBinary rows.
 */
#ifndef TESTS_SUPPORT_NATIVE_H
#define TESTS_SUPPORT_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * Read the whole Native blocks at the start of body (len bytes) as the
 * server would, and append their rows to rows in RowBinary, every row's
 * values in the block's column order.  Returns the bytes of body the
 * whole blocks took (a block cut short at the end is left), with their
 * rows counted in *nrows; -1 for a block that is not Native or holds a
 * type this reader does not know.
 */
long	native_rows(const uint8_t *, size_t, struct buf *, uint64_t *);

#endif /* TESTS_SUPPORT_NATIVE_H */
