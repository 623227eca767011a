/* The figures of `mpheap stats`: mph_stats_compute's for the whole snapshot
 * and each area, plus what it does not keep (blocks per histogram bucket,
 * how many buffers of given sizes fit), from one more pass over the cells. */
#include "analyses.h"

#include <stdlib.h>
#include <string.h>

/* The second pass: histogram sums and fit counts of one area. */
static void area_extras(const mph_area *a, const mph_stats_report *r, mph_stats_part *part) {
    const char *cells = a->cells;
    size_t n = a->n_blocks;
    for (size_t i = 0; i < n;) {
        if (cells[i] == '.') {
            size_t run = mph__run_length(cells, n, i, '.');
            part->free_histogram_blocks[mph__bucket_of(run)] += run;
            for (size_t f = 0; f < r->n_fit; f++)
                if (r->fit_blocks[f])
                    part->fit_count[f] += run / r->fit_blocks[f];
            i += run;
            continue;
        }
        // An allocation: its head (or an orphan tail) and the tails after it.
        size_t start = i++;
        if (i < n && cells[i] == '=')
            i += mph__run_length(cells, n, i, '=');
        size_t len = i - start;
        part->alloc_histogram_blocks[mph__bucket_of(len)] += len;
    }
}

static void add_extras(mph_stats_part *to, const mph_stats_part *from, size_t n_fit) {
    for (unsigned k = 0; k < MPH_HISTOGRAM_BUCKETS; k++) {
        to->alloc_histogram_blocks[k] += from->alloc_histogram_blocks[k];
        to->free_histogram_blocks[k] += from->free_histogram_blocks[k];
    }
    for (size_t f = 0; f < n_fit; f++)
        to->fit_count[f] += from->fit_count[f];
}

mph_status mph_stats_report_new(const mph_snapshot *s, const uint64_t *fit_bytes, size_t n_fit,
                                mph_stats_report **out, mph_error *err) {
    if (!s || !out || n_fit > MPH_FIT_MAX || (n_fit && !fit_bytes)) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no snapshot, no output, or more than %d fit sizes",
                       MPH_FIT_MAX);
        return MPH_ERR_ARG;
    }
    mph_stats_report *r = calloc(1, sizeof *r);
    mph_status rc = MPH_ERR_NOMEM;
    if (!r)
        goto fail;
    r->snapshot = s;
    r->block_size = s->block_size;
    r->n_fit = n_fit;
    for (size_t f = 0; f < n_fit; f++) {
        r->fit_bytes[f] = fit_bytes[f];
        r->fit_blocks[f] = s->block_size && fit_bytes[f]
                               ? (fit_bytes[f] + s->block_size - 1) / s->block_size
                               : 0;
    }
    r->n_areas = s->n_areas;
    r->areas = calloc(s->n_areas ? s->n_areas : 1, sizeof *r->areas);
    if (!r->areas)
        goto fail;
    // The whole snapshot's figures were computed when it was read (and kept);
    // with one area they are that area's too, so only split heaps pay for more.
    rc = mph_stats_compute(s, MPH_ALL_AREAS, &r->total.stats, err);
    if (rc)
        goto fail;
    for (size_t i = 0; i < s->n_areas; i++) {
        if (s->n_areas == 1)
            r->areas[i].stats = r->total.stats;
        else if ((rc = mph_stats_compute(s, i, &r->areas[i].stats, err)))
            goto fail;
        area_extras(&s->areas[i], r, &r->areas[i]);
        add_extras(&r->total, &r->areas[i], n_fit);
    }
    *out = r;
    return MPH_OK;
fail:
    if (rc == MPH_ERR_NOMEM)
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
    mph_stats_report_free(r);
    return rc;
}

void mph_stats_report_free(mph_stats_report *r) {
    if (!r)
        return;
    free(r->areas);
    free(r);
}
