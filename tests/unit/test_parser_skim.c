/* A map read with mph_parser_skim_maps (checked, counted, never stored) must
 * say exactly what the same map read in full says: the same diagnostics at
 * the same places, the same damage, the same figures (issue 14, 8). Over the
 * files of tests/data, each alone and twice in one log, and over random
 * old-era dumps whose header figures make the parser count the map again
 * without the allocation at the heap's end (old_block_figures). */
#include "harness.h"
#include "../../src/lib/internal.h"

#include <stdlib.h>

static bool same_error(const mph_error *a, const mph_error *b) {
    return a->code == b->code && a->line == b->line && a->column == b->column &&
           a->offset == b->offset && strcmp(a->message, b->message) == 0;
}

static void fail_at(const char *what, const char *name, int line) {
    harness_check(0, __FILE__, line, what, name);
}

/* Parse text whole (keep all maps), or skimmed: in chunks, keeping map `keep` only. */
static mph_status parse(const char *text, size_t len, bool strict, bool skim, long keep,
                        mph_log **out, mph_error *err) {
    mph_parse_options o = {0, strict};
    mph_parser *p = mph_parser_new(&o);
    if (!p)
        return MPH_ERR_NOMEM;
    if (skim) {
        mph_parser_keep_maps(p, keep);
        mph_parser_skim_maps(p, true);
    }
    mph_status st = MPH_OK;
    // Odd chunks: rows split across feeds take the general path, the others the fast one.
    size_t at = 0, step = skim ? 4093 : len;
    while (!st && at < len) {
        size_t n = len - at < step ? len - at : step;
        st = mph_parser_feed(p, text + at, n, err);
        at += n;
    }
    if (!st)
        st = mph_parser_finish(p, out, err);
    mph_parser_free(p);
    return st;
}

/* Everything a skimmed read must share with a full one; returns false on the first difference. */
static bool same_reading(const char *name, const char *text, size_t len, bool strict, long keep) {
    mph_log *full = NULL, *skim = NULL;
    mph_error ef, es;
    memset(&ef, 0, sizeof ef);
    memset(&es, 0, sizeof es);
    mph_status sf = parse(text, len, strict, false, 0, &full, &ef);
    mph_status ss = parse(text, len, strict, true, keep, &skim, &es);
    bool ok = sf == ss && (sf == MPH_OK || same_error(&ef, &es));
    if (!ok)
        fail_at("same status and error", name, __LINE__);
    if (sf || ss || !ok)
        goto done;
    size_t n = mph_log_diagnostic_count(full);
    if (n != mph_log_diagnostic_count(skim)) {
        fail_at("same number of diagnostics", name, __LINE__);
        ok = false;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const mph_diagnostic *a = mph_log_diagnostic(full, i), *b = mph_log_diagnostic(skim, i);
        if (a->level != b->level || a->line != b->line || a->column != b->column ||
            a->snapshot != b->snapshot || strcmp(a->message, b->message) != 0) {
            fail_at("same diagnostic", name, __LINE__);
            fprintf(stderr, "  full: %lu:%lu: %s\n  skim: %lu:%lu: %s\n", a->line, a->column,
                    a->message, b->line, b->column, b->message);
            ok = false;
            goto done;
        }
    }
    n = mph_log_damaged_count(full);
    ok = n == mph_log_damaged_count(skim);
    for (size_t i = 0; ok && i < n; i++) {
        const mph_damaged *a = mph_log_damaged(full, i), *b = mph_log_damaged(skim, i);
        ok = a->position == b->position && a->before == b->before &&
             a->first_line == b->first_line && same_error(&a->error, &b->error) &&
             (a->label ? b->label && strcmp(a->label, b->label) == 0 : !b->label);
    }
    if (!ok) {
        fail_at("same damaged dumps", name, __LINE__);
        goto done;
    }
    n = mph_log_snapshot_count(full);
    ok = n == mph_log_snapshot_count(skim) &&
         mph_log_skipped_lines(full) == mph_log_skipped_lines(skim);
    for (size_t i = 0; ok && i < n; i++) {
        const mph_snapshot *a = mph_log_snapshot(full, i), *b = mph_log_snapshot(skim, i);
        // MPH_KEEP_LAST gives each map back once the next dump's map begins: the last
        // keeps its own unless a dump after it was damaged (it is read again then).
        bool last = keep == MPH_KEEP_LAST && i + 1 == n;
        bool kept = (keep >= 0 && (size_t)keep == i) ||
                    (last && (mph_snapshot_has_map(b) || !mph_log_damaged_count(skim)));
        bool summed = keep == MPH_KEEP_LAST && !kept; // no map, but its stats
        ok = memcmp(&a->header, &b->header, sizeof a->header) == 0 &&
             a->n_blocks == b->n_blocks && a->n_areas == b->n_areas &&
             a->block_size == b->block_size && a->block_size_source == b->block_size_source &&
             a->row_format == b->row_format && a->map_partial == b->map_partial &&
             a->first_line == b->first_line && a->last_line == b->last_line &&
             a->failed_bytes == b->failed_bytes && a->failed_line == b->failed_line;
        for (size_t k = 0; ok && k < a->n_areas; k++)
            ok = a->areas[k].base == b->areas[k].base &&
                 a->areas[k].n_blocks == b->areas[k].n_blocks &&
                 a->areas[k].first_block == b->areas[k].first_block &&
                 (kept ? memcmp(a->areas[k].cells, b->areas[k].cells, a->areas[k].n_blocks) == 0
                       : b->areas[k].cells == NULL);
        if (ok && summed) { // given back: its whole-heap stats are the full read's
            mph_stats sa, sb;
            ok = mph_stats_compute(a, MPH_ALL_AREAS, &sa, NULL) == MPH_OK &&
                 mph_stats_compute(b, MPH_ALL_AREAS, &sb, NULL) == MPH_OK &&
                 sa.used_blocks == sb.used_blocks && sa.free_blocks == sb.free_blocks &&
                 sa.allocs == sb.allocs && sa.max_alloc_blocks == sb.max_alloc_blocks &&
                 sa.largest_free_blocks == sb.largest_free_blocks &&
                 sa.largest_free_address == sb.largest_free_address &&
                 sa.free_runs == sb.free_runs &&
                 memcmp(sa.by_type, sb.by_type, sizeof sa.by_type) == 0 &&
                 memcmp(sa.free_histogram, sb.free_histogram, sizeof sa.free_histogram) == 0 &&
                 !mph_snapshot_has_map(b);
        }
        if (!ok) {
            fail_at("same snapshot", name, __LINE__);
            break;
        }
        if (!a->n_areas || summed) // header only: no map to skim; or checked above
            continue;
        // The figures of reading, exact without the cells.
        ok = a->memo->figures_ready && b->memo->figures_ready &&
             memcmp(&a->memo->figures, &b->memo->figures, sizeof a->memo->figures) == 0;
        if (!ok) {
            fail_at("same figures of reading", name, __LINE__);
            break;
        }
        mph_stats st;
        mph_error e;
        memset(&e, 0, sizeof e);
        ok = mph_snapshot_has_map(b) == kept &&
             mph_stats_compute(b, MPH_ALL_AREAS, &st, &e) == (kept ? MPH_OK : MPH_ERR_ARG) &&
             (kept || strstr(e.message, "only read and checked") != NULL);
        if (!ok)
            fail_at("a skimmed snapshot has no map and no stats", name, __LINE__);
    }
done:
    mph_log_free(full);
    mph_log_free(skim);
    return ok;
}

TEST(parser_skim_same_as_full_read) {
    static const char *const dirs[] = {"tests/data/samples", "tests/data/variants",
                                       "tests/data/variants/canon", "tests/data/malformed",
                                       "tests/data/mpy"};
    static char paths[512][256];
    size_t compared = 0;
    size_t n = harness_list_txt(dirs, sizeof dirs / sizeof *dirs, paths, 512);
    if (n == 0) {
        harness_skip("tests/data is not here (run from the repository root)");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *one = harness_read_file(paths[i], &len);
        if (!one)
            continue;
        // The file alone, then twice with a marker between: the first, the second or
        // no map kept; and strict, where the first warning is the error.
        char *two = malloc(2 * len + 32);
        size_t n2 = 0;
        memcpy(two, one, len);
        n2 = len;
        n2 += (size_t)snprintf(two + n2, 32, "%s=== again ===\n",
                               len && one[len - 1] != '\n' ? "\n" : "");
        memcpy(two + n2, one, len);
        n2 += len;
        bool ok = same_reading(paths[i], one, len, false, 1) &&
                  same_reading(paths[i], one, len, true, 1) &&
                  same_reading(paths[i], two, n2, false, 0) &&
                  same_reading(paths[i], two, n2, false, 1) &&
                  same_reading(paths[i], two, n2, false, MPH_KEEP_NONE) &&
                  same_reading(paths[i], one, len, false, MPH_KEEP_LAST) &&
                  same_reading(paths[i], two, n2, false, MPH_KEEP_LAST) &&
                  same_reading(paths[i], two, n2, true, 1);
        compared += ok;
        free(one);
        free(two);
    }
    CHECK(compared >= 100);
    CHECK_EQ(compared, n);
}

/* Random v1.8-era maps ("%05x", no max free sz) whose header figures are all
 * wrong, so that every message shows the map's own count: the old rule's
 * recount, done from the cells of a kept map and from the counts kept as
 * rows arrive for a skimmed one. Areas end with an allocation as often as
 * not, the longest or not, after free space or not. */
TEST(parser_skim_old_block_figures) {
    static const char letters[] = "..........====hTLDS";
    unsigned seed = 14;
    char *text = malloc(1 << 16);
    size_t same = 0;
    for (int round = 0; round < 300; round++) {
        size_t n = 0;
        int areas = 1 + round % 3;
        n += (size_t)snprintf(text + n, 200,
                              "=== r%d ===\nGC: total: %d, used: 0, free: 0\n No. of 1-blocks: "
                              "99999, 2-blocks: 99999, max blk sz: 99999\n",
                              round, areas * 128 * 16);
        for (int a = 0; a < areas; a++) {
            n += (size_t)snprintf(text + n, 80, "GC memory layout; from %x:\n", 0x10000 * (a + 1));
            for (int row = 0; row < 2; row++) {
                n += (size_t)snprintf(text + n, 16, "%05x: ", (unsigned)(row * 64 * 16));
                for (int c = 0; c < 64; c++) {
                    seed = seed * 1103515245u + 12345u;
                    unsigned r = seed >> 16;
                    // Some areas end in one long allocation, some rows are mostly tails.
                    char x = letters[r % (sizeof letters - 1)];
                    if (round % 4 == 1 && row == 1 && c > 20)
                        x = c == 21 ? 'h' : '=';
                    if (round % 5 == 2 && row == 0 && c == 0)
                        x = '='; // an area starting with a tail
                    if (round % 7 == 3 && a == areas - 1) // one allocation, at the end
                        x = row == 0 || c < 40 ? '.' : c == 40 ? 'L' : '=';
                    text[n++] = x;
                }
                text[n++] = '\n';
            }
        }
        char name[32];
        snprintf(name, sizeof name, "old-era round %d", round);
        same += same_reading(name, text, n, false, MPH_KEEP_NONE);
    }
    free(text);
    CHECK_EQ(same, 300);
}
