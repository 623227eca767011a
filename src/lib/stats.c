/* Figures of a snapshot, from one pass over its cells. MicroPython's own
 * gc_info() defines what the header's counts mean (py/gc.c): an allocation
 * is a head and the tails after it, a free run ends at a head or at the end
 * of its area. */
#include "figures.h"

#include <string.h>

static unsigned bucket_of(uint64_t v) {
    unsigned k = 63u - (unsigned)__builtin_clzll(v | 1);
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
    size_t last_start, last_end; /* the latest free run */
    uint64_t heads_of[MPH_TYPE_COUNT], tails_of[MPH_TYPE_COUNT];
    uint64_t alloc_hist[MPH_HISTOGRAM_BUCKETS], free_hist[MPH_HISTOGRAM_BUCKETS];
} tally;

static inline void free_run(tally *t, size_t start, size_t len) {
    t->free_blocks += len;
    t->free_runs++;
    t->free_hist[bucket_of(len)]++;
    t->last_start = start;
    t->last_end = start + len;
    if (len > t->largest) {
        t->largest = len;
        t->largest_at = start;
    }
}

/* A run of tails: with the head before it one allocation, or with no head
 * (after free space or at the start of the area) an allocation of its own in a
 * damaged dump. Allocations of one block have no tail run: they are counted
 * from the heads at the end. */
static inline void tail_run(tally *t, const char *cells, size_t start, size_t len) {
    bool headed = start > 0 && cells[start - 1] != '.';
    unsigned type = headed ? type_table[(unsigned char)cells[start - 1]] : MPH_TYPE_OTHER;
    uint64_t alloc_len = len + headed;
    t->tail_blocks += len;
    t->tails_of[type] += len;
    t->orphans += !headed;
    if (alloc_len >= 2) {
        t->multi++;
        t->alloc_hist[bucket_of(alloc_len)]++;
    }
    t->n2 += alloc_len == 2;
    t->max_alloc = alloc_len > t->max_alloc ? alloc_len : t->max_alloc;
}

/* The first cell at or after i (a multiple of 64) that is not c, or n: 64
 * cells a step, for the long runs of a big allocation or an empty heap. */
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
#endif
    while (i < n && cells[i] == c)
        i++;
    return i;
}

/*
 * One pass, 64 cells at a time with bit masks: free runs and tail runs are
 * found by their edges (a few instructions per run), and heads are only
 * looked at to count their types. Every figure follows: an allocation is a
 * head and the tail run after it, or a headless tail run.
 */
static void area_stats(const mph_snapshot *s, size_t ai, mph_stats *st) {
    const mph_area *a = &s->areas[ai];
    const char *cells = a->cells;
    size_t n = a->n_blocks, free_start = 0, tail_start = 0;
    bool in_free = false, in_tail = false;
    uint64_t carry_free = 0, carry_tail = 0;
    tally t;
    memset(&t, 0, sizeof t);
    for (size_t base = 0; base < n; base += 64) {
        // Inside a run that goes on past this chunk, no mask has an edge or a head:
        // go to the chunk where it ends.
        if ((carry_free || carry_tail) && n - base >= 128) {
            char c = carry_free ? MPH_CELL_FREE : MPH_CELL_TAIL;
            if (cells[base] == c && cells[base + 63] == c && cells[base + 127] == c) {
                base = run_end(cells, n, base, c) & ~(size_t)63;
                if (base >= n)
                    break;
            }
        }
        size_t m = n - base < 64 ? n - base : 64;
        uint64_t fr, tl;
        mph__cell_masks(cells + base, m, &fr, &tl);
        uint64_t valid = m == 64 ? ~UINT64_C(0) : (UINT64_C(1) << m) - 1;
        for (uint64_t heads = ~(fr | tl) & valid; heads; heads &= heads - 1)
            t.heads_of[type_table[(unsigned char)cells[base + (size_t)__builtin_ctzll(heads)]]]++;
        // Runs by their edges: a start is a cell whose previous one is not in the run, an end
        // the first cell after one. The k-th end closes the run open before the chunk, if
        // any, then the k-th start: no branch on the cells, one turn per run.
        uint64_t prev = fr << 1 | carry_free;
        uint64_t starts = fr & ~prev, ends = ~fr & prev;
        carry_free = fr >> 63;
        if (in_free && ends) {
            size_t q = base + (size_t)__builtin_ctzll(ends);
            free_run(&t, free_start, q - free_start);
            ends &= ends - 1;
            in_free = false;
        }
        for (; ends; ends &= ends - 1, starts &= starts - 1) {
            size_t p0 = base + (size_t)__builtin_ctzll(starts), q = base + (size_t)__builtin_ctzll(ends);
            free_run(&t, p0, q - p0);
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
            tail_run(&t, cells, tail_start, q - tail_start);
            ends &= ends - 1;
            in_tail = false;
        }
        for (; ends; ends &= ends - 1, starts &= starts - 1) {
            size_t p0 = base + (size_t)__builtin_ctzll(starts), q = base + (size_t)__builtin_ctzll(ends);
            tail_run(&t, cells, p0, q - p0);
        }
        if (starts) {
            tail_start = base + (size_t)__builtin_ctzll(starts);
            in_tail = true;
        }
    }
    if (in_free)
        free_run(&t, free_start, n - free_start);
    if (in_tail)
        tail_run(&t, cells, tail_start, n - tail_start);

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
    st->free_above_top_blocks += t.free_runs && t.last_end == n ? n - t.last_start : 0;
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

void mph__figures_finish(mph__figures *f, const char *cells, size_t n, size_t ai,
                         mph_stats *st) {
    close_runs(f);
    if (f->inner_skipped && (f->largest_free < 63 || f->longest_tails < 63)) {
        // A run inside a row could be the longest: count again, every run.
        memset(f, 0, sizeof *f);
        mph__figures_feed(f, cells, n);
        close_runs(f);
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
        mph__figures_finish(&f, s->areas[i].cells, s->areas[i].n_blocks, i, &st);
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
