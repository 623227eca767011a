/* The map as rows of colour indexes, for the SVG and PNG renderers: the
 * terminal map's rules (render_ansi.c), its palette, its marks. */
#include "picture.h"

#include <stdlib.h>
#include <string.h>

mph_rgb mph__pic_rgb(mph_style st) {
    return st.default_bg ? st.fg.rgb : st.bg.rgb;
}

void mph__pic_colors(mph_palette_kind pal, mph_rgb out[PIC_N]) {
    for (int t = 0; t < MPH_TYPE_COUNT; t++)
        for (unsigned ph = 0; ph < PIC_PHASES; ph++)
            out[pic_head((mph_type)t, ph)] = mph__pic_rgb(mph_palette_head(pal, (mph_type)t, ph));
    static const mph_role roles[] = {MPH_ROLE_FREE,      MPH_ROLE_LARGEST_FREE, MPH_ROLE_BLOCKER,
                                     MPH_ROLE_LEVEL_LOW, MPH_ROLE_LEVEL_MID,    MPH_ROLE_LEVEL_HIGH,
                                     MPH_ROLE_LEVEL_FULL};
    for (int r = 0; r < 7; r++)
        out[PIC_FREE + r] = mph__pic_rgb(mph_palette_role(pal, roles[r]));
    out[PIC_BLANK] = (mph_rgb){255, 255, 255};
    if (pal == MPH_PALETTE_MONO) {
        // No colour: a picture still needs to tell cells apart, so greys by role.
        for (int i = 0; i < PIC_FREE; i++)
            out[i] = (mph_rgb){40, 40, 40};
        static const uint8_t grey[7] = {230, 170, 110, 200, 150, 100, 40};
        for (int r = 0; r < 7; r++)
            out[PIC_FREE + r] = (mph_rgb){grey[r], grey[r], grey[r]};
    }
}

mph_status mph__pic_check(const mph_snapshot *s, const mph_picture_options *o, const mph_sink *sink,
                          mph_error *err) {
    if (!s || !o || !sink) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no snapshot, options or sink");
        return MPH_ERR_ARG;
    }
    if (o->columns < 1 || o->columns > 64 || o->scale < 1 || o->pixels < 1 ||
        (unsigned)o->palette > MPH_PALETTE_MONO) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0,
                       "columns must be 1 to 64, scale and pixels at least 1, and "
                       "the palette known");
        return MPH_ERR_ARG;
    }
    return MPH_OK;
}

mph_status mph__pic_walk_init(pic_walk *w, const mph_snapshot *s, const mph_picture_options *o,
                              mph_error *err) {
    memset(w, 0, sizeof *w);
    w->s = s;
    w->scale = o->scale;
    w->per_row = (size_t)o->columns * PIC_GROUP;
    mph_stats st;
    mph__snapshot_figures(s, &st);
    // A map cut short does not hold the heap's largest free run: mark none.
    if (st.largest_free_blocks && !s->map_partial && s->n_areas) {
        w->largest = true;
        w->largest_area = st.largest_free_area;
        w->largest_start = st.largest_free_block;
        w->largest_end = st.largest_free_block + (size_t)st.largest_free_blocks;
        w->small_run = st.largest_free_blocks < 2 * o->scale;
    }
    const mph_verdict *v = o->verdict;
    if (v && v->snapshot == s && v->n_windows)
        w->window = &v->windows[0];
    w->mk = malloc(w->per_row);
    if (!w->mk) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    w->tail = pic_head(MPH_TYPE_OTHER, 0);
    return MPH_OK;
}

void mph__pic_walk_fini(pic_walk *w) {
    free(w->mk);
    w->mk = NULL;
}

size_t mph__pic_cells(const pic_walk *w, size_t a) {
    size_t n = w->s->areas[a].n_blocks;
    return (size_t)(n / w->scale + (n % w->scale != 0));
}

size_t mph__pic_rows(const pic_walk *w, size_t a) {
    size_t c = mph__pic_cells(w, a);
    return c / w->per_row + (c % w->per_row != 0);
}

void mph__pic_area(pic_walk *w, size_t a) {
    w->area = a;
    w->block = 0;
    w->tail = pic_head(MPH_TYPE_OTHER,
                       0); // as the terminal map: tails before a head look 'h'
}

static bool holds_blocker(const pic_walk *w, size_t b, size_t end) {
    if (!w->window || w->window->run.area != w->area)
        return false;
    for (size_t k = 0; k < w->window->n_listed; k++) {
        const mph_alloc *x = &w->window->blockers[k];
        if (x->block < end && x->block + x->n_blocks > b)
            return true;
    }
    return false;
}

/* Marks of [b, end): 0 none, 1 the largest free run, 2 a blocker (wins). */
static void row_marks(const pic_walk *w, size_t b, size_t end, unsigned char *out) {
    memset(out, 0, end - b);
    if (w->largest && w->area == w->largest_area && b < w->largest_end && end > w->largest_start) {
        size_t lo = b > w->largest_start ? b : w->largest_start;
        size_t hi = end < w->largest_end ? end : w->largest_end;
        memset(out + (lo - b), 1, hi - lo);
    }
    if (w->window && w->window->run.area == w->area)
        for (size_t k = 0; k < w->window->n_listed; k++) {
            const mph_alloc *x = &w->window->blockers[k];
            size_t xe = x->block + x->n_blocks;
            if (x->block >= end || xe <= b)
                continue;
            size_t lo = b > x->block ? b : x->block, hi = end < xe ? end : xe;
            memset(out + (lo - b), 2, hi - lo);
        }
}

size_t mph__pic_row(pic_walk *w, unsigned char *out) {
    const mph_area *a = &w->s->areas[w->area];
    size_t b0 = w->block, n = a->n_blocks;
    memset(out, PIC_BLANK, w->per_row);
    if (w->scale == 1) {
        size_t end = n - b0 < w->per_row ? n : b0 + w->per_row;
        row_marks(w, b0, end, w->mk);
        for (size_t i = b0; i < end; i++) {
            char c = a->cells[i];
            unsigned char col;
            if (c == MPH_CELL_FREE) {
                col = PIC_FREE;
            } else if (c == MPH_CELL_TAIL) {
                col = w->tail;
            } else {
                int t = mph_type_of_cell(c);
                col = pic_head(t >= 0 ? (mph_type)t : MPH_TYPE_OTHER, w->phase);
                w->phase = (w->phase + 1) % PIC_PHASES;
                w->tail = col;
            }
            unsigned char m = w->mk[i - b0];
            out[i - b0] = m == 2 ? PIC_BLOCKER : m == 1 ? PIC_LARGEST : col;
        }
        w->block = end;
        return b0;
    }
    // The overview: how full each cell's blocks are, as render_overview.
    size_t run_start = w->largest_start, run_end = w->largest_end;
    size_t b = b0;
    for (size_t cell = 0; cell < w->per_row && b < n; cell++) {
        size_t end = w->scale < n - b ? b + (size_t)w->scale : n;
        size_t used = 0;
        for (size_t i = b; i < end; i++)
            used += a->cells[i] != MPH_CELL_FREE;
        size_t k = end - b;
        bool in_run = w->largest && w->area == w->largest_area && b < run_end && end > run_start;
        unsigned char col;
        if (holds_blocker(w, b, end))
            col = PIC_BLOCKER;
        else if (in_run && (used == 0 || w->small_run))
            col = PIC_LARGEST;
        else if (used == 0)
            col = PIC_FREE;
        else if (used * 4 <= k)
            col = PIC_LOW;
        else if (used * 2 <= k)
            col = PIC_MID;
        else if (used < k)
            col = PIC_HIGH;
        else
            col = PIC_FULL;
        out[cell] = col;
        b = end;
    }
    w->block = b;
    return b0;
}

void mph_picture_options_init(mph_picture_options *o) {
    if (!o)
        return;
    o->columns = 2;
    o->scale = 1;
    o->pixels = 4;
    o->palette = MPH_PALETTE_DEFAULT;
    o->verdict = NULL;
}
