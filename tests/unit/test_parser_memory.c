/* The parser's memory does not grow with the text: megabytes of program
 * output, prompts and near-misses around (and inside) a dump cost nothing
 * but the snapshot itself, and notes about skipped lines are capped. */
#include "harness.h"

#include "test_parser_rss.h"

#include <stdlib.h>

static const char *const noise[] = {
    ">>> import gc; gc.collect()\r\r\n",
    "12:34:56.789 INFO app: request 17 handled in 3 ms\n",
    "I (4711) wifi: sta ip: 192.168.1.20, mask: 255.255.255.0\n",
    "stack: abc\n",
    "*** GC memory layout follows ***\n",
    "deadbeef: bad thing happened\n",
    "cafe: babe\n",
    "None\n",
    "Traceback (most recent call last):\n",
    "  File \"main.py\", line 12, in <module>\n",
    "\n",
};

static const char dump[] = "GC: total: 2048, used: 64, free: 1984\n"
                           " No. of 1-blocks: 0, 2-blocks: 2, max blk sz: 2, max free sz: 124\n"
                           "GC memory layout; from 20000000:\n"
                           "00000000: h=h=............................................................\n"
                           "00000400: ................................................................\n";

/* Feed `mib` MiB of output in 64 KiB chunks, with a dump in the middle whose
 * header is followed by `inside` output lines. */
static void feed_noise(mph_parser *p, size_t mib, size_t inside, mph_error *err, mph_status *st) {
    static char chunk[1 << 16];
    size_t k = 0, fed = 0, half = mib << 19;
    bool dumped = false;
    *st = MPH_OK;
    while (fed < (mib << 20) && !*st) {
        size_t n = 0;
        while (n < sizeof chunk - 128) {
            const char *line = noise[k++ % (sizeof noise / sizeof *noise)];
            size_t len = strlen(line);
            memcpy(chunk + n, line, len);
            n += len;
        }
        *st = mph_parser_feed(p, chunk, n, err);
        fed += n;
        if (!dumped && fed >= half && !*st) {
            dumped = true;
            *st = mph_parser_feed(p, dump, 38, err); // the GC line
            for (size_t i = 0; i < inside && !*st; i++)
                *st = mph_parser_feed(p, noise[1], strlen(noise[1]), err);
            if (!*st)
                *st = mph_parser_feed(p, dump + 38, sizeof dump - 1 - 38, err);
        }
    }
}

TEST(parser_memory_does_not_grow_with_text) {
    long before = 0;
    const char *why = NULL;
    if (!rss_peak_reset(&before, &why)) {
        harness_skip(why);
        return;
    }
    mph_parser *p = mph_parser_new(NULL);
    mph_error err = {0};
    mph_status st;
    feed_noise(p, 8, 50000, &err, &st);
    mph_log *log = NULL;
    if (!st)
        st = mph_parser_finish(p, &log, &err);
    long grown = rss_peak_growth(before);
    CHECK_EQ(st, MPH_OK);
    CHECK_EQ(mph_log_snapshot_count(log), 1); // the one dump among 8 MiB of output
    // 50,000 skipped lines inside the header: the first 1000 notes and one "more" note
    CHECK_EQ(mph_log_diagnostic_count(log), 1001);
    mph_log_free(log);
    mph_parser_free(p);
    if (grown > 4096 || getenv("MPH_TEST_VERBOSE"))
        fprintf(stderr, "  peak RSS grew by %ld KiB over 8 MiB of text\n", grown);
    CHECK(grown >= 0 && grown <= 4096);
}

/* mem_info() without an argument (or pyb.repl_info) after every line: a warning each, but
 * only the first thousand are kept, then one that counts the rest. */
TEST(parser_warnings_capped) {
    long before = 0;
    const char *why = NULL;
    bool measured = rss_peak_reset(&before, &why);
    mph_parser *p = mph_parser_new(NULL);
    mph_error err = {0};
    mph_status st = MPH_OK;
    static const char figures[] = "GC: total: 2048, used: 64, free: 1984\n"
                                  " No. of 1-blocks: 0, 2-blocks: 2, max blk sz: 2, max free sz: 124\n"
                                  ">>> x = 1\n";
    for (int i = 0; i < 100000 && !st; i++)
        st = mph_parser_feed(p, figures, sizeof figures - 1, &err);
    if (!st)
        st = mph_parser_feed(p, dump, sizeof dump - 1, &err);
    mph_log *log = NULL;
    if (!st)
        st = mph_parser_finish(p, &log, &err);
    long grown = measured ? rss_peak_growth(before) : 0;
    CHECK_EQ(st, MPH_OK);
    CHECK_EQ(mph_log_snapshot_count(log), 1);
    // 1000 notes (the ">>>" lines), a note that counts the rest, and one warning for
    // every dump with no map (they are skipped: the input has one with a map).
    CHECK_EQ(mph_log_diagnostic_count(log), 1002);
    const mph_diagnostic *last = mph_log_diagnostic(log, 1001);
    CHECK(last && strstr(last->message, "100000 dumps with heap figures but no block map") != NULL);
    mph_log_free(log);
    mph_parser_free(p);
    if (!measured)
        harness_skip(why);
    else if (RSS_UNDER_ASAN)
        harness_skip("peak RSS not checked under ASan: its quarantine keeps the freed snapshots");
    else
        CHECK(grown >= 0 && grown <= 4096);
}

/* mph_parser_limit_maps: the maps kept at once stay within the budget; past it the whole
 * parse fails (out of memory, not damage), at the row that would pass it. */
static mph_status parse_budget(const char *text, long keep, bool skim, uint64_t budget,
                               mph_log **log, mph_error *err) {
    mph_parse_options o = {0, false};
    mph_parser *p = mph_parser_new(&o);
    if (!p)
        return MPH_ERR_NOMEM;
    mph_parser_keep_maps(p, keep);
    mph_parser_skim_maps(p, skim);
    mph_parser_limit_maps(p, budget);
    mph_status st = mph_parser_feed(p, text, strlen(text), err);
    if (!st)
        st = mph_parser_finish(p, log, err);
    mph_parser_free(p);
    return st;
}

TEST(parser_map_budget) {
    // Three dumps of 64 Ki blocks each ("(1023 lines all free)" after one row).
    char text[1024];
    size_t n = 0;
    for (int i = 1; i <= 3; i++)
        n += (size_t)snprintf(text + n, sizeof text - n,
                              "=== %d ===\nGC: total: 1048576, used: 16, free: 1048560\n"
                              "GC memory layout; from 10000000:\n00000000: h%063d\n"
                              "       (1023 lines all free)\n",
                              i, 0);
    for (size_t k = 0; k < n; k++) // the row: h and 63 free cells
        if (text[k] == '0' && k > 0 && (text[k - 1] == 'h' || text[k - 1] == '.'))
            text[k] = '.';
    mph_log *log = NULL;
    mph_error err = {0};
    // Two maps fit 2 x 65536 blocks; the third's first row passes it.
    mph_status st = parse_budget(text, MPH_KEEP_ALL, false, 2 * 65536, &log, &err);
    CHECK_EQ(st, MPH_ERR_NOMEM);
    CHECK_EQ(err.line, 14);
    CHECK(strstr(err.message, "would pass the 131072 blocks that may be kept at once") != NULL);
    CHECK(log == NULL);
    // Enough for all three; or one kept and the others skimmed (no cells), or read
    // one at a time (the kept one and the one being read): every dump reads.
    memset(&err, 0, sizeof err);
    CHECK_EQ(parse_budget(text, MPH_KEEP_ALL, false, 3 * 65536, &log, &err), MPH_OK);
    CHECK_EQ(mph_log_snapshot_count(log), 3);
    mph_log_free(log);
    log = NULL;
    CHECK_EQ(parse_budget(text, 1, true, 65536, &log, &err), MPH_OK);
    CHECK_EQ(mph_log_snapshot_count(log), 3);
    CHECK(mph_snapshot_has_map(mph_log_snapshot(log, 1)));
    mph_log_free(log);
    log = NULL;
    CHECK_EQ(parse_budget(text, 1, false, 2 * 65536, &log, &err), MPH_OK);
    CHECK(mph_snapshot_has_map(mph_log_snapshot(log, 1)));
    mph_log_free(log);
}
