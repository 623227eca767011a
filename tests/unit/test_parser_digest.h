/* A digest of everything a parse gives back: every snapshot (label, header,
 * block size and its source, row format, areas, every cell), every
 * diagnostic, the skipped-line count; or, on failure, the error (code, line,
 * column, byte offset, message). Two parses agree when their digests do.
 * Shared by tests/unit/test_parser_chunks.c and fuzz/fuzz_parse.c. */
#ifndef MPHEAP_TESTS_UNIT_TEST_PARSER_DIGEST_H
#define MPHEAP_TESTS_UNIT_TEST_PARSER_DIGEST_H

#include "mpheap.h"

#include <stdlib.h>
#include <string.h>

typedef struct parse_digest {
    uint64_t hash;
    mph_status status;
    size_t snapshots, diagnostics, blocks;
} parse_digest;

static inline void digest_bytes(uint64_t *h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= b[i];
        *h *= 1099511628211ull; /* FNV-1a */
    }
}

static inline void digest_u64(uint64_t *h, uint64_t v) { digest_bytes(h, &v, sizeof v); }

static inline void digest_str(uint64_t *h, const char *s) {
    digest_u64(h, s ? strlen(s) + 1 : 0);
    if (s)
        digest_bytes(h, s, strlen(s));
}

static inline void digest_header(uint64_t *h, const mph_header *x) {
    const uint64_t v[] = {x->has_mem,       x->mem_total,     x->mem_current,   x->mem_peak,
                          x->has_stack,     x->has_stack_limit, x->stack_used,  x->stack_limit,
                          x->has_gc,        x->gc_total,      x->gc_used,       x->gc_free,
                          x->has_max_new_split, x->max_new_split, x->has_blocks, x->n_1block,
                          x->n_2block,      x->max_block,     x->has_max_free,  x->max_free};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        digest_u64(h, v[i]);
}

static inline parse_digest digest_log(const mph_log *log) {
    parse_digest d = {14695981039346656037ull, MPH_OK, 0, 0, 0};
    d.snapshots = mph_log_snapshot_count(log);
    d.diagnostics = mph_log_diagnostic_count(log);
    digest_u64(&d.hash, d.snapshots);
    digest_u64(&d.hash, mph_log_skipped_lines(log));
    for (size_t i = 0; i < d.snapshots; i++) {
        const mph_snapshot *s = mph_log_snapshot(log, i);
        digest_str(&d.hash, mph_snapshot_label(s));
        digest_str(&d.hash, mph_snapshot_time(s));
        digest_u64(&d.hash, mph_snapshot_first_line(s));
        digest_u64(&d.hash, mph_snapshot_last_line(s));
        digest_header(&d.hash, mph_snapshot_header(s));
        digest_u64(&d.hash, mph_snapshot_block_size(s));
        digest_u64(&d.hash, (uint64_t)mph_snapshot_block_size_source(s));
        digest_u64(&d.hash, (uint64_t)mph_snapshot_row_format(s));
        digest_u64(&d.hash, mph_snapshot_block_count(s));
        d.blocks += mph_snapshot_block_count(s);
        for (size_t a = 0; a < mph_snapshot_area_count(s); a++) {
            const mph_area *ar = mph_snapshot_area(s, a);
            digest_u64(&d.hash, ar->base);
            digest_u64(&d.hash, ar->has_base);
            digest_u64(&d.hash, ar->first_block);
            digest_u64(&d.hash, ar->n_blocks);
            digest_u64(&d.hash, ar->line);
            digest_bytes(&d.hash, ar->cells, ar->n_blocks);
        }
    }
    for (size_t i = 0; i < d.diagnostics; i++) {
        const mph_diagnostic *g = mph_log_diagnostic(log, i);
        digest_u64(&d.hash, (uint64_t)g->level);
        digest_u64(&d.hash, g->line);
        digest_u64(&d.hash, g->column);
        digest_u64(&d.hash, (uint64_t)g->snapshot);
        digest_str(&d.hash, g->message);
    }
    return d;
}

static inline parse_digest digest_error(mph_status st, const mph_error *err) {
    parse_digest d = {14695981039346656037ull, st, 0, 0, 0};
    digest_u64(&d.hash, (uint64_t)st);
    digest_u64(&d.hash, (uint64_t)err->code);
    digest_u64(&d.hash, err->line);
    digest_u64(&d.hash, err->column);
    digest_u64(&d.hash, err->offset);
    digest_str(&d.hash, err->message);
    return d;
}

/*
 * Parse text fed in chunks that end at cuts[0] < cuts[1] < ... (n_cuts of
 * them; none = whole), then digest the result. The log is freed here.
 */
static inline parse_digest digest_parse(const char *text, size_t len, const mph_parse_options *opts,
                                        const size_t *cuts, size_t n_cuts) {
    mph_error err;
    memset(&err, 0, sizeof err);
    mph_parser *p = mph_parser_new(opts);
    if (!p) {
        err.code = MPH_ERR_NOMEM;
        return digest_error(MPH_ERR_NOMEM, &err);
    }
    mph_status st = MPH_OK;
    size_t at = 0;
    for (size_t i = 0; i <= n_cuts && !st; i++) {
        size_t end = i < n_cuts ? cuts[i] : len;
        if (end < at)
            end = at;
        if (end > len)
            end = len;
        st = mph_parser_feed(p, text + at, end - at, &err);
        at = end;
    }
    mph_log *log = NULL;
    if (!st)
        st = mph_parser_finish(p, &log, &err);
    mph_parser_free(p);
    if (st)
        return digest_error(st, &err);
    parse_digest d = digest_log(log);
    mph_log_free(log);
    return d;
}

static inline int digest_equal(parse_digest a, parse_digest b) {
    return a.hash == b.hash && a.status == b.status && a.snapshots == b.snapshots &&
           a.diagnostics == b.diagnostics && a.blocks == b.blocks;
}

#endif
