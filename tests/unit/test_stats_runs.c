/* mph_stats_compute finds runs by their edges in 64-cell bit masks; here a
 * plain walk, block by block, must give every figure it gives, on random heaps
 * with every awkward shape: runs across 64-cell chunks, areas that end inside
 * a chunk or inside a run, tails with no head, all-free areas. */
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

static unsigned bucket(uint64_t v) {
    unsigned k = 0;
    while (v >>= 1)
        k++;
    return k < MPH_HISTOGRAM_BUCKETS ? k : MPH_HISTOGRAM_BUCKETS - 1;
}

/* The figures by walking the blocks one by one, as MicroPython's gc_info does. */
static void reference(const mph_snapshot *s, mph_stats *r) {
    memset(r, 0, sizeof *r);
    for (size_t ai = 0; ai < s->n_areas; ai++) {
        const mph_area *a = &s->areas[ai];
        size_t i = 0, last_used_end = 0;
        r->total_blocks += a->n_blocks;
        while (i < a->n_blocks) {
            size_t start = i;
            char c = a->cells[i++];
            if (c == '.') {
                while (i < a->n_blocks && a->cells[i] == '.')
                    i++;
                size_t len = i - start;
                r->free_blocks += len;
                r->free_runs++;
                r->free_histogram[bucket(len)]++;
                if (len > r->largest_free_blocks) {
                    r->largest_free_blocks = len;
                    r->largest_free_area = ai;
                    r->largest_free_block = start;
                }
                continue;
            }
            while (i < a->n_blocks && a->cells[i] == '=')
                i++;
            size_t len = i - start;
            int t = mph_type_of_cell(c);
            r->used_blocks += len;
            r->allocs++;
            r->orphan_tails += c == '=';
            r->by_type[t >= 0 ? t : MPH_TYPE_OTHER].allocs++;
            r->by_type[t >= 0 ? t : MPH_TYPE_OTHER].blocks += len;
            r->n_1block += len == 1;
            r->n_2block += len == 2;
            if (len > r->max_alloc_blocks)
                r->max_alloc_blocks = len;
            r->alloc_histogram[bucket(len)]++;
            last_used_end = i;
        }
        r->free_above_top_blocks += a->n_blocks - last_used_end;
    }
}

static void compare(const mph_snapshot *s) {
    mph_stats got, want;
    CHECK(mph_stats_compute(s, MPH_ALL_AREAS, &got, NULL) == MPH_OK);
    reference(s, &want);
    CHECK_EQ(got.total_blocks, want.total_blocks);
    CHECK_EQ(got.free_blocks, want.free_blocks);
    CHECK_EQ(got.used_blocks, want.used_blocks);
    CHECK_EQ(got.allocs, want.allocs);
    CHECK_EQ(got.orphan_tails, want.orphan_tails);
    CHECK_EQ(got.n_1block, want.n_1block);
    CHECK_EQ(got.n_2block, want.n_2block);
    CHECK_EQ(got.max_alloc_blocks, want.max_alloc_blocks);
    CHECK_EQ(got.largest_free_blocks, want.largest_free_blocks);
    CHECK_EQ(got.largest_free_area, want.largest_free_area);
    CHECK_EQ(got.largest_free_block, want.largest_free_block);
    CHECK_EQ(got.free_runs, want.free_runs);
    CHECK_EQ(got.free_above_top_blocks, want.free_above_top_blocks);
    for (int k = 0; k < MPH_TYPE_COUNT; k++) {
        CHECK_EQ(got.by_type[k].allocs, want.by_type[k].allocs);
        CHECK_EQ(got.by_type[k].blocks, want.by_type[k].blocks);
    }
    for (int k = 0; k < MPH_HISTOGRAM_BUCKETS; k++) {
        CHECK_EQ(got.alloc_histogram[k], want.alloc_histogram[k]);
        CHECK_EQ(got.free_histogram[k], want.free_histogram[k]);
    }
}

TEST(stats_by_runs_equal_block_walk_random_heaps) {
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

TEST(stats_by_runs_equal_block_walk_samples) {
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
