/* The timeline read as a stream (issue 14, 8): a parser that keeps no map
 * hands each snapshot to a mph_timeline_builder while its cells are there.
 * The timeline must be the one mph_timeline_compute makes from a log that
 * keeps every map, byte for byte in every report, on every input of
 * tests/data; and its memory must be one snapshot's map, not the sum. */
#include "harness.h"
#include "test_parser_rss.h"

#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static mph_status text_write(void *ctx, const char *buf, size_t len) {
    text *t = ctx;
    if (t->cap - t->len < len + 1) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap - t->len < len + 1)
            cap *= 2;
        char *p = realloc(t->s, cap);
        if (!p)
            return MPH_ERR_NOMEM;
        t->s = p;
        t->cap = cap;
    }
    memcpy(t->s + t->len, buf, len);
    t->len += len;
    t->s[t->len] = '\0';
    return MPH_OK;
}

/* Every report of t, one after the other. */
static text reports(const mph_timeline *t) {
    text out = {0};
    mph_sink sink = {text_write, &out};
    mph_text_options o = {0};
    o.max_list = 1000;
    o.name = "log";
    CHECK_EQ(mph_render_text_timeline(t, &o, &sink, NULL), MPH_OK);
    o.ascii = true;
    CHECK_EQ(mph_render_text_timeline(t, &o, &sink, NULL), MPH_OK);
    CHECK_EQ(mph_render_json_timeline(t, &o, &sink, NULL), MPH_OK);
    CHECK_EQ(mph_render_csv_timeline(t, &sink, NULL), MPH_OK);
    mph_picture_options po;
    mph_picture_options_init(&po);
    CHECK_EQ(mph_render_timeline_svg(t, &po, &sink, NULL), MPH_OK);
    return out;
}

typedef struct stream {
    mph_timeline_builder *b;
    size_t seen, file_start; /* snapshots passed: in all, before this file */
    bool cells_there;        /* every snapshot had its cells when passed, in order */
} stream;

static mph_status on_snapshot(void *ctx, const mph_snapshot *s, size_t index, mph_error *err) {
    stream *sm = ctx;
    if (index != sm->seen - sm->file_start || !mph_snapshot_has_map(s))
        sm->cells_there = false;
    sm->seen++;
    return mph_timeline_builder_add(sm->b, s, err);
}

/* Parse text keeping no map, in chunks, the builder fed from the hook (and,
 * for a log with no map at all, from the log after finish). */
static mph_status stream_parse(const char *s, size_t len, stream *sm, mph_log **out,
                               mph_error *err) {
    mph_parser *p = mph_parser_new(NULL);
    if (!p)
        return MPH_ERR_NOMEM;
    mph_parser_keep_maps(p, MPH_KEEP_NONE);
    mph_parser_on_snapshot(p, on_snapshot, sm);
    size_t seen = sm->file_start = sm->seen;
    mph_status st = MPH_OK;
    for (size_t at = 0; at < len && !st; at += 1000)
        st = mph_parser_feed(p, s + at, len - at < 1000 ? len - at : 1000, err);
    if (!st)
        st = mph_parser_finish(p, out, err);
    mph_parser_free(p);
    for (size_t i = 0; !st && sm->seen == seen && i < mph_log_snapshot_count(*out); i++)
        st = mph_timeline_builder_add(sm->b, mph_log_snapshot(*out, i), err);
    return st;
}

/* One input (or two, read as two files): the same reports both ways. */
static void same_both_ways(const char *path, const char *path2, size_t *compared) {
    const char *paths[2] = {path, path2};
    int n_files = path2 ? 2 : 1;
    char *texts[2] = {NULL, NULL};
    size_t lens[2] = {0, 0};
    mph_log *kept[2] = {NULL, NULL}, *streamed[2] = {NULL, NULL};
    stream sm = {mph_timeline_builder_new(), 0, 0, true};
    CHECK(sm.b != NULL);
    const mph_snapshot *snaps[256];
    size_t n = 0;
    bool ok = sm.b != NULL;
    for (int f = 0; f < n_files && ok; f++) {
        texts[f] = harness_read_file(paths[f], &lens[f]);
        if (!texts[f] || mph_log_parse(texts[f], lens[f], NULL, &kept[f], NULL) != MPH_OK) {
            ok = false; // not a log: the streamed parse must refuse it as well
            mph_error err = {0};
            stream other = {mph_timeline_builder_new(), 0, 0, true};
            if (texts[f] && other.b)
                CHECK(stream_parse(texts[f], lens[f], &other, &streamed[f], &err) != MPH_OK);
            mph_timeline_builder_free(other.b);
            break;
        }
        mph_error err = {0};
        mph_status st = stream_parse(texts[f], lens[f], &sm, &streamed[f], &err);
        CHECK_EQ(st, MPH_OK);
        if (st) {
            fprintf(stderr, "  %s: %s\n", paths[f], err.message);
            ok = false;
            break;
        }
        CHECK(sm.cells_there);
        CHECK_EQ(mph_log_snapshot_count(streamed[f]), mph_log_snapshot_count(kept[f]));
        for (size_t i = 0; i < mph_log_snapshot_count(kept[f]) && n < 256; i++) {
            snaps[n++] = mph_log_snapshot(kept[f], i);
            // Kept by nobody: the streamed log has no map left.
            CHECK(!mph_snapshot_has_map(mph_log_snapshot(streamed[f], i)));
        }
    }
    if (ok && n < 256) {
        const char **names = calloc(n, sizeof *names);
        for (size_t i = 0; i < n; i++)
            names[i] = i % 3 ? "a name" : NULL;
        mph_timeline *a = NULL, *b = NULL;
        mph_error err = {0};
        CHECK_EQ(mph_timeline_compute(snaps, names, n, &a, &err), MPH_OK);
        CHECK_EQ(mph_timeline_builder_row_count(sm.b), n);
        CHECK_EQ(mph_timeline_builder_finish(sm.b, names, &b, &err), MPH_OK);
        if (a && b) {
            text ta = reports(a), tb = reports(b);
            bool same = ta.len == tb.len && (!ta.len || memcmp(ta.s, tb.s, ta.len) == 0);
            if (!same)
                fprintf(stderr, "  %s%s%s: the streamed timeline differs\n", path,
                        path2 ? " + " : "", path2 ? path2 : "");
            CHECK(same);
            CHECK(ta.len > 0);
            free(ta.s);
            free(tb.s);
            ++*compared;
        }
        mph_timeline_free(a);
        mph_timeline_free(b);
        free(names);
    }
    mph_timeline_builder_free(sm.b);
    for (int f = 0; f < 2; f++) {
        mph_log_free(kept[f]);
        mph_log_free(streamed[f]);
        free(texts[f]);
    }
}

TEST(timeline_stream_same_as_compute) {
    static const char *const dirs[] = {"tests/data/samples", "tests/data/variants",
                                       "tests/data/variants/canon", "tests/data/malformed"};
    static char paths[512][256];
    size_t compared = 0;
    size_t n = harness_list_txt(dirs, sizeof dirs / sizeof *dirs, paths, 512);
    if (n == 0) {
        harness_skip("tests/data is not here (run from the repository root)");
        return;
    }
    for (size_t i = 0; i < n; i++)
        same_both_ways(paths[i], NULL, &compared);
    // Two files in one timeline, as `mpheap timeline A B` reads them.
    for (size_t i = 0; i + 1 < n; i += 7)
        same_both_ways(paths[i], paths[i + 1], &compared);
    CHECK(compared >= 100);
}

/* A map that was not kept cannot be compared: an error, not a crash. */
TEST(timeline_stream_refuses_dropped_map) {
    static const char two[] = "=== one ===\nGC memory layout; from 1000:\n00000: hh==....\n"
                              "=== two ===\nGC memory layout; from 1000:\n00000: hhh=....\n";
    mph_parser *p = mph_parser_new(NULL);
    mph_parser_keep_maps(p, MPH_KEEP_NONE);
    mph_log *log = NULL;
    mph_error err = {0};
    CHECK_EQ(mph_parser_feed(p, two, sizeof two - 1, &err), MPH_OK);
    CHECK_EQ(mph_parser_finish(p, &log, &err), MPH_OK);
    mph_parser_free(p);
    if (!log)
        return;
    CHECK_EQ(mph_log_snapshot_count(log), 2);
    const mph_snapshot *s[2] = {mph_log_snapshot(log, 0), mph_log_snapshot(log, 1)};
    mph_timeline *t = NULL;
    memset(&err, 0, sizeof err);
    CHECK_EQ(mph_timeline_compute(s, NULL, 2, &t, &err), MPH_ERR_ARG);
    CHECK(t == NULL);
    CHECK(strstr(err.message, "map was not kept") != NULL);
    mph_timeline_builder *b = mph_timeline_builder_new();
    CHECK_EQ(mph_timeline_builder_add(b, s[0], &err), MPH_ERR_ARG);
    // Spent after an error: no more rows, no timeline.
    CHECK_EQ(mph_timeline_builder_finish(b, NULL, &t, &err), MPH_ERR_ARG);
    mph_timeline_builder_free(b);
    b = mph_timeline_builder_new();
    CHECK_EQ(mph_timeline_builder_finish(b, NULL, &t, &err), MPH_ERR_ARG);
    CHECK(strstr(err.message, "at least one snapshot") != NULL);
    mph_timeline_builder_free(b);
    mph_timeline_builder_free(NULL);
    mph_log_free(log);
}

/* The hook's error ends the parse, located at its dump. */
static mph_status refuse_second(void *ctx, const mph_snapshot *s, size_t index, mph_error *err) {
    (void)ctx;
    (void)s;
    if (index == 1) {
        memset(err, 0, sizeof *err);
        err->code = MPH_ERR_NOMEM;
        snprintf(err->message, sizeof err->message, "no room");
        return MPH_ERR_NOMEM;
    }
    return MPH_OK;
}

TEST(parser_hook_error_fails_the_parse) {
    static const char two[] = "=== one ===\nGC memory layout; from 1000:\n00000: hh==....\n"
                              "=== two ===\nGC memory layout; from 1000:\n00000: hhh=....\n";
    mph_parser *p = mph_parser_new(NULL);
    mph_parser_on_snapshot(p, refuse_second, NULL);
    mph_log *log = NULL;
    mph_error err = {0};
    mph_status st = mph_parser_feed(p, two, sizeof two - 1, &err);
    if (!st)
        st = mph_parser_finish(p, &log, &err);
    CHECK_EQ(st, MPH_ERR_NOMEM);
    CHECK(log == NULL);
    CHECK_STR(err.message, "no room");
    CHECK_EQ(err.line, 5); // the second dump's first line
    mph_parser_free(p);
    mph_log_free(log);
}

/* Memory: 8 snapshots of 4 Mi cells each (a 64 MiB heap of 16-byte blocks,
 * almost all "(N lines all free)"). The stream holds the map being read and
 * nothing of the one before but its list of allocations: 1 map, not 8 (a
 * copy of the last map, or the diff's class of each block, would be 2). */
#define BIG_SNAPS 8
#define BIG_ONE                                                                                   \
    "=== big %d ===\n"                                                                            \
    "GC: total: 67108864, used: %d, free: %d\n"                                                   \
    "GC memory layout; from 10000000:\n"                                                          \
    "00000000: h%.*s%.*s\n"                                                                       \
    "       (65534 lines all free)\n"                                                             \
    "03fffc00: ................................................................\n"

TEST(timeline_stream_memory) {
    static const char tails[] = "===============", dots[] =
        "................................................................";
    char *s = malloc(BIG_SNAPS * 512);
    size_t len = 0;
    for (int i = 0; i < BIG_SNAPS; i++) {
        int used = (i + 1) * 16; // an allocation that grows: a suspect in the end
        len += (size_t)snprintf(s + len, 512, BIG_ONE, i + 1, used, 67108864 - used, i, tails,
                                63 - i, dots);
    }
    const char *why = NULL;
    long before = 0, grown = -1;
#ifdef __GLIBC__
    // What earlier tests freed stays resident in the heap, and reusing it would not
    // count: hand it back, so that every map this test touches is counted.
    malloc_trim(0);
#endif
    bool measured = !RSS_UNDER_ASAN && rss_peak_reset(&before, &why);
    stream sm = {mph_timeline_builder_new(), 0, 0, true};
    mph_log *log = NULL;
    mph_error err = {0};
    mph_status st = stream_parse(s, len, &sm, &log, &err);
    mph_timeline *t = NULL;
    if (!st)
        st = mph_timeline_builder_finish(sm.b, NULL, &t, &err);
    if (measured)
        grown = rss_peak_growth(before);
    CHECK_EQ(st, MPH_OK);
    CHECK(sm.cells_there);
    if (t) {
        CHECK_EQ(mph_timeline_row_count(t), BIG_SNAPS);
        CHECK_STR(mph_timeline_row_at(t, BIG_SNAPS - 1)->label, "big 8");
        CHECK_EQ(mph_timeline_row_at(t, BIG_SNAPS - 1)->stats.used_blocks, BIG_SNAPS);
        // The allocation at block 0 grew in place in every step.
        CHECK_EQ(mph_timeline_leak_alloc_count(t), 1);
        const mph_leak_alloc *a = mph_timeline_leak_alloc_at(t, 0);
        if (a) {
            CHECK_EQ(a->now.n_blocks, BIG_SNAPS);
            CHECK_EQ(a->grew, BIG_SNAPS - 1);
            CHECK_EQ(a->now.address, 0x10000000);
        }
    }
    if (RSS_UNDER_ASAN) {
        harness_skip("peak RSS under ASan counts its quarantine: measured in the plain build");
    } else if (grown < 0) {
        harness_skip(why ? why : "peak RSS not measured");
    } else {
        // 4 MiB a map (4.6 MiB measured); every map at once would be 32 MiB.
        if (grown > 4096 + 2048 || getenv("MPH_TEST_VERBOSE"))
            fprintf(stderr, "  streamed timeline of %d maps: peak RSS grew by %ld KiB\n",
                    BIG_SNAPS, grown);
        CHECK(grown <= 4096 + 2048);
    }
    mph_timeline_free(t);
    mph_timeline_builder_free(sm.b);
    mph_log_free(log);
    free(s);
}
