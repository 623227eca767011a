/* The map as rows of colour indexes, for the SVG and PNG renderers: the
 * terminal map's rules (render_ansi.c), its palette, its marks. */
#include "picture.h"

#include <stdlib.h>
#include <stdio.h>
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
        static const unsigned char col_of_role[MPH_ROLE_COUNT] = {
            [MPH_ROLE_BLOCKER] = PIC_BLOCKER,       [MPH_ROLE_LARGEST_FREE] = PIC_LARGEST,
            [MPH_ROLE_FREE] = PIC_FREE,             [MPH_ROLE_LEVEL_LOW] = PIC_LOW,
            [MPH_ROLE_LEVEL_MID] = PIC_MID,         [MPH_ROLE_LEVEL_HIGH] = PIC_HIGH,
            [MPH_ROLE_LEVEL_FULL] = PIC_FULL};
        out[cell] = col_of_role[mph_overview_cell(used, k, holds_blocker(w, b, end), in_run,
                                                  w->small_run, NULL)];
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

/* ------------------------------------------------------------ the map as a document */

static int gutter_text(char *buf, size_t cap, const mph__gutter *g, const mph_snapshot *s,
                       size_t area, size_t block) {
    if (g->use_address)
        return snprintf(buf, cap, "0x%0*llx", g->digits,
                        (unsigned long long)mph_snapshot_block_address(s, area, block));
    if (g->use_offset)
        return snprintf(buf, cap, "+0x%0*llx", g->digits,
                        (unsigned long long)((uint64_t)block * s->block_size));
    return snprintf(buf, cap, "#%zu", block);
}

static int area_title(void *ctx, size_t ai, char *buf, size_t cap) {
    const pic_map_doc *m = ctx;
    const mph_snapshot *s = m->walk.s;
    const mph_area *a = &s->areas[ai];
    char x[32], y[32];
    int n = snprintf(buf, cap, "area %zu of %zu", ai + 1, s->n_areas);
    if (a->has_base && s->block_size)
        n += snprintf(buf + n, cap - (size_t)n, ": 0x%llx-0x%llx", (unsigned long long)a->base,
                      (unsigned long long)(a->base + (uint64_t)a->n_blocks * s->block_size));
    else if (a->has_base)
        n += snprintf(buf + n, cap - (size_t)n, ": from 0x%llx", (unsigned long long)a->base);
    n += snprintf(buf + n, cap - (size_t)n, ", %s blocks", mph__fmt_count(x, a->n_blocks));
    if (s->block_size)
        n += snprintf(buf + n, cap - (size_t)n, " = %s bytes",
                      mph__fmt_count(y, (uint64_t)a->n_blocks * s->block_size));
    return n < (int)cap ? n : (int)cap - 1;
}

static size_t legend_of(const mph_snapshot *s, const mph_picture_options *o, const pic_walk *w,
                        pic_legend_item *items) {
    size_t n = 0;
#define ITEM(c, ...)                                                                               \
    (items[n].color = (c), snprintf(items[n].text, sizeof items[n].text, __VA_ARGS__), n++)
    if (o->scale > 1) {
        char a[32], b[32];
        if (s->block_size && o->scale <= UINT64_MAX / s->block_size)
            ITEM(PIC_BLANK, "one cell = %s blocks = %s:", mph__fmt_count(a, o->scale),
                 mph__fmt_size(b, o->scale * s->block_size));
        else
            ITEM(PIC_BLANK, "one cell = %s blocks:", mph__fmt_count(a, o->scale));
        ITEM(PIC_FREE, "free");
        ITEM(PIC_LOW, "<=25%% used");
        ITEM(PIC_MID, "<=50%%");
        ITEM(PIC_HIGH, "<100%%");
        ITEM(PIC_FULL, "full");
    } else {
        ITEM(PIC_FREE, "free");
        mph_stats st;
        if (mph_stats_compute(s, MPH_ALL_AREAS, &st, NULL) == MPH_OK)
            for (int t = 0; t < MPH_TYPE_COUNT; t++)
                if (st.by_type[t].allocs)
                    ITEM(pic_head((mph_type)t, 0), "%c %s", mph_type_letter((mph_type)t),
                         mph_type_name((mph_type)t));
        ITEM(PIC_BLANK, "(a tail in its head's colour)");
    }
    if (w->largest)
        ITEM(PIC_LARGEST, "the largest free run");
    if (w->window)
        ITEM(PIC_BLOCKER, "what splits it: free these for the size asked");
#undef ITEM
    return n;
}

static size_t map_cells(void *ctx, size_t a) {
    return mph__pic_cells(&((pic_map_doc *)ctx)->walk, a);
}

static uint64_t map_blocks(void *ctx, size_t a) {
    return ((pic_map_doc *)ctx)->walk.s->areas[a].n_blocks;
}

static void map_start(void *ctx, size_t a) {
    mph__pic_area(&((pic_map_doc *)ctx)->walk, a);
}

static int map_row(void *ctx, unsigned char *cells, char *gutter, size_t cap) {
    pic_map_doc *m = ctx;
    size_t area = m->walk.area;
    size_t b0 = mph__pic_row(&m->walk, cells);
    int n = gutter_text(gutter, cap, &m->gutter, m->walk.s, area, b0);
    return n < (int)cap ? n : (int)cap - 1;
}

static const char no_map[] = "no map to draw: the dump has only the header's figures; call "
                             "micropython.mem_info(1), with an argument, for the map";

mph_status mph__map_doc_init(pic_map_doc *m, const mph_snapshot *s, const mph_picture_options *o,
                             mph_error *err) {
    memset(m, 0, sizeof *m);
    // The lines of the terminal summary (and the verdict's text), without colour.
    mph_ansi_options ao = {1, false, o->palette, false, 1, true, o->verdict, MPH_COLORS_256, 100};
    mph_sink mem = mph__text_sink(&m->summary);
    mph_status rc = mph_render_ansi_summary(s, &ao, &mem, err);
    if (rc)
        return rc;
    rc = mph__pic_walk_init(&m->walk, s, o, err);
    if (rc)
        return rc;
    const char *label = mph_snapshot_label(s);
    size_t n = 40 + (label ? strlen(label) : 0);
    m->title = malloc(n);
    if (!m->title) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    snprintf(m->title, n, "mpheap: heap map%s%s", label ? ", snapshot " : "", label ? label : "");
    mph__pic_colors(o->palette, m->colors);
    m->gutter = mph__gutter_of(s);
    pic_doc *d = &m->doc;
    d->title = m->title;
    d->summary = m->summary.data;
    d->summary_len = m->summary.len;
    d->note = s->n_areas ? NULL : no_map;
    d->n_legend = s->n_areas ? legend_of(s, o, &m->walk, d->legend) : 0;
    d->colors = m->colors;
    d->background = PIC_FREE;
    d->blank = PIC_BLANK;
    d->per_row = m->walk.per_row;
    d->scale = o->scale;
    d->pixels = o->pixels;
    d->n_sections = s->n_areas;
    // As gutter_text writes them: addresses and offsets padded to the digits.
    if (m->gutter.use_address || m->gutter.use_offset) {
        d->gutter_chars = (size_t)m->gutter.digits + (m->gutter.use_address ? 2 : 3);
    } else {
        size_t most = 0;
        for (size_t a = 0; a < s->n_areas; a++)
            most = s->areas[a].n_blocks > most ? s->areas[a].n_blocks : most;
        d->gutter_chars = 2;
        for (; most >= 10; most /= 10)
            d->gutter_chars++;
    }
    d->ctx = m;
    d->section_cells = map_cells;
    d->section_blocks = map_blocks;
    d->section_title = area_title;
    d->section_start = map_start;
    d->row = map_row;
    return MPH_OK;
}

void mph__map_doc_fini(pic_map_doc *m) {
    mph__pic_walk_fini(&m->walk);
    free(m->summary.data);
    free(m->title);
    m->summary.data = NULL;
    m->title = NULL;
}

size_t mph__doc_rows(const pic_doc *d, size_t i) {
    size_t c = d->section_cells(d->ctx, i);
    return c / d->per_row + (c % d->per_row != 0);
}
