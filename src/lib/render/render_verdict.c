/* The verdict as text: does N bytes fit, now, after a collection or by
 * growing, and if not, what splits the free memory. Every sentence says
 * only what the dump tells. */
#include "../analyses.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INDENT "               "

static void put_place(mph_outbuf *o, const mph_snapshot *s, const mph_free_run *r) {
    if (r->address)
        mph__out_printf(o, "at 0x%llx", (unsigned long long)r->address);
    else
        mph__out_printf(o, "at block %zu", r->block);
    if (s->n_areas > 1)
        mph__out_printf(o, " in area %zu", r->area + 1);
}

static const char *blocks_and_bytes(char buf[96], uint64_t blocks, unsigned bpb) {
    char a[32], b[48];
    if (!bpb)
        snprintf(buf, 96, "%s block%s", mph__fmt_count(a, blocks), blocks == 1 ? "" : "s");
    else
        snprintf(buf, 96, "%s block%s (%s)", mph__fmt_count(a, blocks), blocks == 1 ? "" : "s",
                 mph__fmt_blocks(b, blocks, bpb));
    return buf;
}

static void put_need(mph_outbuf *o, const mph_verdict *v) {
    char a[32], b[32];
    mph__out_printf(o, "verdict        for %s bytes", mph__fmt_count(a, v->need_bytes));
    if (v->need_blocks)
        mph__out_printf(o, " = %s block%s of %u bytes", mph__fmt_count(b, v->need_blocks),
                        v->need_blocks == 1 ? "" : "s", v->block_size);
    mph__out_putc(o, '\n');
    if (v->need_source == MPH_NEED_LOG)
        mph__out_printf(o, INDENT "(the MemoryError at line %lu)\n", v->need_line);
}

static void put_now(mph_outbuf *o, const mph_verdict *v) {
    const mph_snapshot *s = v->snapshot;
    char a[96];
    if (!v->block_size) {
        mph__out_puts(o, "fits now?      unknown: the block size is unknown (give --block-size)\n");
        return;
    }
    if (v->fits_now) {
        mph__out_puts(o, "fits now?      yes");
        if (v->first_fit.n_blocks) {
            mph__out_printf(o, ": gc_alloc takes the first free run that long,\n" INDENT "%s ",
                            blocks_and_bytes(a, v->first_fit.n_blocks, v->block_size));
            put_place(o, s, &v->first_fit);
        } else {
            mph__out_puts(o, ": the header's max free sz is that long (the part of\n" INDENT
                             "the map shown does not hold it)");
        }
        mph__out_putc(o, '\n');
        return;
    }
    if (!v->largest_known) {
        mph__out_puts(o, "fits now?      unknown: the map is partial and the header has no\n" INDENT
                         "max free sz\n");
        return;
    }
    mph__out_printf(o, "fits now?      no: the largest free run is %s",
                    blocks_and_bytes(a, v->largest.n_blocks, v->block_size));
    if (!v->largest_from_header && v->has_map) {
        mph__out_puts(o, ",\n" INDENT);
        put_place(o, s, &v->largest);
    } else {
        mph__out_puts(o, "\n" INDENT "(the header's max free sz)");
    }
    mph__out_putc(o, '\n');
}

static void put_after_gc(mph_outbuf *o, const mph_verdict *v) {
    if (v->fits_now || !v->largest_known)
        return;
    if (v->after_collect)
        mph__out_puts(o, "after a gc?    no: the dump was taken right after gc.collect(), so\n" INDENT
                         "its used blocks were live; a collection frees none of them\n");
    else
        mph__out_puts(o, "after a gc?    maybe: MicroPython collects before it gives up (unless\n" INDENT
                         "gc.disable()), and this dump cannot tell garbage from live\n" INDENT
                         "data (it was not taken right after gc.collect(): capture --gc)\n");
}

static void put_growth(mph_outbuf *o, const mph_verdict *v) {
    if (v->fits_now || !v->largest_known)
        return;
    char a[32], b[32];
    if (!v->can_grow) {
        mph__out_puts(o, "by growing?    no: this heap cannot grow (its header has no\n" INDENT
                         "\"max new split\")\n");
        return;
    }
    if (!v->max_new_split)
        mph__out_printf(o, "by growing?    no: max new split is 0, no room for a new area (it\n" INDENT
                           "would need %s bytes)\n",
                        mph__fmt_count(a, v->grow_needed));
    else if (v->fits_by_growing)
        mph__out_printf(o, "by growing?    yes, if the system has it: a new area of %s bytes\n" INDENT
                           "is within max new split (%s)\n",
                        mph__fmt_count(a, v->grow_needed), mph__fmt_size(b, v->max_new_split));
    else
        mph__out_printf(o, "by growing?    no: a new area would need %s bytes, more than\n" INDENT
                           "max new split (%s)\n",
                        mph__fmt_count(a, v->grow_needed), mph__fmt_size(b, v->max_new_split));
}

static void put_outcome(mph_outbuf *o, const mph_verdict *v) {
    const char *text = "unknown";
    switch (v->outcome) {
    case MPH_OUTCOME_FITS_NOW: text = "it fits now"; break;
    case MPH_OUTCOME_MAY_AFTER_GC:
        text = v->can_grow && v->fits_by_growing
                   ? "it does not fit now; it may after a collection, else by growing"
                   : "it does not fit now; it may after a collection, else MemoryError";
        break;
    case MPH_OUTCOME_FITS_BY_GROWING: text = "it fits only in a new area (by growing the heap)"; break;
    case MPH_OUTCOME_FAILS: text = "MemoryError: it fits nowhere"; break;
    case MPH_OUTCOME_UNKNOWN: text = "unknown: the dump does not say enough"; break;
    }
    mph__out_printf(o, "so             %s\n", text);
}

static void put_windows(mph_outbuf *o, const mph_verdict *v, size_t max_list) {
    const mph_snapshot *s = v->snapshot;
    char a[96], b[32], c[48];
    if (v->fits_now || !v->need_blocks || !v->has_map)
        return;
    if (v->map_partial)
        mph__out_puts(o, "               (the map is partial: what follows is about the part shown)\n");
    if (!v->n_windows) {
        mph__out_printf(o, "what splits it nothing to free would do: no area has %s blocks (the\n" INDENT
                           "largest has %s); only a new area could hold it\n",
                        mph__fmt_count(b, v->need_blocks),
                        mph__fmt_count(a, v->largest_area_blocks));
        return;
    }
    size_t shown = max_list && max_list < v->n_windows ? max_list : v->n_windows;
    for (size_t i = 0; i < shown; i++) {
        const mph_window *w = &v->windows[i];
        mph__out_printf(o, "%s", i == 0 ? "what splits it " : INDENT);
        mph__out_printf(o, "%s%s allocation%s (%s) ", i == 0 ? "freeing " : "or freeing ",
                        mph__fmt_count(b, w->n_blockers), w->n_blockers == 1 ? "" : "s",
                        mph__fmt_blocks(c, w->blocker_blocks, v->block_size));
        mph__out_printf(o, "would make a free\n" INDENT "run of %s ",
                        blocks_and_bytes(a, w->run.n_blocks, v->block_size));
        put_place(o, s, &w->run);
        mph__out_puts(o, ":\n");
        size_t limit = w->n_listed > 8 ? 6 : w->n_listed;
        for (size_t k = 0; k < limit; k++) {
            const mph_alloc *x = &w->blockers[k];
            if (x->address)
                mph__out_printf(o, INDENT "  0x%llx  ", (unsigned long long)x->address);
            else
                mph__out_printf(o, INDENT "  block %zu  ", x->block);
            mph__out_printf(o, "%-16s %s\n", x->orphan ? "(tails, no head)" : mph_type_name(x->type),
                            mph__fmt_blocks(c, x->n_blocks, v->block_size));
        }
        if (limit < w->n_blockers)
            mph__out_printf(o, INDENT "  and %zu more\n", w->n_blockers - limit);
    }
    if (shown < v->n_windows)
        mph__out_printf(o, INDENT "(%zu more such sets; --max-list N shows more)\n",
                        v->n_windows - shown);
}

static void put_runs(mph_outbuf *o, const mph_verdict *v) {
    if (v->fits_now || !v->need_blocks || !v->has_map || !v->n_runs)
        return;
    char a[32];
    mph__out_printf(o, "free runs      %s, the longest: ", mph__fmt_count(a, v->free_runs));
    size_t n = v->n_runs < 4 ? v->n_runs : 4;
    for (size_t i = 0; i < n; i++)
        mph__out_printf(o, "%s%s", i ? ", " : "", mph__fmt_count(a, v->runs[i].n_blocks));
    mph__out_puts(o, " blocks\n" INDENT "by length (blocks: runs):");
    size_t col = 40;
    bool first = true;
    for (int k = MPH_HISTOGRAM_BUCKETS - 1; k >= 0; k--) {
        if (!v->free_histogram[k])
            continue;
        char item[80], x[32];
        uint64_t lo = mph_histogram_bucket_min((unsigned)k), hi = mph_histogram_bucket_max((unsigned)k);
        if (lo == hi)
            snprintf(item, sizeof item, "%llu: %s", (unsigned long long)lo,
                     mph__fmt_count(x, v->free_histogram[k]));
        else
            snprintf(item, sizeof item, "%llu-%llu: %s", (unsigned long long)lo,
                     (unsigned long long)hi, mph__fmt_count(x, v->free_histogram[k]));
        size_t len = strlen(item) + 2;
        if (!first)
            mph__out_putc(o, ',');
        if (col + len > 79) {
            mph__out_puts(o, "\n" INDENT " ");
            col = 16;
        } else {
            mph__out_putc(o, ' ');
        }
        mph__out_puts(o, item);
        col += len;
        first = false;
    }
    mph__out_putc(o, '\n');
}

mph_status mph_render_text_verdict(const mph_verdict *v, const mph_text_options *opt,
                                   mph_sink *sink, mph_error *err) {
    if (!v || !sink) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no verdict or no sink");
        return MPH_ERR_ARG;
    }
    // Written whole, then fitted to 80 columns: long addresses and counts break
    // at a blank, their rest under the values.
    mph_text t = {NULL, 0, 0};
    mph_sink mem = mph__text_sink(&t);
    mph_outbuf *o = mph__out_new(&mem, err);
    if (!o)
        return MPH_ERR_NOMEM;
    if (v->need_source != MPH_NEED_NONE) {
        put_need(o, v);
        put_now(o, v);
        put_after_gc(o, v);
        put_growth(o, v);
        put_outcome(o, v);
        put_windows(o, v, opt && opt->max_list ? opt->max_list : 3);
        put_runs(o, v);
    }
    mph_status rc = mph__out_close(o, err);
    if (rc) {
        free(t.data);
        return rc;
    }
    return mph__text_fit(&t, 80, strlen(INDENT), sink, err);
}
