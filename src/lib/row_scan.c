/* The parser's hot loop: most of a big dump is full rows, "%08x: " and 64
 * cells, one after the other. Each is checked (its offset, its letters),
 * copied, and its free and tail cells counted into the area's figures.
 *
 * A version per instruction set, picked once at run time: with AVX2 a table
 * look-up on each nibble (vpshufb) checks 32 cells in a few instructions,
 * where SSE2 needs twelve compares for 16, and POPCNT counts the figures'
 * masks in one instruction instead of a library call. Both are the same
 * loop, inlined with their own cell check. */
#include "figures.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_SCAN 1
#endif

#define ROW_CELLS 64
#define ROW_TEXT 74 /* "XXXXXXXX: " and the cells, without the line end */

/* Are the 64 cells all map letters? If so, their free and tail masks. */
typedef bool cells_check(const char *cells, uint64_t *free_m, uint64_t *tail_m);

/* "%08x" of v as the 8 bytes of a word, in memory order. */
MPH_HOT uint64_t hex8(uint32_t v) {
    uint64_t x = v;
    // Nibble k to byte k, then the most significant first, then to ASCII.
    x = (x | x << 16) & UINT64_C(0x0000ffff0000ffff);
    x = (x | x << 8) & UINT64_C(0x00ff00ff00ff00ff);
    x = (x | x << 4) & UINT64_C(0x0f0f0f0f0f0f0f0f);
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    uint64_t letters = (x + UINT64_C(0x0606060606060606)) >> 4 & UINT64_C(0x0101010101010101);
    return x + UINT64_C(0x3030303030303030) + letters * ('a' - '0' - 10);
}

/* Are the 64 cells all c? */
typedef bool cells_same(const char *cells, char c);

/* The loop, with locals for everything it reads or updates: the cells are
 * chars, which may alias anything behind a pointer.
 *
 * A row that only continues a run (64 tails after a used cell, as in a big
 * allocation; 64 free cells after a free one) changes no count but the run's
 * length: it is checked with two compares and fed without the masks. */
MPH_HOT void rows_loop(mph__rows *r, cells_check *check, cells_same *same, bool skim) {
    const char *at = r->at, *end = r->end;
    char *cells = r->cells;
    size_t n_blocks = r->n_blocks, room = r->room;
    uint64_t offset = r->offset, step = r->step;
    mph__figures figures = *r->figures;
    unsigned long rows = 0;
    // Its chunks leave out their inner runs: on the area's grid of 64, they
    // are looked for again faster (mph__figures_finish). A skimmed map has no
    // cells to look at again: its chunks are counted whole.
    if (!skim)
        figures.off_grid |= figures.cells % ROW_CELLS != 0;
    while (end - at > ROW_TEXT && n_blocks + ROW_CELLS <= room) {
        size_t len = at[ROW_TEXT] == '\n'                                                  ? ROW_TEXT
                     : end - at > ROW_TEXT + 1 && at[ROW_TEXT] == '\r' && at[ROW_TEXT + 1] == '\n' ? ROW_TEXT + 1
                                                                                               : 0;
        uint64_t digits, free_m, tail_m;
        memcpy(&digits, at, 8);
        if (!len || at[8] != ':' || at[9] != ' ' || digits != hex8((uint32_t)offset))
            break;
        const char *row = at + 10;
        char c = row[0];
        if (c == row[ROW_CELLS - 1] &&
            ((c == MPH_CELL_TAIL && figures.last_used) || (c == MPH_CELL_FREE && figures.last_free)) &&
            same(row, c)) {
            // What mph__figures_feed_masks would do with these masks, less the no-ops.
            if (!skim)
                memcpy(cells + n_blocks, row, ROW_CELLS);
            if (c == MPH_CELL_TAIL) {
                figures.tail_run += ROW_CELLS;
                figures.last_start = 0;
                figures.last_tail = 1;
            } else {
                figures.free_blocks += ROW_CELLS;
                figures.free_run += ROW_CELLS;
            }
            figures.before_last_start = 0;
            figures.cells += ROW_CELLS;
        } else {
            if (!check(row, &free_m, &tail_m))
                break;
            if (!skim)
                memcpy(cells + n_blocks, row, ROW_CELLS);
            mph__figures_feed_masks(&figures, free_m, tail_m, ROW_CELLS, skim);
        }
        n_blocks += ROW_CELLS;
        offset += step;
        rows++;
        at += len + 1;
    }
    r->at = at;
    r->n_blocks = n_blocks;
    r->offset = offset;
    r->rows = rows;
    *r->figures = figures;
}

MPH_HOT bool check_generic(const char *cells, uint64_t *free_m, uint64_t *tail_m) {
#if defined(__SSE2__)
    __m128i ok = _mm_set1_epi8(-1);
    uint64_t fm = 0, tm = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(cells + 16 * k));
        // The twelve letters of a map, compared at once over 16 cells.
#define LETTER(ch) _mm_cmpeq_epi8(v, _mm_set1_epi8(ch))
        __m128i is_free = LETTER('.'), is_tail = LETTER('=');
        __m128i a = _mm_or_si128(_mm_or_si128(is_free, is_tail), _mm_or_si128(LETTER('h'), LETTER('T')));
        __m128i b = _mm_or_si128(_mm_or_si128(LETTER('L'), LETTER('D')), _mm_or_si128(LETTER('S'), LETTER('A')));
        __m128i c = _mm_or_si128(_mm_or_si128(LETTER('F'), LETTER('B')), _mm_or_si128(LETTER('M'), LETTER('m')));
#undef LETTER
        ok = _mm_and_si128(ok, _mm_or_si128(_mm_or_si128(a, b), c));
        fm |= (uint64_t)(unsigned)_mm_movemask_epi8(is_free) << (16 * k);
        tm |= (uint64_t)(unsigned)_mm_movemask_epi8(is_tail) << (16 * k);
    }
    *free_m = fm;
    *tail_m = tm;
    return _mm_movemask_epi8(ok) == 0xffff;
#else
    unsigned bad = 0;
    for (int i = 0; i < ROW_CELLS; i++)
        bad |= mph__cell_class[(unsigned char)cells[i]] == CELL_INVALID;
    mph__cell_masks(cells, ROW_CELLS, free_m, tail_m);
    return !bad;
#endif
}

MPH_HOT bool same_generic(const char *cells, char c) {
#if defined(__SSE2__)
    const __m128i want = _mm_set1_epi8(c);
    __m128i ok = _mm_and_si128(
        _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)cells), want),
                      _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(cells + 16)), want)),
        _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(cells + 32)), want),
                      _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(cells + 48)), want)));
    return _mm_movemask_epi8(ok) == 0xffff;
#else
    unsigned bad = 0;
    for (int i = 0; i < ROW_CELLS; i++)
        bad |= cells[i] != c;
    return !bad;
#endif
}

void mph__rows_scan_generic(mph__rows *r) { rows_loop(r, check_generic, same_generic, false); }
void mph__rows_skim_generic(mph__rows *r) { rows_loop(r, check_generic, same_generic, true); }

#if HAVE_AVX2_SCAN
/* A byte is a map letter when the bits its two nibbles select share one:
 * each bit stands for a high nibble (2 '.', 3 '=', 4 'A'-'O', 5 'P'-'_',
 * 6 'a'-'o') and the low nibbles' table lists the letters of each. */
#define NIBBLES(x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, xa, xb, xc, xd, xe, xf)                       \
    _mm256_setr_epi8(x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, xa, xb, xc, xd, xe, xf, x0, x1, x2, x3, \
                     x4, x5, x6, x7, x8, x9, xa, xb, xc, xd, xe, xf)

__attribute__((target("avx2,popcnt"))) MPH_HOT bool check_avx2(const char *cells, uint64_t *free_m,
                                                                uint64_t *tail_m) {
    enum { DOT = 1, EQ = 2, UPPER_A = 4, UPPER_P = 8, LOWER = 16 };
    const __m256i by_high = NIBBLES(0, 0, DOT, EQ, UPPER_A, UPPER_P, LOWER, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m256i by_low = NIBBLES(0, UPPER_A, UPPER_A, UPPER_P, UPPER_A | UPPER_P, 0, UPPER_A, 0,
                                   LOWER, 0, 0, 0, UPPER_A, EQ | UPPER_A | LOWER, DOT, 0);
    const __m256i low4 = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
    const __m256i dot = _mm256_set1_epi8('.'), eq = _mm256_set1_epi8('=');
    __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)cells);
    __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(cells + 32));
    __m256i c0 = _mm256_and_si256(_mm256_shuffle_epi8(by_low, _mm256_and_si256(v0, low4)),
                                  _mm256_shuffle_epi8(by_high, _mm256_and_si256(_mm256_srli_epi16(v0, 4), low4)));
    __m256i c1 = _mm256_and_si256(_mm256_shuffle_epi8(by_low, _mm256_and_si256(v1, low4)),
                                  _mm256_shuffle_epi8(by_high, _mm256_and_si256(_mm256_srli_epi16(v1, 4), low4)));
    __m256i bad = _mm256_or_si256(_mm256_cmpeq_epi8(c0, zero), _mm256_cmpeq_epi8(c1, zero));
    *free_m = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, dot)) |
              (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v1, dot)) << 32;
    *tail_m = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, eq)) |
              (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v1, eq)) << 32;
    return _mm256_testz_si256(bad, bad);
}

__attribute__((target("avx2,popcnt"))) MPH_HOT bool same_avx2(const char *cells, char c) {
    const __m256i want = _mm256_set1_epi8(c);
    __m256i ok = _mm256_and_si256(
        _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)cells), want),
        _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(cells + 32)), want));
    return (uint32_t)_mm256_movemask_epi8(ok) == UINT32_MAX;
}

__attribute__((target("avx2,popcnt"))) void mph__rows_scan_avx2(mph__rows *r) {
    rows_loop(r, check_avx2, same_avx2, false);
}
__attribute__((target("avx2,popcnt"))) void mph__rows_skim_avx2(mph__rows *r) {
    rows_loop(r, check_avx2, same_avx2, true);
}
#endif

mph__rows_scan *mph__rows_scan_pick(bool skim) {
#if HAVE_AVX2_SCAN
    // The CPU's features were read by a constructor before main.
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
        return skim ? mph__rows_skim_avx2 : mph__rows_scan_avx2;
#endif
    return skim ? mph__rows_skim_generic : mph__rows_scan_generic;
}
