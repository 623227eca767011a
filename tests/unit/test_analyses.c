/* The analyses (stats report, diff, timeline, check) against independent
 * recomputations: every figure is recomputed here in a different way (per
 * block, through an owner table, with no run scanning) and compared field by
 * field, on the real samples and on random heaps. */
#include "harness.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define SAMPLES "tests/data/samples/"

/* ---------------------------------------------------------------- helpers */

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void put(text *t, const char *s, size_t n) {
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *x = realloc(t->s, cap);
        if (!x)
            abort();
        t->s = x;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void puts_(text *t, const char *s) { put(t, s, strlen(s)); }

/* A dump as MicroPython prints it: GC line, one layout per area, 64-cell rows. */
static void dump(text *t, const char *label, size_t n_areas, const char *const *cells,
                 const uint64_t *bases, unsigned bpb) {
    char line[160];
    size_t total = 0, used = 0;
    for (size_t a = 0; a < n_areas; a++)
        for (const char *c = cells[a]; *c; c++) {
            total++;
            used += *c != '.';
        }
    if (label) {
        snprintf(line, sizeof line, "=== %s ===\n", label);
        puts_(t, line);
    }
    snprintf(line, sizeof line, "GC: total: %zu, used: %zu, free: %zu\n", total * bpb, used * bpb,
             (total - used) * bpb);
    puts_(t, line);
    for (size_t a = 0; a < n_areas; a++) {
        snprintf(line, sizeof line, "GC memory layout; from %llx:", (unsigned long long)bases[a]);
        puts_(t, line);
        size_t n = strlen(cells[a]);
        for (size_t r = 0; r < n; r += 64) {
            snprintf(line, sizeof line, "\n%08zx: ", r * bpb);
            puts_(t, line);
            put(t, cells[a] + r, n - r < 64 ? n - r : 64);
        }
        puts_(t, "\n");
    }
}

static mph_log *parse_text(const char *s, size_t len) {
    mph_log *log = NULL;
    mph_error err = {0};
    if (mph_log_parse(s, len, NULL, &log, &err) != MPH_OK) {
        char d[400];
        snprintf(d, sizeof d, "%lu:%lu: %s", err.line, err.column, err.message);
        harness_check(0, __FILE__, __LINE__, "parse", d);
        return NULL;
    }
    return log;
}

static mph_log *parse_sample(const char *name) {
    char path[256];
    snprintf(path, sizeof path, SAMPLES "%s", name);
    size_t len;
    char *s = harness_read_file(path, &len);
    if (!s) {
        harness_skip("tests/data/samples is not here (run from the repository root)");
        return NULL;
    }
    mph_log *log = parse_text(s, len);
    free(s);
    return log;
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static size_t rnd_below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

static const char heads[] = "TLDSAFBMh";

/* Random cells: a multiple of 4 blocks, allocations of mixed sizes, free runs. */
static char *random_cells(size_t n) {
    char *c = malloc(n + 1);
    size_t i = 0;
    while (i < n) {
        if (rnd_below(3) == 0) {
            size_t run = 1 + rnd_below(rnd_below(8) == 0 ? 300 : 20);
            for (size_t k = 0; k < run && i < n; k++)
                c[i++] = '.';
            continue;
        }
        static const size_t sizes[] = {1, 1, 1, 2, 2, 3, 5, 8, 17, 64, 130};
        size_t len = sizes[rnd_below(sizeof sizes / sizeof *sizes)];
        c[i++] = heads[rnd_below(9)];
        for (size_t k = 1; k < len && i < n; k++)
            c[i++] = '=';
    }
    c[n] = '\0';
    return c;
}

/* ---------------------------------------------- reference stats, per block */

typedef struct ref_part {
    uint64_t total, used, free_, allocs, orphans, n1, n2, max_alloc, largest, runs, above_top;
    size_t largest_area, largest_block;
    uint64_t type_allocs[MPH_TYPE_COUNT], type_blocks[MPH_TYPE_COUNT];
    uint64_t ahist[MPH_HISTOGRAM_BUCKETS], ahist_blocks[MPH_HISTOGRAM_BUCKETS];
    uint64_t fhist[MPH_HISTOGRAM_BUCKETS], fhist_blocks[MPH_HISTOGRAM_BUCKETS];
    uint64_t fit[MPH_FIT_MAX];
} ref_part;

static unsigned ref_bucket(uint64_t len) {
    unsigned k = 0;
    while (k + 1 < MPH_HISTOGRAM_BUCKETS && (UINT64_C(2) << k) <= len)
        k++;
    return k;
}

/* owner[b] = first block of the allocation or free run holding b. */
static void ref_area(const mph_area *a, size_t ai, const uint64_t *fit_blocks, size_t n_fit,
                     ref_part *r) {
    size_t n = a->n_blocks;
    size_t *owner = malloc((n ? n : 1) * sizeof *owner);
    uint64_t *len = calloc(n ? n : 1, sizeof *len);
    for (size_t b = 0; b < n; b++) {
        char c = a->cells[b];
        bool joins = b > 0 && ((c == '.' && a->cells[b - 1] == '.') ||
                               (c == '=' && a->cells[b - 1] != '.'));
        owner[b] = joins ? owner[b - 1] : b;
        len[owner[b]]++;
    }
    size_t last_used = 0;
    r->total += n;
    for (size_t b = 0; b < n; b++) {
        if (a->cells[b] != '.')
            last_used = b + 1;
        if (owner[b] != b)
            continue;
        uint64_t l = len[b];
        if (a->cells[b] == '.') {
            r->free_ += l;
            r->runs++;
            r->fhist[ref_bucket(l)]++;
            r->fhist_blocks[ref_bucket(l)] += l;
            if (l > r->largest) {
                r->largest = l;
                r->largest_area = ai;
                r->largest_block = b;
            }
            for (size_t f = 0; f < n_fit; f++)
                r->fit[f] += fit_blocks[f] ? l / fit_blocks[f] : 0;
        } else {
            r->used += l;
            r->allocs++;
            r->orphans += a->cells[b] == '=';
            int t = mph_type_of_cell(a->cells[b]);
            t = t < 0 ? MPH_TYPE_OTHER : t;
            r->type_allocs[t]++;
            r->type_blocks[t] += l;
            r->n1 += l == 1;
            r->n2 += l == 2;
            r->max_alloc = l > r->max_alloc ? l : r->max_alloc;
            r->ahist[ref_bucket(l)]++;
            r->ahist_blocks[ref_bucket(l)] += l;
        }
    }
    r->above_top += n - last_used;
    free(owner);
    free(len);
}

static void compare_part(const ref_part *r, const mph_stats_part *p, unsigned bpb,
                         const mph_snapshot *s, size_t n_fit) {
    const mph_stats *st = &p->stats;
    CHECK_EQ(st->total_blocks, r->total);
    CHECK_EQ(st->used_blocks, r->used);
    CHECK_EQ(st->free_blocks, r->free_);
    CHECK_EQ(st->allocs, r->allocs);
    CHECK_EQ(st->orphan_tails, r->orphans);
    CHECK_EQ(st->n_1block, r->n1);
    CHECK_EQ(st->n_2block, r->n2);
    CHECK_EQ(st->max_alloc_blocks, r->max_alloc);
    CHECK_EQ(st->largest_free_blocks, r->largest);
    CHECK_EQ(st->free_runs, r->runs);
    CHECK_EQ(st->free_above_top_blocks, r->above_top);
    if (r->largest) {
        CHECK_EQ(st->largest_free_area, r->largest_area);
        CHECK_EQ(st->largest_free_block, r->largest_block);
        const mph_area *a = mph_snapshot_area(s, r->largest_area);
        uint64_t addr = a->has_base && bpb ? a->base + r->largest_block * bpb : 0;
        CHECK_EQ(st->largest_free_address, addr);
    }
    double frag = r->free_ ? 1.0 - (double)r->largest / (double)r->free_ : 0.0;
    CHECK(fabs(st->fragmentation - frag) < 1e-12);
    for (int t = 0; t < MPH_TYPE_COUNT; t++) {
        CHECK_EQ(st->by_type[t].allocs, r->type_allocs[t]);
        CHECK_EQ(st->by_type[t].blocks, r->type_blocks[t]);
    }
    for (unsigned k = 0; k < MPH_HISTOGRAM_BUCKETS; k++) {
        CHECK_EQ(st->alloc_histogram[k], r->ahist[k]);
        CHECK_EQ(p->alloc_histogram_blocks[k], r->ahist_blocks[k]);
        CHECK_EQ(st->free_histogram[k], r->fhist[k]);
        CHECK_EQ(p->free_histogram_blocks[k], r->fhist_blocks[k]);
    }
    for (size_t f = 0; f < n_fit; f++)
        CHECK_EQ(p->fit_count[f], r->fit[f]);
}

static void check_report_fits(const mph_snapshot *s, const uint64_t *fits, size_t n_fit) {
    mph_stats_report *r = NULL;
    CHECK(mph_stats_report_new(s, fits, n_fit, &r, NULL) == MPH_OK);
    if (!r)
        return;
    unsigned bpb = mph_snapshot_block_size(s);
    uint64_t fit_blocks[MPH_FIT_MAX];
    for (size_t f = 0; f < n_fit; f++) {
        fit_blocks[f] = 0;
        // The smallest block count whose bytes hold the buffer.
        if (bpb)
            while (fit_blocks[f] * bpb < fits[f])
                fit_blocks[f]++;
        CHECK_EQ(r->fit_blocks[f], fit_blocks[f]);
    }
    ref_part total;
    memset(&total, 0, sizeof total);
    CHECK_EQ(r->n_areas, mph_snapshot_area_count(s));
    for (size_t i = 0; i < mph_snapshot_area_count(s); i++) {
        ref_part one;
        memset(&one, 0, sizeof one);
        ref_area(mph_snapshot_area(s, i), i, fit_blocks, n_fit, &one);
        compare_part(&one, &r->areas[i], bpb, s, n_fit);
        ref_area(mph_snapshot_area(s, i), i, fit_blocks, n_fit, &total);
    }
    compare_part(&total, &r->total, bpb, s, n_fit);
    // The library's own single-size fit agrees with the report's.
    for (size_t f = 0; f < n_fit; f++)
        CHECK_EQ(mph_stats_fit_count(s, fits[f]), r->total.fit_count[f]);
    mph_stats_report_free(r);
}

static void check_report(const mph_snapshot *s) {
    static const uint64_t fits[] = {1, 16, 100, 1024, 4096, 65536};
    check_report_fits(s, fits, sizeof fits / sizeof *fits);
}

/* mph_stats_compute's walk (no blocks per bucket, no fits) against the
 * reference, on a snapshot nothing has summed up yet. */
static void check_compute(const mph_snapshot *s) {
    mph_stats st;
    CHECK(mph_stats_compute(s, MPH_ALL_AREAS, &st, NULL) == MPH_OK);
    ref_part ref;
    memset(&ref, 0, sizeof ref);
    for (size_t i = 0; i < mph_snapshot_area_count(s); i++)
        ref_area(mph_snapshot_area(s, i), i, NULL, 0, &ref);
    mph_stats_part part;
    memset(&part, 0, sizeof part);
    part.stats = st;
    // The blocks per bucket are the report's only: the reference's are copied.
    memcpy(part.alloc_histogram_blocks, ref.ahist_blocks, sizeof ref.ahist_blocks);
    memcpy(part.free_histogram_blocks, ref.fhist_blocks, sizeof ref.fhist_blocks);
    compare_part(&ref, &part, mph_snapshot_block_size(s), s, 0);
}

TEST(stats_report_samples) {
    static const char *const names[] = {"u64-objects-256k.txt", "u32-frag-256k.txt",
                                        "u64split4-objects-64k.txt", "seq-leak-5snapshots.txt",
                                        "seq-repl-tty-2snapshots.txt", "u64-fresh-2M-default.txt"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        mph_log *log = parse_sample(names[i]);
        if (!log)
            return;
        for (size_t k = 0; k < mph_log_snapshot_count(log); k++)
            check_report(mph_log_snapshot(log, k));
        mph_log_free(log);
    }
}

TEST(stats_report_random_heaps) {
    // No fit size, or one no run inside a chunk of 64 reaches: the walk then counts
    // those runs by length from the masks (stats.c, inner_counts), not one by one.
    static const uint64_t big_fit[] = {65536};
    for (int round = 0; round < 60; round++) {
        size_t n_areas = 1 + rnd_below(3);
        char *cells[3];
        uint64_t bases[3];
        for (size_t a = 0; a < n_areas; a++) {
            // Now and then an area the walk cuts in two (256 Ki blocks and more).
            size_t n = round % 20 == 9 && a == 0 ? (300u << 10) : 4 * (1 + rnd_below(700));
            cells[a] = random_cells(n);
            bases[a] = 0x20000000u + a * 0x1000000u + 16 * rnd_below(1000);
        }
        // An orphan tail at the start of an area (a damaged dump) now and then, and
        // tails after free space in the middle.
        if (round % 7 == 3)
            cells[0][0] = '=';
        if (round % 5 == 2)
            for (size_t b = 1; cells[0][b]; b++)
                if (cells[0][b - 1] == '.' && cells[0][b] == '.' && rnd_below(16) == 0)
                    cells[0][b] = '=';
        text t = {0};
        dump(&t, NULL, n_areas, (const char *const *)cells, bases, round % 2 ? 16 : 32);
        mph_log *log = parse_text(t.s, t.len);
        if (log) {
            check_compute(mph_log_snapshot(log, 0));
            mph_log_free(log);
        }
        log = parse_text(t.s, t.len);
        if (log) {
            if (round % 3 == 0)
                check_report(mph_log_snapshot(log, 0));
            else
                check_report_fits(mph_log_snapshot(log, 0), big_fit, round % 3 == 1);
            mph_log_free(log);
        }
        free(t.s);
        for (size_t a = 0; a < n_areas; a++)
            free(cells[a]);
    }
}

/* Runs of 63 inside one chunk of 64 (after a head on the chunk before's last
 * cell), where the longest so far is 62 or 63 long: the walk must look at
 * them one by one there (stats.c, the inner runs), not count them by level. */
static char *put_run(char *c, char cell, size_t n) {
    memset(c, cell, n);
    return c + n;
}

TEST(stats_runs_of_63_inside_a_chunk) {
    char area[5 * 64 + 1], *c = area;
    c = put_run(put_run(put_run(c, 'h', 1), '=', 62), 'T', 1); // 63 blocks; T heads the next
    c = put_run(put_run(c, '=', 63), 'S', 1);                  // T's 63 tails: 64 blocks
    c = put_run(put_run(put_run(c, '.', 62), 'A', 1), 'L', 1); // free 62
    c = put_run(put_run(c, '.', 63), 'D', 1);                  // free 63, after L
    c = put_run(put_run(put_run(c, 'h', 1), '=', 10), '.', 53);
    *c = '\0';
    CHECK_EQ(strlen(area), 5 * 64);
    const char *cells[] = {area};
    uint64_t base = 0x3f000000;
    text t = {0};
    dump(&t, NULL, 1, cells, &base, 16);
    for (int pass = 0; pass < 3; pass++) {
        mph_log *log = parse_text(t.s, t.len);
        if (!log)
            break;
        if (pass == 0)
            check_compute(mph_log_snapshot(log, 0));
        else if (pass == 1)
            check_report_fits(mph_log_snapshot(log, 0), NULL, 0);
        else
            check_report(mph_log_snapshot(log, 0));
        mph_log_free(log);
    }
    free(t.s);
}

/* A small heap counted by hand: 2 areas of 8 blocks, 16-byte blocks.
 * area 1: "h=S..L=="  area 2: "....T..."  */
TEST(stats_report_hand_counted) {
    const char *cells[] = {"h=S..L==", "....T..."};
    uint64_t bases[] = {0x1000, 0x2000};
    text t = {0};
    dump(&t, NULL, 2, cells, bases, 16);
    mph_log *log = parse_text(t.s, t.len);
    free(t.s);
    if (!log)
        return;
    const mph_snapshot *s = mph_log_snapshot(log, 0);
    uint64_t fit = 48; // 3 blocks
    mph_stats_report *r = NULL;
    CHECK(mph_stats_report_new(s, &fit, 1, &r, NULL) == MPH_OK);
    if (r) {
        const mph_stats *st = &r->total.stats;
        CHECK_EQ(st->total_blocks, 16);
        CHECK_EQ(st->used_blocks, 7);
        CHECK_EQ(st->free_blocks, 9);
        CHECK_EQ(st->allocs, 4);
        CHECK_EQ(st->largest_free_blocks, 4); // area 2 blocks 0-3
        CHECK_EQ(st->largest_free_area, 1);
        CHECK_EQ(st->largest_free_address, 0x2000);
        CHECK_EQ(st->free_above_top_blocks, 0 + 3);
        CHECK_EQ(st->free_runs, 3);
        CHECK(fabs(st->fragmentation - 5.0 / 9.0) < 1e-12); // 1 - 4/9
        CHECK_EQ(st->by_type[MPH_TYPE_LIST].blocks, 3);
        CHECK_EQ(st->alloc_histogram[0], 2);        // S, T
        CHECK_EQ(r->total.alloc_histogram_blocks[1], 5); // h= and L==
        CHECK_EQ(r->total.fit_count[0], 2);         // runs of 2, 4, 3 blocks
        CHECK_EQ(r->areas[0].fit_count[0], 0);
        mph_stats_report_free(r);
    }
    mph_log_free(log);
}

/* -------------------------------------------------- reference diff, per block */

typedef struct ref_alloc {
    size_t start, len;
    char head;
} ref_alloc;

typedef struct mph__sized_ref {
    uint64_t n_blocks;
    size_t index;
} mph__sized_ref;

/* Allocation of each block: its start and length; (size_t)-1 for free. */
static void owners(const char *c, size_t n, size_t *start, size_t *len) {
    for (size_t b = 0; b < n; b++) {
        if (c[b] == '.')
            start[b] = (size_t)-1;
        else if (c[b] == '=' && b > 0 && c[b - 1] != '.')
            start[b] = start[b - 1];
        else
            start[b] = b;
    }
    for (size_t b = 0; b < n; b++)
        len[b] = 0;
    for (size_t b = 0; b < n; b++)
        if (start[b] != (size_t)-1)
            len[start[b]]++;
}

/* Diff one pair the slow way and compare classes and lists with the library. */
static void check_pair(const mph_diff *d, const mph_area_pair *p, const mph_snapshot *O,
                       const mph_snapshot *N, uint64_t *new_seen, uint64_t *gone_seen) {
    const mph_area *oa = p->old_area >= 0 ? mph_snapshot_area(O, (size_t)p->old_area) : NULL;
    const mph_area *na = p->new_area >= 0 ? mph_snapshot_area(N, (size_t)p->new_area) : NULL;
    size_t no = oa ? oa->n_blocks : 0, nn = na ? na->n_blocks : 0, n = no > nn ? no : nn;
    CHECK_EQ(p->n_blocks, n);
    size_t *os = malloc((no + 1) * sizeof *os), *ol = malloc((no + 1) * sizeof *ol);
    size_t *ns = malloc((nn + 1) * sizeof *ns), *nl = malloc((nn + 1) * sizeof *nl);
    if (oa)
        owners(oa->cells, no, os, ol);
    if (na)
        owners(na->cells, nn, ns, nl);
    uint64_t counts[MPH_DIFF_CLASS_COUNT] = {0};
    for (size_t b = 0; b < n; b++) {
        bool ou = b < no && oa->cells[b] != '.', nu = b < nn && na->cells[b] != '.';
        int want;
        if (!ou && !nu)
            want = MPH_DIFF_FREE;
        else if (ou && !nu)
            want = MPH_DIFF_FREED;
        else if (!ou)
            want = MPH_DIFF_ALLOCATED;
        else {
            size_t s1 = os[b], s2 = ns[b];
            bool same = s1 == s2 && ol[s1] == nl[s2] && oa->cells[s1] == na->cells[s2];
            want = same ? MPH_DIFF_KEPT : MPH_DIFF_REUSED;
        }
        counts[want]++;
        if (p->classes[b] != want) {
            char m[120];
            snprintf(m, sizeof m, "block %zu: class %d, expected %d", b, p->classes[b], want);
            harness_check(0, __FILE__, __LINE__, "diff class", m);
            break;
        }
    }
    for (int c = 0; c < MPH_DIFF_CLASS_COUNT; c++)
        CHECK_EQ(p->blocks[c], counts[c]);
    // Every allocation of one side that the other lacks is in the list, and nothing else.
    for (int side = 0; side < 2; side++) {
        const mph_area *x = side ? na : oa, *y = side ? oa : na;
        size_t nx = side ? nn : no, ny = side ? no : nn;
        size_t *xs = side ? ns : os, *xl = side ? nl : ol, *ys = side ? os : ns,
               *yl = side ? ol : nl;
        for (size_t b = 0; x && b < nx; b++) {
            if (xs[b] != b)
                continue;
            bool in_other = y && b < ny && ys[b] == b && yl[b] == xl[b] &&
                            y->cells[b] == x->cells[b];
            if (in_other)
                continue;
            // Find it in the library's list.
            size_t count = side ? mph_diff_new_count(d) : mph_diff_gone_count(d);
            long area = side ? p->new_area : p->old_area;
            bool found = false;
            for (size_t i = 0; i < count && !found; i++) {
                const mph_alloc *al = side ? mph_diff_new_at(d, i) : mph_diff_gone_at(d, i);
                found = (long)al->area == area && al->block == b && al->n_blocks == xl[b];
            }
            if (!found) {
                char m[120];
                snprintf(m, sizeof m, "%s allocation at block %zu (%zu blocks) not listed",
                         side ? "new" : "gone", b, xl[b]);
                harness_check(0, __FILE__, __LINE__, "diff list", m);
            }
            (side ? new_seen : gone_seen)[0]++;
        }
    }
    free(os);
    free(ol);
    free(ns);
    free(nl);
}

/* mph_diff_largest against a sort of the whole list: largest first, equal
 * sizes in list order, for k within what the walk ranks, at its edge and
 * beyond it (the whole list). */
static void check_ranking(const mph_diff *d, bool gone) {
    size_t n = gone ? mph_diff_gone_count(d) : mph_diff_new_count(d);
    mph__sized_ref *want = malloc((n + 1) * sizeof *want);
    for (size_t i = 0; i < n; i++) {
        const mph_alloc *a = gone ? mph_diff_gone_at(d, i) : mph_diff_new_at(d, i);
        want[i] = (mph__sized_ref){a->n_blocks, i};
    }
    // Insertion sort: an independent (stable) order.
    for (size_t i = 1; i < n; i++) {
        mph__sized_ref x = want[i];
        size_t j = i;
        while (j > 0 && want[j - 1].n_blocks < x.n_blocks) {
            want[j] = want[j - 1];
            j--;
        }
        want[j] = x;
    }
    const size_t ks[] = {1, 7, MPH_DIFF_RANKED - 1, MPH_DIFF_RANKED, MPH_DIFF_RANKED + 1, n};
    size_t *got = malloc((n + 2) * sizeof *got);
    for (size_t q = 0; q < sizeof ks / sizeof *ks; q++) {
        size_t k = ks[q], m = 99;
        CHECK(mph_diff_largest(d, gone, k, got, &m, NULL) == MPH_OK);
        CHECK_EQ(m, k < n ? k : n);
        for (size_t i = 0; i < m && i < n; i++)
            if (got[i] != want[i].index) {
                char msg[160];
                snprintf(msg, sizeof msg, "%s k=%zu: rank %zu is entry %zu, expected %zu (of %zu)",
                         gone ? "gone" : "new", k, i, got[i], want[i].index, n);
                harness_check(0, __FILE__, __LINE__, "ranking", msg);
                break;
            }
    }
    free(got);
    free(want);
}

/* The news inside OLD's largest free run, found block by block in NEW. */
static void check_split(const mph_diff *d, const mph_snapshot *O, const mph_snapshot *N,
                        const mph_stats *so) {
    const mph_diff_split *x = mph_diff_get_split(d);
    const mph_diff_summary *sum = mph_diff_get_summary(d);
    CHECK(x->aligned == (sum->alignment != MPH_ALIGN_NONE));
    if (!x->aligned)
        return;
    CHECK(x->has_run == (so->largest_free_blocks > 0));
    if (!x->has_run)
        return;
    CHECK_EQ(x->n_blocks, so->largest_free_blocks);
    const mph_area *oa = mph_snapshot_area(O, x->old_area);
    for (size_t b = x->block; b < x->block + x->n_blocks; b++)
        if (oa->cells[b] != '.') {
            harness_check(0, __FILE__, __LINE__, "split", "the run is not free in OLD");
            return;
        }
    // NEW's area paired with it, by the diff's pairs.
    long na = -1;
    for (size_t i = 0; i < mph_diff_pair_count(d); i++)
        if (mph_diff_pair_at(d, i)->old_area == (long)x->old_area)
            na = mph_diff_pair_at(d, i)->new_area;
    CHECK_EQ(x->new_area, na);
    if (na < 0) {
        CHECK_EQ(x->count, 0);
        return;
    }
    const mph_area *a = mph_snapshot_area(N, (size_t)na);
    size_t end = x->block + x->n_blocks < a->n_blocks ? x->block + x->n_blocks : a->n_blocks;
    size_t *start = malloc((a->n_blocks + 1) * sizeof *start), *len = malloc((a->n_blocks + 1) * sizeof *len);
    owners(a->cells, a->n_blocks, start, len);
    uint64_t used = 0, count = 0;
    size_t first = (size_t)-1;
    for (size_t b = x->block; b < end; b++) {
        if (start[b] == (size_t)-1)
            continue;
        used++;
        if (b == x->block || start[b] == b) {
            size_t s0 = start[b];
            if (count < x->count) {
                const mph_alloc *al = mph_diff_new_at(d, x->first + count);
                CHECK(al && al->area == (size_t)na && al->block == s0 && al->n_blocks == len[s0]);
            }
            if (first == (size_t)-1)
                first = s0;
            count++;
        }
    }
    CHECK_EQ(x->common_blocks, end > x->block ? end - x->block : 0);
    CHECK_EQ(x->used_blocks, used);
    CHECK_EQ(x->count, count);
    free(start);
    free(len);
}

/* The largest entries, read before their chunks are written (the ranking's
 * own copies), are the list's entries. */
static void check_ranked_entries(const mph_snapshot *O, const mph_snapshot *N) {
    mph_diff *d = NULL;
    CHECK(mph_diff_compute(O, N, &d, NULL) == MPH_OK);
    for (int gone = 0; d && gone < 2; gone++) {
        size_t idx[MPH_DIFF_RANKED], m = 0;
        mph_alloc early[MPH_DIFF_RANKED];
        CHECK(mph_diff_largest(d, gone, MPH_DIFF_RANKED, idx, &m, NULL) == MPH_OK);
        for (size_t i = 0; i < m; i++)
            early[i] = *(gone ? mph_diff_gone_at(d, idx[i]) : mph_diff_new_at(d, idx[i]));
        size_t n = gone ? mph_diff_gone_count(d) : mph_diff_new_count(d);
        for (size_t i = 0; i < n; i++) // every chunk written
            (void)(gone ? mph_diff_gone_at(d, i) : mph_diff_new_at(d, i));
        for (size_t i = 0; i < m; i++) {
            const mph_alloc *a = &early[i], *b = gone ? mph_diff_gone_at(d, idx[i]) : mph_diff_new_at(d, idx[i]);
            CHECK(a->area == b->area && a->block == b->block && a->n_blocks == b->n_blocks &&
                  a->address == b->address && a->type == b->type && a->orphan == b->orphan);
        }
    }
    mph_diff_free(d);
}

static void check_diff(const mph_snapshot *O, const mph_snapshot *N) {
    check_ranked_entries(O, N);
    mph_diff *d = NULL;
    CHECK(mph_diff_compute(O, N, &d, NULL) == MPH_OK);
    if (!d)
        return;
    uint64_t new_seen = 0, gone_seen = 0;
    for (size_t i = 0; i < mph_diff_pair_count(d); i++)
        check_pair(d, mph_diff_pair_at(d, i), O, N, &new_seen, &gone_seen);
    CHECK_EQ(mph_diff_new_count(d), new_seen);
    CHECK_EQ(mph_diff_gone_count(d), gone_seen);
    // The per-type summary adds up to each side's own figures.
    const mph_diff_summary *sum = mph_diff_get_summary(d);
    mph_stats so, sn;
    CHECK(mph_stats_compute(O, MPH_ALL_AREAS, &so, NULL) == MPH_OK);
    CHECK(mph_stats_compute(N, MPH_ALL_AREAS, &sn, NULL) == MPH_OK);
    for (int t = 0; t < MPH_TYPE_COUNT; t++) {
        const mph_diff_type *x = &sum->by_type[t];
        CHECK_EQ(x->kept + x->gone_count, so.by_type[t].allocs);
        CHECK_EQ(x->kept + x->new_count, sn.by_type[t].allocs);
        CHECK_EQ(x->kept_blocks + x->gone_blocks, so.by_type[t].blocks);
        CHECK_EQ(x->kept_blocks + x->new_blocks, sn.by_type[t].blocks);
        CHECK_EQ(x->new_total_count, sn.by_type[t].allocs);
        CHECK_EQ(x->new_total_blocks, sn.by_type[t].blocks);
    }
    // Before and after: each side's own largest free run and fragmentation.
    const mph_diff_side *sides[2] = {&sum->before, &sum->after};
    const mph_stats *st[2] = {&so, &sn};
    for (int k = 0; k < 2; k++) {
        CHECK_EQ(sides[k]->largest_free_blocks, st[k]->largest_free_blocks);
        CHECK_EQ(sides[k]->largest_free_address, st[k]->largest_free_address);
        CHECK_EQ(sides[k]->largest_free_area, st[k]->largest_free_area);
        CHECK_EQ(sides[k]->largest_free_block, st[k]->largest_free_block);
        CHECK_EQ(sides[k]->free_blocks, st[k]->free_blocks);
        CHECK(sides[k]->fragmentation == st[k]->fragmentation);
    }
    CHECK_EQ(sum->blocks[MPH_DIFF_KEPT], sum->total.kept_blocks);
    check_ranking(d, false);
    check_ranking(d, true);
    check_split(d, O, N, &so);
    mph_diff_free(d);
}

/* NEW from OLD: free some allocations, add some, grow some in place, retype some. */
static char *mutate(const char *old) {
    size_t n = strlen(old);
    char *c = malloc(n + 1);
    memcpy(c, old, n + 1);
    for (int k = 0; k < 30; k++) {
        size_t b = rnd_below(n);
        size_t s = b;
        while (s > 0 && c[s] == '=')
            s--;
        size_t e = s + 1;
        while (e < n && c[e] == '=')
            e++;
        switch (rnd_below(4)) {
        case 0: // free it
            if (c[s] != '.')
                memset(c + s, '.', e - s);
            break;
        case 1: // allocate into free space
            if (c[b] == '.') {
                size_t len = 1 + rnd_below(6), i = b + 1;
                c[b] = heads[rnd_below(9)];
                while (i < n && i < b + len && c[i] == '.' && (i + 1 >= n || c[i + 1] != '='))
                    c[i++] = '=';
            }
            break;
        case 2: // grow in place
            if (c[s] != '.')
                while (e < n && c[e] == '.' && (e + 1 >= n || c[e + 1] != '=') && rnd_below(4))
                    c[e++] = '=';
            break;
        case 3: // another type, same extent: reused
            if (c[s] != '.' && c[s] != '=')
                c[s] = heads[rnd_below(9)];
            break;
        }
    }
    return c;
}

TEST(diff_random_pairs) {
    for (int round = 0; round < 40; round++) {
        size_t n_areas = 1 + rnd_below(2);
        char *oc[3], *nc[3];
        uint64_t bases[3], nbases[3];
        for (size_t a = 0; a < n_areas; a++) {
            oc[a] = random_cells(4 * (1 + rnd_below(500)));
            nc[a] = mutate(oc[a]);
            bases[a] = 0x3f000000u + a * 0x80000u;
            nbases[a] = round % 5 == 4 ? bases[a] + 0x1230 : bases[a]; // another run
        }
        size_t n_new_areas = n_areas;
        if (round % 6 == 5) { // the heap grew an area
            nc[n_areas] = random_cells(4 * (1 + rnd_below(100)));
            nbases[n_areas] = 0x50000000u;
            n_new_areas++;
        }
        text a = {0}, b = {0};
        dump(&a, "old", n_areas, (const char *const *)oc, bases, 16);
        dump(&b, "new", n_new_areas, (const char *const *)nc, nbases, 16);
        mph_log *lo = parse_text(a.s, a.len), *ln = parse_text(b.s, b.len);
        if (lo && ln) {
            check_diff(mph_log_snapshot(lo, 0), mph_log_snapshot(ln, 0));
            check_diff(mph_log_snapshot(ln, 0), mph_log_snapshot(lo, 0));
            check_diff(mph_log_snapshot(lo, 0), mph_log_snapshot(lo, 0));
        }
        mph_log_free(lo);
        mph_log_free(ln);
        free(a.s);
        free(b.s);
        for (size_t k = 0; k < n_areas; k++) {
            free(oc[k]);
            free(nc[k]);
        }
        if (n_new_areas > n_areas)
            free(nc[n_areas]);
    }
}

TEST(diff_alignment) {
    // Same heap at another address (another run): paired by order, all kept.
    const char *c1[] = {"h=S.L...", "T..."};
    uint64_t b1[] = {0x1000, 0x3000}, b2[] = {0x7000, 0x9000}, b3[] = {0x1000};
    text a = {0}, b = {0}, c = {0}, e = {0};
    dump(&a, NULL, 2, c1, b1, 16);
    dump(&b, NULL, 2, c1, b2, 16);
    dump(&c, NULL, 1, c1, b3, 16);
    dump(&e, NULL, 2, c1, b1, 32);
    mph_log *la = parse_text(a.s, a.len), *lb = parse_text(b.s, b.len),
            *lc = parse_text(c.s, c.len), *le = parse_text(e.s, e.len);
    mph_diff *d = NULL;
    if (la && lb && mph_diff_compute(mph_log_snapshot(la, 0), mph_log_snapshot(lb, 0), &d, NULL) ==
                        MPH_OK) {
        const mph_diff_summary *s = mph_diff_get_summary(d);
        CHECK(s->alignment == MPH_ALIGN_ORDER);
        CHECK_EQ(s->blocks[MPH_DIFF_KEPT], 5);
        CHECK_EQ(mph_diff_new_count(d) + mph_diff_gone_count(d), 0);
        CHECK(mph_diff_note_count(d) >= 1 && strstr(mph_diff_note_at(d, 0), "by order"));
        mph_diff_free(d);
    }
    // OLD has an area NEW lacks: paired by address, its blocks freed.
    d = NULL;
    if (la && lc && mph_diff_compute(mph_log_snapshot(la, 0), mph_log_snapshot(lc, 0), &d, NULL) ==
                        MPH_OK) {
        const mph_diff_summary *s = mph_diff_get_summary(d);
        CHECK(s->alignment == MPH_ALIGN_ADDRESS);
        CHECK_EQ(mph_diff_pair_count(d), 2);
        CHECK_EQ(s->blocks[MPH_DIFF_FREED], 1);
        CHECK_EQ(mph_diff_gone_count(d), 1);
        CHECK_EQ(mph_diff_gone_at(d, 0)->area, 1);
        CHECK(mph_diff_note_count(d) >= 1 && strstr(mph_diff_note_at(d, 0), "not in NEW"));
        mph_diff_free(d);
    }
    // Different block sizes: not aligned, totals only.
    d = NULL;
    if (la && le && mph_diff_compute(mph_log_snapshot(la, 0), mph_log_snapshot(le, 0), &d, NULL) ==
                        MPH_OK) {
        const mph_diff_summary *s = mph_diff_get_summary(d);
        CHECK(s->alignment == MPH_ALIGN_NONE);
        CHECK_EQ(mph_diff_pair_count(d), 0);
        CHECK_EQ(s->total.old_count, 4);
        CHECK_EQ(s->total.new_total_count, 4);
        CHECK(strstr(mph_diff_note_at(d, 0), "16 bytes, NEW of 32"));
        mph_diff_free(d);
    }
    mph_log_free(la);
    mph_log_free(lb);
    mph_log_free(lc);
    mph_log_free(le);
    free(a.s);
    free(b.s);
    free(c.s);
    free(e.s);
}

TEST(diff_samples) {
    mph_log *log = parse_sample("seq-leak-5snapshots.txt");
    if (!log)
        return;
    for (size_t i = 0; i + 1 < mph_log_snapshot_count(log); i++)
        check_diff(mph_log_snapshot(log, i), mph_log_snapshot(log, i + 1));
    mph_log_free(log);
    // Two runs of different programs: paired by order, still consistent.
    mph_log *a = parse_sample("u64-objects-256k.txt"), *b = parse_sample("seq-leak-5snapshots.txt");
    if (a && b)
        check_diff(mph_log_snapshot(a, 0), mph_log_snapshot(b, 0));
    mph_log_free(a);
    mph_log_free(b);
}

/* Many news with many equal sizes, in two areas listed out of address
 * order: the heap of the largest fills, entries leave it, and equal sizes
 * must come in list order (area order, then block), not address order. */
TEST(diff_ranking_many) {
    for (int round = 0; round < 4; round++) {
        size_t n = 4 * (20000 + rnd_below(2000));
        char *full[2] = {random_cells(n), random_cells(n / 2)};
        char *empty[2] = {malloc(n + 1), malloc(n / 2 + 1)};
        memset(empty[0], '.', n);
        empty[0][n] = '\0';
        memset(empty[1], '.', n / 2);
        empty[1][n / 2] = '\0';
        uint64_t bases[2] = {0x20000000u, 0x10000000u};
        text a = {0}, b = {0};
        dump(&a, "empty", 2, (const char *const *)empty, bases, 16);
        dump(&b, "full", 2, (const char *const *)full, bases, 16);
        mph_log *la = parse_text(a.s, a.len), *lb = parse_text(b.s, b.len);
        if (la && lb) {
            const mph_snapshot *E = mph_log_snapshot(la, 0), *F = mph_log_snapshot(lb, 0);
            check_diff(E, F); // all new
            check_diff(F, E); // all gone
            mph_diff *d = NULL;
            if (mph_diff_compute(E, F, &d, NULL) == MPH_OK) {
                CHECK(mph_diff_new_count(d) > 2 * MPH_DIFF_RANKED);
                // OLD's largest free run is all of its first area: every news
                // of that area is inside, over more than one chunk of the list.
                CHECK(mph_diff_get_split(d)->count > 2048);
                mph_diff_free(d);
            }
        }
        mph_log_free(la);
        mph_log_free(lb);
        free(a.s);
        free(b.s);
        for (int k = 0; k < 2; k++) {
            free(full[k]);
            free(empty[k]);
        }
    }
}

static mph_status to_text(void *ctx, const char *buf, size_t len) {
    put(ctx, buf, len);
    return MPH_OK;
}

/* OLD's largest free run is blocks 2-11. NEW: S grew in place into it (from
 * block 0), a T and an L were made in it; h after it is kept. */
TEST(diff_split_built) {
    const char *old_c = "S=..........h=..S=..........h=..S=..........h=..S=..........h=..";
    const char *new_c = "S====.T..L=.h=..S=..........h=..S=..........h=..S=..........h=..";
    const char *same_c = old_c;
    uint64_t base = 0x3000;
    text a = {0}, b = {0}, c = {0};
    dump(&a, "before", 1, &old_c, &base, 16);
    dump(&b, "after", 1, &new_c, &base, 16);
    dump(&c, "same", 1, &same_c, &base, 16);
    mph_log *la = parse_text(a.s, a.len), *lb = parse_text(b.s, b.len), *lc = parse_text(c.s, c.len);
    mph_diff *d = NULL;
    if (la && lb && mph_diff_compute(mph_log_snapshot(la, 0), mph_log_snapshot(lb, 0), &d, NULL) ==
                        MPH_OK) {
        const mph_diff_split *x = mph_diff_get_split(d);
        CHECK(x->aligned && x->has_run);
        CHECK_EQ(x->block, 2);
        CHECK_EQ(x->n_blocks, 10);
        CHECK_EQ(x->address, 0x3000 + 2 * 16);
        CHECK_EQ(x->new_area, 0);
        CHECK_EQ(x->common_blocks, 10);
        CHECK_EQ(x->count, 3);
        CHECK_EQ(x->used_blocks, 3 + 1 + 2);
        const mph_alloc *s0 = mph_diff_new_at(d, x->first), *t = mph_diff_new_at(d, x->first + 1),
                        *l = mph_diff_new_at(d, x->first + 2);
        CHECK(s0 && s0->block == 0 && s0->n_blocks == 5 && s0->type == MPH_TYPE_STR);
        CHECK(t && t->block == 6 && t->type == MPH_TYPE_TUPLE);
        CHECK(l && l->block == 9 && l->n_blocks == 2 && l->type == MPH_TYPE_LIST);
        const mph_diff_summary *sum = mph_diff_get_summary(d);
        CHECK_EQ(sum->before.largest_free_blocks, 10);
        CHECK_EQ(sum->after.largest_free_blocks, 10); // now the first is blocks 18-27
        text out = {0};
        mph_sink sink = {to_text, &out};
        mph_text_options o;
        memset(&o, 0, sizeof o);
        o.max_list = 2;
        CHECK(mph_render_text_diff(d, &o, &sink, NULL) == MPH_OK);
        if (out.s) {
            CHECK(strstr(out.s, "largest free  160 -> 160 bytes (unchanged), at 0x3020 -> 0x3120\n"));
            CHECK(strstr(out.s, "new inside the largest free run of OLD (0x3020, 160 bytes): these "
                                "split it\n  3 allocations take 96 of its 160 bytes (60.0%); in "
                                "address order:\n  0x3000 "));
            CHECK(strstr(out.s, "  ... and 1 more (--list all shows them)\n"));
            // Largest first: S (5 blocks), then L (2), then T (1).
            const char *news = strstr(out.s, "new allocations (3), largest first\n");
            CHECK(news && strstr(news, "0x3000") < strstr(news, "0x3090") &&
                  strstr(news, "0x3090") < strstr(news, "... and 1 more"));
        }
        free(out.s);
        mph_diff_free(d);
    }
    // Nothing new in it: said so in one line.
    d = NULL;
    if (la && lc && mph_diff_compute(mph_log_snapshot(la, 0), mph_log_snapshot(lc, 0), &d, NULL) ==
                        MPH_OK) {
        CHECK_EQ(mph_diff_get_split(d)->count, 0);
        text out = {0};
        mph_sink sink = {to_text, &out};
        mph_text_options o;
        memset(&o, 0, sizeof o);
        CHECK(mph_render_text_diff(d, &o, &sink, NULL) == MPH_OK);
        CHECK(out.s && strstr(out.s, "new inside the largest free run of OLD (0x3020, 160 bytes): "
                                     "none, all of it is still free in NEW\n"));
        CHECK(out.s && strstr(out.s, "fragmentation 79.2% -> 79.2% (unchanged)\n"));
        free(out.s);
        mph_diff_free(d);
    }
    mph_log_free(la);
    mph_log_free(lb);
    mph_log_free(lc);
    free(a.s);
    free(b.s);
    free(c.s);
}

/* --------------------------------------------------------------- timeline */

static mph_timeline *timeline_of(const mph_log *log) {
    size_t n = mph_log_snapshot_count(log);
    const mph_snapshot **s = malloc(n * sizeof *s);
    for (size_t i = 0; i < n; i++)
        s[i] = mph_log_snapshot(log, i);
    mph_timeline *t = NULL;
    CHECK(mph_timeline_compute(s, NULL, n, &t, NULL) == MPH_OK);
    free(s);
    return t;
}

/* The sample's growing list is the top suspect: an 'h' (its item array)
 * that holds at least `len` pointers in every snapshot, as the labels say. */
TEST(timeline_leak_sample) {
    mph_log *log = parse_sample("seq-leak-5snapshots.txt");
    if (!log)
        return;
    mph_timeline *t = timeline_of(log);
    size_t n = mph_log_snapshot_count(log);
    if (t) {
        CHECK(mph_timeline_leak_alloc_count(t) >= 1);
        const mph_leak_alloc *l = mph_timeline_leak_alloc_at(t, 0);
        if (l) {
            CHECK_EQ(l->now.type, MPH_TYPE_OTHER);
            CHECK_EQ(l->since, 0);
            CHECK(l->grew >= 2);
            for (size_t k = l->since; k < n; k++) {
                const mph_snapshot *s = mph_log_snapshot(log, k);
                unsigned len = 0;
                CHECK(sscanf(mph_snapshot_label(s), "SNAPSHOT %*u/%*u: leak list len %u", &len) == 1);
                // 64-bit build: a pointer per item, 8 bytes.
                CHECK(l->blocks[k - l->since] * mph_snapshot_block_size(s) >= (uint64_t)len * 8);
                if (k > l->since)
                    CHECK(l->blocks[k - l->since] >= l->blocks[k - l->since - 1]);
            }
            // It is an allocation of that size in the last snapshot.
            const mph_snapshot *last = mph_log_snapshot(log, n - 1);
            const mph_area *a = mph_snapshot_area(last, l->now.area);
            CHECK(a->cells[l->now.block] == 'h');
            size_t e = l->now.block + 1;
            while (e < a->n_blocks && a->cells[e] == '=')
                e++;
            CHECK_EQ(e - l->now.block, l->blocks[n - 1 - l->since]);
        }
        // Dicts, strings and lists pile up: those types grow.
        bool dict = false;
        for (size_t i = 0; i < mph_timeline_leak_type_count(t); i++)
            dict |= mph_timeline_leak_type_at(t, i)->type == MPH_TYPE_DICT;
        CHECK(dict);
        mph_timeline_free(t);
    }
    mph_log_free(log);
}

/* Four snapshots built so each allocation's story is known:
 *   A (L at 0)    in all                      -> not a survivor (from the start)
 *   B (D at 8)    from 2 on                   -> survivor since 2
 *   C (S at 12)   from 3 on                   -> survivor since 3
 *   X (T at 16)   only in 2                   -> not a survivor
 *   Z (F at 20)   only in 4 (the last)        -> not a survivor
 *   F (F at 20)   only in 4: its type grows, but it is no survivor
 *   G (h at 24)   2 blocks, 4 in place, 4, then moved to 40 with 8: growing, moved once
 *   K (h, 6)      at 48 in 3, at 56 in 4: the same size made anew (a step's code),
 *                 larger than G was: it must not pass for G's growth */
TEST(timeline_built) {
    const char *s1 = "L.......................h=......................................";
    const char *s2 = "L.......D.......T.......h===....................................";
    const char *s3 = "L.......D...S...........h===....................h=====..........";
    const char *s4 = "L.......D...S.......F...................h=======........h=====..";
    const char *steps[] = {s1, s2, s3, s4};
    for (int i = 0; i < 4; i++)
        CHECK_EQ(strlen(steps[i]), 64);
    text t = {0};
    uint64_t base = 0x4000;
    for (int i = 0; i < 4; i++) {
        char label[32];
        snprintf(label, sizeof label, "step %d", i + 1);
        dump(&t, label, 1, &steps[i], &base, 16);
    }
    mph_log *log = parse_text(t.s, t.len);
    free(t.s);
    if (!log)
        return;
    mph_timeline *tl = timeline_of(log);
    if (tl) {
        CHECK_EQ(mph_timeline_row_count(tl), 4);
        CHECK_STR(mph_timeline_row_at(tl, 1)->label, "step 2");
        CHECK_EQ(mph_timeline_survivor_count(tl), 2);
        const mph_leak_survivor *b = mph_timeline_survivor_at(tl, 0),
                                *c = mph_timeline_survivor_at(tl, 1);
        if (b && c) {
            CHECK_EQ(b->since, 1);
            CHECK_EQ(b->alloc.block, 8);
            CHECK_EQ(b->alloc.type, MPH_TYPE_DICT);
            CHECK_EQ(b->alloc.address, 0x4000 + 8 * 16);
            CHECK_EQ(c->since, 2);
            CHECK_EQ(c->alloc.type, MPH_TYPE_STR);
        }
        CHECK_EQ(mph_timeline_group_count(tl), 2);
        CHECK_EQ(mph_timeline_leak_alloc_count(tl), 1);
        const mph_leak_alloc *g = mph_timeline_leak_alloc_at(tl, 0);
        if (g) {
            CHECK_EQ(g->since, 0);
            CHECK_EQ(g->grew, 2);
            CHECK_EQ(g->moved, 1);
            CHECK_EQ(g->now.block, 40);
            CHECK_EQ(g->blocks[0], 2);
            CHECK_EQ(g->blocks[1], 4);
            CHECK_EQ(g->blocks[2], 4);
            CHECK_EQ(g->blocks[3], 8);
        }
        // h grows in blocks in every step; D, S and F rise once (0 -> 1): noise,
        // not growth; L stays; T rises then falls.
        bool seen[MPH_TYPE_COUNT] = {false};
        for (size_t i = 0; i < mph_timeline_leak_type_count(tl); i++)
            seen[mph_timeline_leak_type_at(tl, i)->type] = true;
        CHECK(seen[MPH_TYPE_OTHER]);
        CHECK(!seen[MPH_TYPE_DICT] && !seen[MPH_TYPE_STR] && !seen[MPH_TYPE_FLOAT]);
        CHECK(!seen[MPH_TYPE_LIST] && !seen[MPH_TYPE_TUPLE]);
        mph_timeline_free(tl);
    }
    mph_log_free(log);
}

/* Growing types need sustained growth: a rise in at least half of the
 * steps, in at least two, ending higher. Seven snapshots (six steps) of
 * one-block allocations, counts per type:
 *   T 0 0 0 1 1 1 1   one rise (0 -> 1 tuple): not a suspect
 *   L 1 2 3 4 5 6 7   rises every step: a suspect
 *   D 1 2 2 3 3 4 4   rises in 3 of 6 steps (half): a suspect
 *   S 1 2 2 2 3 3 3   rises twice, but in fewer than half: not
 *   A 1 2 1 2 1 2 1   rises in half, ends where it started: not
 *   F 2 3 2 3 4 4 5   rises in 4, dips once: a suspect (not monotone) */
TEST(timeline_sustained_growth) {
    static const unsigned counts[6][7] = {{0, 0, 0, 1, 1, 1, 1}, {1, 2, 3, 4, 5, 6, 7},
                                          {1, 2, 2, 3, 3, 4, 4}, {1, 2, 2, 2, 3, 3, 3},
                                          {1, 2, 1, 2, 1, 2, 1}, {2, 3, 2, 3, 4, 4, 5}};
    static const char letters[6] = {'T', 'L', 'D', 'S', 'A', 'F'};
    static const mph_type types[6] = {MPH_TYPE_TUPLE, MPH_TYPE_LIST, MPH_TYPE_DICT,
                                      MPH_TYPE_STR,   MPH_TYPE_ARRAY, MPH_TYPE_FLOAT};
    static const bool suspect[6] = {false, true, true, false, false, true};
    text t = {0};
    uint64_t base = 0x8000;
    for (int row = 0; row < 7; row++) {
        char cells[65], label[32];
        memset(cells, '.', 64);
        cells[64] = '\0';
        // Each type in its own stretch of 10 blocks, one block per allocation.
        for (int k = 0; k < 6; k++)
            for (unsigned i = 0; i < counts[k][row]; i++)
                cells[10 * k + i] = letters[k];
        const char *c = cells;
        snprintf(label, sizeof label, "row %d", row + 1);
        dump(&t, label, 1, &c, &base, 16);
    }
    mph_log *log = parse_text(t.s, t.len);
    free(t.s);
    if (!log)
        return;
    mph_timeline *tl = timeline_of(log);
    if (tl) {
        for (int k = 0; k < 6; k++) {
            const mph_leak_type *found = NULL;
            for (size_t i = 0; i < mph_timeline_leak_type_count(tl); i++)
                if (mph_timeline_leak_type_at(tl, i)->type == types[k])
                    found = mph_timeline_leak_type_at(tl, i);
            char m[64];
            snprintf(m, sizeof m, "type %c listed: %d, expected %d", letters[k], found != NULL,
                     suspect[k]);
            harness_check((found != NULL) == suspect[k], __FILE__, __LINE__, "suspect", m);
            if (found)
                CHECK(found->count_grows && found->count_steps_up >= 3);
        }
        // The text states the figures it decided by.
        text out = {0};
        mph_sink sink = {to_text, &out};
        mph_text_options o;
        memset(&o, 0, sizeof o);
        o.ascii = true;
        CHECK(mph_render_text_timeline(tl, &o, &sink, NULL) == MPH_OK);
        CHECK(out.s && strstr(out.s, "type D dict grows: 1 -> 4 allocations, 16 bytes -> 64 bytes; "
                                     "rose in 3 of 6 steps\n"));
        CHECK(out.s && !strstr(out.s, "type T tuple"));
        free(out.s);
        mph_timeline_free(tl);
    }
    mph_log_free(log);
}

/* Three real headers (variants c00, c08, c13: mem_info() without an
 * argument prints these two lines and no map), each after its marker. */
static const char header_log[] =
    "=== c00 ===\n"
    "GC: total: 256128, used: 80736, free: 175392\n"
    " No. of 1-blocks: 1552, 2-blocks: 425, max blk sz: 1024, max free sz: 6226\n"
    "=== c08 ===\n"
    "GC: total: 2072832, used: 25216, free: 2047616\n"
    " No. of 1-blocks: 407, 2-blocks: 20, max blk sz: 47, max free sz: 32615\n"
    "=== c13 ===\n"
    "GC: total: 64256, used: 24096, free: 40160\n"
    " No. of 1-blocks: 393, 2-blocks: 16, max blk sz: 47, max free sz: 504\n";

static char *render_timeline(const mph_timeline *tl, int how) {
    text out = {0};
    mph_sink sink = {to_text, &out};
    mph_text_options o;
    memset(&o, 0, sizeof o);
    o.ascii = true;
    mph_status st = how == 0   ? mph_render_text_timeline(tl, &o, &sink, NULL)
                    : how == 1 ? mph_render_json_timeline(tl, &o, &sink, NULL)
                               : mph_render_csv_timeline(tl, &sink, NULL);
    CHECK(st == MPH_OK);
    return out.s;
}

/* A log of headers only: rows of the header's figures, never zeros; no
 * block size (all three figures are multiples of 32), so used and free in
 * bytes, the largest free run in blocks, fragmentation and allocations not
 * known; no leak analysis, said once. */
TEST(timeline_header_only) {
    mph_log *log = parse_text(header_log, strlen(header_log));
    if (!log)
        return;
    CHECK_EQ(mph_log_snapshot_count(log), 3);
    mph_timeline *tl = timeline_of(log);
    static const uint64_t used[3] = {80736, 25216, 24096}, free_b[3] = {175392, 2047616, 40160},
                          largest[3] = {6226, 32615, 504};
    static const char *const labels[3] = {"c00", "c08", "c13"};
    for (size_t i = 0; tl && i < 3; i++) {
        const mph_timeline_row *r = mph_timeline_row_at(tl, i);
        CHECK_STR(r->label, labels[i]);
        CHECK(r->from_header && !r->map_partial);
        CHECK(r->has_bytes && !r->has_blocks && r->has_largest && !r->has_fragmentation);
        CHECK_EQ(r->used_bytes, used[i]);
        CHECK_EQ(r->free_bytes, free_b[i]);
        CHECK_EQ(r->stats.largest_free_blocks, largest[i]);
        CHECK_EQ(r->stats.block_size, 0);
    }
    if (tl) {
        CHECK_EQ(mph_timeline_leak_steps(tl), 0);
        CHECK_EQ(mph_timeline_leak_type_count(tl) + mph_timeline_leak_alloc_count(tl), 0);
        CHECK_EQ(mph_timeline_note_count(tl), 1);
        const char *note = mph_timeline_note_at(tl, 0);
        CHECK(note && strstr(note, "rows 1-3 have no map") &&
              strstr(note, "mem_info() without an argument prints no map: call mem_info(1)"));
        char *txt = render_timeline(tl, 0);
        CHECK(txt && strstr(txt, "   1  c00                               78.8 KiB   171.3 KiB  "
                                 "6,226 blocks      ?         ?\n"));
        CHECK(txt && !strstr(txt, " 0 blocks") && !strstr(txt, "no type grows steadily"));
        CHECK(txt && strstr(txt, "  allocations          not known: no snapshot has a whole map\n"));
        CHECK(txt && strstr(txt, "  fragmentation        not known in any snapshot\n"));
        CHECK(txt && strstr(txt, "  not looked for: that needs two snapshots with a whole map\n"));
        free(txt);
        char *json = render_timeline(tl, 1);
        CHECK(json && strstr(json, "\"used_bytes\": 80736, \"free_bytes\": 175392, "
                                   "\"largest_free_bytes\": null, \"used_blocks\": null, "
                                   "\"free_blocks\": null, \"largest_free_blocks\": 6226, "
                                   "\"fragmentation\": null, \"allocations\": null, \"types\": null, "
                                   "\"map\": \"none\""));
        free(json);
        char *csv = render_timeline(tl, 2);
        CHECK(csv && strstr(csv, "\r\n3,c13,,64256,24096,40160,,,,,504,,,"));
        CHECK(csv && strstr(csv, ",,none\r\n"));
        free(csv);
        mph_timeline_free(tl);
    }
    mph_log_free(log);
    // --block-size: then blocks and fragmentation too, from the same figures.
    mph_parse_options po = {16, false};
    log = NULL;
    CHECK(mph_log_parse(header_log, strlen(header_log), &po, &log, NULL) == MPH_OK);
    tl = log ? timeline_of(log) : NULL;
    if (tl) {
        const mph_timeline_row *r = mph_timeline_row_at(tl, 0);
        CHECK(r->has_blocks && r->has_fragmentation);
        CHECK_EQ(r->stats.used_blocks, 80736 / 16);
        CHECK_EQ(r->stats.free_blocks, 175392 / 16);
        CHECK(fabs(r->stats.fragmentation - (1.0 - 6226.0 / (175392 / 16))) < 1e-9);
        char *txt = render_timeline(tl, 0);
        CHECK(txt && strstr(txt, "97.3 KiB  43.2%         ?\n"));
        free(txt);
        mph_timeline_free(tl);
    }
    mph_log_free(log);
}

/* Rows without a whole map among rows with one: the leak analysis compares
 * the rows with maps around them, and its rows keep their own numbers. The
 * four snapshots of timeline_built, with a header-only dump after the first
 * and a map cut short at the end (its header speaks for 256 blocks). */
TEST(timeline_rows_left_out) {
    const char *s1 = "L.......................h=......................................";
    const char *s2 = "L.......D.......T.......h===....................................";
    const char *s3 = "L.......D...S...........h===....................h=====..........";
    const char *s4 = "L.......D...S.......F...................h=======........h=====..";
    const char *steps[] = {s1, s2, s3, s4};
    text t = {0};
    uint64_t base = 0x4000;
    for (int i = 0; i < 4; i++)
        dump(&t, NULL, 1, &steps[i], &base, 16);
    // Two rows of a heap of 256 blocks, as its header says: a paste cut short.
    puts_(&t, "=== cut ===\nGC: total: 4096, used: 640, free: 3456\n"
              " No. of 1-blocks: 4, 2-blocks: 0, max blk sz: 8, max free sz: 100\n"
              "GC memory layout; from 4000:\n00000000: ");
    puts_(&t, s4);
    puts_(&t, "\n00000400: ................................................................\n");
    mph_log *maps = parse_text(t.s, t.len);
    free(t.s);
    mph_log *hdr = parse_text(header_log, strlen(header_log));
    if (!maps || !hdr) {
        mph_log_free(maps);
        mph_log_free(hdr);
        return;
    }
    CHECK_EQ(mph_log_snapshot_count(maps), 5);
    const mph_snapshot *v[6] = {mph_log_snapshot(maps, 0), mph_log_snapshot(hdr, 2),
                                mph_log_snapshot(maps, 1), mph_log_snapshot(maps, 2),
                                mph_log_snapshot(maps, 3), mph_log_snapshot(maps, 4)};
    CHECK(mph_snapshot_map_partial(v[5]));
    mph_timeline *tl = NULL;
    CHECK(mph_timeline_compute(v, NULL, 6, &tl, NULL) == MPH_OK);
    if (tl) {
        const mph_timeline_row *cut = mph_timeline_row_at(tl, 5);
        CHECK(cut->from_header && cut->map_partial && cut->has_blocks && cut->has_fragmentation);
        CHECK_EQ(cut->stats.total_blocks, 256);
        CHECK_EQ(cut->stats.used_blocks, 40);
        CHECK_EQ(cut->stats.largest_free_blocks, 100);
        CHECK_EQ(cut->stats.allocs, 0);
        CHECK_EQ(mph_timeline_leak_steps(tl), 3);
        // As in timeline_built, each row one place later: survivors since rows 3 and 4.
        CHECK_EQ(mph_timeline_survivor_count(tl), 2);
        const mph_leak_survivor *b = mph_timeline_survivor_at(tl, 0),
                                *c = mph_timeline_survivor_at(tl, 1);
        if (b && c) {
            CHECK_EQ(b->since, 2);
            CHECK_EQ(b->alloc.type, MPH_TYPE_DICT);
            CHECK_EQ(c->since, 3);
        }
        const mph_leak_alloc *g = mph_timeline_leak_alloc_at(tl, 0);
        CHECK_EQ(mph_timeline_leak_alloc_count(tl), 1);
        if (g) {
            CHECK_EQ(g->since, 0);
            CHECK_EQ(g->n_history, 4);
            CHECK(g->blocks[0] == 2 && g->blocks[1] == 4 && g->blocks[2] == 4 && g->blocks[3] == 8);
        }
        CHECK_EQ(mph_timeline_note_count(tl), 1);
        const char *note = mph_timeline_note_at(tl, 0);
        CHECK(note && strstr(note, "left out row 2 (no map") && strstr(note, "and row 6 (the map is cut short)"));
        char *txt = render_timeline(tl, 0);
        // h grows in every step compared: three, not five.
        CHECK(txt && strstr(txt, "type h other grows: 1 -> 2 allocations, 32 bytes -> 224 bytes; "
                                 "rose in 3 of 3 steps\n"));
        CHECK(txt && strstr(txt, "keeps growing: 2 4 4 8 blocks"));
        CHECK(txt && strstr(txt, "present in every snapshot with a whole map since\n"));
        free(txt);
        char *json = render_timeline(tl, 1);
        CHECK(json && strstr(json, "\"history_blocks\": [2, 4, 4, 8]"));
        CHECK(json && strstr(json, "\"map\": \"partial\""));
        free(json);
        mph_timeline_free(tl);
    }
    mph_log_free(maps);
    mph_log_free(hdr);
}

/* diff of two headers: only what the headers say, and one line for what
 * needs both maps. */
TEST(diff_header_only_text) {
    mph_log *log = parse_text(header_log, strlen(header_log));
    if (!log)
        return;
    mph_diff *d = NULL;
    CHECK(mph_diff_compute(mph_log_snapshot(log, 0), mph_log_snapshot(log, 2), &d, NULL) ==
          MPH_OK);
    if (d) {
        text out = {0};
        mph_sink sink = {to_text, &out};
        mph_text_options o;
        memset(&o, 0, sizeof o);
        CHECK(mph_render_text_diff(d, &o, &sink, NULL) == MPH_OK);
        CHECK(out.s && strstr(out.s, "\nused          80,736 -> 24,096 bytes (-56,640)\n"
                                     "free          175,392 -> 40,160 bytes (-135,232)\n"
                                     "largest free  6,226 -> 504 blocks (-5,722)\n"));
        CHECK(out.s && strstr(out.s, "neither OLD nor NEW has a map"));
        CHECK(out.s && strstr(out.s, "not compared, that needs both maps"));
        CHECK(out.s && !strstr(out.s, "unknown") && !strstr(out.s, "has no map (") &&
              !strstr(out.s, "new inside"));
        free(out.s);
        mph_diff_free(d);
    }
    mph_log_free(log);
}

/* ------------------------------------------------------------------ check */

TEST(check_limits_at_the_edge) {
    mph_log *log = parse_sample("u32-frag-256k.txt");
    if (!log)
        return;
    const mph_snapshot *s = mph_log_snapshot(log, 0);
    mph_stats st;
    CHECK(mph_stats_compute(s, MPH_ALL_AREAS, &st, NULL) == MPH_OK);
    uint64_t bpb = mph_snapshot_block_size(s);
    uint64_t largest = st.largest_free_blocks * bpb;
    mph_check_limit l[8];
    memset(l, 0, sizeof l);
    l[0].kind = MPH_CHECK_MIN_LARGEST_FREE, l[0].value = largest;     // holds: equal
    l[1].kind = MPH_CHECK_MIN_LARGEST_FREE, l[1].value = largest + 1; // broken
    l[2].kind = MPH_CHECK_MAX_FRAGMENTATION, l[2].fraction = st.fragmentation;
    l[3].kind = MPH_CHECK_MAX_USED, l[3].value = st.used_blocks * bpb - 1; // broken
    l[4].kind = MPH_CHECK_MAX_ALLOCS_OF, l[4].type = MPH_TYPE_STR,
    l[4].value = st.by_type[MPH_TYPE_STR].allocs;
    l[5].kind = MPH_CHECK_MIN_FIT, l[5].size = largest, l[5].value = 1; // exactly one fits
    l[6].kind = MPH_CHECK_MIN_FIT, l[6].size = largest + 1, l[6].value = 1; // none
    l[7].kind = MPH_CHECK_MAX_USED_FRACTION, l[7].fraction = 0.0;       // broken
    mph_check_result r[8];
    size_t failed = 99;
    CHECK(mph_check_run(s, l, 8, r, &failed, NULL) == MPH_OK);
    CHECK_EQ(failed, 4);
    CHECK(r[0].ok && !r[1].ok && r[2].ok && !r[3].ok && r[4].ok && r[5].ok && !r[6].ok && !r[7].ok);
    CHECK_EQ(r[1].measured, largest);
    CHECK_EQ(r[5].measured, 1);
    mph_log_free(log);
}

TEST(check_needs_block_size) {
    // One row and no GC line: the block size cannot be known.
    const char *dump_text = "GC memory layout; from 1000:\n00000000: h=S.\n";
    mph_log *log = parse_text(dump_text, strlen(dump_text));
    if (!log)
        return;
    mph_check_limit l;
    memset(&l, 0, sizeof l);
    l.kind = MPH_CHECK_MIN_FREE;
    l.value = 1;
    mph_check_result r;
    mph_error err = {0};
    const mph_snapshot *s = mph_log_snapshot(log, 0);
    if (mph_snapshot_block_size(s) == 0) {
        CHECK(mph_check_run(s, &l, 1, &r, NULL, &err) == MPH_ERR_ARG);
        CHECK(strstr(err.message, "block size") != NULL);
    } else {
        harness_skip("the parser found a block size for a one-row dump");
    }
    // Counts need no block size.
    l.kind = MPH_CHECK_MAX_ALLOCS;
    l.value = 1;
    size_t failed = 0;
    CHECK(mph_check_run(s, &l, 1, &r, &failed, NULL) == MPH_OK);
    CHECK_EQ(r.measured, 2);
    CHECK_EQ(failed, 1);
    mph_log_free(log);
}

/* A header with no max free sz cannot tell fragmentation (1 - largest free
 * / free): the limit is refused, not measured as 0% or 100%. */
TEST(check_fragmentation_needs_max_free) {
    const char *hdr = "GC: total: 64256, used: 24096, free: 40160\n"
                      " No. of 1-blocks: 393, 2-blocks: 16, max blk sz: 47\n";
    mph_parse_options po = {16, false};
    mph_log *log = NULL;
    CHECK(mph_log_parse(hdr, strlen(hdr), &po, &log, NULL) == MPH_OK);
    if (!log)
        return;
    mph_check_limit l;
    memset(&l, 0, sizeof l);
    l.kind = MPH_CHECK_MAX_FRAGMENTATION;
    l.fraction = 0.5;
    mph_check_result r;
    mph_error err = {0};
    CHECK(mph_check_run(mph_log_snapshot(log, 0), &l, 1, &r, NULL, &err) == MPH_ERR_ARG);
    CHECK(strstr(err.message, "fragmentation") != NULL);
    // Used needs only the GC line.
    l.kind = MPH_CHECK_MAX_USED;
    l.value = 24096;
    size_t failed = 9;
    CHECK(mph_check_run(mph_log_snapshot(log, 0), &l, 1, &r, &failed, NULL) == MPH_OK);
    CHECK(r.ok && r.from_header && r.measured == 24096 && failed == 0);
    mph_log_free(log);
}
