/* The terminal renderer: summary, legend and map (or overview), in ANSI
 * colours from the shared palette. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELLS_PER_GROUP 64

/* ----------------------------------------------------------------- colour */

typedef struct painter {
    mph_outbuf *out;
    bool color;
    int current; /* encoded style now in force; -1 = terminal default */
} painter;

static int ansi_fg(int i) { return i < 8 ? 30 + i : 90 + i - 8; }
static int ansi_bg(int i) { return i < 8 ? 40 + i : 100 + i - 8; }

static int encode(mph_style s) {
    if (s.plain)
        return -1;
    return s.fg.ansi | s.bg.ansi << 4 | (s.default_bg ? 1 << 8 : 0);
}

static void paint(painter *p, mph_style s) {
    if (!p->color)
        return;
    int code = encode(s);
    if (code == p->current)
        return;
    p->current = code;
    if (code < 0)
        mph__out_puts(p->out, "\x1b[0m");
    else if (s.default_bg)
        mph__out_printf(p->out, "\x1b[0;%dm", ansi_fg(s.fg.ansi));
    else
        mph__out_printf(p->out, "\x1b[0;%d;%dm", ansi_fg(s.fg.ansi), ansi_bg(s.bg.ansi));
}

static void unpaint(painter *p) {
    if (p->color && p->current != -1) {
        mph__out_puts(p->out, "\x1b[0m");
        p->current = -1;
    }
}

static mph_palette_kind palette_of(const mph_ansi_options *o) {
    return o->color ? o->palette : MPH_PALETTE_MONO;
}

/* ---------------------------------------------------------------- summary */

static const char *source_text(mph_block_size_source src) {
    switch (src) {
    case MPH_BS_ROW_STEP: return "from the row offsets";
    case MPH_BS_GC_TOTAL: return "from GC total / number of blocks";
    case MPH_BS_OPTION: return "from --block-size";
    case MPH_BS_UNKNOWN: break;
    }
    return "unknown";
}

/* "259,072 bytes (253.0 KiB)", or blocks when the block size is unknown. */
static void put_amount(mph_outbuf *o, uint64_t blocks, unsigned bpb) {
    char a[32], b[32];
    if (!bpb) {
        mph__out_printf(o, "%s blocks", mph__fmt_count(a, blocks));
        return;
    }
    uint64_t bytes = blocks * bpb;
    if (bytes < 1024)
        mph__out_printf(o, "%s bytes", mph__fmt_count(a, bytes));
    else
        mph__out_printf(o, "%s bytes (%s)", mph__fmt_count(a, bytes), mph__fmt_size(b, bytes));
}

static double percent(uint64_t part, uint64_t whole) {
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

mph_status mph_render_ansi_summary(const mph_snapshot *s, const mph_ansi_options *o,
                                   mph_sink *sink, mph_error *err) {
    mph_stats st;
    mph_status rc = mph_stats_compute(s, MPH_ALL_AREAS, &st, err);
    if (rc)
        return rc;
    (void)o;
    mph_outbuf *out = malloc(sizeof *out);
    if (!out) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    mph__out_init(out, sink);
    unsigned bpb = s->block_size;
    char a[32], b[32];
    mph__out_puts(out, "heap           ");
    put_amount(out, st.total_blocks, bpb);
    mph__out_printf(out, " in %zu area%s", s->n_areas, s->n_areas == 1 ? "" : "s");
    if (bpb)
        mph__out_printf(out, ", blocks of %u bytes (%s)\n", bpb, source_text(s->block_size_source));
    else
        mph__out_puts(out, ", block size unknown (give --block-size)\n");
    mph__out_puts(out, "used           ");
    put_amount(out, st.used_blocks, bpb);
    mph__out_printf(out, ", %.1f%%, in %s allocations\n", percent(st.used_blocks, st.total_blocks),
                    mph__fmt_count(a, st.allocs));
    mph__out_puts(out, "free           ");
    put_amount(out, st.free_blocks, bpb);
    mph__out_printf(out, ", %.1f%%, in %s runs\n", percent(st.free_blocks, st.total_blocks),
                    mph__fmt_count(b, st.free_runs));
    mph__out_puts(out, "largest free   ");
    if (st.largest_free_blocks) {
        put_amount(out, st.largest_free_blocks, bpb);
        mph__out_printf(out, " = %s blocks", mph__fmt_count(a, st.largest_free_blocks));
        if (st.largest_free_address)
            mph__out_printf(out, ", at 0x%llx", (unsigned long long)st.largest_free_address);
        else
            mph__out_printf(out, ", at block %zu", st.largest_free_block);
        if (s->n_areas > 1)
            mph__out_printf(out, " in area %zu", st.largest_free_area + 1);
        mph__out_puts(out, ": the biggest allocation that can succeed\n");
    } else {
        mph__out_puts(out, "none: the heap is full\n");
    }
    mph__out_printf(out, "fragmentation  %.1f%% (1 - largest free / total free)\n",
                    100.0 * st.fragmentation);
    const mph_header *h = &s->header;
    if (h->has_max_new_split)
        mph__out_printf(out, "can grow by    %s more in a new area (max new split)\n",
                        mph__fmt_size(a, h->max_new_split));
    if (h->has_stack)
        mph__out_printf(out, "stack          %s bytes used%s%s\n", mph__fmt_count(a, h->stack_used),
                        h->has_stack_limit ? " of " : "",
                        h->has_stack_limit ? mph__fmt_count(b, h->stack_limit) : "");
    rc = mph__out_finish(out, err);
    free(out);
    return rc;
}

/* ----------------------------------------------------------------- legend */

static void legend_item(painter *p, mph_style style, char glyph, const char *text) {
    paint(p, style);
    mph__out_putc(p->out, glyph);
    unpaint(p);
    mph__out_printf(p->out, " %s  ", text);
}

mph_status mph_render_ansi_legend(const mph_snapshot *s, const mph_ansi_options *o,
                                  mph_sink *sink, mph_error *err) {
    mph_stats st;
    mph_status rc = mph_stats_compute(s, MPH_ALL_AREAS, &st, err);
    if (rc)
        return rc;
    mph_outbuf *out = malloc(sizeof *out);
    if (!out) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    mph__out_init(out, sink);
    painter p = {out, o->color, -1};
    mph_palette_kind pal = palette_of(o);
    mph__out_puts(out, "legend  ");
    if (o->scale > 1) {
        char a[32];
        mph__out_printf(out, "one cell = %s blocks", mph__fmt_count(a, o->scale));
        if (s->block_size && o->scale <= UINT64_MAX / s->block_size)
            mph__out_printf(out, " = %s", mph__fmt_size(a, o->scale * s->block_size));
        mph__out_puts(out, ":  ");
        legend_item(&p, mph_palette_role(pal, MPH_ROLE_FREE), '.', "free");
        legend_item(&p, mph_palette_role(pal, MPH_ROLE_LEVEL_LOW), ':', "<=25% used");
        legend_item(&p, mph_palette_role(pal, MPH_ROLE_LEVEL_MID), '-', "<=50%");
        legend_item(&p, mph_palette_role(pal, MPH_ROLE_LEVEL_HIGH), '+', "<=75%");
        legend_item(&p, mph_palette_role(pal, MPH_ROLE_LEVEL_HIGH), '#', "<100%");
        legend_item(&p, mph_palette_role(pal, MPH_ROLE_LEVEL_FULL), '@', "full");
        legend_item(&p, mph_palette_role(pal, MPH_ROLE_LARGEST_FREE), '_', "largest free block");
    } else {
        legend_item(&p, mph_palette_role(pal, MPH_ROLE_FREE), '.', "free");
        legend_item(&p, mph_palette_head(pal, MPH_TYPE_OTHER, 0), '=', "tail (its head's colour)");
        unsigned shown = 0;
        for (int t = 0; t < MPH_TYPE_COUNT; t++) {
            if (!st.by_type[t].allocs)
                continue;
            if (++shown % 6 == 0)
                mph__out_puts(out, "\n        ");
            legend_item(&p, mph_palette_head(pal, (mph_type)t, 0), mph_type_letter((mph_type)t),
                        mph_type_name((mph_type)t));
        }
        if (pal == MPH_PALETTE_RAINBOW)
            mph__out_puts(out, "(neighbours alternate colours)");
    }
    mph__out_putc(out, '\n');
    rc = mph__out_finish(out, err);
    free(out);
    return rc;
}

/* -------------------------------------------------------------------- map */

typedef struct gutter {
    int digits;   /* hex digits of the widest address */
    bool use_address, use_offset;
} gutter;

static gutter gutter_of(const mph_snapshot *s) {
    gutter g = {8, false, false};
    uint64_t widest = 0;
    bool all_bases = s->n_areas > 0;
    for (size_t i = 0; i < s->n_areas; i++) {
        const mph_area *a = &s->areas[i];
        uint64_t end = (a->has_base ? a->base : 0) + (uint64_t)a->n_blocks * s->block_size;
        if (end > widest)
            widest = end;
        all_bases &= a->has_base;
    }
    g.use_address = s->block_size && all_bases;
    g.use_offset = s->block_size && !all_bases;
    int d = 0;
    for (uint64_t v = s->block_size ? widest : s->n_blocks; v; v >>= 4)
        d++;
    if (d > g.digits)
        g.digits = d;
    return g;
}

static void put_gutter(painter *p, const gutter *g, const mph_snapshot *s, size_t area,
                       size_t block, mph_palette_kind pal) {
    paint(p, mph_palette_role(pal, MPH_ROLE_GUTTER));
    if (g->use_address)
        mph__out_printf(p->out, "0x%0*llx", g->digits,
                        (unsigned long long)mph_snapshot_block_address(s, area, block));
    else if (g->use_offset)
        mph__out_printf(p->out, "+0x%0*llx", g->digits,
                        (unsigned long long)((uint64_t)block * s->block_size));
    else
        mph__out_printf(p->out, "#%0*zu", g->digits, block);
    unpaint(p);
    mph__out_putc(p->out, ' ');
}

static void area_title(painter *p, const mph_snapshot *s, size_t ai, mph_palette_kind pal) {
    const mph_area *a = &s->areas[ai];
    char x[32], y[32];
    paint(p, mph_palette_role(pal, MPH_ROLE_GUTTER));
    mph__out_printf(p->out, "-- area %zu of %zu", ai + 1, s->n_areas);
    if (a->has_base && s->block_size)
        mph__out_printf(p->out, ": 0x%llx-0x%llx", (unsigned long long)a->base,
                        (unsigned long long)(a->base + (uint64_t)a->n_blocks * s->block_size));
    else if (a->has_base)
        mph__out_printf(p->out, ": from 0x%llx", (unsigned long long)a->base);
    mph__out_printf(p->out, ", %s blocks", mph__fmt_count(x, a->n_blocks));
    if (s->block_size)
        mph__out_printf(p->out, " = %s bytes",
                        mph__fmt_count(y, (uint64_t)a->n_blocks * s->block_size));
    mph__out_puts(p->out, " --");
    unpaint(p);
    mph__out_putc(p->out, '\n');
}

static bool all_free(const char *cells, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (cells[i] != '.')
            return false;
    return true;
}

/* Whole printed lines of free blocks from block b on (each line = width blocks). */
static size_t free_lines_from(const char *cells, size_t n, size_t b, size_t width) {
    size_t lines = 0;
    // (b + width could wrap for a huge --scale: compare what is left instead)
    while (width && b <= n && width <= n - b && all_free(cells + b, width)) {
        lines++;
        b += width;
    }
    return lines;
}

static void put_collapsed(mph_outbuf *o, size_t lines) {
    mph__out_printf(o, "       (%zu lines all free)\n", lines);
}

static void render_cells(painter *p, const mph_snapshot *s, const mph_ansi_options *o,
                         const gutter *g) {
    mph_palette_kind pal = palette_of(o);
    size_t width = (size_t)o->columns * CELLS_PER_GROUP;
    mph_style free_style = mph_palette_role(pal, MPH_ROLE_FREE);
    uint64_t ordinal = 0;
    for (size_t ai = 0; ai < s->n_areas; ai++) {
        const mph_area *a = &s->areas[ai];
        area_title(p, s, ai, pal);
        mph_style tail_style = mph_palette_head(pal, MPH_TYPE_OTHER, 0);
        for (size_t b = 0; b < a->n_blocks;) {
            if (o->collapse_free) {
                size_t k = free_lines_from(a->cells, a->n_blocks, b, width);
                if (k >= 2) {
                    put_collapsed(p->out, k);
                    b += k * width;
                    continue;
                }
            }
            put_gutter(p, g, s, ai, b, pal);
            size_t end = b + width < a->n_blocks ? b + width : a->n_blocks;
            for (size_t i = b; i < end; i++) {
                if (i > b && (i - b) % CELLS_PER_GROUP == 0) {
                    unpaint(p);
                    mph__out_putc(p->out, ' ');
                }
                char c = a->cells[i];
                if (c == '.') {
                    paint(p, free_style);
                } else if (c == '=') {
                    paint(p, tail_style);
                } else {
                    int t = mph_type_of_cell(c);
                    tail_style = mph_palette_head(pal, t >= 0 ? (mph_type)t : MPH_TYPE_OTHER,
                                                  ordinal++);
                    paint(p, tail_style);
                }
                mph__out_putc(p->out, c);
            }
            unpaint(p);
            mph__out_putc(p->out, '\n');
            b = end;
        }
    }
}

/* Overview: each cell stands for `scale` blocks and shows how full they are. */
static void render_overview(painter *p, const mph_snapshot *s, const mph_ansi_options *o,
                            const gutter *g, const mph_stats *st) {
    mph_palette_kind pal = palette_of(o);
    uint64_t k = o->scale;
    size_t per_line = (size_t)o->columns * CELLS_PER_GROUP;
    size_t width = k > SIZE_MAX / per_line ? SIZE_MAX : per_line * (size_t)k; /* blocks per line */
    size_t run_start = st->largest_free_block, run_end = run_start + st->largest_free_blocks;
    bool small_run = st->largest_free_blocks < 2 * k;
    for (size_t ai = 0; ai < s->n_areas; ai++) {
        const mph_area *a = &s->areas[ai];
        area_title(p, s, ai, pal);
        for (size_t b = 0; b < a->n_blocks;) {
            if (o->collapse_free) {
                size_t lines = free_lines_from(a->cells, a->n_blocks, b, width);
                if (lines >= 2 &&
                    !(st->largest_free_blocks && ai == st->largest_free_area &&
                      run_start < b + lines * width && run_end > b)) {
                    put_collapsed(p->out, lines);
                    b += lines * width;
                    continue;
                }
            }
            put_gutter(p, g, s, ai, b, pal);
            for (size_t cell = 0; cell < per_line && b < a->n_blocks; cell++) {
                if (cell && cell % CELLS_PER_GROUP == 0) {
                    unpaint(p);
                    mph__out_putc(p->out, ' ');
                }
                size_t end = k < a->n_blocks - b ? b + (size_t)k : a->n_blocks;
                size_t used = 0;
                for (size_t i = b; i < end; i++)
                    used += a->cells[i] != '.';
                size_t n = end - b;
                bool in_run = st->largest_free_blocks && ai == st->largest_free_area &&
                              b < run_end && end > run_start;
                char glyph;
                mph_role role;
                if (in_run && (used == 0 || small_run)) {
                    glyph = '_';
                    role = MPH_ROLE_LARGEST_FREE;
                } else if (used == 0) {
                    glyph = '.';
                    role = MPH_ROLE_FREE;
                } else if (used * 4 <= n) {
                    glyph = ':';
                    role = MPH_ROLE_LEVEL_LOW;
                } else if (used * 2 <= n) {
                    glyph = '-';
                    role = MPH_ROLE_LEVEL_MID;
                } else if (used * 4 <= n * 3) {
                    glyph = '+';
                    role = MPH_ROLE_LEVEL_HIGH;
                } else if (used < n) {
                    glyph = '#';
                    role = MPH_ROLE_LEVEL_HIGH;
                } else {
                    glyph = '@';
                    role = MPH_ROLE_LEVEL_FULL;
                }
                paint(p, mph_palette_role(pal, role));
                mph__out_putc(p->out, glyph);
                b = end;
            }
            unpaint(p);
            mph__out_putc(p->out, '\n');
        }
    }
}

mph_status mph_render_ansi_map(const mph_snapshot *s, const mph_ansi_options *o, mph_sink *sink,
                               mph_error *err) {
    if (!s || !o || !sink || o->columns == 0 || o->scale == 0) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "columns and scale must be at least 1");
        return MPH_ERR_ARG;
    }
    mph_stats st;
    mph_status rc = mph_stats_compute(s, MPH_ALL_AREAS, &st, err);
    if (rc)
        return rc;
    mph_outbuf *out = malloc(sizeof *out);
    if (!out) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    mph__out_init(out, sink);
    painter p = {out, o->color, -1};
    gutter g = gutter_of(s);
    if (o->scale > 1)
        render_overview(&p, s, o, &g, &st);
    else
        render_cells(&p, s, o, &g);
    rc = mph__out_finish(out, err);
    free(out);
    return rc;
}

uint64_t mph_ansi_fit_scale(const mph_snapshot *s, unsigned columns, unsigned long max_lines) {
    if (!columns)
        columns = 1;
    uint64_t per_line = (uint64_t)columns * CELLS_PER_GROUP;
    for (uint64_t k = 1;; k *= 2) {
        uint64_t lines = 0, cells = per_line > UINT64_MAX / k ? UINT64_MAX : per_line * k;
        for (size_t i = 0; i < s->n_areas; i++)
            lines += 1 + s->areas[i].n_blocks / cells + (s->areas[i].n_blocks % cells != 0);
        if (lines <= max_lines || k >= (UINT64_C(1) << 40))
            return k;
    }
}
