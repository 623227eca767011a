/* Every real dump in tests/data/samples parses with no warning, and the
 * figures recomputed from its map equal the ones MicroPython printed. */
#include "harness.h"

#include <stdlib.h>

#define SAMPLES "tests/data/samples/"

static mph_log *parse_sample(const char *name) {
    char path[256];
    snprintf(path, sizeof path, SAMPLES "%s", name);
    size_t len;
    char *text = harness_read_file(path, &len);
    if (!text) {
        // The samples are part of the repository: missing is a failure, not a skip.
        harness_check(0, __FILE__, __LINE__, "read", path);
        return NULL;
    }
    mph_log *log = NULL;
    mph_error err = {0};
    mph_parse_options opts = {0, true}; // strict: any mismatch fails
    mph_status st = mph_log_parse(text, len, &opts, &log, &err);
    free(text);
    if (st) {
        char d[400];
        snprintf(d, sizeof d, "%s:%lu:%lu: %s", name, err.line, err.column, err.message);
        harness_check(0, __FILE__, __LINE__, "parse", d);
        return NULL;
    }
    return log;
}

static void check_against_header(const mph_snapshot *s) {
    const mph_header *h = mph_snapshot_header(s);
    mph_stats st;
    CHECK(mph_stats_compute(s, MPH_ALL_AREAS, &st, NULL) == MPH_OK);
    unsigned bpb = mph_snapshot_block_size(s);
    CHECK(h->has_gc);
    CHECK_EQ(st.total_blocks * bpb, h->gc_total);
    CHECK_EQ(st.free_blocks * bpb, h->gc_free);
    CHECK_EQ(st.used_blocks * bpb, h->gc_used);
    CHECK_EQ(st.n_1block, h->n_1block);
    CHECK_EQ(st.n_2block, h->n_2block);
    CHECK_EQ(st.max_alloc_blocks, h->max_block);
    CHECK_EQ(st.largest_free_blocks, h->max_free);
}

TEST(sample_u64_objects) {
    mph_log *log = parse_sample("u64-objects-256k.txt");
    if (!log)
        return;
    CHECK_EQ(mph_log_snapshot_count(log), 1);
    const mph_snapshot *s = mph_log_snapshot(log, 0);
    CHECK_EQ(mph_snapshot_block_size(s), 32);
    CHECK(mph_snapshot_block_size_source(s) == MPH_BS_ROW_STEP);
    CHECK(mph_snapshot_row_format(s) == MPH_ROWS_OFFSET8);
    CHECK_EQ(mph_snapshot_area_count(s), 1);
    const mph_area *a = mph_snapshot_area(s, 0);
    CHECK(a->has_base);
    CHECK_EQ(a->base, 0x7ff1a65d7c00ull);
    CHECK_EQ(a->n_blocks, 259072 / 32);
    // The row after "(112 lines all free)" sits at its own offset.
    CHECK_EQ(a->cells[0x3f000 / 32], '.');
    CHECK_EQ(a->cells[0x6800 / 32], '=');
    check_against_header(s);
    mph_log_free(log);
}

TEST(sample_u32_frag) {
    mph_log *log = parse_sample("u32-frag-256k.txt");
    if (!log)
        return;
    const mph_snapshot *s = mph_log_snapshot(log, 0);
    CHECK_EQ(mph_snapshot_block_size(s), 16);
    CHECK_STR(mph_snapshot_label(s), "objects allocated: 2560 kept: 1280");
    check_against_header(s);
    mph_log_free(log);
}

TEST(sample_split_heap) {
    mph_log *log = parse_sample("u64split4-objects-64k.txt");
    if (!log)
        return;
    const mph_snapshot *s = mph_log_snapshot(log, 0);
    CHECK_EQ(mph_snapshot_area_count(s), 4);
    CHECK_EQ(mph_snapshot_area(s, 1)->base, 0x55d2ebbc5420ull);
    CHECK_EQ(mph_snapshot_area(s, 0)->n_blocks, 504);
    CHECK_EQ(mph_snapshot_area(s, 1)->n_blocks, 500);
    CHECK_EQ(mph_snapshot_block_address(s, 1, 2), 0x55d2ebbc5420ull + 64);
    check_against_header(s);
    mph_log_free(log);
}

TEST(sample_leak_log) {
    mph_log *log = parse_sample("seq-leak-5snapshots.txt");
    if (!log)
        return;
    CHECK_EQ(mph_log_snapshot_count(log), 5);
    for (size_t i = 0; i < mph_log_snapshot_count(log); i++)
        check_against_header(mph_log_snapshot(log, i));
    CHECK_STR(mph_snapshot_label(mph_log_snapshot(log, 2)), "SNAPSHOT 3/5: leak list len 180");
    CHECK_EQ(mph_log_find_snapshot(log, "4/5"), 3);
    CHECK_EQ(mph_log_find_snapshot(log, "-1"), 4);
    CHECK_EQ(mph_log_find_snapshot(log, "SNAPSHOT"), -1); // ambiguous
    mph_log_free(log);
}

TEST(sample_repl_tty) {
    mph_log *log = parse_sample("seq-repl-tty-2snapshots.txt");
    if (!log)
        return;
    CHECK_EQ(mph_log_snapshot_count(log), 2);
    for (size_t i = 0; i < mph_log_snapshot_count(log); i++) {
        const mph_snapshot *s = mph_log_snapshot(log, i);
        CHECK(mph_snapshot_label(s) == NULL); // a prompt echo is no label
        check_against_header(s);
    }
    mph_log_free(log);
}

TEST(sample_fresh_2m) {
    mph_log *log = parse_sample("u64-fresh-2M-default.txt");
    if (!log)
        return;
    const mph_snapshot *s = mph_log_snapshot(log, 0);
    // Two rows, 1012 lines apart across "(1011 lines all free)".
    CHECK_EQ(mph_snapshot_block_size(s), 32);
    check_against_header(s);
    mph_log_free(log);
}
