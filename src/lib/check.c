/* Heap-health limits for CI: each limit measured on one snapshot through the
 * same stats report `mpheap stats` prints, so a gate and a report agree. */
#include "analyses.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool needs_bytes(mph_check_kind k) {
    return k == MPH_CHECK_MIN_LARGEST_FREE || k == MPH_CHECK_MAX_USED || k == MPH_CHECK_MIN_FREE ||
           k == MPH_CHECK_MIN_FIT || k == MPH_CHECK_NEED;
}

/* Limits a dump with no whole map cannot answer: they count allocations or runs. */
static bool needs_map(mph_check_kind k) {
    return k == MPH_CHECK_MAX_ALLOCS || k == MPH_CHECK_MAX_ALLOCS_OF || k == MPH_CHECK_MIN_FIT;
}

mph_status mph_check_run(const mph_snapshot *s, const mph_check_limit *limits, size_t n,
                         mph_check_result *results, size_t *n_failed, mph_error *err) {
    if (!s || (n && (!limits || !results))) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no snapshot, limits or results");
        return MPH_ERR_ARG;
    }
    uint64_t fits[MPH_FIT_MAX] = {0};
    size_t n_fit = 0;
    for (size_t i = 0; i < n; i++) {
        if (needs_bytes(limits[i].kind) && !s->block_size) {
            mph__error_set(err, MPH_ERR_ARG, s->first_line, 0,
                           "the block size of this dump is unknown, so limits in bytes cannot be "
                           "checked: give --block-size");
            return MPH_ERR_ARG;
        }
        if (limits[i].kind == MPH_CHECK_MIN_FIT) {
            if (n_fit == MPH_FIT_MAX || !limits[i].size) {
                mph__error_set(err, MPH_ERR_ARG, 0, 0, "at most %d fit limits, of sizes above 0",
                               MPH_FIT_MAX);
                return MPH_ERR_ARG;
            }
            fits[n_fit++] = limits[i].size;
        }
        if (needs_map(limits[i].kind) && (!s->n_areas || s->map_partial)) {
            mph__error_set(err, MPH_ERR_ARG, s->first_line, 0,
                           "this dump has %s map, so limit %zu (allocations, fits) cannot be "
                           "checked; its header gives used, free and the largest free run",
                           s->n_areas ? "only part of its" : "no", i + 1);
            return MPH_ERR_ARG;
        }
        // Fragmentation too: it is 1 - largest free / free.
        if ((limits[i].kind == MPH_CHECK_MIN_LARGEST_FREE || limits[i].kind == MPH_CHECK_NEED ||
             limits[i].kind == MPH_CHECK_MAX_FRAGMENTATION) &&
            (!s->n_areas || s->map_partial) && !s->header.has_max_free) {
            mph__error_set(err, MPH_ERR_ARG, s->first_line, 0,
                           "this dump has no whole map and its header no max free sz, so the "
                           "largest free run and fragmentation are unknown");
            return MPH_ERR_ARG;
        }
        if ((unsigned)limits[i].kind > MPH_CHECK_NEED ||
            (limits[i].kind == MPH_CHECK_MAX_ALLOCS_OF &&
             (unsigned)limits[i].type >= MPH_TYPE_COUNT)) {
            mph__error_set(err, MPH_ERR_ARG, 0, 0, "limit %zu is of no known kind", i + 1);
            return MPH_ERR_ARG;
        }
    }
    mph_stats_report *r = NULL;
    mph_status rc = mph_stats_report_new(s, fits, n_fit, &r, err);
    if (rc)
        return rc;
    mph_stats whole = r->total.stats;
    bool from_header = (!s->n_areas || s->map_partial) && s->header.has_gc;
    if (from_header && !r->block_size) {
        mph__error_set(err, MPH_ERR_ARG, s->first_line, 0,
                       "this dump has no whole map and its block size is unknown: give "
                       "--block-size");
        rc = MPH_ERR_ARG;
        goto out;
    }
    if (from_header)
        (void)mph__header_figures(s, &whole);
    const mph_stats *st = &whole;
    uint64_t bpb = r->block_size;
    size_t failed = 0, fit_index = 0;
    for (size_t i = 0; i < n; i++) {
        mph_check_result x;
        memset(&x, 0, sizeof x);
        x.limit = limits[i];
        const mph_check_limit *l = &limits[i];
        switch (l->kind) {
        case MPH_CHECK_MIN_LARGEST_FREE:
            x.measured = st->largest_free_blocks * bpb;
            x.ok = x.measured >= l->value;
            // The verdict's growth rule: a new area for a run of that size.
            if (!x.ok && l->growth && s->header.has_max_new_split)
                x.ok = x.by_growth = mph__grow_needed(l->value) <= s->header.max_new_split;
            break;
        case MPH_CHECK_NEED: {
            mph_verdict *v = NULL;
            if ((rc = mph__verdict_make(s, l->size, false, &v, err)))
                goto out;
            x.measured = v->largest.n_blocks * bpb;
            x.outcome = v->outcome;
            x.ok = v->fits_now;
            if (!x.ok && l->growth && v->can_grow && v->fits_by_growing)
                x.ok = x.by_growth = true;
            mph_verdict_free(v);
            break;
        }
        case MPH_CHECK_MAX_FRAGMENTATION:
            x.measured_fraction = st->fragmentation;
            x.ok = x.measured_fraction <= l->fraction;
            break;
        case MPH_CHECK_MAX_USED:
            x.measured = st->used_blocks * bpb;
            x.ok = x.measured <= l->value;
            break;
        case MPH_CHECK_MAX_USED_FRACTION:
            x.measured = st->used_blocks * bpb;
            x.measured_fraction =
                st->total_blocks ? (double)st->used_blocks / (double)st->total_blocks : 0.0;
            x.ok = x.measured_fraction <= l->fraction;
            break;
        case MPH_CHECK_MIN_FREE:
            x.measured = st->free_blocks * bpb;
            x.ok = x.measured >= l->value;
            break;
        case MPH_CHECK_MAX_ALLOCS:
            x.measured = st->allocs;
            x.ok = x.measured <= l->value;
            break;
        case MPH_CHECK_MAX_ALLOCS_OF:
            x.measured = st->by_type[l->type].allocs;
            x.ok = x.measured <= l->value;
            break;
        case MPH_CHECK_MIN_FIT:
            x.measured = r->total.fit_count[fit_index++];
            x.ok = x.measured >= l->value;
            break;
        }
        x.from_header = from_header;
        failed += !x.ok;
        results[i] = x;
    }
    mph_stats_report_free(r);
    if (n_failed)
        *n_failed = failed;
    return MPH_OK;
out:
    mph_stats_report_free(r);
    return rc;
}
