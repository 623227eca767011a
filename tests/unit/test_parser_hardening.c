/* Issue 14, reading: an area that wraps the address space (9) and a damaged
 * dump among good ones (2). */
#include "harness.h"

#include <stdlib.h>

/* One v1.20 dump of 2 rows (128 blocks of 16 bytes) at `base`. */
static void dump_at(char *buf, size_t size, const char *base) {
    snprintf(buf, size,
             "GC: total: 2048, used: 64, free: 1984\n"
             " No. of 1-blocks: 0, 2-blocks: 0, max blk sz: 4, max free sz: 124\n"
             "GC memory layout; from %s:\n"
             "00000000: h===............................................................\n"
             "00000400: ................................................................\n",
             base);
}

TEST(parser_area_wrapping_address_space) {
    char text[1024];
    mph_log *log = NULL;
    mph_error err = {0};
    // 2048 bytes from 0xffffffffffffffc0 would pass 2^64.
    dump_at(text, sizeof text, "ffffffffffffffc0");
    CHECK_EQ(mph_log_parse(text, strlen(text), NULL, &log, &err), MPH_ERR_SYNTAX);
    CHECK(log == NULL);
    CHECK_EQ(err.line, 3);
    CHECK_EQ(err.column, 24); // the address
    CHECK(strstr(err.message, "end of the address space") != NULL);
    // CircuitPython's "0x" form: the column is still the address's.
    dump_at(text, sizeof text, "0xfffffffffffffc00");
    CHECK_EQ(mph_log_parse(text, strlen(text), NULL, &log, &err), MPH_ERR_SYNTAX);
    CHECK_EQ(err.column, 26);
    // Ending exactly at the top is fine: its last byte is 0xffffffffffffffff.
    dump_at(text, sizeof text, "fffffffffffff800");
    mph_status st = mph_log_parse(text, strlen(text), NULL, &log, &err);
    CHECK_EQ(st, MPH_OK);
    if (!st) {
        const mph_snapshot *s = mph_log_snapshot(log, 0);
        CHECK_EQ(mph_snapshot_block_address(s, 0, 127), UINT64_C(0xfffffffffffffff0));
    }
    mph_log_free(log);
}

/* A log of three dumps: good, `middle`, good. */
static size_t log_of(char *buf, size_t size, const char *middle) {
    char one[1024];
    dump_at(one, sizeof one, "3ff00000");
    return (size_t)snprintf(buf, size,
                            "=== one ===\n%s>>> \n=== two ===\n%s>>> \n=== three ===\n%s", one,
                            middle, one);
}

static void check_damaged_middle(const char *middle, unsigned long line, unsigned long col,
                                 const char *msg, size_t chunk) {
    char text[4096];
    size_t len = log_of(text, sizeof text, middle);
    mph_parser *p = mph_parser_new(NULL);
    mph_error err = {0};
    mph_status st = MPH_OK;
    for (size_t at = 0; at < len && !st; at += chunk)
        st = mph_parser_feed(p, text + at, len - at < chunk ? len - at : chunk, &err);
    mph_log *log = NULL;
    if (!st)
        st = mph_parser_finish(p, &log, &err);
    mph_parser_free(p);
    CHECK_EQ(st, MPH_OK);
    if (st) {
        harness_check(0, __FILE__, __LINE__, "parse", err.message);
        return;
    }
    CHECK_EQ(mph_log_snapshot_count(log), 2);
    CHECK_STR(mph_snapshot_label(mph_log_snapshot(log, 0)), "one");
    CHECK_STR(mph_snapshot_label(mph_log_snapshot(log, 1)), "three");
    CHECK_EQ(mph_log_damaged_count(log), 1);
    const mph_damaged *d = mph_log_damaged(log, 0);
    if (d) {
        CHECK_EQ(d->position, 1);
        CHECK_EQ(d->before, 1);
        CHECK_STR(d->label, "two");
        CHECK_EQ(d->error.line, line);
        CHECK_EQ(d->error.column, col);
        CHECK(strstr(d->error.message, msg) != NULL);
        CHECK(d->error.offset > 0);
    }
    CHECK(mph_log_damaged(log, 1) == NULL);
    mph_log_free(log);
    // Strict: the damage is the input's error, at the same place.
    mph_parse_options strict = {0, true};
    memset(&err, 0, sizeof err);
    CHECK(mph_log_parse(text, len, &strict, &log, &err) != MPH_OK);
    CHECK_EQ(err.line, line);
    CHECK(strstr(err.message, msg) != NULL);
}

/* Dump 2 starts at line 9: marker 8, GC 9, blocks 10, layout 11, rows 12 and 13. */
#define GOOD_ROW0 "00000000: h===............................................................\n"
#define GOOD_ROW1 "00000400: ................................................................\n"
#define HEAD2                                                                                     \
    "GC: total: 2048, used: 64, free: 1984\n"                                                     \
    " No. of 1-blocks: 0, 2-blocks: 0, max blk sz: 4, max free sz: 124\n"                         \
    "GC memory layout; from 3ff00000:\n"

TEST(parser_damaged_dump_repeated_row) {
    const char *bad = HEAD2 GOOD_ROW0 GOOD_ROW1 GOOD_ROW1;
    for (size_t chunk = 1; chunk <= 4096; chunk *= 8)
        check_damaged_middle(bad, 14, 1, "row offset 00000400, expected 00000800", chunk);
}

TEST(parser_damaged_dump_bad_cell) {
    check_damaged_middle(HEAD2 GOOD_ROW0
                         "00000400: ...............x................................................\n",
                         13, 26, "unknown cell 'x'", 4096);
}

/* Damage in the header: the rest of the dump (its later header lines, its map) goes with it. */
TEST(parser_damaged_dump_header) {
    check_damaged_middle("GC: total: 2048, used: lots, free: 1984\n"
                         " No. of 1-blocks: 0, 2-blocks: 0, max blk sz: 4, max free sz: 124\n"
                         "GC memory layout; from 3ff00000:\n" GOOD_ROW0 GOOD_ROW1,
                         9, 24, "malformed \"GC: total:\" line", 4096);
}

/* Damage found only when the next line closes the dump. */
TEST(parser_damaged_dump_found_at_close) {
    check_damaged_middle(HEAD2, 11, 1, "no rows after it", 4096);
}

/* An area past the end of the address space, in a log: that dump alone. */
TEST(parser_damaged_dump_wrapping_area) {
    char bad[1024];
    dump_at(bad, sizeof bad, "ffffffffffffffc0");
    check_damaged_middle(bad, 11, 24, "end of the address space", 4096);
}

/* The last dump damaged: found by mph_parser_finish. */
TEST(parser_damaged_last_dump) {
    char one[1024], text[2048];
    dump_at(one, sizeof one, "3ff00000");
    int len = snprintf(text, sizeof text, "%s>>> \n=== two ===\n" HEAD2, one);
    mph_log *log = NULL;
    mph_error err = {0};
    CHECK_EQ(mph_log_parse(text, (size_t)len, NULL, &log, &err), MPH_OK);
    CHECK_EQ(mph_log_snapshot_count(log), 1);
    CHECK_EQ(mph_log_damaged_count(log), 1);
    const mph_damaged *d = mph_log_damaged(log, 0);
    if (d) {
        CHECK_EQ(d->before, 1);
        CHECK(strstr(d->error.message, "no rows after it") != NULL);
    }
    mph_log_free(log);
}

/* Issue 14 (8): a log of big snapshots, one asked for. Each claims a 64 MiB
 * heap of 16-byte blocks (4 Mi cells), almost all "(N lines all free)". */
#include "test_parser_rss.h"

#define BIG_SNAPS 8
#define BIG_ONE                                                                                   \
    "=== big %d ===\n"                                                                            \
    "GC: total: 67108864, used: %d, free: %d\n"                                                   \
    " No. of 1-blocks: %d, 2-blocks: %d, max blk sz: %d, max free sz: %d\n"                       \
    "GC memory layout; from 10000000:\n"                                                          \
    "00000000: h%.*s%.*s\n"                                                                       \
    "       (65534 lines all free)\n"                                                             \
    "03fffc00: ................................................................\n"

static char *big_log(size_t *len) {
    static const char tails[] = "===============", dots[] =
        "................................................................";
    char *text = malloc(BIG_SNAPS * 512);
    size_t n = 0;
    for (int i = 0; i < BIG_SNAPS; i++) {
        // Snapshot i's first allocation has i + 1 blocks: each has its own figures.
        int used = (i + 1) * 16;
        n += (size_t)snprintf(text + n, 512, BIG_ONE, i + 1, used, 67108864 - used, i == 0,
                              i == 1, i + 1, (1 << 22) - i - 1, i, tails, 63 - i, dots);
    }
    *len = n;
    return text;
}

TEST(parser_keep_one_map) {
    size_t len;
    char *text = big_log(&len);
    mph_log *all = NULL, *one = NULL;
    mph_error err = {0};
    mph_parse_options strict = {0, true};
    CHECK_EQ(mph_log_parse(text, len, &strict, &all, &err), MPH_OK);
    const char *why = NULL;
    long before, grown_one = -1;
    bool measured = rss_peak_reset(&before, &why);
    mph_parser *p = mph_parser_new(&strict);
    mph_parser_keep_maps(p, 2);
    mph_status st = mph_parser_feed(p, text, len, &err);
    if (!st)
        st = mph_parser_finish(p, &one, &err);
    mph_parser_free(p);
    if (measured)
        grown_one = rss_peak_growth(before);
    CHECK_EQ(st, MPH_OK);
    if (st || !all) {
        harness_check(0, __FILE__, __LINE__, "parse", err.message);
        free(text);
        mph_log_free(all);
        return;
    }
    CHECK_EQ(mph_log_snapshot_count(one), BIG_SNAPS);
    for (size_t i = 0; i < BIG_SNAPS; i++) {
        const mph_snapshot *a = mph_log_snapshot(all, i), *o = mph_log_snapshot(one, i);
        CHECK(mph_snapshot_has_map(a));
        CHECK_EQ(mph_snapshot_has_map(o), i == 2);
        CHECK_EQ(mph_snapshot_area(o, 0)->cells != NULL, i == 2);
        CHECK_EQ(mph_snapshot_block_count(o), 1u << 22);
        // Every snapshot was read in full: its whole-heap stats are the same.
        mph_stats sa, so;
        CHECK_EQ(mph_stats_compute(a, MPH_ALL_AREAS, &sa, NULL), MPH_OK);
        CHECK_EQ(mph_stats_compute(o, MPH_ALL_AREAS, &so, NULL), MPH_OK);
        CHECK_EQ(so.max_alloc_blocks, i + 1);
        CHECK_EQ(so.largest_free_blocks, sa.largest_free_blocks);
        CHECK_EQ(so.used_blocks, sa.used_blocks);
        CHECK_EQ(so.by_type[MPH_TYPE_OTHER].allocs, 1);
    }
    // Memory: the kept map and one to read into, not eight (4 MiB each).
    if (grown_one < 0) {
        harness_skip(why ? why : "peak RSS not measured");
    } else {
        if (grown_one > 3 * 4096 || getenv("MPH_TEST_VERBOSE"))
            fprintf(stderr, "  keeping 1 map of %d: peak RSS grew by %ld KiB\n", BIG_SNAPS,
                    grown_one);
        CHECK(grown_one <= 3 * 4096 + 2048);
    }
    mph_log_free(one);
    mph_log_free(all);
    free(text);
}
