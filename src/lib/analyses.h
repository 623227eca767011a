/* Shared by the analyses (stats report, diff, timeline, check) and their
 * renderers; the CLI never sees it. */
#ifndef MPHEAP_SRC_LIB_ANALYSES_H
#define MPHEAP_SRC_LIB_ANALYSES_H

#include "internal.h"

/* Length of the run of byte c starting at cells[i] (i < n), a word at a time. */
size_t mph__run_length(const char *cells, size_t n, size_t i, char c);

/* Power-of-two histogram bucket of a size in blocks (>= 1). */
unsigned mph__bucket_of(uint64_t blocks);

/* A growable array of allocations: one realloc per doubling, never per block. */
typedef struct mph__allocs {
    mph_alloc *v;
    size_t n, cap;
} mph__allocs;

MPH_NODISCARD bool mph__allocs_push(mph__allocs *a, const mph_alloc *x);
void mph__allocs_fini(mph__allocs *a);

/* diff.c: the pair that holds NEW's area i, or -1. */
long mph__diff_pair_of_new(const mph_diff *d, size_t new_area);

/* Formats shared by the text renderers: "4.0 KiB" or "12 blocks" when the block size is 0. */
const char *mph__fmt_blocks(char buf[48], uint64_t blocks, unsigned block_size);

#endif
