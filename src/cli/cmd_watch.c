/* mpheap watch: a board's heap live, full screen, the way htop is left open.
 * The board is polled through the raw REPL (as capture does), or with
 * --listen its running program prints its own snapshots (device/mpheap.py)
 * and is never interrupted. Every snapshot also goes to a log, written whole
 * (one write, then fsync), which explore, show and timeline read afterwards.
 * A board that goes away is waited for; the log stays open meanwhile. */
#include "log_writer.h"
#include "tui.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: mpheap watch [options]\n"
    "Watch a board's heap live, full screen: a summary bar, sparklines over the\n"
    "whole watch, the map fitted to the window, the blocks changed since the last\n"
    "snapshot highlighted. Every snapshot is appended to a log as well, which\n"
    "`mpheap explore LOG` goes through.\n"
    "\n"
    "  -p, --port P          auto (default), PATH or port:PATH, a0..a3, u0..u3,\n"
    "                        id:SERIAL, sim[:HEAP[,fixed]] (the virtual board),\n"
    "                        exec:CMD, pipe:CMD\n"
    "      --every SECONDS   time from one snapshot to the next (default 1;\n"
    "                        0: back to back)\n"
    "      --gc              collect garbage before each snapshot\n"
    "      --listen          do not stop the board's program: show the dumps it\n"
    "                        prints (device/mpheap.py's mpheap.snapshot())\n"
    "  -r, --run FILE.py     with --listen: run FILE on the board, show its dumps\n"
    "  -o, --output LOG      append to LOG (default: mpheap-watch-TIME.log here,\n"
    "                        named on exit)\n"
    "  -n, --count N         stop after N snapshots (default: until q)\n"
    "      --timeout SECONDS how long a silent board is taken for gone (default 3)\n"
    "      --palette NAME    safe (default), notebook, type, rainbow or mono\n"
    "      --color WHEN      auto (default; honours NO_COLOR), always or never\n"
    "  -h, --help            this text\n"
    "\n"
    "keys: q or Ctrl-C quit, space pauses, d the diff view, ? help. A board that\n"
    "goes away is shown in the status line; the watch goes on when it comes back.\n"
    "A dump that does not parse is never put in the log: it goes to LOG.damaged,\n"
    "and the watch exits 5, as capture does.\n"
    "It needs a terminal: elsewhere use `mpheap capture --every SECONDS -o LOG`.\n";

static const char *const help_lines[] = {
    "mpheap watch: keys",
    "",
    "space      pause / go on (the board is not polled meanwhile)",
    "d          diff view: every block by its change since the last",
    "?          this help",
    "q, Ctrl-C  quit (the log is named on the way out)",
    "",
    "The blocks that changed since the previous snapshot are",
    "highlighted until the next one. Without colour:",
    "+ allocated, - freed, ~ reused (* in an overview).",
    "",
    "any key closes this box",
    NULL};

enum { OPT_EVERY = 400, OPT_GC, OPT_LISTEN, OPT_TIMEOUT, OPT_PALETTE, OPT_COLOR };

#define HISTORY 4096

typedef struct watcher {
    /* options */
    const char *port;
    bool gc, listen;
    double every, timeout;
    long count;
    const char *code;
    size_t code_len;
    mph_parse_options parse;
    /* the board */
    mph_transport *t;
    mph_repl *r;
    bool running; /* --run's code is running (its output is followed) */
    bool gone;
    double gone_since, last_try;
    char board_msg[300];
    char name[200];
    /* the log (log.dumps: the snapshots appended by this watch) */
    cli_logw log;
    const char *log_path;
    int first_index; /* snapshots already in the log */
    int damaged_seen;
    /* the screen */
    mph_log *cur_log, *prev_log;
    mph_stats stats;
    mph_diff *diff;
    bool paused, diff_view;
    double used[HISTORY], largest[HISTORY], frag[HISTORY];
    size_t n_hist;
    double t_first, t_last;
    int shown;
    char note[300];
} watcher;

/* ------------------------------------------------------------ the screen */

/* A new snapshot (its log is taken over): figures, changes since the last,
 * history. */
static void show_snapshot(watcher *w, mph_log *log) {
    const mph_snapshot *s = mph_log_snapshot(log, mph_log_snapshot_count(log) - 1);
    mph_stats st;
    if (mph_stats_compute(s, MPH_ALL_AREAS, &st, NULL) != MPH_OK) {
        mph_log_free(log);
        return;
    }
    mph_diff_free(w->diff);
    w->diff = NULL;
    mph_log_free(w->prev_log);
    w->prev_log = w->cur_log;
    w->cur_log = log;
    w->stats = st;
    if (w->prev_log) {
        const mph_snapshot *old =
            mph_log_snapshot(w->prev_log, mph_log_snapshot_count(w->prev_log) - 1);
        if (mph_diff_compute(old, s, &w->diff, NULL) != MPH_OK)
            w->diff = NULL;
    }
    if (w->n_hist == HISTORY) {
        memmove(w->used, w->used + 1, (HISTORY - 1) * sizeof *w->used);
        memmove(w->largest, w->largest + 1, (HISTORY - 1) * sizeof *w->largest);
        memmove(w->frag, w->frag + 1, (HISTORY - 1) * sizeof *w->frag);
        w->n_hist--;
    }
    w->used[w->n_hist] = st.total_blocks ? (double)st.used_blocks / (double)st.total_blocks : 0;
    w->largest[w->n_hist] = (double)st.largest_free_blocks;
    w->frag[w->n_hist] = st.fragmentation;
    w->n_hist++;
    double t = cli_mono_now();
    if (!w->shown)
        w->t_first = t;
    w->t_last = t;
    w->shown++;
}

static void draw(watcher *w) {
    erase();
    char title[600], line[400];
    double rate =
        w->shown > 1 && w->t_last > w->t_first ? (w->shown - 1) / (w->t_last - w->t_first) : 0;
    char per_s[32] = "";
    if (!w->listen) // a listened program prints when it likes: no rate to speak
                    // of
        snprintf(per_s, sizeof per_s, "  %.1f/s", rate);
    snprintf(title, sizeof title, " mpheap watch  %s  snapshot %d%s  log %s%s%s", w->name,
             w->first_index + w->log.dumps, per_s, w->log_path, w->gc ? "  --gc" : "",
             w->paused ? "  [paused]" : "");
    tui_text(0, 0, COLS, A_REVERSE, title);
    int legend_h = LINES >= 20 ? 2 : 1;
    int sparks = LINES >= 20 ? 3 : LINES >= 14 ? 1 : 0;
    if (!w->cur_log) {
        tui_text(1, 0, COLS, A_NORMAL,
                 w->listen ? "waiting for the program's first dump "
                             "(mpheap.snapshot())"
                           : "waiting for the first snapshot");
    } else {
        const mph_snapshot *s =
            mph_log_snapshot(w->cur_log, mph_log_snapshot_count(w->cur_log) - 1);
        tui_summary(&w->stats, line, sizeof line, COLS);
        tui_text(1, 0, COLS, A_BOLD, line);
        static const char *const names[3] = {"used    ", "largest ", "frag    "};
        const double *series[3] = {w->used, w->largest, w->frag};
        for (int i = 0; i < sparks; i++) {
            char value[64];
            if (i == 0)
                snprintf(value, sizeof value, " %5.1f%%", w->used[w->n_hist - 1] * 100);
            else if (i == 1)
                tui_bytes(value, sizeof value, (uint64_t)w->largest[w->n_hist - 1],
                          w->stats.block_size);
            else
                snprintf(value, sizeof value, " %5.1f%%", w->frag[w->n_hist - 1] * 100);
            int vw = 16;
            tui_text(2 + i, 0, 8, A_NORMAL, names[i]);
            tui_sparkline(2 + i, 8, COLS - 8 - vw, series[i], w->n_hist);
            char v2[80];
            snprintf(v2, sizeof v2, " %s", value);
            tui_text(2 + i, COLS - vw, vw, A_NORMAL, v2);
        }
        int map_y = 2 + sparks, map_h = LINES - map_y - legend_h - 1;
        if (map_h < 1)
            map_h = 1;
        tui_map m;
        memset(&m, 0, sizeof m);
        m.snap = s;
        m.stats = &w->stats;
        m.diff = w->diff;
        m.highlight = true;
        m.diff_view = w->diff_view && w->diff;
        unsigned width = tui_map_width(s, COLS);
        // Fitted to the window, as --scale auto fits the terminal.
        uint64_t scale = mph_layout_fit_scale(s, width, (size_t)map_h);
        if (mph_layout_init(&m.layout, s, width, scale, NULL) == MPH_OK) {
            tui_draw_map(&m, map_y, 0, map_h, COLS);
            tui_draw_legend(&m, LINES - 1 - legend_h, 0, COLS, legend_h);
        }
    }
    const char *status = w->board_msg[0] ? w->board_msg : w->note;
    char gone[400];
    if (w->gone) {
        snprintf(gone, sizeof gone,
                 " board gone %.0f s ago, waiting for it to come back (the "
                 "log is kept): %s",
                 cli_mono_now() - w->gone_since, w->board_msg);
        status = gone;
    }
    tui_text(LINES - 1, 0, COLS, w->gone ? (A_REVERSE | A_BOLD) : A_NORMAL,
             status[0] ? status : " ? help  q quit  space pause  d diff");
    refresh();
}

/* ----------------------------------------------------------- the board */

static void disconnect(watcher *w) {
    mph_repl_free(w->r);
    w->r = NULL;
    mph_transport_free(w->t);
    w->t = NULL;
    w->running = false;
}

static void lost(watcher *w, const char *why) {
    disconnect(w);
    w->gone = true;
    w->gone_since = cli_mono_now();
    w->last_try = w->gone_since;
    time_t tt = time(NULL);
    struct tm tm;
    localtime_r(&tt, &tm);
    char at[16];
    strftime(at, sizeof at, "%H:%M:%S", &tm);
    snprintf(w->board_msg, sizeof w->board_msg, "%.200s, at %s", why, at);
}

/* Open the board, and for polling (or --run) enter the raw REPL. Prints errors
 * (to the kept stderr while the screen is ours); returns an exit code. */
static int connect_board(watcher *w, bool first) {
    int rc = cli_open_board(w->port, &w->t);
    if (rc)
        return rc;
    snprintf(w->name, sizeof w->name, "%s", mph_transport_name(w->t));
    mph_repl_options ro;
    cli_repl_options(w->port, w->timeout, &ro);
    w->r = mph_repl_new(w->t, &ro);
    if (!w->r) {
        disconnect(w);
        fprintf(stderr, "mpheap: error: out of memory\n");
        return EXIT_IO;
    }
    if (w->listen && !(first && w->code))
        return EXIT_OK; // only reading: nothing is sent
    mph_error err = {0};
    mph_status st = mph_repl_enter(w->r, false, &err);
    if (!st && first && w->code) {
        st = mph_repl_exec_start(w->r, w->code, w->code_len, &err);
        w->running = st == MPH_OK;
    }
    if (st) {
        cli_print_device_error(w->name, &err);
        disconnect(w);
        return cli_exit_code(st);
    }
    return EXIT_OK;
}

static void try_reconnect(watcher *w) {
    double t = cli_mono_now();
    if (t - w->last_try < 0.5)
        return;
    w->last_try = t;
    if (connect_board(w, false) != EXIT_OK)
        return;
    double away = cli_mono_now() - w->gone_since;
    w->gone = false;
    snprintf(w->board_msg, sizeof w->board_msg,
             " board back after %.1f s away (%s); the log "
             "goes on",
             away, w->name);
}

/* A dump written to the log: onto the screen. */
static void on_dump(void *ctx, mph_log *log) { show_snapshot(ctx, log); }

/* A dump that did not parse went to LOG.damaged (and its message to the kept
 * stderr): said in the status line too. */
static void note_damaged(watcher *w) {
    if (w->log.damaged == w->damaged_seen)
        return;
    w->damaged_seen = w->log.damaged;
    snprintf(w->note, sizeof w->note, " %.200s: kept in %s.damaged", w->log.damaged_note,
             w->log_path);
}

/* One snapshot through the raw REPL: into the log, onto the screen. */
static void poll_once(watcher *w) {
    cli_buffer text = {0};
    mph_sink sink = {cli_buffer_write, &text};
    mph_error err = {0};
    int index = w->first_index + w->log.dumps + 1;
    mph_status st = cli_logw_marker(&text, index, 0, "watch", w->gc);
    size_t marker_len = text.len;
    if (!st)
        st = mph_repl_snapshot(w->r, w->gc, &sink, &err);
    if (st) {
        free(text.data);
        lost(w, st == MPH_ERR_RAISED ? "the snapshot code raised" : err.message);
        return;
    }
    char what[48];
    snprintf(what, sizeof what, "snapshot %d", index);
    (void)cli_logw_snapshot(&w->log, text.data, text.len, marker_len, what);
    free(text.data);
    note_damaged(w);
}

/* --listen: read what the board prints for up to ms milliseconds. */
static void listen_read(watcher *w, int ms) {
    mph_error err = {0};
    mph_status st;
    if (w->running) {
        mph_sink sink = {cli_logw_feed, &w->log};
        st = mph_repl_follow(w->r, &sink, ms, &err);
        if (st == MPH_OK || st == MPH_ERR_RAISED) {
            w->running = false;
            cli_logw_end(&w->log, false);
            if (st == MPH_ERR_RAISED) {
                // In the log as the board printed it: a MemoryError names the size that
                // failed.
                const char *tb = mph_repl_traceback(w->r);
                cli_logw_text(&w->log, tb, strlen(tb));
                const char *last = tb + strlen(tb);
                while (last > tb && (last[-1] == '\n' || last[-1] == '\r'))
                    last--;
                const char *from = last;
                while (from > tb && from[-1] != '\n')
                    from--;
                snprintf(w->note, sizeof w->note, " the program raised: %.*s; still listening",
                         (int)(last - from), from);
            } else {
                snprintf(w->note, sizeof w->note, " the program ended; still listening");
            }
            mph_error ignored;
            if (mph_repl_leave(w->r, &ignored) != MPH_OK)
                lost(w, "could not leave the raw REPL");
            return;
        }
        if (st == MPH_ERR_TIMEOUT) {
            cli_logw_idle(&w->log);
            return;
        }
    } else {
        char buf[4096];
        size_t got = 0;
        st = mph_transport_read(w->t, buf, sizeof buf, &got, ms, &err);
        if (st == MPH_OK) {
            (void)cli_logw_feed(&w->log, buf, got);
            return;
        }
        if (st == MPH_ERR_TIMEOUT) {
            cli_logw_idle(&w->log);
            return;
        }
    }
    cli_logw_end(&w->log, true);
    lost(w, err.message[0] ? err.message : mph_status_name(st));
}

static void listen_once(watcher *w, int ms) {
    listen_read(w, ms);
    note_damaged(w);
}

/* ------------------------------------------------------------- the loop */

static void run(watcher *w) {
    double next = cli_mono_now();
    bool dirty = true;
    double drawn = 0;
    while (!tui_interrupted()) {
        if (w->count > 0 && w->log.dumps >= w->count)
            break;
        double t = cli_mono_now();
        // Keys: wait until the next snapshot is due, a key, or 100 ms.
        int wait_ms = 0;
        if (w->gone || w->paused || w->listen)
            wait_ms = w->listen && !w->gone && !w->paused ? 0 : 100;
        else if (next > t)
            wait_ms = (int)((next - t) * 1000) > 100 ? 100 : (int)((next - t) * 1000);
        timeout(wait_ms);
        int c = getch();
        if (tui_interrupted())
            break;
        if (c == 'q' || c == 'Q' || c == 3)
            break;
        if (c == ' ')
            w->paused = !w->paused;
        else if (c == 'd')
            w->diff_view = !w->diff_view;
        else if (c == '?')
            tui_help(help_lines);
        else if (c == KEY_RESIZE)
            clear();
        if (c != ERR)
            dirty = true;
        int before = w->shown;
        bool was_gone = w->gone;
        if (w->gone) {
            try_reconnect(w);
        } else if (!w->paused && w->listen) {
            listen_once(w, 50);
        } else if (!w->paused && cli_mono_now() >= next) {
            poll_once(w);
            // From the planned time, so the rate holds; a late one is not made up
            // for.
            next = next + w->every > cli_mono_now() ? next + w->every : cli_mono_now();
        }
        if (w->shown != before || w->gone != was_gone)
            dirty = true;
        // The time gone counts up once a second.
        if (dirty || (w->gone && cli_mono_now() - drawn >= 1)) {
            draw(w);
            drawn = cli_mono_now();
            dirty = false;
        }
        if (w->log.io_errno)
            break;
    }
}

int cmd_watch(int argc, char **argv) {
    static const struct option longopts[] = {{"port", required_argument, NULL, 'p'},
                                             {"every", required_argument, NULL, OPT_EVERY},
                                             {"gc", no_argument, NULL, OPT_GC},
                                             {"listen", no_argument, NULL, OPT_LISTEN},
                                             {"run", required_argument, NULL, 'r'},
                                             {"output", required_argument, NULL, 'o'},
                                             {"count", required_argument, NULL, 'n'},
                                             {"timeout", required_argument, NULL, OPT_TIMEOUT},
                                             {"palette", required_argument, NULL, OPT_PALETTE},
                                             {"color", required_argument, NULL, OPT_COLOR},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    static watcher w; // large (the history): not on the stack
    memset(&w, 0, sizeof w);
    w.port = "auto";
    w.every = 1;
    w.timeout = 3;
    const char *output = NULL, *run_file = NULL, *color = "auto";
    mph_palette_kind palette = MPH_PALETTE_DEFAULT;
    bool every_given = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:r:o:n:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (!cli_port_word_ok(optarg))
                return EXIT_USAGE;
            w.port = optarg;
            break;
        case OPT_EVERY:
            if (!cli_parse_seconds(optarg, &w.every)) {
                fprintf(stderr, "mpheap: --every takes seconds, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            every_given = true;
            break;
        case OPT_GC: w.gc = true; break;
        case OPT_LISTEN: w.listen = true; break;
        case 'r': run_file = optarg; break;
        case 'o': output = optarg; break;
        case 'n': {
            uint64_t n;
            if (!cli_parse_count(optarg, &n) || n < 1 || n > 100000000) {
                fprintf(stderr, "mpheap: --count takes a number from 1, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            w.count = (long)n;
            break;
        }
        case OPT_TIMEOUT:
            if (!cli_parse_seconds(optarg, &w.timeout) || w.timeout < 0.1) {
                fprintf(stderr, "mpheap: --timeout takes seconds (at least 0.1), not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_PALETTE:
            if (!cli_parse_palette(optarg, &palette))
                return EXIT_USAGE;
            break;
        case OPT_COLOR: color = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: fputs(usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr,
                "mpheap: watch takes no FILE ('%s'): `mpheap explore %s` goes through "
                "a log\n",
                argv[optind], argv[optind]);
        return EXIT_USAGE;
    }
    if (w.listen && (w.gc || every_given)) {
        fprintf(stderr, "mpheap: --listen shows the dumps the program prints: --gc and --every "
                        "need the raw REPL\n");
        return EXIT_USAGE;
    }
    if (run_file && !w.listen) {
        fprintf(stderr, "mpheap: --run needs --listen (the program prints its own snapshots; "
                        "polling would stop it)\n");
        return EXIT_USAGE;
    }
    int want_color = cli_color_choice(color, stdout);
    if (want_color < 0) {
        fprintf(stderr, "mpheap: --color takes auto, always or never, not '%s'\n", color);
        return EXIT_USAGE;
    }
    int rc = tui_require_terminal("watch", "`mpheap capture --every SECONDS -n N -o LOG`, then "
                                           "`mpheap show` or `mpheap timeline` on the log");
    if (rc)
        return rc;
    cli_buffer code = {0};
    if (run_file) {
        if ((rc = cli_read_file(run_file, &code)))
            return rc;
        w.code = code.data ? code.data : "";
        w.code_len = code.len;
    }
    char default_log[64];
    if (!output) {
        time_t tt = time(NULL);
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(default_log, sizeof default_log, "mpheap-watch-%Y%m%dT%H%M%SZ.log", &tm);
        output = default_log;
    }
    w.log_path = output;
    if (cli_logw_open(&w.log, output) != EXIT_OK) {
        free(code.data);
        return cli_logw_close(&w.log, EXIT_IO);
    }
    // The screen is the terminal: no progress lines, and the program's output all
    // in the log (it has nowhere else to go).
    w.log.quiet = true;
    w.log.plain_limit = UINT64_MAX;
    w.log.dump_seconds_option = ""; // watch has no option for it
    w.log.on_dump = on_dump;
    w.log.on_dump_ctx = &w;
    w.first_index = cli_logw_count(&w.log);
    // The board first, before the screen is taken: a wrong port is said plainly.
    if ((rc = connect_board(&w, true)))
        goto done;
    if ((rc = tui_start(palette, want_color != 0)))
        goto done;
    run(&w);
    if (w.listen)
        cli_logw_end(&w.log, false); // the rest: a dump that is whole, the last line
    if (w.log.io_errno)
        rc = EXIT_IO;
    // Ctrl-C is a way to quit, as q is; SIGTERM and SIGHUP end it as the signal
    // would.
    int sig = tui_interrupted();
    if (rc == EXIT_OK && (sig == SIGTERM || sig == SIGHUP))
        rc = 128 + sig;
    // Damaged dumps fail the watch as they fail a capture: their messages, kept
    // while the screen was ours, are shown then.
    rc = cli_logw_damaged_rc(&w.log, rc);
    tui_stop(rc != EXIT_OK && rc < 128);
    if (!w.listen && w.r && !w.gone) {
        mph_error ignored;
        (void)!mph_repl_leave(w.r, &ignored);
    }
    int n = w.log.dumps;
    if (w.log.io_errno) {
        fprintf(stderr, "mpheap: %s: error: %s\n", output, strerror(w.log.io_errno));
    } else {
        double span = w.t_last - w.t_first;
        char rate[64] = "";
        if (!w.listen && w.shown > 1 && span > 0)
            snprintf(rate, sizeof rate, " (%d refreshes in %.2f s: %.1f a second)", w.shown - 1,
                     span, (w.shown - 1) / span);
        fprintf(stderr, "mpheap: watch: %d snapshot%s%s appended to %s%s\n", n,
                n == 1 ? "" : "s", rate, output,
                n ? "; go through them with `mpheap explore`" : "");
        if (w.gone)
            fprintf(stderr, "mpheap: watch: the board was gone at the end (%s)\n", w.board_msg);
    }
done:
    disconnect(&w);
    rc = cli_logw_close(&w.log, rc);
    if (output == default_log && w.log.dumps == 0 && w.first_index == 0)
        (void)unlink(default_log); // nothing was kept: no empty file left behind
    mph_diff_free(w.diff);
    mph_log_free(w.cur_log);
    mph_log_free(w.prev_log);
    free(code.data);
    return rc;
}
