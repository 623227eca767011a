/* mph_stats_compute finds runs by their edges in 64-cell bit masks, and the
 * parser counts the header's figures with masks alone (figures.h); here a
 * plain walk, block by block, must give every figure they give, on random
 * heaps with every awkward shape: runs across 64-cell chunks, areas that end
 * inside a chunk or inside a run, tails with no head, all-free areas, cells
 * fed in pieces of any size. */
#include "harness.h"
#include "../../src/lib/figures.h"

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

/* The fields the figures cover (all but by_type and the histograms). */
static void compare_figures(const mph_stats *got, const mph_stats *want) {
    CHECK_EQ(got->total_blocks, want->total_blocks);
    CHECK_EQ(got->free_blocks, want->free_blocks);
    CHECK_EQ(got->used_blocks, want->used_blocks);
    CHECK_EQ(got->allocs, want->allocs);
    CHECK_EQ(got->orphan_tails, want->orphan_tails);
    CHECK_EQ(got->n_1block, want->n_1block);
    CHECK_EQ(got->n_2block, want->n_2block);
    CHECK_EQ(got->max_alloc_blocks, want->max_alloc_blocks);
    CHECK_EQ(got->largest_free_blocks, want->largest_free_blocks);
    CHECK_EQ(got->largest_free_area, want->largest_free_area);
    CHECK_EQ(got->largest_free_block, want->largest_free_block);
    CHECK_EQ(got->free_runs, want->free_runs);
    CHECK_EQ(got->free_above_top_blocks, want->free_above_top_blocks);
}

static void compare(const mph_snapshot *s) {
    mph_stats got, want, figures;
    reference(s, &want);
    // First the figures (the parser's, or computed when there are none), then the stats.
    mph__snapshot_figures(s, &figures);
    compare_figures(&figures, &want);
    CHECK(mph_stats_compute(s, MPH_ALL_AREAS, &got, NULL) == MPH_OK);
    compare_figures(&got, &want);
    for (int k = 0; k < MPH_TYPE_COUNT; k++) {
        CHECK_EQ(got.by_type[k].allocs, want.by_type[k].allocs);
        CHECK_EQ(got.by_type[k].blocks, want.by_type[k].blocks);
    }
    for (int k = 0; k < MPH_HISTOGRAM_BUCKETS; k++) {
        CHECK_EQ(got.alloc_histogram[k], want.alloc_histogram[k]);
        CHECK_EQ(got.free_histogram[k], want.free_histogram[k]);
    }
}

/* A snapshot of one to three areas of random cells, each `unit` times 1 to
 * `most` blocks long. Free s->cells when done. */
static void random_heap(mph_snapshot *s, mph_area areas[3], size_t unit, size_t most) {
    memset(s, 0, sizeof *s);
    s->n_areas = 1 + next() % 3;
    s->block_size = 16;
    size_t sizes[3], total = 0;
    for (size_t a = 0; a < s->n_areas; a++) {
        sizes[a] = unit * (1 + next() % most);
        total += sizes[a];
    }
    s->cells = malloc(total);
    fill(s->cells, total);
    size_t at = 0;
    for (size_t a = 0; a < s->n_areas; a++) {
        areas[a] = (mph_area){0x1000u * (a + 1), true, at, sizes[a], s->cells + at, 1};
        at += sizes[a];
    }
    s->areas = areas;
    s->n_blocks = total;
}

TEST(stats_by_runs_equal_block_walk_random_heaps) {
    for (int round = 0; round < 300; round++) {
        mph_snapshot s;
        mph_area areas[3];
        random_heap(&s, areas, 4, round < 100 ? 40 : 2000);
        // Now and then a whole area free, or full, or starting with a tail.
        if (round % 11 == 5)
            memset(s.cells, '.', areas[0].n_blocks);
        if (round % 13 == 7)
            s.cells[0] = '=';
        compare(&s);
        free(s.cells);
    }
}

/* The figures of one area fed in random pieces: rows of cells (1 to 64 at a
 * time, as short rows and damaged paths do) and stretches of free lines. */
static void feed_in_pieces(const char *cells, size_t n, size_t ai, mph_stats *st) {
    mph__figures f;
    memset(&f, 0, sizeof f);
    size_t i = 0;
    while (i < n) {
        size_t free_len = 0;
        while (i + free_len < n && cells[i + free_len] == '.')
            free_len++;
        if (free_len >= 64 && next() % 2) {
            uint64_t take = 1 + next() % free_len;
            mph__figures_feed_free(&f, take);
            i += (size_t)take;
            continue;
        }
        size_t take = 1 + next() % 64;
        if (take > n - i)
            take = n - i;
        mph__figures_feed(&f, cells + i, take);
        i += take;
    }
    mph__figures_finish(&f, cells, n, ai, st, 0, 0);
}

TEST(figures_fed_in_pieces_equal_block_walk) {
    for (int round = 0; round < 300; round++) {
        mph_snapshot s;
        mph_area areas[3];
        random_heap(&s, areas, 1, round < 100 ? 200 : 5000);
        if (round % 7 == 3) // long free stretches, as "lines all free"
            memset(s.cells + s.n_blocks / 4, '.', s.n_blocks / 2);
        if (round % 13 == 7)
            s.cells[0] = '=';
        mph_stats got, want;
        memset(&got, 0, sizeof got);
        for (size_t a = 0; a < s.n_areas; a++)
            feed_in_pieces(areas[a].cells, areas[a].n_blocks, a, &got);
        reference(&s, &want);
        compare_figures(&got, &want);
        free(s.cells);
    }
}

/* Full rows as MicroPython prints them, for the hot loop. */
static size_t print_rows(char *text, const char *cells, size_t rows, uint32_t first, uint32_t step) {
    size_t n = 0;
    for (size_t r = 0; r < rows; r++) {
        n += (size_t)sprintf(text + n, "%08x: ", (unsigned)(first + step * (uint32_t)r));
        memcpy(text + n, cells + 64 * r, 64);
        n += 64;
        text[n++] = '\n';
    }
    return n;
}

/* Each version of the hot loop takes the same rows, stops at the same
 * damage, and counts the same figures as a walk over the cells. */
TEST(rows_scan_versions_agree) {
    mph__rows_scan *versions[2] = {mph__rows_scan_generic, NULL};
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
        versions[1] = mph__rows_scan_avx2;
#endif
    if (!versions[1])
        harness_skip("this CPU has no AVX2: only the generic row scan is tested");
    enum { ROWS = 200 };
    static char cells[64 * ROWS], text[75 * ROWS + 1], copy[64 * ROWS];
    for (int round = 0; round < 60; round++) {
        fill(cells, sizeof cells);
        // Half the time every run shorter than 63: the longest then lie inside rows,
        // which the loop leaves to mph__figures_finish.
        for (size_t i = 49; round % 2 && i < sizeof cells; i += 50)
            cells[i] = 'h';
        size_t len = print_rows(text, cells, ROWS, 0xfffff000u, 0x800); // wraps past 2^32
        size_t damaged = ROWS;
        if (round % 3 == 1) { // a bad letter, a byte >= 0x80, or a wrong offset
            damaged = next() % ROWS;
            size_t at = 75 * damaged + (round % 2 ? 10 + next() % 64 : 3);
            text[at] = round % 4 == 1 ? 'x' : round % 4 == 3 ? (char)0xae : 'g';
        }
        for (int v = 0; v < 2 && versions[v]; v++) {
            mph__figures f;
            memset(&f, 0, sizeof f);
            memset(copy, 0, sizeof copy);
            mph__rows r = {.at = text, .end = text + len, .cells = copy, .room = sizeof copy,
                           .offset = 0xfffff000u, .step = 0x800, .figures = &f};
            versions[v](&r);
            CHECK_EQ(r.rows, damaged);
            CHECK_EQ(r.n_blocks, 64 * damaged);
            CHECK(r.at == text + 75 * damaged);
            CHECK(memcmp(copy, cells, 64 * damaged) == 0);
            mph_stats got, want;
            memset(&got, 0, sizeof got);
            mph__figures_finish(&f, copy, 64 * damaged, 0, &got, 0, 0);
            mph_snapshot s;
            memset(&s, 0, sizeof s);
            mph_area area = {0, false, 0, 64 * damaged, cells, 1};
            s.n_areas = 1;
            s.areas = &area;
            s.n_blocks = 64 * damaged;
            reference(&s, &want);
            compare_figures(&got, &want);
        }
    }
}

TEST(stats_by_runs_equal_block_walk_samples) {
    static const char *const names[] = {"u64-objects-256k.txt", "u32-frag-256k.txt",
                                        "u64split4-objects-64k.txt", "seq-leak-5snapshots.txt"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[256];
        snprintf(path, sizeof path, "tests/data/samples/%s", names[i]);
        size_t len;
        char *text = harness_read_file(path, &len);
        if (!text) {
            harness_skip("tests/data/samples is not here (run from the repository root)");
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

/* Rows after a short piece (a damaged or short row before them): the hot
 * loop's chunks are then off the area's grid of 64, and mph__figures_finish
 * must look at every run again, not only the runs inside its chunks. */
TEST(rows_scan_off_grid_agrees) {
    enum { ROWS = 120 };
    static char cells[64 * ROWS + 64], text[75 * ROWS + 1], copy[64 * ROWS + 64];
    mph__rows_scan *scan = mph__rows_scan_pick(false);
    for (int round = 0; round < 60; round++) {
        fill(cells, sizeof cells);
        // Every run shorter than 63, most of the time: the longest lie inside chunks.
        for (size_t i = 49; round % 4 && i < sizeof cells; i += 50)
            cells[i] = 'h';
        size_t k = round % 8 ? 1 + next() % 63 : 64; // 64: on the grid after all
        size_t len = print_rows(text, cells + k, ROWS, 0, 0x400);
        mph__figures f;
        memset(&f, 0, sizeof f);
        memcpy(copy, cells, k);
        mph__figures_feed(&f, copy, k);
        mph__rows r = {.at = text, .end = text + len, .cells = copy, .n_blocks = k,
                       .room = sizeof copy, .offset = 0, .step = 0x400, .figures = &f};
        scan(&r);
        CHECK_EQ(r.rows, ROWS);
        CHECK(memcmp(copy, cells, k + 64 * ROWS) == 0);
        CHECK_EQ(f.off_grid, k != 64);
        mph_stats got, want;
        memset(&got, 0, sizeof got);
        mph__figures_finish(&f, copy, k + 64 * ROWS, 0, &got, 0, 0);
        mph_snapshot s;
        memset(&s, 0, sizeof s);
        mph_area area = {0, false, 0, k + 64 * ROWS, cells, 1};
        s.n_areas = 1;
        s.areas = &area;
        s.n_blocks = k + 64 * ROWS;
        reference(&s, &want);
        compare_figures(&got, &want);
    }
}

/* A split heap read by the parser, whose areas have only runs shorter than
 * 63 but, now and then, one area a longer free run or allocation: once an
 * area shows one, the runs inside the others' chunks are not looked for
 * (they cannot be the longest), and with none, they are. Either way the
 * figures are a block-by-block walk's. */
TEST(figures_split_heap_short_areas) {
    enum { ROWS = 64, AREAS = 3 };
    static char cells[AREAS][64 * ROWS], text[AREAS * (75 * ROWS + 64)];
    for (int round = 0; round < 60; round++) {
        size_t n = 0;
        for (int a = 0; a < AREAS; a++) {
            fill(cells[a], sizeof cells[a]);
            for (size_t i = 24; i < sizeof cells[a]; i += 25) // every run shorter than 25
                cells[a][i] = 'h';
            // The longest of the short ones inside a chunk, touching neither end: only a
            // look inside the chunks finds them.
            if (round % AREAS == a) {
                memset(cells[a] + 64 * 10 + 12, '.', 40);
                cells[a][64 * 10 + 52] = 'h';
            }
            if ((round + 1) % AREAS == a) {
                cells[a][64 * 20 + 11] = '.';
                cells[a][64 * 20 + 12] = 'h';
                memset(cells[a] + 64 * 20 + 13, '=', 39);
                cells[a][64 * 20 + 52] = 'h';
            }
            if (round % 4 == a) // a long free run in this area
                memset(cells[a] + 1000 + round, '.', 60 + (size_t)round);
            if (round % 5 == a) { // a long allocation in this area
                cells[a][2000 + round] = 'h';
                memset(cells[a] + 2001 + round, '=', 55 + (size_t)round);
            }
            n += (size_t)sprintf(text + n, "GC memory layout; from %x:\n", 0x10000000u * (unsigned)(a + 1));
            n += print_rows(text + n, cells[a], ROWS, 0, 0x400);
        }
        mph_log *log = NULL;
        CHECK(mph_log_parse(text, n, NULL, &log, NULL) == MPH_OK);
        CHECK(log && mph_log_snapshot_count(log) == 1);
        if (log && mph_log_snapshot_count(log) == 1) {
            const mph_snapshot *s = mph_log_snapshot(log, 0);
            CHECK_EQ(s->n_areas, AREAS);
            compare(s);
        }
        mph_log_free(log);
    }
}

/* Long runs of free cells and of tails, printed as rows and as "lines all
 * free", fed to the parser in pieces of any size: the parser notes the long
 * stretches it saw (where each piece ended) and the stats walk crosses them
 * unread; the figures must be a block-by-block walk's all the same. */
TEST(stats_cross_the_parsers_stretches) {
    enum { ROWS = 1200 };
    static char cells[64 * ROWS], text[80 * ROWS + 4096];
    size_t noted = 0;
    for (int round = 0; round < 40; round++) {
        fill(cells, sizeof cells);
        // A few long runs, each ending anywhere in a row.
        for (int r = 0; r < 4; r++) {
            size_t at = 64 + next() % (sizeof cells - 30000), len = 4000 + next() % 20000;
            bool tails = next() % 2;
            if (tails)
                cells[at - 1] = "TLDSAFBMhm"[next() % 10];
            memset(cells + at, tails ? '=' : '.', len);
        }
        // A run of one kind right after a run of the other, meeting at a chunk's edge:
        // the walk, inside the first, must not cross the second's stretch.
        // (The first: one chunk and a little, so that its first whole chunk is the last.)
        if (round % 2) {
            size_t at = 64 * (100 + next() % (ROWS - 300)), first = 65 + next() % 63;
            cells[at - first - 1] = 'h';
            memset(cells + at - first, round % 4 == 1 ? '=' : '.', first);
            memset(cells + at, round % 4 == 1 ? '.' : '=', 6000);
        }
        size_t n = (size_t)sprintf(text, "GC memory layout; from 10000000:\n");
        for (size_t r = 0; r < ROWS;) {
            // Free rows in a row: now and then "(N lines all free)", as MicroPython prints them.
            size_t k = 0;
            while (r + k < ROWS && mph__run_length(cells + 64 * (r + k), 64, 0, '.') == 64)
                k++;
            if (k >= 2 && round % 2) {
                n += (size_t)sprintf(text + n, "%08x: ", (unsigned)(r * 0x400));
                memcpy(text + n, cells + 64 * r, 64);
                n += 64;
                text[n++] = '\n';
                if (k >= 3) {
                    n += (size_t)sprintf(text + n, "       (%zu lines all free)\n", k - 2);
                }
                n += print_rows(text + n, cells + 64 * (r + k - 1), 1, (uint32_t)((r + k - 1) * 0x400), 0x400);
                r += k;
                continue;
            }
            n += print_rows(text + n, cells + 64 * r, 1, (uint32_t)(r * 0x400), 0x400);
            r++;
        }
        mph_parser *p = mph_parser_new(NULL);
        mph_error err;
        memset(&err, 0, sizeof err);
        bool ok = p != NULL;
        for (size_t at = 0; ok && at < n;) {
            size_t piece = 1 + next() % (round % 3 ? 200000 : 3000);
            if (piece > n - at)
                piece = n - at;
            ok = mph_parser_feed(p, text + at, piece, &err) == MPH_OK;
            at += piece;
        }
        mph_log *log = NULL;
        ok = ok && mph_parser_finish(p, &log, &err) == MPH_OK;
        CHECK(ok);
        if (ok && mph_log_snapshot_count(log) == 1) {
            const mph_snapshot *s = mph_log_snapshot(log, 0);
            CHECK_EQ(s->n_blocks, 64 * ROWS);
            CHECK(memcmp(s->cells, cells, sizeof cells) == 0);
            noted += s->n_stretches;
            for (size_t i = 0; i < s->n_stretches; i++) { // each truly one kind of cell
                const mph__stretch *st = &s->stretches[i];
                CHECK(st->end - st->start >= MPH__STRETCH_MIN);
                CHECK(mph__run_length(s->cells, st->end, st->start, st->c) == st->end - st->start);
            }
            compare(s);
            mph_stats_report *r = NULL;
            CHECK(mph_stats_report_new(s, NULL, 0, &r, NULL) == MPH_OK);
            mph_stats want;
            reference(s, &want);
            if (r)
                compare_figures(&r->total.stats, &want);
            mph_stats_report_free(r);
        }
        mph_log_free(log);
        mph_parser_free(p);
    }
    CHECK(noted >= 40); // the stretches were there to cross
}
