/* Figures of a snapshot, from one pass over its cells. MicroPython's own
 * gc_info() defines what the header's counts mean (py/gc.c): an allocation
 * is a head and the tails after it, a free run ends at a head or at the end
 * of its area. */
#include "figures.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The histogram bucket of a run of v >= 1 blocks. */
static unsigned bucket_of(uint64_t v) {
    unsigned k = (unsigned)__builtin_clzll(v) ^ 63u; // one bsr: 63 - clz
    return k < MPH_HISTOGRAM_BUCKETS ? k : MPH_HISTOGRAM_BUCKETS - 1;
}

/* Head cell character -> type (only head characters are looked up). A
 * constant table: two dumps may be read at once on two threads. */
static const unsigned char type_table[256] = {
    ['T'] = MPH_TYPE_TUPLE, ['L'] = MPH_TYPE_LIST,  ['D'] = MPH_TYPE_DICT,
    ['S'] = MPH_TYPE_STR,   ['A'] = MPH_TYPE_ARRAY, ['F'] = MPH_TYPE_FLOAT,
    ['B'] = MPH_TYPE_CODE,  ['M'] = MPH_TYPE_MODULE, ['h'] = MPH_TYPE_OTHER,
    ['m'] = MPH_TYPE_MARKED};

/* The counters of one area scan, kept in locals so that they live in
 * registers: the cells are chars, which may alias anything behind a pointer. */
typedef struct tally {
    uint64_t free_blocks, free_runs, tail_blocks, orphans, multi, n2, max_alloc;
    uint64_t largest, largest_at;
    uint64_t last_free; /* the latest free run's length */
    uint64_t heads_by_cell[256]; /* by the head's letter: one load less than by type */
    uint64_t heads_of[MPH_TYPE_COUNT], tails_of[MPH_TYPE_COUNT];
    uint64_t alloc_hist[MPH_HISTOGRAM_BUCKETS], free_hist[MPH_HISTOGRAM_BUCKETS];
    /* The report's (with_extras): blocks per bucket, fit counts. */
    uint64_t alloc_hist_blocks[MPH_HISTOGRAM_BUCKETS], free_hist_blocks[MPH_HISTOGRAM_BUCKETS];
    uint64_t fit_count[MPH_FIT_MAX];
} tally;

/* The fit sizes of a report, in blocks; min_fit is the smallest that is not
 * 0, so that most free runs are turned away with one compare. */
typedef struct fits {
    const uint64_t *blocks;
    size_t n;
    uint64_t min_fit;
} fits;

MPH_HOT void free_run(tally *t, size_t start, size_t len, const fits *fit, uint64_t min_fit,
                      bool with_extras) {
    unsigned k = bucket_of(len);
    t->free_blocks += len;
    t->free_hist[k]++; // and free_runs, their sum, at the end
    if (with_extras) {
        t->free_hist_blocks[k] += len;
        if (len >= min_fit)
            for (size_t f = 0; f < fit->n; f++)
                if (fit->blocks[f])
                    t->fit_count[f] += len / fit->blocks[f];
    }
    t->last_free = len;
    if (len > t->largest) {
        t->largest = len;
        t->largest_at = start;
    }
}

/* A run of tails: with the head before it one allocation, or with no head
 * (after free space or at the start of the area) an allocation of its own in a
 * damaged dump. Allocations of one block have no tail run: they are counted
 * from the heads at the end. */
MPH_HOT void tail_run(tally *t, const char *cells, size_t start, size_t len, bool with_extras) {
    bool headed = start > 0 && cells[start - 1] != '.';
    unsigned type = headed ? type_table[(unsigned char)cells[start - 1]] : MPH_TYPE_OTHER;
    uint64_t alloc_len = len + headed;
    t->tails_of[type] += len; // and tail_blocks, their sum, at the end
    t->orphans += !headed;
    if (alloc_len >= 2) {
        unsigned k = bucket_of(alloc_len);
        t->alloc_hist[k]++; // and multi, their sum, at the end
        if (with_extras)
            t->alloc_hist_blocks[k] += alloc_len;
    }
    // With the blocks per bucket, the 2-block ones are 3 * bucket 1's allocations - its blocks.
    if (!with_extras)
        t->n2 += alloc_len == 2;
    t->max_alloc = alloc_len > t->max_alloc ? alloc_len : t->max_alloc;
}

/* The first chunk of 64 cells from i (a multiple of 64) on that is not all c,
 * or the last one, shorter, or n: 64 cells a step, for the long runs of a big
 * allocation or an empty heap. The walk finds the run's end inside it. */
static size_t run_end(const char *cells, size_t n, size_t i, char c) {
#if defined(__SSE2__)
    const __m128i want = _mm_set1_epi8(c);
    while (n - i >= 64) {
        const __m128i *v = (const __m128i *)(const void *)(cells + i);
        __m128i ok = _mm_and_si128(
            _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128(v), want), _mm_cmpeq_epi8(_mm_loadu_si128(v + 1), want)),
            _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128(v + 2), want), _mm_cmpeq_epi8(_mm_loadu_si128(v + 3), want)));
        if (_mm_movemask_epi8(ok) != 0xffff)
            break;
        i += 64;
    }
#else
    const uint64_t want = UINT64_C(0x0101010101010101) * (unsigned char)c;
    for (; n - i >= 64; i += 64) {
        uint64_t bad = 0;
        for (int k = 0; k < 64; k += 8) {
            uint64_t x;
            memcpy(&x, cells + i + k, 8);
            bad |= x ^ want;
        }
        if (bad)
            break;
    }
#endif
    return i;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_RUN_END_AVX2 1
/* run_end, 128 cells a step, then 64: AVX2 throughout (a call to the SSE
 * code from here pays for the switch). */
__attribute__((target("avx2"))) static size_t run_end_avx2(const char *cells, size_t n, size_t i,
                                                           char c) {
    const __m256i want = _mm256_set1_epi8(c);
    while (n - i >= 128) {
        const __m256i *v = (const __m256i *)(const void *)(cells + i);
        __m256i ok = _mm256_and_si256(
            _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_loadu_si256(v), want),
                             _mm256_cmpeq_epi8(_mm256_loadu_si256(v + 1), want)),
            _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_loadu_si256(v + 2), want),
                             _mm256_cmpeq_epi8(_mm256_loadu_si256(v + 3), want)));
        if (_mm256_movemask_epi8(ok) != -1)
            break;
        i += 128;
    }
    if (n - i >= 64) { // the first half of the 128 that differ, or the last 64 to 127
        const __m256i *v = (const __m256i *)(const void *)(cells + i);
        __m256i ok = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_loadu_si256(v), want),
                                      _mm256_cmpeq_epi8(_mm256_loadu_si256(v + 1), want));
        if (_mm256_movemask_epi8(ok) == -1)
            i += 64;
    }
    return i;
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_WALK_BMI 1
static bool cpu_has_bmi(void) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") &&
           __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
}
/* The cells of 64 that are c, as a mask, 32 a compare. */
__attribute__((target("avx2"))) static inline uint64_t letter_mask_avx2(const char *cells, char c) {
    const __m256i want = _mm256_set1_epi8(c);
    __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)cells);
    __m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(cells + 32));
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, want)) |
           (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, want)) << 32;
}

/* mph__cell_masks of 64 cells. */
__attribute__((target("avx2"))) static inline void cell_masks_avx2(const char *cells,
                                                                   uint64_t *free_m,
                                                                   uint64_t *tail_m) {
    *free_m = letter_mask_avx2(cells, MPH_CELL_FREE);
    *tail_m = letter_mask_avx2(cells, MPH_CELL_TAIL);
}

/* The heads of chunks of 64 cells counted by letter with no step per head: a
 * byte counter per letter and cell position, added up every 127 chunks
 * (before a byte can overflow). Only the map's head letters are counted. */
static const char head_letters[MPH_TYPE_COUNT] = {'T', 'L', 'D', 'S', 'A',
                                                   'F', 'B', 'M', 'h', 'm'};
typedef struct letter_count {
    __m256i acc[MPH_TYPE_COUNT];
    unsigned chunks;
    uint64_t count[MPH_TYPE_COUNT];
} letter_count;

__attribute__((target("avx2"))) static inline void letters_flush(letter_count *lc) {
    for (int k = 0; k < MPH_TYPE_COUNT; k++) {
        __m256i sums = _mm256_sad_epu8(lc->acc[k], _mm256_setzero_si256());
        lc->count[k] += (uint64_t)_mm256_extract_epi64(sums, 0) +
                        (uint64_t)_mm256_extract_epi64(sums, 1) +
                        (uint64_t)_mm256_extract_epi64(sums, 2) +
                        (uint64_t)_mm256_extract_epi64(sums, 3);
        lc->acc[k] = _mm256_setzero_si256();
    }
    lc->chunks = 0;
}

__attribute__((target("avx2"))) static inline void letters_add(letter_count *lc,
                                                               const char *cells) {
    __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)cells);
    __m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(cells + 32));
#pragma GCC unroll 16
    for (int k = 0; k < MPH_TYPE_COUNT; k++) {
        __m256i c = _mm256_set1_epi8(head_letters[k]);
        lc->acc[k] = _mm256_sub_epi8(_mm256_sub_epi8(lc->acc[k], _mm256_cmpeq_epi8(lo, c)),
                                     _mm256_cmpeq_epi8(hi, c));
    }
    if (++lc->chunks == 127)
        letters_flush(lc);
}

/* The runs inside chunks (that go on into neither neighbour: 63 cells at
 * most), counted by length with no step per run. Level k of a run mask y is y
 * with each run shortened by 2^k - 1 (free) or 2^k - 2 (tails: an allocation
 * is a head and its tails); a run long enough leaves one run there, and its
 * length then gives back the run's own. */
#define FREE_LEVELS 6  /* free runs of 1, 2, 4 ... 32 or more */
#define ALLOC_LEVELS 7 /* allocations of 2, 4 ... 64 or more (level 0 unused) */
typedef struct inner_counts {
    uint64_t free_runs[FREE_LEVELS], free_bits[FREE_LEVELS];
    uint64_t alloc_runs[ALLOC_LEVELS], alloc_bits[ALLOC_LEVELS];
} inner_counts;

MPH_HOT uint64_t run_starts(uint64_t y) { return y & ~(y << 1); }

/* Level k of free runs y: the runs of 2^k or more. */
MPH_HOT void free_levels(uint64_t y, uint64_t lv[FREE_LEVELS]) {
    lv[0] = y;
#pragma GCC unroll 8
    for (unsigned k = 1; k < FREE_LEVELS; k++)
        lv[k] = lv[k - 1] & lv[k - 1] >> (1u << (k - 1));
}

/* Level k >= 1 of headed tail runs y1: allocations of 2^k blocks or more,
 * tail runs of 2^k - 1 or more. Level 0: tail runs of 2 or more (what is
 * left are the 2-block allocations). */
MPH_HOT void alloc_levels(uint64_t y1, uint64_t lv[ALLOC_LEVELS]) {
    uint64_t y2 = y1 & y1 >> 1, y3 = y2 & y1 >> 2, y4 = y2 & y2 >> 2, y7 = y4 & y3 >> 4;
    uint64_t y8 = y4 & y4 >> 4, y15 = y8 & y7 >> 8, y16 = y8 & y8 >> 8, y31 = y16 & y15 >> 16;
    uint64_t y32 = y16 & y16 >> 16;
    lv[0] = y2;
    lv[1] = y1;
    lv[2] = y3;
    lv[3] = y7;
    lv[4] = y15;
    lv[5] = y31;
    lv[6] = y32 & y31 >> 32;
}

/* Each level's runs and cells, added to the counts from level from on. */
MPH_HOT void levels_count(const uint64_t *lv, unsigned from, unsigned n, uint64_t *runs,
                          uint64_t *bits) {
#pragma GCC unroll 8
    for (unsigned k = from; k < n; k++) {
        runs[k] += (uint64_t)__builtin_popcountll(run_starts(lv[k]));
        bits[k] += (uint64_t)__builtin_popcountll(lv[k]);
    }
}

/* Could the levels hold a run of at least size (>= 1; level k: sizes of 2^k
 * and up)? Only if size's own level has a run: the exact look is then left
 * to the caller, which is rarely asked once the longest so far is long. */
MPH_HOT bool levels_may_reach(const uint64_t *lv, unsigned n, uint64_t size) {
    unsigned k = (unsigned)__builtin_clzll(size) ^ 63u;
    return k < n && lv[k];
}

/* The inner runs' counts into the tally's histograms: bucket k is runs of
 * 2^k or more less runs of 2^(k+1) or more, and a level's bits plus its
 * shortening per run are its runs' blocks. */
static void levels_fold(const uint64_t *runs, const uint64_t *bits, unsigned from, unsigned levels,
                        uint64_t *hist, uint64_t *hist_blocks) {
    for (unsigned k = from; k < levels; k++) {
        bool top = k + 1 == levels;
        hist[k] += runs[k] - (top ? 0 : runs[k + 1]);
        if (hist_blocks) {
            uint64_t len = (UINT64_C(1) << k) - 1, next = (UINT64_C(2) << k) - 1;
            hist_blocks[k] += bits[k] + len * runs[k] - (top ? 0 : bits[k + 1] + next * runs[k + 1]);
        }
    }
}

static void inner_fold(tally *t, const inner_counts *ic, bool with_extras) {
    t->free_blocks += ic->free_bits[0];
    levels_fold(ic->free_runs, ic->free_bits, 0, FREE_LEVELS, t->free_hist,
                with_extras ? t->free_hist_blocks : NULL);
    levels_fold(ic->alloc_runs, ic->alloc_bits, 1, ALLOC_LEVELS, t->alloc_hist,
                with_extras ? t->alloc_hist_blocks : NULL);
}

/* The runs of a chunk's mask x that begin and end in the chunk: not the one
 * reaching its last cell (it goes on: *open is where it starts, 64 for none)
 * nor, when carried, the one going on from the chunk before (its first *lead
 * cells; then x is not all set: such a chunk was crossed). */
MPH_HOT uint64_t runs_within(uint64_t x, bool carried, unsigned *lead, unsigned *open) {
    *lead = carried ? (unsigned)__builtin_ctzll(~x) : 0;
    *open = !(x >> 63) ? 64 : ~x ? 64 - (unsigned)__builtin_clzll(~x) : 0;
    return x & ~mph__low_bits(*lead) & mph__low_bits(*open);
}

#endif

/* The first run of inner (runs inside one chunk, <= 63 long, base its first
 * cell) that beats the longest so far (*best long, at *at) replaces it: a
 * longer one, or one as long before it (*at is UINT64_MAX when only the
 * length matters). */
MPH_HOT void inner_longest(uint64_t inner, uint64_t base, uint64_t *best, uint64_t *at) {
    // Only a run of *best or more (more, without a position) can win: most
    // chunks are turned away here.
    uint64_t need = *best + (*at == UINT64_MAX);
    need = need ? need : 1;
    if (need > 63 || !mph__may_have_run(inner, (unsigned)need) ||
        !mph__has_run(inner, (unsigned)need))
        return;
    while (inner) {
        unsigned s0 = (unsigned)__builtin_ctzll(inner);
        unsigned len = (unsigned)__builtin_ctzll(~(inner >> s0));
        if (len > *best || (len == *best && *at != UINT64_MAX && base + s0 < *at)) {
            *best = len;
            if (*at != UINT64_MAX)
                *at = base + s0;
        }
        inner &= ~(((UINT64_C(1) << len) - 1) << s0);
    }
}

/* The stretches the parser saw of one area (mph__stretch, in the snapshot's
 * cells; first: the area's first cell there), for a walk to cross unread. */
typedef struct crossings {
    const mph__stretch *v;
    size_t n, first;
} crossings;

/* The first of x's stretches that ends after cell from of the area. */
static size_t crossing_from(const crossings *x, size_t from) {
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->v[mid].end <= x->first + from)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * One pass over cells [from, to) of an area of n, 64 at a time with bit
 * masks: free runs and tail runs are found by their edges (a few
 * instructions per run), and heads are only looked at to count their types.
 * Every figure follows: an allocation is a head and the tail run after it, or
 * a headless tail run. With AVX2 the runs inside a chunk are not visited
 * but counted by length from its masks (inner_counts), unless one may be the
 * longest so far or hold a fit size. from and to are multiples of 64 (or to
 * is n) where no run goes on across: the area's ends, or a head. With with_extras (a
 * constant: two copies are made), the report's figures too; with wide, AVX2
 * for the masks and long runs (only from a function built for it).
 */
MPH_HOT void area_walk(const char *cells, size_t from, size_t to, tally *tp, const fits *fit,
                       const crossings *x, bool with_extras, bool wide) {
    size_t cross = x ? crossing_from(x, from) : 0; // the next stretch to cross
    size_t free_start = 0, tail_start = 0;
    bool in_free = false, in_tail = false;
    uint64_t carry_free = 0, carry_tail = 0;
    uint64_t min_fit = with_extras ? fit->min_fit : UINT64_MAX;
    tally t;
    memset(&t, 0, sizeof t);
#if HAVE_WALK_BMI
    letter_count lc;
    memset(&lc, 0, sizeof lc);
    uint64_t wide_heads = 0;
    inner_counts ic;
    memset(&ic, 0, sizeof ic);
#endif
    for (size_t base = from; base < to; base += 64) {
        size_t m = to - base < 64 ? to - base : 64;
        uint64_t fr, tl;
#if HAVE_WALK_BMI
        if (wide && m == 64)
            cell_masks_avx2(cells + base, &fr, &tl);
        else
#endif
            mph__cell_masks(cells + base, m, &fr, &tl);
        // A chunk all inside the run from before has no edge and no head: on to the
        // chunk where the run ends (a big allocation, an empty heap), 64 cells or more a
        // step. (Looking at a few cells first, as this did, sent most chunks of a
        // fragmented heap there for nothing: half its cells are free.)
        if (m == 64 && ((carry_free && !~fr) || (carry_tail && !~tl))) {
            char c = carry_free ? MPH_CELL_FREE : MPH_CELL_TAIL;
            size_t at = base + 64;
            if (x) { // a stretch the parser saw of this run: crossed without a look
                while (cross < x->n && x->v[cross].end <= x->first + at)
                    cross++;
                if (cross < x->n && x->v[cross].c == c && x->v[cross].start <= x->first + at) {
                    size_t e = x->v[cross].end - x->first;
                    e = (e < to ? e : to) & ~(size_t)63;
                    at = e > at ? e : at;
                }
            }
#if HAVE_RUN_END_AVX2
            size_t next = wide ? run_end_avx2(cells, to, at, c) : run_end(cells, to, at, c);
#else
            size_t next = run_end(cells, to, at, c);
#endif
            base = next - 64; // the loop steps to next
            continue;
        }
        uint64_t valid = mph__low_bits(m);
#if HAVE_WALK_BMI
        if (wide && m == 64) {
            letters_add(&lc, cells + base);
            wide_heads += (uint64_t)__builtin_popcountll(~(fr | tl));
        } else
#endif
            for (uint64_t heads = ~(fr | tl) & valid; heads; heads &= heads - 1)
                t.heads_by_cell[(unsigned char)cells[base + (size_t)__builtin_ctzll(heads)]]++;
#if HAVE_WALK_BMI
        // A whole chunk with no tail run after free space or at the area's start (a
        // damaged dump; those take the run loop below): the runs that cross its ends
        // one by one, those inside counted by length from the masks (inner_counts).
        if (wide && m == 64 &&
            !(tl & ~(tl << 1 | carry_tail) & (fr << 1 | carry_free | (uint64_t)(base == 0)))) {
            carry_free = fr >> 63;
            carry_tail = tl >> 63;
            unsigned lead, open;
            uint64_t inner = runs_within(fr, in_free, &lead, &open);
            if (in_free) { // it ends here: a chunk all free was crossed above
                free_run(&t, free_start, base + lead - free_start, fit, min_fit, with_extras);
                in_free = false;
            }
            if (open < 64) {
                free_start = base + open;
                in_free = true;
            }
            // One by one only while one of them may be the largest, or a fit size's.
            if (inner) {
                uint64_t lv[FREE_LEVELS];
                free_levels(inner, lv);
                if ((t.largest < 63 && levels_may_reach(lv, FREE_LEVELS, t.largest + 1) &&
                     mph__has_run(inner, (unsigned)t.largest + 1)) ||
                    (with_extras && min_fit < 64 && levels_may_reach(lv, FREE_LEVELS, min_fit))) {
                    for (uint64_t st = run_starts(inner), en = ~inner & inner << 1; st;
                         st &= st - 1, en &= en - 1) {
                        size_t p0 = base + (size_t)__builtin_ctzll(st), q = base + (size_t)__builtin_ctzll(en);
                        free_run(&t, p0, q - p0, fit, min_fit, with_extras);
                    }
                } else {
                    levels_count(lv, 0, FREE_LEVELS, ic.free_runs, ic.free_bits);
                }
            }
            inner = runs_within(tl, in_tail, &lead, &open);
            if (in_tail) {
                tail_run(&t, cells, tail_start, base + lead - tail_start, with_extras);
                in_tail = false;
            }
            if (open < 64) {
                tail_start = base + open;
                in_tail = true;
            }
            if (inner) { // every run headed: an allocation of one more block
                uint64_t lv[ALLOC_LEVELS];
                alloc_levels(inner, lv);
                if (t.max_alloc < 64) { // the longest tail run, by its length alone
                    uint64_t tails = t.max_alloc ? t.max_alloc - 1 : 0, no_at = UINT64_MAX;
                    inner_longest(inner, base, &tails, &no_at);
                    t.max_alloc = tails + 1 > t.max_alloc ? tails + 1 : t.max_alloc;
                }
                // Tails by their head's type: after an 'h' (most) by the mask, the others
                // one by one (a run from the chunk's first cell too: its head is before).
                uint64_t typed = run_starts(inner) & ~(letter_mask_avx2(cells + base, 'h') << 1), typed_tails = 0;
                for (; typed; typed &= typed - 1) {
                    unsigned p0 = (unsigned)__builtin_ctzll(typed);
                    uint64_t len = (uint64_t)__builtin_ctzll(~(inner >> p0));
                    t.tails_of[type_table[(unsigned char)cells[base + p0 - 1]]] += len;
                    typed_tails += len;
                }
                t.tails_of[MPH_TYPE_OTHER] += (uint64_t)__builtin_popcountll(inner) - typed_tails;
                levels_count(lv, 1, ALLOC_LEVELS, ic.alloc_runs, ic.alloc_bits);
                if (!with_extras) // the runs of exactly one tail
                    t.n2 += (uint64_t)__builtin_popcountll(run_starts(inner)) -
                            (uint64_t)__builtin_popcountll(run_starts(lv[0]));
            }
            continue;
        }
#endif
        // Runs by their edges: a start is a cell whose previous one is not in the run, an end
        // the first cell after one. The k-th end closes the run open before the chunk, if
        // any, then the k-th start: no branch on the cells, one turn per run.
        uint64_t prev = fr << 1 | carry_free;
        uint64_t starts = fr & ~prev, ends = ~fr & prev;
        carry_free = fr >> 63;
        if (in_free && ends) {
            size_t q = base + (size_t)__builtin_ctzll(ends);
            free_run(&t, free_start, q - free_start, fit, min_fit, with_extras);
            ends &= ends - 1;
            in_free = false;
        }
        for (; ends; ends &= ends - 1, starts &= starts - 1) {
            size_t p0 = base + (size_t)__builtin_ctzll(starts), q = base + (size_t)__builtin_ctzll(ends);
            free_run(&t, p0, q - p0, fit, min_fit, with_extras);
        }
        if (starts) {
            free_start = base + (size_t)__builtin_ctzll(starts);
            in_free = true;
        }
        prev = tl << 1 | carry_tail;
        starts = tl & ~prev;
        ends = ~tl & prev;
        carry_tail = tl >> 63;
        if (in_tail && ends) {
            size_t q = base + (size_t)__builtin_ctzll(ends);
            tail_run(&t, cells, tail_start, q - tail_start, with_extras);
            ends &= ends - 1;
            in_tail = false;
        }
        for (; ends; ends &= ends - 1, starts &= starts - 1) {
            size_t p0 = base + (size_t)__builtin_ctzll(starts), q = base + (size_t)__builtin_ctzll(ends);
            tail_run(&t, cells, p0, q - p0, with_extras);
        }
        if (starts) {
            tail_start = base + (size_t)__builtin_ctzll(starts);
            in_tail = true;
        }
    }
    if (in_free)
        free_run(&t, free_start, to - free_start, fit, min_fit, with_extras);
    if (in_tail)
        tail_run(&t, cells, tail_start, to - tail_start, with_extras);
#if HAVE_WALK_BMI
    if (wide) {
        inner_fold(&t, &ic, with_extras);
        letters_flush(&lc);
        uint64_t counted = 0;
        for (int k = 0; k < MPH_TYPE_COUNT; k++)
            counted += lc.count[k];
        if (counted == wide_heads) {
            for (int k = 0; k < MPH_TYPE_COUNT; k++)
                t.heads_by_cell[(unsigned char)head_letters[k]] += lc.count[k];
        } else { // a head that is no map letter (a snapshot not from the parser): one by one
            memset(t.heads_by_cell, 0, sizeof t.heads_by_cell);
            for (size_t base = from; base < to; base += 64) {
                size_t m = to - base < 64 ? to - base : 64;
                uint64_t fr, tl;
                mph__cell_masks(cells + base, m, &fr, &tl);
                uint64_t valid = mph__low_bits(m);
                for (uint64_t heads = ~(fr | tl) & valid; heads; heads &= heads - 1)
                    t.heads_by_cell[(unsigned char)cells[base + (size_t)__builtin_ctzll(heads)]]++;
            }
        }
    }
#endif
    *tp = t;
}

/* Add b, the tally of the cells after a's, to a: the runs of each stop where
 * the other's start. */
static void tally_add(tally *a, const tally *b) {
    a->free_blocks += b->free_blocks;
    a->orphans += b->orphans;
    a->n2 += b->n2;
    a->max_alloc = b->max_alloc > a->max_alloc ? b->max_alloc : a->max_alloc;
    if (b->largest > a->largest) { // the first of equals: a's
        a->largest = b->largest;
        a->largest_at = b->largest_at;
    }
    a->last_free = b->last_free; // read only when the area ends free: in b's run
    for (int c = 0; c < 256; c++)
        a->heads_by_cell[c] += b->heads_by_cell[c];
    for (int k = 0; k < MPH_TYPE_COUNT; k++)
        a->tails_of[k] += b->tails_of[k];
    for (int k = 0; k < MPH_HISTOGRAM_BUCKETS; k++) {
        a->alloc_hist[k] += b->alloc_hist[k];
        a->free_hist[k] += b->free_hist[k];
        a->alloc_hist_blocks[k] += b->alloc_hist_blocks[k];
        a->free_hist_blocks[k] += b->free_hist_blocks[k];
    }
    for (int f = 0; f < MPH_FIT_MAX; f++)
        a->fit_count[f] += b->fit_count[f];
}

/* The area's figures from its tally t: into st, and with with_extras the
 * report's into part. */
static void tally_finish(tally *tp, const mph_snapshot *s, size_t ai, mph_stats *st,
                         const fits *fit, mph_stats_part *part, bool with_extras) {
    tally t = *tp;
    const char *cells = s->areas[ai].cells;
    size_t n = s->areas[ai].n_blocks;
    for (int k = 0; k < MPH_HISTOGRAM_BUCKETS; k++) {
        t.free_runs += t.free_hist[k];
        t.multi += t.alloc_hist[k];
    }
    for (int k = 0; k < MPH_TYPE_COUNT; k++)
        t.tail_blocks += t.tails_of[k];
    if (with_extras)
        t.n2 = 3 * t.alloc_hist[1] - t.alloc_hist_blocks[1];
    uint64_t heads = n - t.free_blocks - t.tail_blocks;
    uint64_t allocs = heads + t.orphans;
    st->total_blocks += n;
    st->free_blocks += t.free_blocks;
    st->used_blocks += n - t.free_blocks;
    st->free_runs += t.free_runs;
    st->allocs += allocs;
    st->orphan_tails += t.orphans;
    st->n_1block += allocs - t.multi;
    st->n_2block += t.n2;
    st->alloc_histogram[0] += allocs - t.multi;
    uint64_t max_alloc = heads && !t.max_alloc ? 1 : t.max_alloc;
    if (max_alloc > st->max_alloc_blocks)
        st->max_alloc_blocks = max_alloc;
    if (t.largest > st->largest_free_blocks) {
        st->largest_free_blocks = t.largest;
        st->largest_free_area = ai;
        st->largest_free_block = (size_t)t.largest_at;
    }
    for (unsigned c = 0; c < 256; c++)
        t.heads_of[type_table[c]] += t.heads_by_cell[c];
    // A headless tail run is one "other" allocation; its blocks are in tails_of.
    t.heads_of[MPH_TYPE_OTHER] += t.orphans;
    for (int k = 0; k < MPH_TYPE_COUNT; k++) {
        st->by_type[k].allocs += t.heads_of[k];
        st->by_type[k].blocks += t.heads_of[k] + t.tails_of[k];
    }
    st->by_type[MPH_TYPE_OTHER].blocks -= t.orphans;
    for (int k = 0; k < MPH_HISTOGRAM_BUCKETS; k++) {
        st->alloc_histogram[k] += t.alloc_hist[k];
        st->free_histogram[k] += t.free_hist[k];
    }
    // Free space above the area's last allocation: its final free run, if any.
    st->free_above_top_blocks += n && cells[n - 1] == MPH_CELL_FREE ? t.last_free : 0;
    if (with_extras) {
        // Allocations of one block (allocs - multi) are all in bucket 0.
        part->alloc_histogram_blocks[0] += allocs - t.multi;
        for (int k = 0; k < MPH_HISTOGRAM_BUCKETS; k++) {
            part->alloc_histogram_blocks[k] += t.alloc_hist_blocks[k];
            part->free_histogram_blocks[k] += t.free_hist_blocks[k];
        }
        for (size_t f = 0; f < fit->n; f++)
            part->fit_count[f] += t.fit_count[f];
    }
}

/* Each walk once per instruction set: with BMI a run's edges are one
 * instruction each (tzcnt, blsr), and AVX2 reads 32 cells a compare and
 * crosses long runs 128 cells a step. */
static void walk_generic(const char *cells, size_t from, size_t to, tally *t, const fits *fit,
                         const crossings *x) {
    area_walk(cells, from, to, t, fit, x, false, false);
}
static void walk_report_generic(const char *cells, size_t from, size_t to, tally *t,
                                const fits *fit, const crossings *x) {
    area_walk(cells, from, to, t, fit, x, true, false);
}
#if HAVE_WALK_BMI
__attribute__((target("avx2,popcnt,bmi,bmi2"))) static void
walk_bmi(const char *cells, size_t from, size_t to, tally *t, const fits *fit,
         const crossings *x) {
    area_walk(cells, from, to, t, fit, x, false, true);
}
__attribute__((target("avx2,popcnt,bmi,bmi2"))) static void
walk_report_bmi(const char *cells, size_t from, size_t to, tally *t, const fits *fit,
                const crossings *x) {
    area_walk(cells, from, to, t, fit, x, true, true);
}
#endif

typedef void walk_fn(const char *cells, size_t from, size_t to, tally *t, const fits *fit,
                     const crossings *x);

static walk_fn *walk_pick(bool with_extras) {
#if HAVE_WALK_BMI
    if (cpu_has_bmi())
        return with_extras ? walk_report_bmi : walk_bmi;
#endif
    return with_extras ? walk_report_generic : walk_generic;
}

/* An area this big is walked in two halves at once, one on another thread
 * (a thread costs some tens of microseconds; these cells, a few hundred). */
#define SPLIT_MIN_BLOCKS (256u << 10)

/* Where a walk of cells [0, n) can be cut in two: a chunk's first cell that
 * is a head (no run goes on across it) near the middle, or 0 for none. */
static size_t split_point(const char *cells, size_t n) {
    if (n < SPLIT_MIN_BLOCKS)
        return 0;
    size_t end = n - 64;
    for (size_t p = (n / 2) & ~(size_t)63, tries = 0; p < end && tries < 4096; p += 64, tries++)
        if (cells[p] != MPH_CELL_FREE && cells[p] != MPH_CELL_TAIL)
            return p;
    return 0;
}

/* The second half of a split walk. */
typedef struct half_job {
    walk_fn *walk;
    const char *cells;
    size_t from, to;
    const fits *fit;
    const crossings *x;
    tally t;
} half_job;

static void *walk_half(void *arg) {
    half_job *j = arg;
    j->walk(j->cells, j->from, j->to, &j->t, j->fit, j->x);
    return NULL;
}

/* Area ai's tally: its cells walked once, in two halves at once when the
 * area is big (the same figures: the halves meet at a head), crossing the
 * stretches the parser saw without reading them. */
static void area_tally(const mph_snapshot *s, size_t ai, const fits *fit, bool with_extras,
                       tally *t) {
    const mph_area *a = &s->areas[ai];
    walk_fn *walk = walk_pick(with_extras);
    crossings x = {s->stretches, s->n_stretches, a->first_block};
    const crossings *xp = s->n_stretches ? &x : NULL;
    size_t cut = split_point(a->cells, a->n_blocks);
    if (!cut) {
        walk(a->cells, 0, a->n_blocks, t, fit, xp);
        return;
    }
    half_job *j = malloc(sizeof *j);
    if (!j) {
        walk(a->cells, 0, a->n_blocks, t, fit, xp);
        return;
    }
    *j = (half_job){walk, a->cells, cut, a->n_blocks, fit, xp, {0}};
    pthread_t other;
    bool threaded = pthread_create(&other, NULL, walk_half, j) == 0;
    walk(a->cells, 0, cut, t, fit, xp);
    if (threaded)
        pthread_join(other, NULL);
    else
        walk_half(j);
    tally_add(t, &j->t);
    free(j);
}

static void area_stats(const mph_snapshot *s, size_t ai, mph_stats *st) {
    tally t;
    area_tally(s, ai, NULL, false, &t);
    tally_finish(&t, s, ai, st, NULL, NULL, false);
}

void mph__area_report(const mph_snapshot *s, size_t ai, const uint64_t *fit_blocks, size_t n_fit,
                      mph_stats_part *part) {
    fits fit = {fit_blocks, n_fit, UINT64_MAX};
    for (size_t f = 0; f < n_fit; f++)
        if (fit_blocks[f] && fit_blocks[f] < fit.min_fit)
            fit.min_fit = fit_blocks[f];
    memset(&part->stats, 0, sizeof part->stats);
    part->stats.block_size = s->block_size;
    tally t;
    area_tally(s, ai, &fit, true, &t);
    tally_finish(&t, s, ai, &part->stats, &fit, part, true);
    mph__figures_derive(s, &part->stats);
}

void mph__stats_add(mph_stats *to, const mph_stats *from) {
    to->total_blocks += from->total_blocks;
    to->free_blocks += from->free_blocks;
    to->used_blocks += from->used_blocks;
    to->free_runs += from->free_runs;
    to->allocs += from->allocs;
    to->orphan_tails += from->orphan_tails;
    to->n_1block += from->n_1block;
    to->n_2block += from->n_2block;
    if (from->max_alloc_blocks > to->max_alloc_blocks)
        to->max_alloc_blocks = from->max_alloc_blocks;
    // Areas in order, the first of equals: as one walk over them all.
    if (from->largest_free_blocks > to->largest_free_blocks) {
        to->largest_free_blocks = from->largest_free_blocks;
        to->largest_free_area = from->largest_free_area;
        to->largest_free_block = from->largest_free_block;
    }
    for (int k = 0; k < MPH_TYPE_COUNT; k++) {
        to->by_type[k].allocs += from->by_type[k].allocs;
        to->by_type[k].blocks += from->by_type[k].blocks;
    }
    for (int k = 0; k < MPH_HISTOGRAM_BUCKETS; k++) {
        to->alloc_histogram[k] += from->alloc_histogram[k];
        to->free_histogram[k] += from->free_histogram[k];
    }
    to->free_above_top_blocks += from->free_above_top_blocks;
}

void mph__figures_derive(const mph_snapshot *s, mph_stats *st) {
    st->largest_free_address =
        st->largest_free_blocks
            ? mph_snapshot_block_address(s, st->largest_free_area, st->largest_free_block)
            : 0;
    st->fragmentation =
        st->free_blocks ? 1.0 - (double)st->largest_free_blocks / (double)st->free_blocks : 0.0;
}

/* The allocation and the runs that reach the area's end end there. */
static void close_runs(mph__figures *f) {
    f->n1 += f->last_start;
    f->n2 += f->before_last_start & f->last_tail;
    if (f->free_run > f->largest_free) {
        f->largest_free = f->free_run;
        f->largest_free_at = f->cells - f->free_run;
    }
    if (f->tail_run > f->longest_tails)
        f->longest_tails = f->tail_run;
}

/* The longest free run and the longest run of continuing tails, looked for
 * again inside every chunk (the hot loop left those out): only the longest
 * runs, as mph__figures_feed would find them, without its other counts. */
static void longest_runs_again(mph__figures *f, const char *cells, size_t n, bool want_free,
                               bool want_tails) {
    uint64_t free_run = 0, largest = 0, at = 0, tail_run = 0, longest = 0, unused_at = 0;
    uint64_t last_used = 0;
    for (size_t base = 0; base < n; base += 64) {
        unsigned m = n - base < 64 ? (unsigned)(n - base) : 64;
        uint64_t free_m, tail_m;
        mph__cell_masks(cells + base, m, &free_m, &tail_m);
        uint64_t valid = mph__low_bits(m);
        if (want_free)
            mph__longest_run(free_m, valid, m, base, &free_run, &largest, &at, true);
        if (want_tails) {
            uint64_t used = valid & ~free_m;
            uint64_t tails = tail_m & (used << 1 | last_used);
            mph__longest_run(tails, valid, m, base, &tail_run, &longest, &unused_at, true);
            last_used = used >> (m - 1) & 1;
        }
    }
    // The runs that reach the area's end, as close_runs takes them.
    if (want_free) {
        if (free_run > largest) {
            largest = free_run;
            at = n - free_run;
        }
        f->largest_free = largest;
        f->largest_free_at = at;
    }
    if (want_tails)
        f->longest_tails = tail_run > longest ? tail_run : longest;
}

/* The runs of x (a chunk's mask, valid its cells) that touch neither end of
 * the chunk: without the run from bit 0, and without the bits above the
 * highest clear one. */
MPH_HOT uint64_t inner_runs(uint64_t x, uint64_t valid) {
    uint64_t clear = ~x & valid; // not 0: the caller skips full chunks
    uint64_t above = UINT64_C(2) << (63 - __builtin_clzll(clear)); // 0 when that is bit 63
    return x & (x + 1) & (above - 1);
}

/* longest_runs_again, when every chunk that left out its inner runs was on
 * the area's grid of 64: the runs that touch a chunk's end were all seen, so
 * only the runs inside each chunk are looked at, and only in chunks that
 * could hold one longer than the longest seen. With wide, AVX2 for the masks
 * (only from a function built for it). */
MPH_HOT void inner_walk(mph__figures *f, const char *cells, size_t n, bool want_free,
                        bool want_tails, bool wide) {
    uint64_t largest = f->largest_free, at = f->largest_free_at;
    uint64_t longest = f->longest_tails, no_at = UINT64_MAX;
    uint64_t last_used = 0;
    for (size_t base = 0; base < n; base += 64) {
        unsigned m = n - base < 64 ? (unsigned)(n - base) : 64;
        uint64_t free_m, tail_m;
#if HAVE_WALK_BMI
        if (wide && m == 64)
            cell_masks_avx2(cells + base, &free_m, &tail_m);
        else
#endif
            mph__cell_masks(cells + base, m, &free_m, &tail_m);
        (void)wide;
        uint64_t valid = mph__low_bits(m);
        if (want_free && free_m != valid && free_m)
            inner_longest(inner_runs(free_m, valid), base, &largest, &at);
        if (want_tails) {
            uint64_t used = valid & ~free_m;
            uint64_t tails = tail_m & (used << 1 | last_used);
            last_used = used >> (m - 1) & 1;
            if (tails != valid && tails)
                inner_longest(inner_runs(tails, valid), base, &longest, &no_at);
        }
    }
    if (want_free) {
        f->largest_free = largest;
        f->largest_free_at = at;
    }
    if (want_tails)
        f->longest_tails = longest;
}

static void inner_runs_generic(mph__figures *f, const char *cells, size_t n, bool want_free,
                               bool want_tails) {
    inner_walk(f, cells, n, want_free, want_tails, false);
}
#if HAVE_WALK_BMI
__attribute__((target("avx2,popcnt,bmi,bmi2"))) static void
inner_runs_bmi(mph__figures *f, const char *cells, size_t n, bool want_free, bool want_tails) {
    inner_walk(f, cells, n, want_free, want_tails, true);
}
#endif

static void inner_runs_again(mph__figures *f, const char *cells, size_t n, bool want_free,
                             bool want_tails) {
#if HAVE_WALK_BMI
    if (cpu_has_bmi()) {
        inner_runs_bmi(f, cells, n, want_free, want_tails);
        return;
    }
#endif
    inner_runs_generic(f, cells, n, want_free, want_tails);
}

void mph__figures_finish(mph__figures *f, const char *cells, size_t n, size_t ai, mph_stats *st,
                         uint64_t longer_free, uint64_t longer_tails) {
    close_runs(f);
    bool free_short = f->largest_free < 63 && longer_free < 63;
    bool tails_short = f->longest_tails < 63 && longer_tails < 63;
    if (f->inner_skipped && (free_short || tails_short)) {
        if (f->off_grid)
            longest_runs_again(f, cells, n, free_short, tails_short);
        else
            inner_runs_again(f, cells, n, free_short, tails_short);
    }
    uint64_t used = f->cells - f->free_blocks;
    st->total_blocks += f->cells;
    st->free_blocks += f->free_blocks;
    st->used_blocks += used;
    st->free_runs += f->free_runs;
    st->allocs += f->allocs;
    st->orphan_tails += f->orphans;
    st->n_1block += f->n1;
    st->n_2block += f->n2;
    uint64_t max_alloc = used ? 1 + f->longest_tails : 0;
    if (max_alloc > st->max_alloc_blocks)
        st->max_alloc_blocks = max_alloc;
    if (f->largest_free > st->largest_free_blocks) {
        st->largest_free_blocks = f->largest_free;
        st->largest_free_area = ai;
        st->largest_free_block = (size_t)f->largest_free_at;
    }
    st->free_above_top_blocks += f->free_run;
}

void mph__snapshot_figures(const mph_snapshot *s, mph_stats *out) {
    if (s->memo && (s->memo->figures_ready || s->memo->ready)) {
        *out = s->memo->figures_ready ? s->memo->figures : s->memo->stats;
        return;
    }
    mph_stats st;
    memset(&st, 0, sizeof st);
    st.block_size = s->block_size;
    for (size_t i = 0; i < s->n_areas; i++) {
        mph__figures f;
        memset(&f, 0, sizeof f);
        mph__figures_feed(&f, s->areas[i].cells, s->areas[i].n_blocks);
        mph__figures_finish(&f, s->areas[i].cells, s->areas[i].n_blocks, i, &st, 0, 0);
    }
    mph__figures_derive(s, &st);
    if (s->memo) {
        s->memo->figures = st;
        s->memo->figures_ready = true;
    }
    *out = st;
}

unsigned mph__header_figures(const mph_snapshot *s, mph_stats *st) {
    const mph_header *h = &s->header;
    uint64_t bpb = s->block_size;
    unsigned known = 0;
    // GC total/used/free are bytes: blocks only with a block size.
    bool blocks = h->has_gc && bpb;
    st->block_size = s->block_size;
    st->total_blocks = blocks ? h->gc_total / bpb : 0;
    st->used_blocks = blocks ? h->gc_used / bpb : 0;
    st->free_blocks = blocks ? h->gc_free / bpb : 0;
    st->largest_free_blocks = h->has_max_free ? h->max_free : 0;
    st->largest_free_area = st->largest_free_block = 0;
    st->largest_free_address = 0;
    st->fragmentation = 0.0;
    known |= blocks ? MPH__HDR_BLOCKS : 0;
    known |= h->has_max_free ? MPH__HDR_LARGEST : 0;
    if (blocks && h->has_max_free) {
        known |= MPH__HDR_FRAGMENTATION;
        if (st->free_blocks && st->largest_free_blocks <= st->free_blocks)
            st->fragmentation = 1.0 - (double)st->largest_free_blocks / (double)st->free_blocks;
    }
    return known;
}

mph_status mph_stats_compute(const mph_snapshot *s, size_t area, mph_stats *out, mph_error *err) {
    if (!s || !out || (area != MPH_ALL_AREAS && area >= s->n_areas)) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no snapshot, no output or no such area");
        return MPH_ERR_ARG;
    }
    if (s->skimmed) { // no cells were kept, nor the stats they give
        mph__error_set(err, MPH_ERR_ARG, s->first_line, 1,
                       "the snapshot's map was only read and checked (mph_parser_skim_maps): it "
                       "has no stats");
        return MPH_ERR_ARG;
    }
    // Every renderer asks again: compute them once.
    if (area == MPH_ALL_AREAS && s->memo && s->memo->ready) {
        *out = s->memo->stats;
        return MPH_OK;
    }
    mph_stats st;
    memset(&st, 0, sizeof st);
    st.block_size = s->block_size;
    if (area == MPH_ALL_AREAS)
        for (size_t i = 0; i < s->n_areas; i++)
            area_stats(s, i, &st);
    else
        area_stats(s, area, &st);
    mph__figures_derive(s, &st);
    if (area == MPH_ALL_AREAS && s->memo) {
        s->memo->stats = st;
        s->memo->ready = true;
    }
    *out = st;
    return MPH_OK;
}

uint64_t mph_stats_fit_count(const mph_snapshot *s, uint64_t bytes) {
    if (!s || !s->block_size || !bytes)
        return 0;
    uint64_t need = (bytes + s->block_size - 1) / s->block_size;
    uint64_t count = 0;
    for (size_t ai = 0; ai < s->n_areas; ai++) {
        const mph_area *a = &s->areas[ai];
        for (size_t i = 0; i < a->n_blocks;) {
            if (a->cells[i] != '.') {
                i++;
                continue;
            }
            size_t run = mph__run_length(a->cells, a->n_blocks, i, '.');
            count += run / need;
            i += run;
        }
    }
    return count;
}
