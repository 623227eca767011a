/* The diff map for a terminal: the aligned blocks of two snapshots, each
 * coloured by what happened to it (the palette's diff roles). */
#include "analyses.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELLS_PER_GROUP 64

typedef struct painter {
    mph_outbuf *out;
    bool color;
    int current; /* encoded style in force; -1 = the terminal's default */
} painter;

static int ansi_fg(int i) { return i < 8 ? 30 + i : 90 + i - 8; }
static int ansi_bg(int i) { return i < 8 ? 40 + i : 100 + i - 8; }

static void paint(painter *p, mph_style s) {
    if (!p->color)
        return;
    int code = s.plain ? -1 : (s.fg.ansi | s.bg.ansi << 4 | (s.default_bg ? 1 << 8 : 0));
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

static const mph_role class_role[MPH_DIFF_CLASS_COUNT] = {
    MPH_ROLE_DIFF_FREE, MPH_ROLE_DIFF_KEPT, MPH_ROLE_DIFF_FREED, MPH_ROLE_DIFF_ALLOCATED,
    MPH_ROLE_DIFF_REUSED};

/* Without colour the class must show in the glyph itself. */
static const char class_glyph[MPH_DIFF_CLASS_COUNT] = {'.', 0, '-', '+', '~'};

static mph_style class_style(const mph_diff_map_options *o, mph_diff_class c) {
    return mph_palette_role(o->color ? MPH_PALETTE_SEED : MPH_PALETTE_MONO, class_role[c]);
}

static mph_status check_args(const mph_diff *d, const mph_diff_map_options *o, mph_sink *sink,
                             mph_error *err) {
    if (!d || !o || !sink || o->columns == 0) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no diff, options or sink, or zero columns");
        return MPH_ERR_ARG;
    }
    return MPH_OK;
}

static void legend_item(painter *p, mph_style s, char glyph, const char *text) {
    paint(p, s);
    mph__out_putc(p->out, glyph);
    unpaint(p);
    mph__out_printf(p->out, " %s  ", text);
}

mph_status mph_render_ansi_diff_legend(const mph_diff *d, const mph_diff_map_options *o,
                                       mph_sink *sink, mph_error *err) {
    mph_status rc = check_args(d, o, sink, err);
    if (rc)
        return rc;
    mph_outbuf *out = malloc(sizeof *out);
    if (!out) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    mph__out_init(out, sink);
    painter p = {out, o->color, -1};
    mph__out_puts(out, "legend  ");
    legend_item(&p, class_style(o, MPH_DIFF_FREE), '.', "free in both");
    legend_item(&p, class_style(o, MPH_DIFF_KEPT), 'h', "kept (same allocation)");
    if (o->color) {
        legend_item(&p, class_style(o, MPH_DIFF_ALLOCATED), 'S', "allocated");
        legend_item(&p, class_style(o, MPH_DIFF_FREED), 'L', "freed (its old letter)");
        legend_item(&p, class_style(o, MPH_DIFF_REUSED), 'T', "reused (another allocation now)");
    } else {
        legend_item(&p, class_style(o, MPH_DIFF_ALLOCATED), '+', "allocated");
        legend_item(&p, class_style(o, MPH_DIFF_FREED), '-', "freed");
        legend_item(&p, class_style(o, MPH_DIFF_REUSED), '~', "reused (another allocation now)");
    }
    // No trailing blanks after the last item.
    while (out->len && out->buf[out->len - 1] == ' ')
        out->len--;
    mph__out_putc(out, '\n');
    rc = mph__out_finish(out, err);
    free(out);
    return rc;
}

typedef struct side {
    const mph_snapshot *s;
    const mph_area *a; /* NULL when the pair has no area on this side */
    size_t index;      /* of a in s */
} side;

static char cell_of(const side *x, size_t b) {
    return x->a && b < x->a->n_blocks ? x->a->cells[b] : '.';
}

static void gutter(painter *p, const mph_diff_map_options *o, const side *old_side,
                   const side *new_side, size_t b, int digits) {
    const side *x = new_side->a ? new_side : old_side;
    uint64_t addr = mph_snapshot_block_address(x->s, x->index, b);
    paint(p, mph_palette_role(o->color ? MPH_PALETTE_SEED : MPH_PALETTE_MONO, MPH_ROLE_GUTTER));
    if (addr)
        mph__out_printf(p->out, "0x%0*llx", digits, (unsigned long long)addr);
    else
        mph__out_printf(p->out, "#%0*zu", digits + 1, b);
    unpaint(p);
    mph__out_putc(p->out, ' ');
}

static void title(painter *p, const mph_diff_map_options *o, const mph_area_pair *pr,
                  const side *old_side, const side *new_side) {
    char a[32];
    paint(p, mph_palette_role(o->color ? MPH_PALETTE_SEED : MPH_PALETTE_MONO, MPH_ROLE_GUTTER));
    if (pr->old_area >= 0 && pr->new_area >= 0) {
        if (old_side->a->base == new_side->a->base && new_side->a->has_base)
            mph__out_printf(p->out, "-- area %ld: 0x%llx in both", pr->new_area + 1,
                            (unsigned long long)new_side->a->base);
        else
            mph__out_printf(p->out, "-- area %ld of OLD (0x%llx) with area %ld of NEW (0x%llx)",
                            pr->old_area + 1, (unsigned long long)old_side->a->base,
                            pr->new_area + 1, (unsigned long long)new_side->a->base);
    } else if (pr->new_area >= 0) {
        mph__out_printf(p->out, "-- area %ld of NEW only (0x%llx): a new area",
                        pr->new_area + 1, (unsigned long long)new_side->a->base);
    } else {
        mph__out_printf(p->out, "-- area %ld of OLD only (0x%llx): given back",
                        pr->old_area + 1, (unsigned long long)old_side->a->base);
    }
    mph__out_printf(p->out, ", %s blocks --", mph__fmt_count(a, pr->n_blocks));
    unpaint(p);
    mph__out_putc(p->out, '\n');
}

mph_status mph_render_ansi_diff_map(const mph_diff *d, const mph_diff_map_options *o,
                                    mph_sink *sink, mph_error *err) {
    mph_status rc = check_args(d, o, sink, err);
    if (rc)
        return rc;
    mph_outbuf *out = malloc(sizeof *out);
    if (!out) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    mph__out_init(out, sink);
    painter p = {out, o->color, -1};
    const mph_snapshot *O = mph_diff_old_snapshot(d), *N = mph_diff_new_snapshot(d);
    size_t width = (size_t)o->columns * CELLS_PER_GROUP;
    // Gutter digits: enough for the widest address of either side.
    int digits = 8;
    for (int k = 0; k < 2; k++) {
        const mph_snapshot *s = k ? N : O;
        for (size_t i = 0; i < mph_snapshot_area_count(s); i++) {
            const mph_area *a = mph_snapshot_area(s, i);
            uint64_t end = a->base + (uint64_t)a->n_blocks * mph_snapshot_block_size(s);
            int dd = 0;
            for (uint64_t v = end; v; v >>= 4)
                dd++;
            digits = dd > digits ? dd : digits;
        }
    }
    if (mph_diff_pair_count(d) == 0)
        mph__out_puts(out, "(no map: the snapshots cannot be aligned)\n");
    for (size_t pi = 0; pi < mph_diff_pair_count(d); pi++) {
        const mph_area_pair *pr = mph_diff_pair_at(d, pi);
        side os = {O, pr->old_area >= 0 ? mph_snapshot_area(O, (size_t)pr->old_area) : NULL,
                   pr->old_area >= 0 ? (size_t)pr->old_area : 0};
        side ns = {N, pr->new_area >= 0 ? mph_snapshot_area(N, (size_t)pr->new_area) : NULL,
                   pr->new_area >= 0 ? (size_t)pr->new_area : 0};
        title(&p, o, pr, &os, &ns);
        const unsigned char *cls = pr->classes;
        size_t skipped = 0, free_lines = 0;
        for (size_t b = 0; b < pr->n_blocks; b += width) {
            size_t end = b + width < pr->n_blocks ? b + width : pr->n_blocks;
            bool changed = false, all_free = true;
            for (size_t i = b; i < end; i++) {
                changed |= cls[i] != MPH_DIFF_FREE && cls[i] != MPH_DIFF_KEPT;
                all_free &= cls[i] == MPH_DIFF_FREE;
            }
            if (o->changed_only && !changed) {
                skipped++;
                continue;
            }
            if (o->collapse_free && all_free && end - b == width) {
                free_lines++;
                continue;
            }
            if (skipped)
                mph__out_printf(out, "       (%zu line%s unchanged)\n", skipped,
                                skipped == 1 ? "" : "s");
            if (free_lines == 1) {
                // A single free line is shown, not summarised.
                gutter(&p, o, &os, &ns, b - width, digits);
                paint(&p, class_style(o, MPH_DIFF_FREE));
                for (size_t i = 0; i < width; i++) {
                    if (i && i % CELLS_PER_GROUP == 0) {
                        unpaint(&p);
                        mph__out_putc(out, ' ');
                        paint(&p, class_style(o, MPH_DIFF_FREE));
                    }
                    mph__out_putc(out, '.');
                }
                unpaint(&p);
                mph__out_putc(out, '\n');
            } else if (free_lines) {
                mph__out_printf(out, "       (%zu lines all free)\n", free_lines);
            }
            skipped = free_lines = 0;
            gutter(&p, o, &os, &ns, b, digits);
            for (size_t i = b; i < end; i++) {
                if (i > b && (i - b) % CELLS_PER_GROUP == 0) {
                    unpaint(&p);
                    mph__out_putc(out, ' ');
                }
                mph_diff_class c = (mph_diff_class)cls[i];
                char glyph = c == MPH_DIFF_FREED ? cell_of(&os, i) : cell_of(&ns, i);
                if (!o->color && class_glyph[c])
                    glyph = class_glyph[c];
                paint(&p, class_style(o, c));
                mph__out_putc(out, glyph);
            }
            unpaint(&p);
            mph__out_putc(out, '\n');
        }
        if (skipped)
            mph__out_printf(out, "       (%zu line%s unchanged)\n", skipped, skipped == 1 ? "" : "s");
        if (free_lines)
            mph__out_printf(out, "       (%zu line%s all free)\n", free_lines,
                            free_lines == 1 ? "" : "s");
    }
    rc = mph__out_finish(out, err);
    free(out);
    return rc;
}
