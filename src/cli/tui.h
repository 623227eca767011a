/* The full-screen views' common part (mpheap watch, mpheap explore), on
 * ncurses: starting and always restoring the terminal, the palette as
 * ncurses colour pairs, the map with its gutter, the legend, the summary
 * line, sparklines, a prompt and the help box. The library lays the map out
 * and describes blocks (mph_layout_*); this file only draws. */
#ifndef MPHEAP_SRC_CLI_TUI_H
#define MPHEAP_SRC_CLI_TUI_H

#include "cli.h"

#include <curses.h>

/* stdin and stdout must be terminals: else say so, point to what does the
 * same without one (`instead`), and return EXIT_USAGE; EXIT_OK when they are.
 */
int tui_require_terminal(const char *command, const char *instead);

/* Take the screen: ncurses in cbreak mode with keypad, colours from the
 * palette (none when color is false, or the palette is mono, or the terminal
 * has none), SIGINT/SIGTERM/SIGHUP noted (tui_interrupted) rather than fatal,
 * and stderr kept in a temporary file so that no message tears the screen.
 * Returns EXIT_OK, or an exit code after printing why. */
int tui_start(mph_palette_kind palette, bool color);
/* Give the terminal back (safe to call twice, and at exit: an atexit handler
 * calls it too). The messages kept from stderr are printed when replay is set.
 */
void tui_stop(bool replay);
/* A signal asked to stop: its number, else 0. */
int tui_interrupted(void);
/* Whether the map is drawn in colour, and in UTF-8 (sparklines). */
bool tui_has_color(void);
bool tui_utf8(void);

/* The map of one snapshot as it is drawn. */
typedef struct tui_map {
    const mph_snapshot *snap;
    const mph_stats *stats;     /* of snap (largest free run) */
    const mph_diff *diff;       /* from the previous snapshot to snap; NULL: none */
    bool highlight;             /* changed blocks in the diff palette */
    bool diff_view;             /* every block in the diff palette */
    const mph_verdict *verdict; /* its best window's blockers are marked; NULL: none */
    mph_layout layout;
    size_t top;  /* first layout line shown */
    bool cursor; /* draw the cursor at (cur_line, cur_col) */
    size_t cur_line;
    unsigned cur_col;
} tui_map;

/* Columns of the address gutter of s (the address and a space). */
unsigned tui_gutter_width(const mph_snapshot *s);
/* Cells per map line for `columns` columns of screen (gutter included): a
 * multiple of 16, at least 16. */
unsigned tui_map_width(const mph_snapshot *s, int columns);
/* Draw lines top.. of the map in the rectangle (y, x, h rows, w columns). */
void tui_draw_map(const tui_map *m, int y, int x, int h, int w);
/* The legend for m, wrapped to w columns in at most max_lines lines; returns
 * lines drawn. */
int tui_draw_legend(const tui_map *m, int y, int x, int w, int max_lines);
/* "used 41,216 B (64.4%)  free ...  largest free ...  frag 35.0%  812 allocs",
 * in shorter words when that is longer than width columns. */
void tui_summary(const mph_stats *st, char *buf, size_t cap, int width);
/* "1,234,567 B" (or "N blocks" when the block size is unknown: bs 0). */
void tui_bytes(char *buf, size_t cap, uint64_t blocks, unsigned bs);
/* A sparkline of the last values of v[0..n) (min..max scaled) in w columns. */
void tui_sparkline(int y, int x, int w, const double *v, size_t n);
/* Write text in row y from column x, cut at w columns, the rest of the width
 * cleared. */
void tui_text(int y, int x, int w, attr_t attr, const char *text);
/* Read a line at row y after prompt; false when cancelled (Escape, Ctrl-C,
 * Ctrl-G). */
bool tui_prompt(int y, const char *prompt, char *buf, size_t cap);
/* A box with lines (NULL-terminated) in the middle of the screen until a key.
 */
void tui_help(const char *const *lines);
/* The attribute of a palette role (A_NORMAL without colour). */
attr_t tui_role(mph_role role);

#endif
