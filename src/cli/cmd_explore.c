/* mpheap explore: a dump or a log, full screen. A cursor moves over the
 * blocks; a panel says what is under it; n/p step through the snapshots with
 * the changes since the previous one highlighted. */
#include "tui.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mpheap explore [options] FILE|LOG\n"
    "Explore a dump or a log of snapshots full screen: a cursor over the blocks,\n"
    "a panel with what is under it, the changes from one snapshot to the next.\n"
    "\n"
    "  -s, --snapshot N|LABEL  start at this snapshot (default: the last)\n"
    "      --need SIZE         the verdict for an allocation of SIZE bytes (4K):\n"
    "                          its best window's blockers are marked, and `b`\n"
    "                          jumps to them (default: the size of a MemoryError\n"
    "                          in the log, if any)\n"
    "      --palette NAME      safe (default), notebook, type, rainbow or mono\n"
    "      --color WHEN        auto (default; honours NO_COLOR), always or never;\n"
    "                          without colour, glyphs tell free, used and changed\n"
    "                          apart\n"
    "      --block-size N      the block size when the dump does not tell it\n"
    "      --strict            every warning about the input is an error\n"
    "  -h, --help              this text\n"
    "\n"
    "keys: arrows, PgUp/PgDn, Home/End move the cursor; + and - zoom (one block\n"
    "per cell to the whole heap on one screen); g ADDRESS jumps there; n/p or ]/[\n"
    "step through the snapshots; d the diff view; / TYPE or / SIZE finds the next\n"
    "allocation of that type or of at least that size; b the verdict's best\n"
    "window and its blockers; ? help; q or Ctrl-C quits. It needs a terminal:\n"
    "elsewhere use `mpheap show`.\n";

static const char *const help_lines[] = {
    "mpheap explore: keys",
    "",
    "arrows, PgUp/PgDn   move the cursor over the blocks",
    "Home/End            the first / last block",
    "+ / -               zoom in / out (whole heap on one screen)",
    "g ADDRESS           jump to an address (hex, 0x optional)",
    "n / p   ] / [       next / previous snapshot of the log",
    "d                   diff view: every block by its change",
    "c                   changes highlighted on / off",
    "/ TYPE or / SIZE    next allocation of a type (L, list...)",
    "                    or of at least SIZE bytes (100, 4K)",
    "b                   --need: best window, then its blockers",
    "?                   this help",
    "q, Ctrl-C           quit",
    "",
    "any key closes this box",
    NULL};

enum { OPT_NEED = 300, OPT_PALETTE, OPT_COLOR };

typedef struct explorer {
    const char *path;
    mph_log *log;
    size_t n, index;
    uint64_t need;
    const mph_snapshot *snap;
    mph_stats stats;
    mph_diff *diff;       /* previous -> this one */
    mph_verdict *verdict; /* with --need */
    bool highlight, diff_view;
    uint64_t scale;
    size_t area, block; /* the cursor's block */
    size_t top;
    long jump; /* b: -1 the window, then blocker k */
    char last_find[64];
    char message[300];
} explorer;

typedef struct geom {
    bool side;
    int map_y, map_h, map_w, panel_x, panel_y, panel_w, panel_h, legend_y, legend_h;
    tui_map map;
} geom;

static void set_message(explorer *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_message(explorer *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

/* Make snapshot i the current one: its figures, its diff from the previous, its
 * verdict. */
static int select_snapshot(explorer *e, size_t i) {
    mph_diff_free(e->diff);
    e->diff = NULL;
    mph_verdict_free(e->verdict);
    e->verdict = NULL;
    e->index = i;
    e->snap = mph_log_snapshot(e->log, i);
    e->jump = -1;
    mph_error err = {0};
    mph_status st = mph_stats_compute(e->snap, MPH_ALL_AREAS, &e->stats, &err);
    if (!st && i > 0)
        st = mph_diff_compute(mph_log_snapshot(e->log, i - 1), e->snap, &e->diff, &err);
    // --need, else the size of a MemoryError next to the snapshot (a traceback in the log).
    if (!st)
        st = mph_verdict_new(e->snap, e->need, &e->verdict, &err);
    if (!st && e->verdict->need_source == MPH_NEED_NONE) {
        mph_verdict_free(e->verdict);
        e->verdict = NULL;
    }
    if (st) {
        tui_stop(true);
        cli_print_error(e->path, &err);
        return cli_exit_code(st);
    }
    size_t areas = mph_snapshot_area_count(e->snap);
    if (e->area >= areas || e->block >= mph_snapshot_area(e->snap, e->area)->n_blocks) {
        e->area = 0;
        e->block = 0;
    }
    return EXIT_OK;
}

static void layout_of(explorer *e, geom *gm) {
    int rows = LINES, cols = COLS;
    gm->side = cols >= 110;
    gm->legend_h = rows >= 20 ? 2 : 1;
    gm->map_y = 2;
    if (gm->side) {
        gm->panel_w = 40;
        gm->map_w = cols - gm->panel_w - 1;
        gm->panel_x = gm->map_w + 1;
        gm->panel_y = 2;
        gm->map_h = rows - 2 - gm->legend_h - 1;
        gm->panel_h = gm->map_h;
    } else {
        gm->panel_w = cols;
        gm->map_w = cols;
        gm->panel_x = 0;
        gm->panel_h = 4;
        gm->map_h = rows - 2 - gm->panel_h - gm->legend_h - 1;
        gm->panel_y = gm->map_y + gm->map_h;
    }
    if (gm->map_h < 1)
        gm->map_h = 1;
    gm->legend_y = rows - 1 - gm->legend_h;
    unsigned width = tui_map_width(e->snap, gm->map_w);
    uint64_t fit = mph_layout_fit_scale(e->snap, width, (size_t)gm->map_h);
    if (e->scale > fit)
        e->scale = fit;
    if (e->scale < 1)
        e->scale = 1;
    tui_map *m = &gm->map;
    memset(m, 0, sizeof *m);
    m->snap = e->snap;
    m->stats = &e->stats;
    m->diff = e->diff;
    m->highlight = e->highlight;
    m->diff_view = e->diff_view && e->diff;
    m->verdict = e->verdict;
    if (mph_layout_init(&m->layout, e->snap, width, e->scale, NULL) != MPH_OK)
        return;
    m->cursor = true;
    if (!mph_layout_find(&m->layout, e->area, e->block, &m->cur_line, &m->cur_col)) {
        m->cur_line = 1;
        m->cur_col = 0;
    }
    // Keep the cursor on the screen.
    size_t h = (size_t)gm->map_h;
    if (m->cur_line < e->top)
        e->top = m->cur_line > 0 && m->cur_line - 1 < e->top ? m->cur_line - 1 : m->cur_line;
    if (m->cur_line >= e->top + h)
        e->top = m->cur_line - h + 1;
    if (m->layout.n_lines <= h)
        e->top = 0;
    else if (e->top > m->layout.n_lines - h)
        e->top = m->layout.n_lines - h;
    m->top = e->top;
}

/* The panel's lines: what is under the cursor. */

/* The verdict's outcome in words, as the text verdict says it (mph_outcome_name is the JSON token). */
static const char *outcome_words(mph_outcome o) {
    switch (o) {
    case MPH_OUTCOME_FITS_NOW: return "it fits now";
    case MPH_OUTCOME_MAY_AFTER_GC: return "not now; it may after a collection";
    case MPH_OUTCOME_FITS_BY_GROWING: return "only in a new area (by growing the heap)";
    case MPH_OUTCOME_FAILS: return "MemoryError: it fits nowhere";
    default: return "unknown: the dump does not say enough";
    }
}

static size_t panel_lines(const explorer *e, const geom *gm, char lines[][300], size_t max) {
    size_t n = 0;
    const mph_snapshot *s = e->snap;
    unsigned bs = mph_snapshot_block_size(s);
    mph_block_info bi;
    char a[48], b[48];
    if (mph_layout_describe(s, e->area, e->block, &bi, NULL) != MPH_OK) {
        snprintf(lines[n++], 300, "%s",
                 mph_snapshot_header_only(s)
                     ? "no map in this snapshot: mem_info() printed only its header"
                     : "no block here");
        return n;
    }
    int k =
        snprintf(lines[n], 300, "at 0x%llx: area %zu, block %zu",
                 (unsigned long long)(bi.address ? bi.address : (uint64_t)bi.block * (bs ? bs : 1)),
                 bi.area + 1, bi.block);
    if (gm->map.layout.scale > 1) {
        const mph_area *ar = mph_snapshot_area(s, e->area);
        size_t end = e->block + gm->map.layout.scale;
        if (end > ar->n_blocks)
            end = ar->n_blocks;
        size_t used = 0;
        for (size_t i = e->block; i < end; i++)
            used += ar->cells[i] != MPH_CELL_FREE;
        snprintf(lines[n] + k, (size_t)(300 - k), " (cell of %zu blocks, %zu used)", end - e->block,
                 used);
    }
    n++;
    tui_bytes(b, sizeof b, bi.n_blocks, bs);
    snprintf(a, sizeof a, "0x%llx", (unsigned long long)bi.start_address);
    if (bi.free)
        snprintf(lines[n++], 300, "free run from %s (block %zu): %zu blocks, %s",
                 bi.start_address ? a : "?", bi.start, bi.n_blocks, b);
    else
        snprintf(lines[n++], 300, "%s%s (%c) from %s (block %zu): %zu blocks, %s",
                 bi.orphan ? "orphan tails of " : "", mph_type_name(bi.type),
                 mph_type_letter(bi.type), bi.start_address ? a : "?", bi.start, bi.n_blocks, b);
    if (e->diff) {
        size_t n_cls = 0;
        const unsigned char *cls = NULL;
        for (size_t i = 0; i < mph_diff_pair_count(e->diff); i++) {
            const mph_area_pair *p = mph_diff_pair_at(e->diff, i);
            if (p->new_area == (long)e->area) {
                cls = p->classes;
                n_cls = p->n_blocks;
            }
        }
        const mph_diff_summary *sum = mph_diff_get_summary(e->diff);
        snprintf(lines[n++], 300, "since #%zu: %s here; %llu blocks allocated, %llu freed",
                 e->index, cls && e->block < n_cls ? mph_diff_class_name(cls[e->block]) : "new",
                 (unsigned long long)sum->blocks[MPH_DIFF_ALLOCATED],
                 (unsigned long long)sum->blocks[MPH_DIFF_FREED]);
    } else if (n < max) {
        snprintf(lines[n++], 300, "%s",
                 e->n > 1 ? "the first snapshot: no changes to show" : "one snapshot");
    }
    if (e->verdict && n < max) {
        const mph_verdict *v = e->verdict;
        char need[48];
        tui_bytes(need, sizeof need, v->need_bytes, 1);
        if (v->n_windows)
            snprintf(lines[n++], 300, "need %s: %s; b: best window, %zu blocker%s", need,
                     outcome_words(v->outcome), v->windows[0].n_blockers,
                     v->windows[0].n_blockers == 1 ? "" : "s");
        else
            snprintf(lines[n++], 300, "need %s: %s%s", need, outcome_words(v->outcome),
                     v->fits_now ? "; b: where it goes" : "");
    }
    return n;
}

static void draw(explorer *e, geom *gm) {
    erase();
    layout_of(e, gm);
    char title[400], line[400];
    const char *label = mph_snapshot_label(e->snap);
    snprintf(title, sizeof title, " mpheap explore  %s  snapshot %zu/%zu%s%s%s  scale %llu",
             e->path, e->index + 1, e->n, label ? ": \"" : "", label ? label : "",
             label ? "\"" : "", (unsigned long long)gm->map.layout.scale);
    tui_text(0, 0, COLS, A_REVERSE, title);
    tui_summary(&e->stats, line, sizeof line, COLS);
    tui_text(1, 0, COLS, A_BOLD, line);
    tui_draw_map(&gm->map, gm->map_y, 0, gm->map_h, gm->map_w);
    char plines[16][300];
    size_t np = panel_lines(e, gm, plines, 16);
    if (gm->side && np + 8 <= 16) {
        // The side panel has room for the snapshot's label and figures one a line
        // too.
        const mph_stats *st = &e->stats;
        char v[48];
        plines[np++][0] = '\0';
        snprintf(plines[np++], 300, "snapshot %zu of %zu", e->index + 1, e->n);
        snprintf(plines[np++], 300, "label: %s", label ? label : "(none)");
        tui_bytes(v, sizeof v, st->used_blocks, st->block_size);
        snprintf(plines[np++], 300, "used: %s", v);
        tui_bytes(v, sizeof v, st->free_blocks, st->block_size);
        snprintf(plines[np++], 300, "free: %s", v);
        tui_bytes(v, sizeof v, st->largest_free_blocks, st->block_size);
        snprintf(plines[np++], 300, "largest free: %s", v);
        snprintf(plines[np++], 300, "fragmentation: %.1f%%", st->fragmentation * 100);
        snprintf(plines[np++], 300, "allocations: %llu", (unsigned long long)st->allocs);
    }
    // Each line of the panel, broken at blanks where it is narrower than the
    // line.
    int row = 0;
    for (size_t i = 0; i < np && row < gm->panel_h; i++) {
        const char *t = plines[i];
        do {
            size_t n = strlen(t);
            if ((int)n > gm->panel_w) {
                n = (size_t)gm->panel_w;
                while (n > 0 && t[n] != ' ')
                    n--;
                if (n == 0)
                    n = (size_t)gm->panel_w;
            }
            char part[300];
            snprintf(part, sizeof part, "%s%.*s", t == plines[i] ? "" : "  ", (int)n, t);
            tui_text(gm->panel_y + row++, gm->panel_x, gm->panel_w, A_NORMAL, part);
            t += n;
            while (*t == ' ')
                t++;
        } while (*t && row < gm->panel_h && gm->side);
    }
    for (; row < gm->panel_h; row++)
        tui_text(gm->panel_y + row, gm->panel_x, gm->panel_w, A_NORMAL, "");
    if (gm->side)
        for (int i = 0; i < gm->map_h; i++)
            mvaddch(gm->map_y + i, gm->map_w, ACS_VLINE);
    tui_draw_legend(&gm->map, gm->legend_y, 0, COLS, gm->legend_h);
    if (e->message[0])
        tui_text(LINES - 1, 0, COLS, A_BOLD, e->message);
    else
        tui_text(LINES - 1, 0, COLS, A_REVERSE,
                 e->verdict ? " ? help  q quit  arrows move  +/- zoom  g address  / find  n/p "
                              "snapshot  d diff  b blockers"
                            : " ? help  q quit  arrows move  +/- zoom  g address  / find  n/p "
                              "snapshot  d diff");
    refresh();
}

/* Move the cursor to the cell at (line, col) of the layout, or the nearest one
 * in direction dir. */
static void go_line(explorer *e, const geom *gm, long line, long col, int dir) {
    const mph_layout *l = &gm->map.layout;
    if (line < 0)
        line = 0, dir = 1;
    if (line >= (long)l->n_lines)
        line = (long)l->n_lines - 1, dir = -1;
    size_t area, block;
    while (line >= 0 && line < (long)l->n_lines &&
           !mph_layout_block_at(l, (size_t)line, 0, &area, &block))
        line += dir;
    if (line < 0 || line >= (long)l->n_lines)
        return; // nothing further that way
    if (col < 0)
        col = 0;
    if (col >= (long)l->width)
        col = (long)l->width - 1;
    while (col > 0 && !mph_layout_block_at(l, (size_t)line, (unsigned)col, &area, &block))
        col--;
    if (mph_layout_block_at(l, (size_t)line, (unsigned)col, &area, &block)) {
        e->area = area;
        e->block = block;
    }
}

static void go_block(explorer *e, size_t area, size_t block) {
    e->area = area;
    e->block = block;
}

static void find_next(explorer *e, const char *query) {
    mph_type type = MPH_TYPE_OTHER;
    uint64_t bytes = 0;
    bool by_type = cli_parse_type(query, &type);
    if (!by_type && !cli_parse_size(query, &bytes)) {
        set_message(e,
                    "/ takes a type (T L D S A F B M h m, or list, dict...) or a size "
                    "(100, 4K), not '%s'",
                    query);
        return;
    }
    unsigned bs = mph_snapshot_block_size(e->snap);
    mph_block_info here;
    size_t from_area = e->area, from_block = e->block;
    if (mph_layout_describe(e->snap, e->area, e->block, &here, NULL) == MPH_OK && !here.free)
        from_block = here.start;
    mph_alloc_iter it;
    mph_alloc x, first;
    bool have_first = false;
    mph_alloc_iter_init(&it, e->snap);
    while (mph_alloc_iter_next(&it, &x)) {
        bool match = by_type ? x.type == type && !x.orphan
                             : (bs ? (uint64_t)x.n_blocks * bs >= bytes : x.n_blocks >= bytes);
        if (!match)
            continue;
        if (x.area > from_area || (x.area == from_area && x.block > from_block)) {
            go_block(e, x.area, x.block);
            set_message(e, "found %s (%c) at 0x%llx: %zu blocks", mph_type_name(x.type),
                        mph_type_letter(x.type), (unsigned long long)x.address, x.n_blocks);
            return;
        }
        if (!have_first) {
            first = x;
            have_first = true;
        }
    }
    if (have_first) {
        go_block(e, first.area, first.block);
        set_message(e, "found %s (%c) at 0x%llx: %zu blocks (from the top again)",
                    mph_type_name(first.type), mph_type_letter(first.type),
                    (unsigned long long)first.address, first.n_blocks);
    } else if (by_type) {
        set_message(e, "no %s allocation in this snapshot", mph_type_name(type));
    } else {
        set_message(e, "no allocation of at least %s bytes in this snapshot", query);
    }
}

static void jump_verdict(explorer *e) {
    const mph_verdict *v = e->verdict;
    if (!v) {
        set_message(e,
                    "b needs --need SIZE (or a MemoryError in the log): the verdict on that size");
        return;
    }
    if (v->fits_now && v->first_fit.n_blocks) {
        go_block(e, v->first_fit.area, v->first_fit.block);
        set_message(e, "it fits now: the first free run long enough, %llu blocks",
                    (unsigned long long)v->first_fit.n_blocks);
        return;
    }
    if (!v->n_windows) {
        set_message(e, "%s: no window of neighbouring allocations would make room",
                    outcome_words(v->outcome));
        return;
    }
    const mph_window *w = &v->windows[0];
    if (e->jump < 0 || (size_t)e->jump >= w->n_listed) {
        go_block(e, w->run.area, w->run.block);
        set_message(e,
                    "best window: %llu blocks from 0x%llx once its %zu blocker%s freed "
                    "(b: the next blocker)",
                    (unsigned long long)w->run.n_blocks, (unsigned long long)w->run.address,
                    w->n_blockers, w->n_blockers == 1 ? " is" : "s are");
        e->jump = 0;
        return;
    }
    const mph_alloc *x = &w->blockers[e->jump];
    go_block(e, x->area, x->block);
    set_message(e, "blocker %ld of %zu: %s at 0x%llx, %zu blocks", e->jump + 1, w->n_blockers,
                mph_type_name(x->type), (unsigned long long)x->address, x->n_blocks);
    e->jump++;
}

static void jump_address(explorer *e, const char *text) {
    char *end;
    unsigned long long addr = strtoull(text, &end, 16);
    if (end == text || *end) {
        set_message(e, "g takes an address in hex (0x3ffe1230), not '%s'", text);
        return;
    }
    size_t area, block;
    if (!mph_layout_locate(e->snap, addr, &area, &block)) {
        set_message(e, "no block at 0x%llx in this snapshot", addr);
        return;
    }
    go_block(e, area, block);
    set_message(e, "0x%llx", addr);
}

static int run(explorer *e) {
    geom gm;
    int rc = EXIT_OK;
    for (;;) {
        draw(e, &gm);
        timeout(250);
        int c = getch();
        if (tui_interrupted())
            break;
        if (c == ERR)
            continue;
        e->message[0] = '\0';
        const mph_layout *l = &gm.map.layout;
        long line = (long)gm.map.cur_line, col = (long)gm.map.cur_col;
        long page = gm.map_h > 2 ? gm.map_h - 1 : 1;
        if (c != 'b')
            e->jump = -1;
        switch (c) {
        case 'q':
        case 'Q':
        case 3: return rc;
        case KEY_RESIZE: clear(); break;
        case KEY_LEFT:
        case 'h':
            if (col > 0)
                go_line(e, &gm, line, col - 1, -1);
            else
                go_line(e, &gm, line - 1, (long)l->width - 1, -1);
            break;
        case KEY_RIGHT:
        case 'l': {
            size_t a, b;
            if (col + 1 < (long)l->width &&
                mph_layout_block_at(l, (size_t)line, (unsigned)col + 1, &a, &b))
                go_line(e, &gm, line, col + 1, 1);
            else
                go_line(e, &gm, line + 1, 0, 1);
            break;
        }
        case KEY_UP:
        case 'k': go_line(e, &gm, line - 1, col, -1); break;
        case KEY_DOWN:
        case 'j': go_line(e, &gm, line + 1, col, 1); break;
        case KEY_PPAGE: go_line(e, &gm, line - page, col, -1); break;
        case KEY_NPAGE: go_line(e, &gm, line + page, col, 1); break;
        case KEY_HOME: go_block(e, 0, 0); break;
        case KEY_END: {
            if (!mph_snapshot_area_count(e->snap))
                break;
            size_t last = mph_snapshot_area_count(e->snap) - 1;
            size_t nb = mph_snapshot_area(e->snap, last)->n_blocks;
            go_block(e, last, nb ? nb - 1 : 0);
            break;
        }
        case '+':
        case '=':
            if (e->scale > 1)
                e->scale /= 2;
            else
                set_message(e, "one block per cell: as close as it gets");
            break;
        case '-':
        case '_': {
            uint64_t fit = mph_layout_fit_scale(e->snap, l->width, (size_t)gm.map_h);
            if (e->scale < fit)
                e->scale *= 2;
            else
                set_message(e, "the whole heap is on the screen");
            break;
        }
        case 'n':
        case ']':
            if (e->index + 1 < e->n) {
                if ((rc = select_snapshot(e, e->index + 1)))
                    return rc;
            } else {
                set_message(e, "the last snapshot (%zu of %zu)", e->n, e->n);
            }
            break;
        case 'p':
        case '[':
            if (e->index > 0) {
                if ((rc = select_snapshot(e, e->index - 1)))
                    return rc;
            } else {
                set_message(e, "the first snapshot");
            }
            break;
        case 'd':
            if (e->diff)
                e->diff_view = !e->diff_view;
            else
                set_message(e, "the first snapshot: nothing to compare it with");
            break;
        case 'c': e->highlight = !e->highlight; break;
        case 'g': {
            char text[64];
            if (tui_prompt(LINES - 1, "go to address: ", text, sizeof text) && text[0])
                jump_address(e, text);
            break;
        }
        case '/': {
            char text[64];
            if (tui_prompt(LINES - 1, "find type or size: ", text, sizeof text)) {
                if (text[0])
                    snprintf(e->last_find, sizeof e->last_find, "%s", text);
                if (e->last_find[0])
                    find_next(e, e->last_find);
            }
            break;
        }
        case 'b':
        case 'w': jump_verdict(e); break;
        case '?': tui_help(help_lines); break;
        default: break;
        }
        if (tui_interrupted())
            break;
        // Align the cursor on its cell's first block.
        if (e->scale > 1)
            e->block -= e->block % e->scale;
    }
    return rc;
}

int cmd_explore(int argc, char **argv) {
    static const struct option longopts[] = {{"snapshot", required_argument, NULL, 's'},
                                             {"need", required_argument, NULL, OPT_NEED},
                                             {"palette", required_argument, NULL, OPT_PALETTE},
                                             {"color", required_argument, NULL, OPT_COLOR},
                                             CLI_INPUT_LONGOPTS,
                                             {NULL, 0, NULL, 0}};
    input_options in;
    memset(&in, 0, sizeof in);
    explorer e;
    memset(&e, 0, sizeof e);
    const char *selector = NULL, *color = "auto";
    mph_palette_kind palette = MPH_PALETTE_DEFAULT;
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 's': selector = optarg; break;
        case OPT_NEED:
            if (!cli_parse_need(optarg, &e.need))
                return EXIT_USAGE;
            break;
        case OPT_PALETTE:
            if (!cli_parse_palette(optarg, &palette))
                return EXIT_USAGE;
            break;
        case OPT_COLOR: color = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default:
            if ((c = cli_input_option(c, optarg, &in, usage)) != EXIT_OK)
                return c;
            break;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "mpheap: explore takes one FILE or LOG\n%s", usage);
        return EXIT_USAGE;
    }
    e.path = argv[optind];
    if (strcmp(e.path, "-") == 0) {
        fprintf(stderr, "mpheap: explore reads its keys from the terminal: give it a FILE, "
                        "not standard input\n");
        return EXIT_USAGE;
    }
    int want_color = cli_color_choice(color, stdout);
    if (want_color < 0) {
        fprintf(stderr, "mpheap: --color takes auto, always or never, not '%s'\n", color);
        return EXIT_USAGE;
    }
    if ((rc = tui_require_terminal("explore", "`mpheap show -s all FILE` (or `mpheap show "
                                              "FILE` for one snapshot)")))
        return rc;
    if ((rc = cli_load(e.path, &in, &e.log)))
        return rc;
    e.n = mph_log_snapshot_count(e.log);
    size_t start = e.n - 1;
    if (selector && (rc = cli_pick_snapshot(e.log, selector, "--snapshot", &start))) {
        mph_log_free(e.log);
        return rc;
    }
    e.highlight = true;
    e.scale = 1;
    if ((rc = tui_start(palette, want_color != 0))) {
        mph_log_free(e.log);
        return rc;
    }
    if (!(rc = select_snapshot(&e, start)))
        rc = run(&e);
    // Ctrl-C is a way to quit, as q is; SIGTERM and SIGHUP end it as the signal
    // would.
    int sig = tui_interrupted();
    if (rc == EXIT_OK && (sig == SIGTERM || sig == SIGHUP))
        rc = 128 + sig;
    tui_stop(rc != EXIT_OK && rc < 128);
    mph_diff_free(e.diff);
    mph_verdict_free(e.verdict);
    mph_log_free(e.log);
    return rc;
}
