/* The verdict: does an allocation of N bytes fit, by MicroPython's rules, and
 * if not, which allocations split the free memory (the windows). */
#include "analyses.h"

#include <stdlib.h>
#include <string.h>

const char *mph_outcome_name(mph_outcome o) {
    switch (o) {
    case MPH_OUTCOME_FITS_NOW: return "fits-now";
    case MPH_OUTCOME_MAY_AFTER_GC: return "may-fit-after-collection";
    case MPH_OUTCOME_FITS_BY_GROWING: return "fits-by-growing";
    case MPH_OUTCOME_FAILS: return "fails";
    case MPH_OUTCOME_UNKNOWN: break;
    }
    return "unknown";
}

/* The stretches of an area, in order: a free run, or an allocation (a head
 * and its tails, or tails with no head). A cursor over where they start,
 * read 64 cells at a time from bit masks: most stretches are a few blocks
 * long, too short for a byte loop or a word loop to pay. */
typedef struct starts {
    const char *cells;
    size_t n, word;
    uint64_t bits; /* the starts not yet returned in the 64 cells from word */
} starts;

static uint64_t start_bits(const char *cells, size_t n, size_t w) {
    size_t k = n - w < 64 ? n - w : 64;
    uint64_t free_m, tail_m;
    mph__cell_masks(cells + w, k, &free_m, &tail_m);
    uint64_t all = k < 64 ? (UINT64_C(1) << k) - 1 : ~UINT64_C(0);
    uint64_t after_free = free_m << 1 | (uint64_t)(w > 0 && cells[w - 1] == MPH_CELL_FREE);
    // A head; the first free cell of a run; a tail after a free cell (no head).
    return (~(free_m | tail_m) | (free_m & ~after_free) | (tail_m & after_free)) & all;
}

/* A cursor at pos (a start): starts_next returns the starts after it. */
static void starts_init(starts *s, const char *cells, size_t n, size_t pos) {
    s->cells = cells;
    s->n = n;
    s->word = pos & ~(size_t)63;
    s->bits = pos < n ? start_bits(cells, n, s->word) & ~((UINT64_C(2) << (pos & 63)) - 1) : 0;
}

/* The next start, or n at the end of the area. */
static size_t starts_next(starts *s) {
    while (!s->bits) {
        s->word += 64;
        if (s->word >= s->n)
            return s->n;
        s->bits = start_bits(s->cells, s->n, s->word);
    }
    size_t p = s->word + mph__lowest_bit(s->bits);
    s->bits &= s->bits - 1;
    return p;
}

/* ------------------------------------------------------------- free runs */

/* One free run, in address order: first fit, the longest runs, the histogram. */
static void note_run(const mph_snapshot *s, mph_verdict *v, size_t ai, size_t i, size_t len) {
    v->free_runs++;
    v->free_histogram[mph__bucket_of(len)]++;
    bool first_fit = v->need_blocks && !v->first_fit.n_blocks && len >= v->need_blocks;
    size_t k = v->n_runs;
    bool longest = k < MPH_VERDICT_MAX_RUNS || len > v->runs[k - 1].n_blocks;
    if (!first_fit && !longest)
        return;
    mph_free_run r = {ai, i, len, mph_snapshot_block_address(s, ai, i)};
    if (first_fit)
        v->first_fit = r;
    if (longest) { // longest first, ties in address order
        if (k == MPH_VERDICT_MAX_RUNS)
            k--;
        while (k > 0 && v->runs[k - 1].n_blocks < len) {
            v->runs[k] = v->runs[k - 1];
            k--;
        }
        v->runs[k] = r;
        if (v->n_runs < MPH_VERDICT_MAX_RUNS)
            v->n_runs++;
    }
}

static void scan_area(const mph_snapshot *s, mph_verdict *v, size_t ai) {
    const mph_area *a = &s->areas[ai];
    starts cur;
    starts_init(&cur, a->cells, a->n_blocks, 0);
    for (size_t i = 0, next; i < a->n_blocks; i = next) {
        next = starts_next(&cur);
        if (a->cells[i] == MPH_CELL_FREE)
            note_run(s, v, ai, i, next - i);
    }
}

/* --------------------------------------------------------------- windows */

/* A candidate window: allocations [blocked_start, blocked_end) of an area
 * to free, making a run of [run_start, run_end). */
typedef struct candidate {
    size_t area;
    size_t run_start, run_end;
    size_t blocked_start, blocked_end;
    uint64_t n_allocs, alloc_blocks;
} candidate;

static bool better(const candidate *a, const candidate *b) {
    if (a->n_allocs != b->n_allocs)
        return a->n_allocs < b->n_allocs;
    if (a->alloc_blocks != b->alloc_blocks)
        return a->alloc_blocks < b->alloc_blocks;
    if (a->area != b->area)
        return a->area < b->area;
    return a->blocked_start < b->blocked_start;
}

typedef struct best_list {
    size_t n;
    candidate c[MPH_VERDICT_MAX_WINDOWS];
} best_list;

/* Would c enter the list? (Before its run's ends are worked out.) */
static bool admits(const best_list *b, const candidate *c) {
    return b->n < MPH_VERDICT_MAX_WINDOWS || better(c, &b->c[b->n - 1]);
}

static void admit(best_list *b, const candidate *c) {
    // Windows that share allocations are one place: keep the better of them.
    for (size_t i = 0; i < b->n;) {
        const candidate *o = &b->c[i];
        if (o->area == c->area && o->blocked_start < c->blocked_end &&
            c->blocked_start < o->blocked_end) {
            if (!better(c, o))
                return;
            memmove(&b->c[i], &b->c[i + 1], (b->n - i - 1) * sizeof *o);
            b->n--;
            continue;
        }
        i++;
    }
    size_t k = b->n < MPH_VERDICT_MAX_WINDOWS ? b->n++ : b->n - 1;
    while (k > 0 && better(c, &b->c[k - 1])) {
        b->c[k] = b->c[k - 1];
        k--;
    }
    b->c[k] = *c;
}

/* The starts between the window's two ends, first in, first out: the left
 * end takes them from here instead of reading the cells a second time. */
typedef struct start_queue {
    size_t *v;
    size_t cap, head, len; /* cap: a power of two */
} start_queue;

static bool queue_push(start_queue *q, size_t x) {
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 1024;
        size_t *v = malloc(cap * sizeof *v);
        if (!v)
            return false;
        for (size_t i = 0; i < q->len; i++)
            v[i] = q->v[(q->head + i) & (q->cap - 1)];
        free(q->v);
        q->v = v;
        q->cap = cap;
        q->head = 0;
    }
    q->v[(q->head + q->len++) & (q->cap - 1)] = x;
    return true;
}

static size_t queue_pop(start_queue *q) {
    size_t x = q->v[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    q->len--;
    return x;
}

/* The minimal windows of one area: for each first stretch, the fewest
 * stretches after it that reach `need` blocks; a window that still reaches
 * need without its first stretch is left to the next start. Two ends that
 * only move forward; the cells are read once, by the right end, which also
 * notes each free run. */
static bool search_area(const mph_snapshot *s, mph_verdict *v, size_t ai, best_list *best,
                        start_queue *q) {
    const mph_area *a = &s->areas[ai];
    const char *c = a->cells;
    size_t n = a->n_blocks;
    uint64_t need = v->need_blocks;
    if (need > n || !n) {
        scan_area(s, v, ai);
        return true;
    }
    starts right;
    starts_init(&right, c, n, 0);
    q->head = q->len = 0;
    size_t l = 0, r = 0;
    uint64_t allocs = 0, alloc_blocks = 0;
    size_t free_before = 0; /* the free run just before l, when l starts an allocation */
    size_t last_len = 0;
    bool last_alloc = false;
    for (;;) {
        while (r - l < need && r < n) {
            size_t e = starts_next(&right);
            if (!queue_push(q, e))
                return false;
            last_alloc = c[r] != MPH_CELL_FREE;
            last_len = e - r;
            if (last_alloc) {
                allocs++;
                alloc_blocks += last_len;
            } else {
                note_run(s, v, ai, r, last_len);
            }
            r = e;
        }
        if (r - l < need)
            return true; // nothing from here on reaches need (r is at the end: every run noted)
        size_t l_end = queue_pop(q);
        size_t first_len = l_end - l;
        bool first_alloc = c[l] != MPH_CELL_FREE;
        if (r - l - first_len < need && allocs) {
            candidate k = {ai, 0, 0, first_alloc ? l : l_end, last_alloc ? r : r - last_len,
                           allocs, alloc_blocks};
            if (admits(best, &k)) {
                k.run_start = first_alloc ? l - free_before : l;
                k.run_end = r < n && c[r] == MPH_CELL_FREE ? r + mph__run_length(c, n, r, MPH_CELL_FREE) : r;
                admit(best, &k);
            }
        }
        if (first_alloc) {
            allocs--;
            alloc_blocks -= first_len;
            free_before = 0;
        } else {
            free_before = first_len;
        }
        l = l_end;
    }
}

static mph_status collect_blockers(const mph_snapshot *s, const best_list *best, mph_verdict *v,
                                   mph__allocs *all, mph_error *err) {
    size_t first[MPH_VERDICT_MAX_WINDOWS]; /* each window's first blocker in all */
    for (size_t w = 0; w < best->n; w++) {
        const candidate *k = &best->c[w];
        const mph_area *a = &s->areas[k->area];
        first[w] = all->n;
        starts cur;
        starts_init(&cur, a->cells, a->n_blocks, k->blocked_start);
        for (size_t i = k->blocked_start, next;
             i < k->blocked_end && all->n - first[w] < MPH_VERDICT_MAX_BLOCKERS; i = next) {
            next = starts_next(&cur);
            if (a->cells[i] == MPH_CELL_FREE)
                continue;
            int t = mph_type_of_cell(a->cells[i]);
            mph_alloc x = {k->area, i, next - i, mph_snapshot_block_address(s, k->area, i),
                           t < 0 ? MPH_TYPE_OTHER : (mph_type)t, a->cells[i] == MPH_CELL_TAIL};
            if (!mph__allocs_push(all, &x)) {
                mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
                return MPH_ERR_NOMEM;
            }
        }
        v->windows[w] = (mph_window){
            {k->area, k->run_start, k->run_end - k->run_start, mph_snapshot_block_address(s, k->area, k->run_start)},
            (size_t)k->n_allocs, k->alloc_blocks, all->n - first[w], NULL};
    }
    // Pointers only now: the array may have moved while it grew.
    for (size_t w = 0; w < best->n; w++)
        v->windows[w].blockers = all->v + first[w];
    v->n_windows = best->n;
    return MPH_OK;
}

/* ------------------------------------------------------------ the verdict */

/* gc_try_add_heap's rule (py/gc.c since v1.21): the new area must hold the
 * allocation and its tables. */
uint64_t mph__grow_needed(uint64_t bytes) {
    uint64_t overhead = bytes / 512 * 13 + bytes % 512 * 13 / 512;
    if (overhead < 2048)
        overhead = 2048;
    return bytes > UINT64_MAX - overhead ? UINT64_MAX : bytes + overhead; // no wrap to "fits"
}

static void decide(mph_verdict *v) {
    if (!v->need_blocks) {
        v->outcome = MPH_OUTCOME_UNKNOWN;
        return;
    }
    if (v->fits_now || (v->largest_known && v->largest.n_blocks >= v->need_blocks)) {
        v->fits_now = true;
        v->outcome = MPH_OUTCOME_FITS_NOW;
        return;
    }
    v->fits_now = false;
    if (v->can_grow) {
        v->grow_needed = mph__grow_needed(v->need_bytes);
        v->fits_by_growing = v->grow_needed <= v->max_new_split;
    }
    if (!v->largest_known)
        v->outcome = MPH_OUTCOME_UNKNOWN;
    else if (!v->after_collect)
        v->outcome = MPH_OUTCOME_MAY_AFTER_GC;
    else if (v->fits_by_growing)
        v->outcome = MPH_OUTCOME_FITS_BY_GROWING;
    else
        v->outcome = MPH_OUTCOME_FAILS;
}

mph_status mph_verdict_new(const mph_snapshot *s, uint64_t need_bytes, mph_verdict **out,
                           mph_error *err) {
    return mph__verdict_make(s, need_bytes, true, out, err);
}

mph_status mph__verdict_make(const mph_snapshot *s, uint64_t need_bytes, bool detail,
                             mph_verdict **out, mph_error *err) {
    if (!s || !out) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no snapshot");
        return MPH_ERR_ARG;
    }
    mph_verdict *v = calloc(1, sizeof *v);
    if (!v) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    v->snapshot = s;
    v->block_size = s->block_size;
    if (need_bytes) {
        v->need_source = MPH_NEED_CALLER;
        v->need_bytes = need_bytes;
    } else if (mph_snapshot_failed_alloc(s, &v->need_bytes, &v->need_line) && v->need_bytes) {
        v->need_source = MPH_NEED_LOG;
    }
    if (v->block_size && v->need_bytes)
        v->need_blocks = v->need_bytes / v->block_size + (v->need_bytes % v->block_size != 0);
    v->has_map = s->n_areas > 0;
    v->map_partial = mph_snapshot_map_partial(s);
    v->after_collect = mph_snapshot_after_collect(s);
    const mph_header *h = &s->header;
    v->can_grow = h->has_max_new_split;
    v->max_new_split = h->max_new_split;

    for (size_t ai = 0; ai < s->n_areas; ai++)
        if (s->areas[ai].n_blocks > v->largest_area_blocks)
            v->largest_area_blocks = s->areas[ai].n_blocks;
    bool whole = v->has_map && !v->map_partial;
    mph_stats st;
    memset(&st, 0, sizeof st); // read only when whole, but cppcheck cannot tell
    if (whole)
        mph__snapshot_figures(s, &st);
    // Not fitting a whole map is known from its figures: then one pass both
    // searches the windows and reads the free runs; else a pass for the runs.
    bool search_now = detail && whole && v->need_blocks && st.largest_free_blocks < v->need_blocks;
    // With no size, or no detail asked, a whole map's figures decide: no pass.
    v->runs_read = !whole || (v->need_blocks && detail);
    if (!search_now && v->runs_read)
        for (size_t ai = 0; ai < s->n_areas; ai++)
            scan_area(s, v, ai);
    v->fits_now = v->first_fit.n_blocks > 0;
    if (whole) {
        v->free_blocks = st.free_blocks;
        v->total_blocks = st.total_blocks;
        v->largest_known = true;
        v->largest = (mph_free_run){st.largest_free_area, st.largest_free_block,
                                    st.largest_free_blocks, st.largest_free_address};
    } else {
        // The header's figures stand for the whole heap; the map (if any) for part of it.
        if (h->has_gc && v->block_size) {
            v->total_blocks = h->gc_total / v->block_size;
            v->free_blocks = h->gc_free / v->block_size;
        }
        if (h->has_max_free) {
            v->largest_known = v->largest_from_header = true;
            v->largest.n_blocks = h->max_free;
            // Its place is known when the part of the map shown holds a run that long.
            if (v->n_runs && v->runs[0].n_blocks == h->max_free) {
                v->largest = v->runs[0];
                v->largest_from_header = false;
            }
        }
    }
    decide(v);
    if (detail && v->need_blocks && !v->fits_now && v->has_map) {
        best_list best = {0};
        start_queue q = {0};
        bool ok = true;
        if (!search_now) { // a partial map: its runs are read already
            memset(v->free_histogram, 0, sizeof v->free_histogram);
            v->free_runs = v->n_runs = 0;
        }
        for (size_t ai = 0; ai < s->n_areas && ok; ai++)
            ok = search_area(s, v, ai, &best, &q);
        free(q.v);
        mph__allocs all = {0};
        mph_status rc = ok ? collect_blockers(s, &best, v, &all, err) : MPH_ERR_NOMEM;
        if (rc) {
            if (!ok)
                mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
            mph__allocs_fini(&all);
            free(v);
            return rc;
        }
        // The verdict owns the blockers' array; windows point into it.
        if (!all.n)
            mph__allocs_fini(&all);
    }
    *out = v;
    return MPH_OK;
}

void mph_verdict_free(mph_verdict *v) {
    if (!v)
        return;
    if (v->n_windows)
        free((void *)v->windows[0].blockers);
    free(v);
}
