/* The diff map for a terminal: the aligned blocks of two snapshots, each
 * coloured by what happened to it (the palette's diff roles). */
#include "../analyses.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define CELLS_PER_GROUP 64

static const mph_role class_role[MPH_DIFF_CLASS_COUNT] = {
    MPH_ROLE_DIFF_FREE, MPH_ROLE_DIFF_KEPT, MPH_ROLE_DIFF_FREED, MPH_ROLE_DIFF_ALLOCATED,
    MPH_ROLE_DIFF_REUSED};

/* Without colour the class must show in the glyph itself. */
static const char class_glyph[MPH_DIFF_CLASS_COUNT] = {'.', 0, '-', '+', '~'};

/* The diff's colours are the default palette's diff roles (colour-blind safe). */
static mph_palette_kind palette_of(const mph_diff_map_options *o) {
    return o->color ? MPH_PALETTE_DEFAULT : MPH_PALETTE_MONO;
}

static mph_style class_style(const mph_diff_map_options *o, mph_diff_class c) {
    return mph_palette_role(palette_of(o), class_role[c]);
}

static mph_status check_args(const mph_diff *d, const mph_diff_map_options *o, mph_sink *sink,
                             mph_error *err) {
    if (!d || !o || !sink || o->columns == 0) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no diff, options or sink, or zero columns");
        return MPH_ERR_ARG;
    }
    return MPH_OK;
}

mph_status mph_render_ansi_diff_legend(const mph_diff *d, const mph_diff_map_options *o,
                                       mph_sink *sink, mph_error *err) {
    mph_status rc = check_args(d, o, sink, err);
    if (rc)
        return rc;
    mph_outbuf *out = mph__out_new(sink, err);
    if (!out)
        return MPH_ERR_NOMEM;
    mph_painter p;
    mph__painter_init(&p, out, o->color, o->depth);
    mph_legend l;
    mph__legend_init(&l, &p, o->width ? o->width : UINT_MAX / 2, "legend  "); // 0: one line
    mph__legend_item(&l, class_style(o, MPH_DIFF_FREE), '.', "free in both");
    mph__legend_item(&l, class_style(o, MPH_DIFF_KEPT), 'h', "kept (same allocation)");
    if (o->color) {
        mph__legend_item(&l, class_style(o, MPH_DIFF_ALLOCATED), 'S', "allocated");
        mph__legend_item(&l, class_style(o, MPH_DIFF_FREED), 'L', "freed (its old letter)");
        mph__legend_item(&l, class_style(o, MPH_DIFF_REUSED), 'T', "reused (another allocation now)");
    } else {
        mph__legend_item(&l, class_style(o, MPH_DIFF_ALLOCATED), '+', "allocated");
        mph__legend_item(&l, class_style(o, MPH_DIFF_FREED), '-', "freed");
        mph__legend_item(&l, class_style(o, MPH_DIFF_REUSED), '~', "reused (another allocation now)");
    }
    mph__legend_end(&l);
    return mph__out_close(out, err);
}

typedef struct side {
    const mph_snapshot *s;
    const mph_area *a; /* NULL when the pair has no area on this side */
    size_t index;      /* of a in s */
} side;

/* The CELLS_PER_GROUP cells of a side from block b, '.' past its end: what the
 * map shows of it. Points into the area when the group is whole, else into buf. */
static inline const char *side_cells(const side *x, size_t b, char buf[CELLS_PER_GROUP]) {
    size_t have = x->a && b < x->a->n_blocks ? x->a->n_blocks - b : 0;
    if (have >= CELLS_PER_GROUP)
        return x->a->cells + b;
    if (have)
        memcpy(buf, x->a->cells + b, have);
    memset(buf + have, MPH_CELL_FREE, CELLS_PER_GROUP - have);
    return buf;
}

/* As side_cells, with MPH_RUN_SLACK more cells readable after the group
 * (their values unused). */
static inline const char *side_run_cells(const side *x, size_t b,
                                         char buf[CELLS_PER_GROUP + MPH_RUN_SLACK]) {
    size_t have = x->a && b < x->a->n_blocks ? x->a->n_blocks - b : 0;
    if (have >= CELLS_PER_GROUP + MPH_RUN_SLACK)
        return x->a->cells + b;
    memset(buf + CELLS_PER_GROUP, MPH_CELL_FREE, MPH_RUN_SLACK);
    return side_cells(x, b, buf);
}

/* Everything one map needs, built once. */
typedef struct diff_map {
    mph_painter p;
    int digits;                                  /* of the gutter's addresses */
    mph_escape gutter;
    mph_escape classes[MPH_DIFF_CLASS_COUNT];    /* each class's colours */
} diff_map;

/* Room for one line's gutter: its escape, "0x" and the padded digits, the reset, a blank. */
#define GUTTER_ROOM (2 * MPH_ESCAPE_ROOM + 3 + MPH_PUT_MAX_PAD + 20)
/* Room for one group of cells: the reset and blank before it, each cell with
 * an escape, and the slack of the last copy. */
#define GROUP_ROOM (MPH_ESCAPE_ROOM + 1 + CELLS_PER_GROUP * (MPH_ESCAPE_ROOM + 1) + MPH_RUN_SLACK)

static void gutter(diff_map *m, const side *old_side, const side *new_side, size_t b) {
    const side *x = new_side->a ? new_side : old_side;
    uint64_t addr = mph_snapshot_block_address(x->s, x->index, b);
    char *w = mph__out_reserve(m->p.out, GUTTER_ROOM);
    if (m->p.color)
        w = mph__put_escape(w, &m->gutter, &m->p.current);
    if (addr) {
        *w++ = '0';
        *w++ = 'x';
        w = mph__put_hex(w, addr, m->digits);
    } else {
        *w++ = '#';
        w = mph__put_dec(w, b, m->digits + 1);
    }
    if (m->p.color)
        w = mph__put_escape(w, &mph__escape_reset, &m->p.current);
    *w++ = ' ';
    mph__out_commit(m->p.out, w);
}

static void title(mph_painter *p, const mph_area_pair *pr, const side *old_side,
                  const side *new_side) {
    char a[32];
    mph__paint(p, mph_palette_role(p->color ? MPH_PALETTE_DEFAULT : MPH_PALETTE_MONO,
                                   MPH_ROLE_GUTTER));
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
    mph__unpaint(p);
    mph__out_putc(p->out, '\n');
}

#if defined(__SSE2__)
/* g with class c's glyph where the class in cv is c. */
static inline __m128i with_glyph(__m128i g, __m128i cv, mph_diff_class c) {
    __m128i is = _mm_cmpeq_epi8(cv, _mm_set1_epi8((char)c));
    return _mm_or_si128(_mm_and_si128(is, _mm_set1_epi8(class_glyph[c])),
                        _mm_andnot_si128(is, g));
}
#endif

/* Without colour, the glyphs of a group's CELLS_PER_GROUP cells of classes
 * c: NEW's letter, or a changed cell's class glyph. No branch per cell:
 * fragmented heaps change class every few cells. */
static void plain_glyphs(const unsigned char *c, const char *new_cells, char *glyph) {
#if defined(__SSE2__)
    for (int k = 0; k < CELLS_PER_GROUP; k += 16) {
        __m128i cv = _mm_loadu_si128((const __m128i *)(const void *)(c + k));
        __m128i g = _mm_loadu_si128((const __m128i *)(const void *)(new_cells + k));
        // Every class but KEPT, whose cells show NEW's letter.
        g = with_glyph(g, cv, MPH_DIFF_FREE);
        g = with_glyph(g, cv, MPH_DIFF_FREED);
        g = with_glyph(g, cv, MPH_DIFF_ALLOCATED);
        g = with_glyph(g, cv, MPH_DIFF_REUSED);
        _mm_storeu_si128((__m128i *)(void *)(glyph + k), g);
    }
#else
    for (int k = 0; k < CELLS_PER_GROUP; k += 8) {
        uint64_t cw, g;
        memcpy(&cw, c + k, 8);
        memcpy(&g, new_cells + k, 8);
        for (int x = 0; x < MPH_DIFF_CLASS_COUNT; x++) {
            uint64_t is = mph__bytes_equal_mask(cw, (unsigned char)x);
            if (class_glyph[x])
                g = (is & UINT64_C(0x0101010101010101) * (unsigned char)class_glyph[x]) |
                    (g & ~is);
        }
        memcpy(glyph + k, &g, 8);
    }
#endif
}

/* Bit k set where class k of the group differs from class k - 1 (at[-1]
 * must be readable). */
static uint64_t class_changes(const unsigned char *at) {
#if defined(__SSE2__)
    uint64_t same = 0;
    for (int k = 0; k < CELLS_PER_GROUP; k += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(at + k));
        __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(at + k - 1));
        same |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) << k;
    }
    return ~same;
#else
    return ~mph__cells_same_bits((const char *)at, (const char *)at - 1, CELLS_PER_GROUP);
#endif
}

/* One group of n (<= CELLS_PER_GROUP) cells from block g, at w. A cell shows
 * NEW's letter (OLD's when freed) in its class's colours; without colour, a
 * changed cell shows its class's glyph instead. With colour each run of one
 * class gets its escape and one copy of its letters, all from one side. */
static char *put_group(diff_map *m, const unsigned char *cls, const side *os, const side *ns,
                       size_t g, size_t n, char *w) {
    // A whole group's classes are read in place; the first group's and a
    // short one's are copied (FREE past the end), after a byte that
    // class_changes may read: a run always starts at the first cell anyway.
    unsigned char classes[CELLS_PER_GROUP + 1];
    const unsigned char *c = cls + g;
    if (g == 0 || n < CELLS_PER_GROUP) {
        memset(classes, 0, sizeof classes);
        memcpy(classes + 1, cls + g, n);
        c = classes + 1;
    }
    char old_buf[CELLS_PER_GROUP + MPH_RUN_SLACK], new_buf[CELLS_PER_GROUP + MPH_RUN_SLACK];
    if (!m->p.color) {
        // GROUP_ROOM holds all CELLS_PER_GROUP glyphs; only n are kept.
        plain_glyphs(c, side_cells(ns, g, new_buf), w);
        return w + n;
    }
    // Copied from the cells themselves: no store of the glyphs first, which
    // the copies of runs at any offset would have to wait for.
    const char *old_cells = side_run_cells(os, g, old_buf);
    const char *new_cells = side_run_cells(ns, g, new_buf);
    uint64_t all = n < 64 ? (UINT64_C(1) << n) - 1 : ~UINT64_C(0);
    // Runs start at 0 and at each change of class: each run ends where the next starts.
    uint64_t later = class_changes(c) & all & ~UINT64_C(1);
    int cur = m->p.current;
    for (size_t k = 0;;) {
        size_t end = later ? mph__lowest_bit(later) : n;
        const mph_escape *e = &m->classes[c[k]];
        w = mph__put_escape(w, e, &cur);
        const char *from = (c[k] == MPH_DIFF_FREED ? old_cells : new_cells) + k;
        // Most runs are short: one copy, and a loop only for the rest.
        memcpy(w, from, MPH_RUN_SLACK);
        if (end - k > MPH_RUN_SLACK)
            mph__copy_run(w + MPH_RUN_SLACK, from + MPH_RUN_SLACK, end - k - MPH_RUN_SLACK);
        w += end - k;
        if (!later)
            break;
        later &= later - 1;
        k = end;
    }
    m->p.current = cur;
    return w;
}

/* One printed line: blocks [b, end) of a pair, after the gutter. */
static void put_line(diff_map *m, const unsigned char *cls, const side *os, const side *ns,
                     size_t b, size_t end) {
    gutter(m, os, ns, b);
    mph_outbuf *out = m->p.out;
    for (size_t g = b; g < end; g += CELLS_PER_GROUP) {
        size_t n = end - g < CELLS_PER_GROUP ? end - g : CELLS_PER_GROUP;
        char *w = mph__out_reserve(out, GROUP_ROOM);
        if (g > b) {
            if (m->p.color)
                w = mph__put_escape(w, &mph__escape_reset, &m->p.current);
            *w++ = ' ';
        }
        mph__out_commit(out, put_group(m, cls, os, ns, g, n, w));
    }
    mph__unpaint(&m->p);
    mph__out_putc(out, '\n');
}

/* Over classes [b, end): is any block changed, and are all free in both? */
static void scan_line(const unsigned char *cls, size_t b, size_t end, bool *changed,
                      bool *all_free) {
    uint64_t any = 0;
    size_t i = b;
    // Eight classes at a time: only a changed class has one of MPH_CHANGED_CLASS_BITS.
    for (; i + 8 <= end; i += 8) {
        uint64_t w;
        memcpy(&w, cls + i, 8);
        any |= w;
    }
    for (; i < end; i++)
        any |= cls[i];
    *changed = (any & MPH_CHANGED_CLASS_BITS) != 0;
    *all_free = any == 0;
}

mph_status mph_render_ansi_diff_map(const mph_diff *d, const mph_diff_map_options *o,
                                    mph_sink *sink, mph_error *err) {
    mph_status rc = check_args(d, o, sink, err);
    if (rc)
        return rc;
    mph_outbuf *out = mph__out_new(sink, err);
    if (!out)
        return MPH_ERR_NOMEM;
    diff_map map, *m = &map;
    mph__painter_init(&m->p, out, o->color, o->depth);
    mph__escape_init(&m->gutter, mph_palette_role(palette_of(o), MPH_ROLE_GUTTER), o->depth);
    for (int c = 0; c < MPH_DIFF_CLASS_COUNT; c++)
        mph__escape_init(&m->classes[c], class_style(o, (mph_diff_class)c), o->depth);
    const mph_snapshot *O = mph_diff_old_snapshot(d), *N = mph_diff_new_snapshot(d);
    size_t width = (size_t)o->columns * CELLS_PER_GROUP;
    // Gutter digits: enough for the widest address of either side.
    m->digits = 8;
    for (int k = 0; k < 2; k++) {
        const mph_snapshot *s = k ? N : O;
        for (size_t i = 0; i < mph_snapshot_area_count(s); i++) {
            const mph_area *a = mph_snapshot_area(s, i);
            uint64_t end = a->base + (uint64_t)a->n_blocks * mph_snapshot_block_size(s);
            int dd = 0;
            for (uint64_t v = end; v; v >>= 4)
                dd++;
            m->digits = dd > m->digits ? dd : m->digits;
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
        title(&m->p, pr, &os, &ns);
        const unsigned char *cls = pr->classes;
        size_t skipped = 0, free_lines = 0;
        for (size_t b = 0; b < pr->n_blocks; b += width) {
            size_t end = width < pr->n_blocks - b ? b + width : pr->n_blocks;
            bool changed = true, all_free = false;
            if (o->changed_only || o->collapse_free) // else every line is printed
                scan_line(cls, b, end, &changed, &all_free);
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
            if (free_lines == 1) // a single free line is shown, not summarised
                put_line(m, cls, &os, &ns, b - width, b);
            else if (free_lines)
                mph__out_printf(out, "       (%zu lines all free)\n", free_lines);
            skipped = free_lines = 0;
            put_line(m, cls, &os, &ns, b, end);
        }
        if (skipped)
            mph__out_printf(out, "       (%zu line%s unchanged)\n", skipped, skipped == 1 ? "" : "s");
        if (free_lines)
            mph__out_printf(out, "       (%zu line%s all free)\n", free_lines,
                            free_lines == 1 ? "" : "s");
    }
    return mph__out_close(out, err);
}
