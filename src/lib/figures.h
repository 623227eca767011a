/* The figures MicroPython prints above its map (free blocks, 1- and 2-block
 * allocations, max blk sz, max free sz), counted while the parser copies the
 * cells, 64 at a time with bit masks: checking a dump costs no second pass,
 * and a fragmented heap costs no more than a clean one (nothing here loops
 * over runs). The per-type counts and histograms are left to stats.c, which
 * computes them when asked. Shared by parser.c and stats.c. */
#ifndef MPHEAP_SRC_LIB_FIGURES_H
#define MPHEAP_SRC_LIB_FIGURES_H

#include "analyses.h"

/* The hot loop's helpers must be inlined into each instruction set's version. */
#if defined(__GNUC__)
#define MPH_HOT static inline __attribute__((always_inline))
#else
#define MPH_HOT static inline
#endif

/* The running figures of one area. An allocation starts at a head, or at a
 * tail with free space (or the area's start) before it; the tails after a
 * used cell continue it. */
typedef struct mph__figures {
    uint64_t cells; /* fed so far */
    uint64_t free_blocks, free_runs, allocs, orphans, n1, n2;
    uint64_t largest_free, largest_free_at;
    uint64_t longest_tails; /* the longest run of continuing tails: max blk sz - 1 */
    uint64_t free_run, tail_run; /* the runs that reach the last cell fed */
    /* The last cells fed: used, free, an allocation's start, a continuing tail,
     * and whether the cell before the last was a start. */
    uint64_t last_used, last_free, last_start, last_tail, before_last_start;
    /* Runs inside a chunk (touching neither end, so at most 62 long) were
     * not looked at: the longest runs are exact only if 63 or more. */
    bool inner_skipped;
    /* Some of those chunks did not start at a multiple of 64 cells from the
     * area's start (rows before them were short): see mph__figures_finish. */
    bool off_grid;
} mph__figures;

/* Is there a run of at least len (>= 1) set bits in x? O(log len) steps:
 * after each, bit i is set when the `have` bits from i up all are. */
MPH_HOT bool mph__has_run(uint64_t x, unsigned len) {
    unsigned have = 1;
    while (x && have < len) {
        unsigned s = have < len - have ? have : len - have;
        x &= x >> s;
        have += s;
    }
    return x != 0;
}

/* Could x hold a run of len set bits? A run of 2^(k+1) - 1 or more holds an
 * aligned group of 2^k, and a group of zeros in ~x is a few operations to
 * find: most chunks are turned away here. */
MPH_HOT bool mph__may_have_run(uint64_t x, unsigned len) {
    uint64_t t = ~x;
    if (len >= 31)
        return ((t - UINT64_C(0x0001000100010001)) & ~t & UINT64_C(0x8000800080008000)) != 0;
    if (len >= 15)
        return ((t - UINT64_C(0x0101010101010101)) & ~t & UINT64_C(0x8080808080808080)) != 0;
    if (len >= 7)
        return ((t - UINT64_C(0x1111111111111111)) & ~t & UINT64_C(0x8888888888888888)) != 0;
    return x != 0;
}

/* Track the longest run of set bits in a stream of masks: *run is the run
 * reaching the previous chunk's end, *best and *at the longest so far (the
 * first of equals wins) and where it starts. base is the chunk's first cell.
 * Without `inner`, runs inside the chunk are left out (see inner_skipped). */
MPH_HOT void mph__longest_run(uint64_t x, uint64_t valid, unsigned m, uint64_t base,
                              uint64_t *run, uint64_t *best, uint64_t *at, bool inner) {
    if (x == valid) {
        *run += m;
        return;
    }
    unsigned lead = (unsigned)__builtin_ctzll(~x); // < m: x has a clear bit
    if (*run + lead > *best) {
        *best = *run + lead;
        *at = base - *run;
    }
    // Runs inside the chunk matter only while the best is shorter than one.
    uint64_t rest = lead ? x & ~((UINT64_C(1) << lead) - 1) : x;
    if (inner && *best < 63 && mph__may_have_run(rest, (unsigned)*best + 1) &&
        mph__has_run(rest, (unsigned)*best + 1)) {
        uint64_t y = rest, starts = rest;
        unsigned len = 0;
        while (y) {
            starts = y;
            y &= y >> 1;
            len++;
        }
        *best = len; // a run at the chunk's end may be longer: seen when it ends
        *at = base + (uint64_t)__builtin_ctzll(starts);
    }
    *run = x >> (m - 1) & 1 ? (uint64_t)__builtin_clzll(~(x << (64 - m))) : 0;
}

/* Feed the next m (1..64) cells of the area, as masks of free and tail cells.
 * The hot loop leaves out the runs inside the chunk (inner false): a few
 * operations and a branch less per row, and mph__figures_finish looks again
 * in the rare heap whose runs are all shorter than 63. */
MPH_HOT void mph__figures_feed_masks(mph__figures *f, uint64_t free_m, uint64_t tail_m,
                                     unsigned m, bool inner) {
    uint64_t valid = mph__low_bits(m);
    uint64_t used = valid & ~free_m;
    uint64_t used_before = used << 1 | f->last_used;
    uint64_t tails = tail_m & used_before; // continue an allocation
    uint64_t starts = used & ~tails;
    uint64_t not_tail = valid & ~tails;
    f->free_blocks += (uint64_t)__builtin_popcountll(free_m);
    f->free_runs += (uint64_t)__builtin_popcountll(free_m & ~(free_m << 1 | f->last_free));
    f->allocs += (uint64_t)__builtin_popcountll(starts);
    f->orphans += (uint64_t)__builtin_popcountll(tail_m & ~used_before);
    // An allocation ends where no tail follows: count its size there.
    uint64_t start_1 = starts << 1 | f->last_start;
    uint64_t start_2 = starts << 2 | f->last_start << 1 | f->before_last_start;
    uint64_t tail_1 = tails << 1 | f->last_tail;
    f->n1 += (uint64_t)__builtin_popcountll(start_1 & not_tail);
    f->n2 += (uint64_t)__builtin_popcountll(start_2 & tail_1 & not_tail);
    uint64_t unused_at = 0;
    mph__longest_run(free_m, valid, m, f->cells, &f->free_run, &f->largest_free,
                     &f->largest_free_at, inner);
    mph__longest_run(tails, valid, m, f->cells, &f->tail_run, &f->longest_tails, &unused_at,
                     inner);
    f->inner_skipped |= !inner;
    f->before_last_start = m >= 2 ? starts >> (m - 2) & 1 : f->last_start;
    f->last_used = used >> (m - 1) & 1;
    f->last_free = free_m >> (m - 1) & 1;
    f->last_start = starts >> (m - 1) & 1;
    f->last_tail = tails >> (m - 1) & 1;
    f->cells += m;
}

/* Feed n cells, any number. */
static inline void mph__figures_feed(mph__figures *f, const char *cells, size_t n) {
    while (n) {
        unsigned m = n < 64 ? (unsigned)n : 64;
        uint64_t free_m, tail_m;
        mph__cell_masks(cells, m, &free_m, &tail_m);
        mph__figures_feed_masks(f, free_m, tail_m, m, true);
        cells += m;
        n -= m;
    }
}

/* Feed n free cells ("N lines all free"): after the first 64 only counts grow. */
static inline void mph__figures_feed_free(mph__figures *f, uint64_t n) {
    if (!n)
        return;
    unsigned m = n < 64 ? (unsigned)n : 64;
    mph__figures_feed_masks(f, mph__low_bits(m), 0, m, true);
    f->free_blocks += n - m;
    f->free_run += n - m;
    f->cells += n - m;
}

/* The area (its n cells) is complete: add its figures to st (area ai). The
 * fields they do not cover (per type, histograms) are left alone. longer_free
 * and longer_tails: the longest runs another area of the snapshot is known to
 * have (0: none known); from 63 up, the area's runs inside one chunk (62 at
 * most) cannot be the snapshot's longest and are not looked for, so its own
 * longest runs are then only what the chunks' ends showed. */
void mph__figures_finish(mph__figures *f, const char *cells, size_t n, size_t ai, mph_stats *st,
                         uint64_t longer_free, uint64_t longer_tails);

/* The longest free run and run of tails the fed chunks' ends showed, the
 * area's last runs included: at least what mph__figures_finish will find. */
static inline void mph__figures_seen(const mph__figures *f, uint64_t *free_run,
                                     uint64_t *tails) {
    *free_run = f->free_run > f->largest_free ? f->free_run : f->largest_free;
    *tails = f->tail_run > f->longest_tails ? f->tail_run : f->longest_tails;
}

/* Blocks of the allocation that holds the last cell fed (0 when that cell is
 * free): its start and the tails that continue it up to there. */
static inline uint64_t mph__figures_last_alloc(const mph__figures *f) {
    return f->last_used ? 1 + (f->last_tail ? f->tail_run : 0) : 0;
}

/* row_scan.c: the parser's hot loop over full v1.20+ rows ("%08x: " and 64
 * cells) of one area. It takes rows while they are whole, follow each other
 * and hold only map letters, copies their cells and feeds the figures; the
 * first row it does not take is left to the parser's general path. */
typedef struct mph__rows {
    const char *at, *end; /* the text: where the next row starts */
    char *cells;          /* the snapshot's cells, n_blocks used of room */
    size_t n_blocks, room;
    uint64_t offset, step; /* the next row's offset, and the bytes of a row */
    unsigned long rows;    /* rows taken */
    mph__figures *figures; /* the area's */
} mph__rows;
typedef void mph__rows_scan(mph__rows *r);
/* The best this CPU runs: the scan, or with skim its mph__rows_skim_* twin. */
mph__rows_scan *mph__rows_scan_pick(bool skim);
void mph__rows_scan_generic(mph__rows *r);
#if defined(__x86_64__) && defined(__GNUC__)
void mph__rows_scan_avx2(mph__rows *r); /* needs AVX2 and POPCNT */
#endif
/* The same for a map read and checked but not kept (mph_parser_skim_maps):
 * no cells copied (r->cells unused), and every run counted as rows arrive
 * (no inner_skipped), as there are no cells to look at again. */
void mph__rows_skim_generic(mph__rows *r);
#if defined(__x86_64__) && defined(__GNUC__)
void mph__rows_skim_avx2(mph__rows *r);
#endif

/* stats.c, for the stats report: area ai's whole figures into part->stats
 * (as mph_stats_compute gives them) and, from the same walk over its cells,
 * the blocks per histogram bucket and the fit counts (n_fit sizes in blocks,
 * 0 for none) added to part's. */
void mph__area_report(const mph_snapshot *s, size_t ai, const uint64_t *fit_blocks, size_t n_fit,
                      mph_stats_part *part);

/* Add the figures of one area (from) to those of the areas before it (to):
 * what a walk over them all would give, but for the derived ones
 * (mph__figures_derive). */
void mph__stats_add(mph_stats *to, const mph_stats *from);

/* Fill in the figures computed from the others: the largest free run's
 * address, fragmentation. */
void mph__figures_derive(const mph_snapshot *s, mph_stats *st);

#endif
