/* ANSI colour escapes, shared by the terminal renderers (render_ansi.c,
 * render_ansi_diff.c). A style's escape is built once; it is written only
 * when the style in force changes. */
#include "internal.h"

#include <stdio.h>

/* Styles that print the same escape share a code, so that a run of them
 * gets one escape. */
static int encode(mph_style s) {
    if (s.plain)
        return -1;
    return s.fg.ansi | s.bg.ansi << 4 | (s.default_bg ? 1 << 8 : 0);
}

static int ansi_fg(int i) { return i < 8 ? 30 + i : 90 + i - 8; }
static int ansi_bg(int i) { return i < 8 ? 40 + i : 100 + i - 8; }

const mph_escape mph__escape_reset = {"\x1b[0m", 4, -1};

void mph__escape_init(mph_escape *e, mph_style s) {
    memset(e, 0, sizeof *e);
    e->code = encode(s);
    int n;
    if (e->code < 0)
        n = snprintf(e->text, sizeof e->text, "\x1b[0m");
    else if (s.default_bg)
        n = snprintf(e->text, sizeof e->text, "\x1b[0;%dm", ansi_fg(s.fg.ansi & 15));
    else
        n = snprintf(e->text, sizeof e->text, "\x1b[0;%d;%dm", ansi_fg(s.fg.ansi & 15),
                     ansi_bg(s.bg.ansi & 15));
    e->len = (unsigned char)(n > 0 ? n : 0);
}

void mph__painter_init(mph_painter *p, mph_outbuf *out, bool color) {
    p->out = out;
    p->color = color;
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
    mph__escape_init(&e, s);
    mph__paint_escape(p, &e);
}

void mph__unpaint(mph_painter *p) { mph__paint_escape(p, &mph__escape_reset); }

void mph__legend_item(mph_painter *p, mph_style s, char glyph, const char *text) {
    mph__paint(p, s);
    mph__out_putc(p->out, glyph);
    mph__unpaint(p);
    mph__out_printf(p->out, " %s  ", text);
}
