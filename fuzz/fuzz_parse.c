/* libFuzzer harness for the dump parser and everything downstream of it.
 *
 * The first byte picks the options: bit 0 strict, bits 1-3 a --block-size
 * (none, 4, 8, 16, 32), bits 4-7 how the text is cut into chunks. The rest is
 * the text. Checks, each an abort when broken:
 *   - feeding the text in chunks gives the same result as feeding it whole
 *     (snapshots, cells, diagnostics, or the same error at the same place);
 *     short texts are also fed a byte at a time;
 *   - an error has a line, a column and a message; so has every diagnostic;
 *   - stats agree with themselves (used + free = total, per-type sums,
 *     histograms), with the allocation iterator, and with the figures the
 *     parser counted while reading (figures.h, another way to the same);
 *   - every renderer (summary, legend, map) runs with several option sets
 *     into a null sink, and reports a failing sink's error.
 * Built with -fsanitize=fuzzer by `make fuzz`, and with any compiler as the
 * replay binary the test run uses (fuzz/replay_main.c). */
#include "mpheap.h"

#include "../src/lib/figures.h"
#include "../tests/unit/test_parser_digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)                                                                             \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "fuzz_parse: check failed: %s (%s:%d)\n", #c, __FILE__, __LINE__);    \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

/* Big maps cost time, not coverage (tests/unit/test_parser_wrap4g.c covers them):
 * above these sizes, no byte-at-a-time feeding, no renders, no per-area stats. */
#define SMALL_MAX_BLOCKS (1u << 16)
#define STATS_MAX_BLOCKS (1u << 22)

typedef struct sink_state {
    size_t bytes, fail_after;
} sink_state;

static mph_status null_write(void *ctx, const char *buf, size_t len) {
    sink_state *s = ctx;
    (void)buf;
    s->bytes += len;
    return MPH_OK;
}

static mph_status failing_write(void *ctx, const char *buf, size_t len) {
    sink_state *s = ctx;
    (void)buf;
    if (s->bytes + len > s->fail_after)
        return MPH_ERR_IO;
    s->bytes += len;
    return MPH_OK;
}

static uint32_t next_rand(uint32_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static int cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

static void check_stats(const mph_snapshot *s) {
    mph_stats all, fig;
    mph_error err = {0};
    mph__snapshot_figures(s, &fig); // the parser's, before the full stats are kept
    FUZZ_CHECK(mph_stats_compute(s, MPH_ALL_AREAS, &all, &err) == MPH_OK);
    FUZZ_CHECK(fig.total_blocks == all.total_blocks && fig.free_blocks == all.free_blocks &&
               fig.used_blocks == all.used_blocks && fig.allocs == all.allocs &&
               fig.orphan_tails == all.orphan_tails && fig.n_1block == all.n_1block &&
               fig.n_2block == all.n_2block && fig.max_alloc_blocks == all.max_alloc_blocks &&
               fig.largest_free_blocks == all.largest_free_blocks &&
               fig.largest_free_area == all.largest_free_area &&
               fig.largest_free_block == all.largest_free_block &&
               fig.free_runs == all.free_runs &&
               fig.free_above_top_blocks == all.free_above_top_blocks);
    FUZZ_CHECK(all.total_blocks == mph_snapshot_block_count(s));
    FUZZ_CHECK(all.used_blocks + all.free_blocks == all.total_blocks);
    FUZZ_CHECK(all.largest_free_blocks <= all.free_blocks);
    FUZZ_CHECK(all.free_above_top_blocks <= all.free_blocks);
    uint64_t blocks = 0, allocs = 0, ha = 0, hf = 0;
    for (int t = 0; t < MPH_TYPE_COUNT; t++) {
        blocks += all.by_type[t].blocks;
        allocs += all.by_type[t].allocs;
    }
    for (int k = 0; k < MPH_HISTOGRAM_BUCKETS; k++) {
        ha += all.alloc_histogram[k];
        hf += all.free_histogram[k];
    }
    FUZZ_CHECK(blocks == all.used_blocks && allocs == all.allocs);
    FUZZ_CHECK(ha == all.allocs && hf == all.free_runs);
    FUZZ_CHECK(all.fragmentation >= 0.0 && all.fragmentation <= 1.0);
    // The iterator walks the same allocations.
    mph_alloc_iter it;
    mph_alloc a;
    uint64_t n = 0, used = 0;
    mph_alloc_iter_init(&it, s);
    while (mph_alloc_iter_next(&it, &a)) {
        FUZZ_CHECK(a.n_blocks >= 1 && a.area < mph_snapshot_area_count(s));
        FUZZ_CHECK(a.block + a.n_blocks <= mph_snapshot_area(s, a.area)->n_blocks);
        n++;
        used += a.n_blocks;
    }
    FUZZ_CHECK(n == all.allocs && used == all.used_blocks);
    // Per area, the figures add up to the whole.
    uint64_t total = 0, largest = 0;
    for (size_t i = 0; i < mph_snapshot_area_count(s); i++) {
        mph_stats one;
        FUZZ_CHECK(mph_stats_compute(s, i, &one, &err) == MPH_OK);
        total += one.total_blocks;
        if (one.largest_free_blocks > largest)
            largest = one.largest_free_blocks;
    }
    FUZZ_CHECK(total == all.total_blocks && largest == all.largest_free_blocks);
    FUZZ_CHECK(mph_stats_compute(s, mph_snapshot_area_count(s), &all, &err) == MPH_ERR_ARG);
    static const uint64_t sizes[] = {1, 16, 100, 4096, UINT64_MAX / 2};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        (void)mph_stats_fit_count(s, sizes[i]);
}

static void render_all(const mph_snapshot *s, uint8_t opt) {
    if (mph_snapshot_block_count(s) > SMALL_MAX_BLOCKS)
        return;
    mph_ansi_options sets[] = {
        {1, false, MPH_PALETTE_SEED, false, 1, false, NULL, MPH_COLORS_256, 0},
        {3, true, MPH_PALETTE_TYPE, true, 1, false, NULL, MPH_COLORS_256, 0},
        {2, true, MPH_PALETTE_RAINBOW, true, 7, false, NULL, MPH_COLORS_16, 60},
        {1, false, MPH_PALETTE_MONO, true, 1, false, NULL, MPH_COLORS_256, 1},
        {5, false, MPH_PALETTE_TYPE, true, 64, false, NULL, MPH_COLORS_24BIT, 0},
        {1, true, MPH_PALETTE_SEED, true, 1, false, NULL, MPH_COLORS_256, 0},
        {2, true, MPH_PALETTE_SAFE, true, 1, true, NULL, MPH_COLORS_24BIT, 41},
        {1, false, MPH_PALETTE_SAFE, true, 5, true, NULL, MPH_COLORS_16, 200},
        // extremes: scales and widths whose products overflow
        {7, true, MPH_PALETTE_SEED, false, UINT64_MAX, false, NULL, MPH_COLORS_256, 0},
        {1, true, MPH_PALETTE_TYPE, true, UINT64_C(1) << 58, false, NULL, MPH_COLORS_256, 0},
        {1u << 30, true, MPH_PALETTE_RAINBOW, true, 3, false, NULL, MPH_COLORS_256, UINT32_MAX},
    };
    // The verdict for a few sizes (and the log's own), marked on the maps below.
    static const uint64_t needs[] = {0, 1, 100, 4096, UINT64_C(1) << 40};
    mph_verdict *verdict = NULL;
    for (size_t i = 0; i < sizeof needs / sizeof *needs; i++) {
        mph_verdict *v = NULL;
        mph_error e = {0};
        FUZZ_CHECK(mph_verdict_new(s, needs[(i + opt) % 5], &v, &e) == MPH_OK);
        for (size_t w = 0; w < v->n_windows; w++) {
            FUZZ_CHECK(v->windows[w].n_blockers >= 1 && v->windows[w].run.n_blocks >= v->need_blocks);
            FUZZ_CHECK(v->windows[w].n_listed == (v->windows[w].n_blockers < MPH_VERDICT_MAX_BLOCKERS ? v->windows[w].n_blockers : MPH_VERDICT_MAX_BLOCKERS));
            FUZZ_CHECK(!v->fits_now);
        }
        sink_state vs = {0, 0};
        mph_sink vsink = {null_write, &vs};
        mph_text_options to = {0};
        FUZZ_CHECK(mph_render_text_verdict(v, &to, &vsink, &e) == MPH_OK);
        FUZZ_CHECK(mph_render_json_verdict(v, &to, &vsink, &e) == MPH_OK);
        if (!verdict && v->n_windows)
            verdict = v;
        else
            mph_verdict_free(v);
    }
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
        sets[i].mark_largest = i % 2 == 0;
        sets[i].verdict = verdict;
    }
    sets[3].scale = mph_ansi_fit_scale(s, 1, 40);
    FUZZ_CHECK(sets[3].scale >= 1);
    FUZZ_CHECK(mph_ansi_fit_scale(s, 1u << 31, 1) >= 1);
    FUZZ_CHECK(mph_ansi_fit_scale(s, 0, 0) >= 1);
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
        sink_state st = {0, 0};
        mph_sink sink = {null_write, &st};
        mph_error err = {0};
        FUZZ_CHECK(mph_render_ansi_summary(s, &sets[i], &sink, &err) == MPH_OK);
        FUZZ_CHECK(mph_render_ansi_legend(s, &sets[i], &sink, &err) == MPH_OK);
        FUZZ_CHECK(mph_render_ansi_map(s, &sets[i], &sink, &err) == MPH_OK);
        FUZZ_CHECK(st.bytes > 0);
    }
    // A sink that fails part-way: the renderer says so, whatever it was writing.
    sink_state st = {0, (size_t)opt * 7};
    mph_sink sink = {failing_write, &st};
    mph_error err = {0};
    mph_status rc = mph_render_ansi_summary(s, &sets[1], &sink, &err);
    if (rc == MPH_OK)
        rc = mph_render_ansi_legend(s, &sets[1], &sink, &err);
    if (rc == MPH_OK)
        rc = mph_render_ansi_map(s, &sets[1], &sink, &err);
    FUZZ_CHECK(rc == MPH_OK || (rc == MPH_ERR_IO && err.code == MPH_ERR_IO));
    // Bad arguments are refused, not crashed on.
    mph_ansi_options bad = sets[0];
    bad.columns = 0;
    FUZZ_CHECK(mph_render_ansi_map(s, &bad, &sink, &err) == MPH_ERR_ARG);
    // The pictures: SVG always, PNG on the smallest maps (libpng's own work dominates).
    mph_picture_options po;
    mph_picture_options_init(&po);
    po.verdict = verdict;
    po.columns = 1 + opt % 3;
    po.scale = opt % 4 == 3 ? 16 : 1;
    po.pixels = 1;
    sink_state ps = {0, 0};
    mph_sink psink = {null_write, &ps};
    mph_error perr = {0};
    FUZZ_CHECK(mph_render_svg(s, &po, &psink, &perr) == MPH_OK);
    if (mph_snapshot_block_count(s) <= 4096) {
        mph_status prc = mph_render_png(s, &po, &psink, &perr);
        FUZZ_CHECK(prc == MPH_OK || (mph_snapshot_header_only(s) && prc != MPH_OK));
    }
    // The diff pictures: the snapshot against itself (every block free or kept).
    mph_diff *pd = NULL;
    if (mph_diff_compute(s, s, &pd, &perr) == MPH_OK) {
        po.scale = 1;
        FUZZ_CHECK(mph_render_diff_svg(pd, &po, &psink, &perr) == MPH_OK);
        if (mph_snapshot_block_count(s) <= 4096)
            FUZZ_CHECK(mph_render_diff_png(pd, &po, &psink, &perr) == MPH_OK);
        mph_diff_free(pd);
    }
    mph_verdict_free(verdict);
}

/* The HTML report of the whole log: whole, and its JSON island holds no '<', '>' or
 * U+2028/2029 (input strings are escaped there), whatever the labels hold. */
typedef struct grow_buf {
    char *data;
    size_t len, cap;
} grow_buf;

static mph_status grow_write(void *ctx, const char *buf, size_t len) {
    grow_buf *g = ctx;
    if (g->cap - g->len < len) {
        size_t cap = g->cap ? g->cap : 1 << 16;
        while (cap - g->len < len)
            cap *= 2;
        char *d = realloc(g->data, cap);
        if (!d)
            return MPH_ERR_NOMEM;
        g->data = d;
        g->cap = cap;
    }
    memcpy(g->data + g->len, buf, len);
    g->len += len;
    return MPH_OK;
}

static void check_html(const mph_log *log, uint8_t opt) {
    size_t total = 0, n = mph_log_snapshot_count(log);
    for (size_t i = 0; i < n; i++)
        total += mph_snapshot_block_count(mph_log_snapshot(log, i));
    if (total > SMALL_MAX_BLOCKS)
        return;
    mph_html_options ho;
    mph_html_options_init(&ho, log);
    ho.palette = (mph_palette_kind)(opt % 5);
    ho.name = "<script>\xe2\x80\xa8</script>";
    ho.need = opt % 3 ? 0 : 4096;
    ho.view = n > 1 ? (mph_html_view)(opt % 3) : MPH_HTML_VIEW_MAP;
    ho.diff_old = 0;
    grow_buf g = {NULL, 0, 0};
    mph_sink sink = {grow_write, &g};
    mph_error err = {0};
    FUZZ_CHECK(mph_render_html(log, &ho, &sink, &err) == MPH_OK);
    FUZZ_CHECK(grow_write(&g, "", 1) == MPH_OK);
    const char *island = strstr(g.data, "id=\"mpheap-data\">");
    FUZZ_CHECK(island != NULL);
    island += strlen("id=\"mpheap-data\">");
    const char *end = strstr(island, "</script>");
    FUZZ_CHECK(end != NULL);
    for (const char *c = island; c < end; c++) {
        FUZZ_CHECK(*c != '<' && *c != '>');
        FUZZ_CHECK(!(c + 2 < end && (unsigned char)c[0] == 0xe2 && (unsigned char)c[1] == 0x80 &&
                     ((unsigned char)c[2] == 0xa8 || (unsigned char)c[2] == 0xa9)));
    }
    FUZZ_CHECK(g.len > 9 && strcmp(g.data + g.len - 9, "</html>\n") == 0);
    free(g.data);
    // A sink that fails part-way: the renderer says so.
    sink_state st = {0, (size_t)opt * 97};
    mph_sink bad = {failing_write, &st};
    mph_status rc = mph_render_html(log, &ho, &bad, &err);
    FUZZ_CHECK(rc == MPH_OK || rc == MPH_ERR_IO);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    static const unsigned block_sizes[8] = {0, 0, 0, 0, 4, 8, 16, 32};
    uint8_t opt = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    mph_parse_options o = {block_sizes[(opt >> 1) & 7], (opt & 1) != 0};

    // Chunked feeding gives the whole text's result.
    parse_digest whole = digest_parse(text, len, &o, NULL, 0);
    uint32_t seed = 2654435761u * (opt + 1u) ^ (uint32_t)len;
    size_t cuts[16] = {0}, k = 1 + (opt >> 4);
    for (size_t i = 0; i < k; i++)
        cuts[i] = len ? next_rand(&seed) % (len + 1) : 0;
    qsort(cuts, k, sizeof *cuts, cmp_size);
    FUZZ_CHECK(digest_equal(digest_parse(text, len, &o, cuts, k), whole));
    if (len <= 512 && whole.blocks <= SMALL_MAX_BLOCKS) {
        size_t ones[512];
        for (size_t i = 0; i < len; i++)
            ones[i] = i + 1;
        FUZZ_CHECK(digest_equal(digest_parse(text, len, &o, ones, len), whole));
    }

    mph_log *log = NULL;
    mph_error err;
    memset(&err, 0, sizeof err);
    mph_status st = mph_log_parse(text, len, &o, &log, &err);
    FUZZ_CHECK(st == whole.status);
    if (st) {
        FUZZ_CHECK(log == NULL);
        FUZZ_CHECK(err.code == st && err.message[0] != '\0');
        FUZZ_CHECK(st == MPH_ERR_NOMEM || (err.line >= 1 && err.column >= 1));
        FUZZ_CHECK(st != MPH_ERR_INVARIANT || o.strict); // only strict turns warnings to errors
        return 0;
    }
    for (size_t i = 0; i < mph_log_diagnostic_count(log); i++) {
        const mph_diagnostic *d = mph_log_diagnostic(log, i);
        FUZZ_CHECK(d->line >= 1 && d->column >= 1 && d->message && d->message[0]);
        FUZZ_CHECK(!o.strict || d->level == MPH_DIAG_NOTE);
    }
    size_t n = mph_log_snapshot_count(log);
    FUZZ_CHECK(n >= 1);
    for (size_t i = 0; i < n; i++) {
        const mph_snapshot *s = mph_log_snapshot(log, i);
        FUZZ_CHECK((mph_snapshot_block_count(s) >= 1 && mph_snapshot_area_count(s) >= 1) ||
                   (mph_snapshot_header_only(s) && mph_snapshot_block_count(s) == 0));
        FUZZ_CHECK(mph_snapshot_first_line(s) <= mph_snapshot_last_line(s));
        size_t sum = 0;
        for (size_t a = 0; a < mph_snapshot_area_count(s); a++) {
            const mph_area *ar = mph_snapshot_area(s, a);
            FUZZ_CHECK(ar->first_block == sum);
            for (size_t b = 0; b < ar->n_blocks; b++)
                FUZZ_CHECK(ar->cells[b] == '.' || ar->cells[b] == '=' ||
                           mph_type_of_cell(ar->cells[b]) >= 0);
            sum += ar->n_blocks;
        }
        FUZZ_CHECK(sum == mph_snapshot_block_count(s));
        unsigned bs = mph_snapshot_block_size(s);
        FUZZ_CHECK((bs == 0) == (mph_snapshot_block_size_source(s) == MPH_BS_UNKNOWN));
        FUZZ_CHECK(bs == 0 || (bs & (bs - 1)) == 0);
        if (mph_snapshot_block_count(s) <= STATS_MAX_BLOCKS)
            check_stats(s);
        render_all(s, opt);
    }
    // The timeline chart of every snapshot (the PNG, a fixed 716 x 326, now and then).
    if (n <= 64) {
        const mph_snapshot *snaps[64];
        for (size_t i = 0; i < n; i++)
            snaps[i] = mph_log_snapshot(log, i);
        mph_timeline *tl = NULL;
        mph_error terr = {0};
        if (mph_timeline_compute(snaps, NULL, n, &tl, &terr) == MPH_OK) {
            mph_picture_options po;
            mph_picture_options_init(&po);
            po.palette = opt & 8 ? MPH_PALETTE_MONO : MPH_PALETTE_SAFE;
            sink_state ts = {0, 0};
            mph_sink tsink = {null_write, &ts};
            FUZZ_CHECK(mph_render_timeline_svg(tl, &po, &tsink, &terr) == MPH_OK);
            if (opt % 16 == 0)
                FUZZ_CHECK(mph_render_timeline_png(tl, &po, &tsink, &terr) == MPH_OK);
            mph_timeline_free(tl);
        }
    }
    static const char *const selectors[] = {"1", "-1", "0", "99", "all", "SNAPSHOT", ""};
    for (size_t i = 0; i < sizeof selectors / sizeof *selectors; i++) {
        long idx = mph_log_find_snapshot(log, selectors[i]);
        FUZZ_CHECK(idx >= -1 && idx < (long)n);
    }
    // Labels and times are safe to print (no control bytes), and a label finds a snapshot
    // (unless it reads as a number: "3" selects the third).
    for (size_t i = 0; i < n; i++) {
        const char *texts[2] = {mph_snapshot_label(mph_log_snapshot(log, i)),
                                mph_snapshot_time(mph_log_snapshot(log, i))};
        for (int t = 0; t < 2; t++)
            for (const char *c = texts[t]; c && *c; c++)
                FUZZ_CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
        const char *label = texts[0];
        char *end;
        if (label && *label && (strtol(label, &end, 10), *end != '\0'))
            FUZZ_CHECK(mph_log_find_snapshot(log, label) >= 0);
    }
    check_html(log, opt);
    mph_log_free(log);
    return 0;
}
