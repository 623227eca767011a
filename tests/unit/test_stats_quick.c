/* The parser checks every dump with the quick figures (bit masks, run edges);
 * they must equal the same fields of the full per-item computation, on random
 * heaps with every awkward shape: runs across 64-cell chunks, areas that end
 * inside a chunk or inside a run, tails with no head. */
#include "harness.h"
#include "../../src/lib/internal.h"

#include <stdlib.h>

static uint64_t state = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static void fill(char *c, size_t n) {
    static const char heads[] = "TLDSAFBMhm";
    size_t i = 0;
    while (i < n) {
        uint64_t r = next();
        size_t len = 1 + (r % 5 == 0 ? r % 200 : r % 4);
        char kind = r % 3 == 0 ? '.' : r % 97 == 1 ? '=' : heads[r % 10];
        for (size_t k = 0; k < len && i < n; k++)
            c[i++] = kind == '.' ? '.' : k == 0 ? kind : '=';
    }
}

static void compare(const mph_snapshot *s) {
    mph_stats full, quick;
    CHECK(mph_stats_compute(s, MPH_ALL_AREAS, &full, NULL) == MPH_OK);
    mph__stats_quick(s, &quick);
    CHECK_EQ(quick.total_blocks, full.total_blocks);
    CHECK_EQ(quick.free_blocks, full.free_blocks);
    CHECK_EQ(quick.used_blocks, full.used_blocks);
    CHECK_EQ(quick.allocs, full.allocs);
    CHECK_EQ(quick.orphan_tails, full.orphan_tails);
    CHECK_EQ(quick.n_1block, full.n_1block);
    CHECK_EQ(quick.n_2block, full.n_2block);
    CHECK_EQ(quick.max_alloc_blocks, full.max_alloc_blocks);
    CHECK_EQ(quick.largest_free_blocks, full.largest_free_blocks);
    CHECK_EQ(quick.largest_free_area, full.largest_free_area);
    CHECK_EQ(quick.largest_free_block, full.largest_free_block);
    CHECK_EQ(quick.free_runs, full.free_runs);
}

TEST(stats_quick_equals_full_on_random_heaps) {
    for (int round = 0; round < 300; round++) {
        mph_snapshot s;
        memset(&s, 0, sizeof s);
        mph_area areas[3];
        s.n_areas = 1 + next() % 3;
        s.block_size = 16;
        size_t sizes[3], total = 0;
        for (size_t a = 0; a < s.n_areas; a++) {
            sizes[a] = 4 * (1 + next() % (round < 100 ? 40 : 2000));
            total += sizes[a];
        }
        s.cells = malloc(total);
        fill(s.cells, total);
        // Now and then a whole area free, or full, or starting with a tail.
        if (round % 11 == 5)
            memset(s.cells, '.', sizes[0]);
        if (round % 13 == 7)
            s.cells[0] = '=';
        size_t at = 0;
        for (size_t a = 0; a < s.n_areas; a++) {
            areas[a] = (mph_area){0x1000u * (a + 1), true, at, sizes[a], s.cells + at, 1};
            at += sizes[a];
        }
        s.areas = areas;
        s.n_blocks = total;
        compare(&s);
        free(s.cells);
    }
}

TEST(stats_quick_equals_full_on_samples) {
    static const char *const names[] = {"u64-objects-256k.txt", "u32-frag-256k.txt",
                                        "u64split4-objects-64k.txt", "seq-leak-5snapshots.txt"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[256];
        snprintf(path, sizeof path, "../shared/samples/%s", names[i]);
        size_t len;
        char *text = harness_read_file(path, &len);
        if (!text) {
            harness_skip("../shared/samples is not here");
            return;
        }
        mph_log *log = NULL;
        CHECK(mph_log_parse(text, len, NULL, &log, NULL) == MPH_OK);
        for (size_t k = 0; log && k < mph_log_snapshot_count(log); k++)
            compare(mph_log_snapshot(log, k));
        mph_log_free(log);
        free(text);
    }
}
