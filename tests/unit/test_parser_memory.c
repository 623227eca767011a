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
