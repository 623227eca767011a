/* Figures of a snapshot, from one pass over its cells. MicroPython's own
 * gc_info() defines what the header's counts mean (py/gc.c): an allocation
 * is a head and the tails after it, a free run ends at a head or at the end
 * of its area. */
#include "internal.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Length of the run of byte c starting at cells[i], eight bytes at a time. */
static size_t run_of(const char *cells, size_t n, size_t i, char c) {
    size_t start = i;
    const uint64_t pattern = 0x0101010101010101ull * (unsigned char)c;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, cells + i, 8);
        uint64_t x = w ^ pattern;
        if (x) {
            // Count the equal low-address bytes (little and big endian alike).
            while (cells[i] == c)
                i++;
            return i - start;
        }
        i += 8;
    }
    while (i < n && cells[i] == c)
        i++;
    return i - start;
}

static unsigned bucket_of(uint64_t v) {
    unsigned k = 63u - (unsigned)__builtin_clzll(v | 1);
    return k < MPH_HISTOGRAM_BUCKETS ? k : MPH_HISTOGRAM_BUCKETS - 1;
}

/* Head cell character -> type; tails and free cells are never looked up. */
static unsigned char type_table[256];

static void init_type_table(void) {
    if (type_table['T'] || type_table['h'])
        return;
    for (int c = 0; c < 256; c++) {
        int t = mph_type_of_cell((char)c);
        type_table[c] = (unsigned char)(t >= 0 ? t : MPH_TYPE_OTHER);
    }
}

/* Bit i of *free_m / *tail_m: cells[i] is '.' / '='; n <= 64. */
static inline void chunk_masks(const char *cells, size_t n, uint64_t *free_m, uint64_t *tail_m) {
#if defined(__SSE2__)
    if (n == 64) {
        const __m128i dot = _mm_set1_epi8('.'), eq = _mm_set1_epi8('=');
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
        f |= (uint64_t)(cells[i] == '.') << i;
        t |= (uint64_t)(cells[i] == '=') << i;
    }
    *free_m = f;
    *tail_m = t;
}

/* The counters of one area scan, kept in locals so that they live in
 * registers: the cells are chars, which may alias anything behind a pointer. */
typedef struct tally {
    uint64_t free_blocks, free_runs, used_blocks, allocs, orphans, n1, n2, max_alloc;
    uint64_t largest, largest_at;
    uint64_t type_allocs[MPH_TYPE_COUNT], type_blocks[MPH_TYPE_COUNT];
    uint64_t alloc_hist[MPH_HISTOGRAM_BUCKETS], free_hist[MPH_HISTOGRAM_BUCKETS];
    size_t last_used_end;
} tally;

/* One item (an allocation or a free run) of `len` blocks starting at cells[pos]. */
static inline void count_item(tally *t, unsigned char c, size_t pos, size_t len) {
    if (c == '.') {
        t->free_blocks += len;
        t->free_runs++;
        t->free_hist[bucket_of(len)]++;
        if (len > t->largest) {
            t->largest = len;
            t->largest_at = pos;
        }
        return;
    }
    unsigned type = type_table[c];
    t->used_blocks += len;
    t->allocs++;
    t->orphans += c == '=';
    t->type_allocs[type]++;
    t->type_blocks[type] += len;
    t->n1 += len == 1;
    t->n2 += len == 2;
    t->max_alloc = len > t->max_alloc ? len : t->max_alloc;
    t->alloc_hist[bucket_of(len)]++;
    t->last_used_end = pos + len;
}

/*
 * Items tile an area: each starts at a head, at the first block of a free run,
 * or at a tail with no head before it. So the starts, found 64 cells at a time
 * with bit masks, give every item and its length without a look at the others.
 */
static void area_stats(const mph_snapshot *s, size_t ai, mph_stats *st) {
    const mph_area *a = &s->areas[ai];
    const char *cells = a->cells;
    size_t n = a->n_blocks, pos = 0;
    bool open = false;
    tally t;
    memset(&t, 0, sizeof t);
    uint64_t prev_free = 0, prev_free_or_start = 1; // the cell before the chunk
    for (size_t base = 0; base < n; base += 64) {
        size_t m = n - base < 64 ? n - base : 64;
        uint64_t fr, tl;
        chunk_masks(cells + base, m, &fr, &tl);
        uint64_t valid = m == 64 ? ~UINT64_C(0) : (UINT64_C(1) << m) - 1;
        uint64_t heads = ~(fr | tl) & valid;
        uint64_t starts = heads | (fr & ~((fr << 1) | prev_free)) |
                          (tl & ((fr << 1) | prev_free_or_start));
        prev_free = prev_free_or_start = fr >> 63;
        while (starts) {
            size_t q = base + (size_t)__builtin_ctzll(starts);
            starts &= starts - 1;
            if (open)
                count_item(&t, (unsigned char)cells[pos], pos, q - pos);
            pos = q;
            open = true;
        }
    }
    if (open)
        count_item(&t, (unsigned char)cells[pos], pos, n - pos);
    st->total_blocks += n;
    st->free_blocks += t.free_blocks;
    st->free_runs += t.free_runs;
    st->used_blocks += t.used_blocks;
    st->allocs += t.allocs;
    st->orphan_tails += t.orphans;
    st->n_1block += t.n1;
    st->n_2block += t.n2;
    if (t.max_alloc > st->max_alloc_blocks)
        st->max_alloc_blocks = t.max_alloc;
    if (t.largest > st->largest_free_blocks) {
        st->largest_free_blocks = t.largest;
        st->largest_free_area = ai;
        st->largest_free_block = (size_t)t.largest_at;
    }
    for (int k = 0; k < MPH_TYPE_COUNT; k++) {
        st->by_type[k].allocs += t.type_allocs[k];
        st->by_type[k].blocks += t.type_blocks[k];
    }
    for (int k = 0; k < MPH_HISTOGRAM_BUCKETS; k++) {
        st->alloc_histogram[k] += t.alloc_hist[k];
        st->free_histogram[k] += t.free_hist[k];
    }
    st->free_above_top_blocks += n - t.last_used_end;
}

/*
 * The figures a dump is checked against (free, used, allocations, 1- and
 * 2-blocks, the largest allocation and free run), from bit masks alone: free
 * runs and tail runs are found by their edges, so the cost is a few
 * instructions per run, with no per-type or histogram work. The parser runs
 * this on every dump; the full figures wait until someone asks.
 */
void mph__stats_quick(const mph_snapshot *s, mph_stats *out) {
    mph_stats st;
    memset(&st, 0, sizeof st);
    st.block_size = s->block_size;
    for (size_t ai = 0; ai < s->n_areas; ai++) {
        const mph_area *a = &s->areas[ai];
        const char *cells = a->cells;
        size_t n = a->n_blocks;
        uint64_t orphans = 0, multi = 0, n2 = 0, max_len = 0, free_blocks = 0, tails = 0;
        uint64_t runs = 0, largest = 0;
        size_t largest_at = 0, free_start = 0, tail_start = 0;
        bool in_free = false, in_tail = false;
        uint64_t carry_free = 0, carry_tail = 0;
        for (size_t base = 0; base < n; base += 64) {
            size_t m = n - base < 64 ? n - base : 64;
            uint64_t fr, tl;
            chunk_masks(cells + base, m, &fr, &tl);
            // Each set bit is where a run begins or where the cell after it is.
            uint64_t edges = fr ^ ((fr << 1) | carry_free);
            carry_free = fr >> 63;
            while (edges) {
                size_t q = base + (size_t)__builtin_ctzll(edges);
                edges &= edges - 1;
                if (in_free) {
                    runs++;
                    free_blocks += q - free_start;
                    if (q - free_start > largest) {
                        largest = q - free_start;
                        largest_at = free_start;
                    }
                } else {
                    free_start = q;
                }
                in_free = !in_free;
            }
            edges = tl ^ ((tl << 1) | carry_tail);
            carry_tail = tl >> 63;
            while (edges) {
                size_t q = base + (size_t)__builtin_ctzll(edges);
                edges &= edges - 1;
                if (in_tail) {
                    // Tails after a head make one allocation with it; after free space
                    // or at the start of the area they have no head (a damaged dump).
                    bool headed = tail_start > 0 && cells[tail_start - 1] != '.';
                    uint64_t len = q - tail_start + headed;
                    tails += q - tail_start;
                    orphans += !headed;
                    multi += len >= 2;
                    n2 += len == 2;
                    max_len = len > max_len ? len : max_len;
                } else {
                    tail_start = q;
                }
                in_tail = !in_tail;
            }
        }
        if (in_free) {
            runs++;
            free_blocks += n - free_start;
            if (n - free_start > largest) {
                largest = n - free_start;
                largest_at = free_start;
            }
        }
        if (in_tail) {
            bool headed = tail_start > 0 && cells[tail_start - 1] != '.';
            uint64_t len = n - tail_start + headed;
            tails += n - tail_start;
            orphans += !headed;
            multi += len >= 2;
            n2 += len == 2;
            max_len = len > max_len ? len : max_len;
        }
        uint64_t heads = n - free_blocks - tails;
        if (heads && max_len < 1)
            max_len = 1;
        st.total_blocks += n;
        st.free_blocks += free_blocks;
        st.used_blocks += n - free_blocks;
        st.allocs += heads + orphans;
        st.orphan_tails += orphans;
        st.n_1block += heads + orphans - multi;
        st.n_2block += n2;
        st.free_runs += runs;
        if (max_len > st.max_alloc_blocks)
            st.max_alloc_blocks = max_len;
        if (largest > st.largest_free_blocks) {
            st.largest_free_blocks = largest;
            st.largest_free_area = ai;
            st.largest_free_block = largest_at;
        }
    }
    st.largest_free_address =
        st.largest_free_blocks
            ? mph_snapshot_block_address(s, st.largest_free_area, st.largest_free_block)
            : 0;
    st.fragmentation =
        st.free_blocks ? 1.0 - (double)st.largest_free_blocks / (double)st.free_blocks : 0.0;
    *out = st;
}

mph_status mph_stats_compute(const mph_snapshot *s, size_t area, mph_stats *out, mph_error *err) {
    if (!s || !out || (area != MPH_ALL_AREAS && area >= s->n_areas)) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no snapshot, no output or no such area");
        return MPH_ERR_ARG;
    }
    // Every renderer asks for the whole snapshot's figures: compute them once.
    if (area == MPH_ALL_AREAS && s->memo && s->memo->ready) {
        *out = s->memo->stats;
        return MPH_OK;
    }
    init_type_table();
    mph_stats st;
    memset(&st, 0, sizeof st);
    st.block_size = s->block_size;
    if (area == MPH_ALL_AREAS)
        for (size_t i = 0; i < s->n_areas; i++)
            area_stats(s, i, &st);
    else
        area_stats(s, area, &st);
    st.largest_free_address =
        st.largest_free_blocks
            ? mph_snapshot_block_address(s, st.largest_free_area, st.largest_free_block)
            : 0;
    st.fragmentation =
        st.free_blocks ? 1.0 - (double)st.largest_free_blocks / (double)st.free_blocks : 0.0;
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
            size_t run = run_of(a->cells, a->n_blocks, i, '.');
            count += run / need;
            i += run;
        }
    }
    return count;
}
