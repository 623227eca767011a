/*
 * parse_only: the parser alone, for the benchmarks. Reads FILE (or stdin) in
 * 128 KiB chunks, as the CLI does (src/cli/common.c), feeds each to
 * mph_parser_feed, finishes, and prints the number of snapshots and of blocks
 * so the work cannot be optimised away.
 *
 * With --stats-floor, then the least a second pass over the cells for the
 * stats does, and nothing more: each 64 cells loaded again, their free and
 * tail masks, the head letters counted (nine compares of 32 cells: the tenth
 * letter is the heads left over) and the runs counted by length in levels of
 * 2^k (as stats.c counts the runs inside a chunk, here four chunks at once
 * in AVX2 lanes, faster than stats.c's one at a time), in two halves on two
 * threads from 256 Ki blocks, as stats.c walks. What stats.c skips it skips
 * too: the long runs the parser saw, and chunks all inside one run. No run
 * across a chunk's ends, no largest run, no tails by type: a floor under
 * `stats` for any walk that counts the letters and the runs this way.
 *
 *   parse_only [--stats-floor] [FILE]
 */
#include "mpheap.h"
#include "../src/lib/internal.h" /* the stretches the parser saw (the walk crosses them) */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (128u << 10)

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

static const char head_letters[9] = {'T', 'L', 'D', 'S', 'A', 'F', 'B', 'M', 'm'}; /* and 'h' */

/* One thread's part: cells [from, to) of the snapshot's, and the stretches
 * the parser saw (crossed unread, as stats.c crosses them). */
typedef struct floor_pass {
    const char *cells;
    size_t from, to;
    const mph__stretch *stretches;
    size_t n_stretches;
    uint64_t sum; /* of every count: printed, so that no step is left out */
} floor_pass;

/* The byte counters of a vector, added up. */
__attribute__((target("avx2"))) static uint64_t bytes_sum(__m256i v) {
    __m256i s = _mm256_sad_epu8(v, _mm256_setzero_si256());
    return (uint64_t)_mm256_extract_epi64(s, 0) + (uint64_t)_mm256_extract_epi64(s, 1) +
           (uint64_t)_mm256_extract_epi64(s, 2) + (uint64_t)_mm256_extract_epi64(s, 3);
}

/* The set bits of each byte (a nibble table): the popcount of four masks at once. */
__attribute__((target("avx2"), always_inline)) static inline __m256i byte_popcount(__m256i v) {
    const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1,
                                           2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(15);
    return _mm256_add_epi8(_mm256_shuffle_epi8(table, _mm256_and_si256(v, low)),
                           _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(v, 4), low)));
}

#define LEVELS 6 /* runs of 1, 2, 4 ... 32 or more (stats.c: free 6, allocations 6 counted) */
/* Level k of four chunks' masks at once: run starts and cells counted in
 * byte counters (at most 8 a byte a round: flushed every 31 rounds). */
typedef struct levels_count {
    __m256i runs[2 * LEVELS], cells[2 * LEVELS];
    unsigned rounds;
    uint64_t sum;
} levels_count;

__attribute__((target("avx2"))) static void levels_flush(levels_count *lc) {
    for (int k = 0; k < 2 * LEVELS; k++) {
        lc->sum += bytes_sum(lc->runs[k]) + bytes_sum(lc->cells[k]);
        lc->runs[k] = lc->cells[k] = _mm256_setzero_si256();
    }
    lc->rounds = 0;
}

__attribute__((target("avx2"))) static void levels_add(levels_count *lc, const uint64_t free_m[4],
                                                        const uint64_t tail_m[4]) {
    __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)free_m);
    __m256i y = _mm256_loadu_si256((const __m256i *)(const void *)tail_m);
#pragma GCC unroll 8
    for (int k = 0; k < LEVELS; k++) {
        __m256i sx = _mm256_andnot_si256(_mm256_slli_epi64(x, 1), x);
        __m256i sy = _mm256_andnot_si256(_mm256_slli_epi64(y, 1), y);
        lc->runs[k] = _mm256_add_epi8(lc->runs[k], byte_popcount(sx));
        lc->cells[k] = _mm256_add_epi8(lc->cells[k], byte_popcount(x));
        lc->runs[LEVELS + k] = _mm256_add_epi8(lc->runs[LEVELS + k], byte_popcount(sy));
        lc->cells[LEVELS + k] = _mm256_add_epi8(lc->cells[LEVELS + k], byte_popcount(y));
        x = _mm256_and_si256(x, _mm256_srli_epi64(x, 1 << k));
        y = _mm256_and_si256(y, _mm256_srli_epi64(y, 1 << k));
    }
    if (++lc->rounds == 31)
        levels_flush(lc);
}

__attribute__((target("avx2,popcnt"))) static void *floor_walk(void *arg) {
    floor_pass *f = arg;
    const __m256i free_c = _mm256_set1_epi8('.'), tail_c = _mm256_set1_epi8('=');
    __m256i acc[9];
    for (int k = 0; k < 9; k++)
        acc[k] = _mm256_setzero_si256();
    levels_count lc;
    memset(&lc, 0, sizeof lc);
    uint64_t sum = 0, free_m[4] = {0}, tail_m[4] = {0};
    unsigned chunks = 0, held = 0;
    size_t next = 0; // the next stretch
    while (next < f->n_stretches && f->stretches[next].end <= f->from)
        next++;
    for (size_t i = f->from; i + 64 <= f->to; i += 64) {
        if (next < f->n_stretches && f->stretches[next].start <= i) { // crossed unread
            size_t end = f->stretches[next++].end & ~(size_t)63;
            i = (end > i ? end : i + 64) - 64;
            continue;
        }
        __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)(f->cells + i));
        __m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(f->cells + i + 32));
        uint64_t fr = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, free_c)) |
                      (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, free_c)) << 32;
        uint64_t tl = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, tail_c)) |
                      (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, tail_c)) << 32;
        if (!~fr || !~tl) // all inside one run: no head, no run to count here
            continue;
        sum += (uint64_t)__builtin_popcountll(~(fr | tl)); // the heads
#pragma GCC unroll 16
        for (int k = 0; k < 9; k++) {
            __m256i c = _mm256_set1_epi8(head_letters[k]);
            acc[k] = _mm256_sub_epi8(_mm256_sub_epi8(acc[k], _mm256_cmpeq_epi8(lo, c)),
                                     _mm256_cmpeq_epi8(hi, c));
        }
        if (++chunks == 127) {
            for (int k = 0; k < 9; k++) {
                sum += bytes_sum(acc[k]);
                acc[k] = _mm256_setzero_si256();
            }
            chunks = 0;
        }
        free_m[held] = fr;
        tail_m[held] = tl;
        if (++held == 4) {
            levels_add(&lc, free_m, tail_m);
            held = 0;
        }
    }
    for (unsigned j = held; j < 4; j++)
        free_m[j] = tail_m[j] = 0;
    levels_add(&lc, free_m, tail_m);
    levels_flush(&lc);
    for (int k = 0; k < 9; k++)
        sum += bytes_sum(acc[k]);
    f->sum = sum + lc.sum;
    return NULL;
}

/* The floor pass over a snapshot's area: two halves at once from 256 Ki blocks. */
static uint64_t floor_area(const mph_snapshot *s, size_t ai) {
    const mph_area *ar = mph_snapshot_area(s, ai);
    size_t first = ar->first_block, n = ar->n_blocks;
    floor_pass a = {s->cells, first, first + n, s->stretches, s->n_stretches, 0}, b = a;
    pthread_t other;
    bool threaded = false, halves = n >= (256u << 10);
    if (halves) {
        a.to = b.from = first + (n / 2 & ~(size_t)63);
        threaded = pthread_create(&other, NULL, floor_walk, &b) == 0;
        if (!threaded)
            floor_walk(&b);
    }
    floor_walk(&a);
    if (threaded)
        pthread_join(other, NULL);
    return a.sum + (halves ? b.sum : 0);
}

static bool floor_available(void) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
}
#else
static uint64_t floor_area(const mph_snapshot *s, size_t ai) {
    (void)s;
    (void)ai;
    return 0;
}
static bool floor_available(void) { return false; }
#endif

int main(int argc, char **argv) {
    bool stats_floor = argc > 1 && strcmp(argv[1], "--stats-floor") == 0;
    if (argc - stats_floor > 2) {
        fputs("usage: parse_only [--stats-floor] [FILE]\n", stderr);
        return 2;
    }
    if (stats_floor && !floor_available()) {
        fputs("parse_only: --stats-floor needs x86-64 with AVX2\n", stderr);
        return 2;
    }
    const char *path = argc - stats_floor == 2 ? argv[1 + stats_floor] : NULL;
    int fd = path ? open(path, O_RDONLY) : 0;
    if (fd < 0) {
        fprintf(stderr, "parse_only: %s: %s\n", path, strerror(errno));
        return 1;
    }
    char *buf = malloc(CHUNK);
    mph_parser *p = mph_parser_new(NULL);
    mph_log *log = NULL;
    mph_error err = {0};
    int rc = 1;
    if (!buf || !p) {
        fputs("parse_only: out of memory\n", stderr);
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "parse_only: read: %s\n", strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        if (mph_parser_feed(p, buf, (size_t)n, &err) != MPH_OK)
            goto fail;
    }
    if (mph_parser_finish(p, &log, &err) != MPH_OK)
        goto fail;
    size_t blocks = 0, count = mph_log_snapshot_count(log);
    for (size_t i = 0; i < count; i++)
        blocks += mph_snapshot_block_count(mph_log_snapshot(log, i));
    printf("%zu snapshots, %zu blocks\n", count, blocks);
    if (stats_floor) {
        uint64_t sum = 0;
        for (size_t i = 0; i < count; i++) {
            const mph_snapshot *s = mph_log_snapshot(log, i);
            for (size_t a = 0; mph_snapshot_has_map(s) && a < mph_snapshot_area_count(s); a++)
                sum += floor_area(s, a);
        }
        printf("stats floor: %llu\n", (unsigned long long)sum);
    }
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "parse_only: %s:%lu:%lu: %s\n", path ? path : "<stdin>", err.line, err.column,
            err.message);
out:
    mph_log_free(log);
    mph_parser_free(p);
    free(buf);
    if (fd > 0)
        close(fd);
    return rc;
}
