/* A heap bigger than 4 GiB printed by v1.20+: "%08x" of (uint)(offset) wraps
 * to 00000000 after 4 GiB. The text is made here, printed the way py/gc.c's
 * gc_dump_alloc_table prints it (mostly free, so it is a few lines), with the
 * figures gc_info() prints: "%u" of (uint)info.total, so GC total, used and
 * free wrap modulo 2^32 too (mem: total/current/peak are UINT_FMT, unwrapped).
 * It must parse strictly (every figure agrees), put each block at its true
 * offset past the wrap, cost about a byte per block, and render with the same
 * "(N lines all free)" MicroPython printed. */
#include "harness.h"

#include <stdlib.h>
#include "test_parser_rss.h"

#define BPB 32u
#define WRAP_BLOCKS (UINT64_C(1) << 27) /* 4 GiB / 32 */

typedef struct big_heap {
    uint64_t blocks;      /* in the area */
    uint64_t row_r;       /* the row past the wrap that holds objects */
    uint64_t n_abbrev1, n_abbrev2;
    uint64_t longest_free;
    char text[2048];
    size_t len;
} big_heap;

static void print_row(big_heap *h, uint64_t row, const char *cells) {
    h->len += (size_t)snprintf(h->text + h->len, sizeof h->text - h->len, "%08x: %s\n",
                               (unsigned)(row * 64 * BPB), cells); // the (uint) cast wraps
}

/* with_row1: a second row right after the first, so the block size is known before the wrap.
 * blocks: the heap's size, more than WRAP_BLOCKS + 11 rows. */
static void make_big_heap(big_heap *h, bool with_row1, uint64_t blocks) {
    memset(h, 0, sizeof *h);
    h->blocks = blocks;
    h->row_r = WRAP_BLOCKS / 64 + 10;    // at 4 GiB + 20 KiB: printed 00005000
    char dots[65], row0[65], row1[65], rowr[65];
    memset(dots, '.', 64);
    dots[64] = 0;
    memcpy(row0, dots, 65);
    memcpy(row0, "h=======", 8);
    memcpy(row1, dots, 65);
    memcpy(row1, "L=", 2);
    memcpy(rowr, dots, 65);
    memcpy(rowr + 3, "D===", 4);
    memcpy(rowr + 10, "S=", 2);
    uint64_t first_free = with_row1 ? 66 : 8; // the free run up to row R's 'D'
    uint64_t used = with_row1 ? 16 : 14;
    uint64_t head_r = h->row_r * 64 + 3;
    uint64_t after_rows = with_row1 ? 128 : 64;
    h->n_abbrev1 = (head_r - after_rows) / 64;
    h->n_abbrev2 = (h->blocks - (h->row_r + 1) * 64) / 64;
    h->longest_free = head_r - first_free;
    uint64_t total = h->blocks * BPB;
    // (uint) casts, as gc_info() prints them
    h->len = (size_t)snprintf(h->text, sizeof h->text,
                              "mem: total=8396, current=3201, peak=6528\n"
                              "stack: 992 out of 80000\n"
                              "GC: total: %u, used: %u, free: %u\n"
                              " No. of 1-blocks: 0, 2-blocks: %d, max blk sz: 8, max free sz: %llu\n"
                              "GC memory layout; from 7f0000000000:\n",
                              (unsigned)total, (unsigned)(used * BPB),
                              (unsigned)(total - used * BPB), with_row1 ? 2 : 1,
                              (unsigned long long)h->longest_free);
    print_row(h, 0, row0);
    if (with_row1)
        print_row(h, 1, row1);
    h->len += (size_t)snprintf(h->text + h->len, sizeof h->text - h->len,
                               "       (%llu lines all free)\n", (unsigned long long)h->n_abbrev1);
    print_row(h, h->row_r, rowr);
    h->len += (size_t)snprintf(h->text + h->len, sizeof h->text - h->len,
                               "       (%llu lines all free)\n", (unsigned long long)h->n_abbrev2);
    print_row(h, h->blocks / 64, dots + 64 - h->blocks % 64); // the short last row, free
}

typedef struct counting_sink {
    size_t bytes;
    char tail[8192]; /* the start of the output, to look into */
    size_t kept;
} counting_sink;

static mph_status count_write(void *ctx, const char *buf, size_t len) {
    counting_sink *c = ctx;
    size_t room = sizeof c->tail - 1 - c->kept;
    size_t n = len < room ? len : room;
    memcpy(c->tail + c->kept, buf, n);
    c->kept += n;
    c->tail[c->kept] = 0;
    c->bytes += len;
    return MPH_OK;
}

/* The parse's peak memory growth in KiB; -1 (and *why) when it cannot be measured. */
static long parse_rss_growth(const big_heap *h, const char **why) {
    long before;
    if (!rss_peak_reset(&before, why))
        return -1;
    mph_log *log = NULL;
    mph_status st = mph_log_parse(h->text, h->len, NULL, &log, NULL);
    long grown = rss_peak_growth(before);
    mph_log_free(log);
    if (st) {
        *why = "the parse failed";
        return -1;
    }
    return grown;
}

static void check_big(bool with_row1, uint64_t blocks) {
    big_heap *h = malloc(sizeof *h);
    make_big_heap(h, with_row1, blocks);
    CHECK(h->len < 1500); // a 4 GiB heap in a few lines
    mph_log *log = NULL;
    mph_error err = {0};
    mph_parse_options strict = {0, true};
    mph_status st = mph_log_parse(h->text, h->len, &strict, &log, &err);
    if (st) {
        char d[400];
        snprintf(d, sizeof d, "%lu:%lu: %s", err.line, err.column, err.message);
        harness_check(0, __FILE__, __LINE__, "parse", d);
        free(h);
        return;
    }
    const mph_snapshot *s = mph_log_snapshot(log, 0);
    CHECK_EQ(mph_snapshot_block_count(s), h->blocks);
    CHECK_EQ(mph_snapshot_block_size(s), BPB);
    CHECK_EQ(mph_snapshot_block_size_source(s), MPH_BS_ROW_STEP);
    CHECK_EQ(mph_snapshot_row_format(s), MPH_ROWS_OFFSET8);
    const mph_area *a = mph_snapshot_area(s, 0);
    uint64_t d_at = h->row_r * 64 + 3;
    CHECK_EQ(a->cells[d_at], 'D');
    CHECK_EQ(a->cells[d_at - 1], '.');
    CHECK_EQ(a->cells[d_at + 7], 'S');
    CHECK_EQ(a->cells[h->blocks - 1], '.');
    CHECK_EQ(mph_snapshot_block_address(s, 0, d_at), 0x7f0000000000ull + d_at * BPB);
    CHECK(d_at * BPB > (UINT64_C(1) << 32)); // past the wrap
    mph_stats stats;
    CHECK_EQ(mph_stats_compute(s, MPH_ALL_AREAS, &stats, NULL), MPH_OK);
    CHECK_EQ(stats.largest_free_blocks, h->longest_free);
    CHECK_EQ(stats.total_blocks * BPB, mph_snapshot_header(s)->gc_total);
    // About a byte per block: the cells, not a copy of them, not the text.
    // (ASan adds an eighth for its shadow.)
    const char *why = NULL;
    long grown_kib = parse_rss_growth(h, &why);
    long limit_kib = (long)(h->blocks / 1024 * 5 / 4) + 16 * 1024;
    if (grown_kib < 0) {
        harness_skip(why);
    } else {
        if (grown_kib > limit_kib || getenv("MPH_TEST_VERBOSE"))
            fprintf(stderr, "  peak RSS grew by %ld KiB (limit %ld) for %llu blocks\n",
                    grown_kib, limit_kib, (unsigned long long)h->blocks);
        CHECK(grown_kib <= limit_kib);
        CHECK(grown_kib >= (long)(h->blocks / 1024) * 9 / 10); // it did measure the cells
    }
    // The map, collapsed, says what MicroPython said.
    counting_sink c = {0, {0}, 0};
    mph_sink sink = {count_write, &c};
    mph_ansi_options o = {1, true, MPH_PALETTE_SEED, false, 1, false, NULL, MPH_COLORS_256, 0};
    CHECK_EQ(mph_render_ansi_map(s, &o, &sink, &err), MPH_OK);
    char want[64];
    snprintf(want, sizeof want, "(%llu lines all free)", (unsigned long long)h->n_abbrev1);
    CHECK(strstr(c.tail, want) != NULL);
    snprintf(want, sizeof want, "(%llu lines all free)", (unsigned long long)h->n_abbrev2);
    CHECK(strstr(c.tail, want) != NULL);
    CHECK(c.bytes < 4096);
    mph_log_free(log);
    free(h);
}

// 4 GiB + 256 KiB + 1 KiB: the last row has 32 cells
TEST(parser_wrap_4g_known_step) { check_big(true, WRAP_BLOCKS + 8192 + 32); }

/* The first step crosses the wrap: only the (uint) wrap makes 32 fit. */
TEST(parser_wrap_4g_step_across_wrap) { check_big(false, WRAP_BLOCKS + 8192 + 32); }

/* Issue 14's heap: 4,560,293,376 bytes, printed "GC: total: 265326080", with
 * over two million free lines collapsed (more than the printed total allows). */
TEST(parser_wrap_4g_issue_heap) {
    big_heap *h = malloc(sizeof *h);
    make_big_heap(h, true, UINT64_C(4560293376) / BPB);
    CHECK(strstr(h->text, "GC: total: 265326080, used: 512, free: 265325568\n") != NULL);
    CHECK(h->n_abbrev1 * 64 * BPB > UINT64_C(265326080)); // the printed total cannot hold it
    free(h);
    check_big(true, UINT64_C(4560293376) / BPB);
}

/* A total that the map does not give modulo 2^32 stays a mismatch. */
TEST(parser_wrap_4g_other_total_is_a_mismatch) {
    big_heap *h = malloc(sizeof *h);
    make_big_heap(h, true, WRAP_BLOCKS + 8192 + 32);
    char *t = strstr(h->text, "GC: total: ");
    CHECK(t != NULL);
    if (t) {
        t += 11;
        *t = *t == '9' ? '1' : (char)(*t + 1); // edit the first digit
    }
    mph_log *log = NULL;
    mph_error err = {0};
    mph_parse_options strict = {0, true};
    CHECK_EQ(mph_log_parse(h->text, h->len, &strict, &log, &err), MPH_ERR_INVARIANT);
    CHECK(strstr(err.message, "GC total") != NULL);
    CHECK_EQ(err.line, 3);
    mph_log_free(log);
    free(h);
}
