/* Pictures as SVG documents, written directly: a title, the summary lines,
 * the legend, and per section (an area, or a diff's area pair) its title, an
 * address gutter and the map as one rect per run of one colour in a row.
 * Every text from the input is XML-escaped. */
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
void mph__svg_escaped(mph_outbuf *out, const char *s, size_t n) {
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
    mph__svg_escaped(out, s, n);
    mph__out_puts(out, "</text>\n");
}

static void put_fill(mph_outbuf *out, mph_rgb c) {
    mph__out_printf(out, "#%02x%02x%02x", c.r, c.g, c.b);
}

mph_status mph__doc_svg(const pic_doc *d, mph_sink *sink, mph_error *err) {
    unsigned char *cells = malloc(d->per_row);
    mph_outbuf *out = cells ? mph__out_new(sink, err) : NULL;
    if (!out) {
        free(cells);
        if (!cells)
            mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    const mph_rgb *colors = d->colors;
    // The size: the widest text or map, and every line and row.
    size_t n_lines = 0, widest = strlen(d->title);
    for (size_t i = 0, start = 0; i < d->summary_len; i++)
        if (d->summary[i] == '\n') {
            n_lines++;
            if (i - start > widest)
                widest = i - start;
            start = i + 1;
        }
    double map_w = GUTTER_W + (double)d->per_row * CELL_W;
    double width = MARGIN * 2 + (map_w > widest * CHAR_W ? map_w : widest * CHAR_W);
    size_t legend_lines = 0;
    {
        double x = 0;
        for (size_t i = 0; i < d->n_legend; i++) {
            double iw = 18 + strlen(d->legend[i].text) * CHAR_W + 12;
            if (i == 0 || x + iw > width - 2 * MARGIN) {
                legend_lines++;
                x = 0;
            }
            x += iw;
        }
    }
    double height = MARGIN + LINE_H * (1.5 + (double)n_lines + 0.5 + (double)legend_lines + 0.5);
    size_t map_rows = 0;
    for (size_t a = 0; a < d->n_sections; a++)
        map_rows += mph__doc_rows(d, a);
    if (d->n_sections)
        height += (double)d->n_sections * LINE_H * 1.5 + (double)map_rows * CELL_H;
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
    mph__svg_escaped(out, d->title, strlen(d->title));
    mph__out_puts(out, "</title>\n<style>.h{font-weight:bold}.g{fill:#555}</style>\n");
    mph__out_printf(out, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", width,
                    height);
    double y = MARGIN + LINE_H;
    put_text(out, MARGIN, y, "h", d->title, strlen(d->title));
    y += LINE_H * 0.5;
    mph__out_puts(out, "<g class=\"summary\">\n");
    for (size_t i = 0, start = 0; i < d->summary_len; i++)
        if (d->summary[i] == '\n') {
            y += LINE_H;
            put_text(out, MARGIN, y, "s", d->summary + start, i - start);
            start = i + 1;
        }
    mph__out_puts(out, "</g>\n");
    y += LINE_H * 0.5;
    if (d->note) {
        y += LINE_H;
        put_text(out, MARGIN, y, "s", d->note, strlen(d->note));
    }
    // The legend, wrapped to the width.
    if (d->n_legend) {
        mph__out_puts(out, "<g class=\"legend\">\n");
        double x = MARGIN;
        for (size_t i = 0; i < d->n_legend; i++) {
            const pic_legend_item *it = &d->legend[i];
            double iw = 18 + strlen(it->text) * CHAR_W + 12;
            if (i == 0 || x + iw > width - MARGIN) {
                y += LINE_H;
                x = MARGIN;
            }
            if (it->color != d->blank) {
                mph__out_printf(out,
                                "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"10\" fill=\"", x,
                                y - 9);
                put_fill(out, colors[it->color]);
                mph__out_puts(out, "\" stroke=\"#000\" stroke-width=\"0.5\"/>");
                put_text(out, x + 16, y, "l", it->text, strlen(it->text));
                x += iw;
            } else {
                put_text(out, x, y, "l", it->text, strlen(it->text));
                x += iw - 18;
            }
        }
        mph__out_puts(out, "</g>\n");
    }
    y += LINE_H * 0.5;
    // Each section: its title, then its rows with the gutter; a rect per run of one
    // colour in a row, the background as one rect under the section.
    for (size_t a = 0; a < d->n_sections && !out->status; a++) {
        char text[256];
        int n = d->section_title(d->ctx, a, text, sizeof text);
        y += LINE_H;
        put_text(out, MARGIN, y, "h", text, (size_t)n);
        y += LINE_H * 0.5;
        double x0 = MARGIN + GUTTER_W;
        size_t rows = mph__doc_rows(d, a), cells_n = d->section_cells(d->ctx, a);
        mph__out_printf(out,
                        "<g class=\"area\" data-area=\"%zu\" data-x=\"%.0f\" data-y=\"%.0f\" "
                        "data-cell-width=\"%d\" data-cell-height=\"%d\" "
                        "data-cells-per-row=\"%zu\" "
                        "data-blocks-per-cell=\"%llu\" data-blocks=\"%llu\">\n",
                        a + 1, x0, y, CELL_W, CELL_H, d->per_row, (unsigned long long)d->scale,
                        (unsigned long long)d->section_blocks(d->ctx, a));
        // The background is the commonest colour: one rect under the whole
        // section, and runs on top.
        size_t full = cells_n / d->per_row, rest = cells_n % d->per_row;
        if (full) {
            mph__out_printf(out, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%zu\" height=\"%zu\" fill=\"",
                            x0, y, d->per_row * CELL_W, full * CELL_H);
            put_fill(out, colors[d->background]);
            mph__out_puts(out, "\"/>\n");
        }
        if (rest) {
            mph__out_printf(out, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%zu\" height=\"%d\" fill=\"",
                            x0, y + (double)full * CELL_H, rest * CELL_W, CELL_H);
            put_fill(out, colors[d->background]);
            mph__out_puts(out, "\"/>\n");
        }
        d->section_start(d->ctx, a);
        for (size_t r = 0; r < rows; r++) {
            double ry = y + (double)r * CELL_H;
            char addr[48];
            int an = d->row(d->ctx, cells, addr, sizeof addr);
            if (r % GUTTER_EVERY == 0) {
                mph__out_printf(out, "<text x=\"%d\" y=\"%.0f\" class=\"g\" font-size=\"10\">",
                                MARGIN, ry + CELL_H + 1);
                mph__out_write(out, addr, (size_t)an);
                mph__out_puts(out, "</text>\n");
            }
            for (size_t i = 0; i < d->per_row;) {
                size_t j = i + 1;
                while (j < d->per_row && cells[j] == cells[i])
                    j++;
                if (cells[i] != d->background && cells[i] != d->blank) {
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
    return mph__out_close(out, err);
}

mph_status mph_render_svg(const mph_snapshot *s, const mph_picture_options *o, mph_sink *sink,
                          mph_error *err) {
    mph_status rc = mph__pic_check(s, o, sink, err);
    if (rc)
        return rc;
    pic_map_doc m;
    rc = mph__map_doc_init(&m, s, o, err);
    if (!rc)
        rc = mph__doc_svg(&m.doc, sink, err);
    mph__map_doc_fini(&m);
    return rc;
}
