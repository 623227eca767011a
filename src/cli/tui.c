/* The full-screen views' common part: see tui.h. */
#include "tui.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
    bool active, color, utf8, direct;
    SCREEN *screen;
    mph_palette_kind palette;
    int saved_stderr; /* the real stderr while the screen is ours, else -1 */
    FILE *messages;   /* what was written to stderr meanwhile */
    int n_pairs, max_pairs;
    int pair_fg[256], pair_bg[256];
    attr_t head[MPH_TYPE_COUNT][4]; /* by type and ordinal % 4 (the rainbow palette) */
    attr_t role[MPH_ROLE_COUNT];
} g = {.saved_stderr = -1};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) { interrupted = sig; }

int tui_interrupted(void) { return interrupted; }
bool tui_has_color(void) { return g.color; }
bool tui_utf8(void) { return g.utf8; }

int tui_require_terminal(const char *command, const char *instead) {
    if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
        return EXIT_OK;
    fprintf(stderr,
            "mpheap: %s is full screen and needs a terminal (%s is not one); "
            "without one, "
            "use %s\n",
            command, isatty(STDIN_FILENO) ? "standard output" : "standard input", instead);
    return EXIT_USAGE;
}

/* ------------------------------------------------------------ colours */

/* An ncurses colour number for a palette colour: the exact 256-colour index
 * when the terminal has 256 (xterm's cube and grey ramp are not themed), its
 * RGB on a direct-colour terminal, else the 16-colour stand-in. */
static int color_number(mph_color c) {
    if (g.direct)
        return (c.rgb.r << 16) | (c.rgb.g << 8) | c.rgb.b;
    if (COLORS >= 256 && c.xterm256)
        return c.xterm256;
    if (COLORS >= 16)
        return c.ansi;
    return c.ansi & 7;
}

static int pair_for(int fg, int bg) {
    for (int i = 0; i < g.n_pairs; i++)
        if (g.pair_fg[i] == fg && g.pair_bg[i] == bg)
            return i + 1;
    if (g.n_pairs >= g.max_pairs)
        return 0;
    int p = ++g.n_pairs;
#if defined(NCURSES_EXT_COLORS) && NCURSES_EXT_COLORS
    if (init_extended_pair(p, fg, bg) == ERR)
        return --g.n_pairs, 0;
#else
    if (init_pair((short)p, (short)fg, (short)bg) == ERR)
        return --g.n_pairs, 0;
#endif
    g.pair_fg[p - 1] = fg;
    g.pair_bg[p - 1] = bg;
    return p;
}

static attr_t style_attr(mph_style st) {
    if (!g.color || st.plain)
        return A_NORMAL;
    int fg = color_number(st.fg), bg = st.default_bg ? -1 : color_number(st.bg);
    int p = pair_for(fg, bg);
    attr_t a = p ? (attr_t)COLOR_PAIR(p) : A_NORMAL;
    if (COLORS < 16 && st.fg.ansi >= 8)
        a |= A_BOLD; // 8 colours: bright as bold, as terminals did
    return a;
}

attr_t tui_role(mph_role role) { return (unsigned)role < MPH_ROLE_COUNT ? g.role[role] : 0; }

static void setup_colors(void) {
    g.color = g.color && has_colors() && g.palette != MPH_PALETTE_MONO;
    if (!g.color)
        return;
    start_color();
    use_default_colors();
    // A direct-colour terminal (terminfo's RGB flag, e.g. xterm-direct) takes RGB
    // values.
    g.direct = COLORS > 256 && tigetflag("RGB") > 0;
    g.max_pairs = COLOR_PAIRS - 1 < 255 ? COLOR_PAIRS - 1 : 255;
    g.n_pairs = 0;
    for (int t = 0; t < MPH_TYPE_COUNT; t++)
        for (int k = 0; k < 4; k++)
            g.head[t][k] = style_attr(mph_palette_head(g.palette, (mph_type)t, (uint64_t)k));
    for (int r = 0; r < MPH_ROLE_COUNT; r++)
        g.role[r] = style_attr(mph_palette_role(g.palette, (mph_role)r));
}

/* ------------------------------------------------------ start and stop */

static void at_exit(void) { tui_stop(true); }

int tui_start(mph_palette_kind palette, bool color) {
    static bool registered;
    setlocale(LC_ALL, "");
    g.utf8 = cli_utf8_output();
    g.palette = palette;
    g.color = color;
    // stderr to a temporary file while the screen is ours: messages (a board's
    // errors) would tear it; they are printed after it when the view ends in an
    // error.
    g.messages = tmpfile();
    if (g.messages) {
        fflush(stderr);
        g.saved_stderr = dup(STDERR_FILENO);
        if (g.saved_stderr < 0 || dup2(fileno(g.messages), STDERR_FILENO) < 0) {
            if (g.saved_stderr >= 0)
                close(g.saved_stderr);
            g.saved_stderr = -1;
            fclose(g.messages);
            g.messages = NULL;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; // no SA_RESTART: a wait ends early and sees it
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    // ESCDELAY: Escape cancels a prompt at once, not after a second.
    if (!getenv("ESCDELAY"))
        set_escdelay(50);
    g.screen = newterm(NULL, stdout, stdin);
    if (!g.screen) {
        tui_stop(true);
        fprintf(stderr, "mpheap: cannot use the terminal '%s' (TERM)\n",
                getenv("TERM") ? getenv("TERM") : "");
        return EXIT_USAGE;
    }
    g.active = true;
    if (!registered) {
        atexit(at_exit);
        registered = true;
    }
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    setup_colors();
    return EXIT_OK;
}

void tui_stop(bool replay) {
    if (g.active) {
        g.active = false;
        endwin();
        delscreen(g.screen);
        g.screen = NULL;
    }
    if (g.saved_stderr >= 0) {
        fflush(stderr);
        dup2(g.saved_stderr, STDERR_FILENO);
        close(g.saved_stderr);
        g.saved_stderr = -1;
    }
    if (g.messages) {
        if (replay) {
            // The last few kilobytes: enough for the error, not a flood of retries.
            long end = ftell(g.messages);
            if (end > 4096)
                fseek(g.messages, end - 4096, SEEK_SET);
            else
                rewind(g.messages);
            char buf[4096];
            size_t n;
            while ((n = fread(buf, 1, sizeof buf, g.messages)) > 0)
                fwrite(buf, 1, n, stderr);
        }
        fclose(g.messages);
        g.messages = NULL;
    }
}

/* ------------------------------------------------------------- text */

void tui_text(int y, int x, int w, attr_t attr, const char *text) {
    if (y < 0 || y >= LINES || w <= 0)
        return;
    attrset(attr);
    move(y, x);
    int n = 0;
    // Count columns, not bytes: a UTF-8 continuation byte takes none.
    for (const char *p = text; *p && n < w; p++) {
        if (((unsigned char)*p & 0xc0) != 0x80)
            n++;
        if (n <= w)
            addch((chtype)(unsigned char)*p);
    }
    for (; n < w; n++)
        addch(' ');
    attrset(A_NORMAL);
}

void tui_bytes(char *buf, size_t cap, uint64_t blocks, unsigned bs) {
    if (!bs) {
        snprintf(buf, cap, "%llu blocks", (unsigned long long)blocks);
        return;
    }
    char digits[32];
    snprintf(digits, sizeof digits, "%llu", (unsigned long long)(blocks * bs));
    size_t n = strlen(digits), k = 0;
    char out[48];
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = digits[i];
    }
    out[k] = '\0';
    snprintf(buf, cap, "%s B", out);
}

void tui_summary(const mph_stats *st, char *buf, size_t cap, int width) {
    char u[48], f[48], l[48];
    unsigned bs = st->block_size;
    tui_bytes(u, sizeof u, st->used_blocks, bs);
    tui_bytes(f, sizeof f, st->free_blocks, bs);
    tui_bytes(l, sizeof l, st->largest_free_blocks, bs);
    double pct = st->total_blocks ? 100.0 * (double)st->used_blocks / (double)st->total_blocks : 0;
    unsigned long long n = (unsigned long long)st->allocs;
    // The longest form that fits the width, then shorter words, then fewer
    // figures.
    snprintf(buf, cap, "used %s (%.1f%%)  free %s  largest free %s  frag %.1f%%  %llu allocs", u,
             pct, f, l, st->fragmentation * 100, n);
    if ((int)strlen(buf) <= width)
        return;
    snprintf(buf, cap, "used %s (%.0f%%)  free %s  largest %s  frag %.0f%%  %llu allocs", u, pct, f,
             l, st->fragmentation * 100, n);
    if ((int)strlen(buf) <= width)
        return;
    snprintf(buf, cap, "used %s (%.0f%%)  free %s  largest %s  frag %.0f%%", u, pct, f, l,
             st->fragmentation * 100);
}

void tui_sparkline(int y, int x, int w, const double *v, size_t n) {
    static const char *const utf8[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                        "\u2585", "\u2586", "\u2587", "\u2588"};
    static const char ascii[] = "_.-:=+*#";
    if (w <= 0)
        return;
    size_t shown = n < (size_t)w ? n : (size_t)w;
    const double *s = v + n - shown;
    double lo = 0, hi = 0;
    for (size_t i = 0; i < shown; i++) {
        if (i == 0 || s[i] < lo)
            lo = s[i];
        if (i == 0 || s[i] > hi)
            hi = s[i];
    }
    move(y, x);
    for (size_t i = 0; i < shown; i++) {
        int level = hi > lo ? (int)((s[i] - lo) / (hi - lo) * 7.0 + 0.5) : 3;
        if (g.utf8)
            addstr(utf8[level]);
        else
            addch((chtype)ascii[level]);
    }
    for (size_t i = shown; i < (size_t)w; i++)
        addch(' ');
}

bool tui_prompt(int y, const char *prompt, char *buf, size_t cap) {
    size_t n = 0;
    buf[0] = '\0';
    curs_set(1);
    bool ok = false;
    for (;;) {
        char line[300];
        snprintf(line, sizeof line, "%s%s", prompt, buf);
        tui_text(y, 0, COLS, A_BOLD, line);
        move(y, (int)strlen(line) < COLS ? (int)strlen(line) : COLS - 1);
        refresh();
        timeout(200);
        int c = getch();
        if (interrupted)
            break;
        if (c == ERR || c == KEY_RESIZE)
            continue;
        if (c == '\n' || c == '\r' || c == KEY_ENTER) {
            ok = true;
            break;
        }
        if (c == 27 || c == 3 || c == 7)
            break;
        if ((c == KEY_BACKSPACE || c == 127 || c == 8) && n) {
            buf[--n] = '\0';
        } else if (c >= 32 && c < 127 && n + 1 < cap) {
            buf[n++] = (char)c;
            buf[n] = '\0';
        }
    }
    curs_set(0);
    tui_text(y, 0, COLS, A_NORMAL, "");
    return ok;
}

void tui_help(const char *const *lines) {
    int h = 0, w = 0;
    for (; lines[h]; h++)
        if ((int)strlen(lines[h]) > w)
            w = (int)strlen(lines[h]);
    int bh = h + 2 < LINES ? h + 2 : LINES, bw = w + 4 < COLS ? w + 4 : COLS;
    int y0 = (LINES - bh) / 2, x0 = (COLS - bw) / 2;
    for (;;) {
        for (int i = 0; i < bh; i++) {
            const char *t = i == 0 || i == bh - 1 || i - 1 >= h ? "" : lines[i - 1];
            char row[512];
            snprintf(row, sizeof row, " %s", t);
            tui_text(y0 + i, x0, bw, A_REVERSE, row);
        }
        refresh();
        timeout(200);
        int c = getch();
        if (interrupted || (c != ERR && c != KEY_RESIZE))
            return;
        if (c == KEY_RESIZE) {
            // Redrawn by the caller after; keep the box in the new middle.
            clear();
            y0 = (LINES - bh) / 2 > 0 ? (LINES - bh) / 2 : 0;
            x0 = (COLS - bw) / 2 > 0 ? (COLS - bw) / 2 : 0;
        }
    }
}

/* --------------------------------------------------------------- map */

unsigned tui_gutter_width(const mph_snapshot *s) {
    uint64_t top = 0;
    for (size_t i = 0; i < mph_snapshot_area_count(s); i++) {
        const mph_area *a = mph_snapshot_area(s, i);
        uint64_t end = a->base + (uint64_t)a->n_blocks *
                                     (mph_snapshot_block_size(s) ? mph_snapshot_block_size(s) : 1);
        if (end > top)
            top = end;
    }
    unsigned digits = 8;
    while (digits < 16 && (top >> (4 * digits)) != 0)
        digits++;
    return 2 + digits + 1;
}

unsigned tui_map_width(const mph_snapshot *s, int columns) {
    int avail = columns - (int)tui_gutter_width(s);
    int w = avail / 16 * 16;
    return w < 16 ? 16 : (unsigned)w;
}

/* The classes of NEW's area `area` in the diff, or NULL. */
static const unsigned char *classes_of(const mph_diff *d, size_t area, size_t *n) {
    if (!d)
        return NULL;
    for (size_t i = 0; i < mph_diff_pair_count(d); i++) {
        const mph_area_pair *p = mph_diff_pair_at(d, i);
        if (p->new_area == (long)area) {
            *n = p->n_blocks;
            return p->classes;
        }
    }
    return NULL;
}

static bool is_blocker(const mph_verdict *v, size_t area, size_t b, size_t end) {
    if (!v || !v->n_windows || v->windows[0].run.area != area)
        return false;
    const mph_window *w = &v->windows[0];
    for (size_t k = 0; k < w->n_listed; k++)
        if (w->blockers[k].block < end && w->blockers[k].block + w->blockers[k].n_blocks > b)
            return true;
    return false;
}

static const mph_role class_role[MPH_DIFF_CLASS_COUNT] = {
    MPH_ROLE_DIFF_FREE, MPH_ROLE_DIFF_KEPT, MPH_ROLE_DIFF_FREED, MPH_ROLE_DIFF_ALLOCATED,
    MPH_ROLE_DIFF_REUSED};
static const char class_glyph[MPH_DIFF_CLASS_COUNT] = {'.', '=', '-', '+', '~'};

/* One cell of scale 1: block b of area a. *head_type carries the type of the
 * allocation. */
static void cell_of_block(const tui_map *m, const mph_area *a, size_t ai, size_t b,
                          const unsigned char *cls, size_t n_cls, int *head_type, uint64_t *ordinal,
                          chtype *out) {
    char c = a->cells[b];
    int t = mph_type_of_cell(c);
    if (t >= 0) {
        *head_type = t;
        *ordinal = b;
    }
    chtype glyph;
    attr_t attr;
    if (c == MPH_CELL_FREE) {
        glyph = '.';
        attr = g.role[MPH_ROLE_FREE];
    } else {
        int ht = *head_type >= 0 ? *head_type : MPH_TYPE_OTHER;
        glyph = t >= 0 ? (chtype)mph_type_letter((mph_type)t) : '=';
        attr = g.head[ht][*ordinal % 4];
    }
    int k = cls && b < n_cls ? cls[b] : -1;
    if (k >= 0 && (m->diff_view || (m->highlight && k >= MPH_DIFF_FREED))) {
        attr = g.role[class_role[k]];
        // Without colour the glyph tells the change (as the diff map does).
        if (!g.color && k >= MPH_DIFF_FREED)
            glyph = (chtype)class_glyph[k];
    }
    if (is_blocker(m->verdict, ai, b, b + 1)) {
        attr = g.role[MPH_ROLE_BLOCKER];
        if (!g.color)
            glyph = '!';
    }
    *out = glyph | attr;
}

/* One overview cell: blocks [b, end) of area a. */
static chtype cell_of_range(const tui_map *m, const mph_area *a, size_t ai, size_t b, size_t end,
                            const unsigned char *cls, size_t n_cls) {
    size_t used = 0, changed[MPH_DIFF_CLASS_COUNT] = {0};
    for (size_t i = b; i < end; i++) {
        used += a->cells[i] != MPH_CELL_FREE;
        if (cls && i < n_cls)
            changed[cls[i]]++;
    }
    size_t n = end - b;
    const mph_stats *st = m->stats;
    bool in_run = st && st->largest_free_blocks && ai == st->largest_free_area &&
                  b < st->largest_free_block + st->largest_free_blocks &&
                  end > st->largest_free_block;
    bool small_run = st && st->largest_free_blocks < 2 * m->layout.scale;
    char ch;
    mph_role role = mph_overview_cell(used, n, is_blocker(m->verdict, ai, b, end), in_run, small_run, &ch);
    chtype glyph = (unsigned char)ch;
    attr_t attr = g.role[role];
    if (cls && (m->highlight || m->diff_view)) {
        // The change that matters most: memory taken, then given back, then reused.
        int k = changed[MPH_DIFF_ALLOCATED] ? MPH_DIFF_ALLOCATED
                : changed[MPH_DIFF_FREED]   ? MPH_DIFF_FREED
                : changed[MPH_DIFF_REUSED]  ? MPH_DIFF_REUSED
                : !m->diff_view             ? -1
                : changed[MPH_DIFF_KEPT]    ? MPH_DIFF_KEPT
                                            : MPH_DIFF_FREE;
        if (k >= 0) {
            attr = g.role[class_role[k]];
            if (!g.color && k >= MPH_DIFF_FREED)
                glyph = '*'; // the levels use + and -: one glyph for "changed"
        }
    }
    return glyph | attr;
}

void tui_draw_map(const tui_map *m, int y, int x, int h, int w) {
    const mph_snapshot *s = m->snap;
    const mph_layout *l = &m->layout;
    unsigned gw = tui_gutter_width(s);
    unsigned bs = mph_snapshot_block_size(s);
    size_t n_areas = mph_snapshot_area_count(s);
    for (int r = 0; r < h; r++) {
        size_t line = m->top + (size_t)r;
        move(y + r, x);
        attrset(A_NORMAL);
        if (line >= l->n_lines) {
            for (int i = 0; i < w; i++)
                addch(' ');
            continue;
        }
        size_t ai, b0;
        if (!mph_layout_block_at(l, line, 0, &ai, &b0)) {
            // An area's title.
            size_t t = 0;
            while (t + 1 < n_areas && mph_layout_area_line(l, t + 1) <= line)
                t++;
            const mph_area *a = mph_snapshot_area(s, t);
            char size[48], title[160];
            tui_bytes(size, sizeof size, a->n_blocks, bs);
            if (a->has_base)
                snprintf(title, sizeof title, "-- area %zu at 0x%llx: %s", t + 1,
                         (unsigned long long)a->base, size);
            else
                snprintf(title, sizeof title, "-- area %zu: %s", t + 1, size);
            tui_text(y + r, x, w, g.role[MPH_ROLE_GUTTER] | A_BOLD, title);
            continue;
        }
        const mph_area *a = mph_snapshot_area(s, ai);
        uint64_t addr =
            a->has_base && bs ? a->base + (uint64_t)b0 * bs : (uint64_t)b0 * (bs ? bs : 1);
        char gutter[32];
        snprintf(gutter, sizeof gutter, "0x%0*llx ", (int)gw - 3, (unsigned long long)addr);
        tui_text(y + r, x, (int)gw < w ? (int)gw : w, g.role[MPH_ROLE_GUTTER], gutter);
        move(y + r, x + (int)gw);
        size_t n_cls = 0;
        const unsigned char *cls = classes_of(m->diff, ai, &n_cls);
        int head_type = -1;
        uint64_t ordinal = 0;
        if (l->scale == 1 && a->cells[b0] == MPH_CELL_TAIL) {
            // The line starts inside an allocation: its head gives the colour.
            mph_block_info bi;
            if (mph_layout_describe(s, ai, b0, &bi, NULL) == MPH_OK && !bi.orphan) {
                head_type = (int)bi.type;
                ordinal = bi.start;
            }
        }
        int col = 0;
        for (; col < (int)l->width && (int)gw + col < w; col++) {
            size_t b = b0 + (size_t)col * (size_t)l->scale;
            if (b >= a->n_blocks)
                break;
            chtype ch;
            if (l->scale == 1) {
                cell_of_block(m, a, ai, b, cls, n_cls, &head_type, &ordinal, &ch);
            } else {
                size_t end = b + l->scale < a->n_blocks ? b + (size_t)l->scale : a->n_blocks;
                ch = cell_of_range(m, a, ai, b, end, cls, n_cls);
            }
            if (m->cursor && line == m->cur_line && (unsigned)col == m->cur_col)
                ch |= A_REVERSE | A_BOLD;
            addch(ch);
        }
        attrset(A_NORMAL);
        for (; (int)gw + col < w; col++)
            addch(' ');
    }
}

/* The legend: items wrapped to the width. */
typedef struct legend {
    int y, x, w, max, line, col;
} legend;

static void item(legend *l, attr_t attr, char glyph, const char *text) {
    int need = (glyph ? 2 : 0) + (int)strlen(text) + 2;
    if (l->col > 0 && l->col + need > l->w) {
        l->line++;
        l->col = 0;
    }
    if (l->line >= l->max)
        return;
    move(l->y + l->line, l->x + l->col);
    if (glyph) {
        addch((chtype)(unsigned char)glyph | attr);
        addch(' ');
        l->col += 2;
    }
    for (const char *p = text; *p && l->col < l->w; p++, l->col++)
        addch((chtype)(unsigned char)*p);
    if (l->col < l->w) {
        addch(' ');
        l->col++;
    }
    if (l->col < l->w) {
        addch(' ');
        l->col++;
    }
}

int tui_draw_legend(const tui_map *m, int y, int x, int w, int max_lines) {
    for (int i = 0; i < max_lines; i++)
        tui_text(y + i, x, w, A_NORMAL, "");
    legend l = {y, x, w, max_lines, 0, 0};
    const mph_stats *st = m->stats;
    bool changes = m->diff && (m->highlight || m->diff_view);
    if (m->diff_view && m->diff) {
        item(&l, g.role[MPH_ROLE_DIFF_FREE], '.', "free in both");
        item(&l, g.role[MPH_ROLE_DIFF_KEPT], m->layout.scale > 1 || g.color ? '=' : '=', "kept");
    } else if (m->layout.scale > 1) {
        char one[64];
        snprintf(one, sizeof one, "cell = %llu blocks:", (unsigned long long)m->layout.scale);
        item(&l, 0, 0, one);
        item(&l, g.role[MPH_ROLE_FREE], '.', "free");
        item(&l, g.role[MPH_ROLE_LEVEL_LOW], ':', "<=25%");
        item(&l, g.role[MPH_ROLE_LEVEL_MID], '-', "<=50%");
        item(&l, g.role[MPH_ROLE_LEVEL_HIGH], '+', "<=75%");
        item(&l, g.role[MPH_ROLE_LEVEL_HIGH], '#', "<100%");
        item(&l, g.role[MPH_ROLE_LEVEL_FULL], '@', "full");
        item(&l, g.role[MPH_ROLE_LARGEST_FREE], '_', "largest free");
    } else {
        item(&l, g.role[MPH_ROLE_FREE], '.', "free");
        item(&l, g.head[MPH_TYPE_OTHER][0], '=', "tail");
        for (int t = 0; t < MPH_TYPE_COUNT; t++)
            if (!st || st->by_type[t].allocs)
                item(&l, g.head[t][0], mph_type_letter((mph_type)t), mph_type_name((mph_type)t));
    }
    if (changes) {
        bool mono_overview = !g.color && m->layout.scale > 1;
        item(&l, g.role[MPH_ROLE_DIFF_ALLOCATED], mono_overview ? '*' : '+', "allocated");
        item(&l, g.role[MPH_ROLE_DIFF_FREED], mono_overview ? '*' : '-', "freed");
        item(&l, g.role[MPH_ROLE_DIFF_REUSED], mono_overview ? '*' : '~', "reused");
    }
    if (m->verdict && m->verdict->n_windows)
        item(&l, g.role[MPH_ROLE_BLOCKER], '!', "blocker");
    if (m->cursor)
        item(&l, A_REVERSE | A_BOLD, ' ', "cursor");
    return l.line + 1 < max_lines ? l.line + 1 : max_lines;
}
