/* The timeline as CSV (RFC 4180), for spreadsheets and plotting tools:
 * the same rows as the text and JSON timeline. */
#include "../analyses.h"
#include "utf8.h"

#include <string.h>

/* A field, quoted when it must be, and valid UTF-8 whatever s holds (each
 * invalid sequence becomes U+FFFD, as in the JSON documents). */
static void field(mph_outbuf *o, const char *s) {
    if (!s)
        return;
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        mph__out_putc(o, '"');
    for (; *s; s++) {
        if ((unsigned char)*s >= 0x80) {
            s += mph__out_utf8(o, s) - 1;
            continue;
        }
        if (*s == '"')
            mph__out_putc(o, '"');
        mph__out_putc(o, *s);
    }
    if (quote)
        mph__out_putc(o, '"');
}

/* A figure, or an empty field when the row does not know it. */
static void num(mph_outbuf *o, uint64_t v, bool known) {
    mph__out_putc(o, ',');
    if (known)
        mph__out_printf(o, "%llu", (unsigned long long)v);
}

mph_status mph_render_csv_timeline(const mph_timeline *t, mph_sink *sink, mph_error *err) {
    if (!t || !sink) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no timeline or sink");
        return MPH_ERR_ARG;
    }
    mph_outbuf *o = mph__out_new(sink, err);
    if (!o)
        return MPH_ERR_NOMEM;
    mph__out_puts(o, "index,label,time,total_bytes,used_bytes,free_bytes,largest_free_bytes,"
                     "total_blocks,used_blocks,free_blocks,largest_free_blocks,fragmentation,"
                     "allocations");
    for (int ty = 0; ty < MPH_TYPE_COUNT; ty++)
        mph__out_printf(o, ",%c_count,%c_blocks", mph_type_letter((mph_type)ty),
                        mph_type_letter((mph_type)ty));
    mph__out_puts(o, ",map\r\n");
    for (size_t i = 0; i < mph_timeline_row_count(t); i++) {
        const mph_timeline_row *r = mph_timeline_row_at(t, i);
        const mph_stats *st = &r->stats;
        mph__out_printf(o, "%zu,", i + 1);
        field(o, r->label);
        mph__out_putc(o, ',');
        field(o, r->time);
        // A row from the header leaves what it does not know empty, never 0.
        num(o, r->total_bytes, r->has_bytes);
        num(o, r->used_bytes, r->has_bytes);
        num(o, r->free_bytes, r->has_bytes);
        num(o, st->largest_free_blocks * st->block_size, r->has_largest && st->block_size);
        num(o, st->total_blocks, r->has_blocks);
        num(o, st->used_blocks, r->has_blocks);
        num(o, st->free_blocks, r->has_blocks);
        num(o, st->largest_free_blocks, r->has_largest);
        mph__out_putc(o, ',');
        if (r->has_fragmentation)
            mph__out_printf(o, "%.6f", st->fragmentation);
        num(o, st->allocs, !r->from_header);
        for (int ty = 0; ty < MPH_TYPE_COUNT; ty++) {
            num(o, st->by_type[ty].allocs, !r->from_header);
            num(o, st->by_type[ty].blocks, !r->from_header);
        }
        mph__out_printf(o, ",%s\r\n",
                        !r->from_header ? "whole" : r->map_partial ? "partial" : "none");
    }
    return mph__out_close(o, err);
}
