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

/* One stretch of an area: a free run, or an allocation (a head and its
 * tails, or tails with no head). */
typedef struct segment {
    size_t start, len;
    bool alloc;
} segment;

static segment segment_at(const char *cells, size_t n, size_t i) {
    segment g = {i, 0, cells[i] != MPH_CELL_FREE};
    if (!g.alloc)
        g.len = mph__run_length(cells, n, i, MPH_CELL_FREE);
    else if (cells[i] == MPH_CELL_TAIL)
        g.len = mph__run_length(cells, n, i, MPH_CELL_TAIL);
    else
        g.len = 1 + (i + 1 < n ? mph__run_length(cells, n, i + 1, MPH_CELL_TAIL) : 0);
    return g;
}

static uint64_t address_of(const mph_snapshot *s, size_t area, size_t block) {
    return mph_snapshot_block_address(s, area, block);
}

/* ------------------------------------------------------------- free runs */

/* First fit, the longest runs and their histogram: one pass over the free runs. */
static void scan_runs(const mph_snapshot *s, mph_verdict *v) {
    for (size_t ai = 0; ai < s->n_areas; ai++) {
        const mph_area *a = &s->areas[ai];
        if (a->n_blocks > v->largest_area_blocks)
            v->largest_area_blocks = a->n_blocks;
        const char *c = a->cells;
        for (size_t i = 0; i < a->n_blocks;) {
            const char *dot = memchr(c + i, MPH_CELL_FREE, a->n_blocks - i);
            if (!dot)
                break;
            i = (size_t)(dot - c);
            size_t len = mph__run_length(c, a->n_blocks, i, MPH_CELL_FREE);
            mph_free_run r = {ai, i, len, address_of(s, ai, i)};
            v->free_runs++;
            v->free_histogram[mph__bucket_of(len)]++;
            if (v->need_blocks && !v->fits_now && len >= v->need_blocks) {
                v->fits_now = true;
                v->first_fit = r;
            }
            // Keep the longest few, longest first, ties in address order.
            size_t k = v->n_runs;
            if (k < MPH_VERDICT_MAX_RUNS || len > v->runs[k - 1].n_blocks) {
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
            i += len;
        }
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

/* The minimal windows of one area: for each first stretch, the fewest
 * stretches after it that reach `need` blocks; a window that still reaches
 * need without its first stretch is left to the next start. Two pointers,
 * so each stretch is measured at most twice. */
static void search_area(const mph_area *a, size_t ai, uint64_t need, best_list *best) {
    const char *c = a->cells;
    size_t n = a->n_blocks, l = 0, r = 0;
    uint64_t allocs = 0, alloc_blocks = 0;
    size_t free_before = 0; /* the free run just before l, when l starts an allocation */
    segment last = {0, 0, false};
    if (need > n)
        return;
    while (l < n) {
        while (r - l < need && r < n) {
            last = segment_at(c, n, r);
            if (last.alloc) {
                allocs++;
                alloc_blocks += last.len;
            }
            r += last.len;
        }
        if (r - l < need)
            return; // nothing from here on reaches need
        segment first = segment_at(c, n, l);
        if (r - l - first.len < need && allocs) {
            candidate k = {ai, 0, 0, first.alloc ? l : l + first.len,
                           last.alloc ? r : r - last.len, allocs, alloc_blocks};
            if (admits(best, &k)) {
                k.run_start = first.alloc ? l - free_before : l;
                k.run_end = r < n && c[r] == MPH_CELL_FREE ? r + mph__run_length(c, n, r, MPH_CELL_FREE) : r;
                admit(best, &k);
            }
        }
        if (first.alloc) {
            allocs--;
            alloc_blocks -= first.len;
            free_before = 0;
        } else {
            free_before = first.len;
        }
        l += first.len;
    }
}

static mph_status collect_blockers(const mph_snapshot *s, const best_list *best, mph_verdict *v,
                                   mph__allocs *all, mph_error *err) {
    size_t starts[MPH_VERDICT_MAX_WINDOWS];
    for (size_t w = 0; w < best->n; w++) {
        const candidate *k = &best->c[w];
        const mph_area *a = &s->areas[k->area];
        starts[w] = all->n;
        for (size_t i = k->blocked_start; i < k->blocked_end;) {
            segment g = segment_at(a->cells, a->n_blocks, i);
            if (g.alloc) {
                int t = mph_type_of_cell(a->cells[i]);
                mph_alloc x = {k->area, i, g.len, address_of(s, k->area, i),
                               t < 0 ? MPH_TYPE_OTHER : (mph_type)t, a->cells[i] == MPH_CELL_TAIL};
                if (!mph__allocs_push(all, &x)) {
                    mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
                    return MPH_ERR_NOMEM;
                }
            }
            i += g.len;
        }
        v->windows[w] = (mph_window){
            {k->area, k->run_start, k->run_end - k->run_start, address_of(s, k->area, k->run_start)},
            all->n - starts[w], k->alloc_blocks, NULL};
    }
    // Pointers only now: the array may have moved while it grew.
    for (size_t w = 0; w < best->n; w++)
        v->windows[w].blockers = all->v + starts[w];
    v->n_windows = best->n;
    return MPH_OK;
}

/* ------------------------------------------------------------ the verdict */

/* gc_try_add_heap's rule (py/gc.c since v1.21): the new area must hold the
 * allocation and its tables. */
static uint64_t grow_needed(uint64_t bytes) {
    uint64_t overhead = bytes / 512 * 13 + bytes % 512 * 13 / 512;
    return bytes + (overhead > 2048 ? overhead : 2048);
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
        v->grow_needed = grow_needed(v->need_bytes);
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

    scan_runs(s, v);
    if (v->has_map && !v->map_partial) {
        mph_stats st;
        mph__snapshot_figures(s, &st);
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
    if (v->need_blocks && !v->fits_now && v->has_map) {
        best_list best = {0};
        for (size_t ai = 0; ai < s->n_areas; ai++)
            search_area(&s->areas[ai], ai, v->need_blocks, &best);
        mph__allocs all = {0};
        mph_status st = collect_blockers(s, &best, v, &all, err);
        if (st) {
            mph__allocs_fini(&all);
            free(v);
            return st;
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
