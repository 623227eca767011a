/* The figures of `mpheap stats`: mph_stats_compute's for each area and the
 * whole snapshot, plus what it does not keep (blocks per histogram bucket,
 * how many buffers of given sizes fit), all from one pass over each area's
 * cells (stats.c); the whole snapshot's are the areas' added up. */
#include "figures.h"

#include <stdlib.h>
#include <string.h>

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
    // One walk per area; the whole snapshot's figures are theirs added up, in
    // area order (as mph_stats_compute's walk over them all adds them).
    mph_stats total;
    memset(&total, 0, sizeof total);
    total.block_size = s->block_size;
    for (size_t i = 0; i < s->n_areas; i++) {
        if (s->areas[i].cells)
            mph__area_report(s, i, r->fit_blocks, n_fit, &r->areas[i]);
        else
            r->areas[i].stats.block_size = s->block_size;
        mph__stats_add(&total, &r->areas[i].stats);
        add_extras(&r->total, &r->areas[i], n_fit);
    }
    mph__figures_derive(s, &total);
    // Kept for the next renderer that asks (mph_stats_compute), or kept already:
    // a map not kept was summed up when it was read.
    if (s->memo && !s->memo->ready) {
        s->memo->stats = total;
        s->memo->ready = true;
    }
    r->total.stats = s->memo ? s->memo->stats : total;
    if (s->n_areas == 1)
        r->areas[0].stats = r->total.stats;
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
