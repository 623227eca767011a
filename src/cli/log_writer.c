/* The log that capture and watch append to (log_writer.h): snapshots written
 * whole and synced, damaged dumps kept aside in LOG.damaged, and a board's
 * console split into its own output and the dumps it prints. */
#include "log_writer.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LINE_HOLD 4096        /* a longer line is no dump's: passed on as it comes */
#define PLAIN_KEEP (1u << 20) /* the board's own output kept in the log; more goes to stderr */

int cli_logw_open(cli_logw *w, const char *path) {
    memset(w, 0, sizeof *w);
    w->fd = STDOUT_FILENO;
    w->name = "<stdout>";
    w->last_used = -1;
    w->dump_seconds = 120;
    w->dump_seconds_option = " (--snapshot-timeout)";
    w->plain_limit = PLAIN_KEEP;
    if (!path)
        return EXIT_OK;
    w->path = w->name = path;
    size_t k = strlen(path);
    w->damaged_path = malloc(k + sizeof ".damaged");
    if (!w->damaged_path) {
        fprintf(stderr, "mpheap: error: out of memory\n");
        w->fd = -1;
        return EXIT_IO;
    }
    memcpy(w->damaged_path, path, k);
    memcpy(w->damaged_path + k, ".damaged", sizeof ".damaged");
    w->fd = cli_sys_open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (w->fd < 0) {
        fprintf(stderr, "mpheap: %s: error: %s\n", path, strerror(errno));
        return EXIT_IO;
    }
    return EXIT_OK;
}

int cli_logw_close(cli_logw *w, int rc) {
    if (w->path && w->fd >= 0 && close(w->fd) != 0 && rc == EXIT_OK) {
        fprintf(stderr, "mpheap: %s: error: %s\n", w->path, strerror(errno));
        rc = EXIT_IO;
    }
    w->fd = -1;
    free(w->line.data);
    free(w->held.data);
    free(w->marker.data);
    free(w->damaged_path);
    w->line = w->held = w->marker = (cli_buffer){0};
    w->damaged_path = NULL;
    return rc;
}

int cli_logw_damaged_rc(const cli_logw *w, int rc) {
    if ((rc != EXIT_OK && rc != EXIT_CHECK_FAILED) || !w->damaged)
        return rc;
    fprintf(stderr, "mpheap: %s: %d damaged dump%s kept out of the log\n", w->name, w->damaged,
            w->damaged == 1 ? "" : "s");
    return EXIT_DEVICE;
}

/* A log that is appended to is a regular file: -o LOG, or stdout redirected
 * with >>. A log may hold many large dumps: read in large pieces, no parsing. */
int cli_logw_count(const cli_logw *w) {
    struct stat sb;
    if (w->fd < 0 || fstat(w->fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0)
        return 0;
    int in = cli_sys_open(w->path ? w->path : "/proc/self/fd/1", O_RDONLY, 0);
    if (in < 0)
        return 0;
    // Anywhere in a line, as the parser finds them (a board's prefix may come first).
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

mph_status cli_logw_marker(cli_buffer *out, int index, int total, const char *label, bool gc) {
    char when[32], head[64], tail[80];
    cli_utc_now(when, sizeof when);
    if (total > 0)
        snprintf(head, sizeof head, "=== mpheap %d/%d: ", index, total);
    else
        snprintf(head, sizeof head, "=== mpheap %d: ", index);
    // The parser reads " (after gc.collect())" before the closing " ===" (docs/format.md).
    snprintf(tail, sizeof tail, " @ %s%s ===\n", when, gc ? " (after gc.collect())" : "");
    mph_status st = cli_buffer_write(out, head, strlen(head));
    if (!st)
        st = cli_buffer_write(out, label, strlen(label));
    if (!st)
        st = cli_buffer_write(out, tail, strlen(tail));
    return st;
}

bool cli_logw_label_ok(const char *label) {
    for (const unsigned char *p = (const unsigned char *)label; *p; p++)
        if (*p < 0x20 || *p == 0x7f) {
            fprintf(stderr, "mpheap: --label takes one line of text: it holds the control byte "
                            "0x%02x at byte %zu\n",
                    *p, (size_t)(p - (const unsigned char *)label) + 1);
            return false;
        }
    return true;
}

/* ---------------------------------------------------------- writing */

void cli_logw_write(cli_logw *w, const char *s, size_t n) {
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

/* The board's output may end without a newline, and a marker or a traceback
 * must begin its own. */
void cli_logw_newline(cli_logw *w) {
    if (w->last && w->last != '\n')
        cli_logw_write(w, "\n", 1);
}

void cli_logw_sync(cli_logw *w) {
    // Pipes and terminals cannot be synced: that is fine.
    if (!w->io_errno && cli_sys_sync(w->fd) != 0 && errno != EINVAL && errno != ENOTSUP &&
        errno != EROFS && errno != EBADF)
        w->io_errno = errno;
}

void cli_logw_text(cli_logw *w, const char *s, size_t n) {
    cli_logw_newline(w);
    cli_logw_write(w, s, n);
    cli_logw_newline(w);
    cli_logw_sync(w);
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
 * *broken: it does not parse at all, why in *why; *snapshot: it parses into a
 * snapshot (whole or not). *parsed (when given): the parsed log then (the
 * caller frees it). */
static bool dump_whole(const cli_logw *w, const char *s, size_t n, long long *used, unsigned *bs,
                       bool *broken, bool *snapshot, mph_error *why, mph_log **parsed) {
    mph_log *log = NULL;
    mph_error err = {0};
    mph_parse_options po = w->parse;
    po.strict = false;
    *broken = *snapshot = false;
    if (mph_log_parse(s, n, &po, &log, &err) != MPH_OK) {
        // "No dump" is not damage: a start line the map never followed.
        *broken = err.code != MPH_ERR_NOT_FOUND;
        *why = err;
        return false;
    }
    *snapshot = mph_log_snapshot_count(log) > 0;
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
    if (parsed && *snapshot)
        *parsed = log;
    else
        mph_log_free(log);
    return whole;
}

static void note_dump(cli_logw *w, long long used, unsigned bs, const char *what) {
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

/* A written dump that parses: to the caller's hook, or freed. */
static void hand_over(cli_logw *w, mph_log *log) {
    if (log && w->on_dump && !w->io_errno)
        w->on_dump(w->on_dump_ctx, log);
    else
        mph_log_free(log);
}

/* A dump that does not parse never goes into the log, where it would make
 * every snapshot unreadable: it goes to LOG.damaged (appended, headed by a
 * line that says what it was and why). */
static void keep_damaged(cli_logw *w, const char *what, const char *text, size_t len,
                         const char *why) {
    w->damaged++;
    size_t k = (size_t)snprintf(w->damaged_note, sizeof w->damaged_note, "%s is damaged (%s)",
                                what, why);
    // On one line: the reason may quote the board's bytes.
    for (size_t i = 0; i < k && i < sizeof w->damaged_note; i++)
        if ((unsigned char)w->damaged_note[i] < 0x20)
            w->damaged_note[i] = ' ';
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

cli_logw_result cli_logw_snapshot(cli_logw *w, const char *text, size_t len, size_t marker_len,
                                  const char *what) {
    long long used = 0;
    unsigned bs = 0;
    bool broken, snapshot;
    mph_error why = {0};
    mph_log *log = NULL;
    bool whole = dump_whole(w, text + marker_len, len - marker_len, &used, &bs, &broken,
                            &snapshot, &why, w->on_dump ? &log : NULL);
    if (broken) {
        keep_damaged(w, what, text, len, why.message);
        return CLI_LOGW_DAMAGED;
    }
    cli_logw_newline(w);
    cli_logw_write(w, text, len);
    cli_logw_sync(w);
    if (w->io_errno) {
        mph_log_free(log);
        return CLI_LOGW_FAILED;
    }
    if (whole)
        note_dump(w, used, bs, what);
    else
        w->dumps++;
    hand_over(w, log);
    return whole ? CLI_LOGW_WHOLE : CLI_LOGW_UNCLEAN;
}

/* ---------------------------------------------- the board's console */

/* Write the held dump if it is whole (or force it); true when written (or,
 * forced and damaged, kept aside). */
static bool flush_held(cli_logw *w, bool force) {
    long long used = 0;
    unsigned bs = 0;
    bool broken, snapshot;
    mph_error why = {0};
    mph_log *log = NULL;
    bool whole = dump_whole(w, w->held.data, w->held.len, &used, &bs, &broken, &snapshot, &why,
                            w->on_dump ? &log : NULL);
    if (!whole && !force) {
        mph_log_free(log);
        return false;
    }
    char what[48];
    snprintf(what, sizeof what, "dump %d", w->dumps + w->damaged + 1);
    if (broken)
        keep_damaged(w, what, w->held.data, w->held.len, why.message);
    else
        cli_logw_write(w, w->held.data, w->held.len);
    cli_logw_sync(w);
    if (whole)
        note_dump(w, used, bs, what);
    else if (snapshot)
        w->dumps++; // in the log, and a snapshot there, though not a clean one
    hand_over(w, log);
    w->held.len = w->held_from = 0;
    w->in_dump = false;
    return true;
}

/* The held dump is longer, or slower, than a dump may be: aside with the
 * reason, and the rest of it is dropped as it comes. */
static void drop_held(cli_logw *w, const char *why) {
    char what[48];
    snprintf(what, sizeof what, "dump %d", w->dumps + w->damaged + 1);
    keep_damaged(w, what, w->held.data, w->held.len, why);
    w->held.len = w->held_from = 0;
    w->in_dump = false;
    w->discarding = true;
}

/* The board's own output (not a dump): into the log up to plain_limit, then
 * only to the terminal; echoed (made safe) when the log is a file. */
static void pass_on(cli_logw *w, const char *s, size_t n, bool keep) {
    if (keep || (w->plain_kept <= w->plain_limit && n <= w->plain_limit - w->plain_kept)) {
        cli_logw_write(w, s, n);
        w->plain_kept += n;
        if (w->echo && !w->quiet)
            cli_write_clean(stderr, s, n);
        return;
    }
    if (!w->plain_dropped && !w->quiet)
        fprintf(stderr, "\nmpheap: %s: the board's output passed %llu bytes: the rest goes to "
                        "the terminal only\n",
                w->name, (unsigned long long)w->plain_limit);
    w->plain_dropped += n;
    if (!w->quiet)
        cli_write_clean(stderr, s, n);
}

/* A marker line that waits for its dump goes to the log as the board's output,
 * whatever plain_limit says: it labels what follows. */
static void flush_marker(cli_logw *w) {
    if (!w->marker.len)
        return;
    cli_logw_write(w, w->marker.data, w->marker.len);
    w->plain_kept += w->marker.len;
    w->marker.len = 0;
}

/* "=== mpheap 3: LABEL ===" from device/mpheap.py gets the host's time, before
 * a closing " (after gc.collect())", which the parser reads at the end. It
 * waits for the next line: a dump takes it along (into the log, or with it to
 * LOG.damaged), anything else lets it go to the log first. */
static void write_plain(cli_logw *w, const char *s, size_t n) {
    static const char collected[] = " (after gc.collect()) ===";
    const size_t nc = sizeof collected - 1;
    size_t body = n;
    while (body && (s[body - 1] == '\n' || s[body - 1] == '\r'))
        body--;
    flush_marker(w);
    if (starts(s, body, "=== mpheap ") && body > 15 && memcmp(s + body - 4, " ===", 4) == 0 &&
        !contains(s, body, " @ ")) {
        char when[40];
        memcpy(when, " @ ", 3);
        cli_utc_now(when + 3, sizeof when - 3);
        size_t at = body >= 11 + nc && memcmp(s + body - nc, collected, nc) == 0 ? body - nc
                                                                                 : body - 4;
        if (cli_buffer_write(&w->marker, s, at) != MPH_OK ||
            cli_buffer_write(&w->marker, when, strlen(when)) != MPH_OK ||
            cli_buffer_write(&w->marker, s + at, n - at) != MPH_OK)
            w->io_errno = ENOMEM;
        if (w->echo && !w->quiet)
            cli_write_clean(stderr, w->marker.data, w->marker.len);
    } else {
        pass_on(w, s, n, false);
    }
}

static void hold(cli_logw *w, const char *s, size_t n) {
    if (!w->in_dump) {
        w->held_limit = mph_repl_dump_limit(NULL, 0);
        w->held_since = cli_mono_now();
        // The dump's marker goes with it; its limits are the dump's own.
        if (cli_buffer_write(&w->held, w->marker.data ? w->marker.data : "", w->marker.len) !=
            MPH_OK) {
            w->io_errno = ENOMEM;
            return;
        }
        w->held_from = w->marker.len;
        w->marker.len = 0;
    }
    w->in_dump = true;
    if (cli_buffer_write(&w->held, s, n) != MPH_OK) {
        w->io_errno = ENOMEM;
        return;
    }
    size_t dump_len = w->held.len - w->held_from;
    if (dump_len <= 4096)
        w->held_limit = mph_repl_dump_limit(w->held.data + w->held_from, dump_len);
    char why[160];
    if (dump_len > w->held_limit) {
        snprintf(why, sizeof why, "it passed %llu bytes, more than %s allows",
                 (unsigned long long)w->held_limit,
                 w->held_limit == mph_repl_dump_limit(NULL, 0) ? "a dump's header"
                                                              : "its \"GC: total:\"");
        drop_held(w, why);
    } else if (w->dump_seconds > 0 && cli_mono_now() - w->held_since > w->dump_seconds) {
        snprintf(why, sizeof why, "it was still arriving after %.0f s%s", w->dump_seconds,
                 w->dump_seconds_option);
        drop_held(w, why);
    }
}

static void feed_line(cli_logw *w, const char *s, size_t n) {
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
        if (header && contains(w->held.data + w->held_from, w->held.len - w->held_from,
                               "GC memory layout"))
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

/* A line is held until it ends, up to LINE_HOLD bytes: a longer one is no
 * dump's, and is passed on as it comes, so that output with no newline takes
 * no memory. */
mph_status cli_logw_feed(void *ctx, const char *s, size_t n) {
    cli_logw *w = ctx;
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
            flush_marker(w);
            pass_on(w, w->line.data, w->line.len, false);
            pass_on(w, s, k, false);
            w->line.len = 0;
            w->streaming = true;
        } else if (nl && w->line.len == 0) {
            feed_line(w, s, k);
        } else {
            if (cli_buffer_write(&w->line, s, k) != MPH_OK)
                return MPH_ERR_NOMEM;
            if (nl) {
                feed_line(w, w->line.data, w->line.len);
                w->line.len = 0;
            }
        }
        s += k;
        n -= k;
    }
    if (w->io_errno)
        return MPH_ERR_IO;
    if (w->yielding) {
        // A board that never pauses still lets the caller look at its limits.
        double now = cli_mono_now();
        if (now >= w->yield_at) {
            w->yield_at = now + 0.2;
            return MPH_ERR_TIMEOUT;
        }
    }
    return MPH_OK;
}

/* A dump need not wait for the next line, which may never end (a ">>> "
 * prompt). A row still arriving is not whole. */
void cli_logw_idle(cli_logw *w) {
    if (w->in_dump && !flush_held(w, false) && w->dump_seconds > 0 &&
        cli_mono_now() - w->held_since > w->dump_seconds) {
        char why[120];
        snprintf(why, sizeof why, "it was still arriving after %.0f s%s", w->dump_seconds,
                 w->dump_seconds_option);
        drop_held(w, why);
    }
}

/* A dump cut short is left out (it would not parse). */
void cli_logw_end(cli_logw *w, bool cut) {
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
                    w->name, w->held.len - w->held_from);
        w->held.len = w->held_from = 0;
        w->in_dump = false;
    }
    flush_marker(w); // its dump never came
    w->streaming = w->discarding = false;
    if (w->plain_dropped) {
        // Said in the log too, where the output stops.
        char note[160];
        int k = snprintf(note, sizeof note,
                         "\nmpheap: %llu more bytes of the board's output are not in this log\n",
                         (unsigned long long)w->plain_dropped);
        cli_logw_newline(w);
        cli_logw_write(w, note + 1, (size_t)k - 1);
        w->plain_dropped = 0;
    }
    cli_logw_sync(w);
}
