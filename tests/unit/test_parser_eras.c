/* What the parser makes of each era and paste variant: the row format, where
 * the block size came from, areas and their bases, collapsed lines at their
 * own offsets, labels. Inputs are tests/data/variants (tests/data/gen.py
 * derives them from the real samples) and small texts written here. */
#include "harness.h"

#include <stdlib.h>

#define VARIANTS "tests/data/variants/"

static mph_log *parse_text(const char *text, size_t len, const mph_parse_options *o,
                           mph_error *err) {
    mph_log *log = NULL;
    mph_error e = {0};
    mph_status st = mph_log_parse(text, len, o, &log, err ? err : &e);
    if (st)
        return NULL;
    return log;
}

static mph_log *parse_str(const char *text, const mph_parse_options *o) {
    mph_error err = {0};
    mph_log *log = parse_text(text, strlen(text), o, &err);
    if (!log) {
        char d[400];
        snprintf(d, sizeof d, "%lu:%lu: %s", err.line, err.column, err.message);
        harness_check(0, __FILE__, __LINE__, "parse", d);
    }
    return log;
}

static mph_log *parse_file(const char *name, bool strict) {
    char path[256];
    snprintf(path, sizeof path, VARIANTS "%s", name);
    size_t len;
    char *text = harness_read_file(path, &len);
    if (!text) {
        harness_skip("tests/data/variants is not here (run from the repository root)");
        return NULL;
    }
    mph_parse_options o = {0, strict};
    mph_error err = {0};
    mph_log *log = parse_text(text, len, &o, &err);
    free(text);
    if (!log) {
        char d[400];
        snprintf(d, sizeof d, "%s:%lu:%lu: %s", name, err.line, err.column, err.message);
        harness_check(0, __FILE__, __LINE__, "parse", d);
    }
    return log;
}

/* The same heap as the canonical v1.20 print: same cells ('t' read as '='). */
static void same_cells(const mph_snapshot *a, const mph_snapshot *b) {
    CHECK_EQ(mph_snapshot_block_count(a), mph_snapshot_block_count(b));
    CHECK_EQ(mph_snapshot_area_count(a), mph_snapshot_area_count(b));
    if (mph_snapshot_block_count(a) != mph_snapshot_block_count(b))
        return;
    for (size_t i = 0; i < mph_snapshot_area_count(a); i++) {
        const mph_area *x = mph_snapshot_area(a, i), *y = mph_snapshot_area(b, i);
        CHECK_EQ(x->n_blocks, y->n_blocks);
        CHECK(x->n_blocks == y->n_blocks && memcmp(x->cells, y->cells, x->n_blocks) == 0);
    }
}

/* The canonical file a variant is checked against, from the MANIFEST. */
static mph_log *parse_canon_of(const char *variant) {
    size_t len;
    char *m = harness_read_file(VARIANTS "MANIFEST", &len);
    if (!m)
        return NULL;
    char name[64] = "", canon[32] = "";
    for (char *line = strtok(m, "\n"); line; line = strtok(NULL, "\n"))
        if (sscanf(line, "%63[^\t]\t%31[^\t]", name, canon) == 2 && strcmp(name, variant) == 0)
            break;
    free(m);
    if (strcmp(name, variant) != 0 || strcmp(canon, "-") == 0)
        return NULL;
    char file[64];
    snprintf(file, sizeof file, "canon/%s.txt", canon);
    return parse_file(file, true);
}

static void check_era(const char *variant, mph_row_format fmt, mph_block_size_source src,
                      unsigned bpb) {
    char file[96];
    snprintf(file, sizeof file, "%s.txt", variant);
    mph_log *log = parse_file(file, true); // strict: the figures all agree with the map
    if (!log)
        return;
    const mph_snapshot *s = mph_log_snapshot(log, 0);
    CHECK_EQ(mph_snapshot_row_format(s), fmt);
    CHECK_EQ(mph_snapshot_block_size_source(s), src);
    CHECK_EQ(mph_snapshot_block_size(s), bpb);
    mph_log *canon = parse_canon_of(variant);
    CHECK(canon != NULL);
    if (canon)
        same_cells(s, mph_log_snapshot(canon, 0));
    mph_log_free(canon);
    mph_log_free(log);
}

TEST(parser_era_rows) {
    check_era("era-v1.19-u32", MPH_ROWS_OFFSET5, MPH_BS_ROW_STEP, 16);
    check_era("era-v1.19-u64", MPH_ROWS_OFFSET5, MPH_BS_ROW_STEP, 32);
    check_era("era-v1.8.1-u32", MPH_ROWS_OFFSET5, MPH_BS_ROW_STEP, 16);
    check_era("era-v1.8-u32", MPH_ROWS_ADDRESS5, MPH_BS_ROW_STEP, 16);
    check_era("era-v1.8-u64", MPH_ROWS_ADDRESS5, MPH_BS_ROW_STEP, 32);
    // %04x counts blocks: only GC total / cells can tell the block size
    check_era("era-v1.3-u32", MPH_ROWS_INDEX4, MPH_BS_GC_TOTAL, 16);
    check_era("era-v1.3-u64", MPH_ROWS_INDEX4, MPH_BS_GC_TOTAL, 32);
    check_era("era-pre-v1.0-u32", MPH_ROWS_INDEX4, MPH_BS_GC_TOTAL, 16);
    check_era("era-v1.3-5digit-index", MPH_ROWS_INDEX4, MPH_BS_GC_TOTAL, 32);
    check_era("era-cp7-u64", MPH_ROWS_OFFSET8, MPH_BS_ROW_STEP, 32);
    check_era("wrap1m-v1.19", MPH_ROWS_OFFSET5, MPH_BS_ROW_STEP, 32);
    check_era("wrap1m-v1.8", MPH_ROWS_ADDRESS5, MPH_BS_ROW_STEP, 32);
    check_era("wrapabs-v1.8", MPH_ROWS_ADDRESS5, MPH_BS_ROW_STEP, 16);
    check_era("wrap1m-ambiguous-v1.19", MPH_ROWS_OFFSET5, MPH_BS_ROW_STEP, 32);
    check_era("stack-short-no-mem", MPH_ROWS_OFFSET5, MPH_BS_ROW_STEP, 16);
}

/* The allocation in the heap's last block: gc_info() up to v1.8.1 left it out
 * of 1-blocks, 2-blocks and max blk sz; v1.8.2 counts it. A dump is checked
 * with its own era's count (no "max free sz" and rows older than v1.20's:
 * the old one). */
static bool strict_ok(const char *text) {
    mph_parse_options o = {0, true};
    mph_log *log = parse_text(text, strlen(text), &o, NULL);
    mph_log_free(log);
    return log != NULL;
}

TEST(parser_era_heap_end_count) {
    static const struct {
        const char *variant;
        int not_counted; // 1-blocks and 2-blocks the header leaves out
        int blocks;
    } v[] = {{"heap-end-1-block-v1.8", 1, 1},  {"heap-end-1-block-v1.8.1", 1, 1},
             {"heap-end-1-block-v1.19", 0, 1}, {"heap-end-2-block-v1.8", 1, 2},
             {"heap-end-2-block-v1.8.1", 1, 2}, {"heap-end-2-block-v1.19", 0, 2}};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        char file[96];
        snprintf(file, sizeof file, "%s.txt", v[i].variant);
        mph_log *log = parse_file(file, true); // strict: the era's own count agrees
        if (!log)
            continue;
        const mph_snapshot *s = mph_log_snapshot(log, 0);
        const mph_header *h = mph_snapshot_header(s);
        mph_stats st;
        CHECK(mph_stats_compute(s, MPH_ALL_AREAS, &st, NULL) == MPH_OK);
        // stats count every allocation the map holds, whatever the header did
        CHECK_EQ(st.n_1block, h->n_1block + (v[i].blocks == 1 ? v[i].not_counted : 0));
        CHECK_EQ(st.n_2block, h->n_2block + (v[i].blocks == 2 ? v[i].not_counted : 0));
        CHECK_EQ(mph_log_diagnostic_count(log), 0);
        mph_log_free(log);
    }

    // The last allocation is the largest: the old max blk sz is the largest before it.
    // 8 blocks of 16 bytes: h= . . h===
    const char *v181 = "GC: total: 128, used: 96, free: 32\n"
                       " No. of 1-blocks: 0, 2-blocks: 1, max blk sz: 2\n"
                       "GC memory layout; from 20000000:\n00000: h=..h===\n";
    CHECK(strict_ok(v181));
    // v1.8.2's count of the same map, with no "max free sz": no era counted so.
    CHECK(!strict_ok("GC: total: 128, used: 96, free: 32\n"
                     " No. of 1-blocks: 0, 2-blocks: 1, max blk sz: 4\n"
                     "GC memory layout; from 20000000:\n00000: h=..h===\n"));
    // v1.19 prints "max free sz" and counts the last allocation.
    CHECK(strict_ok("GC: total: 128, used: 96, free: 32\n"
                    " No. of 1-blocks: 0, 2-blocks: 1, max blk sz: 4, max free sz: 2\n"
                    "GC memory layout; from 20000000:\n00000: h=..h===\n"));
    CHECK(!strict_ok("GC: total: 128, used: 96, free: 32\n"
                     " No. of 1-blocks: 0, 2-blocks: 1, max blk sz: 2, max free sz: 2\n"
                     "GC memory layout; from 20000000:\n00000: h=..h===\n"));
    // 't' tails and absolute-address rows (v1.3.5 - v1.8): h . h h, the last h left out.
    CHECK(strict_ok("GC: total: 64, used: 48, free: 16\n"
                    " No. of 1-blocks: 2, 2-blocks: 0, max blk sz: 1\n"
                    "GC memory layout; from 20001230:\n01230: h.hh\n"));
    CHECK(!strict_ok("GC: total: 64, used: 48, free: 16\n"
                     " No. of 1-blocks: 3, 2-blocks: 0, max blk sz: 1\n"
                     "GC memory layout; from 20001230:\n01230: h.hh\n"));
    // The longest allocation before the last one ties with it: max blk sz stays.
    CHECK(strict_ok("GC: total: 128, used: 96, free: 32\n"
                    " No. of 1-blocks: 0, 2-blocks: 0, max blk sz: 3\n"
                    "GC memory layout; from 20000000:\n00000: htt..htt\n"));
    // v1.20's "%08x" rows always came with "max free sz": without it, today's count.
    CHECK(strict_ok("GC: total: 128, used: 96, free: 32\n"
                    " No. of 1-blocks: 0, 2-blocks: 1, max blk sz: 4\n"
                    "GC memory layout; from 20000000:\n00000000: h=..h===\n"));

    // The warning says how the map was counted.
    mph_error err = {0};
    mph_parse_options o = {0, true};
    const char *bad = "GC: total: 64, used: 48, free: 16\n"
                      " No. of 1-blocks: 3, 2-blocks: 0, max blk sz: 1\n"
                      "GC memory layout; from 20001230:\n01230: h.hh\n";
    mph_log *log = parse_text(bad, strlen(bad), &o, &err);
    CHECK(log == NULL);
    mph_log_free(log);
    CHECK_EQ(err.line, 2);
    CHECK_EQ(err.column, 19);
    CHECK(strstr(err.message, "counted 3 1-blocks, the map has 2 (leaving out the allocation at "
                              "the heap's end, as MicroPython did before v1.8.2)") != NULL);
}

TEST(parser_era_headers) {
    mph_log *log = parse_file("era-v1.8-u32.txt", true);
    if (!log)
        return;
    const mph_header *h = mph_snapshot_header(mph_log_snapshot(log, 0));
    CHECK(h->has_gc && h->has_blocks && !h->has_max_free); // before v1.8.2
    CHECK(mph_snapshot_area(mph_log_snapshot(log, 0), 0)->has_base);
    mph_log_free(log);
    log = parse_file("stack-short-no-mem.txt", true);
    if (!log)
        return;
    h = mph_snapshot_header(mph_log_snapshot(log, 0));
    CHECK(!h->has_mem && h->has_stack && !h->has_stack_limit);
    CHECK_EQ(h->stack_used, 532);
    mph_log_free(log);
    log = parse_file("split-max-new-split.txt", true);
    if (!log)
        return;
    h = mph_snapshot_header(mph_log_snapshot(log, 0));
    CHECK(h->has_max_new_split);
    CHECK_EQ(h->max_new_split, 129024);
    CHECK_EQ(mph_snapshot_area_count(mph_log_snapshot(log, 0)), 4);
    mph_log_free(log);
    log = parse_file("era-cp7-u32.txt", true); // "from 0x...": CircuitPython 7+
    if (!log)
        return;
    CHECK_EQ(mph_snapshot_area(mph_log_snapshot(log, 0), 0)->base, 0xf7c1d790u);
    mph_log_free(log);
}

TEST(parser_collapsed_at_own_offsets) {
    // An area that starts with collapsed lines, then one that ends with them.
    const char *t = "GC: total: 10240, used: 80, free: 10160\n"
                    " No. of 1-blocks: 0, 2-blocks: 1, max blk sz: 3, max free sz: 254\n"
                    "GC memory layout; from 20000000:\n"
                    "       (3 lines all free)\n"
                    "00000c00: ..........h==...................................................\n"
                    "00001000: ................................................................\n"
                    "00001400: ................................................................\n"
                    "GC memory layout; from 20004000:\n"
                    "00000000: h=..............................................................\n"
                    "       (2 lines all free)\n"
                    "       (1 lines all free)\n";
    mph_log *log = parse_str(t, NULL);
    if (!log)
        return;
    const mph_snapshot *s = mph_log_snapshot(log, 0);
    CHECK_EQ(mph_snapshot_area_count(s), 2);
    const mph_area *a = mph_snapshot_area(s, 0), *b = mph_snapshot_area(s, 1);
    CHECK_EQ(a->n_blocks, 6 * 64);
    CHECK_EQ(a->cells[3 * 64 + 10], 'h'); // block 202, at 0xc00 / 16 + 10
    CHECK_EQ(a->cells[3 * 64 + 11], '=');
    CHECK_EQ(mph_snapshot_block_address(s, 0, 3 * 64 + 10), 0x20000000u + 0xca0);
    CHECK_EQ(b->n_blocks, 4 * 64);
    CHECK_EQ(b->base, 0x20004000u);
    CHECK_EQ(b->first_block, 6 * 64);
    CHECK_EQ(mph_snapshot_block_size(s), 16);
    // "(1 lines all free)" and two collapses in a row are warnings, located
    CHECK_EQ(mph_log_diagnostic_count(log), 2);
    const mph_diagnostic *d = mph_log_diagnostic(log, 1);
    CHECK_EQ(d->level, MPH_DIAG_WARNING);
    CHECK_EQ(d->line, 11);
    CHECK_EQ(d->column, 8);
    mph_log_free(log);
}

/* The step across "(511 lines all free)" fits 32..4096-byte blocks: the row
 * offsets alone cannot tell, so GC total decides, or --block-size, or nothing. */
TEST(parser_block_size_ambiguous_step) {
    char t[4096];
    char dots[65];
    memset(dots, '.', 64);
    dots[64] = 0;
    char body[1024];
    snprintf(body, sizeof body,
             "GC memory layout; from 20000000:\n00000: h=hh%.60s\n       (511 lines all free)\n"
             "00000: %s\n",
             dots, dots);
    // 513 rows of 64 blocks of 32 bytes
    snprintf(t, sizeof t, "GC: total: %u, used: 128, free: %u\n%s", 513u * 64 * 32,
             513u * 64 * 32 - 128, body);
    mph_log *log = parse_str(t, NULL);
    if (log) {
        const mph_snapshot *s = mph_log_snapshot(log, 0);
        CHECK_EQ(mph_snapshot_block_size(s), 32);
        CHECK_EQ(mph_snapshot_block_size_source(s), MPH_BS_GC_TOTAL);
        CHECK_EQ(mph_snapshot_row_format(s), MPH_ROWS_OFFSET5);
        mph_log_free(log);
    }
    mph_parse_options o = {64, false};
    log = parse_str(body, &o);
    if (log) {
        const mph_snapshot *s = mph_log_snapshot(log, 0);
        CHECK_EQ(mph_snapshot_block_size(s), 64);
        CHECK_EQ(mph_snapshot_block_size_source(s), MPH_BS_OPTION);
        mph_log_free(log);
    }
    o.block_size = 16; // the offsets rule 16 out: not used, and the warning says what fits
    log = parse_str(body, &o);
    if (log) {
        const mph_snapshot *s = mph_log_snapshot(log, 0);
        CHECK_EQ(mph_snapshot_block_size(s), 0);
        CHECK_EQ(mph_log_diagnostic_count(log), 1);
        CHECK(strstr(mph_log_diagnostic(log, 0)->message, "32, 64, 128") != NULL);
        mph_log_free(log);
    }
}

TEST(parser_headerless_and_lost_header) {
    mph_log *log = parse_file("headerless.txt", false);
    if (!log)
        return;
    const mph_snapshot *s = mph_log_snapshot(log, 0);
    CHECK(!mph_snapshot_area(s, 0)->has_base);
    CHECK_EQ(mph_snapshot_block_size(s), 32);
    CHECK_EQ(mph_snapshot_block_address(s, 0, 5), 0); // no base: no addresses
    CHECK_EQ(mph_log_diagnostic_count(log), 1);       // said, not guessed silently
    mph_log_free(log);
    log = parse_file("headerless-v1.8.txt", false);
    if (!log)
        return;
    CHECK_EQ(mph_snapshot_row_format(mph_log_snapshot(log, 0)), MPH_ROWS_ADDRESS5);
    mph_log_free(log);
    log = parse_file("lost-layout-text.txt", false);
    if (!log)
        return;
    s = mph_log_snapshot(log, 0);
    CHECK_EQ(mph_snapshot_area_count(s), 4);
    CHECK_EQ(mph_snapshot_area(s, 1)->base, 0x55d2ebbc5420ull);
    CHECK_EQ(mph_log_diagnostic_count(log), 1);
    CHECK_EQ(mph_log_diagnostic(log, 0)->line, 14);
    mph_log_free(log);
}

TEST(parser_labels) {
    mph_log *log = parse_file("paste-rtt.txt", true);
    if (!log)
        return;
    CHECK_EQ(mph_log_snapshot_count(log), 5);
    CHECK_STR(mph_snapshot_label(mph_log_snapshot(log, 1)), "SNAPSHOT 2/5: leak list len 120");
    mph_log_free(log);
    log = parse_file("labels-time.txt", true);
    if (!log)
        return;
    CHECK_STR(mph_snapshot_label(mph_log_snapshot(log, 1)), "snapshot 2");
    CHECK_STR(mph_snapshot_time(mph_log_snapshot(log, 1)), "2026-11-26T09:51:00Z");
    mph_log_free(log);
    // micropython-magic: "*** Memory info NAME ***", then "time:T", then the dump.
    log = parse_file("labels-micropython-magic.txt", true);
    if (!log)
        return;
    CHECK_EQ(mph_log_snapshot_count(log), 12);
    CHECK_STR(mph_snapshot_label(mph_log_snapshot(log, 1)), "step 1");
    CHECK_STR(mph_snapshot_time(mph_log_snapshot(log, 1)), "1796288729934674000");
    CHECK_STR(mph_snapshot_time(mph_log_snapshot(log, 10)), "2026-12-01T14:25:29"); // gmtime()
    CHECK_STR(mph_snapshot_label(mph_log_snapshot(log, 11)), "after_test"); // "Memory info: NAME"
    CHECK_EQ(mph_log_find_snapshot(log, "step 1"), 1); // not "step 10" or "step 11"
    CHECK_EQ(mph_log_find_snapshot(log, "after"), 11);
    mph_log_free(log);
    // No name: no label, the time still. A "time:" line after other text is that text's.
    const char *dump = "GC: total: 64, used: 32, free: 32\n"
                       " No. of 1-blocks: 0, 2-blocks: 1, max blk sz: 2, max free sz: 2\n"
                       "GC memory layout; from 20000000:\n00000000: h=..\n";
    char t[512];
    snprintf(t, sizeof t, "\n*** Memory info ***\ntime:42\n%s***********************\n\n"
                          "started\ntime:43\n%s", dump, dump);
    log = parse_str(t, NULL);
    if (!log)
        return;
    CHECK(mph_snapshot_label(mph_log_snapshot(log, 0)) == NULL);
    CHECK_STR(mph_snapshot_time(mph_log_snapshot(log, 0)), "42");
    CHECK_STR(mph_snapshot_label(mph_log_snapshot(log, 1)), "time:43");
    CHECK(mph_snapshot_time(mph_log_snapshot(log, 1)) == NULL);
    mph_log_free(log);
    // Text that only starts like the marker keeps its words; "=== ... ===" takes a time line too.
    snprintf(t, sizeof t, "*** Memory information ***\n%s=== boot ===\ntime:7\n%s", dump, dump);
    log = parse_str(t, NULL);
    if (!log)
        return;
    CHECK_STR(mph_snapshot_label(mph_log_snapshot(log, 0)), "Memory information");
    CHECK_STR(mph_snapshot_label(mph_log_snapshot(log, 1)), "boot");
    CHECK_STR(mph_snapshot_time(mph_log_snapshot(log, 1)), "7");
    mph_log_free(log);
    log = parse_file("paste-repl.txt", true);
    if (!log)
        return;
    CHECK_EQ(mph_log_snapshot_count(log), 2);
    CHECK(mph_snapshot_label(mph_log_snapshot(log, 0)) == NULL); // a prompt is no label
    CHECK(mph_snapshot_label(mph_log_snapshot(log, 1)) == NULL);
    CHECK(mph_log_skipped_lines(log) >= 6);
    mph_log_free(log);
    log = parse_file("paste-noisy-log.txt", true);
    if (!log)
        return;
    CHECK_EQ(mph_log_snapshot_count(log), 5);
    CHECK_STR(mph_snapshot_label(mph_log_snapshot(log, 4)), "SNAPSHOT 5/5: leak list len 300");
    mph_log_free(log);
}

TEST(parser_interleaved_output) {
    mph_log *log = parse_file("interleaved.txt", false);
    if (!log)
        return;
    CHECK_EQ(mph_log_snapshot_count(log), 1);
    // a note for the line in the header, a warning for the line in the map
    CHECK_EQ(mph_log_diagnostic_count(log), 2);
    const mph_diagnostic *d = mph_log_diagnostic(log, 0);
    CHECK_EQ(d->level, MPH_DIAG_NOTE);
    CHECK_EQ(d->line, 5);
    d = mph_log_diagnostic(log, 1);
    CHECK_EQ(d->level, MPH_DIAG_WARNING);
    CHECK_EQ(d->line, 22);
    mph_log *canon = parse_canon_of("interleaved");
    if (canon)
        same_cells(mph_log_snapshot(log, 0), mph_log_snapshot(canon, 0));
    mph_log_free(canon);
    mph_log_free(log);
}

/* A dump printed after output, right after another dump, is a new snapshot. */
TEST(parser_dumps_back_to_back) {
    const char *one = "GC memory layout; from 1000:\n00000000: h=hh\n";
    char t[512];
    snprintf(t, sizeof t, "%s%s>>> x = 1\n%s", one, one, one);
    mph_parse_options o = {16, false};
    mph_log *log = parse_str(t, &o);
    if (!log)
        return;
    CHECK_EQ(mph_log_snapshot_count(log), 3);
    mph_log_free(log);
    // Two different bases with nothing between: one split heap.
    log = parse_str("GC memory layout; from 1000:\n00000000: h=hh\n"
                    "GC memory layout; from 2000:\n00000000: h=hh\n",
                    &o);
    if (!log)
        return;
    CHECK_EQ(mph_log_snapshot_count(log), 1);
    CHECK_EQ(mph_snapshot_area_count(mph_log_snapshot(log, 0)), 2);
    mph_log_free(log);
}

/* Prose that mentions the words is not a dump line. */
TEST(parser_prose_is_not_a_dump) {
    mph_error err = {0};
    const char *t = "*** GC memory layout follows ***\nGC memory layout; from 1000:\n00000000: h=hh\n";
    mph_parse_options o = {16, true};
    mph_log *log = parse_text(t, strlen(t), &o, &err);
    CHECK(log != NULL);
    if (log)
        CHECK_STR(mph_snapshot_label(mph_log_snapshot(log, 0)), "GC memory layout follows");
    mph_log_free(log);
}

/* pyb.info(1) on stm32 prints its own GC block ("GC:\n  T total"), then the same map. */
TEST(parser_pyb_info) {
    const char *t = "ID=33003a00:0f513434:39373632\n"
                    "S=168000000\nH=168000000\nP1=42000000\nP2=84000000\n"
                    "_etext=8061ab8\n_sidata=8061ac0\n"
                    "qstr:\n  n_pool=1\n  n_qstr=8\n  n_str_data_bytes=63\n  n_total_bytes=1096\n"
                    "GC:\n  102080 total\n  2384 : 99696\n  1=55 2=15 m=40\n"
                    "LFS free: 52224 bytes\n"
                    "GC memory layout; from 20003e40:\n"
                    "00000000: MDhhhhhh=DhBhh==BDShhh=h=======h=================h=hhhh=Sh=Lhhh=\n"
                    "00000400: h=hh===....h....................................................\n";
    mph_log *log = parse_str(t, NULL);
    if (!log)
        return;
    const mph_snapshot *s = mph_log_snapshot(log, 0);
    CHECK(!mph_snapshot_header(s)->has_gc); // pyb.info's figures are another format: not read
    CHECK_EQ(mph_snapshot_block_size(s), 16);
    CHECK_EQ(mph_snapshot_block_size_source(s), MPH_BS_ROW_STEP);
    CHECK_EQ(mph_snapshot_area(s, 0)->base, 0x20003e40u);
    CHECK(mph_snapshot_label(s) != NULL); // "LFS free: ...", the line before: a label, as any
    mph_log_free(log);
}

/* Echoed input is no label: a prompt, or the call in paste mode ("=== " echo). */
TEST(parser_echo_is_no_label) {
    static const char *const echoes[] = {"=== micropython.mem_info(1)", ">>>micropython.mem_info(\"level\")",
                                         ">>> ", "None", "MPY: soft reboot"};
    mph_parse_options o = {16, true};
    for (size_t i = 0; i < sizeof echoes / sizeof *echoes; i++) {
        char t[256];
        snprintf(t, sizeof t, "%s\r\nGC memory layout; from 1000:\r\n00000000: h=hh\r\n", echoes[i]);
        mph_log *log = parse_str(t, &o);
        if (log)
            CHECK(mph_snapshot_label(mph_log_snapshot(log, 0)) == NULL);
        mph_log_free(log);
    }
}

/* A label comes from the input: control bytes (an ESC sequence, NUL) must not reach a terminal. */
TEST(parser_label_is_printable) {
    static const char t[] = "=== boot \x1b[2J\0x\t1 @ now\x07 ===\nGC memory layout; from 1000:\n00000000: h=hh\n";
    mph_parse_options o = {16, true};
    mph_log *log = parse_text(t, sizeof t - 1, &o, NULL);
    CHECK(log != NULL);
    if (!log)
        return;
    CHECK_STR(mph_snapshot_label(mph_log_snapshot(log, 0)), "boot ?[2J?x 1");
    CHECK_STR(mph_snapshot_time(mph_log_snapshot(log, 0)), "now?");
    mph_log_free(log);
}

/* Out-parameters are written only on success; a spent parser says so. */
TEST(parser_api_contract) {
    mph_log *log = (mph_log *)&log; // any non-NULL value
    mph_log *before = log;
    mph_error err = {0};
    CHECK_EQ(mph_log_parse("", 0, NULL, &log, &err), MPH_ERR_NOT_FOUND);
    CHECK(log == before);
    CHECK_EQ(err.line, 1);
    // Strict: damage fails the feed (lenient, it is the dump's: test_parser_hardening.c).
    mph_parse_options strict = {0, true};
    mph_parser *p = mph_parser_new(&strict);
    CHECK_EQ(mph_parser_feed(p, "GC memory layout; from 1000:\n00000000: hX\n", 42, &err),
             MPH_ERR_SYNTAX);
    CHECK_EQ(mph_parser_feed(p, "x", 1, &err), MPH_ERR_ARG);
    CHECK_EQ(mph_parser_finish(p, &log, &err), MPH_ERR_ARG);
    CHECK(log == before);
    mph_parser_free(p);
    mph_parser_free(NULL);
    mph_log_free(NULL);
    CHECK_EQ(mph_log_parse("x", 1, NULL, NULL, NULL), MPH_ERR_ARG);
}
