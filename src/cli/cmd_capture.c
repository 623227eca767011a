/* mpheap capture: heap snapshots from a board into a log that every other
 * command reads. Raw REPL mode runs the user's code and takes the snapshots;
 * listen mode only reads the console of a running program and keeps the
 * dumps it prints (device/mpheap.py). The log is appended to, and a dump is
 * written only when it is whole (one write, then fsync), so a capture that
 * dies leaves a log that parses. */
#include "cli.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

#define LINE_HOLD 4096        /* a longer line is no dump's: passed on as it comes */
#define PLAIN_KEEP (1u << 20) /* the board's own output kept in the log; more goes to stderr */
#define EXIT_CUT 128          /* + the signal: Ctrl-C or SIGTERM cut the capture short */

/* Raised by SIGINT/SIGTERM; the raw-REPL client looks at it in every wait. */
static volatile sig_atomic_t stop_requested, stop_signal;

static void on_signal(int sig) {
    stop_requested = 1;
    stop_signal = sig;
}

static void sleep_until(double t) {
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double left = t - ((double)now.tv_sec + now.tv_nsec / 1e9);
        if (left <= 0 || stop_requested)
            return;
        if (left > 0.2)
            left = 0.2;
        struct timespec ts = {0, (long)(left * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static double mono_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + now.tv_nsec / 1e9;
}

/* -------------------------------------------------------------- the log */

typedef struct logw {
    int fd;
    const char *name;  /* for messages */
    bool echo;         /* copy the board's own lines to stderr (the log is a file) */
    bool quiet;
    mph_parse_options parse;
    cli_buffer line;   /* the board's output: the unfinished line */
    cli_buffer held;   /* a dump being received: written once whole */
    bool in_dump;
    int io_errno;      /* the first write error */
    char last;         /* the last byte written, 0 before the first */
    int dumps;         /* dumps written */
    long long last_used;  /* used blocks of the last dump written, or -1 */
    unsigned block_size;
    long long min_delta, max_delta; /* used-block changes between back-to-back dumps */
    int deltas;
    bool code_between; /* the user's code ran since the last dump: not a footprint */
    bool streaming;    /* passing on the rest of a line longer than LINE_HOLD */
    bool discarding;   /* dropping the rest of a dump that was too long or too slow */
    uint64_t held_limit; /* mph_repl_dump_limit of the held dump */
    double held_since, dump_seconds; /* when the held dump began; how long one may take */
    uint64_t plain_kept, plain_dropped; /* the board's own output in the log, and not */
    const char *damaged_path; /* LOG.damaged, or NULL (the log is stdout) */
    int damaged;       /* dumps that did not parse */
    bool yielding;     /* logw_feed returns MPH_ERR_TIMEOUT every 0.2 s (run_code's checks) */
    double yield_at;
} logw;

static void logw_write(logw *w, const char *s, size_t n) {
    if (n)
        w->last = s[n - 1];
    while (n && !w->io_errno) {
        ssize_t k = write(w->fd, s, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            w->io_errno = k < 0 ? errno : EIO;
            return;
        }
        s += k;
        n -= (size_t)k;
    }
}

/* Start a new line unless the log is at the start of one: the board's output
 * may end without a newline, and a marker or a traceback must begin its own. */
static void logw_newline(logw *w) {
    if (w->last && w->last != '\n')
        logw_write(w, "\n", 1);
}

static void logw_sync(logw *w) {
    // Pipes and terminals cannot be synced: that is fine.
    if (!w->io_errno && cli_sys_sync(w->fd) != 0 && errno != EINVAL && errno != ENOTSUP &&
        errno != EROFS && errno != EBADF)
        w->io_errno = errno;
}

static bool contains(const char *s, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, needle, k) == 0)
            return true;
    return false;
}

static bool starts(const char *s, size_t n, const char *prefix) {
    size_t k = strlen(prefix);
    return n >= k && memcmp(s, prefix, k) == 0;
}

/* The first line of a dump: "mem: total=", "stack: N", "GC: total:", "GC memory layout". */
static bool dump_start(const char *s, size_t n) {
    return starts(s, n, "mem: total=") || starts(s, n, "stack: ") || starts(s, n, "GC: total:") ||
           starts(s, n, "GC memory layout");
}

/* A later line of a dump: the header lines, map rows "00000400: h=..", "(N lines all free)". */
static bool dump_more(const char *s, size_t n) {
    if (dump_start(s, n) || starts(s, n, " No. of") || starts(s, n, "No. of"))
        return true;
    size_t i = 0;
    while (i < n && i < 16 && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
        i++;
    if (i >= 4 && i + 1 < n && s[i] == ':' && s[i + 1] == ' ')
        return true;
    i = 0;
    while (i < n && s[i] == ' ')
        i++;
    return i < n && s[i] == '(' && contains(s + i, n - i, "lines all free)");
}

/* Whole, by the dump's own figures: it parses with no warning. Sets *used.
 * *broken (when given): it does not parse at all, why in err. */
static bool dump_whole(const logw *w, const char *s, size_t n, long long *used, unsigned *bs,
                       bool *broken, mph_error *why) {
    mph_log *log = NULL;
    mph_error err = {0};
    mph_parse_options po = w->parse;
    po.strict = false;
    if (broken)
        *broken = false;
    if (mph_log_parse(s, n, &po, &log, &err) != MPH_OK) {
        // "No dump" is not damage: a start line the map never followed.
        if (broken)
            *broken = err.code != MPH_ERR_NOT_FOUND;
        if (why)
            *why = err;
        return false;
    }
    bool whole = mph_log_snapshot_count(log) == 1;
    for (size_t i = 0; whole && i < mph_log_diagnostic_count(log); i++)
        if (mph_log_diagnostic(log, i)->level == MPH_DIAG_WARNING)
            whole = false;
    mph_stats st;
    if (whole && mph_stats_compute(mph_log_snapshot(log, 0), MPH_ALL_AREAS, &st, NULL) == MPH_OK) {
        *used = (long long)st.used_blocks;
        *bs = st.block_size;
    } else {
        whole = false;
    }
    mph_log_free(log);
    return whole;
}

static void note_dump(logw *w, long long used, unsigned bs, const char *what) {
    if (w->last_used >= 0 && !w->code_between) {
        long long d = used - w->last_used;
        if (!w->deltas || d < w->min_delta)
            w->min_delta = d;
        if (!w->deltas || d > w->max_delta)
            w->max_delta = d;
        w->deltas++;
    }
    if (!w->quiet) {
        char delta[48] = "";
        if (w->last_used >= 0)
            snprintf(delta, sizeof delta, " (%+lld since the last)", used - w->last_used);
        fprintf(stderr, "mpheap: %s: %lld blocks used%s, %u-byte blocks\n", what, used, delta,
                bs);
    }
    w->last_used = used;
    w->block_size = bs;
    w->code_between = false;
    w->dumps++;
}

/* A dump that does not parse never goes into the log, where it would make
 * every snapshot unreadable: it goes to LOG.damaged (appended, headed by a
 * line that says what it was and why), and capture exits 5. */
static void keep_damaged(logw *w, const char *what, const char *text, size_t len,
                         const char *why) {
    w->damaged++;
    if (!w->damaged_path) {
        fprintf(stderr, "mpheap: %s: error: %s is damaged (", w->name, what);
        cli_write_clean(stderr, why, strlen(why));
        fprintf(stderr, "): left out of the log (with -o LOG it is kept in LOG.damaged)\n");
        return;
    }
    int fd = cli_sys_open(w->damaged_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    bool ok = fd >= 0;
    if (ok) {
        char when[32], head[600];
        cli_utc_now(when, sizeof when);
        int n = snprintf(head, sizeof head, "### mpheap: damaged, not in %s: %s @ %s: ", w->name,
                         what, when);
        size_t hn = n < 0 ? 0 : (size_t)n < sizeof head ? (size_t)n : sizeof head - 1;
        // The reason on one line: it may quote the board's bytes.
        for (const char *p = why; *p && hn + 2 < sizeof head; p++)
            head[hn++] = (unsigned char)*p < 0x20 ? ' ' : *p;
        head[hn++] = '\n';
        ok = write(fd, head, hn) == (ssize_t)hn && write(fd, text, len) == (ssize_t)len &&
             (len == 0 || text[len - 1] == '\n' || write(fd, "\n", 1) == 1);
        ok = close(fd) == 0 && ok;
    }
    fprintf(stderr, "mpheap: %s: error: %s is damaged (", w->name, what);
    cli_write_clean(stderr, why, strlen(why));
    if (ok)
        fprintf(stderr, "): kept in %s, not in the log\n", w->damaged_path);
    else
        fprintf(stderr, "): left out of the log (%s: %s)\n", w->damaged_path, strerror(errno));
}

/* Write the held dump if it is whole (or force it); true when written (or,
 * forced and damaged, kept aside). */
static bool flush_held(logw *w, bool force) {
    long long used = 0;
    unsigned bs = 0;
    bool broken;
    mph_error why = {0};
    bool whole = dump_whole(w, w->held.data, w->held.len, &used, &bs, &broken, &why);
    if (!whole && !force)
        return false;
    char what[48];
    snprintf(what, sizeof what, "dump %d", w->dumps + w->damaged + 1);
    if (broken)
        keep_damaged(w, what, w->held.data, w->held.len, why.message);
    else
        logw_write(w, w->held.data, w->held.len);
    logw_sync(w);
    if (whole)
        note_dump(w, used, bs, what);
    w->held.len = 0;
    w->in_dump = false;
    return true;
}

/* The held dump is longer, or slower, than a dump may be: aside with the
 * reason, and the rest of it is dropped as it comes. */
static void drop_held(logw *w, const char *why) {
    char what[48];
    snprintf(what, sizeof what, "dump %d", w->dumps + w->damaged + 1);
    keep_damaged(w, what, w->held.data, w->held.len, why);
    w->held.len = 0;
    w->in_dump = false;
    w->discarding = true;
}

/* The board's own output (not a dump): into the log up to PLAIN_KEEP, then
 * only to the terminal; echoed (made safe) when the log is a file. */
static void pass_on(logw *w, const char *s, size_t n, bool keep) {
    if (keep || w->plain_kept + n <= PLAIN_KEEP) {
        logw_write(w, s, n);
        w->plain_kept += n;
        if (w->echo && !w->quiet)
            cli_write_clean(stderr, s, n);
        return;
    }
    if (!w->plain_dropped && !w->quiet)
        fprintf(stderr, "\nmpheap: %s: the board's output passed %u bytes: the rest goes to the "
                        "terminal only\n",
                w->name, PLAIN_KEEP);
    w->plain_dropped += n;
    if (!w->quiet)
        cli_write_clean(stderr, s, n);
}

/* "=== mpheap 3: LABEL ===" from device/mpheap.py gets the host's time, before
 * a closing " (after gc.collect())", which the parser reads at the end. */
static void write_plain(logw *w, const char *s, size_t n) {
    static const char collected[] = " (after gc.collect()) ===";
    const size_t nc = sizeof collected - 1;
    size_t body = n;
    while (body && (s[body - 1] == '\n' || s[body - 1] == '\r'))
        body--;
    if (starts(s, body, "=== mpheap ") && body > 15 && memcmp(s + body - 4, " ===", 4) == 0 &&
        !contains(s, body, " @ ")) {
        char when[32];
        cli_utc_now(when, sizeof when);
        size_t at = body >= 11 + nc && memcmp(s + body - nc, collected, nc) == 0 ? body - nc
                                                                                 : body - 4;
        // A marker labels the dump after it: always kept.
        pass_on(w, s, at, true);
        pass_on(w, " @ ", 3, true);
        pass_on(w, when, strlen(when), true);
        pass_on(w, s + at, n - at, true);
    } else {
        pass_on(w, s, n, false);
    }
}

static void hold(logw *w, const char *s, size_t n) {
    if (!w->in_dump) {
        w->held_limit = mph_repl_dump_limit(NULL, 0);
        w->held_since = mono_now();
    }
    w->in_dump = true;
    if (cli_buffer_write(&w->held, s, n) != MPH_OK) {
        w->io_errno = ENOMEM;
        return;
    }
    if (w->held.len <= 4096)
        w->held_limit = mph_repl_dump_limit(w->held.data, w->held.len);
    char why[160];
    if (w->held.len > w->held_limit) {
        snprintf(why, sizeof why, "it passed %llu bytes, more than %s allows",
                 (unsigned long long)w->held_limit,
                 w->held_limit == mph_repl_dump_limit(NULL, 0) ? "a dump's header"
                                                              : "its \"GC: total:\"");
        drop_held(w, why);
    } else if (w->dump_seconds > 0 && mono_now() - w->held_since > w->dump_seconds) {
        snprintf(why, sizeof why, "it was still arriving after %.0f s (--snapshot-timeout)",
                 w->dump_seconds);
        drop_held(w, why);
    }
}

static void logw_line(logw *w, const char *s, size_t n) {
    size_t body = n;
    while (body && (s[body - 1] == '\n' || s[body - 1] == '\r'))
        body--;
    if (w->discarding) {
        // The rest of a dump set aside: its rows, until a new dump or other output.
        if (dump_more(s, body) && !dump_start(s, body))
            return;
        w->discarding = false;
    }
    if (w->in_dump && dump_more(s, body)) {
        // A second dump right after the first: a header line once the map has begun.
        bool header = starts(s, body, "mem: total=") || starts(s, body, "stack: ") ||
                      starts(s, body, "GC: total:");
        if (header && contains(w->held.data, w->held.len, "GC memory layout"))
            flush_held(w, true);
        hold(w, s, n);
        return;
    }
    if (w->in_dump)
        flush_held(w, true); // ended by a line of other output: it is what the board printed
    if (dump_start(s, body)) {
        hold(w, s, n);
        return;
    }
    write_plain(w, s, n);
}

/* The board's console output, in any pieces. A line is held until it ends,
 * up to LINE_HOLD bytes: a longer one is no dump's, and is passed on as it
 * comes, so that output with no newline takes no memory. */
static mph_status logw_feed(void *ctx, const char *s, size_t n) {
    logw *w = ctx;
    while (n) {
        const char *nl = memchr(s, '\n', n);
        size_t k = nl ? (size_t)(nl - s) + 1 : n;
        if (w->streaming) {
            if (!w->discarding)
                pass_on(w, s, k, false);
            w->streaming = !nl;
        } else if (!nl && w->line.len + k > LINE_HOLD) {
            if (w->in_dump)
                flush_held(w, true);
            w->discarding = false;
            pass_on(w, w->line.data, w->line.len, false);
            pass_on(w, s, k, false);
            w->line.len = 0;
            w->streaming = true;
        } else if (nl && w->line.len == 0) {
            logw_line(w, s, k);
        } else {
            if (cli_buffer_write(&w->line, s, k) != MPH_OK)
                return MPH_ERR_NOMEM;
            if (nl) {
                logw_line(w, w->line.data, w->line.len);
                w->line.len = 0;
            }
        }
        s += k;
        n -= k;
    }
    if (w->io_errno)
        return MPH_ERR_IO;
    if (w->yielding) {
        // A board that never pauses still lets run_code look at its limits.
        double now = mono_now();
        if (now >= w->yield_at) {
            w->yield_at = now + 0.2;
            return MPH_ERR_TIMEOUT;
        }
    }
    return MPH_OK;
}

/* The board is quiet: a dump that is whole need not wait for the next line
 * (which may never end: a ">>> " prompt). A row still arriving is not whole. */
static void logw_idle(logw *w) {
    if (w->in_dump && !flush_held(w, false) && w->dump_seconds > 0 &&
        mono_now() - w->held_since > w->dump_seconds) {
        char why[120];
        snprintf(why, sizeof why, "it was still arriving after %.0f s (--snapshot-timeout)",
                 w->dump_seconds);
        drop_held(w, why);
    }
}

/* End of the board's output. A dump cut short is left out (it would not parse). */
static void logw_end(logw *w, bool cut) {
    if (w->line.len) {
        if (w->in_dump) {
            if (cli_buffer_write(&w->held, w->line.data, w->line.len) != MPH_OK)
                w->io_errno = ENOMEM;
        } else if (!w->discarding) {
            write_plain(w, w->line.data, w->line.len);
        }
        w->line.len = 0;
    }
    if (w->in_dump && !flush_held(w, false)) {
        if (!w->quiet || cut)
            fprintf(stderr,
                    "mpheap: %s: a dump was cut short after %zu bytes: left out of the log\n",
                    w->name, w->held.len);
        w->held.len = 0;
        w->in_dump = false;
    }
    if (w->plain_dropped) {
        // Said in the log too, where the output stops.
        char note[160];
        int k = snprintf(note, sizeof note,
                         "\nmpheap: %llu more bytes of the board's output are not in this log\n",
                         (unsigned long long)w->plain_dropped);
        logw_newline(w);
        logw_write(w, note + 1, (size_t)k - 1);
        w->plain_dropped = 0;
    }
    logw_sync(w);
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

/* Snapshots already in a log that is appended to (a regular file: -o LOG, or
 * stdout redirected with >>), so that the markers number the log's snapshots
 * across captures. Counted by their "GC: total:" lines, which every
 * mem_info() has printed since 2014, in one pass without parsing: a log may
 * hold many large dumps. 0 when there is none or it cannot be read. */
static int log_snapshots(int fd, const char *path) {
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0)
        return 0;
    int in = cli_sys_open(path ? path : "/proc/self/fd/1", O_RDONLY, 0);
    if (in < 0)
        return 0;
    static const char word[] = "GC: total:";
    enum { K = sizeof word - 1 };
    char buf[(1 << 16) + K];
    size_t keep = 0;
    long count = 0;
    for (;;) {
        ssize_t n = read(in, buf + keep, sizeof buf - keep);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t len = keep + (size_t)n;
        for (const char *p = buf; (p = memchr(p, 'G', (size_t)(buf + len - p))) != NULL; p++)
            if ((size_t)(buf + len - p) >= K && memcmp(p, word, K) == 0)
                count++;
        // The last K-1 bytes may start a word that the next read completes.
        keep = len < K - 1 ? len : K - 1;
        memmove(buf, buf + len - keep, keep);
    }
    close(in);
    return count > 1000000 ? 1000000 : (int)count;
}

static int device_error(const char *name, const mph_error *err, mph_status st, const logw *w) {
    cli_print_device_error(name, err);
    if (w->dumps)
        fprintf(stderr, "mpheap: %s: the %d snapshot%s taken before are in %s\n", name, w->dumps,
                w->dumps == 1 ? "" : "s", w->name);
    // A dump past its size is the board's failing, not bad input of the user's.
    return st == MPH_ERR_LIMIT ? EXIT_DEVICE : cli_exit_code(st);
}

/* Ctrl-C or SIGTERM cut the capture short: say so; the exit code. */
static int cut_short(const char *name, const logw *w, const char *what) {
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
static int take_snapshot(const capture *c, mph_repl *r, mph_transport *t, logw *w, int *index,
                         int *total, const char *label) {
    const char *name = mph_transport_name(t);
    char when[32];
    cli_utc_now(when, sizeof when);
    cli_buffer text = {0};
    char marker[512];
    // The parser reads " (after gc.collect())" before the closing " ===" (docs/format.md).
    int n = snprintf(marker, sizeof marker, "=== mpheap %d/%d: %s @ %s%s ===\n", *index + 1,
                     *total, label, when, c->gc ? " (after gc.collect())" : "");
    if (n < 0 || (size_t)n >= sizeof marker)
        n = (int)sizeof marker - 1;
    mph_sink sink = {cli_buffer_write, &text};
    mph_error err = {0};
    uint64_t in0, out0, in1, out1;
    mph_transport_counts(t, &in0, &out0);
    double t0 = mono_now();
    mph_status st = cli_buffer_write(&text, marker, (size_t)n);
    if (!st)
        st = mph_repl_snapshot(r, c->gc, &sink, &err);
    double ms = (mono_now() - t0) * 1000;
    mph_transport_counts(t, &in1, &out1);
    if (st) {
        if (text.len > (size_t)n && st != MPH_ERR_STOPPED)
            fprintf(stderr, "mpheap: %s: snapshot %d was cut short after %zu bytes: left out "
                            "of the log\n",
                    name, *index + 1, text.len - (size_t)n);
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
    long long used = 0;
    unsigned bs = 0;
    bool broken;
    mph_error why = {0};
    bool whole = dump_whole(w, text.data + n, text.len - (size_t)n, &used, &bs, &broken, &why);
    char what[600];
    snprintf(what, sizeof what, "snapshot %d/%d \"%s\" (%.2f ms, %llu bytes from the board, %llu "
                                "to it)",
             *index + 1, *total, label, ms, (unsigned long long)(in1 - in0),
             (unsigned long long)(out1 - out0));
    if (broken) {
        // In the log it would make every snapshot unreadable.
        keep_damaged(w, what, text.data, text.len, why.message);
        free(text.data);
        (*total)--;
        return EXIT_OK;
    }
    ++*index;
    logw_newline(w);
    logw_write(w, text.data, text.len);
    logw_sync(w);
    free(text.data);
    if (w->io_errno) {
        fprintf(stderr, "mpheap: %s: error: %s\n", w->name, strerror(w->io_errno));
        return EXIT_IO;
    }
    if (whole) {
        note_dump(w, used, bs, what);
    } else {
        w->dumps++;
        fprintf(stderr, "mpheap: %s: warning: snapshot %d does not parse cleanly (line noise?)\n",
                name, *index);
    }
    return EXIT_OK;
}

/* Run the user's code; its output goes to the log (dumps it prints included).
 * The board may be silent while the code runs (the virtual board says nothing
 * until it returns): that is no error. The run's own limit is --run-timeout
 * (none by default), after which the board gets Ctrl-C and then has --timeout
 * to end the run. Ctrl-C or SIGTERM on the host sends Ctrl-C too, and waits
 * under a second for the end: the capture is then cut short. */
static int run_code(const capture *c, mph_repl *r, mph_transport *t, logw *w, bool *raised) {
    const char *name = mph_transport_name(t);
    mph_error err = {0};
    mph_status st = mph_repl_exec_start(r, c->code, c->code_len, &err);
    mph_sink sink = {logw_feed, w};
    bool over_limit = false, gave_up = false, cut = false;
    if (!st) {
        double idle = 0, started = mono_now(), interrupted = 0;
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
            double now = mono_now();
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
            logw_idle(w);
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
    logw_end(w, !cut && st != MPH_OK && st != MPH_ERR_RAISED && st != MPH_ERR_TIMEOUT);
    if (st == MPH_ERR_RAISED) {
        *raised = true;
        const char *tb = mph_repl_traceback(r);
        fprintf(stderr, "mpheap: %s: %s raised:\n", name, c->what);
        cli_write_clean(stderr, tb, strlen(tb));
        fputc('\n', stderr);
        // In the log as the board printed it, before the snapshots that follow: a
        // "MemoryError: ... allocating N bytes" line there names the size that failed.
        logw_newline(w);
        logw_write(w, tb, strlen(tb));
        logw_newline(w);
        logw_sync(w);
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

static void summary(const capture *c, const logw *w, const char *name, mph_transport *t,
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

/* Control bytes in a label would end the marker line early (a label of
 * "a\nGC: total: 99, ..." writes a line of its own into the log). */
static bool label_ok(const char *label) {
    for (const unsigned char *p = (const unsigned char *)label; *p; p++)
        if (*p < 0x20 || *p == 0x7f) {
            fprintf(stderr, "mpheap: --label takes one line of text: it holds the control byte "
                            "0x%02x at byte %zu\n",
                    *p, (size_t)(p - (const unsigned char *)label) + 1);
            return false;
        }
    return true;
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
            if (!label_ok(optarg))
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

    logw w = {0};
    w.fd = STDOUT_FILENO;
    w.name = output ? output : "<stdout>";
    w.quiet = c.quiet;
    w.last_used = -1;
    w.dump_seconds = c.snapshot_timeout > 0 ? c.snapshot_timeout : 120;
    char *damaged_path = NULL;
    if (output) {
        size_t k = strlen(output);
        damaged_path = malloc(k + sizeof ".damaged");
        if (!damaged_path) {
            fprintf(stderr, "mpheap: error: out of memory\n");
            free(file.data);
            return EXIT_IO;
        }
        memcpy(damaged_path, output, k);
        memcpy(damaged_path + k, ".damaged", sizeof ".damaged");
        w.damaged_path = damaged_path;
        w.fd = cli_sys_open(output, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (w.fd < 0) {
            fprintf(stderr, "mpheap: %s: error: %s\n", output, strerror(errno));
            free(file.data);
            free(damaged_path);
            return EXIT_IO;
        }
        w.echo = true;
    }
    if (!c.listen)
        c.first_index = log_snapshots(w.fd, output);

    cli_sys_on_stop(on_signal); // a wait ends early and sees the flag

    double t_start = mono_now();
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
                logw_idle(&w);
                idle += 0.2;
                if ((c.timeout > 0 && idle >= c.timeout) || (c.count > 0 && w.dumps >= c.count))
                    break;
                continue;
            }
            if (st) {
                logw_end(&w, true);
                rc = device_error(name, &err, st, &w);
                goto done;
            }
            idle = 0;
            if (logw_feed(&w, buf, got) != MPH_OK)
                break;
            if (c.count > 0 && w.dumps >= c.count)
                break;
        }
        logw_end(&w, false);
        if (w.io_errno) {
            fprintf(stderr, "mpheap: %s: error: %s\n", w.name, strerror(w.io_errno));
            rc = EXIT_IO;
        } else if (stop_requested && c.count > 0 && w.dumps < c.count) {
            // Ctrl-C is how a listen ends, unless it was to wait for N dumps.
            char what[64];
            snprintf(what, sizeof what, "the listen (%d of %ld dumps)", w.dumps, c.count);
            rc = cut_short(name, &w, what);
        }
        summary(&c, &w, name, t, mono_now() - t_start);
        goto done;
    }

    double t_enter = mono_now();
    if ((st = mph_repl_enter(r, c.soft_reset, &err))) {
        rc = st == MPH_ERR_STOPPED ? cut_short(name, &w, "entering the raw REPL")
                                   : device_error(name, &err, st, &w);
        goto done;
    }
    if (!c.quiet)
        fprintf(stderr, "mpheap: %s: raw REPL in %.2f ms (%s%s)\n", name,
                (mono_now() - t_enter) * 1000,
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
        summary(&c, &w, name, t, mono_now() - t_start);
        goto done;
    }
    double first = mono_now();
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
    summary(&c, &w, name, t, mono_now() - t_start);
    if (mph_repl_noise(r) && !c.quiet)
        fprintf(stderr, "mpheap: %s: note: skipped %llu bytes of line noise\n", name,
                (unsigned long long)mph_repl_noise(r));

done:
    mph_repl_free(r);
    mph_transport_free(t);
    free(w.line.data);
    free(w.held.data);
    free(file.data);
    free(damaged_path);
    if (output && w.fd >= 0 && close(w.fd) != 0 && rc == EXIT_OK) {
        fprintf(stderr, "mpheap: %s: error: %s\n", output, strerror(errno));
        rc = EXIT_IO;
    }
    if (rc == EXIT_OK && raised)
        rc = EXIT_CHECK_FAILED;
    if ((rc == EXIT_OK || rc == EXIT_CHECK_FAILED) && w.damaged) {
        fprintf(stderr, "mpheap: %s: %d damaged dump%s kept out of the log\n", w.name, w.damaged,
                w.damaged == 1 ? "" : "s");
        rc = EXIT_DEVICE;
    }
    return rc;
}
