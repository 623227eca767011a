/* Where blocks go on a screen of cells, and what is at a block: the
 * non-drawing half of the full-screen views (mpheap watch, explore), and of
 * any other view that moves a cursor over a map. */
#include "internal.h"

#include <string.h>

/* Lines of one area: its title, then its cells. */
static size_t area_lines(size_t n_blocks, unsigned width, uint64_t scale) {
    uint64_t cells = n_blocks / scale + (n_blocks % scale != 0);
    return 1 + (size_t)(cells / width + (cells % width != 0));
}

mph_status mph_layout_init(mph_layout *l, const mph_snapshot *s, unsigned width, uint64_t scale,
                           mph_error *err) {
    if (!l || !s || width == 0 || scale == 0) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "a layout needs a snapshot, a width and a scale");
        return MPH_ERR_ARG;
    }
    size_t lines = 0;
    for (size_t i = 0; i < mph_snapshot_area_count(s); i++)
        lines += area_lines(mph_snapshot_area(s, i)->n_blocks, width, scale);
    l->snapshot = s;
    l->width = width;
    l->scale = scale;
    l->n_lines = lines;
    return MPH_OK;
}

uint64_t mph_layout_fit_scale(const mph_snapshot *s, unsigned width, size_t max_lines) {
    if (!s || !width)
        return 1;
    for (uint64_t k = 1;; k *= 2) {
        size_t lines = 0;
        for (size_t i = 0; i < mph_snapshot_area_count(s); i++)
            lines += area_lines(mph_snapshot_area(s, i)->n_blocks, width, k);
        if (lines <= max_lines || k >= (UINT64_C(1) << 40))
            return k;
    }
}

bool mph_layout_block_at(const mph_layout *l, size_t line, unsigned col, size_t *area,
                         size_t *block) {
    if (!l || !l->snapshot || col >= l->width)
        return false;
    size_t first = 0;
    for (size_t i = 0; i < mph_snapshot_area_count(l->snapshot); i++) {
        size_t n = mph_snapshot_area(l->snapshot, i)->n_blocks;
        size_t lines = area_lines(n, l->width, l->scale);
        if (line < first + lines) {
            if (line == first)
                return false; // the title
            uint64_t cell = (uint64_t)(line - first - 1) * l->width + col;
            if (cell >= (n + l->scale - 1) / l->scale)
                return false;
            *area = i;
            *block = (size_t)(cell * l->scale);
            return true;
        }
        first += lines;
    }
    return false;
}

bool mph_layout_find(const mph_layout *l, size_t area, size_t block, size_t *line, unsigned *col) {
    if (!l || !l->snapshot || area >= mph_snapshot_area_count(l->snapshot) ||
        block >= mph_snapshot_area(l->snapshot, area)->n_blocks)
        return false;
    size_t first = 0;
    for (size_t i = 0; i < area; i++)
        first += area_lines(mph_snapshot_area(l->snapshot, i)->n_blocks, l->width, l->scale);
    uint64_t cell = block / l->scale;
    *line = first + 1 + (size_t)(cell / l->width);
    *col = (unsigned)(cell % l->width);
    return true;
}

size_t mph_layout_area_line(const mph_layout *l, size_t area) {
    size_t first = 0;
    for (size_t i = 0; l && l->snapshot && i < area && i < mph_snapshot_area_count(l->snapshot);
         i++)
        first += area_lines(mph_snapshot_area(l->snapshot, i)->n_blocks, l->width, l->scale);
    return first;
}

mph_status mph_layout_describe(const mph_snapshot *s, size_t area, size_t block,
                               mph_block_info *out, mph_error *err) {
    if (!s || !out || area >= mph_snapshot_area_count(s) ||
        block >= mph_snapshot_area(s, area)->n_blocks) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no block %zu in area %zu", block, area + 1);
        return MPH_ERR_ARG;
    }
    const mph_area *a = mph_snapshot_area(s, area);
    const char *c = a->cells;
    mph_block_info info;
    memset(&info, 0, sizeof info);
    info.area = area;
    info.block = block;
    info.address = mph_snapshot_block_address(s, area, block);
    size_t start = block, end = block + 1;
    if (c[block] == MPH_CELL_FREE) {
        info.free = true;
        while (start > 0 && c[start - 1] == MPH_CELL_FREE)
            start--;
        while (end < a->n_blocks && c[end] == MPH_CELL_FREE)
            end++;
    } else {
        // Back over the tails to the head; a free block or the area's start first:
        // an orphan.
        while (start > 0 && c[start] == MPH_CELL_TAIL && c[start - 1] != MPH_CELL_FREE)
            start--;
        int type = mph_type_of_cell(c[start]);
        info.orphan = type < 0;
        info.type = type < 0 ? MPH_TYPE_OTHER : (mph_type)type;
        while (end < a->n_blocks && c[end] == MPH_CELL_TAIL)
            end++;
    }
    info.start = start;
    info.n_blocks = end - start;
    info.start_address = mph_snapshot_block_address(s, area, start);
    *out = info;
    return MPH_OK;
}

bool mph_layout_locate(const mph_snapshot *s, uint64_t address, size_t *area, size_t *block) {
    unsigned bs = s ? mph_snapshot_block_size(s) : 0;
    if (!s || !bs)
        return false;
    size_t n_areas = mph_snapshot_area_count(s);
    bool any_base = false;
    for (size_t i = 0; i < n_areas; i++) {
        const mph_area *a = mph_snapshot_area(s, i);
        if (!a->has_base)
            continue;
        any_base = true;
        if (address >= a->base && (address - a->base) / bs < a->n_blocks) {
            *area = i;
            *block = (size_t)((address - a->base) / bs);
            return true;
        }
    }
    if (any_base)
        return false;
    // No base address printed: the address is an offset into the areas, one after
    // another.
    uint64_t b = address / bs;
    for (size_t i = 0; i < n_areas; i++) {
        size_t n = mph_snapshot_area(s, i)->n_blocks;
        if (b < n) {
            *area = i;
            *block = (size_t)b;
            return true;
        }
        b -= n;
    }
    return false;
}
