/* ANSI colour escapes, shared by the terminal renderers (render_ansi.c,
 * render_ansi_diff.c). A style's escape is built once; it is written only
 * when the style in force changes. The 16 ANSI colours are written as they
 * are; exact colours as 256-colour or 24-bit escapes, or as their stand-ins
 * among the 16 (mph_color_depth). */
#include "../internal.h"

#include <stdio.h>
#include <stdlib.h>

static int key(mph_color c) { return c.xterm256 ? c.xterm256 : c.ansi & 15; }

/* Styles that print the same escape share a code, so that a run of them
 * gets one escape. */
static int encode(mph_style s) {
    if (s.plain)
        return -1;
    return key(s.fg) | key(s.bg) << 8 | (s.default_bg ? 1 << 16 : 0);
}

/* One colour's parameters at *w: base 30 (foreground) or 40 (background). */
static int color_params(char *w, size_t cap, mph_color c, int base, mph_color_depth depth) {
    if (c.xterm256 && depth == MPH_COLORS_256)
        return snprintf(w, cap, "%d;5;%d", base + 8, c.xterm256);
    if (c.xterm256 && depth == MPH_COLORS_24BIT)
        return snprintf(w, cap, "%d;2;%d;%d;%d", base + 8, c.rgb.r, c.rgb.g, c.rgb.b);
    int i = c.ansi & 15;
    return snprintf(w, cap, "%d", i < 8 ? base + i : base + 60 + i - 8);
}

const mph_escape mph__escape_reset = {"\x1b[0m", 4, -1};

void mph__escape_init(mph_escape *e, mph_style s, mph_color_depth depth) {
    memset(e, 0, sizeof *e);
    e->code = encode(s);
    size_t n;
    if (e->code < 0) {
        n = (size_t)snprintf(e->text, sizeof e->text, "\x1b[0m");
    } else {
        // "\x1b[0;38;2;255;255;255;48;2;255;255;255m" at the longest: 38 bytes.
        n = (size_t)snprintf(e->text, sizeof e->text, "\x1b[0;");
        n += (size_t)color_params(e->text + n, sizeof e->text - n, s.fg, 30, depth);
        if (!s.default_bg) {
            e->text[n++] = ';';
            n += (size_t)color_params(e->text + n, sizeof e->text - n, s.bg, 40, depth);
        }
        e->text[n++] = 'm';
        e->text[n] = '\0';
    }
    e->len = (unsigned char)n;
}

void mph__painter_init(mph_painter *p, mph_outbuf *out, bool color, mph_color_depth depth) {
    p->out = out;
    p->color = color;
    p->depth = depth;
    p->current = -1;
}

void mph__paint_escape(mph_painter *p, const mph_escape *e) {
    if (!p->color || e->code == p->current)
        return;
    mph__out_write(p->out, e->text, e->len);
    p->current = e->code;
}

void mph__paint(mph_painter *p, mph_style s) {
    if (!p->color || encode(s) == p->current)
        return;
    mph_escape e;
    mph__escape_init(&e, s, p->depth);
    mph__paint_escape(p, &e);
}

void mph__unpaint(mph_painter *p) { mph__paint_escape(p, &mph__escape_reset); }

/* ---------------------------------------------------------------- legends */

void mph__legend_init(mph_legend *l, mph_painter *p, unsigned width, const char *label) {
    l->p = p;
    l->width = width ? (width < 40 ? 40 : width) : 80;
    l->indent = (unsigned)strlen(label);
    l->col = l->indent;
    mph__out_puts(p->out, label);
}

static void legend_newline(mph_legend *l) {
    mph__out_putc(l->p->out, '\n');
    for (unsigned i = 0; i < l->indent; i++)
        mph__out_putc(l->p->out, ' ');
    l->col = l->indent;
}

/* text word by word from column l->col on, breaking lines at blanks; the
 * first word after a blank only when blank. */
static void legend_words(mph_legend *l, const char *text, bool blank) {
    while (*text == ' ')
        text++;
    while (*text) {
        const char *end = strchr(text, ' ');
        size_t n = end ? (size_t)(end - text) : strlen(text);
        if (blank && l->col + 1 + n > l->width && l->col > l->indent + 1) {
            legend_newline(l);
        } else if (blank) {
            mph__out_putc(l->p->out, ' ');
            l->col++;
        }
        mph__out_write(l->p->out, text, n);
        l->col += (unsigned)n;
        text += n;
        while (*text == ' ')
            text++;
        blank = true;
    }
}

void mph__legend_item(mph_legend *l, mph_style s, char glyph, const char *text) {
    // An entry starts a new line when it would not end on this one; one longer
    // than a whole line runs on word by word.
    size_t n = (glyph ? 2 : 0) + strlen(text);
    if (l->col > l->indent) {
        if (l->col + 2 + n > l->width) {
            legend_newline(l);
        } else {
            mph__out_puts(l->p->out, "  ");
            l->col += 2;
        }
    }
    if (glyph) {
        mph__paint(l->p, s);
        mph__out_putc(l->p->out, glyph);
        mph__unpaint(l->p);
        l->col++;
    }
    legend_words(l, text, glyph != 0);
}

void mph__legend_end(mph_legend *l) { mph__out_putc(l->p->out, '\n'); }

/* ------------------------------------------------------- text to a width */

static mph_status text_write(void *ctx, const char *buf, size_t len) {
    mph_text *t = ctx;
    if (t->len + len > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + len)
            cap *= 2;
        char *d = realloc(t->data, cap);
        if (!d)
            return MPH_ERR_NOMEM;
        t->data = d;
        t->cap = cap;
    }
    memcpy(t->data + t->len, buf, len);
    t->len += len;
    return MPH_OK;
}

mph_sink mph__text_sink(mph_text *t) {
    mph_sink s = {text_write, t};
    return s;
}

/* One line of n bytes at s in lines of at most width columns: broken at the
 * last blank that keeps the line within width (after its leading blanks), the
 * rest indented by indent. A word longer than a line stays whole. */
static void put_fitted_line(mph_outbuf *out, const char *s, size_t n, size_t width,
                            size_t indent) {
    size_t pad = 0; // blanks before s on this output line
    while (pad + n > width) {
        size_t lead = 0;
        while (lead < n && s[lead] == ' ')
            lead++;
        size_t brk = 0, room = width > pad ? width - pad : 0;
        for (size_t i = lead; i < n && i <= room; i++)
            if (s[i] == ' ')
                brk = i;
        for (size_t i = room; !brk && i < n; i++)
            if (s[i] == ' ' && i > lead)
                brk = i;
        if (!brk)
            break;
        size_t end = brk;
        while (end > 0 && s[end - 1] == ' ')
            end--;
        for (size_t i = 0; i < pad; i++)
            mph__out_putc(out, ' ');
        mph__out_write(out, s, end);
        mph__out_putc(out, '\n');
        while (brk < n && s[brk] == ' ')
            brk++;
        s += brk;
        n -= brk;
        pad = indent;
    }
    for (size_t i = 0; i < pad; i++)
        mph__out_putc(out, ' ');
    mph__out_write(out, s, n);
    mph__out_putc(out, '\n');
}

mph_status mph__text_fit(mph_text *t, size_t width, size_t indent, mph_sink *sink,
                         mph_error *err) {
    mph_outbuf *out = mph__out_new(sink, err);
    if (!out) {
        free(t->data);
        t->data = NULL;
        return MPH_ERR_NOMEM;
    }
    for (size_t i = 0; i < t->len;) {
        const char *nl = memchr(t->data + i, '\n', t->len - i);
        size_t end = nl ? (size_t)(nl - t->data) : t->len;
        put_fitted_line(out, t->data + i, end - i, width, indent);
        i = end + 1;
    }
    free(t->data);
    t->data = NULL;
    return mph__out_close(out, err);
}
