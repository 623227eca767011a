/* The verdict and its window search, on hand-built maps whose answers are
 * known by construction, and on markers and MemoryError lines in logs. */
#include "harness.h"

#include <stdlib.h>

/* A v1.20+ dump of one or more areas; rows are given whole (64 cells). */
static mph_log *parse_text(const char *text) {
    mph_log *log = NULL;
    mph_error err = {0};
    if (mph_log_parse(text, strlen(text), NULL, &log, &err) != MPH_OK) {
        fprintf(stderr, "parse: %lu:%lu: %s\n", err.line, err.column, err.message);
        return NULL;
    }
    return log;
}

/* Build "GC memory layout; from BASE:" + rows of `cells` (a multiple of 64 long). */
static char *dump_of(const char *const *areas, const unsigned long *bases, size_t n_areas,
                     const char *header) {
    size_t cap = 1 << 20, len = 0;
    char *t = malloc(cap);
    len += (size_t)snprintf(t + len, cap - len, "%s", header ? header : "");
    for (size_t a = 0; a < n_areas; a++) {
        len += (size_t)snprintf(t + len, cap - len, "GC memory layout; from %lx:\n", bases[a]);
        size_t n = strlen(areas[a]);
        for (size_t i = 0; i < n; i += 64)
            len += (size_t)snprintf(t + len, cap - len, "%08zx: %.64s\n", i * 16, areas[a] + i);
    }
    return t;
}

/* A row of 64 cells from a pattern repeated. */
static void fill(char *row, const char *pattern, size_t n) {
    size_t k = strlen(pattern);
    for (size_t i = 0; i < n; i++)
        row[i] = pattern[i % k];
    row[n] = '\0';
}

static mph_verdict *verdict_of(const mph_log *log, uint64_t need) {
    mph_verdict *v = NULL;
    mph_error err = {0};
    if (!log || mph_verdict_new(mph_log_snapshot(log, 0), need, &v, &err) != MPH_OK)
        return NULL;
    return v;
}

TEST(verdict_single_blocker) {
    // 128 blocks: free 20, one 4-block allocation, free 40, then full. 50 blocks
    // fit only if that one allocation goes: a run of 64.
    char cells[129];
    fill(cells, "h=", 128);
    memset(cells, '.', 20);
    memcpy(cells + 20, "A===", 4);
    memset(cells + 24, '.', 40);
    const char *areas[] = {cells};
    unsigned long bases[] = {0x20000};
    char *text = dump_of(areas, bases, 1, NULL);
    mph_log *log = parse_text(text);
    mph_verdict *v = verdict_of(log, 50 * 16);
    CHECK(v != NULL);
    if (v) {
        CHECK_EQ(v->need_blocks, 50);
        CHECK(!v->fits_now);
        CHECK_EQ(v->largest.n_blocks, 40);
        CHECK_EQ(v->outcome, MPH_OUTCOME_MAY_AFTER_GC);
        CHECK_EQ(v->n_windows >= 1, 1);
        const mph_window *w = &v->windows[0];
        CHECK_EQ(w->n_blockers, 1);
        CHECK_EQ(w->blockers[0].address, 0x20000 + 20 * 16);
        CHECK_EQ(w->blockers[0].type, MPH_TYPE_ARRAY);
        CHECK_EQ(w->blockers[0].n_blocks, 4);
        CHECK_EQ(w->run.block, 0);
        CHECK_EQ(w->run.n_blocks, 64);
        // The windows after it free two allocations of 2 blocks (h=), fewer blocks than 4.
        for (size_t i = 1; i < v->n_windows; i++)
            CHECK(v->windows[i].n_blockers > 1);
    }
    mph_verdict_free(v);
    // A size that fits: first fit is the first run long enough, not the largest.
    v = verdict_of(log, 20 * 16);
    CHECK(v && v->fits_now && v->outcome == MPH_OUTCOME_FITS_NOW);
    if (v) {
        CHECK_EQ(v->first_fit.block, 0);
        CHECK_EQ(v->first_fit.n_blocks, 20);
        CHECK_EQ(v->n_windows, 0);
    }
    mph_verdict_free(v);
    mph_log_free(log);
    free(text);
}

TEST(verdict_equal_windows_and_none) {
    // Three equal places: free 30, a 2-block allocation, free 30; the rest full of 1-blocks.
    char cells[385];
    fill(cells, "h", 384);
    for (size_t k = 0; k < 3; k++) {
        size_t at = k * 128;
        memset(cells + at, '.', 30);
        memcpy(cells + at + 30, "L=", 2);
        memset(cells + at + 32, '.', 30);
    }
    const char *areas[] = {cells};
    unsigned long bases[] = {0x10000};
    char *text = dump_of(areas, bases, 1, NULL);
    mph_log *log = parse_text(text);
    mph_verdict *v = verdict_of(log, 60 * 16);
    CHECK(v != NULL);
    if (v) {
        CHECK(v->n_windows >= 3);
        for (size_t i = 3; i < v->n_windows; i++)
            CHECK(v->windows[i].n_blockers > 1); // the other places free more
        for (size_t i = 0; i < v->n_windows && i < 3; i++) {
            CHECK_EQ(v->windows[i].n_blockers, 1);
            CHECK_EQ(v->windows[i].blocker_blocks, 2);
            CHECK_EQ(v->windows[i].blockers[0].block, i * 128 + 30);
            CHECK_EQ(v->windows[i].run.n_blocks, 62);
        }
    }
    mph_verdict_free(v);
    // Larger than the whole area: no window at all.
    v = verdict_of(log, 400 * 16);
    CHECK(v && !v->fits_now && v->n_windows == 0 && v->largest_area_blocks == 384);
    mph_verdict_free(v);
    mph_log_free(log);
    free(text);
}

TEST(verdict_windows_stay_in_one_area) {
    // Two areas, each ending/starting with free blocks: 40 at the end of the
    // first, 40 at the start of the second. 60 blocks do not fit across them;
    // inside an area a window must free allocations.
    char a1[129], a2[129];
    fill(a1, "h", 128);
    memset(a1 + 88, '.', 40);
    fill(a2, "h", 128);
    memset(a2, '.', 40);
    memcpy(a2 + 40, "S=", 2);
    memset(a2 + 42, '.', 20);
    const char *areas[] = {a1, a2};
    unsigned long bases[] = {0x10000, 0x80000};
    char *text = dump_of(areas, bases, 2, NULL);
    mph_log *log = parse_text(text);
    mph_verdict *v = verdict_of(log, 60 * 16);
    CHECK(v != NULL);
    if (v) {
        CHECK(!v->fits_now);
        CHECK(v->n_windows >= 1);
        const mph_window *w = &v->windows[0];
        CHECK_EQ(w->run.area, 1);
        CHECK_EQ(w->n_blockers, 1);
        CHECK_EQ(w->blockers[0].address, 0x80000 + 40 * 16);
        CHECK_EQ(w->run.n_blocks, 62);
        for (size_t i = 0; i < v->n_windows; i++) {
            const mph_window *x = &v->windows[i];
            const mph_area *a = mph_snapshot_area(mph_log_snapshot(log, 0), x->run.area);
            CHECK(x->run.block + x->run.n_blocks <= a->n_blocks);
        }
    }
    mph_verdict_free(v);
    mph_log_free(log);
    free(text);
}

/* A brute force over every window start: the fewest allocations any window of
 * `need` blocks inside one area touches. */
static uint64_t brute_fewest(const mph_snapshot *s, uint64_t need) {
    uint64_t best = UINT64_MAX;
    for (size_t ai = 0; ai < mph_snapshot_area_count(s); ai++) {
        const mph_area *a = mph_snapshot_area(s, ai);
        for (size_t st = 0; st + need <= a->n_blocks; st++) {
            uint64_t n = 0;
            // Allocations touched: heads inside, plus the one the window starts in.
            if (a->cells[st] == '=')
                n++;
            for (size_t i = st; i < st + need; i++)
                n += a->cells[i] != '.' && a->cells[i] != '=';
            if (n < best)
                best = n;
        }
    }
    return best;
}

TEST(verdict_windows_match_brute_force) {
    srand(7);
    for (int round = 0; round < 200; round++) {
        size_t n = 64 * (size_t)(2 + rand() % 3); // two rows at least: the block size
        char cells[257];
        size_t i = 0;
        while (i < n) {
            size_t len = 1 + (size_t)(rand() % 9);
            if (len > n - i)
                len = n - i;
            if (rand() % 2) {
                memset(cells + i, '.', len);
            } else {
                cells[i] = "hTLDSA"[rand() % 6];
                memset(cells + i + 1, '=', len - 1);
            }
            i += len;
        }
        cells[n] = '\0';
        const char *areas[] = {cells};
        unsigned long bases[] = {0x4000};
        char *text = dump_of(areas, bases, 1, NULL);
        mph_log *log = parse_text(text);
        uint64_t need = 5 + (uint64_t)(rand() % 60);
        mph_verdict *v = verdict_of(log, need * 16);
        if (v && !v->fits_now) {
            uint64_t brute = brute_fewest(mph_log_snapshot(log, 0), need);
            if (brute == UINT64_MAX)
                CHECK_EQ(v->n_windows, 0);
            else if (v->n_windows)
                CHECK_EQ(v->windows[0].n_blockers, brute);
            else {
                fprintf(stderr, "need %llu in %s\n", (unsigned long long)need, cells);
                CHECK(!"no window found where one exists");
            }
            for (size_t w = 0; w < v->n_windows; w++)
                CHECK(v->windows[w].run.n_blocks >= need);
        } else {
            CHECK(v != NULL);
        }
        mph_verdict_free(v);
        mph_log_free(log);
        free(text);
    }
}

TEST(verdict_reads_markers_and_memory_errors) {
    char cells[129];
    fill(cells, "h=", 128);
    memset(cells + 10, '.', 8);
    const char *areas[] = {cells};
    unsigned long bases[] = {0x1000};
    char *map = dump_of(areas, bases, 1, NULL);
    char text[8192];
    snprintf(text, sizeof text,
             "=== mpheap 1/2: before @ 2026-12-03T10:00:00Z (after gc.collect()) ===\n%s"
             "Traceback (most recent call last):\n"
             "MemoryError: memory allocation failed, allocating 4096 bytes\n"
             "=== mpheap 2: fail: MemoryError: memory allocation failed, allocating 320 bytes ===\n%s"
             "=== plain ===\n%s",
             map, map, map);
    mph_log *log = parse_text(text);
    CHECK(log && mph_log_snapshot_count(log) == 3);
    if (log) {
        const mph_snapshot *s0 = mph_log_snapshot(log, 0), *s1 = mph_log_snapshot(log, 1),
                           *s2 = mph_log_snapshot(log, 2);
        CHECK(mph_snapshot_after_collect(s0));
        CHECK_STR(mph_snapshot_label(s0), "mpheap 1/2: before");
        CHECK_STR(mph_snapshot_time(s0), "2026-12-03T10:00:00Z");
        uint64_t bytes = 0;
        unsigned long line = 0;
        CHECK(mph_snapshot_failed_alloc(s0, &bytes, &line));
        CHECK_EQ(bytes, 4096);
        CHECK(mph_snapshot_failed_alloc(s1, &bytes, &line));
        CHECK_EQ(bytes, 320); // its own marker beats the traceback before it
        CHECK(!mph_snapshot_after_collect(s1));
        CHECK(!mph_snapshot_failed_alloc(s2, &bytes, &line));
        mph_verdict *v = verdict_of(log, 0);
        CHECK(v && v->need_source == MPH_NEED_LOG && v->need_bytes == 4096 && v->after_collect);
        if (v)
            CHECK_EQ(v->outcome, MPH_OUTCOME_FAILS); // after gc.collect(), no growth
        mph_verdict_free(v);
    }
    mph_log_free(log);
    free(map);
}

TEST(verdict_growth_rule) {
    char cells[65];
    fill(cells, "h", 64);
    memset(cells + 10, '.', 8);
    const char *areas[] = {cells};
    unsigned long bases[] = {0x1000};
    char *text = dump_of(areas, bases, 1,
                         "=== x (after gc.collect()) ===\nGC: total: 1024, used: 896, free: 128, "
                         "max new split: 10000\n No. of 1-blocks: 56, 2-blocks: 0, max blk sz: 1, "
                         "max free sz: 8\n");
    mph_log *log = parse_text(text);
    // 7,000 bytes need 7,000 + 2,048 <= 10,000: a new area can hold it.
    mph_verdict *v = verdict_of(log, 7000);
    CHECK(v && v->can_grow && v->fits_by_growing && v->grow_needed == 9048);
    if (v)
        CHECK_EQ(v->outcome, MPH_OUTCOME_FITS_BY_GROWING);
    mph_verdict_free(v);
    v = verdict_of(log, 8000); // 10,048 > 10,000
    CHECK(v && v->can_grow && !v->fits_by_growing && v->outcome == MPH_OUTCOME_FAILS);
    mph_verdict_free(v);
    // A size whose new area would pass 2^64 does not wrap around into "fits".
    v = verdict_of(log, UINT64_MAX - 100);
    CHECK(v && !v->fits_by_growing && v->grow_needed == UINT64_MAX);
    mph_verdict_free(v);
    mph_log_free(log);
    free(text);
}

TEST(verdict_header_only_and_partial) {
    const char *hdr = "GC: total: 102400, used: 51200, free: 51200\n"
                      " No. of 1-blocks: 100, 2-blocks: 10, max blk sz: 64, max free sz: 1000\n";
    mph_log *log = parse_text(hdr);
    CHECK(log && mph_log_snapshot_count(log) == 1);
    if (log) {
        const mph_snapshot *s = mph_log_snapshot(log, 0);
        CHECK(mph_snapshot_header_only(s));
        CHECK_EQ(mph_snapshot_block_size(s), 0); // 51200 is a multiple of 32: 16 or 32
        mph_verdict *v = verdict_of(log, 4096);
        CHECK(v && v->outcome == MPH_OUTCOME_UNKNOWN);
        mph_verdict_free(v);
    }
    mph_log_free(log);
    // Figures that rule out 32-byte blocks: 16.
    log = parse_text("GC: total: 102400, used: 51184, free: 51216\n"
                     " No. of 1-blocks: 100, 2-blocks: 10, max blk sz: 64, max free sz: 1000\n");
    if (log) {
        CHECK_EQ(mph_snapshot_block_size(mph_log_snapshot(log, 0)), 16);
        mph_verdict *v = verdict_of(log, 20000);
        CHECK(v && v->largest_from_header && v->largest.n_blocks == 1000 && !v->fits_now);
        mph_verdict_free(v);
        v = verdict_of(log, 16000);
        CHECK(v && v->fits_now);
        mph_verdict_free(v);
    } else {
        CHECK(!"header-only dump refused");
    }
    mph_log_free(log);
    // A map cut short: the header's max free sz decides.
    char cells[129];
    fill(cells, "h", 128);
    const char *areas[] = {cells};
    unsigned long bases[] = {0x1000};
    char *text = dump_of(areas, bases, 1,
                         "GC: total: 4096, used: 2048, free: 2048\n"
                         " No. of 1-blocks: 128, 2-blocks: 0, max blk sz: 1, max free sz: 128\n");
    log = parse_text(text);
    if (log) {
        const mph_snapshot *s = mph_log_snapshot(log, 0);
        CHECK(mph_snapshot_map_partial(s));
        mph_verdict *v = verdict_of(log, 128 * 16);
        CHECK(v && v->fits_now && v->largest_from_header);
        mph_verdict_free(v);
    }
    mph_log_free(log);
    free(text);
}
