/* The terminal renderer: summary, legend and map (or overview), in ANSI
 * colours from the shared palette. */
#include "../analyses.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELLS_PER_GROUP 64

/* ----------------------------------------------------------------- colour */

static mph_palette_kind palette_of(const mph_ansi_options *o) {
    return o->color ? o->palette : MPH_PALETTE_MONO;
}

/* ---------------------------------------------------------------- summary */

static const char *source_text(mph_block_size_source src) {
    switch (src) {
    case MPH_BS_ROW_STEP: return "from the row offsets";
    case MPH_BS_GC_TOTAL: return "from GC total / number of blocks";
    case MPH_BS_OPTION: return "from --block-size";
    case MPH_BS_HEADER: return "assumed: the header's figures rule out 32";
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

/* The lines under "largest free" that say what it means: MicroPython
 * collects before it gives up, and some ports grow the heap. */
static void put_largest_meaning(mph_outbuf *out, const mph_snapshot *s) {
    mph__out_puts(out, "               the largest allocation that fits now, without a collection\n");
    if (s->after_collect)
        mph__out_puts(out, "               (taken right after gc.collect(): used blocks were live)\n");
    else
        mph__out_puts(out, "               more may fit after one: this dump cannot tell garbage\n"
                           "               from live data (not taken right after gc.collect())\n");
}

/* A map cut short: the header's figures speak for the whole heap. */
static void put_header_figures(mph_outbuf *out, const mph_snapshot *s, const mph_stats *st) {
    const mph_header *h = &s->header;
    unsigned bpb = s->block_size;
    char a[32], b[32];
    mph__out_printf(out, "heap           %s bytes (%s), says the header's GC total",
                    mph__fmt_count(a, h->gc_total), mph__fmt_size(b, h->gc_total));
    if (bpb)
        mph__out_printf(out, ";\n               blocks of %u bytes (%s)", bpb,
                        source_text(s->block_size_source));
    mph__out_putc(out, '\n');
    if (s->n_areas) {
        mph__out_puts(out, "map            partial: ");
        put_amount(out, st->total_blocks, bpb);
        mph__out_puts(out, " shown, the paste is cut short;\n"
                           "               the figures below are the header's\n");
    } else {
        mph__out_puts(out, "map            none (mem_info() without an argument): the figures\n"
                           "               below are the header's\n");
    }
    mph__out_printf(out, "used           %s bytes, %.1f%%\n", mph__fmt_count(a, h->gc_used),
                    percent(h->gc_used, h->gc_total));
    mph__out_printf(out, "free           %s bytes, %.1f%%\n", mph__fmt_count(a, h->gc_free),
                    percent(h->gc_free, h->gc_total));
    mph__out_puts(out, "largest free   ");
    if (!h->has_max_free) {
        mph__out_puts(out, "unknown: the header has no max free sz (before v1.9)\n");
        return;
    }
    if (!bpb) {
        mph__out_printf(out, "%s blocks (max free sz); block size unknown: give --block-size\n",
                        mph__fmt_count(a, h->max_free));
    } else {
        put_amount(out, h->max_free, bpb);
        mph__out_printf(out, " = %s blocks (the header's max free sz)\n",
                        mph__fmt_count(a, h->max_free));
    }
    put_largest_meaning(out, s);
    if (h->gc_free && bpb) {
        double frag = 1.0 - (double)(h->max_free * bpb) / (double)h->gc_free;
        mph__out_printf(out, "fragmentation  %.1f%% (1 - largest free / total free)\n",
                        100.0 * (frag < 0 ? 0 : frag));
    }
}

/* The summary's lines, as wide as they come (put_fitted fits them). */
static mph_status summary_lines(const mph_snapshot *s, mph_sink *sink, mph_error *err) {
    // The figures the parser counted are all a summary shows.
    mph_stats st;
    mph__snapshot_figures(s, &st);
    mph_outbuf *out = mph__out_new(sink, err);
    if (!out)
        return MPH_ERR_NOMEM;
    unsigned bpb = s->block_size;
    char a[32], b[32];
    const mph_header *h = &s->header;
    if ((s->map_partial || !s->n_areas) && h->has_gc) {
        put_header_figures(out, s, &st);
        goto tail;
    }
    mph__out_puts(out, "heap           ");
    put_amount(out, st.total_blocks, bpb);
    mph__out_printf(out, " in %zu area%s", s->n_areas, s->n_areas == 1 ? "" : "s");
    if (bpb)
        mph__out_printf(out, ",\n               blocks of %u bytes (%s)\n", bpb,
                        source_text(s->block_size_source));
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
        mph__out_putc(out, '\n');
        put_largest_meaning(out, s);
    } else {
        mph__out_puts(out, "none: no block is free now\n");
        if (!s->after_collect)
            mph__out_puts(out, "               a collection may free some: this dump cannot tell\n"
                               "               garbage from live data\n");
    }
    mph__out_printf(out, "fragmentation  %.1f%% (1 - largest free / total free)\n",
                    100.0 * st.fragmentation);
tail:
    if (h->has_max_new_split && h->max_new_split)
        mph__out_printf(out, "can grow by    up to %s in a new area (max new split), for what\n"
                             "               fits in no free run, if the system has it to give\n",
                        mph__fmt_size(a, h->max_new_split));
    else if (h->has_max_new_split)
        mph__out_puts(out, "can grow by    nothing now: max new split is 0 (no room for a new area)\n");
    if (h->has_stack)
        mph__out_printf(out, "stack          %s bytes used%s%s\n", mph__fmt_count(a, h->stack_used),
                        h->has_stack_limit ? " of " : "",
                        h->has_stack_limit ? mph__fmt_count(b, h->stack_limit) : "");
    return mph__out_close(out, err);
}

/* Where the values of the summary and the verdict start: after "largest free   ". */
#define VALUE_COLUMN 15

static size_t width_of(const mph_ansi_options *o) {
    if (!o || !o->width)
        return 80;
    return o->width < 40 ? 40 : o->width;
}

mph_status mph_render_ansi_summary(const mph_snapshot *s, const mph_ansi_options *o,
                                   mph_sink *sink, mph_error *err) {
    if (!s || !sink) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no snapshot or no sink");
        return MPH_ERR_ARG;
    }
    // Written whole first, then fitted to the width: the figures' lines and the
    // verdict's break at blanks, the rest under the values.
    mph_text t = {NULL, 0, 0};
    mph_sink mem = mph__text_sink(&t);
    mph_status rc = summary_lines(s, &mem, err);
    if (!rc && o && o->verdict && o->verdict->snapshot == s)
        rc = mph_render_text_verdict(o->verdict, NULL, &mem, err);
    if (!rc)
        return mph__text_fit(&t, width_of(o), VALUE_COLUMN, sink, err);
    free(t.data);
    return rc;
}

/* ----------------------------------------------------------------- legend */

/* Bit k of the 64 cells from p set where the cell is c. */
static inline uint64_t cells_are(const char *p, char c) {
#if defined(__SSE2__)
    const __m128i want = _mm_set1_epi8(c);
    uint64_t bits = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        bits |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, want)) << (16 * k);
    }
    return bits;
#else
    return mph__cells_equal_bits(p, 64, c);
#endif
}

/* Are the 64 cells from p all c? */
static inline bool all_are(const char *p, char c) {
#if defined(__SSE2__)
    const __m128i want = _mm_set1_epi8(c);
    const __m128i *v = (const __m128i *)(const void *)p;
    __m128i ok = _mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128(v), want),
                                             _mm_cmpeq_epi8(_mm_loadu_si128(v + 1), want)),
                               _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128(v + 2), want),
                                             _mm_cmpeq_epi8(_mm_loadu_si128(v + 3), want)));
    return _mm_movemask_epi8(ok) == 0xffff;
#else
    return mph__cells_equal_bits(p, 64, c) == ~UINT64_C(0);
#endif
}

/* The types the legend lists, bit t for type t: those with an allocation in
 * mph_stats (by_type[t].allocs), that is a head of the type's letter, and for
 * "other" also tails with no head (at an area's start or after a free block).
 * Whole stats walk every run of the heap; this only looks for each letter
 * until it is found, in the stretches of 64 cells that hold a head (a few
 * compares each for the letters a heap lacks), and goes through a stretch
 * all free or all tails 64 cells a step. */
static unsigned types_present(const mph_snapshot *s) {
    const unsigned all = (1u << MPH_TYPE_COUNT) - 1, other = 1u << MPH_TYPE_OTHER;
    unsigned seen = 0;
    char letter[MPH_TYPE_COUNT];
    for (int t = 0; t < MPH_TYPE_COUNT; t++)
        letter[t] = mph_type_letter((mph_type)t);
    for (size_t ai = 0; ai < s->n_areas && seen != all; ai++) {
        const char *cells = s->areas[ai].cells;
        size_t n = s->areas[ai].n_blocks;
        uint64_t before_free = 1; // the area's start: a tail there has no head
        for (size_t b = 0; b < n && seen != all;) {
            size_t m = n - b < 64 ? n - b : 64;
            if (!(seen & other)) {
                uint64_t free_m, tail_m;
                mph__cell_masks(cells + b, m, &free_m, &tail_m);
                if (tail_m & (free_m << 1 | before_free))
                    seen |= other;
                before_free = free_m >> 63;
            }
            for (unsigned left = all & ~seen; left; left &= left - 1) {
                unsigned t = (unsigned)mph__lowest_bit(left);
                char c = letter[t];
                if (m == 64 ? cells_are(cells + b, c) != 0 : memchr(cells + b, c, m) != NULL)
                    seen |= 1u << t;
            }
            // A run of free cells or tails holds no head, nor the start of tails
            // with no head (all is free or tails before it): on to its end.
            char c = cells[b];
            b += m;
            if (m == 64 && (c == MPH_CELL_FREE || c == MPH_CELL_TAIL) && cells[b - 1] == c &&
                all_are(cells + b - 64, c))
                while (n - b >= 64 && all_are(cells + b, c))
                    b += 64;
        }
    }
    return seen;
}

mph_status mph_render_ansi_legend(const mph_snapshot *s, const mph_ansi_options *o,
                                  mph_sink *sink, mph_error *err) {
    mph_stats st;
    unsigned present = 0;
    if ((s && s->memo && s->memo->ready) || !s || s->no_cells) {
        // At hand already (or no cells to look at): the stats say it all.
        mph_status rc = mph_stats_compute(s, MPH_ALL_AREAS, &st, err);
        if (rc)
            return rc;
        for (int t = 0; t < MPH_TYPE_COUNT; t++)
            present |= (unsigned)(st.by_type[t].allocs != 0) << t;
    } else {
        // The figures of reading have the largest free run; the types need only a look.
        mph__snapshot_figures(s, &st);
        present = types_present(s);
    }
    mph_outbuf *out = mph__out_new(sink, err);
    if (!out)
        return MPH_ERR_NOMEM;
    mph_painter p;
    mph__painter_init(&p, out, o->color, o->depth);
    mph_palette_kind pal = palette_of(o);
    mph_legend l;
    mph__legend_init(&l, &p, o->width, "legend  ");
    if (o->scale > 1) {
        char a[32], b[96];
        int n = snprintf(b, sizeof b, "one cell = %s blocks", mph__fmt_count(a, o->scale));
        if (s->block_size && o->scale <= UINT64_MAX / s->block_size)
            snprintf(b + n, sizeof b - (size_t)n, " = %s:", mph__fmt_size(a, o->scale * s->block_size));
        else
            snprintf(b + n, sizeof b - (size_t)n, ":");
        mph__legend_item(&l, mph_palette_role(pal, MPH_ROLE_FREE), 0, b);
        mph__legend_item(&l, mph_palette_role(pal, MPH_ROLE_FREE), '.', "free");
        mph__legend_item(&l, mph_palette_role(pal, MPH_ROLE_LEVEL_LOW), ':', "<=25% used");
        mph__legend_item(&l, mph_palette_role(pal, MPH_ROLE_LEVEL_MID), '-', "<=50%");
        mph__legend_item(&l, mph_palette_role(pal, MPH_ROLE_LEVEL_HIGH), '+', "<=75%");
        mph__legend_item(&l, mph_palette_role(pal, MPH_ROLE_LEVEL_HIGH), '#', "<100%");
        mph__legend_item(&l, mph_palette_role(pal, MPH_ROLE_LEVEL_FULL), '@', "full");
        mph__legend_item(&l, mph_palette_role(pal, MPH_ROLE_LARGEST_FREE), '_', "largest free block");
        if (o->verdict && o->verdict->n_windows)
            mph__legend_item(&l, mph_palette_role(pal, MPH_ROLE_BLOCKER), '!', "what splits it");
    } else {
        mph__legend_item(&l, mph_palette_role(pal, MPH_ROLE_FREE), '.', "free");
        mph__legend_item(&l, mph_palette_head(pal, MPH_TYPE_OTHER, 0), '=', "tail (its head's colour)");
        for (int t = 0; t < MPH_TYPE_COUNT; t++) {
            if (!(present >> t & 1))
                continue;
            mph__legend_item(&l, mph_palette_head(pal, (mph_type)t, 0), mph_type_letter((mph_type)t),
                             mph_type_name((mph_type)t));
        }
        if (pal == MPH_PALETTE_RAINBOW)
            mph__legend_item(&l, mph_palette_role(pal, MPH_ROLE_FREE), 0,
                             "(neighbours alternate colours)");
        bool plain = mph_palette_role(pal, MPH_ROLE_LARGEST_FREE).plain;
        if (o->mark_largest && st.largest_free_blocks && !s->map_partial)
            mph__legend_item(&l, mph_palette_role(pal, MPH_ROLE_LARGEST_FREE), plain ? '_' : '.',
                             "the largest free run");
        if (o->verdict && o->verdict->n_windows)
            mph__legend_item(&l, mph_palette_role(pal, MPH_ROLE_BLOCKER), plain ? '^' : 'h',
                             plain ? "(under a row) what splits it: free these for the size asked"
                                   : "what splits it: free these for the size asked");
    }
    mph__legend_end(&l);
    return mph__out_close(out, err);
}

/* -------------------------------------------------------------------- map */

typedef mph__gutter gutter;

gutter mph__gutter_of(const mph_snapshot *s) {
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

/* Room for one line's gutter: its escape, "+0x" and the padded digits, the reset, a blank. */
#define GUTTER_ROOM (2 * MPH_ESCAPE_ROOM + 4 + MPH_PUT_MAX_PAD + 20)
/* Room for one group of cells: the reset and blank before it, each cell with
 * an escape, and the slack of the last copy. */
#define GROUP_ROOM (MPH_ESCAPE_ROOM + 1 + CELLS_PER_GROUP * (MPH_ESCAPE_ROOM + 1) + MPH_RUN_SLACK)
/* Room for the end of a line: the reset and the newline. */
#define LINE_END_ROOM (MPH_ESCAPE_ROOM + 1)

/* "0x0003a000 " (or +0x offset, or #block), in the gutter's colour. */
static void put_gutter(mph_painter *p, const gutter *g, const mph_escape *style,
                       const mph_snapshot *s, size_t area, size_t block) {
    char *w = mph__out_reserve(p->out, GUTTER_ROOM);
    if (p->color)
        w = mph__put_escape(w, style, &p->current);
    if (g->use_address) {
        *w++ = '0';
        *w++ = 'x';
        w = mph__put_hex(w, mph_snapshot_block_address(s, area, block), g->digits);
    } else if (g->use_offset) {
        memcpy(w, "+0x", 3);
        w = mph__put_hex(w + 3, (uint64_t)block * s->block_size, g->digits);
    } else {
        *w++ = '#';
        w = mph__put_dec(w, block, g->digits);
    }
    if (p->color)
        w = mph__put_escape(w, &mph__escape_reset, &p->current);
    *w++ = ' ';
    mph__out_commit(p->out, w);
}

static void area_title(mph_painter *p, const mph_snapshot *s, size_t ai, mph_palette_kind pal) {
    const mph_area *a = &s->areas[ai];
    char x[32], y[32];
    mph__paint(p, mph_palette_role(pal, MPH_ROLE_GUTTER));
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
    mph__unpaint(p);
    mph__out_putc(p->out, '\n');
}

/* Whole printed lines of free blocks from block b on (each line = width blocks). */
static size_t free_lines_from(const char *cells, size_t n, size_t b, size_t width) {
    if (!width || b >= n)
        return 0;
    return mph__run_length(cells, n, b, '.') / width;
}

static void put_collapsed(mph_outbuf *o, size_t lines, bool in_largest) {
    mph__out_printf(o, "       (%zu lines all free%s)\n", lines,
                    in_largest ? ", in the largest free run" : "");
}

/* What a map cell is to the colour loop: a head's type (below MPH_TYPE_COUNT), a tail or free. */
enum { KIND_TAIL = MPH_TYPE_COUNT, KIND_FREE };

/* Heads' styles repeat after this many: palette.c's rainbow alternates
 * ordinal % 4 (the golden rainbow outputs would show a change). */
#define RAINBOW_PHASES 4

/* Every escape of the cell map, built once per call. */
typedef struct cell_styles {
    unsigned char kind[256]; /* cell character -> a type or KIND_ */
    mph_escape free, first_tail, gutter;
    mph_escape head[MPH_TYPE_COUNT][RAINBOW_PHASES]; /* [type][ordinal % 4] */
    bool plain; /* no escape at all: the cells are copied as they are */
} cell_styles;

static void cell_styles_init(cell_styles *cs, mph_palette_kind pal, bool color,
                             mph_color_depth depth) {
    for (int c = 0; c < 256; c++) {
        int t = mph_type_of_cell((char)c);
        cs->kind[c] = (unsigned char)(t >= 0 ? t : MPH_TYPE_OTHER);
    }
    cs->kind[(unsigned char)MPH_CELL_FREE] = KIND_FREE;
    cs->kind[(unsigned char)MPH_CELL_TAIL] = KIND_TAIL;
    mph__escape_init(&cs->free, mph_palette_role(pal, MPH_ROLE_FREE), depth);
    mph__escape_init(&cs->first_tail, mph_palette_head(pal, MPH_TYPE_OTHER, 0), depth);
    mph__escape_init(&cs->gutter, mph_palette_role(pal, MPH_ROLE_GUTTER), depth);
    bool plain = cs->free.code < 0 && cs->first_tail.code < 0 && cs->gutter.code < 0;
    for (int t = 0; t < MPH_TYPE_COUNT; t++)
        for (int ph = 0; ph < RAINBOW_PHASES; ph++) {
            mph__escape_init(&cs->head[t][ph], mph_palette_head(pal, (mph_type)t, (uint64_t)ph),
                             depth);
            plain &= cs->head[t][ph].code < 0;
        }
    cs->plain = plain || !color;
}

/* Where the colour loop is between groups and lines. */
typedef struct cell_run {
    const mph_escape *tail; /* the style of the last head: its tails' */
    unsigned phase;         /* heads so far, mod RAINBOW_PHASES */
} cell_run;

/* n (<= CELLS_PER_GROUP) cells at w, each in its style. A run of one style
 * starts at each head (its own colours), at the first of free cells and at
 * tails after a free cell (the last head's colours): each run gets at most
 * one escape and one copy of its cells. `readable`: cells that may be read
 * from `cells` on (at least n). */
static char *put_colored_cells(char *w, const char *cells, size_t n, size_t readable,
                               const cell_styles *cs, cell_run *run, int *current) {
    char buf[CELLS_PER_GROUP + MPH_RUN_SLACK]; // the copies read past a run's end
    const char *local = cells;
    if (readable < n + MPH_RUN_SLACK) { // near the area's end: a copy with room after it
        memcpy(buf, cells, n);
        local = buf;
    }
    uint64_t all = n < 64 ? (UINT64_C(1) << n) - 1 : ~UINT64_C(0);
    uint64_t free_bits, tail_bits;
    mph__cell_masks(cells, n, &free_bits, &tail_bits);
    uint64_t after_free = free_bits << 1;
    uint64_t starts = (~(free_bits | tail_bits) | (free_bits & ~after_free) |
                       (tail_bits & after_free) | 1) & all;
    const mph_escape *tail = run->tail;
    unsigned phase = run->phase;
    int cur = *current;
    while (starts) {
        unsigned k = mph__lowest_bit(starts);
        starts &= starts - 1;
        size_t end = starts ? mph__lowest_bit(starts) : n;
        unsigned kind = cs->kind[(unsigned char)local[k]];
        const mph_escape *e;
        if (kind == KIND_FREE) {
            e = &cs->free;
        } else if (kind == KIND_TAIL) {
            e = tail;
        } else {
            e = &cs->head[kind][phase];
            phase = (phase + 1) % RAINBOW_PHASES;
            tail = e;
        }
        w = mph__put_escape(w, e, &cur);
        w = mph__copy_run(w, local + k, end - k);
    }
    *current = cur;
    run->tail = tail;
    run->phase = phase;
    return w;
}

/* The cells of [b, end) of an area, in groups of CELLS_PER_GROUP. */
static void put_cells(mph_painter *p, const cell_styles *cs, cell_run *run, const char *cells,
                      size_t b, size_t end, size_t area_end) {
    for (size_t g = b; g < end; g += CELLS_PER_GROUP) {
        size_t n = end - g < CELLS_PER_GROUP ? end - g : CELLS_PER_GROUP;
        char *w = mph__out_reserve(p->out, GROUP_ROOM);
        if (g > b) {
            if (!cs->plain)
                w = mph__put_escape(w, &mph__escape_reset, &p->current);
            *w++ = ' ';
        }
        if (cs->plain) {
            memcpy(w, cells + g, n);
            w += n;
        } else {
            w = put_colored_cells(w, cells + g, n, area_end - g, cs, run, &p->current);
        }
        mph__out_commit(p->out, w);
    }
    char *w = mph__out_reserve(p->out, LINE_END_ROOM);
    if (!cs->plain)
        w = mph__put_escape(w, &mph__escape_reset, &p->current);
    *w++ = '\n';
    mph__out_commit(p->out, w);
}

/* What the map marks: the largest free run and a verdict's best window. */
typedef struct marks {
    bool largest;
    size_t largest_area, largest_start, largest_end;
    const mph_window *window; /* NULL: none */
} marks;

static marks marks_of(const mph_snapshot *s, const mph_ansi_options *o, const mph_stats *st) {
    marks m = {false, 0, 0, 0, NULL};
    if (o->mark_largest && st->largest_free_blocks && !s->map_partial) {
        m.largest = true;
        m.largest_area = st->largest_free_area;
        m.largest_start = st->largest_free_block;
        m.largest_end = st->largest_free_block + (size_t)st->largest_free_blocks;
    }
    const mph_verdict *v = o->verdict;
    if (v && v->snapshot == s && v->n_windows)
        m.window = &v->windows[0];
    return m;
}

/* Mark of each cell of [b, end) of area ai: 0 none, 1 largest free run, 2 blocker. */
static bool row_marks(const marks *m, size_t ai, size_t b, size_t end, unsigned char *out) {
    bool any = false;
    memset(out, 0, end - b);
    if (m->largest && ai == m->largest_area && b < m->largest_end && end > m->largest_start) {
        size_t lo = b > m->largest_start ? b : m->largest_start;
        size_t hi = end < m->largest_end ? end : m->largest_end;
        memset(out + (lo - b), 1, hi - lo);
        any = true;
    }
    if (m->window && m->window->run.area == ai) {
        for (size_t k = 0; k < m->window->n_listed; k++) {
            const mph_alloc *x = &m->window->blockers[k];
            size_t xe = x->block + x->n_blocks;
            if (x->block >= end || xe <= b)
                continue;
            size_t lo = b > x->block ? b : x->block, hi = end < xe ? end : xe;
            memset(out + (lo - b), 2, hi - lo);
            any = true;
        }
    }
    return any;
}

static size_t gutter_width(const gutter *g) {
    return (size_t)(g->use_address ? 2 : g->use_offset ? 3 : 1) + (size_t)g->digits + 1;
}

/* The end of the marks equal to m from i on (below n): eight at a time
 * through a row inside the largest free run. */
static size_t same_marks(const unsigned char *mk, size_t i, size_t n, unsigned char m) {
    const uint64_t want = UINT64_C(0x0101010101010101) * m;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, mk + i, 8);
        if (x != want)
            break;
    }
    while (i < n && mk[i] == m)
        i++;
    return i;
}

/* A row with marks: marked stretches in their role's colours (or, without
 * colour, '_' for the largest free run), the rest as put_cells does. */
static void put_marked_cells(mph_painter *p, const cell_styles *cs, cell_run *run,
                             const char *cells, size_t b, size_t end, size_t area_end,
                             const unsigned char *mk, const mph_escape *largest,
                             const mph_escape *blocker) {
    for (size_t g = b; g < end; g += CELLS_PER_GROUP) {
        size_t n = end - g < CELLS_PER_GROUP ? end - g : CELLS_PER_GROUP;
        char *w = mph__out_reserve(p->out, GROUP_ROOM + MPH_ESCAPE_ROOM * 2);
        if (g > b) {
            if (!cs->plain)
                w = mph__put_escape(w, &mph__escape_reset, &p->current);
            *w++ = ' ';
        }
        for (size_t i = 0; i < n;) {
            unsigned char m = mk[g - b + i];
            size_t j = same_marks(mk + (g - b), i + 1, n, m);
            const char *c = cells + g + i;
            if (m == 0) {
                if (cs->plain) {
                    memcpy(w, c, j - i);
                    w += j - i;
                } else {
                    w = put_colored_cells(w, c, j - i, area_end - (g + i), cs, run, &p->current);
                }
            } else if (m == 1) {
                // The largest free run: free cells only, which count no head.
                if (!cs->plain) {
                    w = mph__put_escape(w, largest, &p->current);
                    memcpy(w, c, j - i);
                } else {
                    memset(w, '_', j - i);
                }
                w += j - i;
            } else {
                if (!cs->plain)
                    w = mph__put_escape(w, blocker, &p->current);
                for (size_t k = 0; k < j - i; k++) {
                    if (cs->kind[(unsigned char)c[k]] < MPH_TYPE_COUNT)
                        run->phase = (run->phase + 1) % RAINBOW_PHASES;
                    *w++ = c[k];
                }
            }
            i = j;
        }
        mph__out_commit(p->out, w);
    }
    char *w = mph__out_reserve(p->out, LINE_END_ROOM);
    if (!cs->plain)
        w = mph__put_escape(w, &mph__escape_reset, &p->current);
    *w++ = '\n';
    mph__out_commit(p->out, w);
}

/* Without colour, a line of '^' under the blockers of a row. */
static void put_blocker_line(mph_outbuf *o, size_t gutter_cols, const unsigned char *mk, size_t n) {
    size_t last = n;
    while (last > 0 && mk[last - 1] != 2)
        last--;
    if (!last)
        return;
    for (size_t i = 0; i < gutter_cols; i++)
        mph__out_putc(o, ' ');
    for (size_t i = 0; i < last; i++) {
        if (i && i % CELLS_PER_GROUP == 0)
            mph__out_putc(o, ' ');
        mph__out_putc(o, mk[i] == 2 ? '^' : ' ');
    }
    mph__out_puts(o, "  what splits it\n");
}

static void render_cells(mph_painter *p, const mph_snapshot *s, const mph_ansi_options *o,
                         const gutter *g, const marks *m) {
    mph_palette_kind pal = palette_of(o);
    size_t width = (size_t)o->columns * CELLS_PER_GROUP;
    cell_styles cs;
    cell_styles_init(&cs, pal, p->color, o->depth);
    mph_escape largest, blocker;
    mph__escape_init(&largest, mph_palette_role(pal, MPH_ROLE_LARGEST_FREE), o->depth);
    mph__escape_init(&blocker, mph_palette_role(pal, MPH_ROLE_BLOCKER), o->depth);
    unsigned char mk[64 * 64]; // one row: at most 64 groups of 64
    // Heads are counted over the whole snapshot: the rainbow does not restart at an area.
    cell_run run = {&cs.first_tail, 0};
    for (size_t ai = 0; ai < s->n_areas; ai++) {
        const mph_area *a = &s->areas[ai];
        area_title(p, s, ai, pal);
        run.tail = &cs.first_tail;
        for (size_t b = 0; b < a->n_blocks;) {
            if (o->collapse_free) {
                size_t k = free_lines_from(a->cells, a->n_blocks, b, width);
                if (k >= 2) {
                    bool in_largest = m->largest && ai == m->largest_area &&
                                      b < m->largest_end && b + k * width > m->largest_start;
                    put_collapsed(p->out, k, in_largest);
                    b += k * width;
                    continue;
                }
            }
            put_gutter(p, g, &cs.gutter, s, ai, b);
            size_t end = width < a->n_blocks - b ? b + width : a->n_blocks;
            if (end - b <= sizeof mk && row_marks(m, ai, b, end, mk)) {
                put_marked_cells(p, &cs, &run, a->cells, b, end, a->n_blocks, mk, &largest,
                                 &blocker);
                if (cs.plain)
                    put_blocker_line(p->out, gutter_width(g), mk, end - b);
            } else {
                put_cells(p, &cs, &run, a->cells, b, end, a->n_blocks);
            }
            b = end;
        }
    }
}

/* Overview: each cell stands for `scale` blocks and shows how full they are. */
/* Does [b, end) of area ai hold a blocker of the marked window? */
static bool holds_blocker(const marks *m, size_t ai, size_t b, size_t end) {
    if (!m->window || m->window->run.area != ai)
        return false;
    for (size_t k = 0; k < m->window->n_listed; k++) {
        const mph_alloc *x = &m->window->blockers[k];
        if (x->block < end && x->block + x->n_blocks > b)
            return true;
    }
    return false;
}

static void render_overview(mph_painter *p, const mph_snapshot *s, const mph_ansi_options *o,
                            const gutter *g, const mph_stats *st, const marks *m) {
    mph_palette_kind pal = palette_of(o);
    mph_escape role_escape[MPH_ROLE_COUNT];
    for (int r = 0; r < MPH_ROLE_COUNT; r++)
        mph__escape_init(&role_escape[r], mph_palette_role(pal, (mph_role)r), o->depth);
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
                    put_collapsed(p->out, lines, false); // the largest run is never collapsed here
                    b += lines * width;
                    continue;
                }
            }
            put_gutter(p, g, &role_escape[MPH_ROLE_GUTTER], s, ai, b);
            for (size_t cell = 0; cell < per_line && b < a->n_blocks; cell++) {
                if (cell && cell % CELLS_PER_GROUP == 0) {
                    mph__unpaint(p);
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
                mph_role role = mph_overview_cell(used, n, holds_blocker(m, ai, b, end), in_run,
                                                  small_run, &glyph);
                mph__paint_escape(p, &role_escape[role]);
                mph__out_putc(p->out, glyph);
                b = end;
            }
            mph__unpaint(p);
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
    mph_stats st; // for the largest free run, which the overview marks
    mph__snapshot_figures(s, &st);
    mph_outbuf *out = mph__out_new(sink, err);
    if (!out)
        return MPH_ERR_NOMEM;
    mph_painter p;
    mph__painter_init(&p, out, o->color, o->depth);
    gutter g = mph__gutter_of(s);
    marks m = marks_of(s, o, &st);
    if (o->scale > 1)
        render_overview(&p, s, o, &g, &st, &m);
    else
        render_cells(&p, s, o, &g, &m);
    return mph__out_close(out, err);
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

mph_role mph_overview_cell(uint64_t used, uint64_t n, bool blocker, bool in_largest, bool small_run,
                           char *glyph) {
    char g;
    mph_role role;
    if (blocker) {
        g = '!';
        role = MPH_ROLE_BLOCKER;
    } else if (in_largest && (used == 0 || small_run)) {
        g = '_';
        role = MPH_ROLE_LARGEST_FREE;
    } else if (used == 0) {
        g = '.';
        role = MPH_ROLE_FREE;
    } else if (used * 4 <= n) {
        g = ':';
        role = MPH_ROLE_LEVEL_LOW;
    } else if (used * 2 <= n) {
        g = '-';
        role = MPH_ROLE_LEVEL_MID;
    } else if (used * 4 <= n * 3) {
        g = '+';
        role = MPH_ROLE_LEVEL_HIGH;
    } else if (used < n) {
        g = '#';
        role = MPH_ROLE_LEVEL_HIGH;
    } else {
        g = '@';
        role = MPH_ROLE_LEVEL_FULL;
    }
    if (glyph)
        *glyph = g;
    return role;
}
