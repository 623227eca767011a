/* The timeline as CSV (RFC 4180), for spreadsheets and plotting tools:
 * the same rows as the text and JSON timeline. */
#include "analyses.h"

#include <string.h>

static void field(mph_outbuf *o, const char *s) {
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        mph__out_puts(o, s);
        return;
    }
    mph__out_putc(o, '"');
    for (; *s; s++) {
        if (*s == '"')
            mph__out_putc(o, '"');
        mph__out_putc(o, *s);
    }
    mph__out_putc(o, '"');
}

static void bytes(mph_outbuf *o, uint64_t blocks, unsigned bpb) {
    mph__out_putc(o, ',');
    if (bpb)
        mph__out_printf(o, "%llu", (unsigned long long)(blocks * bpb));
}

mph_status mph_render_csv_timeline(const mph_timeline *t, mph_sink *sink, mph_error *err) {
    if (!t || !sink) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no timeline or sink");
        return MPH_ERR_ARG;
    }
    mph_outbuf *o = mph__out_new(sink, err);
    if (!o)
        return MPH_ERR_NOMEM;
    unsigned bpb = mph_timeline_block_size(t);
    mph__out_puts(o, "index,label,time,total_bytes,used_bytes,free_bytes,largest_free_bytes,"
                     "total_blocks,used_blocks,free_blocks,largest_free_blocks,fragmentation,"
                     "allocations");
    for (int ty = 0; ty < MPH_TYPE_COUNT; ty++)
        mph__out_printf(o, ",%c_count,%c_blocks", mph_type_letter((mph_type)ty),
                        mph_type_letter((mph_type)ty));
    mph__out_puts(o, "\r\n");
    for (size_t i = 0; i < mph_timeline_row_count(t); i++) {
        const mph_timeline_row *r = mph_timeline_row_at(t, i);
        const mph_stats *st = &r->stats;
        mph__out_printf(o, "%zu,", i + 1);
        field(o, r->label);
        mph__out_putc(o, ',');
        field(o, r->time);
        bytes(o, st->total_blocks, bpb);
        bytes(o, st->used_blocks, bpb);
        bytes(o, st->free_blocks, bpb);
        bytes(o, st->largest_free_blocks, bpb);
        mph__out_printf(o, ",%llu,%llu,%llu,%llu,%.6f,%llu", (unsigned long long)st->total_blocks,
                        (unsigned long long)st->used_blocks, (unsigned long long)st->free_blocks,
                        (unsigned long long)st->largest_free_blocks, st->fragmentation,
                        (unsigned long long)st->allocs);
        for (int ty = 0; ty < MPH_TYPE_COUNT; ty++)
            mph__out_printf(o, ",%llu,%llu", (unsigned long long)st->by_type[ty].allocs,
                            (unsigned long long)st->by_type[ty].blocks);
        mph__out_puts(o, "\r\n");
    }
    return mph__out_close(o, err);
}
