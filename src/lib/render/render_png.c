/* Pictures as PNG, through libpng, with text in our own bitmap font
 * (font.c): a title, the summary lines, the legend, and per section (an
 * area, or a diff's area pair) its title, an address gutter and the map, one
 * cell per `pixels` x `pixels` square. Written a row at a time: no image is
 * held in memory, whatever the heap. */
#include "font.h"
#include "picture.h"

#if MPH_HAVE_PNG
#include <png.h>
#include <setjmp.h>
#endif
#include <stdlib.h>
#include <string.h>

/* Layout, in units of the text scale t (pic_text_scale). */
#define MARGIN 8     /* around everything */
#define GAP 6        /* between the header's parts, and after a section */
#define SWATCH 9     /* a legend swatch's side */
#define SWATCH_GAP 4 /* between a swatch and its text */
#define ITEM_GAP 12  /* between legend entries */

/* ------------------------------------------------------------ libpng */

#if MPH_HAVE_PNG

static void write_fn(png_structp png, png_bytep data, png_size_t len) {
    pic_png *p = png_get_io_ptr(png);
    mph_status st = p->sink->write(p->sink->ctx, (const char *)data, len);
    if (st) {
        p->sink_status = st;
        png_error(png, "the sink failed");
    }
}

static void flush_fn(png_structp png) {
    (void)png;
}

static void error_fn(png_structp png, png_const_charp msg) {
    (void)msg;
    png_longjmp(png, 1);
}

static void warning_fn(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

/* Each call below sets its own jump target: libpng's errors come back to the
 * call that made them, as a status. */
mph_status mph__png_open(pic_png *p, mph_sink *sink, uint32_t w, uint32_t h, mph_error *err) {
    memset(p, 0, sizeof *p);
    p->sink = sink;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, error_fn, warning_fn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    p->png = png;
    p->info = info;
    if (!info) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    if (setjmp(png_jmpbuf(png))) {
        mph_status rc = p->sink_status ? p->sink_status : MPH_ERR_NOMEM;
        mph__error_set(err, rc, 0, 0, p->sink_status ? "writing the PNG failed" : "libpng failed");
        return rc;
    }
    png_set_write_fn(png, p, write_fn, flush_fn);
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    return MPH_OK;
}

bool mph__png_row(pic_png *p, const unsigned char *row) {
    png_structp png = p->png;
    if (setjmp(png_jmpbuf(png)))
        return false;
    png_write_row(png, row);
    return true;
}

static bool png_end(png_structp png, png_infop info) {
    if (setjmp(png_jmpbuf(png)))
        return false;
    png_write_end(png, info);
    return true;
}

mph_status mph__png_close(pic_png *p, bool ok, mph_error *err) {
    png_structp png = p->png;
    png_infop info = p->info;
    mph_status rc = MPH_OK;
    if (ok && png && info)
        ok = png_end(png, info);
    if (!ok && png) {
        rc = p->sink_status ? p->sink_status : MPH_ERR_NOMEM;
        mph__error_set(err, rc, 0, 0, p->sink_status ? "writing the PNG failed" : "libpng failed");
    }
    png_destroy_write_struct(&png, info ? &info : NULL);
    p->png = p->info = NULL;
    return rc;
}

#else /* a build without libpng (MPH_HAVE_PNG 0): every PNG fails with a reason */

mph_status mph__png_open(pic_png *p, mph_sink *sink, uint32_t w, uint32_t h, mph_error *err) {
    (void)w;
    (void)h;
    memset(p, 0, sizeof *p);
    p->sink = sink;
    mph__error_set(err, MPH_ERR_ARG, 0, 0, "this build has no PNG (made without libpng)");
    return MPH_ERR_ARG;
}

bool mph__png_row(pic_png *p, const unsigned char *row) {
    (void)p;
    (void)row;
    return false;
}

mph_status mph__png_close(pic_png *p, bool ok, mph_error *err) {
    (void)p;
    if (ok)
        return MPH_OK;
    mph__error_set(err, MPH_ERR_ARG, 0, 0, "this build has no PNG (made without libpng)");
    return MPH_ERR_ARG;
}

#endif

/* ------------------------------------------------------------ drawing */

void mph__raster_fill(unsigned char *row, uint64_t x, uint64_t n, mph_rgb c) {
    unsigned char *p = row + x * 3;
    for (uint64_t i = 0; i < n; i++) {
        *p++ = c.r;
        *p++ = c.g;
        *p++ = c.b;
    }
}

void mph__raster_text(unsigned char *row, uint64_t width, uint64_t x, const char *s, size_t n,
                      unsigned t, unsigned k, mph_rgb c) {
    if (k < MPH_FONT_TOP * t)
        return;
    unsigned gr = (k - MPH_FONT_TOP * t) / t; // the glyph's row
    if (gr >= MPH_FONT_H)
        return;
    for (size_t i = 0; i < n; i++, x += (uint64_t)MPH_FONT_ADVANCE * t) {
        if (x >= width)
            return;
        unsigned bits = mph__font_row((unsigned char)s[i], gr);
        for (unsigned col = 0; bits && col < MPH_FONT_W; col++)
            if (bits & (1u << (MPH_FONT_W - 1 - col))) {
                uint64_t px = x + (uint64_t)col * t;
                uint64_t w = px + t <= width ? t : (px < width ? width - px : 0);
                mph__raster_fill(row, px, w, c);
            }
    }
}

/* ------------------------------------------------------------ documents */

static const mph_rgb white = {255, 255, 255}, ink = {0, 0, 0}, grey = {85, 85, 85};

static uint64_t item_width(const pic_doc *d, size_t i, unsigned t) {
    uint64_t w = (uint64_t)strlen(d->legend[i].text) * MPH_FONT_ADVANCE + ITEM_GAP;
    if (d->legend[i].color != d->blank)
        w += SWATCH + SWATCH_GAP;
    return w * t;
}

void mph__doc_png_layout(const pic_doc *d, pic_png_layout *l) {
    memset(l, 0, sizeof *l);
    unsigned t = l->t = pic_text_scale(d->pixels);
    const uint64_t adv = (uint64_t)MPH_FONT_ADVANCE * t, line = (uint64_t)MPH_FONT_LINE * t;
    size_t widest = strlen(d->title), gchars = d->n_sections ? d->gutter_chars : 0;
    for (size_t i = 0, start = 0; i < d->summary_len; i++)
        if (d->summary[i] == '\n') {
            l->summary_lines++;
            if (i - start > widest)
                widest = i - start;
            start = i + 1;
        }
    if (d->note && strlen(d->note) > widest)
        widest = strlen(d->note);
    for (size_t a = 0; a < d->n_sections; a++) {
        char text[256];
        size_t n = (size_t)d->section_title(d->ctx, a, text, sizeof text);
        if (n > widest)
            widest = n;
    }
    uint64_t gutter_w = gchars ? (gchars + 1) * adv : 0;
    uint64_t map_w = gutter_w + (uint64_t)d->per_row * d->pixels;
    uint64_t text_w = widest * adv;
    l->width = 2 * (uint64_t)MARGIN * t + (map_w > text_w ? map_w : text_w);
    l->map_x = (uint64_t)MARGIN * t + gutter_w;
    // The legend wraps to the width.
    uint64_t x = 0, room = l->width - 2 * (uint64_t)MARGIN * t;
    for (size_t i = 0; i < d->n_legend; i++) {
        uint64_t iw = item_width(d, i, t);
        if (i == 0 || x + iw > room) {
            l->legend_lines++;
            x = 0;
        }
        x += iw;
    }
    // Gutter text where a whole line fits in the rows it labels.
    l->label_every = (line + d->pixels - 1) / d->pixels;
    uint64_t y = (uint64_t)MARGIN * t + line + (uint64_t)GAP * t + l->summary_lines * line +
                 (d->note ? line : 0) + (uint64_t)GAP * t + l->legend_lines * line +
                 (uint64_t)GAP * t;
    l->first_y = y + line; // after section 0's title
    for (size_t a = 0; a < d->n_sections; a++)
        y += line + (uint64_t)mph__doc_rows(d, a) * d->pixels + (uint64_t)GAP * t;
    l->height = y + (uint64_t)MARGIN * t;
}

uint64_t mph__doc_png_section_y(const pic_doc *d, const pic_png_layout *l, size_t i) {
    uint64_t y = l->first_y;
    for (size_t a = 0; a < i && a < d->n_sections; a++)
        y += (uint64_t)mph__doc_rows(d, a) * d->pixels + (uint64_t)GAP * l->t +
             (uint64_t)MPH_FONT_LINE * l->t;
    return y;
}

typedef struct writer {
    pic_png png;
    unsigned char *px; /* one row */
    uint64_t width;
    unsigned t;
    bool ok;
} writer;

static void blank_rows(writer *w, uint64_t n) {
    mph__raster_fill(w->px, 0, w->width, white);
    for (uint64_t i = 0; i < n && w->ok; i++)
        w->ok = mph__png_row(&w->png, w->px);
}

/* A line of text from the left margin. */
static void text_line(writer *w, const char *s, size_t n, mph_rgb c) {
    unsigned t = w->t;
    for (unsigned k = 0; k < MPH_FONT_LINE * t && w->ok; k++) {
        mph__raster_fill(w->px, 0, w->width, white);
        mph__raster_text(w->px, w->width, (uint64_t)MARGIN * t, s, n, t, k, c);
        w->ok = mph__png_row(&w->png, w->px);
    }
}

/* Legend entries [from, to) as one line. */
static void legend_line(writer *w, const pic_doc *d, size_t from, size_t to) {
    unsigned t = w->t;
    for (unsigned k = 0; k < MPH_FONT_LINE * t && w->ok; k++) {
        mph__raster_fill(w->px, 0, w->width, white);
        uint64_t x = (uint64_t)MARGIN * t;
        for (size_t i = from; i < to; i++) {
            const pic_legend_item *it = &d->legend[i];
            uint64_t tx = x;
            if (it->color != d->blank) {
                // A swatch with a black edge, on the glyphs' rows.
                unsigned top = MPH_FONT_TOP * t, bottom = top + SWATCH * t;
                if (k >= top && k < bottom) {
                    bool edge = k == top || k == bottom - 1;
                    mph__raster_fill(w->px, x, (uint64_t)SWATCH * t, ink);
                    if (!edge)
                        mph__raster_fill(w->px, x + 1, (uint64_t)SWATCH * t - 2,
                                         d->colors[it->color]);
                }
                tx += (uint64_t)(SWATCH + SWATCH_GAP) * t;
            }
            mph__raster_text(w->px, w->width, tx, it->text, strlen(it->text), t, k, ink);
            x += item_width(d, i, t);
        }
        w->ok = mph__png_row(&w->png, w->px);
    }
}

mph_status mph__doc_png(const pic_doc *d, mph_sink *sink, mph_error *err) {
    pic_png_layout l;
    mph__doc_png_layout(d, &l);
    if (l.width > PIC_PNG_MAX_SIDE || l.height > PIC_PNG_MAX_SIDE) {
        mph__error_set(err, MPH_ERR_LIMIT, 0, 0,
                       "the picture would be %llu x %llu pixels, more than %u a side: "
                       "give fewer pixels or a larger scale",
                       (unsigned long long)l.width, (unsigned long long)l.height,
                       PIC_PNG_MAX_SIDE);
        return MPH_ERR_LIMIT;
    }
    writer w = {{0}, NULL, l.width, l.t, true};
    unsigned char *cells = malloc(d->per_row);
    w.px = malloc((size_t)l.width * 3);
    if (!cells || !w.px) {
        free(cells);
        free(w.px);
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    mph_status rc = mph__png_open(&w.png, sink, (uint32_t)l.width, (uint32_t)l.height, err);
    if (rc) {
        (void)mph__png_close(&w.png, false, NULL);
        free(cells);
        free(w.px);
        return rc;
    }
    const unsigned t = l.t;
    const uint64_t line = (uint64_t)MPH_FONT_LINE * t;
    blank_rows(&w, (uint64_t)MARGIN * t);
    text_line(&w, d->title, strlen(d->title), ink);
    blank_rows(&w, (uint64_t)GAP * t);
    for (size_t i = 0, start = 0; i < d->summary_len; i++)
        if (d->summary[i] == '\n') {
            text_line(&w, d->summary + start, i - start, ink);
            start = i + 1;
        }
    if (d->note)
        text_line(&w, d->note, strlen(d->note), ink);
    blank_rows(&w, (uint64_t)GAP * t);
    {
        uint64_t x = 0, room = l.width - 2 * (uint64_t)MARGIN * t;
        size_t from = 0;
        for (size_t i = 0; i < d->n_legend; i++) {
            uint64_t iw = item_width(d, i, t);
            if (i > 0 && x + iw > room) {
                legend_line(&w, d, from, i);
                from = i;
                x = 0;
            }
            x += iw;
        }
        if (d->n_legend)
            legend_line(&w, d, from, d->n_legend);
    }
    blank_rows(&w, (uint64_t)GAP * t);
    // Each section: its title, then its rows, the gutter's text on every
    // label_every-th row where the whole line fits before the next section.
    for (size_t a = 0; a < d->n_sections && w.ok; a++) {
        char title[256];
        int n = d->section_title(d->ctx, a, title, sizeof title);
        text_line(&w, title, (size_t)n, ink);
        size_t rows = mph__doc_rows(d, a);
        uint64_t area_h = (uint64_t)rows * d->pixels + (uint64_t)GAP * t;
        char label[48];
        int label_n = 0;
        d->section_start(d->ctx, a);
        for (size_t r = 0; r < rows && w.ok; r++) {
            char g[48];
            int gn = d->row(d->ctx, cells, g, sizeof g);
            uint64_t lr = r - r % l.label_every; // the row the text beside this one labels
            bool labelled = lr * d->pixels + (uint64_t)(MPH_FONT_TOP + MPH_FONT_H) * t <= area_h;
            if (r == lr) {
                memcpy(label, g, (size_t)gn);
                label_n = gn;
            }
            // The row's pixels: gutter, then the cells, each pixels wide.
            mph__raster_fill(w.px, 0, w.width, white);
            unsigned char *p = w.px + l.map_x * 3;
            for (size_t i = 0; i < d->per_row; i++) {
                mph_rgb c = d->colors[cells[i]];
                for (unsigned k = 0; k < d->pixels; k++) {
                    *p++ = c.r;
                    *p++ = c.g;
                    *p++ = c.b;
                }
            }
            for (unsigned k = 0; k < d->pixels && w.ok; k++) {
                if (labelled) {
                    uint64_t kk = (r - lr) * d->pixels + k;
                    mph__raster_fill(w.px, 0, l.map_x, white);
                    if (kk < line)
                        mph__raster_text(w.px, l.map_x, (uint64_t)MARGIN * t, label,
                                         (size_t)label_n, t, (unsigned)kk, grey);
                }
                w.ok = mph__png_row(&w.png, w.px);
            }
        }
        // The gap after the section, with the end of a label that reaches into it.
        uint64_t lr = rows ? (rows - 1) - (rows - 1) % l.label_every : 0;
        bool labelled = rows && lr * d->pixels + (uint64_t)(MPH_FONT_TOP + MPH_FONT_H) * t <= area_h;
        for (uint64_t k = 0; k < (uint64_t)GAP * t && w.ok; k++) {
            mph__raster_fill(w.px, 0, w.width, white);
            uint64_t kk = ((uint64_t)rows - lr) * d->pixels + k;
            if (labelled && kk < line)
                mph__raster_text(w.px, l.map_x, (uint64_t)MARGIN * t, label, (size_t)label_n, t,
                                 (unsigned)kk, grey);
            w.ok = mph__png_row(&w.png, w.px);
        }
    }
    blank_rows(&w, (uint64_t)MARGIN * t);
    rc = mph__png_close(&w.png, w.ok, err);
    free(cells);
    free(w.px);
    return rc;
}

/* ------------------------------------------------------------ the map */

static bool map_options_ok(const mph_snapshot *s, const mph_picture_options *o) {
    return s && o && s->n_areas && o->columns >= 1 && o->columns <= 64 && o->scale >= 1 &&
           o->pixels >= 1 && (unsigned)o->palette <= MPH_PALETTE_MONO;
}

void mph_picture_png_size(const mph_snapshot *s, const mph_picture_options *o, uint64_t *width,
                          uint64_t *height) {
    *width = *height = 0;
    if (!map_options_ok(s, o))
        return;
    pic_map_doc m;
    if (mph__map_doc_init(&m, s, o, NULL) == MPH_OK) {
        pic_png_layout l;
        mph__doc_png_layout(&m.doc, &l);
        *width = l.width;
        *height = l.height;
    }
    mph__map_doc_fini(&m);
}

bool mph_picture_png_cell_origin(const mph_snapshot *s, const mph_picture_options *o, size_t area,
                                 uint64_t *x, uint64_t *y) {
    if (!map_options_ok(s, o) || area >= s->n_areas)
        return false;
    pic_map_doc m;
    bool ok = mph__map_doc_init(&m, s, o, NULL) == MPH_OK;
    if (ok) {
        pic_png_layout l;
        mph__doc_png_layout(&m.doc, &l);
        *x = l.map_x;
        *y = mph__doc_png_section_y(&m.doc, &l, area);
    }
    mph__map_doc_fini(&m);
    return ok;
}

mph_status mph_render_png(const mph_snapshot *s, const mph_picture_options *o, mph_sink *sink,
                          mph_error *err) {
    mph_status rc = mph__pic_check(s, o, sink, err);
    if (rc)
        return rc;
    if (!s->n_areas) {
        mph__error_set(err, MPH_ERR_NOT_FOUND, s->first_line, 0,
                       "no map to draw: the dump has only the header's figures; call "
                       "micropython.mem_info(1), with an argument, for the map");
        return MPH_ERR_NOT_FOUND;
    }
    pic_map_doc m;
    rc = mph__map_doc_init(&m, s, o, err);
    if (!rc)
        rc = mph__doc_png(&m.doc, sink, err);
    mph__map_doc_fini(&m);
    return rc;
}
