/* libFuzzer harness for the analyses: diff, timeline and check, with their
 * text, JSON and CSV reports (fuzz_parse.c covers the parser, stats and the
 * maps and pictures).
 *
 * Byte 0 picks the options: bit 0 strict, bits 1-3 a --block-size (none, 4,
 * 8, 16, 32), bits 4-7 the limits' scale. Byte 1 cuts the rest in two: each
 * part is read as a log (as `mpheap diff OLD NEW` reads two files), and the
 * whole is read as one log too. Checks, each an abort when broken:
 *   - a diff's block classes add up, per pair and over all, and its lists
 *     agree with its type totals; diff(s, s) keeps everything; the timeline's
 *     gone and kept allocations, decided from the lists of allocations alone
 *     (mph__timeline_match), are the diff's gone list and KEPT heads;
 *   - a timeline has one row per snapshot, in order, with the snapshots'
 *     labels; read as a stream (no map kept, mph_parser_on_snapshot and a
 *     mph_timeline_builder) it is the same, byte for byte in its JSON;
 *   - check gives one result per limit and counts the broken ones;
 *   - every report (text, JSON, CSV) is written whole into a sink, every JSON
 *     document and CSV is valid UTF-8 (checked here, not by the library's own
 *     decoder), and a sink that fails part-way gets MPH_ERR_IO back.
 * Built with -fsanitize=fuzzer by `make fuzz`, and as the replay binary of the
 * test run (fuzz/replay_main.c). */
#include "mpheap.h"
#include "../src/lib/analyses.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)                                                                             \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "fuzz_analyses: check failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

/* Big maps cost time, not coverage (fuzz_parse and the unit tests read them): above
 * SMALL_MAX_BLOCKS no renders, above TOTAL_MAX_BLOCKS in a log's snapshots together no
 * analyses of that log. */
#define SMALL_MAX_BLOCKS (1u << 16)
#define TOTAL_MAX_BLOCKS (1u << 20)
#define MAX_SNAPSHOTS 32

typedef struct doc {
    char *data;
    size_t len, cap, fail_after;
    bool failing;
} doc;

static mph_status doc_write(void *ctx, const char *buf, size_t len) {
    doc *d = ctx;
    if (d->failing && d->len + len > d->fail_after)
        return MPH_ERR_IO;
    if (d->cap - d->len < len) {
        size_t cap = d->cap ? d->cap : 4096;
        while (cap - d->len < len)
            cap *= 2;
        char *p = realloc(d->data, cap);
        if (!p)
            return MPH_ERR_NOMEM;
        d->data = p;
        d->cap = cap;
    }
    memcpy(d->data + d->len, buf, len);
    d->len += len;
    return MPH_OK;
}

/* RFC 3629, written out separately from src/lib/render/utf8.c so that the
 * two are checked against each other. */
static bool valid_utf8(const unsigned char *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t k;
        if ((c & 0xe0) == 0xc0) {
            cp = c & 0x1f;
            k = 1;
        } else if ((c & 0xf0) == 0xe0) {
            cp = c & 0x0f;
            k = 2;
        } else if ((c & 0xf8) == 0xf0) {
            cp = c & 0x07;
            k = 3;
        } else {
            return false;
        }
        if (n - i <= k) // truncated at the end
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + j] & 0x3f);
        }
        static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += k + 1;
    }
    return true;
}

/* A JSON document: valid UTF-8, no raw control byte inside a string, and
 * brackets that balance outside strings. */
static void check_json(const doc *d) {
    FUZZ_CHECK(valid_utf8((const unsigned char *)d->data, d->len));
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < d->len; i++) {
        unsigned char c = (unsigned char)d->data[i];
        if (in_string) {
            FUZZ_CHECK(c >= 0x20);
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            FUZZ_CHECK(--depth >= 0);
        }
    }
    FUZZ_CHECK(!in_string && depth == 0 && d->len > 0);
}

typedef mph_status (*render_fn)(const void *obj, const mph_text_options *o, mph_sink *sink,
                                mph_error *err);

/* Render into a growing buffer (checked as JSON when json), then into sinks
 * that fail after a few bytes: the renderer says MPH_ERR_IO. */
static void render_checked(render_fn fn, const void *obj, const mph_text_options *o, bool json,
                           bool utf8, uint8_t opt) {
    doc d = {0};
    mph_sink sink = {doc_write, &d};
    mph_error err = {0};
    FUZZ_CHECK(fn(obj, o, &sink, &err) == MPH_OK);
    if (json)
        check_json(&d);
    else if (utf8)
        FUZZ_CHECK(valid_utf8((const unsigned char *)d.data, d.len));
    size_t whole = d.len;
    free(d.data);
    size_t cuts[2] = {(size_t)opt * 5, whole / 2};
    for (int i = 0; i < 2; i++) {
        doc f = {0};
        f.failing = true;
        f.fail_after = cuts[i];
        mph_sink fs = {doc_write, &f};
        mph_status rc = fn(obj, o, &fs, &err);
        FUZZ_CHECK(cuts[i] >= whole ? rc == MPH_OK : rc == MPH_ERR_IO && err.code == MPH_ERR_IO);
        free(f.data);
    }
}

/* Adapters to one signature. */
static mph_status r_text_diff(const void *x, const mph_text_options *o, mph_sink *s, mph_error *e) {
    return mph_render_text_diff(x, o, s, e);
}
static mph_status r_json_diff(const void *x, const mph_text_options *o, mph_sink *s, mph_error *e) {
    return mph_render_json_diff(x, o, s, e);
}
static mph_status r_text_tl(const void *x, const mph_text_options *o, mph_sink *s, mph_error *e) {
    return mph_render_text_timeline(x, o, s, e);
}
static mph_status r_json_tl(const void *x, const mph_text_options *o, mph_sink *s, mph_error *e) {
    return mph_render_json_timeline(x, o, s, e);
}
static mph_status r_csv_tl(const void *x, const mph_text_options *o, mph_sink *s, mph_error *e) {
    (void)o;
    return mph_render_csv_timeline(x, s, e);
}
static mph_status r_text_stats(const void *x, const mph_text_options *o, mph_sink *s, mph_error *e) {
    return mph_render_text_stats(x, o, s, e);
}
static mph_status r_json_stats(const void *x, const mph_text_options *o, mph_sink *s, mph_error *e) {
    return mph_render_json_stats(x, o, s, e);
}

typedef struct check_set {
    const mph_check_result *results;
    size_t n;
} check_set;
static mph_status r_text_check(const void *x, const mph_text_options *o, mph_sink *s, mph_error *e) {
    const check_set *c = x;
    return mph_render_text_check(c->results, c->n, o, s, e);
}
static mph_status r_json_check(const void *x, const mph_text_options *o, mph_sink *s, mph_error *e) {
    const check_set *c = x;
    return mph_render_json_check(c->results, c->n, o, s, e);
}

static bool small(const mph_snapshot *s) {
    return mph_snapshot_block_count(s) <= SMALL_MAX_BLOCKS;
}

static bool same_alloc(const mph_alloc *x, const mph_alloc *y) {
    return x->area == y->area && x->block == y->block && x->n_blocks == y->n_blocks &&
           x->address == y->address && x->type == y->type && x->orphan == y->orphan;
}

/* What the timeline takes from d, decided without a's cells, is d's. */
static void check_timeline_match(const mph_snapshot *a, const mph_snapshot *b, const mph_diff *d) {
    mph__allocs gone = {0}, kept = {0};
    if (mph__timeline_match(a, b, &gone, &kept, NULL) == MPH_OK) {
        FUZZ_CHECK(gone.n == mph_diff_gone_count(d));
        for (size_t i = 0; i < gone.n; i++)
            FUZZ_CHECK(same_alloc(&gone.v[i], mph_diff_gone_at(d, i)));
        size_t k = 0;
        mph_alloc_iter it;
        mph_alloc x;
        mph_alloc_iter_init(&it, b);
        while (mph_alloc_iter_next(&it, &x)) {
            long pi = mph__diff_pair_of_new(d, x.area);
            const mph_area_pair *p = pi >= 0 ? mph_diff_pair_at(d, (size_t)pi) : NULL;
            if (p && p->old_area >= 0 && x.block < p->common_blocks &&
                p->classes[x.block] == MPH_DIFF_KEPT)
                FUZZ_CHECK(k < kept.n && same_alloc(&kept.v[k++], &x));
        }
        FUZZ_CHECK(k == kept.n);
    }
    mph__allocs_fini(&gone);
    mph__allocs_fini(&kept);
}

static void check_diff(const mph_snapshot *a, const mph_snapshot *b, uint8_t opt) {
    mph_diff *d = NULL;
    mph_error err = {0};
    mph_status rc = mph_diff_compute(a, b, &d, &err);
    FUZZ_CHECK(rc == MPH_OK || rc == MPH_ERR_NOMEM);
    if (rc != MPH_OK) {
        FUZZ_CHECK(d == NULL);
        return;
    }
    FUZZ_CHECK(mph_diff_old_snapshot(d) == a && mph_diff_new_snapshot(d) == b);
    const mph_diff_summary *sum = mph_diff_get_summary(d);
    uint64_t all[MPH_DIFF_CLASS_COUNT] = {0};
    for (size_t i = 0; i < mph_diff_pair_count(d); i++) {
        const mph_area_pair *p = mph_diff_pair_at(d, i);
        FUZZ_CHECK(p->old_area >= -1 && p->new_area >= -1 && (p->old_area >= 0 || p->new_area >= 0));
        FUZZ_CHECK(p->common_blocks <= p->n_blocks);
        uint64_t n = 0;
        for (int c = 0; c < MPH_DIFF_CLASS_COUNT; c++) {
            n += p->blocks[c];
            all[c] += p->blocks[c];
        }
        FUZZ_CHECK(n <= p->n_blocks);
        if (p->classes && p->n_blocks <= SMALL_MAX_BLOCKS) {
            uint64_t counted[MPH_DIFF_CLASS_COUNT] = {0};
            for (size_t k = 0; k < p->common_blocks; k++) {
                FUZZ_CHECK(p->classes[k] < MPH_DIFF_CLASS_COUNT);
                counted[p->classes[k]]++;
            }
            for (int c = 0; c < MPH_DIFF_CLASS_COUNT; c++)
                FUZZ_CHECK(counted[c] <= p->blocks[c]);
        }
    }
    for (int c = 0; c < MPH_DIFF_CLASS_COUNT; c++)
        FUZZ_CHECK(all[c] == sum->blocks[c]);
    // The lists agree with the totals.
    uint64_t nb = 0, gb = 0;
    for (size_t i = 0; i < mph_diff_new_count(d); i++)
        nb += mph_diff_new_at(d, i)->n_blocks;
    for (size_t i = 0; i < mph_diff_gone_count(d); i++)
        gb += mph_diff_gone_at(d, i)->n_blocks;
    if (sum->alignment != MPH_ALIGN_NONE) {
        FUZZ_CHECK(mph_diff_new_count(d) == sum->total.new_count && nb == sum->total.new_blocks);
        FUZZ_CHECK(mph_diff_gone_count(d) == sum->total.gone_count && gb == sum->total.gone_blocks);
    } else {
        FUZZ_CHECK(mph_diff_pair_count(d) == 0 && mph_diff_new_count(d) == 0 &&
                   mph_diff_gone_count(d) == 0);
    }
    if (a == b && !mph_snapshot_header_only(a) && !mph_snapshot_map_partial(a))
        FUZZ_CHECK(sum->total.new_count == 0 && sum->total.gone_count == 0);
    if (mph_snapshot_has_map(a) && !mph_snapshot_map_partial(a) && mph_snapshot_has_map(b) &&
        !mph_snapshot_map_partial(b))
        check_timeline_match(a, b, d);
    // The largest, ranked while comparing (k <= MPH_DIFF_RANKED) or sorted afterwards.
    static const size_t ks[] = {1, 3, MPH_DIFF_RANKED + 5};
    for (size_t k = 0; k < 3; k++) {
        size_t idx[MPH_DIFF_RANKED + 5], got = 0;
        bool gone = (k + opt) & 1;
        mph_status lr = mph_diff_largest(d, gone, ks[k], idx, &got, &err);
        FUZZ_CHECK(lr == MPH_OK || lr == MPH_ERR_NOMEM);
        if (lr != MPH_OK)
            continue;
        size_t count = gone ? mph_diff_gone_count(d) : mph_diff_new_count(d);
        FUZZ_CHECK(got == (ks[k] < count ? ks[k] : count));
        for (size_t i = 0; i < got; i++) {
            FUZZ_CHECK(idx[i] < count);
            const mph_alloc *x = gone ? mph_diff_gone_at(d, idx[i]) : mph_diff_new_at(d, idx[i]);
            if (i) {
                const mph_alloc *y =
                    gone ? mph_diff_gone_at(d, idx[i - 1]) : mph_diff_new_at(d, idx[i - 1]);
                FUZZ_CHECK(y->n_blocks >= x->n_blocks);
            }
        }
    }
    for (size_t i = 0; i < mph_diff_note_count(d); i++)
        FUZZ_CHECK(mph_diff_note_at(d, i) && mph_diff_note_at(d, i)[0]);
    if (small(a) && small(b)) {
        mph_text_options o = {0};
        o.old_name = "old\xff\xc0\xaf";
        o.new_name = "new\xed\xa0\x80";
        o.max_list = opt % 4;
        render_checked(r_text_diff, d, &o, false, false, opt);
        render_checked(r_json_diff, d, &o, true, true, opt);
    }
    mph_diff_free(d);
}

static void check_timeline(const mph_snapshot *const *snaps, size_t n, uint8_t opt) {
    bool all_small = true;
    for (size_t i = 0; i < n; i++)
        all_small = all_small && small(snaps[i]);
    const char *names[MAX_SNAPSHOTS];
    for (size_t i = 0; i < n; i++)
        names[i] = i % 2 ? "name\x80" : NULL;
    mph_timeline *t = NULL;
    mph_error err = {0};
    mph_status rc = mph_timeline_compute(snaps, opt & 2 ? names : NULL, n, &t, &err);
    FUZZ_CHECK(rc == MPH_OK || rc == MPH_ERR_NOMEM);
    if (rc != MPH_OK)
        return;
    FUZZ_CHECK(mph_timeline_row_count(t) == n);
    for (size_t i = 0; i < n; i++) {
        const mph_timeline_row *r = mph_timeline_row_at(t, i);
        const char *label = mph_snapshot_label(snaps[i]);
        if (label && *label)
            FUZZ_CHECK(r->label && strcmp(r->label, label) == 0);
        // A row from the header says what the board printed, which need not add up.
        FUZZ_CHECK(r->from_header || (r->has_blocks && r->has_largest &&
                                      r->stats.used_blocks + r->stats.free_blocks ==
                                          r->stats.total_blocks));
        FUZZ_CHECK(r->from_header || r->stats.largest_free_blocks <= r->stats.free_blocks);
    }
    FUZZ_CHECK(mph_timeline_leak_steps(t) < (n ? n : 1));
    for (size_t i = 0; i < mph_timeline_leak_alloc_count(t); i++) {
        const mph_leak_alloc *a = mph_timeline_leak_alloc_at(t, i);
        FUZZ_CHECK(a->since < n && a->n_history >= 1 && a->moved <= a->grew);
    }
    for (size_t i = 0; i < mph_timeline_survivor_count(t); i++)
        FUZZ_CHECK(mph_timeline_survivor_at(t, i)->since < n);
    for (size_t i = 0; i < mph_timeline_group_count(t); i++)
        FUZZ_CHECK(mph_timeline_group_at(t, i)->since < n);
    for (size_t i = 0; i < mph_timeline_note_count(t); i++)
        FUZZ_CHECK(mph_timeline_note_at(t, i) && mph_timeline_note_at(t, i)[0]);
    if (all_small) {
        mph_text_options o = {0};
        o.ascii = opt & 4;
        o.max_list = opt % 3;
        render_checked(r_text_tl, t, &o, false, false, opt);
        render_checked(r_json_tl, t, &o, true, true, opt);
        render_checked(r_csv_tl, t, &o, false, true, opt);
    }
    mph_timeline_free(t);
}

/* The timeline read as a stream (no map kept, the builder fed by the parser's
 * hook) is the one of the whole log, byte for byte in its JSON. */
static mph_status add_to_builder(void *ctx, const mph_snapshot *s, size_t index, mph_error *err) {
    (void)index;
    return mph_timeline_builder_add(ctx, s, err);
}

static void check_timeline_stream(const char *text, size_t len, const mph_parse_options *po,
                                  const mph_log *whole) {
    size_t n = mph_log_snapshot_count(whole);
    const mph_snapshot *snaps[MAX_SNAPSHOTS];
    if (n > MAX_SNAPSHOTS)
        return;
    for (size_t i = 0; i < n; i++)
        snaps[i] = mph_log_snapshot(whole, i);
    mph_timeline_builder *b = mph_timeline_builder_new();
    mph_parser *p = b ? mph_parser_new(po) : NULL;
    if (!p) {
        mph_timeline_builder_free(b);
        return;
    }
    mph_parser_keep_maps(p, MPH_KEEP_NONE);
    mph_parser_on_snapshot(p, add_to_builder, b);
    mph_log *log = NULL;
    mph_error err = {0};
    mph_status rc = MPH_OK;
    for (size_t at = 0; at < len && rc == MPH_OK; at += 4096)
        rc = mph_parser_feed(p, text + at, len - at < 4096 ? len - at : 4096, &err);
    if (rc == MPH_OK)
        rc = mph_parser_finish(p, &log, &err);
    mph_parser_free(p);
    FUZZ_CHECK(rc == MPH_OK || rc == MPH_ERR_NOMEM);
    if (rc == MPH_OK) {
        FUZZ_CHECK(mph_log_snapshot_count(log) == n);
        // A log with no map at all: its snapshots reach the log only at its end.
        size_t rows = mph_timeline_builder_row_count(b);
        FUZZ_CHECK(rows == n || rows == 0);
        for (size_t i = 0; rc == MPH_OK && rows == 0 && i < n; i++)
            rc = mph_timeline_builder_add(b, mph_log_snapshot(log, i), &err);
    }
    mph_timeline *a = NULL, *t = NULL;
    if (rc == MPH_OK)
        rc = mph_timeline_builder_finish(b, NULL, &t, &err);
    if (rc == MPH_OK && mph_timeline_compute(snaps, NULL, n, &a, &err) == MPH_OK) {
        doc da = {0}, dt = {0};
        mph_sink sa = {doc_write, &da}, st = {doc_write, &dt};
        mph_text_options o = {0};
        o.max_list = 1000;
        FUZZ_CHECK(mph_render_json_timeline(a, &o, &sa, &err) == MPH_OK);
        FUZZ_CHECK(mph_render_json_timeline(t, &o, &st, &err) == MPH_OK);
        FUZZ_CHECK(da.len == dt.len && memcmp(da.data, dt.data, da.len) == 0);
        free(da.data);
        free(dt.data);
    }
    FUZZ_CHECK(rc == MPH_OK || rc == MPH_ERR_NOMEM);
    mph_timeline_free(a);
    mph_timeline_free(t);
    mph_timeline_builder_free(b);
    mph_log_free(log);
}

static void check_checks(const mph_snapshot *s, uint8_t opt) {
    uint64_t scale = (uint64_t)1 << (opt >> 4);
    mph_check_limit limits[] = {
        {MPH_CHECK_MIN_LARGEST_FREE, 64 * scale, 0, MPH_TYPE_COUNT, 0, opt & 1},
        {MPH_CHECK_MAX_FRAGMENTATION, 0, 0.5, MPH_TYPE_COUNT, 0, false},
        {MPH_CHECK_MAX_USED, 1024 * scale, 0, MPH_TYPE_COUNT, 0, false},
        {MPH_CHECK_MAX_USED_FRACTION, 0, (opt & 15) / 15.0, MPH_TYPE_COUNT, 0, false},
        {MPH_CHECK_MIN_FREE, 16 * scale, 0, MPH_TYPE_COUNT, 0, false},
        {MPH_CHECK_MAX_ALLOCS, scale, 0, MPH_TYPE_COUNT, 0, false},
        {MPH_CHECK_MAX_ALLOCS_OF, scale, 0, (mph_type)(opt % MPH_TYPE_COUNT), 0, false},
        {MPH_CHECK_MIN_FIT, 2, 0, MPH_TYPE_COUNT, 16 * scale, false},
        {MPH_CHECK_NEED, 0, 0, MPH_TYPE_COUNT, 100 * scale, opt & 2},
    };
    enum { N = sizeof limits / sizeof *limits };
    // Byte limits need the block size; the others are tried alone as well.
    static const size_t counts[] = {N, 2};
    static const size_t firsts[] = {0, 5};
    for (int k = 0; k < 2; k++) {
        mph_check_result results[N];
        size_t n_failed = 99, n = counts[k];
        mph_error err = {0};
        mph_status rc = mph_check_run(s, limits + firsts[k], n, results, &n_failed, &err);
        FUZZ_CHECK(rc == MPH_OK || rc == MPH_ERR_ARG || rc == MPH_ERR_NOMEM);
        if (rc != MPH_OK) {
            FUZZ_CHECK(err.code == rc && err.message[0]);
            continue;
        }
        size_t broken = 0;
        for (size_t i = 0; i < n; i++) {
            broken += !results[i].ok;
            FUZZ_CHECK(results[i].limit.kind == limits[firsts[k] + i].kind);
        }
        FUZZ_CHECK(broken == n_failed);
        if (small(s)) {
            check_set cs = {results, n};
            mph_text_options o = {0};
            o.name = "check\xf4\x90\x80\x80";
            o.verbose = opt & 1;
            render_checked(r_text_check, &cs, &o, false, false, opt);
            render_checked(r_json_check, &cs, &o, true, true, opt);
        }
    }
    // The stats documents (with invalid bytes in the name) are valid UTF-8 too.
    if (small(s)) {
        static const uint64_t fits[] = {16, 100, 4096};
        mph_stats_report *r = NULL;
        mph_error err = {0};
        if (mph_stats_report_new(s, fits, 3, &r, &err) == MPH_OK) {
            mph_text_options o = {0};
            o.name = "stats\xe0\x80\xaf";
            render_checked(r_text_stats, r, &o, false, false, opt);
            render_checked(r_json_stats, r, &o, true, true, opt);
            mph_stats_report_free(r);
        }
    }
}

static mph_log *parse(const char *text, size_t len, const mph_parse_options *o) {
    mph_log *log = NULL;
    mph_error err = {0};
    mph_status st = mph_log_parse(text, len, o, &log, &err);
    FUZZ_CHECK((st == MPH_OK) == (log != NULL));
    size_t total = 0;
    for (size_t i = 0; log && i < mph_log_snapshot_count(log); i++)
        total += mph_snapshot_block_count(mph_log_snapshot(log, i));
    if (total > TOTAL_MAX_BLOCKS) {
        mph_log_free(log);
        return NULL;
    }
    return log;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2)
        return 0;
    static const unsigned block_sizes[8] = {0, 0, 0, 0, 4, 8, 16, 32};
    uint8_t opt = data[0];
    const char *text = (const char *)data + 2;
    size_t len = size - 2, cut = len * data[1] / 255;
    mph_parse_options po = {block_sizes[(opt >> 1) & 7], (opt & 1) != 0};

    mph_log *whole = parse(text, len, &po);
    if (whole) {
        size_t n = mph_log_snapshot_count(whole);
        if (n > MAX_SNAPSHOTS)
            n = MAX_SNAPSHOTS;
        const mph_snapshot *snaps[MAX_SNAPSHOTS];
        for (size_t i = 0; i < n; i++)
            snaps[i] = mph_log_snapshot(whole, i);
        // Each step, the first against the last, and the last against itself.
        for (size_t i = 0; i + 1 < n && i < 4; i++)
            check_diff(snaps[i], snaps[i + 1], opt);
        if (n > 2)
            check_diff(snaps[0], snaps[n - 1], opt);
        check_diff(snaps[n - 1], snaps[n - 1], opt);
        check_timeline(snaps, n, opt);
        check_timeline_stream(text, len, &po, whole);
        check_checks(snaps[n - 1], opt);
    }
    // Two files: OLD and NEW from the two parts.
    mph_log *a = parse(text, cut, &po), *b = parse(text + cut, len - cut, &po);
    if (a && b) {
        const mph_snapshot *sa = mph_log_snapshot(a, mph_log_snapshot_count(a) - 1);
        const mph_snapshot *sb = mph_log_snapshot(b, mph_log_snapshot_count(b) - 1);
        check_diff(sa, sb, opt);
        const mph_snapshot *pair[2] = {sa, sb};
        check_timeline(pair, 2, opt);
    }
    mph_log_free(a);
    mph_log_free(b);
    mph_log_free(whole);
    return 0;
}
