/* The map layout of the full-screen views (mph_layout_*): lines and cells
 * worked out by hand for a two-area dump, and the block descriptions checked
 * against the allocation iterator. */
#include "harness.h"

#include <stdlib.h>

/* Two areas: 128 blocks at 0x20000000 (two rows), 64 at 0x20010000. Blocks of
 * 16 bytes. */
static const char two_areas[] =
    "GC memory layout; from 20000000:\n"
    "00000000: "
    "hL=...h===..S=..................................................\n"
    "00000400: "
    "......................................................=====..D==\n"
    "GC memory layout; from 20010000:\n"
    "00000000: "
    "..........h.....................................................\n";

static mph_log *parse(const char *text) {
    mph_log *log = NULL;
    mph_error err = {0};
    if (mph_log_parse(text, strlen(text), NULL, &log, &err) != MPH_OK)
        return NULL;
    return log;
}

TEST(layout_lines_and_cells) {
    mph_log *log = parse(two_areas);
    CHECK(log);
    if (!log)
        return;
    const mph_snapshot *s = mph_log_snapshot(log, 0);
    CHECK_EQ(mph_snapshot_block_size(s), 16);
    mph_layout l;
    CHECK_EQ(mph_layout_init(&l, s, 32, 1, NULL), MPH_OK);
    // area 1: title + 128/32 = 4 lines; area 2: title + 64/32 = 2.
    CHECK_EQ(mph_snapshot_area(s, 1)->n_blocks, 64);
    CHECK_EQ(l.n_lines, 1 + 4 + 1 + 2);
    size_t a = 9, b = 9;
    CHECK(!mph_layout_block_at(&l, 0, 0, &a, &b)); // a title
    CHECK(mph_layout_block_at(&l, 2, 3, &a, &b));
    CHECK_EQ(a, 0);
    CHECK_EQ(b, 35);
    CHECK(!mph_layout_block_at(&l, 5, 0, &a, &b)); // area 2's title
    CHECK(mph_layout_block_at(&l, 6, 10, &a, &b));
    CHECK_EQ(a, 1);
    CHECK_EQ(b, 10);
    CHECK_EQ(mph_layout_area_line(&l, 1), 5);
    size_t line = 0;
    unsigned col = 0;
    CHECK(mph_layout_find(&l, 1, 40, &line, &col));
    CHECK_EQ(line, 7);
    CHECK_EQ(col, 8);
    CHECK(!mph_layout_find(&l, 1, 64, &line, &col));
    // A scale of 3 blocks per cell: 128 -> 43 cells -> 2 lines of 32; 64 -> 22
    // cells -> 1.
    CHECK_EQ(mph_layout_init(&l, s, 32, 3, NULL), MPH_OK);
    CHECK_EQ(l.n_lines, 1 + 2 + 1 + 1);
    CHECK(mph_layout_block_at(&l, 2, 10, &a, &b));
    CHECK_EQ(b, (32 + 10) * 3);
    CHECK(!mph_layout_block_at(&l, 2, 11, &a, &b)); // cell 43 is past the area
    CHECK(!mph_layout_block_at(&l, 99, 0, &a, &b));
    CHECK_EQ(mph_layout_init(&l, s, 0, 1, NULL), MPH_ERR_ARG);
    // Fit: 8 lines at scale 1; 6 lines need scale 2 (title + 2, title + 1); 4
    // lines scale 4.
    CHECK_EQ(mph_layout_fit_scale(s, 32, 8), 1);
    CHECK_EQ(mph_layout_fit_scale(s, 32, 6), 2);
    CHECK_EQ(mph_layout_fit_scale(s, 32, 4), 4);
    mph_log_free(log);
}

TEST(layout_describe_matches_allocations) {
    mph_log *log = parse(two_areas);
    CHECK(log);
    if (!log)
        return;
    const mph_snapshot *s = mph_log_snapshot(log, 0);
    // Every block of every allocation the iterator gives describes that
    // allocation.
    mph_alloc_iter it;
    mph_alloc x;
    mph_alloc_iter_init(&it, s);
    size_t used = 0;
    while (mph_alloc_iter_next(&it, &x)) {
        for (size_t k = 0; k < x.n_blocks; k++) {
            mph_block_info bi;
            CHECK_EQ(mph_layout_describe(s, x.area, x.block + k, &bi, NULL), MPH_OK);
            CHECK(!bi.free);
            CHECK_EQ(bi.start, x.block);
            CHECK_EQ(bi.n_blocks, x.n_blocks);
            CHECK_EQ(bi.type, x.type);
            CHECK_EQ(bi.orphan, x.orphan);
            CHECK_EQ(bi.start_address, x.address);
            used++;
        }
    }
    mph_stats st;
    CHECK_EQ(mph_stats_compute(s, MPH_ALL_AREAS, &st, NULL), MPH_OK);
    CHECK_EQ(used, st.used_blocks);
    // The largest free run, from any of its blocks.
    mph_block_info bi;
    CHECK_EQ(mph_layout_describe(s, st.largest_free_area, st.largest_free_block + 7, &bi, NULL),
             MPH_OK);
    CHECK(bi.free);
    CHECK_EQ(bi.start, st.largest_free_block);
    CHECK_EQ(bi.n_blocks, st.largest_free_blocks);
    CHECK_EQ(bi.start_address, st.largest_free_address);
    CHECK_EQ(bi.address, st.largest_free_address + 7 * 16);
    // By hand: the list at block 1 is 2 blocks; the orphan tails at 118..122 of
    // area 1.
    CHECK_EQ(mph_layout_describe(s, 0, 2, &bi, NULL), MPH_OK);
    CHECK(bi.type == MPH_TYPE_LIST && bi.start == 1 && bi.n_blocks == 2);
    CHECK_EQ(mph_layout_describe(s, 0, 120, &bi, NULL), MPH_OK);
    CHECK(bi.orphan && bi.start == 118 && bi.n_blocks == 5);
    CHECK_EQ(mph_layout_describe(s, 1, 64, &bi, NULL), MPH_ERR_ARG);
    // Addresses back to blocks.
    size_t a = 9, b = 9;
    CHECK(mph_layout_locate(s, 0x20000000 + 35 * 16 + 5, &a, &b));
    CHECK(a == 0 && b == 35);
    CHECK(mph_layout_locate(s, 0x20010000 + 10 * 16, &a, &b));
    CHECK(a == 1 && b == 10);
    CHECK(!mph_layout_locate(s, 0x20000000 + 128 * 16, &a, &b));
    CHECK(!mph_layout_locate(s, 0x1000, &a, &b));
    mph_log_free(log);
}
