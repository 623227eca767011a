/* JSON documents of the analyses, written by hand through the sink: output
 * only, streamed, no tree in memory (a diff of a 16M-block heap can list
 * millions of allocations). Schemas: docs/json-schema.md. */
#include "../analyses.h"
#include "utf8.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define JSON_DEPTH 16

/* A streaming writer: containers are either one member per line (indented)
 * or inline (all on one line, for short arrays and records in lists). */
typedef struct jw {
    mph_outbuf *out;
    int depth;
    bool first[JSON_DEPTH];
    bool inline_[JSON_DEPTH];
} jw;

/* A JSON string: escaped, and valid UTF-8 whatever s holds (each invalid
 * sequence becomes U+FFFD; docs/json-schema.md says so). */
static void jw_string_body(jw *w, const char *s) {
    mph__out_putc(w->out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x80) {
            p += mph__out_utf8(w->out, (const char *)p) - 1;
            continue;
        }
        switch (*p) {
        case '"': mph__out_puts(w->out, "\\\""); break;
        case '\\': mph__out_puts(w->out, "\\\\"); break;
        case '\n': mph__out_puts(w->out, "\\n"); break;
        case '\r': mph__out_puts(w->out, "\\r"); break;
        case '\t': mph__out_puts(w->out, "\\t"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                mph__out_printf(w->out, "\\u%04x", *p);
            else
                mph__out_putc(w->out, (char)*p);
        }
    }
    mph__out_putc(w->out, '"');
}

/* Separator, newline and indent before a member; then "key": when given. */
static void jw_key(jw *w, const char *key) {
    if (w->depth > 0) {
        if (!w->first[w->depth])
            mph__out_putc(w->out, ',');
        if (w->inline_[w->depth]) {
            if (!w->first[w->depth])
                mph__out_putc(w->out, ' ');
        } else {
            mph__out_putc(w->out, '\n');
            for (int i = 0; i < w->depth; i++)
                mph__out_puts(w->out, "  ");
        }
        w->first[w->depth] = false;
    }
    if (key) {
        jw_string_body(w, key);
        mph__out_puts(w->out, ": ");
    }
}

static void jw_open(jw *w, const char *key, char bracket, bool inl) {
    jw_key(w, key);
    mph__out_putc(w->out, bracket);
    if (w->depth + 1 < JSON_DEPTH) {
        w->depth++;
        w->first[w->depth] = true;
        w->inline_[w->depth] = inl || w->inline_[w->depth - 1];
    }
}

static void jw_close(jw *w, char bracket) {
    bool was_inline = w->inline_[w->depth], empty = w->first[w->depth];
    w->depth--;
    if (!was_inline && !empty) {
        mph__out_putc(w->out, '\n');
        for (int i = 0; i < w->depth; i++)
            mph__out_puts(w->out, "  ");
    }
    mph__out_putc(w->out, bracket);
}

static void jw_u64(jw *w, const char *key, uint64_t v) {
    jw_key(w, key);
    mph__out_printf(w->out, "%llu", (unsigned long long)v);
}

/* Signed difference of two unsigned figures. */
static void jw_delta(jw *w, const char *key, uint64_t now, uint64_t before) {
    jw_key(w, key);
    if (now >= before)
        mph__out_printf(w->out, "%llu", (unsigned long long)(now - before));
    else
        mph__out_printf(w->out, "-%llu", (unsigned long long)(before - now));
}

static void jw_null(jw *w, const char *key) {
    jw_key(w, key);
    mph__out_puts(w->out, "null");
}

static void jw_bool(jw *w, const char *key, bool v) {
    jw_key(w, key);
    mph__out_puts(w->out, v ? "true" : "false");
}

static void jw_fraction(jw *w, const char *key, double v) {
    jw_key(w, key);
    if (isfinite(v))
        mph__out_printf(w->out, "%.6f", v);
    else
        mph__out_puts(w->out, "null");
}

static void jw_str(jw *w, const char *key, const char *s) {
    jw_key(w, key);
    if (s)
        jw_string_body(w, s);
    else
        mph__out_puts(w->out, "null");
}

/* Bytes of a block count, or null when the block size is unknown. */
static void jw_bytes(jw *w, const char *key, uint64_t blocks, unsigned bpb) {
    if (bpb)
        jw_u64(w, key, blocks * bpb);
    else
        jw_null(w, key);
}

static void jw_address(jw *w, const char *key, uint64_t address) {
    jw_key(w, key);
    if (address)
        mph__out_printf(w->out, "\"0x%llx\"", (unsigned long long)address);
    else
        mph__out_puts(w->out, "null");
}

static void jw_type_letter(jw *w, const char *key, mph_type t) {
    char s[2] = {mph_type_letter(t), '\0'};
    jw_str(w, key, s);
}

static mph_outbuf *begin(jw *w, mph_sink *sink, mph_error *err, const char *schema) {
    mph_outbuf *o = mph__out_new(sink, err);
    if (!o)
        return NULL;
    memset(w, 0, sizeof *w);
    w->out = o;
    jw_open(w, NULL, '{', false);
    jw_str(w, "schema", schema);
    jw_str(w, "mpheap_version", MPH_VERSION);
    return o;
}

static mph_status end(jw *w, mph_error *err) {
    jw_close(w, '}');
    mph__out_putc(w->out, '\n');
    return mph__out_close(w->out, err);
}

static void snapshot_source(jw *w, const char *key, const char *name, const mph_snapshot *s) {
    jw_open(w, key, '{', false);
    jw_str(w, "name", name);
    jw_str(w, "label", mph_snapshot_label(s));
    jw_str(w, "time", mph_snapshot_time(s));
    jw_u64(w, "line", mph_snapshot_first_line(s));
    unsigned bpb = mph_snapshot_block_size(s);
    if (bpb)
        jw_u64(w, "block_size", bpb);
    else
        jw_null(w, "block_size");
    jw_u64(w, "areas", mph_snapshot_area_count(s));
    jw_u64(w, "blocks", mph_snapshot_block_count(s));
    jw_close(w, '}');
}

/* An allocation as one inline record. */
static void alloc_record(jw *w, const mph_alloc *a, unsigned bpb) {
    jw_open(w, NULL, '{', true);
    jw_address(w, "address", a->address);
    jw_u64(w, "area", a->area + 1);
    jw_u64(w, "block", a->block);
    jw_type_letter(w, "type", a->type);
    jw_u64(w, "blocks", a->n_blocks);
    jw_bytes(w, "bytes", a->n_blocks, bpb);
    jw_close(w, '}');
}

static void blocks_and_bytes(jw *w, const char *key, uint64_t blocks, unsigned bpb) {
    jw_open(w, key, '{', true);
    jw_u64(w, "blocks", blocks);
    jw_bytes(w, "bytes", blocks, bpb);
    jw_close(w, '}');
}

static void verdict_object(jw *w, const char *key, const mph_verdict *v);

/* MicroPython's own figures, null where the dump did not print them. */
static void header_object(jw *w, const char *key, const mph_header *h) {
    jw_open(w, key, '{', false);
#define FIELD(has, name, value)                                                                   \
    do {                                                                                          \
        if (has)                                                                                  \
            jw_u64(w, name, value);                                                               \
        else                                                                                      \
            jw_null(w, name);                                                                     \
    } while (0)
    FIELD(h->has_gc, "gc_total", h->gc_total);
    FIELD(h->has_gc, "gc_used", h->gc_used);
    FIELD(h->has_gc, "gc_free", h->gc_free);
    FIELD(h->has_max_new_split, "max_new_split", h->max_new_split);
    FIELD(h->has_blocks, "n_1block", h->n_1block);
    FIELD(h->has_blocks, "n_2block", h->n_2block);
    FIELD(h->has_blocks, "max_blk_sz", h->max_block);
    FIELD(h->has_max_free, "max_free_sz", h->max_free);
#undef FIELD
    jw_close(w, '}');
}

/* ------------------------------------------------------------------ stats */

static void histogram(jw *w, const char *key, const char *what, const uint64_t *counts,
                      const uint64_t *blocks, unsigned bpb) {
    jw_open(w, key, '[', false);
    for (unsigned k = 0; k < MPH_HISTOGRAM_BUCKETS; k++) {
        if (!counts[k])
            continue;
        uint64_t hi = mph_histogram_bucket_max(k);
        jw_open(w, NULL, '{', true);
        jw_u64(w, "min_blocks", mph_histogram_bucket_min(k));
        if (hi == UINT64_MAX)
            jw_null(w, "max_blocks");
        else
            jw_u64(w, "max_blocks", hi);
        jw_bytes(w, "min_bytes", mph_histogram_bucket_min(k), bpb);
        if (hi == UINT64_MAX)
            jw_null(w, "max_bytes");
        else
            jw_bytes(w, "max_bytes", hi, bpb);
        jw_u64(w, what, counts[k]);
        jw_u64(w, "blocks", blocks[k]);
        jw_bytes(w, "bytes", blocks[k], bpb);
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

static void stats_part(jw *w, const mph_stats_report *r, const mph_stats_part *p) {
    const mph_stats *st = &p->stats;
    unsigned bpb = r->block_size;
    blocks_and_bytes(w, "total", st->total_blocks, bpb);
    blocks_and_bytes(w, "used", st->used_blocks, bpb);
    blocks_and_bytes(w, "free", st->free_blocks, bpb);
    jw_u64(w, "allocations", st->allocs);
    jw_u64(w, "orphan_tails", st->orphan_tails);
    jw_u64(w, "one_block_allocations", st->n_1block);
    jw_u64(w, "two_block_allocations", st->n_2block);
    blocks_and_bytes(w, "largest_allocation", st->max_alloc_blocks, bpb);
    jw_u64(w, "free_runs", st->free_runs);
    jw_open(w, "largest_free", '{', true);
    jw_u64(w, "blocks", st->largest_free_blocks);
    jw_bytes(w, "bytes", st->largest_free_blocks, bpb);
    jw_address(w, "address", st->largest_free_address);
    if (st->largest_free_blocks) {
        jw_u64(w, "area", st->largest_free_area + 1);
        jw_u64(w, "block", st->largest_free_block);
    } else {
        jw_null(w, "area");
        jw_null(w, "block");
    }
    jw_close(w, '}');
    blocks_and_bytes(w, "free_above_top", st->free_above_top_blocks, bpb);
    jw_fraction(w, "fragmentation", st->fragmentation);
    jw_open(w, "types", '{', false);
    for (int t = 0; t < MPH_TYPE_COUNT; t++) {
        char letter[2] = {mph_type_letter((mph_type)t), '\0'};
        jw_open(w, letter, '{', true);
        jw_str(w, "name", mph_type_name((mph_type)t));
        jw_u64(w, "allocations", st->by_type[t].allocs);
        jw_u64(w, "blocks", st->by_type[t].blocks);
        jw_bytes(w, "bytes", st->by_type[t].blocks, bpb);
        jw_close(w, '}');
    }
    jw_close(w, '}');
    histogram(w, "allocation_sizes", "allocations", st->alloc_histogram, p->alloc_histogram_blocks,
              bpb);
    histogram(w, "free_run_sizes", "runs", st->free_histogram, p->free_histogram_blocks, bpb);
    jw_open(w, "fit", '[', false);
    for (size_t f = 0; f < r->n_fit; f++) {
        jw_open(w, NULL, '{', true);
        jw_u64(w, "bytes", r->fit_bytes[f]);
        if (bpb) {
            jw_u64(w, "blocks", r->fit_blocks[f]);
            jw_u64(w, "count", p->fit_count[f]);
        } else {
            jw_null(w, "blocks");
            jw_null(w, "count");
        }
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

mph_status mph_render_json_stats(const mph_stats_report *r, const mph_text_options *opt,
                                 mph_sink *sink, mph_error *err) {
    if (!r || !opt) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no report or options");
        return MPH_ERR_ARG;
    }
    jw w;
    if (!begin(&w, sink, err, MPH_JSON_STATS_SCHEMA))
        return err ? err->code : MPH_ERR_NOMEM;
    snapshot_source(&w, "source", opt->name, r->snapshot);
    if (r->block_size)
        jw_u64(&w, "block_size", r->block_size);
    else
        jw_null(&w, "block_size");
    if (mph_snapshot_header_only(r->snapshot)) {
        jw_null(&w, "whole"); // no map: nothing was counted; "header" has the figures
    } else {
        jw_open(&w, "whole", '{', false);
        stats_part(&w, r, &r->total);
        jw_close(&w, '}');
    }
    jw_open(&w, "areas", '[', false);
    for (size_t i = 0; i < r->n_areas; i++) {
        const mph_area *a = mph_snapshot_area(r->snapshot, i);
        jw_open(&w, NULL, '{', false);
        jw_u64(&w, "index", i + 1);
        if (a->has_base)
            jw_address(&w, "base", a->base);
        else
            jw_null(&w, "base");
        jw_u64(&w, "first_block", a->first_block);
        stats_part(&w, r, &r->areas[i]);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    // What the figures above stand on; without a whole map, the header's own.
    const mph_snapshot *s = r->snapshot;
    jw_str(&w, "map", mph_snapshot_header_only(s) ? "none" : mph_snapshot_map_partial(s) ? "partial" : "whole");
    header_object(&w, "header", mph_snapshot_header(s));
    jw_bool(&w, "after_collect", mph_snapshot_after_collect(s));
    if (opt->verdict)
        verdict_object(&w, "verdict", opt->verdict);
    return end(&w, err);
}

/* ------------------------------------------------------------------- diff */

static void total_or_null(jw *w, const char *key, uint64_t v, bool known) {
    if (known)
        jw_u64(w, key, v);
    else
        jw_null(w, key);
}

/* old_map, new_map: whether each side has a map, so that its totals are known. */
static void diff_type(jw *w, const char *key, const mph_diff_type *x, unsigned bpb,
                      bool aligned, bool old_map, bool new_map) {
    jw_open(w, key, '{', true);
    if (aligned) {
        jw_u64(w, "kept", x->kept);
        jw_u64(w, "new", x->new_count);
        jw_bytes(w, "new_bytes", x->new_blocks, bpb);
        jw_u64(w, "gone", x->gone_count);
        jw_bytes(w, "gone_bytes", x->gone_blocks, bpb);
        jw_delta(w, "net", x->new_count, x->gone_count);
        if (bpb)
            jw_delta(w, "net_bytes", x->new_blocks * bpb, x->gone_blocks * bpb);
        else
            jw_null(w, "net_bytes");
    }
    total_or_null(w, "old_total", x->old_count, old_map);
    total_or_null(w, "new_total", x->new_total_count, new_map);
    total_or_null(w, "old_total_blocks", x->old_blocks, old_map);
    total_or_null(w, "new_total_blocks", x->new_total_blocks, new_map);
    jw_close(w, '}');
}

/* A side's largest free run, as stats gives it; all null without a map. */
static void largest_free(jw *w, const char *key, const mph_snapshot *s, const mph_diff_side *st) {
    bool known = !mph_snapshot_header_only(s), any = known && st->largest_free_blocks;
    jw_open(w, key, '{', true);
    if (known) {
        jw_u64(w, "blocks", st->largest_free_blocks);
        jw_bytes(w, "bytes", st->largest_free_blocks, st->block_size);
    } else {
        jw_null(w, "blocks");
        jw_null(w, "bytes");
    }
    jw_address(w, "address", any ? st->largest_free_address : 0);
    if (any) {
        jw_u64(w, "area", st->largest_free_area + 1);
        jw_u64(w, "block", st->largest_free_block);
    } else {
        jw_null(w, "area");
        jw_null(w, "block");
    }
    jw_close(w, '}');
}

/* Before and after: the largest free run and fragmentation. */
static void free_change(jw *w, const mph_diff *d) {
    const mph_diff_summary *sum = mph_diff_get_summary(d);
    const mph_snapshot *O = mph_diff_old_snapshot(d), *N = mph_diff_new_snapshot(d);
    const mph_diff_side *so = &sum->before, *sn = &sum->after;
    bool known = !mph_snapshot_header_only(O) && !mph_snapshot_header_only(N);
    jw_open(w, "largest_free", '{', false);
    largest_free(w, "old", O, so);
    largest_free(w, "new", N, sn);
    if (known && so->block_size && sn->block_size)
        jw_delta(w, "change_bytes", sn->largest_free_blocks * sn->block_size,
                 so->largest_free_blocks * so->block_size);
    else
        jw_null(w, "change_bytes");
    jw_close(w, '}');
    jw_open(w, "fragmentation", '{', true);
    if (known) {
        jw_fraction(w, "old", so->fragmentation);
        jw_fraction(w, "new", sn->fragmentation);
        jw_fraction(w, "change", sn->fragmentation - so->fragmentation);
    } else {
        jw_null(w, "old");
        jw_null(w, "new");
        jw_null(w, "change");
    }
    jw_close(w, '}');
}

/* The news inside OLD's largest free run: what splits it now. */
static void split(jw *w, const mph_diff *d, unsigned bpb) {
    const mph_diff_split *x = mph_diff_get_split(d);
    const mph_snapshot *O = mph_diff_old_snapshot(d), *N = mph_diff_new_snapshot(d);
    bool known = x->aligned && !mph_snapshot_header_only(O) && !mph_snapshot_header_only(N);
    bool paired = known && x->has_run && x->new_area >= 0;
    jw_open(w, "new_inside_old_largest_free", '{', false);
    if (known && x->has_run) {
        jw_open(w, "run", '{', true);
        jw_u64(w, "area", x->old_area + 1);
        jw_u64(w, "block", x->block);
        jw_u64(w, "blocks", x->n_blocks);
        jw_bytes(w, "bytes", x->n_blocks, bpb);
        jw_address(w, "address", x->address);
        jw_close(w, '}');
    } else {
        jw_null(w, "run");
    }
    if (paired) {
        jw_u64(w, "new_area", (uint64_t)x->new_area + 1);
        jw_u64(w, "common_blocks", x->common_blocks);
    } else {
        jw_null(w, "new_area");
        jw_null(w, "common_blocks");
    }
    if (known) {
        jw_u64(w, "count", x->count);
        jw_u64(w, "used_blocks", x->used_blocks);
        jw_bytes(w, "used_bytes", x->used_blocks, bpb);
    } else {
        jw_null(w, "count");
        jw_null(w, "used_blocks");
        jw_null(w, "used_bytes");
    }
    if (known) {
        jw_open(w, "allocations", '[', false);
        for (size_t i = 0; i < x->count; i++)
            alloc_record(w, mph_diff_new_at(d, x->first + i), mph_snapshot_block_size(N));
        jw_close(w, ']');
    } else {
        jw_null(w, "allocations");
    }
    jw_close(w, '}');
}

/* One list, every entry, largest first. */
static mph_status ranked_list(jw *w, const char *key, const mph_diff *d, bool gone, unsigned bpb,
                              mph_error *err) {
    size_t n = gone ? mph_diff_gone_count(d) : mph_diff_new_count(d), got = 0;
    size_t *idx = n ? malloc(n * sizeof *idx) : NULL;
    if (n && !idx) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    mph_status st = mph_diff_largest(d, gone, n, idx, &got, err);
    jw_open(w, key, '[', false);
    for (size_t i = 0; !st && i < got; i++)
        alloc_record(w, gone ? mph_diff_gone_at(d, idx[i]) : mph_diff_new_at(d, idx[i]), bpb);
    jw_close(w, ']');
    free(idx);
    return st;
}

mph_status mph_render_json_diff(const mph_diff *d, const mph_text_options *opt, mph_sink *sink,
                                mph_error *err) {
    if (!d || !opt) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no diff or options");
        return MPH_ERR_ARG;
    }
    jw w;
    if (!begin(&w, sink, err, MPH_JSON_DIFF_SCHEMA))
        return err ? err->code : MPH_ERR_NOMEM;
    const mph_diff_summary *sum = mph_diff_get_summary(d);
    const mph_snapshot *O = mph_diff_old_snapshot(d), *N = mph_diff_new_snapshot(d);
    bool aligned = sum->alignment != MPH_ALIGN_NONE;
    bool old_map = !mph_snapshot_header_only(O), new_map = !mph_snapshot_header_only(N);
    unsigned bpb = sum->new_block_size ? sum->new_block_size : sum->old_block_size;
    snapshot_source(&w, "old", opt->old_name, O);
    snapshot_source(&w, "new", opt->new_name, N);
    static const char *const how[] = {"address", "order", "none"};
    jw_str(&w, "alignment", how[sum->alignment]);
    free_change(&w, d);
    jw_open(&w, "notes", '[', false);
    for (size_t i = 0; i < mph_diff_note_count(d); i++)
        jw_str(&w, NULL, mph_diff_note_at(d, i));
    jw_close(&w, ']');
    jw_open(&w, "area_pairs", '[', false);
    for (size_t i = 0; i < mph_diff_pair_count(d); i++) {
        const mph_area_pair *p = mph_diff_pair_at(d, i);
        jw_open(&w, NULL, '{', true);
        if (p->old_area >= 0) {
            jw_u64(&w, "old_area", (uint64_t)p->old_area + 1);
            jw_address(&w, "old_base", mph_snapshot_area(O, (size_t)p->old_area)->base);
        } else {
            jw_null(&w, "old_area");
            jw_null(&w, "old_base");
        }
        if (p->new_area >= 0) {
            jw_u64(&w, "new_area", (uint64_t)p->new_area + 1);
            jw_address(&w, "new_base", mph_snapshot_area(N, (size_t)p->new_area)->base);
        } else {
            jw_null(&w, "new_area");
            jw_null(&w, "new_base");
        }
        jw_u64(&w, "blocks", p->n_blocks);
        jw_u64(&w, "common_blocks", p->common_blocks);
        for (int c = 0; c < MPH_DIFF_CLASS_COUNT; c++)
            jw_u64(&w, mph_diff_class_name((mph_diff_class)c), p->blocks[c]);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_open(&w, "blocks", '{', true);
    if (aligned) {
        jw_u64(&w, "unchanged", sum->blocks[MPH_DIFF_FREE] + sum->blocks[MPH_DIFF_KEPT]);
        for (int c = 0; c < MPH_DIFF_CLASS_COUNT; c++)
            jw_u64(&w, mph_diff_class_name((mph_diff_class)c), sum->blocks[c]);
    }
    jw_close(&w, '}');
    jw_open(&w, "types", '{', false);
    for (int t = 0; t < MPH_TYPE_COUNT; t++) {
        char letter[2] = {mph_type_letter((mph_type)t), '\0'};
        diff_type(&w, letter, &sum->by_type[t], bpb, aligned, old_map, new_map);
    }
    jw_close(&w, '}');
    diff_type(&w, "total", &sum->total, bpb, aligned, old_map, new_map);
    split(&w, d, bpb);
    mph_status st = ranked_list(&w, "new_allocations", d, false, sum->new_block_size, err);
    if (!st)
        st = ranked_list(&w, "gone_allocations", d, true, sum->old_block_size, err);
    mph_status closed = end(&w, err);
    return st ? st : closed;
}

/* --------------------------------------------------------------- timeline */

static void u64_or_null(jw *w, const char *key, uint64_t v, bool known) {
    if (known)
        jw_u64(w, key, v);
    else
        jw_null(w, key);
}

mph_status mph_render_json_timeline(const mph_timeline *t, const mph_text_options *opt,
                                    mph_sink *sink, mph_error *err) {
    if (!t || !opt) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no timeline or options");
        return MPH_ERR_ARG;
    }
    jw w;
    if (!begin(&w, sink, err, MPH_JSON_TIMELINE_SCHEMA))
        return err ? err->code : MPH_ERR_NOMEM;
    unsigned bpb = mph_timeline_block_size(t);
    size_t n = mph_timeline_row_count(t);
    jw_str(&w, "name", opt->name);
    if (bpb)
        jw_u64(&w, "block_size", bpb);
    else
        jw_null(&w, "block_size");
    jw_open(&w, "rows", '[', false);
    for (size_t i = 0; i < n; i++) {
        const mph_timeline_row *r = mph_timeline_row_at(t, i);
        const mph_stats *st = &r->stats;
        jw_open(&w, NULL, '{', true);
        jw_u64(&w, "index", i + 1);
        jw_str(&w, "label", r->label);
        jw_str(&w, "time", r->time);
        // What the row does not know is null, never 0 (a row from the header).
        u64_or_null(&w, "total_bytes", r->total_bytes, r->has_bytes);
        u64_or_null(&w, "used_bytes", r->used_bytes, r->has_bytes);
        u64_or_null(&w, "free_bytes", r->free_bytes, r->has_bytes);
        u64_or_null(&w, "largest_free_bytes", st->largest_free_blocks * st->block_size,
                    r->has_largest && st->block_size);
        u64_or_null(&w, "used_blocks", st->used_blocks, r->has_blocks);
        u64_or_null(&w, "free_blocks", st->free_blocks, r->has_blocks);
        u64_or_null(&w, "largest_free_blocks", st->largest_free_blocks, r->has_largest);
        if (r->has_fragmentation)
            jw_fraction(&w, "fragmentation", st->fragmentation);
        else
            jw_null(&w, "fragmentation");
        u64_or_null(&w, "allocations", st->allocs, !r->from_header);
        if (r->from_header) {
            jw_null(&w, "types");
        } else {
            jw_open(&w, "types", '{', true);
            for (int ty = 0; ty < MPH_TYPE_COUNT; ty++) {
                char letter[2] = {mph_type_letter((mph_type)ty), '\0'};
                jw_open(&w, letter, '[', true);
                jw_u64(&w, NULL, st->by_type[ty].allocs);
                jw_u64(&w, NULL, st->by_type[ty].blocks);
                jw_close(&w, ']');
            }
            jw_close(&w, '}');
        }
        jw_str(&w, "map", !r->from_header ? "whole" : r->map_partial ? "partial" : "none");
        u64_or_null(&w, "block_size", st->block_size, st->block_size);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_open(&w, "notes", '[', false);
    for (size_t i = 0; i < mph_timeline_note_count(t); i++)
        jw_str(&w, NULL, mph_timeline_note_at(t, i));
    jw_close(&w, ']');
    jw_open(&w, "suspects", '{', false);
    jw_u64(&w, "steps", mph_timeline_leak_steps(t));
    jw_open(&w, "growing_allocations", '[', false);
    for (size_t i = 0; i < mph_timeline_leak_alloc_count(t); i++) {
        const mph_leak_alloc *l = mph_timeline_leak_alloc_at(t, i);
        jw_open(&w, NULL, '{', true);
        jw_address(&w, "address", l->now.address);
        jw_u64(&w, "area", l->now.area + 1);
        jw_u64(&w, "block", l->now.block);
        jw_type_letter(&w, "type", l->now.type);
        jw_u64(&w, "blocks", l->now.n_blocks);
        jw_bytes(&w, "bytes", l->now.n_blocks, bpb);
        jw_u64(&w, "since", l->since + 1);
        jw_open(&w, "history_blocks", '[', true);
        for (size_t k = 0; k < l->n_history; k++)
            jw_u64(&w, NULL, l->blocks[k]);
        jw_close(&w, ']');
        jw_u64(&w, "grew", l->grew);
        jw_u64(&w, "moved", l->moved);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_open(&w, "growing_types", '[', false);
    for (size_t i = 0; i < mph_timeline_leak_type_count(t); i++) {
        const mph_leak_type *l = mph_timeline_leak_type_at(t, i);
        jw_open(&w, NULL, '{', true);
        jw_type_letter(&w, "type", l->type);
        jw_str(&w, "name", mph_type_name(l->type));
        jw_u64(&w, "first_count", l->first_count);
        jw_u64(&w, "last_count", l->last_count);
        jw_u64(&w, "first_blocks", l->first_blocks);
        jw_u64(&w, "last_blocks", l->last_blocks);
        jw_bytes(&w, "first_bytes", l->first_blocks, bpb);
        jw_bytes(&w, "last_bytes", l->last_blocks, bpb);
        jw_bool(&w, "count_grows", l->count_grows);
        jw_bool(&w, "blocks_grow", l->blocks_grow);
        jw_u64(&w, "count_steps_up", l->count_steps_up);
        jw_u64(&w, "block_steps_up", l->block_steps_up);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_open(&w, "survivor_groups", '[', false);
    for (size_t i = 0; i < mph_timeline_group_count(t); i++) {
        const mph_leak_group *g = mph_timeline_group_at(t, i);
        jw_open(&w, NULL, '{', true);
        jw_u64(&w, "since", g->since + 1);
        jw_u64(&w, "count", g->count);
        jw_u64(&w, "blocks", g->blocks);
        jw_bytes(&w, "bytes", g->blocks, bpb);
        jw_open(&w, "types", '{', true);
        for (int ty = 0; ty < MPH_TYPE_COUNT; ty++) {
            if (!g->type_count[ty])
                continue;
            char letter[2] = {mph_type_letter((mph_type)ty), '\0'};
            jw_open(&w, letter, '[', true);
            jw_u64(&w, NULL, g->type_count[ty]);
            jw_u64(&w, NULL, g->type_blocks[ty]);
            jw_close(&w, ']');
        }
        jw_close(&w, '}');
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_open(&w, "survivors", '[', false);
    for (size_t i = 0; i < mph_timeline_survivor_count(t); i++) {
        const mph_leak_survivor *sv = mph_timeline_survivor_at(t, i);
        jw_open(&w, NULL, '{', true);
        jw_u64(&w, "since", sv->since + 1);
        jw_address(&w, "address", sv->alloc.address);
        jw_u64(&w, "area", sv->alloc.area + 1);
        jw_u64(&w, "block", sv->alloc.block);
        jw_type_letter(&w, "type", sv->alloc.type);
        jw_u64(&w, "blocks", sv->alloc.n_blocks);
        jw_bytes(&w, "bytes", sv->alloc.n_blocks, bpb);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_close(&w, '}');
    return end(&w, err);
}

/* ------------------------------------------------------------------ check */

mph_status mph_render_json_check(const mph_check_result *res, size_t n, const mph_text_options *opt,
                                 mph_sink *sink, mph_error *err) {
    if ((n && !res) || !opt) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no results or options");
        return MPH_ERR_ARG;
    }
    static const char *const kinds[] = {"min_largest_free", "max_fragmentation", "max_used",
                                        "max_used_fraction", "min_free", "max_allocs",
                                        "max_allocs_of", "min_fit", "need"};
    jw w;
    if (!begin(&w, sink, err, MPH_JSON_CHECK_SCHEMA))
        return err ? err->code : MPH_ERR_NOMEM;
    size_t failed = 0;
    for (size_t i = 0; i < n; i++)
        failed += !res[i].ok;
    jw_str(&w, "name", opt->name);
    jw_bool(&w, "ok", failed == 0);
    jw_u64(&w, "failed", failed);
    jw_open(&w, "limits", '[', false);
    for (size_t i = 0; i < n; i++) {
        const mph_check_result *r = &res[i];
        const mph_check_limit *l = &r->limit;
        bool fraction = l->kind == MPH_CHECK_MAX_FRAGMENTATION ||
                        l->kind == MPH_CHECK_MAX_USED_FRACTION;
        jw_open(&w, NULL, '{', true);
        jw_str(&w, "kind", (unsigned)l->kind < 9 ? kinds[l->kind] : "?");
        jw_bool(&w, "ok", r->ok);
        if (fraction) {
            jw_fraction(&w, "limit", l->fraction);
            jw_fraction(&w, "measured", r->measured_fraction);
        } else {
            jw_u64(&w, "limit", l->value);
            jw_u64(&w, "measured", r->measured);
        }
        if (l->kind == MPH_CHECK_MAX_ALLOCS_OF)
            jw_type_letter(&w, "type", l->type);
        if (l->kind == MPH_CHECK_MIN_FIT || l->kind == MPH_CHECK_NEED)
            jw_u64(&w, "size", l->size);
        if (l->kind == MPH_CHECK_NEED)
            jw_str(&w, "outcome", mph_outcome_name(r->outcome));
        if (l->kind == MPH_CHECK_NEED || l->kind == MPH_CHECK_MIN_LARGEST_FREE) {
            jw_bool(&w, "growth_counts", l->growth);
            jw_bool(&w, "by_growth", r->by_growth);
        }
        jw_bool(&w, "from_header", r->from_header);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    return end(&w, err);
}

/* ---------------------------------------------------------------- verdict */

static void free_run_record(jw *w, const char *key, const mph_free_run *r, unsigned bpb) {
    jw_open(w, key, '{', true);
    jw_address(w, "address", r->address);
    jw_u64(w, "area", r->area + 1);
    jw_u64(w, "block", r->block);
    jw_u64(w, "blocks", r->n_blocks);
    jw_bytes(w, "bytes", r->n_blocks, bpb);
    jw_close(w, '}');
}

static void verdict_object(jw *w, const char *key, const mph_verdict *v) {
    unsigned bpb = v->block_size;
    static const char *const sources[] = {"none", "option", "log"};
    jw_open(w, key, '{', false);
    jw_str(w, "need_source", sources[v->need_source]);
    if (v->need_source != MPH_NEED_NONE)
        jw_u64(w, "need_bytes", v->need_bytes);
    else
        jw_null(w, "need_bytes");
    if (v->need_source == MPH_NEED_LOG)
        jw_u64(w, "need_line", v->need_line);
    else
        jw_null(w, "need_line");
    if (v->need_blocks)
        jw_u64(w, "need_blocks", v->need_blocks);
    else
        jw_null(w, "need_blocks");
    jw_str(w, "outcome", mph_outcome_name(v->outcome));
    jw_bool(w, "has_map", v->has_map);
    jw_bool(w, "map_partial", v->map_partial);
    jw_bool(w, "after_collect", v->after_collect);
    if (v->largest_known) {
        jw_open(w, "largest_free", '{', true);
        jw_str(w, "from", v->largest_from_header ? "header" : "map");
        if (!v->largest_from_header)
            jw_address(w, "address", v->largest.address);
        jw_u64(w, "blocks", v->largest.n_blocks);
        jw_bytes(w, "bytes", v->largest.n_blocks, bpb);
        jw_close(w, '}');
    } else {
        jw_null(w, "largest_free");
    }
    jw_bool(w, "fits_now", v->fits_now);
    if (v->fits_now && v->first_fit.n_blocks)
        free_run_record(w, "first_fit", &v->first_fit, bpb);
    else
        jw_null(w, "first_fit");
    jw_bool(w, "can_grow", v->can_grow);
    if (v->can_grow) {
        jw_u64(w, "max_new_split", v->max_new_split);
        if (v->grow_needed)
            jw_u64(w, "grow_needed", v->grow_needed);
        else
            jw_null(w, "grow_needed");
        jw_bool(w, "fits_by_growing", v->fits_by_growing);
    }
    jw_u64(w, "largest_area_blocks", v->largest_area_blocks);
    jw_open(w, "windows", '[', false);
    for (size_t i = 0; i < v->n_windows; i++) {
        const mph_window *x = &v->windows[i];
        jw_open(w, NULL, '{', false);
        free_run_record(w, "makes", &x->run, bpb);
        jw_u64(w, "blocker_count", x->n_blockers);
        jw_u64(w, "blocker_blocks", x->blocker_blocks);
        jw_bytes(w, "blocker_bytes", x->blocker_blocks, bpb);
        jw_open(w, "blockers", '[', false);
        for (size_t k = 0; k < x->n_listed; k++)
            alloc_record(w, &x->blockers[k], bpb);
        jw_close(w, ']');
        jw_close(w, '}');
    }
    jw_close(w, ']');
    if (v->runs_read)
        jw_u64(w, "free_runs", v->free_runs);
    else
        jw_null(w, "free_runs");
    jw_open(w, "longest_free_runs", '[', false);
    for (size_t i = 0; i < v->n_runs; i++)
        free_run_record(w, NULL, &v->runs[i], bpb);
    jw_close(w, ']');
    jw_close(w, '}');
}

mph_status mph_render_json_verdict(const mph_verdict *v, const mph_text_options *opt,
                                   mph_sink *sink, mph_error *err) {
    if (!v) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no verdict");
        return MPH_ERR_ARG;
    }
    jw w;
    if (!begin(&w, sink, err, MPH_JSON_VERDICT_SCHEMA))
        return err ? err->code : MPH_ERR_NOMEM;
    snapshot_source(&w, "source", opt ? opt->name : NULL, v->snapshot);
    verdict_object(&w, "verdict", v);
    return end(&w, err);
}
