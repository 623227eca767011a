/* The timeline's leak analysis decides which allocations of one snapshot are
 * gone in the next, and which of the next's continue one, from the two lists
 * of allocations alone (no cells of the older map are kept: issue 14, 8).
 * mph_diff_compute decides the same from both maps' cells. Held against each
 * other on every consecutive pair of the logs in tests/data, on snapshots of
 * different files, and on random maps made to differ the ways heaps do
 * (frees, growth, orphan tails, retyped heads, resized and moved areas). */
#include "harness.h"
#include "../../src/lib/analyses.h"

#include <stdlib.h>
#include <string.h>

static bool same_alloc_entry(const mph_alloc *a, const mph_alloc *b) {
    return a->area == b->area && a->block == b->block && a->n_blocks == b->n_blocks &&
           a->address == b->address && a->type == b->type && a->orphan == b->orphan;
}

static bool whole_map(const mph_snapshot *s) {
    return mph_snapshot_has_map(s) && !mph_snapshot_map_partial(s);
}

/* The timeline's decisions for o -> n equal the diff's; *why says the first
 * that does not. */
static bool match_is_diff(const mph_snapshot *o, const mph_snapshot *n, const char **why) {
    mph_diff *d = NULL;
    mph__allocs gone = {0}, kept = {0};
    bool ok = false;
    *why = "out of memory";
    if (mph_diff_compute(o, n, &d, NULL) != MPH_OK ||
        mph__timeline_match(o, n, &gone, &kept, NULL) != MPH_OK)
        goto done;
    *why = "gone: another count";
    if (gone.n != mph_diff_gone_count(d))
        goto done;
    *why = "gone: another allocation, or in another order";
    for (size_t i = 0; i < gone.n; i++)
        if (!same_alloc_entry(&gone.v[i], mph_diff_gone_at(d, i)))
            goto done;
    // Kept: NEW's allocations whose first block the diff classes KEPT, in order.
    *why = "kept: another allocation";
    size_t k = 0;
    mph_alloc_iter it;
    mph_alloc a;
    mph_alloc_iter_init(&it, n);
    while (mph_alloc_iter_next(&it, &a)) {
        long pi = mph__diff_pair_of_new(d, a.area);
        const mph_area_pair *p = pi >= 0 ? mph_diff_pair_at(d, (size_t)pi) : NULL;
        bool is_kept = p && p->old_area >= 0 && a.block < p->common_blocks &&
                       p->classes[a.block] == MPH_DIFF_KEPT;
        if (!is_kept)
            continue;
        if (k == kept.n || !same_alloc_entry(&kept.v[k], &a))
            goto done;
        k++;
    }
    *why = "kept: one the diff does not keep";
    ok = k == kept.n;
done:
    mph__allocs_fini(&gone);
    mph__allocs_fini(&kept);
    mph_diff_free(d);
    return ok;
}

static void check_pair(const mph_snapshot *o, const mph_snapshot *n, const char *where, size_t i,
                       size_t *pairs) {
    const char *why = NULL;
    bool ok = match_is_diff(o, n, &why);
    if (!ok)
        fprintf(stderr, "  %s, snapshots %zu -> %zu: %s\n", where, i + 1, i + 2, why);
    CHECK(ok);
    ++*pairs;
}

TEST(timeline_match_is_diff_on_tests_data) {
    static const char *const dirs[] = {"tests/data/samples", "tests/data/variants",
                                       "tests/data/variants/canon", "tests/data/malformed"};
    static char paths[512][256];
    size_t pairs = 0;
    size_t n = harness_list_txt(dirs, sizeof dirs / sizeof *dirs, paths, 512);
    if (n == 0) {
        harness_skip("tests/data is not here (run from the repository root)");
        return;
    }
    mph_log *prev_log = NULL;
    for (size_t f = 0; f < n; f++) {
        size_t len = 0;
        char *text = harness_read_file(paths[f], &len);
        mph_log *log = NULL;
        if (!text || mph_log_parse(text, len, NULL, &log, NULL) != MPH_OK) {
            free(text);
            continue;
        }
        size_t m = mph_log_snapshot_count(log);
        for (size_t i = 0; i + 1 < m; i++) {
            const mph_snapshot *o = mph_log_snapshot(log, i), *x = mph_log_snapshot(log, i + 1);
            if (whole_map(o) && whole_map(x))
                check_pair(o, x, paths[f], i, &pairs);
        }
        // Each map against itself (all kept), and the last of the file before
        // against this one's first: other builds, other addresses, other sizes.
        for (size_t i = 0; i < m; i++)
            if (whole_map(mph_log_snapshot(log, i)))
                check_pair(mph_log_snapshot(log, i), mph_log_snapshot(log, i), paths[f], i, &pairs);
        if (prev_log && m) {
            size_t last = mph_log_snapshot_count(prev_log) - 1;
            const mph_snapshot *o = mph_log_snapshot(prev_log, last);
            if (whole_map(o) && whole_map(mph_log_snapshot(log, 0)))
                check_pair(o, mph_log_snapshot(log, 0), paths[f], 0, &pairs);
        }
        mph_log_free(prev_log);
        prev_log = log;
        free(text);
    }
    mph_log_free(prev_log);
    CHECK(pairs >= 100);
}

/* ------------------------------------------------------- random heaps */

static unsigned long long rng_state;
static unsigned rnd(unsigned n) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((rng_state >> 33) % n);
}

static const char heads[] = "hTLDSAFBM";

static void random_cells(char *c, size_t n) {
    for (size_t i = 0; i < n;) {
        if (rnd(3) == 0) {
            c[i++] = '.';
            continue;
        }
        static const unsigned sizes[] = {1, 1, 1, 2, 3, 5, 9, 20};
        size_t k = sizes[rnd(8)];
        c[i++] = rnd(30) ? heads[rnd(9)] : '=';
        for (size_t j = 1; j < k && i < n; j++)
            c[i++] = '=';
    }
}

/* The ways a heap changes between two dumps, at random places. */
static void mutate(char *c, size_t n) {
    for (unsigned m = rnd(12); m--;) {
        size_t i = rnd((unsigned)n), e = i + 1;
        while (e < n && c[e] == '=')
            e++;
        switch (rnd(8)) {
        case 0: // free a run
            for (size_t j = i; j < e; j++)
                c[j] = '.';
            break;
        case 1: // grow: tails over what follows
            for (size_t j = e, k = 1 + rnd(4); j < n && k--; j++)
                c[j] = '=';
            break;
        case 2: // a head lost: orphan tails, or a tail more
            c[i] = rnd(2) ? '.' : '=';
            break;
        case 3: // retyped
            c[i] = heads[rnd(9)];
            break;
        case 4: // split
            if (e - i > 2)
                c[i + 1 + rnd((unsigned)(e - i - 2))] = rnd(2) ? '.' : heads[rnd(9)];
            break;
        case 5: // a new allocation
            c[i] = heads[rnd(9)];
            for (size_t j = i + 1, k = rnd(6); j < n && k--; j++)
                c[j] = '=';
            break;
        default: // any cell
            c[i] = "hTL.=.=."[rnd(8)];
            break;
        }
    }
}

/* A dump of areas (cells back to back, sizes in n[]) at bases: text for the parser. */
static size_t print_dump(char *out, size_t cap, const char *cells, const size_t *n,
                         const unsigned long *base, size_t areas) {
    size_t len = 0, total = 0, used = 0;
    for (size_t a = 0, at = 0; a < areas; at += n[a++])
        for (size_t i = 0; i < n[a]; i++, total++)
            used += cells[at + i] != '.';
    len += (size_t)snprintf(out + len, cap - len,
                            "=== dump ===\nGC: total: %zu, used: %zu, free: %zu\n", total * 16,
                            used * 16, (total - used) * 16);
    for (size_t a = 0, at = 0; a < areas; at += n[a++]) {
        len += (size_t)snprintf(out + len, cap - len, "GC memory layout; from %lx:\n", base[a]);
        for (size_t r = 0; r < n[a]; r += 64) {
            int w = (int)(n[a] - r < 64 ? n[a] - r : 64);
            len += (size_t)snprintf(out + len, cap - len, "%08zx: %.*s\n", r * 16, w,
                                    cells + at + r);
        }
    }
    return len;
}

TEST(timeline_match_is_diff_on_random_heaps) {
    enum { MAX_AREAS = 3, MAX_CELLS = 400 };
    static char text[2][MAX_AREAS * (MAX_CELLS * 2 + 200)];
    char cells[2][MAX_AREAS * MAX_CELLS];
    size_t pairs = 0;
    rng_state = 14;
    for (int round = 0; round < 3000; round++) {
        size_t areas = 1 + rnd(MAX_AREAS), n[2][MAX_AREAS];
        unsigned long base[2][MAX_AREAS];
        size_t len[2], total = 0;
        for (size_t a = 0; a < areas; a++) {
            n[0][a] = n[1][a] = 4 * (17 + rnd(MAX_CELLS / 4 - 17));
            base[0][a] = base[1][a] = 0x20000000ul + 0x10000ul * a;
            total += n[0][a];
        }
        random_cells(cells[0], total);
        memcpy(cells[1], cells[0], total);
        mutate(cells[1], total);
        // Now and then an area of another size, or at another address.
        size_t a = rnd((unsigned)areas);
        switch (rnd(8)) {
        case 0: {
            size_t was = n[1][a], now = 4 * (17 + rnd(MAX_CELLS / 4 - 17));
            size_t at = 0;
            for (size_t b = 0; b < a; b++)
                at += n[1][b];
            memmove(cells[1] + at + now, cells[1] + at + was, total - at - was);
            if (now > was)
                random_cells(cells[1] + at + was, now - was);
            n[1][a] = now;
            break;
        }
        case 1: base[1][a] += 0x800000; break;
        case 2:
            for (size_t b = 0; b < areas; b++)
                base[1][b] += 0x100000;
            break;
        }
        for (int side = 0; side < 2; side++)
            len[side] = print_dump(text[side], sizeof text[side], cells[side], n[side], base[side],
                                   areas);
        mph_log *lo = NULL, *ln = NULL;
        if (mph_log_parse(text[0], len[0], NULL, &lo, NULL) == MPH_OK &&
            mph_log_parse(text[1], len[1], NULL, &ln, NULL) == MPH_OK &&
            mph_log_snapshot_count(lo) == 1 && mph_log_snapshot_count(ln) == 1) {
            const char *why = NULL;
            bool ok = match_is_diff(mph_log_snapshot(lo, 0), mph_log_snapshot(ln, 0), &why);
            if (!ok)
                fprintf(stderr, "  round %d: %s\nOLD:\n%.*sNEW:\n%.*s", round, why, (int)len[0],
                        text[0], (int)len[1], text[1]);
            CHECK(ok);
            pairs++;
        }
        mph_log_free(lo);
        mph_log_free(ln);
    }
    // Nearly every random dump reads: else the test compares little.
    CHECK(pairs >= 2900);
}
