/* Small helpers over map cells shared by the analyses. */
#include "analyses.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

size_t mph__run_length(const char *cells, size_t n, size_t i, char c) {
    size_t start = i;
    const uint64_t pattern = 0x0101010101010101ull * (unsigned char)c;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, cells + i, 8);
        if (w != pattern)
            break; // the first differing byte is among these eight
        i += 8;
    }
    while (i < n && cells[i] == c)
        i++;
    return i - start;
}

int mph__by_size_desc(const void *x, const void *y) {
    const mph__sized *a = x, *b = y;
    if (a->n_blocks != b->n_blocks)
        return a->n_blocks > b->n_blocks ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

uint64_t mph__cells_equal_bits(const char *cells, size_t n, char c) {
    uint64_t bits = 0;
#if defined(__SSE2__)
    if (n == 64) {
        const __m128i want = _mm_set1_epi8(c);
        for (int k = 0; k < 4; k++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(cells + 16 * k));
            bits |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, want)) << (16 * k);
        }
        return bits;
    }
#endif
    for (size_t k = 0; k < n; k++)
        bits |= (uint64_t)(cells[k] == c) << k;
    return bits;
}

uint64_t mph__cells_same_bits(const char *a, const char *b, size_t n) {
    uint64_t bits = 0;
#if defined(__SSE2__)
    if (n == 64) {
        for (int k = 0; k < 4; k++) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(a + 16 * k));
            __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(b + 16 * k));
            bits |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) << (16 * k);
        }
        return bits;
    }
#endif
    for (size_t k = 0; k < n; k++)
        bits |= (uint64_t)(a[k] == b[k]) << k;
    return bits;
}

unsigned mph__bucket_of(uint64_t blocks) {
    unsigned k = 0;
    while (blocks >>= 1)
        k++;
    return k < MPH_HISTOGRAM_BUCKETS ? k : MPH_HISTOGRAM_BUCKETS - 1;
}

uint64_t mph_histogram_bucket_min(unsigned k) {
    return k < 64 ? UINT64_C(1) << k : 0;
}

uint64_t mph_histogram_bucket_max(unsigned k) {
    // The last bucket also holds everything larger.
    if (k + 1 >= MPH_HISTOGRAM_BUCKETS)
        return UINT64_MAX;
    return (UINT64_C(1) << (k + 1)) - 1;
}

bool mph__allocs_push(mph__allocs *a, const mph_alloc *x) {
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        mph_alloc *v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return false;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = *x;
    return true;
}

void mph__allocs_fini(mph__allocs *a) {
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

const char *mph__fmt_blocks(char buf[48], uint64_t blocks, unsigned block_size) {
    if (!block_size) {
        char c[32];
        snprintf(buf, 48, "%s block%s", mph__fmt_count(c, blocks), blocks == 1 ? "" : "s");
        return buf;
    }
    uint64_t bytes = blocks * block_size;
    char c[32];
    if (bytes < 1024)
        snprintf(buf, 48, "%s bytes", mph__fmt_count(c, bytes));
    else
        snprintf(buf, 48, "%s", mph__fmt_size(c, bytes));
    return buf;
}
