/* The timeline as a chart (SVG or PNG): used, free and the largest free run
 * per snapshot on the left axis (bytes, or blocks when no row knows bytes),
 * fragmentation on the right axis (0-100%), with grid, tick labels and a
 * legend. The SVG is written directly; the PNG is drawn into memory (its
 * size is fixed, whatever the log) in mpheap's bitmap font and written
 * through libpng. */
#include "font.h"
#include "picture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Geometry in units of the text scale t. */
#define C_MARGIN 8
#define C_LINE MPH_FONT_LINE
#define C_ADV MPH_FONT_ADVANCE
#define C_PLOT_X (C_MARGIN + 11 * C_ADV) /* left tick labels: up to 10 characters and a blank */
#define C_PLOT_Y (C_MARGIN + C_LINE + 6 + C_LINE + 6 + 6)
#define C_PLOT_W 600
#define C_PLOT_H 240
#define C_WIDTH (C_PLOT_X + C_PLOT_W + 4 + 5 * C_ADV + C_MARGIN)
#define C_HEIGHT (C_PLOT_Y + C_PLOT_H + 4 + 2 * C_LINE + C_MARGIN)
#define C_MAX_SCALE 4 /* the PNG is held in memory: at most 2,864 x 1,304 pixels */

enum { SER_USED, SER_FREE, SER_LARGEST, SER_FRAG, SER_N };
static const char *const ser_name[SER_N] = {"used", "free", "largest free run",
                                            "fragmentation (right axis)"};

typedef struct chart {
    const mph_timeline *t;
    size_t n;
    bool bytes;   /* the left axis in bytes (else blocks) */
    double top;   /* the left axis' top value */
    mph_rgb color[SER_N];
    char title[96];
} chart;

/* A row's value of a series, false when the row does not know it. */
static bool value_of(const chart *c, size_t i, int which, double *v) {
    const mph_timeline_row *r = mph_timeline_row_at(c->t, i);
    const mph_stats *st = &r->stats;
    switch (which) {
    case SER_USED:
    case SER_FREE:
        if (c->bytes ? !r->has_bytes : !r->has_blocks)
            return false;
        *v = (double)(which == SER_USED ? (c->bytes ? r->used_bytes : st->used_blocks)
                                        : (c->bytes ? r->free_bytes : st->free_blocks));
        return true;
    case SER_LARGEST:
        if (!r->has_largest || (c->bytes && !st->block_size))
            return false;
        *v = (double)st->largest_free_blocks * (c->bytes ? st->block_size : 1);
        return true;
    default:
        *v = st->fragmentation;
        return r->has_fragmentation;
    }
}

static void chart_init(chart *c, const mph_timeline *t, const mph_picture_options *o) {
    memset(c, 0, sizeof *c);
    c->t = t;
    c->n = mph_timeline_row_count(t);
    for (size_t i = 0; i < c->n; i++)
        c->bytes |= mph_timeline_row_at(t, i)->has_bytes;
    // The top: the largest heap (used + free), so every series fits.
    for (size_t i = 0; i < c->n; i++) {
        double u = 0, f = 0, l = 0;
        bool ku = value_of(c, i, SER_USED, &u), kf = value_of(c, i, SER_FREE, &f);
        (void)value_of(c, i, SER_LARGEST, &l);
        double sum = (ku ? u : 0) + (kf ? f : 0);
        if (sum > c->top)
            c->top = sum;
        if (l > c->top)
            c->top = l;
    }
    if (c->top <= 0)
        c->top = 1;
    // Okabe and Ito's colours, told apart with every colour vision; greys for mono.
    static const mph_rgb safe[SER_N] = {{213, 94, 0}, {0, 114, 178}, {0, 158, 115}, {204, 121, 167}};
    static const mph_rgb grey[SER_N] = {{0, 0, 0}, {110, 110, 110}, {170, 170, 170}, {0, 0, 0}};
    memcpy(c->color, o->palette == MPH_PALETTE_MONO ? grey : safe, sizeof c->color);
    snprintf(c->title, sizeof c->title, "mpheap: heap timeline, %zu snapshot%s (%s)", c->n,
             c->n == 1 ? "" : "s", c->bytes ? "bytes" : "blocks");
}

/* x of row i and y of a value, in units of t (fractions allowed). */
static double x_of(const chart *c, size_t i) {
    return C_PLOT_X + (c->n == 1 ? C_PLOT_W / 2.0 : (double)C_PLOT_W * (double)i / (double)(c->n - 1));
}

static double y_of(const chart *c, int which, double v) {
    double f = which == SER_FRAG ? v : v / c->top;
    if (f < 0)
        f = 0;
    if (f > 1)
        f = 1;
    return C_PLOT_Y + C_PLOT_H * (1 - f);
}

static void left_label(const chart *c, int k, char buf[32]) {
    double v = c->top * k / 4;
    if (c->bytes)
        mph__fmt_size(buf, mph__count_of(v + 0.5));
    else
        mph__fmt_count(buf, mph__count_of(v + 0.5));
}

/* Label every step-th snapshot: 1, 2, 5, 10, 20, 50... so that labels do not meet. */
static size_t label_step(const chart *c) {
    int digits = 1;
    for (size_t v = c->n; v >= 10; v /= 10)
        digits++;
    double room = (double)(digits + 1) * C_ADV;
    static const size_t steps[] = {1, 2, 5};
    for (size_t scale = 1;; scale *= 10)
        for (int k = 0; k < 3; k++) {
            size_t step = steps[k] * scale;
            if (c->n <= 1 || (double)C_PLOT_W * (double)step / (double)(c->n - 1) >= room ||
                step >= c->n)
                return step;
        }
}

static mph_status check(const mph_timeline *t, const mph_picture_options *o, const mph_sink *sink,
                        mph_error *err) {
    if (!t || !o || !sink || o->pixels < 1 || o->pixels > 64 ||
        (unsigned)o->palette > MPH_PALETTE_MONO || mph_timeline_row_count(t) == 0) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0,
                       "no timeline, options or sink, pixels not 1 to 64, or the palette unknown");
        return MPH_ERR_ARG;
    }
    return MPH_OK;
}

static unsigned chart_scale(const mph_picture_options *o) {
    unsigned t = pic_text_scale(o->pixels);
    return t > C_MAX_SCALE ? C_MAX_SCALE : t;
}

/* ------------------------------------------------------------ SVG */

static void svg_color(mph_outbuf *out, mph_rgb c) {
    mph__out_printf(out, "#%02x%02x%02x", c.r, c.g, c.b);
}

mph_status mph_render_timeline_svg(const mph_timeline *t, const mph_picture_options *o,
                                   mph_sink *sink, mph_error *err) {
    mph_status rc = check(t, o, sink, err);
    if (rc)
        return rc;
    chart c;
    chart_init(&c, t, o);
    mph_outbuf *out = mph__out_new(sink, err);
    if (!out)
        return MPH_ERR_NOMEM;
    mph__out_printf(out,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                    "viewBox=\"0 0 %d %d\" font-family=\"monospace\" font-size=\"10\">\n"
                    "<title>",
                    C_WIDTH, C_HEIGHT, C_WIDTH, C_HEIGHT);
    mph__svg_escaped(out, c.title, strlen(c.title));
    mph__out_printf(out,
                    "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n"
                    "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">",
                    C_WIDTH, C_HEIGHT, C_MARGIN, C_MARGIN + 10);
    mph__svg_escaped(out, c.title, strlen(c.title));
    mph__out_puts(out, "</text>\n<g class=\"legend\">\n");
    int lx = C_MARGIN, ly = C_MARGIN + C_LINE + 6;
    for (int s = 0; s < SER_N; s++) {
        mph__out_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"9\" height=\"9\" fill=\"", lx,
                        ly + 1);
        svg_color(out, c.color[s]);
        mph__out_printf(out, "\" data-series=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n",
                        ser_name[s], lx + 13, ly + 9, ser_name[s]);
        lx += 13 + (int)strlen(ser_name[s]) * C_ADV + 12;
    }
    mph__out_puts(out, "</g>\n<g class=\"axes\">\n");
    // Grid and tick labels: five lines, left in the axis' unit, right in percent.
    for (int k = 0; k <= 4; k++) {
        double y = C_PLOT_Y + C_PLOT_H * (4 - k) / 4.0;
        char lab[32];
        left_label(&c, k, lab);
        mph__out_printf(out,
                        "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>"
                        "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>"
                        "<text x=\"%d\" y=\"%.1f\">%d%%</text>\n",
                        C_PLOT_X, y, C_PLOT_X + C_PLOT_W, y, k ? "#dddddd" : "#000000",
                        C_PLOT_X - 4, y + 3.5, lab, C_PLOT_X + C_PLOT_W + 4, y + 3.5, 25 * k);
    }
    mph__out_printf(out,
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000000\"/>"
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000000\"/>\n",
                    C_PLOT_X, C_PLOT_Y, C_PLOT_X, C_PLOT_Y + C_PLOT_H, C_PLOT_X + C_PLOT_W,
                    C_PLOT_Y, C_PLOT_X + C_PLOT_W, C_PLOT_Y + C_PLOT_H);
    size_t step = label_step(&c);
    for (size_t i = 0; i < c.n; i += step) {
        double x = x_of(&c, i);
        mph__out_printf(out,
                        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#000000\"/>"
                        "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%zu</text>\n",
                        x, C_PLOT_Y + C_PLOT_H, x, C_PLOT_Y + C_PLOT_H + 3, x,
                        C_PLOT_Y + C_PLOT_H + 4 + 10, i + 1);
    }
    mph__out_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">snapshot</text>\n",
                    C_PLOT_X + C_PLOT_W / 2, C_PLOT_Y + C_PLOT_H + 4 + C_LINE + 10);
    mph__out_puts(out, "</g>\n");
    // Each series: a polyline per stretch of known values, a marker per value
    // with its snapshot's label and value as a tooltip.
    for (int s = 0; s < SER_N; s++) {
        mph__out_printf(out, "<g class=\"series\" data-series=\"%s\" stroke=\"", ser_name[s]);
        svg_color(out, c.color[s]);
        mph__out_printf(out, "\" fill=\"none\" stroke-width=\"1.5\"%s>\n",
                        s == SER_FRAG ? " stroke-dasharray=\"5 3\"" : "");
        bool open = false;
        for (size_t i = 0; i <= c.n; i++) {
            double v;
            bool known = i < c.n && value_of(&c, i, s, &v);
            if (known) {
                mph__out_printf(out, "%s%.1f,%.1f", open ? " " : "<polyline points=\"",
                                x_of(&c, i), y_of(&c, s, v));
                open = true;
            } else if (open) {
                mph__out_puts(out, "\"/>\n");
                open = false;
            }
        }
        for (size_t i = 0; i < c.n; i++) {
            double v;
            if (!value_of(&c, i, s, &v))
                continue;
            char val[48];
            if (s == SER_FRAG)
                snprintf(val, sizeof val, "%.1f%%", 100 * v);
            else
                mph__fmt_blocks(val, mph__count_of(v + 0.5), c.bytes ? 1 : 0);
            mph__out_printf(out,
                            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" data-row=\"%zu\" "
                            "data-value=\"%.17g\"><title>",
                            x_of(&c, i), y_of(&c, s, v), i + 1, v);
            const char *label = mph_timeline_row_at(t, i)->label;
            mph__out_printf(out, "%zu ", i + 1);
            if (label)
                mph__svg_escaped(out, label, strlen(label));
            mph__out_printf(out, ": %s %s</title></circle>\n", ser_name[s], val);
        }
        mph__out_puts(out, "</g>\n");
    }
    mph__out_puts(out, "</svg>\n");
    return mph__out_close(out, err);
}

/* ------------------------------------------------------------ PNG */

typedef struct canvas {
    unsigned char *px;
    long w, h;
    unsigned t;
} canvas;

static void rect(canvas *cv, long x, long y, long w, long h, mph_rgb c) {
    if (x < 0) {
        w += x;
        x = 0;
    }
    if (y < 0) {
        h += y;
        y = 0;
    }
    if (x + w > cv->w)
        w = cv->w - x;
    if (y + h > cv->h)
        h = cv->h - y;
    for (long r = 0; r < h; r++)
        if (w > 0)
            mph__raster_fill(cv->px + ((size_t)(y + r) * (size_t)cv->w) * 3, (uint64_t)x,
                             (uint64_t)w, c);
}

/* Text with its line box's top-left at (x, y) pixels. */
static void text(canvas *cv, long x, long y, const char *s, mph_rgb c) {
    for (unsigned k = 0; k < C_LINE * cv->t; k++)
        if (y + (long)k >= 0 && y + (long)k < cv->h && x >= 0)
            mph__raster_text(cv->px + (size_t)(y + (long)k) * (size_t)cv->w * 3,
                             (uint64_t)cv->w, (uint64_t)x, s, strlen(s), cv->t, k, c);
}

/* A line t pixels thick from (x0, y0) to (x1, y1) (pixels); dashed: 4t on, 3t off. */
static void line(canvas *cv, double x0, double y0, double x1, double y1, mph_rgb c, bool dashed) {
    double dx = x1 - x0, dy = y1 - y0;
    double len = fabs(dx) > fabs(dy) ? fabs(dx) : fabs(dy);
    long steps = (long)ceil(len);
    long half = (long)cv->t / 2;
    for (long i = 0; i <= steps; i++) {
        if (dashed && (i / (long)cv->t) % 7 >= 4)
            continue;
        double f = steps ? (double)i / (double)steps : 0;
        long x = lround(x0 + dx * f), y = lround(y0 + dy * f);
        rect(cv, x - half, y - half, cv->t, cv->t, c);
    }
}

mph_status mph_render_timeline_png(const mph_timeline *t, const mph_picture_options *o,
                                   mph_sink *sink, mph_error *err) {
    mph_status rc = check(t, o, sink, err);
    if (rc)
        return rc;
    chart c;
    chart_init(&c, t, o);
    canvas cv = {NULL, (long)C_WIDTH * chart_scale(o), (long)C_HEIGHT * chart_scale(o),
                 chart_scale(o)};
    const long u = cv.t;
    cv.px = malloc((size_t)cv.w * (size_t)cv.h * 3);
    if (!cv.px) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    const mph_rgb white = {255, 255, 255}, ink = {0, 0, 0}, grid = {221, 221, 221};
    rect(&cv, 0, 0, cv.w, cv.h, white);
    text(&cv, C_MARGIN * u, C_MARGIN * u, c.title, ink);
    long lx = C_MARGIN * u, ly = (C_MARGIN + C_LINE + 6) * u;
    for (int s = 0; s < SER_N; s++) {
        rect(&cv, lx, ly + u, 9 * u, 9 * u, ink);
        rect(&cv, lx + 1, ly + u + 1, 9 * u - 2, 9 * u - 2, c.color[s]);
        text(&cv, lx + 13 * u, ly, ser_name[s], ink);
        lx += (13 + (long)strlen(ser_name[s]) * C_ADV + 12) * u;
    }
    for (int k = 0; k <= 4; k++) {
        long y = lround((C_PLOT_Y + C_PLOT_H * (4 - k) / 4.0) * (double)u);
        rect(&cv, C_PLOT_X * u, y, C_PLOT_W * u, u, k ? grid : ink);
        char lab[32];
        left_label(&c, k, lab);
        long half_line = C_LINE * u / 2;
        text(&cv, (C_PLOT_X - 2) * u - (long)strlen(lab) * C_ADV * u, y - half_line, lab, ink);
        snprintf(lab, sizeof lab, "%d%%", 25 * k);
        text(&cv, (C_PLOT_X + C_PLOT_W + 4) * u, y - half_line, lab, ink);
    }
    rect(&cv, C_PLOT_X * u, C_PLOT_Y * u, u, C_PLOT_H * u, ink);
    rect(&cv, (C_PLOT_X + C_PLOT_W) * u, C_PLOT_Y * u, u, C_PLOT_H * u, ink);
    size_t step = label_step(&c);
    for (size_t i = 0; i < c.n; i += step) {
        long x = lround(x_of(&c, i) * (double)u);
        rect(&cv, x, (C_PLOT_Y + C_PLOT_H) * u, u, 3 * u, ink);
        char lab[24];
        snprintf(lab, sizeof lab, "%zu", i + 1);
        text(&cv, x - (long)strlen(lab) * C_ADV * u / 2, (C_PLOT_Y + C_PLOT_H + 4) * u, lab, ink);
    }
    text(&cv, (C_PLOT_X + C_PLOT_W / 2 - 4 * C_ADV) * u, (C_PLOT_Y + C_PLOT_H + 4 + C_LINE) * u,
         "snapshot", ink);
    for (int s = 0; s < SER_N; s++) {
        double px = 0, py = 0;
        bool have = false;
        for (size_t i = 0; i < c.n; i++) {
            double v;
            if (!value_of(&c, i, s, &v)) {
                have = false;
                continue;
            }
            double x = x_of(&c, i) * (double)u, y = y_of(&c, s, v) * (double)u;
            if (have)
                line(&cv, px, py, x, y, c.color[s], s == SER_FRAG);
            rect(&cv, lround(x) - 2 * u, lround(y) - 2 * u, 4 * u + 1, 4 * u + 1, c.color[s]);
            px = x;
            py = y;
            have = true;
        }
    }
    pic_png png;
    rc = mph__png_open(&png, sink, (uint32_t)cv.w, (uint32_t)cv.h, err);
    bool ok = rc == MPH_OK;
    for (long y = 0; y < cv.h && ok; y++)
        ok = mph__png_row(&png, cv.px + (size_t)y * (size_t)cv.w * 3);
    mph_status rc2 = mph__png_close(&png, ok, rc ? NULL : err);
    free(cv.px);
    return rc ? rc : rc2;
}

void mph_picture_timeline_png_size(const mph_timeline *t, const mph_picture_options *o,
                                   uint64_t *width, uint64_t *height) {
    mph_sink none = {NULL, NULL};
    bool ok = check(t, o, &none, NULL) == MPH_OK;
    *width = ok ? (uint64_t)C_WIDTH * chart_scale(o) : 0;
    *height = ok ? (uint64_t)C_HEIGHT * chart_scale(o) : 0;
}
