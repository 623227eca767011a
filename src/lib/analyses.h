/* Shared by the analyses (stats report, diff, timeline, check) and their
 * renderers; the CLI never sees it. */
#ifndef MPHEAP_SRC_LIB_ANALYSES_H
#define MPHEAP_SRC_LIB_ANALYSES_H

#include "internal.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Length of the run of byte c starting at cells[i] (i < n), a word at a time. */
size_t mph__run_length(const char *cells, size_t n, size_t i, char c);

/* Masks over up to 64 cells (n <= 64), for loops that go from one change to
 * the next instead of cell by cell: bit k is set where cells[k] == c, or
 * where a[k] == b[k]; bits n and up are 0. */
uint64_t mph__cells_equal_bits(const char *cells, size_t n, char c);
uint64_t mph__cells_same_bits(const char *a, const char *b, size_t n);

/* Bits 0 to k - 1, all 64 from k = 64 on: a chunk of k cells' bits. */
static inline uint64_t mph__low_bits(uint64_t k) {
    return k < 64 ? (UINT64_C(1) << k) - 1 : ~UINT64_C(0);
}

/* Both masks a map is read by: bit k of *free_m / *tail_m is set where
 * cells[k] is free / a tail (n <= 64), from one read of the cells. */
static inline void mph__cell_masks(const char *cells, size_t n, uint64_t *free_m, uint64_t *tail_m) {
#if defined(__SSE2__)
    if (n == 64) {
        const __m128i dot = _mm_set1_epi8(MPH_CELL_FREE), eq = _mm_set1_epi8(MPH_CELL_TAIL);
        uint64_t f = 0, t = 0;
        for (int k = 0; k < 4; k++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(cells + 16 * k));
            f |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, dot)) << (16 * k);
            t |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, eq)) << (16 * k);
        }
        *free_m = f;
        *tail_m = t;
        return;
    }
#endif
    uint64_t f = 0, t = 0;
    for (size_t i = 0; i < n; i++) {
        f |= (uint64_t)(cells[i] == MPH_CELL_FREE) << i;
        t |= (uint64_t)(cells[i] == MPH_CELL_TAIL) << i;
    }
    *free_m = f;
    *tail_m = t;
}

/* An entry's size and index, to sort by size without global state. */
typedef struct mph__sized {
    uint64_t n_blocks;
    size_t index;
} mph__sized;

/* qsort order of mph__sized: largest first, ties in index order. */
int mph__by_size_desc(const void *x, const void *y);

/* The index of the lowest set bit of x (x != 0). */
static inline unsigned mph__lowest_bit(uint64_t x) {
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(x);
#else
    unsigned k = 0;
    for (; !(x & 1); x >>= 1)
        k++;
    return k;
#endif
}

/* The index of the highest set bit of x (x != 0). */
static inline unsigned mph__highest_bit(uint64_t x) {
#if defined(__GNUC__)
    return 63u - (unsigned)__builtin_clzll(x);
#else
    unsigned k = 0;
    while (x >>= 1)
        k++;
    return k;
#endif
}

/* Copy a run of n bytes 16 at a time: reads and writes up to 15 bytes past
 * it, so source and destination need that much room. Returns w + n. */
#define MPH_RUN_SLACK 16
static inline char *mph__copy_run(char *w, const char *src, size_t n) {
    for (size_t i = 0; i < n; i += MPH_RUN_SLACK)
        memcpy(w + i, src + i, MPH_RUN_SLACK);
    return w + n;
}

/* 0xff in each byte of x that equals c, 0 in the others: eight bytes at once. */
static inline uint64_t mph__bytes_equal_mask(uint64_t x, unsigned char c) {
    uint64_t y = x ^ (UINT64_C(0x0101010101010101) * c);
    // The high bit of a byte of t is set where y's byte is not 0; no carry crosses bytes.
    uint64_t t = ((y & UINT64_C(0x7f7f7f7f7f7f7f7f)) + UINT64_C(0x7f7f7f7f7f7f7f7f)) | y;
    return ((~t & UINT64_C(0x8080808080808080)) >> 7) * 0xff;
}

/* In a word of mph_diff_class bytes, the bits only FREED, ALLOCATED and
 * REUSED (2 to 4) have: FREE is 0, KEPT 1. */
#define MPH_CHANGED_CLASS_BITS UINT64_C(0xfefefefefefefefe)

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
/* The same for an area of OLD. */
long mph__diff_pair_of_old(const mph_diff *d, size_t old_area);

/* diff.c: mph_diff_compute's alignment alone, read from the areas' bases and
 * sizes and the block sizes (no cell: the snapshots' maps may be gone): its
 * pairs with their areas and common blocks, the summary's alignment, the
 * notes and mph__diff_pair_of_new/old. No stats, classes (p->classes is NULL),
 * lists or split: ask it for nothing else. Borrows the snapshots; free with
 * mph_diff_free. MPH_OK or MPH_ERR_NOMEM. */
MPH_NODISCARD mph_status mph__diff_align(const mph_snapshot *old_s, const mph_snapshot *new_s,
                                         mph_diff **out, mph_error *err);

/* timeline.c: the rows of a kind as "rows 1-3, 5" or "row 2" into buf (""
 * when none; a list too long for cap ends in "..."); returns how many. */
typedef enum mph__rows_kind {
    MPH__ROWS_NO_MAP,       /* from the header: no map */
    MPH__ROWS_PARTIAL,      /* from the header: the map is cut short */
    MPH__ROWS_HEADER_BYTES  /* from the header, with no block size: used and free in bytes only */
} mph__rows_kind;
size_t mph__timeline_rows_text(char *buf, size_t cap, const mph_timeline *t, mph__rows_kind kind);

/* timeline.c: what one step of the leak analysis takes from comparing o and n
 * (both with a whole map at hand), decided as it does it, from the two lists
 * of allocations and the alignment: into gone, o's allocations gone in n, as
 * mph_diff_gone_at lists them; into kept, n's allocations whose first block
 * mph_diff_compute classes MPH_DIFF_KEPT (the same allocation in both), in
 * address order. For the tests, which hold them against mph_diff_compute's.
 * Appends to both (free with mph__allocs_fini). MPH_OK or MPH_ERR_NOMEM. */
MPH_NODISCARD mph_status mph__timeline_match(const mph_snapshot *o, const mph_snapshot *n,
                                             mph__allocs *gone, mph__allocs *kept, mph_error *err);

/* verdict.c: the bytes a new heap area must have for an allocation of `bytes`
 * (gc_try_add_heap's rule), saturating rather than wrapping. */
uint64_t mph__grow_needed(uint64_t bytes);
/* mph_verdict_new; with detail false, only the conclusion: on a whole map no
 * pass over the runs (no first fit, runs or windows), as check needs. */
mph_status mph__verdict_make(const mph_snapshot *s, uint64_t need_bytes, bool detail,
                             mph_verdict **out, mph_error *err);

/* Formats shared by the text renderers: "4.0 KiB" or "12 blocks" when the block size is 0. */
const char *mph__fmt_blocks(char buf[48], uint64_t blocks, unsigned block_size);

#endif
