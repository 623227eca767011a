/* Figures of a snapshot, from one pass over its cells. MicroPython's own
 * gc_info() defines what the header's counts mean (py/gc.c): an allocation
 * is a head and the tails after it, a free run ends at a head or at the end
 * of its area. */
#include "internal.h"

#include <string.h>

/* Length of the run of byte c starting at cells[i], eight bytes at a time. */
static size_t run_of(const char *cells, size_t n, size_t i, char c) {
    size_t start = i;
    const uint64_t pattern = 0x0101010101010101ull * (unsigned char)c;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, cells + i, 8);
        uint64_t x = w ^ pattern;
        if (x) {
            // Count the equal low-address bytes (little and big endian alike).
            while (cells[i] == c)
                i++;
            return i - start;
        }
        i += 8;
    }
    while (i < n && cells[i] == c)
        i++;
    return i - start;
}

static unsigned bucket_of(uint64_t v) {
    unsigned k = 0;
    while (v >>= 1)
        k++;
    return k < MPH_HISTOGRAM_BUCKETS ? k : MPH_HISTOGRAM_BUCKETS - 1;
}

static void area_stats(const mph_snapshot *s, size_t ai, mph_stats *st) {
    const mph_area *a = &s->areas[ai];
    const char *cells = a->cells;
    size_t n = a->n_blocks, i = 0, last_used_end = 0;
    st->total_blocks += n;
    while (i < n) {
        char c = cells[i];
        if (c == '.') {
            size_t run = run_of(cells, n, i, '.');
            st->free_blocks += run;
            st->free_runs++;
            st->free_histogram[bucket_of(run)]++;
            if (run > st->largest_free_blocks) {
                st->largest_free_blocks = run;
                st->largest_free_area = ai;
                st->largest_free_block = i;
            }
            i += run;
            continue;
        }
        size_t start = i++;
        if (i < n && cells[i] == '=')
            i += run_of(cells, n, i, '=');
        size_t len = i - start;
        st->used_blocks += len;
        st->allocs++;
        if (c == '=')
            st->orphan_tails++;
        int type = mph_type_of_cell(c);
        mph_type_stats *ts = &st->by_type[type >= 0 ? type : MPH_TYPE_OTHER];
        ts->allocs++;
        ts->blocks += len;
        if (len == 1)
            st->n_1block++;
        else if (len == 2)
            st->n_2block++;
        if (len > st->max_alloc_blocks)
            st->max_alloc_blocks = len;
        st->alloc_histogram[bucket_of(len)]++;
        last_used_end = i;
    }
    st->free_above_top_blocks += n - last_used_end;
}

mph_status mph_stats_compute(const mph_snapshot *s, size_t area, mph_stats *out, mph_error *err) {
    if (!s || !out || (area != MPH_ALL_AREAS && area >= s->n_areas)) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no snapshot, no output or no such area");
        return MPH_ERR_ARG;
    }
    mph_stats st;
    memset(&st, 0, sizeof st);
    st.block_size = s->block_size;
    if (area == MPH_ALL_AREAS)
        for (size_t i = 0; i < s->n_areas; i++)
            area_stats(s, i, &st);
    else
        area_stats(s, area, &st);
    st.largest_free_address =
        st.largest_free_blocks
            ? mph_snapshot_block_address(s, st.largest_free_area, st.largest_free_block)
            : 0;
    st.fragmentation =
        st.free_blocks ? 1.0 - (double)st.largest_free_blocks / (double)st.free_blocks : 0.0;
    *out = st;
    return MPH_OK;
}

uint64_t mph_stats_fit_count(const mph_snapshot *s, uint64_t bytes) {
    if (!s || !s->block_size || !bytes)
        return 0;
    uint64_t need = (bytes + s->block_size - 1) / s->block_size;
    uint64_t count = 0;
    for (size_t ai = 0; ai < s->n_areas; ai++) {
        const mph_area *a = &s->areas[ai];
        for (size_t i = 0; i < a->n_blocks;) {
            if (a->cells[i] != '.') {
                i++;
                continue;
            }
            size_t run = run_of(a->cells, a->n_blocks, i, '.');
            count += run / need;
            i += run;
        }
    }
    return count;
}
