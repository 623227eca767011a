/* Feeding a text in chunks gives the same result as feeding it whole: the
 * same snapshots, cells, diagnostics, or the same located error. Every split
 * point of small texts (a CR at the end of a chunk, a CRLF split between its
 * two bytes, a line split at every position), byte-at-a-time feeding, and
 * random chunkings of bigger files from tests/data. */
#include "harness.h"
#include "test_parser_digest.h"

#include <stdlib.h>

/* A dump with CRLF, "\r\r\n", a prefix, a label, an abbrev and a short last row. */
static const char crlf_dump[] =
    ">>> print('=== boot ===')\r\r\n"
    "=== boot ===\r\n"
    " 0> mem: total=3183, current=1025, peak=2530\r\n"
    " 0> stack: 800 out of 80000\r\n"
    " 0> GC: total: 15360, used: 1120, free: 14240\r\n"
    " 0>  No. of 1-blocks: 14, 2-blocks: 4, max blk sz: 9, max free sz: 438\r\n"
    " 0> GC memory layout; from 7f4aa433df00:\r\n"
    " 0> 00000000: h=hh=hhLhhSh===h========hhhhBh=h......h.h=......................\r\n"
    " 0>        (6 lines all free)\r\n"
    " 0> 00003800: ................................\r\r\n"
    ">>> \r\n";

/* Damage at the very end, so that every split point meets it: an error. */
static const char bad_dump[] =
    "GC memory layout; from 1000:\n"
    "00000000: h=hh=hhLhhSh===h========hhhhBh=h......h.h=......................\n"
    "00000400: h=hh=hhLhhSh===h========hhhhBh=h......h.h=......................\r\n"
    "00000800: h=hhX";

static parse_digest whole(const char *t, size_t n, const mph_parse_options *o) {
    return digest_parse(t, n, o, NULL, 0);
}

static void every_split(const char *name, const char *t, size_t n, const mph_parse_options *o) {
    parse_digest ref = whole(t, n, o);
    unsigned bad = 0;
    for (size_t i = 0; i <= n; i++) {
        size_t cut = i;
        if (!digest_equal(digest_parse(t, n, o, &cut, 1), ref))
            bad++;
        for (size_t j = i; j <= n && j < i + 3; j++) { // two cuts close together: tiny chunks
            size_t cuts[2] = {i, j};
            if (!digest_equal(digest_parse(t, n, o, cuts, 2), ref))
                bad++;
        }
    }
    // Byte at a time.
    size_t *ones = malloc((n + 1) * sizeof *ones);
    for (size_t i = 0; ones && i < n; i++)
        ones[i] = i + 1;
    if (ones && !digest_equal(digest_parse(t, n, o, ones, n), ref))
        bad++;
    free(ones);
    if (bad)
        fprintf(stderr, "  %s: %u chunkings differ from the whole text\n", name, bad);
    CHECK_EQ(bad, 0);
}

TEST(parser_chunks_every_split_crlf) {
    mph_parse_options o = {0, false};
    every_split("crlf", crlf_dump, sizeof crlf_dump - 1, &o);
    parse_digest d = whole(crlf_dump, sizeof crlf_dump - 1, &o);
    CHECK_EQ(d.status, MPH_OK); // and it is a good dump, not an error compared with itself
    CHECK_EQ(d.snapshots, 1);
    CHECK_EQ(d.blocks, 448 + 32);
    o.strict = true;
    every_split("crlf strict", crlf_dump, sizeof crlf_dump - 1, &o);
    CHECK_EQ(whole(crlf_dump, sizeof crlf_dump - 1, &o).status, MPH_OK);
}

TEST(parser_chunks_every_split_error) {
    mph_parse_options o = {0, false};
    every_split("bad", bad_dump, sizeof bad_dump - 1, &o);
    mph_log *log = NULL;
    mph_error err = {0};
    CHECK_EQ(mph_log_parse(bad_dump, sizeof bad_dump - 1, &o, &log, &err), MPH_ERR_SYNTAX);
    CHECK(log == NULL);
    CHECK_EQ(err.line, 4);
    CHECK_EQ(err.column, 15);
    // the byte offset of the line where the error is
    CHECK_EQ(err.offset, (uint64_t)(strstr(bad_dump, "00000800") - bad_dump));
}

/* A CR alone at the end of a chunk, then "\n" or "\r\n" in the next one. */
TEST(parser_chunks_cr_at_chunk_end) {
    const char *t = "GC memory layout; from 2000:\r\r\n00000000: h=.."
                    ".\r\r\n";
    size_t n = strlen(t);
    mph_parse_options o = {16, false};
    parse_digest ref = whole(t, n, &o);
    CHECK_EQ(ref.status, MPH_OK);
    for (size_t i = 0; i < n; i++)
        if (t[i] == '\r') {
            size_t cuts[2] = {i, i + 1}; // "...\r" | "\r" | "\n..."
            CHECK(digest_equal(digest_parse(t, n, &o, cuts, 2), ref));
            size_t cut = i + 1;
            CHECK(digest_equal(digest_parse(t, n, &o, &cut, 1), ref));
        }
}

/* Empty chunks and a NULL buffer of length 0 change nothing. */
TEST(parser_chunks_empty_feeds) {
    size_t n = sizeof crlf_dump - 1;
    mph_parse_options o = {0, false};
    size_t cuts[6] = {0, 0, 10, 10, n, n};
    CHECK(digest_equal(digest_parse(crlf_dump, n, &o, cuts, 6), whole(crlf_dump, n, &o)));
    mph_parser *p = mph_parser_new(NULL);
    mph_error err = {0};
    CHECK_EQ(mph_parser_feed(p, NULL, 0, &err), MPH_OK);
    CHECK_EQ(mph_parser_feed(p, NULL, 5, &err), MPH_ERR_ARG);
    mph_parser_free(p);
}

/* Lines at the 1 MiB cut: one byte under, at, over; cut anywhere near the limit. */
TEST(parser_chunks_long_lines) {
    const size_t max = 1u << 20;
    const char *dump = "GC memory layout; from 1000:\n00000000: h=hh\n";
    for (size_t extra = 0; extra < 3; extra++) {
        size_t long_len = max - 1 + extra, n = long_len + 1 + strlen(dump);
        char *t = malloc(n);
        memset(t, 'x', long_len);
        t[long_len] = '\n';
        memcpy(t + long_len + 1, dump, strlen(dump));
        mph_parse_options o = {16, false};
        parse_digest ref = whole(t, n, &o);
        CHECK_EQ(ref.status, MPH_OK);
        // one warning (the cut) when the line is longer than 1 MiB
        CHECK_EQ(ref.diagnostics, extra == 2 ? 1 : 0);
        size_t cuts[] = {1, max - 2, max - 1, max, max + 1, max + 2};
        for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
            CHECK(digest_equal(digest_parse(t, n, &o, &cuts[i], 1), ref));
            size_t two[2] = {cuts[i], cuts[i] + 1};
            CHECK(digest_equal(digest_parse(t, n, &o, two, 2), ref));
        }
        free(t);
    }
}

static size_t next_rand(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (size_t)(*s >> 33);
}

/* Random chunkings of real-sized files: variants (eras, pastes) and damaged dumps. */
TEST(parser_chunks_random_files) {
    static const char *const files[] = {
        "tests/data/variants/paste-crcrlf.txt",    "tests/data/variants/paste-rtt-crlf.txt",
        "tests/data/variants/paste-noisy-log.txt", "tests/data/variants/paste-repl.txt",
        "tests/data/variants/era-v1.8-u32.txt",    "tests/data/variants/wrap1m-ambiguous-v1.19.txt",
        "tests/data/variants/lost-layout-text.txt", "tests/data/variants/interleaved.txt",
        "tests/data/malformed/short-row-middle.txt", "tests/data/malformed/abbrev-twice.txt",
        "tests/data/malformed/binary-garbage.txt",  "tests/data/malformed/gc-free-edited.txt"};
    uint64_t seed = 12345;
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        size_t n;
        char *t = harness_read_file(files[f], &n);
        if (!t) {
            harness_skip("tests/data is not here (run from the repository root)");
            return;
        }
        for (int strict = 0; strict < 2; strict++) {
            mph_parse_options o = {0, strict != 0};
            parse_digest ref = whole(t, n, &o);
            for (int round = 0; round < 40; round++) {
                size_t cuts[32], k = 1 + next_rand(&seed) % 31, at = 0;
                for (size_t i = 0; i < k; i++) {
                    at += next_rand(&seed) % (n / k + 2);
                    cuts[i] = at < n ? at : n;
                }
                if (!digest_equal(digest_parse(t, n, &o, cuts, k), ref)) {
                    fprintf(stderr, "  %s (strict %d): chunking %d differs\n", files[f], strict,
                            round);
                    CHECK(0);
                    break;
                }
            }
        }
        free(t);
    }
}
