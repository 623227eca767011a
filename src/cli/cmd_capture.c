/* mpheap capture: heap snapshots from a board into a log that every other
 * command reads. Raw REPL mode runs the user's code and takes the snapshots;
 * listen mode only reads the console of a running program and keeps the
 * dumps it prints (device/mpheap.py). The log is appended to, and a dump is
 * written only when it is whole (one write, then fsync), so a capture that
 * dies leaves a log that parses. */
#include "log_writer.h"
#include "sys.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: mpheap capture [options]\n"
    "Take heap snapshots (micropython.mem_info(1)) from a board and append them to a log\n"
    "that show, diff, stats, check and timeline read.\n"
    "\n"
    "  -p, --port P          auto (default: the first USB serial port), PATH or port:PATH\n"
    "                        (a device path), a0..a3 (/dev/ttyACMn), u0..u3 (/dev/ttyUSBn),\n"
    "                        id:SERIAL, sim[:HEAP[,fixed]] (the virtual board; fixed: its\n"
    "                        heap cannot grow), exec:CMD (a board program on a pty),\n"
    "                        pipe:CMD (the same over pipes)\n"
    "  -e, --exec CODE       run CODE on the board first\n"
    "  -r, --run FILE.py     run FILE on the board first (sent, not copied to its flash)\n"
    "      --before          also take a snapshot before the code runs\n"
    "      --gc              collect garbage before each snapshot\n"
    "  -n, --count N         how many snapshots (default 1; with --listen: stop after N\n"
    "                        dumps, default: until Ctrl-C or the program ends)\n"
    "      --every SECONDS   time from one snapshot to the next (default 0: back to back)\n"
    "  -l, --label TEXT      the snapshots' label (default: after FILE, after exec, snapshot)\n"
    "  -o, --output LOG      append to LOG (default: standard output)\n"
    "      --listen          do not stop the board's program: read its console and keep\n"
    "                        the dumps it prints (device/mpheap.py prints labelled ones)\n"
    "      --soft-reset      soft-reset the board first (a fresh heap; by default the heap\n"
    "                        is left as it is)\n"
    "      --timeout SECONDS how long a silent board is taken for dead while mpheap waits\n"
    "                        for its answer (default 10; not while your code runs; with\n"
    "                        --listen: stop after SECONDS of silence, default never)\n"
    "      --run-timeout SECONDS\n"
    "                        stop the --exec/--run code with Ctrl-C after SECONDS\n"
    "                        (default: no limit; Ctrl-C on the host stops it too)\n"
    "      --snapshot-timeout SECONDS\n"
    "                        the most one snapshot may take in all, however slowly the\n"
    "                        board sends it (default 120)\n"
    "  -q, --quiet           no progress on stderr\n"
    "  -h, --help            this text\n"
    "\n"
    "Each snapshot is preceded by a marker line: === mpheap 2/5: LABEL @ TIME ===, which\n"
    "with --gc ends in (after gc.collect()) ===. The numbers go on across captures\n"
    "appended to one LOG: N is the snapshot's number in the log (show -s N), 5 the\n"
    "log's count once this capture is done. When the board's code raises, its\n"
    "traceback goes to the log too, before the snapshots taken after it. A dump that\n"
    "does not parse is never put in the log: it goes to LOG.damaged.\n"
    "Exit status: 0 ok, 1 the board's code raised or ran past --run-timeout (the\n"
    "snapshots are still taken), 2 usage, 4 the log could not be written, 5 the board\n"
    "failed, went away or sent a damaged dump (the snapshots taken until then are in\n"
    "the log), 130 (143) Ctrl-C (SIGTERM) cut the capture short (the same).\n";

enum {
    OPT_PORT = 256,
    OPT_BEFORE,
    OPT_GC,
    OPT_EVERY,
    OPT_LISTEN,
    OPT_SOFT_RESET,
    OPT_TIMEOUT,
    OPT_RUN_TIMEOUT,
    OPT_SNAPSHOT_TIMEOUT
};

#define EXIT_CUT 128 /* + the signal: Ctrl-C or SIGTERM cut the capture short */

/* Raised by SIGINT/SIGTERM; the raw-REPL client looks at it in every wait. */
static volatile sig_atomic_t stop_requested, stop_signal;

static void on_signal(int sig) {
    stop_requested = 1;
    stop_signal = sig;
}

static void sleep_until(double t) {
    for (;;) {
        double left = t - cli_mono_now();
        if (left <= 0 || stop_requested)
            return;
        if (left > 0.2)
            left = 0.2;
        struct timespec ts = {0, (long)(left * 1e9)};
        nanosleep(&ts, NULL);
    }
}

/* ------------------------------------------------------------ raw mode */

typedef struct capture {
    const char *port;
    const char *code;   /* --exec, or the --run file's text */
    size_t code_len;
    const char *what;   /* "exec" or the file name */
    bool before, gc, soft_reset, listen, quiet;
    long count;
    double every, timeout, run_timeout, snapshot_timeout;
    const char *label;
    int first_index; /* snapshots already in the log: the numbering goes on from there */
} capture;

static int device_error(const char *name, const mph_error *err, mph_status st, const cli_logw *w) {
    cli_print_device_error(name, err);
    if (w->dumps)
        fprintf(stderr, "mpheap: %s: the %d snapshot%s taken before are in %s\n", name, w->dumps,
                w->dumps == 1 ? "" : "s", w->name);
    // A dump past its size is the board's failing, not bad input of the user's.
    return st == MPH_ERR_LIMIT ? EXIT_DEVICE : cli_exit_code(st);
}

/* Ctrl-C or SIGTERM cut the capture short: say so; the exit code. */
static int cut_short(const char *name, const cli_logw *w, const char *what) {
    int sig = stop_signal ? (int)stop_signal : SIGINT;
    fprintf(stderr, "mpheap: %s: stopped by %s%s%s", name, sig == SIGTERM ? "SIGTERM" : "Ctrl-C",
            what ? " during " : "", what ? what : "");
    if (w->dumps)
        fprintf(stderr, "; the %d snapshot%s taken before are in %s", w->dumps,
                w->dumps == 1 ? "" : "s", w->name);
    fputc('\n', stderr);
    return EXIT_CUT + sig;
}

/* One snapshot through the raw REPL, written with its marker when whole.
 * *index is the last snapshot's number in the log, *total the log's count
 * at the end: a damaged dump is numbered by neither. */
static int take_snapshot(const capture *c, mph_repl *r, mph_transport *t, cli_logw *w, int *index,
                         int *total, const char *label) {
    const char *name = mph_transport_name(t);
    cli_buffer text = {0};
    mph_sink sink = {cli_buffer_write, &text};
    mph_error err = {0};
    uint64_t in0, out0, in1, out1;
    mph_transport_counts(t, &in0, &out0);
    double t0 = cli_mono_now();
    mph_status st = cli_logw_marker(&text, *index + 1, *total, label, c->gc);
    size_t n = text.len;
    if (!st)
        st = mph_repl_snapshot(r, c->gc, &sink, &err);
    double ms = (cli_mono_now() - t0) * 1000;
    mph_transport_counts(t, &in1, &out1);
    if (st) {
        if (text.len > n && st != MPH_ERR_STOPPED)
            fprintf(stderr, "mpheap: %s: snapshot %d was cut short after %zu bytes: left out "
                            "of the log\n",
                    name, *index + 1, text.len - n);
        free(text.data);
        if (st == MPH_ERR_STOPPED) {
            char what[64];
            snprintf(what, sizeof what, "snapshot %d (left out of the log)", *index + 1);
            return cut_short(name, w, what);
        }
        if (st == MPH_ERR_RAISED) {
            fprintf(stderr, "mpheap: %s: the snapshot code raised:\n", name);
            const char *tb = mph_repl_traceback(r);
            cli_write_clean(stderr, tb, strlen(tb));
            fputc('\n', stderr);
            return EXIT_DEVICE;
        }
        return device_error(name, &err, st, w);
    }
    char what[600];
    snprintf(what, sizeof what, "snapshot %d/%d \"%s\" (%.2f ms, %llu bytes from the board, %llu "
                                "to it)",
             *index + 1, *total, label, ms, (unsigned long long)(in1 - in0),
             (unsigned long long)(out1 - out0));
    cli_logw_result res = cli_logw_snapshot(w, text.data, text.len, n, what);
    free(text.data);
    if (res == CLI_LOGW_DAMAGED) {
        (*total)--; // said, and in LOG.damaged: it takes no number
        return EXIT_OK;
    }
    if (res == CLI_LOGW_FAILED) {
        fprintf(stderr, "mpheap: %s: error: %s\n", w->name, strerror(w->io_errno));
        return EXIT_IO;
    }
    ++*index;
    if (res == CLI_LOGW_UNCLEAN)
        fprintf(stderr, "mpheap: %s: warning: snapshot %d does not parse cleanly (line noise?)\n",
                name, *index);
    return EXIT_OK;
}

/* Run the user's code; its output goes to the log (dumps it prints included).
 * The board may be silent while the code runs (the virtual board says nothing
 * until it returns): that is no error. The run's own limit is --run-timeout
 * (none by default), after which the board gets Ctrl-C and then has --timeout
 * to end the run. Ctrl-C or SIGTERM on the host sends Ctrl-C too, and waits
 * under a second for the end: the capture is then cut short. */
static int run_code(const capture *c, mph_repl *r, mph_transport *t, cli_logw *w, bool *raised) {
    const char *name = mph_transport_name(t);
    mph_error err = {0};
    mph_status st = mph_repl_exec_start(r, c->code, c->code_len, &err);
    mph_sink sink = {cli_logw_feed, w};
    bool over_limit = false, gave_up = false, cut = false;
    if (!st) {
        double idle = 0, started = cli_mono_now(), interrupted = 0;
        double dead = c->timeout > 0 ? c->timeout : 10;
        w->yielding = true;
        w->yield_at = started + 0.2;
        // A run that floods (a traceback that never ends) still meets its limit.
        if (!c->listen && c->run_timeout > 0)
            mph_repl_set_deadline(r, (int)(c->run_timeout * 1000 + 0.5));
        for (;;) {
            uint64_t before, after;
            mph_transport_counts(t, &before, NULL);
            st = mph_repl_follow(r, &sink, 200, &err);
            double now = cli_mono_now();
            if (st == MPH_ERR_STOPPED) {
                if (cut) { // a second signal: leave at once
                    gave_up = true;
                    break;
                }
                // Pass Ctrl-C on, then collect the KeyboardInterrupt (or the end) for
                // a moment: the host must not wait on a board that goes on.
                cut = true;
                stop_requested = 0;
                mph_error ignored;
                if (mph_repl_interrupt(r, &ignored) != MPH_OK)
                    break;
                interrupted = now;
                mph_repl_set_deadline(r, 400);
                continue;
            }
            if (st != MPH_ERR_TIMEOUT)
                break;
            mph_transport_counts(t, &after, NULL);
            cli_logw_idle(w);
            idle = after != before ? 0 : idle + 0.2;
            bool limit = !c->listen && c->run_timeout > 0 && !interrupted &&
                         now - started >= c->run_timeout;
            if (limit) {
                over_limit = true;
                if (!c->quiet)
                    fprintf(stderr, "mpheap: %s: %s ran for %.1f s (--run-timeout): "
                                    "interrupting it with Ctrl-C\n",
                            name, c->what, now - started);
                mph_error ignored;
                if (mph_repl_interrupt(r, &ignored) != MPH_OK)
                    break;
                interrupted = now;
                mph_repl_set_deadline(r, (int)(dead * 1000 + 0.5));
            }
            if (cut && now - interrupted >= 0.39) {
                gave_up = true;
                break;
            }
            if (interrupted && !cut && now - interrupted >= dead - 0.01) {
                snprintf(err.message, sizeof err.message,
                         "%s did not stop within %.0f s of Ctrl-C (--timeout)", c->what, dead);
                st = MPH_ERR_TIMEOUT;
                gave_up = true;
                break;
            }
            if (c->listen && c->timeout > 0 && idle >= c->timeout)
                break;
            if (c->listen && c->count > 0 && w->dumps >= c->count)
                break;
        }
        w->yielding = false;
        mph_repl_set_deadline(r, 0);
    }
    if (over_limit && (st == MPH_OK || st == MPH_ERR_RAISED)) {
        // Past its limit is a failure, whether Ctrl-C stopped it or it ended by itself.
        fprintf(stderr, "mpheap: %s: %s ran longer than --run-timeout %g s%s\n", name, c->what,
                c->run_timeout,
                st == MPH_OK ? " (it ended by itself after the Ctrl-C)" : "");
        *raised = true;
    }
    cli_logw_end(w, !cut && st != MPH_OK && st != MPH_ERR_RAISED && st != MPH_ERR_TIMEOUT);
    if (st == MPH_ERR_RAISED) {
        *raised = true;
        const char *tb = mph_repl_traceback(r);
        fprintf(stderr, "mpheap: %s: %s raised:\n", name, c->what);
        cli_write_clean(stderr, tb, strlen(tb));
        fputc('\n', stderr);
        // In the log as the board printed it, before the snapshots that follow: a
        // "MemoryError: ... allocating N bytes" line there names the size that failed.
        cli_logw_text(w, tb, strlen(tb));
        if (w->io_errno) {
            fprintf(stderr, "mpheap: %s: error: %s\n", w->name, strerror(w->io_errno));
            return EXIT_IO;
        }
        if (cut && !c->listen)
            return cut_short(name, w, c->what);
        return EXIT_OK;
    }
    if (cut && !c->listen)
        return cut_short(name, w, c->what);
    if (cut)
        return w->io_errno ? EXIT_IO : EXIT_OK; // Ctrl-C is how a listen ends
    if (st == MPH_ERR_TIMEOUT && c->listen && !gave_up)
        return EXIT_OK;
    if (st)
        return device_error(name, &err, st, w);
    return w->io_errno ? EXIT_IO : EXIT_OK;
}

static void summary(const capture *c, const cli_logw *w, const char *name, mph_transport *t,
                    double seconds) {
    if (c->quiet)
        return;
    uint64_t in, out;
    mph_transport_counts(t, &in, &out);
    fprintf(stderr, "mpheap: %s: %d snapshot%s appended to %s in %.1f s (%llu bytes from the "
                    "board, %llu to it)\n",
            name, w->dumps, w->dumps == 1 ? "" : "s", w->name, seconds, (unsigned long long)in,
            (unsigned long long)out);
    if (w->deltas && !c->listen) {
        // The figure within one raw-REPL session. Separate captures differ by more:
        // entering and leaving the raw REPL allocate too (README, "Live from a board").
        unsigned bs = w->block_size;
        const char *why = c->gc ? " (--gc)" : " (the snapshot code's own garbage; --gc clears it)";
        if (w->min_delta == w->max_delta)
            fprintf(stderr,
                    "mpheap: capture footprint: %+lld blocks (%+lld bytes) from one snapshot to "
                    "the next within this capture, with no code of yours between%s; separate "
                    "captures differ by more (README)\n",
                    w->max_delta, w->max_delta * bs, why);
        else
            fprintf(stderr,
                    "mpheap: capture footprint: %+lld to %+lld blocks from one snapshot to the "
                    "next within this capture, with no code of yours between%s; separate "
                    "captures differ by more (README)\n",
                    w->min_delta, w->max_delta, why);
    }
}

int cmd_capture(int argc, char **argv) {
    static const struct option longopts[] = {
        {"port", required_argument, NULL, OPT_PORT},
        {"exec", required_argument, NULL, 'e'},
        {"run", required_argument, NULL, 'r'},
        {"before", no_argument, NULL, OPT_BEFORE},
        {"gc", no_argument, NULL, OPT_GC},
        {"count", required_argument, NULL, 'n'},
        {"every", required_argument, NULL, OPT_EVERY},
        {"label", required_argument, NULL, 'l'},
        {"output", required_argument, NULL, 'o'},
        {"listen", no_argument, NULL, OPT_LISTEN},
        {"soft-reset", no_argument, NULL, OPT_SOFT_RESET},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"run-timeout", required_argument, NULL, OPT_RUN_TIMEOUT},
        {"snapshot-timeout", required_argument, NULL, OPT_SNAPSHOT_TIMEOUT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    capture c = {0};
    c.port = "auto";
    c.count = -1;
    const char *exec_code = NULL, *run_file = NULL, *output = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "e:r:n:l:o:p:qh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'p': // -p PORT, as in esptool and mpremote
        case OPT_PORT:
            if (!cli_port_word_ok(optarg))
                return EXIT_USAGE;
            c.port = optarg;
            break;
        case 'e': exec_code = optarg; break;
        case 'r': run_file = optarg; break;
        case OPT_BEFORE: c.before = true; break;
        case OPT_GC: c.gc = true; break;
        case 'n': {
            uint64_t n;
            if (!cli_parse_count(optarg, &n) || n < 1 || n > 1000000) {
                fprintf(stderr, "mpheap: --count takes a number from 1 to 1000000, not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            c.count = (long)n;
            break;
        }
        case OPT_EVERY:
            if (!cli_parse_seconds(optarg, &c.every)) {
                fprintf(stderr, "mpheap: --every takes seconds, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'l':
            if (!cli_logw_label_ok(optarg))
                return EXIT_USAGE;
            c.label = optarg;
            break;
        case 'o': output = optarg; break;
        case OPT_LISTEN: c.listen = true; break;
        case OPT_SOFT_RESET: c.soft_reset = true; break;
        case OPT_TIMEOUT:
            if (!cli_parse_seconds(optarg, &c.timeout) || c.timeout < 0.1) {
                fprintf(stderr, "mpheap: --timeout takes seconds (at least 0.1), not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_RUN_TIMEOUT:
            if (!cli_parse_seconds(optarg, &c.run_timeout) || c.run_timeout < 0.1) {
                fprintf(stderr, "mpheap: --run-timeout takes seconds (at least 0.1), not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_SNAPSHOT_TIMEOUT:
            if (!cli_parse_seconds(optarg, &c.snapshot_timeout) || c.snapshot_timeout < 0.1) {
                fprintf(stderr,
                        "mpheap: --snapshot-timeout takes seconds (at least 0.1), not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'q': c.quiet = true; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: fputs(usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "mpheap: capture takes no FILE ('%s'); -o LOG names the log\n",
                argv[optind]);
        return EXIT_USAGE;
    }
    if (exec_code && run_file) {
        fprintf(stderr, "mpheap: give --exec or --run, not both\n");
        return EXIT_USAGE;
    }
    if (c.before && !exec_code && !run_file) {
        fprintf(stderr, "mpheap: --before needs --exec or --run\n");
        return EXIT_USAGE;
    }
    if (c.run_timeout > 0 && !exec_code && !run_file) {
        fprintf(stderr, "mpheap: --run-timeout needs --exec or --run\n");
        return EXIT_USAGE;
    }
    if (c.listen && (c.before || c.gc || c.every > 0)) {
        fprintf(stderr, "mpheap: --listen takes only the dumps the program prints: --before, "
                        "--gc and --every need the raw REPL\n");
        return EXIT_USAGE;
    }
    cli_buffer file = {0};
    if (run_file) {
        int rc = cli_read_file(run_file, &file);
        if (rc)
            return rc;
        c.code = file.data ? file.data : "";
        c.code_len = file.len;
        const char *base = strrchr(run_file, '/');
        c.what = base ? base + 1 : run_file;
    } else if (exec_code) {
        c.code = exec_code;
        c.code_len = strlen(exec_code);
        c.what = "the --exec code";
    }
    if (c.code && c.code_len == 0) {
        fprintf(stderr, "mpheap: %s: error: no code to run\n", run_file ? run_file : "--exec");
        free(file.data);
        return EXIT_USAGE;
    }
    char default_label[300];
    if (!c.label) {
        if (run_file)
            snprintf(default_label, sizeof default_label, "after %s", c.what);
        else
            snprintf(default_label, sizeof default_label, exec_code ? "after exec" : "snapshot");
        c.label = default_label;
    }
    if (c.count < 0)
        c.count = c.listen ? 0 : 1;

    cli_logw w;
    if (cli_logw_open(&w, output) != EXIT_OK) {
        free(file.data);
        return cli_logw_close(&w, EXIT_IO);
    }
    w.quiet = c.quiet;
    w.echo = output != NULL;
    if (c.snapshot_timeout > 0)
        w.dump_seconds = c.snapshot_timeout;
    if (!c.listen)
        c.first_index = cli_logw_count(&w);

    cli_sys_on_stop(on_signal); // a wait ends early and sees the flag

    double t_start = cli_mono_now();
    mph_transport *t = NULL;
    mph_repl *r = NULL;
    bool raised = false;
    int rc = cli_open_board(c.port, &t);
    if (rc)
        goto done;
    const char *name = mph_transport_name(t);
    mph_repl_options ro;
    cli_repl_options(c.port, c.listen ? 0 : c.timeout, &ro);
    ro.stop = &stop_requested;
    ro.snapshot_timeout_ms = (int)(w.dump_seconds * 1000 + 0.5);
    r = mph_repl_new(t, &ro);
    if (!r) {
        fprintf(stderr, "mpheap: error: out of memory\n");
        rc = EXIT_IO;
        goto done;
    }
    mph_error err = {0};
    mph_status st;

    if (c.listen && !c.code) {
        // Only read: nothing is sent, so the program goes on undisturbed.
        if (!c.quiet)
            fprintf(stderr, "mpheap: %s: listening (Ctrl-C to stop)\n", name);
        char buf[4096];
        double idle = 0;
        while (!stop_requested) {
            size_t got;
            st = mph_transport_read(t, buf, sizeof buf, &got, 200, &err);
            if (st == MPH_ERR_TIMEOUT) {
                cli_logw_idle(&w);
                idle += 0.2;
                if ((c.timeout > 0 && idle >= c.timeout) || (c.count > 0 && w.dumps >= c.count))
                    break;
                continue;
            }
            if (st) {
                cli_logw_end(&w, true);
                rc = device_error(name, &err, st, &w);
                goto done;
            }
            idle = 0;
            if (cli_logw_feed(&w, buf, got) != MPH_OK)
                break;
            if (c.count > 0 && w.dumps >= c.count)
                break;
        }
        cli_logw_end(&w, false);
        if (w.io_errno) {
            fprintf(stderr, "mpheap: %s: error: %s\n", w.name, strerror(w.io_errno));
            rc = EXIT_IO;
        } else if (stop_requested && c.count > 0 && w.dumps < c.count) {
            // Ctrl-C is how a listen ends, unless it was to wait for N dumps.
            char what[64];
            snprintf(what, sizeof what, "the listen (%d of %ld dumps)", w.dumps, c.count);
            rc = cut_short(name, &w, what);
        }
        summary(&c, &w, name, t, cli_mono_now() - t_start);
        goto done;
    }

    double t_enter = cli_mono_now();
    if ((st = mph_repl_enter(r, c.soft_reset, &err))) {
        rc = st == MPH_ERR_STOPPED ? cut_short(name, &w, "entering the raw REPL")
                                   : device_error(name, &err, st, &w);
        goto done;
    }
    if (!c.quiet)
        fprintf(stderr, "mpheap: %s: raw REPL in %.2f ms (%s%s)\n", name,
                (cli_mono_now() - t_enter) * 1000,
                mph_repl_stopped_program(r) ? "a running program was stopped with Ctrl-C; " : "",
                c.soft_reset ? "soft reset: a fresh heap" : "no soft reset");
    long taking = c.count + (c.before ? 1 : 0);
    int total = (int)(c.first_index + taking);
    int index = c.first_index;
    if (c.before) {
        char label[320];
        snprintf(label, sizeof label, "before %s", run_file ? c.what : "exec");
        if ((rc = take_snapshot(&c, r, t, &w, &index, &total, label)))
            goto done;
    }
    if (c.code) {
        if (c.listen && !c.quiet)
            fprintf(stderr, "mpheap: %s: running %s and keeping the dumps it prints (Ctrl-C to "
                            "stop)\n",
                    name, c.what);
        if ((rc = run_code(&c, r, t, &w, &raised)))
            goto done;
        if (mph_repl_saw_soft_reboot(r) && !c.quiet)
            fprintf(stderr, "mpheap: %s: warning: the board soft-rebooted (sys.exit?): the heap "
                            "is a fresh one\n",
                    name);
        // What changed across the user's code is not the capture's footprint.
        w.code_between = !c.listen;
    }
    if (c.listen) {
        if (w.io_errno)
            rc = EXIT_IO;
        summary(&c, &w, name, t, cli_mono_now() - t_start);
        goto done;
    }
    double first = cli_mono_now();
    for (long i = 0; i < c.count && !stop_requested; i++) {
        if (i > 0)
            sleep_until(first + c.every * (double)i);
        if (stop_requested)
            break;
        if ((rc = take_snapshot(&c, r, t, &w, &index, &total, c.label)))
            goto done;
    }
    if (stop_requested) {
        // Between snapshots: those taken are whole and in the log; the run is short.
        char what[64];
        snprintf(what, sizeof what, "the capture (%d of %ld snapshots taken)", w.dumps, taking);
        rc = cut_short(name, &w, what);
    }
    if ((st = mph_repl_leave(r, &err)) && !c.quiet)
        fprintf(stderr, "mpheap: %s: warning: could not leave the raw REPL: %s\n", name,
                err.message);
    summary(&c, &w, name, t, cli_mono_now() - t_start);
    if (mph_repl_noise(r) && !c.quiet)
        fprintf(stderr, "mpheap: %s: note: skipped %llu bytes of line noise\n", name,
                (unsigned long long)mph_repl_noise(r));

done:
    mph_repl_free(r);
    mph_transport_free(t);
    free(file.data);
    rc = cli_logw_close(&w, rc);
    if (rc == EXIT_OK && raised)
        rc = EXIT_CHECK_FAILED;
    return cli_logw_damaged_rc(&w, rc);
}
