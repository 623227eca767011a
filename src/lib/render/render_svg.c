/* The map as an SVG document, written directly: a title, the summary (the
 * terminal summary's lines), the legend, and per area its title, an address
 * gutter and the map as one rect per run of one colour in a row. Every text
 * from the input is XML-escaped. */
#include "picture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELL_W 4   /* user units per cell across */
#define CELL_H 8   /* and down */
#define LINE_H 14  /* a line of text */
#define CHAR_W 6.6 /* a monospace character at font-size 11, roughly */
#define MARGIN 10
#define GUTTER_W 96    /* "0x" and up to 12 hex digits */
#define GUTTER_EVERY 2 /* an address every 2 rows: 16 units apart, more than the font */

/* Text as XML character data or attribute value: & < > " ' escaped, bytes
 * XML 1.0 forbids (controls) and broken UTF-8 written as '?'. */
static void put_escaped(mph_outbuf *out, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            switch (c) {
            case '&': mph__out_puts(out, "&amp;"); break;
            case '<': mph__out_puts(out, "&lt;"); break;
            case '>': mph__out_puts(out, "&gt;"); break;
            case '"': mph__out_puts(out, "&quot;"); break;
            case '\'': mph__out_puts(out, "&#39;"); break;
            default: mph__out_putc(out, c < 0x20 && c != '\t' ? '?' : (char)c); break;
            }
            p++;
            continue;
        }
        // A whole, shortest-form UTF-8 sequence is copied; anything else is '?'.
        size_t len = c >= 0xc2 && c <= 0xdf   ? 2
                     : c >= 0xe0 && c <= 0xef ? 3
                     : c >= 0xf0 && c <= 0xf4 ? 4
                                              : 0;
        bool ok = len && (size_t)(end - p) >= len;
        for (size_t k = 1; ok && k < len; k++)
            ok = (p[k] & 0xc0) == 0x80;
        if (ok && len == 3)
            ok = !(c == 0xe0 && p[1] < 0xa0) && !(c == 0xed && p[1] >= 0xa0);
        if (ok && len == 4)
            ok = !(c == 0xf0 && p[1] < 0x90) && !(c == 0xf4 && p[1] >= 0x90);
        if (!ok) {
            mph__out_putc(out, '?');
            p++;
            continue;
        }
        mph__out_write(out, (const char *)p, len);
        p += len;
    }
}

static void put_text(mph_outbuf *out, double x, double y, const char *cls, const char *s,
                     size_t n) {
    mph__out_printf(out, "<text x=\"%.0f\" y=\"%.0f\" class=\"%s\" xml:space=\"preserve\">", x, y,
                    cls);
    put_escaped(out, s, n);
    mph__out_puts(out, "</text>\n");
}

static void put_fill(mph_outbuf *out, mph_rgb c) {
    mph__out_printf(out, "#%02x%02x%02x", c.r, c.g, c.b);
}

/* The gutter, as the terminal map's (render_ansi.c). */
typedef mph__gutter gutter;

static int gutter_text(char *buf, size_t cap, const gutter *g, const mph_snapshot *s, size_t area,
                       size_t block) {
    if (g->use_address)
        return snprintf(buf, cap, "0x%0*llx", g->digits,
                        (unsigned long long)mph_snapshot_block_address(s, area, block));
    if (g->use_offset)
        return snprintf(buf, cap, "+0x%0*llx", g->digits,
                        (unsigned long long)((uint64_t)block * s->block_size));
    return snprintf(buf, cap, "#%zu", block);
}

static int area_title(char *buf, size_t cap, const mph_snapshot *s, size_t ai) {
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
    return n;
}

/* The legend: colour index and text. */
typedef struct legend_item {
    unsigned char color;
    char text[64];
} legend_item;

static size_t legend_of(const mph_snapshot *s, const mph_picture_options *o, const pic_walk *w,
                        legend_item *items) {
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

/* The lines of the terminal summary (and the verdict's text), without colour.
 */
static mph_status summary_text(const mph_snapshot *s, const mph_picture_options *o, mph_text *t,
                               mph_error *err) {
    mph_ansi_options ao = {1, false, o->palette, false, 1, true, o->verdict, MPH_COLORS_256, 100};
    mph_sink mem = mph__text_sink(t);
    return mph_render_ansi_summary(s, &ao, &mem, err);
}

mph_status mph_render_svg(const mph_snapshot *s, const mph_picture_options *o, mph_sink *sink,
                          mph_error *err) {
    mph_status rc = mph__pic_check(s, o, sink, err);
    if (rc)
        return rc;
    mph_text sum = {NULL, 0, 0};
    rc = summary_text(s, o, &sum, err);
    if (rc) {
        free(sum.data);
        return rc;
    }
    pic_walk w;
    rc = mph__pic_walk_init(&w, s, o, err);
    if (rc) {
        free(sum.data);
        return rc;
    }
    unsigned char *cells = malloc(w.per_row);
    mph_outbuf *out = cells ? mph__out_new(sink, err) : NULL;
    if (!out) {
        free(cells);
        free(sum.data);
        mph__pic_walk_fini(&w);
        if (!cells)
            mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    mph_rgb colors[PIC_N];
    mph__pic_colors(o->palette, colors);
    legend_item legend[MPH_TYPE_COUNT + 8];
    size_t n_legend = s->n_areas ? legend_of(s, o, &w, legend) : 0;

    // The size: the widest text or map, and every line and row.
    size_t n_lines = 0, widest = 0;
    for (size_t i = 0, start = 0; i < sum.len; i++)
        if (sum.data[i] == '\n') {
            n_lines++;
            if (i - start > widest)
                widest = i - start;
            start = i + 1;
        }
    const char *label = mph_snapshot_label(s);
    char title[96];
    snprintf(title, sizeof title, "mpheap: heap map%s", label ? ", snapshot " : "");
    size_t title_len = strlen(title) + (label ? strlen(label) : 0);
    if (title_len > widest)
        widest = title_len;
    double map_w = GUTTER_W + (double)w.per_row * CELL_W;
    double width = MARGIN * 2 + (map_w > widest * CHAR_W ? map_w : widest * CHAR_W);
    size_t legend_lines = 0;
    {
        double x = 0;
        for (size_t i = 0; i < n_legend; i++) {
            double iw = 18 + strlen(legend[i].text) * CHAR_W + 12;
            if (i == 0 || x + iw > width - 2 * MARGIN) {
                legend_lines++;
                x = 0;
            }
            x += iw;
        }
    }
    double height = MARGIN + LINE_H * (1.5 + (double)n_lines + 0.5 + (double)legend_lines + 0.5);
    size_t map_rows = 0;
    for (size_t a = 0; a < s->n_areas; a++)
        map_rows += mph__pic_rows(&w, a);
    if (s->n_areas)
        height += (double)s->n_areas * LINE_H * 1.5 + (double)map_rows * CELL_H;
    else
        height += 2 * LINE_H;
    height += MARGIN;

    mph__out_printf(out,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
                    "height=\"%.0f\" "
                    "viewBox=\"0 0 %.0f %.0f\" font-family=\"monospace\" font-size=\"11\">\n",
                    width, height, width, height);
    mph__out_puts(out, "<title>");
    mph__out_puts(out, title);
    if (label)
        put_escaped(out, label, strlen(label));
    mph__out_puts(out, "</title>\n<style>.h{font-weight:bold}.g{fill:#555}</style>\n");
    mph__out_printf(out, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", width,
                    height);
    double y = MARGIN + LINE_H;
    mph__out_printf(out, "<text x=\"%d\" y=\"%.0f\" class=\"h\" xml:space=\"preserve\">", MARGIN,
                    y);
    mph__out_puts(out, title);
    if (label)
        put_escaped(out, label, strlen(label));
    mph__out_puts(out, "</text>\n");
    y += LINE_H * 0.5;
    mph__out_puts(out, "<g class=\"summary\">\n");
    for (size_t i = 0, start = 0; i < sum.len; i++)
        if (sum.data[i] == '\n') {
            y += LINE_H;
            put_text(out, MARGIN, y, "s", sum.data + start, i - start);
            start = i + 1;
        }
    mph__out_puts(out, "</g>\n");
    y += LINE_H * 0.5;
    if (!s->n_areas) {
        y += LINE_H;
        static const char none[] = "no map to draw: the dump has only the header's figures; call "
                                   "micropython.mem_info(1), with an argument, for the map";
        put_text(out, MARGIN, y, "s", none, sizeof none - 1);
    }
    // The legend, wrapped to the width.
    if (n_legend) {
        mph__out_puts(out, "<g class=\"legend\">\n");
        double x = MARGIN;
        for (size_t i = 0; i < n_legend; i++) {
            double iw = 18 + strlen(legend[i].text) * CHAR_W + 12;
            if (i == 0 || x + iw > width - MARGIN) {
                y += LINE_H;
                x = MARGIN;
            }
            if (legend[i].color != PIC_BLANK) {
                mph__out_printf(out,
                                "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"10\" fill=\"", x,
                                y - 9);
                put_fill(out, colors[legend[i].color]);
                mph__out_puts(out, "\" stroke=\"#000\" stroke-width=\"0.5\"/>");
                put_text(out, x + 16, y, "l", legend[i].text, strlen(legend[i].text));
                x += iw;
            } else {
                put_text(out, x, y, "l", legend[i].text, strlen(legend[i].text));
                x += iw - 18;
            }
        }
        mph__out_puts(out, "</g>\n");
    }
    y += LINE_H * 0.5;
    // Each area: its title, then its rows with the gutter; a rect per run of one
    // colour in a row, free runs as one background rect per area.
    gutter g = mph__gutter_of(s);
    for (size_t a = 0; a < s->n_areas && !out->status; a++) {
        char text[160];
        int n = area_title(text, sizeof text, s, a);
        y += LINE_H;
        put_text(out, MARGIN, y, "h", text, (size_t)n);
        y += LINE_H * 0.5;
        double x0 = MARGIN + GUTTER_W;
        size_t rows = mph__pic_rows(&w, a), cells_n = mph__pic_cells(&w, a);
        mph__out_printf(out,
                        "<g class=\"area\" data-area=\"%zu\" data-x=\"%.0f\" data-y=\"%.0f\" "
                        "data-cell-width=\"%d\" data-cell-height=\"%d\" "
                        "data-cells-per-row=\"%zu\" "
                        "data-blocks-per-cell=\"%llu\" data-blocks=\"%zu\">\n",
                        a + 1, x0, y, CELL_W, CELL_H, w.per_row, (unsigned long long)o->scale,
                        s->areas[a].n_blocks);
        // Free is the commonest colour: one rect under the whole area, and runs on
        // top.
        size_t full = cells_n / w.per_row, rest = cells_n % w.per_row;
        if (full) {
            mph__out_printf(out, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%zu\" height=\"%zu\" fill=\"",
                            x0, y, w.per_row * CELL_W, full * CELL_H);
            put_fill(out, colors[PIC_FREE]);
            mph__out_puts(out, "\"/>\n");
        }
        if (rest) {
            mph__out_printf(out, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%zu\" height=\"%d\" fill=\"",
                            x0, y + (double)full * CELL_H, rest * CELL_W, CELL_H);
            put_fill(out, colors[PIC_FREE]);
            mph__out_puts(out, "\"/>\n");
        }
        mph__pic_area(&w, a);
        for (size_t r = 0; r < rows; r++) {
            double ry = y + (double)r * CELL_H;
            size_t b0 = mph__pic_row(&w, cells);
            if (r % GUTTER_EVERY == 0) {
                char addr[40];
                int an = gutter_text(addr, sizeof addr, &g, s, a, b0);
                mph__out_printf(out, "<text x=\"%d\" y=\"%.0f\" class=\"g\" font-size=\"10\">",
                                MARGIN, ry + CELL_H + 1);
                mph__out_write(out, addr, (size_t)an);
                mph__out_puts(out, "</text>\n");
            }
            for (size_t i = 0; i < w.per_row;) {
                size_t j = i + 1;
                while (j < w.per_row && cells[j] == cells[i])
                    j++;
                if (cells[i] != PIC_FREE && cells[i] != PIC_BLANK) {
                    mph__out_printf(
                        out, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%zu\" height=\"%d\" fill=\"",
                        x0 + (double)i * CELL_W, ry, (j - i) * CELL_W, CELL_H);
                    put_fill(out, colors[cells[i]]);
                    mph__out_puts(out, "\"/>\n");
                }
                i = j;
            }
        }
        mph__out_puts(out, "</g>\n");
        y += (double)rows * CELL_H;
    }
    mph__out_puts(out, "</svg>\n");
    free(cells);
    free(sum.data);
    mph__pic_walk_fini(&w);
    return mph__out_close(out, err);
}
