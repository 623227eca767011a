/* The raw REPL client: MicroPython's shared/runtime/pyexec.c from the host's
 * side, as mpremote speaks it (shared/docs/repl-protocol.md, section 1), with
 * a deadline on every read and retries for boards that reset on open. */
#include "transport.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BANNER "raw REPL; CTRL-B to exit\r\n"
#define SOFT_REBOOT "soft reboot\r\n"
#define CHUNK 256 /* standard raw mode writes this much between pauses */

/* Where a run is: the board's acceptance (standard raw mode: "OK"; raw-paste:
 * the echoed \x04) is read by follow too, under the caller's deadline, because
 * a board may say nothing until the code has run (the virtual board does). */
typedef enum phase { IDLE, AWAIT_OK, AWAIT_K, AWAIT_ECHO, STDOUT, ERRTEXT } phase;

#define INTERRUPTED "KeyboardInterrupt"
#define SLICE_MS 100             /* a wait looks at the stop flag this often */
#define SNAPSHOT_MS 120000       /* one snapshot's output, all of it, by default */
#define TB_MAX (64u << 10)       /* a traceback keeps this much of its end */
#define DUMP_HEAD_MAX (64u << 10) /* a dump's bytes before its "GC: total:" line */

struct mph_repl {
    mph_transport *t;
    int timeout_ms, enter_timeout_ms, pace_ms;
    bool no_raw_paste;
    int raw_paste;       /* -1 not tried, 0 not available, 1 used */
    bool prompt_pending; /* the board owes a '>' (printed after each run) */
    phase phase;
    unsigned char buf[4096];
    size_t pos, len;
    char *tb; /* the traceback of the last run, CRLF made LF */
    size_t tb_len, tb_cap;
    uint64_t noise;
    bool soft_reboot;
    bool stopped;        /* the board's answer to Ctrl-C held a KeyboardInterrupt */
    bool watching;       /* entering: look for that answer */
    size_t ki_match;     /* bytes of INTERRUPTED matched so far */
    char win[48]; /* the last bytes seen by read_until, for matching and messages */
    size_t win_len;
    const volatile sig_atomic_t *stop; /* the caller's stop flag, or NULL */
    int snapshot_ms;
    int64_t deadline; /* the current run's overall end (0: none) */
    bool overdue;     /* that deadline passed */
    bool tb_cut;      /* the traceback's start was dropped (TB_MAX) */
};

mph_repl *mph_repl_new(mph_transport *t, const mph_repl_options *o) {
    if (!t)
        return NULL;
    mph_repl *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->t = t;
    r->timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : 10000;
    r->enter_timeout_ms = o && o->enter_timeout_ms > 0 ? o->enter_timeout_ms : 10000;
    r->pace_ms = !o || o->pace_ms < 0 ? 10 : o->pace_ms;
    r->no_raw_paste = o && o->no_raw_paste;
    r->stop = o ? o->stop : NULL;
    r->snapshot_ms = o && o->snapshot_timeout_ms > 0 ? o->snapshot_timeout_ms : SNAPSHOT_MS;
    r->raw_paste = -1;
    r->tb = calloc(1, 1);
    if (!r->tb) {
        free(r);
        return NULL;
    }
    r->tb_cap = 1;
    return r;
}

void mph_repl_free(mph_repl *r) {
    if (!r)
        return;
    free(r->tb);
    free(r);
}

const char *mph_repl_traceback(const mph_repl *r) { return r && r->tb ? r->tb : ""; }
int mph_repl_raw_paste(const mph_repl *r) { return r ? r->raw_paste : -1; }
uint64_t mph_repl_noise(const mph_repl *r) { return r ? r->noise : 0; }
bool mph_repl_saw_soft_reboot(const mph_repl *r) { return r && r->soft_reboot; }
bool mph_repl_stopped_program(const mph_repl *r) { return r && r->stopped; }

/* ---------------------------------------------------------------- bytes */

static mph_status put(mph_repl *r, const char *s, size_t n, mph_error *err) {
    return mph_transport_write(r->t, s, n, r->timeout_ms, err);
}

/* The caller's stop flag, then the run's overall deadline. */
static mph_status check(mph_repl *r, mph_error *err) {
    if (r->stop && *r->stop) {
        mph__error_set(err, MPH_ERR_STOPPED, 0, 0, "%s: stopped (Ctrl-C or a signal)",
                       mph_transport_name(r->t));
        return MPH_ERR_STOPPED;
    }
    if (r->deadline && mph__now_ms() >= r->deadline) {
        r->overdue = true;
        mph__error_set(err, MPH_ERR_TIMEOUT, 0, 0, "%s: past the deadline",
                       mph_transport_name(r->t));
        return MPH_ERR_TIMEOUT;
    }
    return MPH_OK;
}

/* A read of up to timeout_ms that ends early, within SLICE_MS, when the stop
 * flag is raised or the run's deadline passes: a board that trickles or
 * floods cannot hold the host past either. */
static mph_status wait_read(mph_repl *r, void *buf, size_t cap, size_t *got, int timeout_ms,
                            mph_error *err) {
    mph_status st = check(r, err);
    if (st)
        return st;
    if (timeout_ms < 0)
        timeout_ms = 0;
    if (!r->stop && !r->deadline)
        return mph_transport_read(r->t, buf, cap, got, timeout_ms, err);
    int64_t until = mph__now_ms() + timeout_ms;
    for (;;) {
        int left = mph__ms_left(until);
        if (r->deadline && mph__ms_left(r->deadline) < left)
            left = mph__ms_left(r->deadline);
        int slice = left < SLICE_MS ? left : SLICE_MS;
        int64_t t0 = mph__now_ms();
        st = mph_transport_read(r->t, buf, cap, got, slice, err);
        if (st != MPH_ERR_TIMEOUT)
            return st;
        if ((st = check(r, err)))
            return st;
        int64_t now = mph__now_ms();
        // A transport that gave up before its slice (a test's) has nothing to wait for.
        if (now >= until || now - t0 < slice / 2) {
            mph__error_set(err, MPH_ERR_TIMEOUT, 0, 0, "%s: no answer in %d ms",
                           mph_transport_name(r->t), timeout_ms);
            return MPH_ERR_TIMEOUT;
        }
    }
}

/* One byte, waiting until deadline at most. */
static mph_status get(mph_repl *r, int64_t deadline, unsigned char *c, mph_error *err) {
    if (r->pos == r->len) {
        size_t got;
        mph_status st = wait_read(r, r->buf, sizeof r->buf, &got, mph__ms_left(deadline), err);
        if (st)
            return st;
        r->pos = 0;
        r->len = got;
    }
    *c = r->buf[r->pos++];
    return MPH_OK;
}

/* A byte of the protocol's own (prompt, OK, R): all are ASCII, so bytes with
 * the high bit set are line noise (a UART at the wrong speed, a booting
 * ESP32's ROM messages) and are skipped. */
static mph_status get_proto(mph_repl *r, int64_t deadline, unsigned char *c, mph_error *err) {
    for (;;) {
        mph_status st = get(r, deadline, c, err);
        if (st || *c < 0x80)
            return st;
        r->noise++;
    }
}

static void remember(mph_repl *r, unsigned char c) {
    if (r->win_len == sizeof r->win) {
        memmove(r->win, r->win + 1, sizeof r->win - 1);
        r->win_len--;
    }
    r->win[r->win_len++] = (char)c;
}

/* While entering: did the board print "KeyboardInterrupt" (a program stopped by
 * our Ctrl-C)? An idle board answers with prompts only. ('K' occurs once in
 * the word, so a mismatch restarts the match at this byte.) */
static void watch(mph_repl *r, const unsigned char *s, size_t n) {
    if (!r->watching)
        return;
    static const char word[] = INTERRUPTED;
    for (size_t i = 0; i < n && !r->stopped; i++) {
        if (s[i] == (unsigned char)word[r->ki_match])
            r->ki_match++;
        else
            r->ki_match = s[i] == (unsigned char)word[0];
        if (r->ki_match == sizeof word - 1)
            r->stopped = true;
    }
}

static bool ends_with(const mph_repl *r, const char *s) {
    size_t n = strlen(s);
    return r->win_len >= n && memcmp(r->win + r->win_len - n, s, n) == 0;
}

/* The remembered bytes, escaped, for error messages. */
static const char *seen(const mph_repl *r, char *buf, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < r->win_len && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)r->win[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            buf[o++] = (char)c;
        else if (c == '\r')
            o += (size_t)snprintf(buf + o, cap - o, "\\r");
        else if (c == '\n')
            o += (size_t)snprintf(buf + o, cap - o, "\\n");
        else
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
    }
    buf[o < cap ? o : cap - 1] = '\0';
    return buf;
}

/* Read until the bytes seen end with suffix, by deadline. Notes a soft reboot on the way. */
static mph_status read_until(mph_repl *r, const char *suffix, int64_t deadline, mph_error *err) {
    r->win_len = 0;
    for (;;) {
        unsigned char c;
        mph_status st = get(r, deadline, &c, err);
        if (st)
            return st;
        if (c >= 0x80) {
            r->noise++;
            continue;
        }
        remember(r, c);
        watch(r, &c, 1);
        if (ends_with(r, SOFT_REBOOT))
            r->soft_reboot = true;
        if (ends_with(r, suffix))
            return MPH_OK;
    }
}

/* Discard input until quiet_ms pass with nothing (0: until nothing more is
 * here now), or until in all. */
static mph_status drain(mph_repl *r, int quiet_ms, int64_t until, mph_error *err) {
    watch(r, r->buf + r->pos, r->len - r->pos);
    r->pos = r->len = 0;
    for (;;) {
        int left = mph__ms_left(until);
        if (left == 0 && quiet_ms > 0)
            return MPH_OK;
        size_t got;
        mph_error e = {0};
        mph_status st = wait_read(r, r->buf, sizeof r->buf, &got,
                                  left < quiet_ms ? left : quiet_ms, &e);
        if (st == MPH_ERR_TIMEOUT)
            return MPH_OK;
        if (st) {
            if (err)
                *err = e;
            return st;
        }
        watch(r, r->buf, got);
    }
}

static void pause_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---------------------------------------------------------------- enter */

mph_status mph_repl_enter(mph_repl *r, bool soft_reset, mph_error *err) {
    if (!r) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "mph_repl_enter: no client");
        return MPH_ERR_ARG;
    }
    const char *name = mph_transport_name(r->t);
    int64_t start = mph__now_ms(), deadline = start + r->enter_timeout_ms;
    mph_status st;
    char shown[200];
    int wait_ms = 1000;
    r->stopped = false;
    r->ki_match = 0;
    r->watching = true;
    int tries = 0;
    for (int attempt = 1;; attempt++) {
        tries = attempt;
        // Ctrl-C twice stops a program (and its KeyboardInterrupt handler).
        if ((st = put(r, "\r\x03\x03", 3, err)))
            break;
        // First try, Ctrl-A at once (what is here already is old output): an idle
        // board answers it straight away, a running one once its program has
        // stopped (the board reads Ctrl-A then), and the banner is the answer
        // that counts. A retry waits for quiet first: a board that reset when
        // the port opened (ESP32 auto-reset) finishes booting.
        int64_t until = mph__now_ms() + 1000;
        if ((st = drain(r, attempt == 1 ? 0 : 150, until < deadline ? until : deadline, err)))
            break;
        if ((st = put(r, "\r\x01", 2, err)))
            break;
        int64_t wait_until = mph__now_ms() + wait_ms;
        st = read_until(r, BANNER, wait_until < deadline ? wait_until : deadline, err);
        if (st == MPH_OK)
            break;
        if (st != MPH_ERR_TIMEOUT)
            break;
        if (mph__now_ms() >= deadline) {
            r->watching = false;
            if (r->win_len)
                mph__error_set(err, MPH_ERR_DEVICE, 0, 0,
                               "%s: could not enter the raw REPL in %d ms (%d tries); the board "
                               "said \"%s\"",
                               name, r->enter_timeout_ms, attempt, seen(r, shown, sizeof shown));
            else
                mph__error_set(err, MPH_ERR_TIMEOUT, 0, 0,
                               "%s: the board did not answer in %d ms (%d tries): is it "
                               "running MicroPython, and is this its REPL port?",
                               name, r->enter_timeout_ms, attempt);
            return r->win_len ? MPH_ERR_DEVICE : MPH_ERR_TIMEOUT;
        }
        wait_ms += 500; // a slow board: give the next try longer
    }
    r->watching = false;
    if (st)
        return st;
    unsigned char c;
    if ((st = get_proto(r, mph__now_ms() + r->timeout_ms, &c, err)))
        return st;
    if (c != '>') {
        mph__error_set(err, MPH_ERR_DEVICE, 0, 0, "%s: no '>' after the raw REPL banner", name);
        return MPH_ERR_DEVICE;
    }
    if (tries > 1) {
        // A board slow to start may answer an earlier try's Ctrl-A late: a second
        // banner, which would be taken for the answer to the next request.
        int64_t until = mph__now_ms() + 300;
        if ((st = drain(r, 100, until, err)))
            return st;
    }
    r->prompt_pending = false;
    r->phase = IDLE;
    if (soft_reset) {
        // Ctrl-D on an empty raw line: soft reset, back in raw mode, main.py not run.
        if ((st = put(r, "\x04", 1, err)))
            return st;
        int64_t until = mph__now_ms() + r->enter_timeout_ms;
        if ((st = read_until(r, SOFT_REBOOT, until, err)) ||
            (st = read_until(r, BANNER ">", until, err))) {
            if (st == MPH_ERR_TIMEOUT)
                mph__error_set(err, MPH_ERR_TIMEOUT, 0, 0,
                               "%s: no raw REPL after the soft reset (the board said \"%s\")",
                               name, seen(r, shown, sizeof shown));
            return st;
        }
    }
    return MPH_OK;
}

/* ----------------------------------------------------------------- exec */

/* Raw-paste mode: the board grants windows of W bytes with \x01. */
static mph_status paste_write(mph_repl *r, const char *code, size_t len, bool *aborted,
                              mph_error *err) {
    const char *name = mph_transport_name(r->t);
    unsigned char lo, hi, c;
    mph_status st;
    int64_t deadline = mph__now_ms() + r->timeout_ms;
    if ((st = get(r, deadline, &lo, err)) || (st = get(r, deadline, &hi, err)))
        return st;
    size_t window = (size_t)lo | (size_t)hi << 8, remaining = window;
    if (window == 0) {
        mph__error_set(err, MPH_ERR_DEVICE, 0, 0, "%s: raw-paste window of 0 bytes", name);
        return MPH_ERR_DEVICE;
    }
    size_t i = 0;
    while (i < len) {
        // Take every flow-control byte that is here; wait only for an empty window.
        for (;;) {
            int64_t until = mph__now_ms() + (remaining == 0 ? r->timeout_ms : 0);
            mph_error e = {0};
            st = get(r, until, &c, &e);
            if (st == MPH_ERR_TIMEOUT && remaining > 0)
                break;
            if (st) {
                if (err)
                    *err = e;
                if (st == MPH_ERR_TIMEOUT)
                    mph__error_set(err, st, 0, 0, "%s: raw-paste: no window from the board in %d ms",
                                   name, r->timeout_ms);
                return st;
            }
            if (c == 0x01) {
                remaining += window;
            } else if (c == 0x04) {
                // The board stopped reading (e.g. a SyntaxError while streaming):
                // acknowledge, then its error arrives in the usual framing.
                *aborted = true;
                return put(r, "\x04", 1, err);
            } else {
                mph__error_set(err, MPH_ERR_DEVICE, 0, 0,
                               "%s: raw-paste: unexpected byte 0x%02x from the board", name, c);
                return MPH_ERR_DEVICE;
            }
        }
        size_t n = len - i < remaining ? len - i : remaining;
        if (r->stop && *r->stop)
            return check(r, err);
        if ((st = put(r, code + i, n, err)))
            return st;
        remaining -= n;
        i += n;
    }
    // The board echoes \x04 once it has read the end (window bytes may come
    // first): follow reads it.
    return put(r, "\x04", 1, err);
}

static mph_status standard_write(mph_repl *r, const char *code, size_t len, mph_error *err) {
    mph_status st;
    for (size_t i = 0; i < len; i += CHUNK) {
        if (r->stop && *r->stop) // a long upload stops between chunks
            return check(r, err);
        if ((st = put(r, code + i, len - i < CHUNK ? len - i : CHUNK, err)))
            return st;
        if (r->pace_ms > 0 && i + CHUNK < len)
            pause_ms(r->pace_ms);
    }
    // The board's "OK" is read by follow.
    return put(r, "\x04", 1, err);
}

mph_status mph_repl_exec_start(mph_repl *r, const char *code, size_t len, mph_error *err) {
    if (!r || (!code && len)) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "mph_repl_exec_start: bad argument");
        return MPH_ERR_ARG;
    }
    if (r->phase != IDLE) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "the previous code is still running");
        return MPH_ERR_ARG;
    }
    if (len == 0) {
        // An empty raw line + Ctrl-D is a soft reset, not "run nothing".
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no code to run");
        return MPH_ERR_ARG;
    }
    for (size_t i = 0; i < len; i++)
        if (code[i] >= 0x01 && code[i] <= 0x05) {
            mph__error_set(err, MPH_ERR_ARG, 0, 0,
                           "the code contains the control byte 0x%02x (at byte %zu), which the "
                           "raw REPL reserves",
                           code[i], i + 1);
            return MPH_ERR_ARG;
        }
    const char *name = mph_transport_name(r->t);
    mph_status st;
    if (r->prompt_pending) {
        if ((st = read_until(r, ">", mph__now_ms() + r->timeout_ms, err))) {
            if (st == MPH_ERR_TIMEOUT)
                mph__error_set(err, st, 0, 0, "%s: no raw REPL prompt in %d ms", name,
                               r->timeout_ms);
            return st;
        }
        r->prompt_pending = false;
    }
    r->tb_len = 0;
    r->tb[0] = '\0';
    r->tb_cut = false;
    if (r->raw_paste != 0 && !r->no_raw_paste) {
        if ((st = put(r, "\x05" "A\x01", 3, err)))
            return st;
        int64_t deadline = mph__now_ms() + r->timeout_ms;
        unsigned char a, b = 0;
        if ((st = get_proto(r, deadline, &a, err)) || (st = get(r, deadline, &b, err)))
            return st;
        if (a == 'R' && b == 0x01) {
            r->raw_paste = 1;
            bool aborted = false;
            if ((st = paste_write(r, code, len, &aborted, err)))
                return st;
            r->phase = aborted ? STDOUT : AWAIT_ECHO;
            return MPH_OK;
        }
        r->raw_paste = 0;
        if (!(a == 'R' && b == 0x00)) {
            // Firmware older than v1.14 took \x01 as "reset the raw REPL": "ra" was
            // the start of its banner.
            if ((st = read_until(r, "w REPL; CTRL-B to exit\r\n>", deadline, err))) {
                if (st == MPH_ERR_TIMEOUT)
                    mph__error_set(err, MPH_ERR_DEVICE, 0, 0,
                                   "%s: unexpected answer 0x%02x 0x%02x to the raw-paste request",
                                   name, a, b);
                return st == MPH_ERR_TIMEOUT ? MPH_ERR_DEVICE : st;
            }
        }
    }
    if ((st = standard_write(r, code, len, err)))
        return st;
    r->phase = AWAIT_OK;
    return MPH_OK;
}

static mph_status tb_append(mph_repl *r, const unsigned char *s, size_t n, mph_error *err) {
    // A traceback that never ends keeps its last TB_MAX bytes: memory stays bounded,
    // and the end is the exception's own line.
    if (n > TB_MAX) {
        s += n - TB_MAX;
        n = TB_MAX;
        r->tb_cut = true;
    }
    if (r->tb_len + n > TB_MAX) {
        size_t drop = r->tb_len + n - TB_MAX;
        memmove(r->tb, r->tb + drop, r->tb_len - drop);
        r->tb_len -= drop;
        r->tb_cut = true;
    }
    if (r->tb_len + n + 1 > r->tb_cap) {
        size_t cap = (r->tb_len + n + 1) * 2;
        char *grown = realloc(r->tb, cap);
        if (!grown) {
            mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
            return MPH_ERR_NOMEM;
        }
        r->tb = grown;
        r->tb_cap = cap;
    }
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\r')
            r->tb[r->tb_len++] = (char)s[i];
    r->tb[r->tb_len] = '\0';
    return MPH_OK;
}

static mph_status finish_run(mph_repl *r, mph_error *err) {
    r->phase = IDLE;
    r->prompt_pending = true;
    while (r->tb_len && (r->tb[r->tb_len - 1] == '\n' || r->tb[r->tb_len - 1] == ' '))
        r->tb[--r->tb_len] = '\0';
    if (r->tb_len == 0)
        return MPH_OK;
    if (r->tb_cut && r->tb_cap >= 5) {
        // Say that the start is missing, in place of the first (partial) line.
        const char *nl = memchr(r->tb, '\n', r->tb_len);
        size_t from = nl && nl + 1 < r->tb + r->tb_len ? (size_t)(nl - r->tb) + 1 : 0;
        if (from < 4 && r->tb_len + 4 - from + 1 > r->tb_cap)
            from = 4 < r->tb_len ? 4 : r->tb_len; // no room to grow: lose 4 bytes more
        memmove(r->tb + 4, r->tb + from, r->tb_len - from + 1);
        r->tb_len = r->tb_len - from + 4;
        memcpy(r->tb, "...\n", 4);
    }
    // The message holds what fits, keeping the end: the exception's own line.
    const char *tb = r->tb;
    size_t room = err ? sizeof err->message - 1 : 0;
    if (r->tb_len > room && room > 4) {
        tb += r->tb_len - (room - 4);
        const char *nl = strchr(tb, '\n');
        if (nl && nl[1])
            tb = nl + 1;
        mph__error_set(err, MPH_ERR_RAISED, 0, 0, "...\n%s", tb);
    } else {
        mph__error_set(err, MPH_ERR_RAISED, 0, 0, "%s", tb);
    }
    return MPH_ERR_RAISED;
}

/* One byte of the board's acceptance of the code, before its output. */
static mph_status accept_byte(mph_repl *r, unsigned char c, mph_error *err) {
    if (c >= 0x80) { // line noise where the protocol's own ASCII bytes are due
        r->noise++;
        return MPH_OK;
    }
    switch (r->phase) {
    case AWAIT_ECHO: // raw-paste: window bytes, then the \x04 echo
        if (c == 0x04)
            r->phase = STDOUT;
        return MPH_OK;
    case AWAIT_OK: // a '>' may come first: boards that print "R\x00>" for raw-paste
        if (c == '>')
            return MPH_OK;
        if (c == 'O') {
            r->phase = AWAIT_K;
            return MPH_OK;
        }
        break;
    case AWAIT_K:
        if (c == 'K') {
            r->phase = STDOUT;
            return MPH_OK;
        }
        break;
    default:
        return MPH_OK;
    }
    unsigned char first = r->phase == AWAIT_K ? 'O' : c, second = r->phase == AWAIT_K ? c : 0;
    r->phase = IDLE;
    r->prompt_pending = true; // whatever the board is doing, wait for a prompt before the next
    mph__error_set(err, MPH_ERR_DEVICE, 0, 0,
                   "%s: could not run the code (the board answered 0x%02x 0x%02x, not OK)",
                   mph_transport_name(r->t), first, second);
    return MPH_ERR_DEVICE;
}

mph_status mph_repl_follow(mph_repl *r, mph_sink *out, int timeout_ms, mph_error *err) {
    if (!r || r->phase == IDLE) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "mph_repl_follow: no code is running");
        return MPH_ERR_ARG;
    }
    for (;;) {
        if (r->pos == r->len) {
            size_t got;
            mph_status st = wait_read(r, r->buf, sizeof r->buf, &got, timeout_ms, err);
            if (st)
                return st;
            r->pos = 0;
            r->len = got;
        } else if (r->stop || r->deadline) {
            // A board that never pauses is still held to both.
            mph_status st = check(r, err);
            if (st)
                return st;
        }
        if (r->phase < STDOUT) {
            mph_status st = accept_byte(r, r->buf[r->pos++], err);
            if (st)
                return st;
            continue;
        }
        unsigned char *p = r->buf + r->pos;
        size_t n = r->len - r->pos;
        unsigned char *eot = memchr(p, 0x04, n);
        size_t k = eot ? (size_t)(eot - p) : n;
        r->pos += k + (eot ? 1 : 0);
        if (r->phase == STDOUT) {
            // The phase moves on first: a sink that refuses leaves follow resumable.
            if (eot)
                r->phase = ERRTEXT;
            if (k && out) {
                mph_status st = out->write(out->ctx, (const char *)p, k);
                if (st) {
                    mph__error_set(err, st, 0, 0, "writing the board's output failed");
                    return st;
                }
            }
        } else {
            mph_status st = tb_append(r, p, k, err);
            if (st)
                return st;
            if (eot)
                return finish_run(r, err);
        }
    }
}

/* exec_start + follow to the end under the per-read timeout and, when
 * overall_ms > 0, an overall deadline. A run that is stuck, overdue, over its
 * size or stopped is interrupted, so that the board is usable again. */
static mph_status run(mph_repl *r, const char *code, size_t len, mph_sink *out, int overall_ms,
                      mph_error *err) {
    mph_status st = mph_repl_exec_start(r, code, len, err);
    if (st)
        return st;
    r->overdue = false;
    r->deadline = overall_ms > 0 ? mph__now_ms() + overall_ms : 0;
    st = mph_repl_follow(r, out, r->timeout_ms, err);
    if (st == MPH_ERR_TIMEOUT || st == MPH_ERR_LIMIT || st == MPH_ERR_STOPPED) {
        bool accepted = r->phase >= STDOUT, overdue = r->overdue;
        // Ctrl-C, then a short while for the run's end (the board may go on
        // sending meanwhile: the deadline holds it); stopped: shorter still.
        const volatile sig_atomic_t *stop = r->stop;
        r->stop = NULL;
        r->deadline = mph__now_ms() + (st == MPH_ERR_STOPPED ? 300 : 1000);
        mph_error ignored = {0};
        mph_status end = mph_repl_interrupt(r, &ignored);
        if (end == MPH_OK)
            end = mph_repl_follow(r, NULL, 1000, &ignored);
        if (end != MPH_OK && end != MPH_ERR_RAISED) {
            r->phase = IDLE; // give up on it; the next run waits for a prompt
            r->prompt_pending = true;
        }
        r->stop = stop;
        if (st == MPH_ERR_TIMEOUT && overdue)
            mph__error_set(err, MPH_ERR_TIMEOUT, 0, 0,
                           "%s: the board's answer went on for more than %.0f s in all "
                           "(interrupted with Ctrl-C)",
                           mph_transport_name(r->t), overall_ms / 1000.0);
        else if (st == MPH_ERR_TIMEOUT)
            mph__error_set(err, MPH_ERR_TIMEOUT, 0, 0,
                           accepted ? "%s: the code printed nothing for %d ms (interrupted with "
                                      "Ctrl-C)"
                                    : "%s: no answer to the code in %d ms (no OK; interrupted "
                                      "with Ctrl-C)",
                           mph_transport_name(r->t), r->timeout_ms);
    }
    r->deadline = 0;
    return st;
}

void mph_repl_set_deadline(mph_repl *r, int ms) {
    if (!r)
        return;
    r->overdue = false;
    r->deadline = ms > 0 ? mph__now_ms() + ms : 0;
}

mph_status mph_repl_exec(mph_repl *r, const char *code, size_t len, mph_sink *out,
                         mph_error *err) {
    if (!r) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "mph_repl_exec: no client");
        return MPH_ERR_ARG;
    }
    return run(r, code, len, out, 0, err);
}

uint64_t mph_repl_dump_limit(const char *head, size_t len) {
    static const char word[] = "GC: total: ";
    const size_t k = sizeof word - 1;
    if (!head)
        return DUMP_HEAD_MAX;
    if (len > 4096)
        len = 4096;
    for (size_t i = 0; i + k < len; i++) {
        if (head[i] != 'G' || memcmp(head + i, word, k) != 0)
            continue;
        uint64_t total = 0;
        size_t j = i + k, digits = 0;
        while (j < len && head[j] >= '0' && head[j] <= '9' && digits < 20) {
            total = total * 10 + (uint64_t)(head[j++] - '0');
            digits++;
        }
        if (!digits || j == len)
            return DUMP_HEAD_MAX; // the figure may not have arrived whole
        // Blocks are at least 8 bytes; a row of 64 cells takes at most 128 characters.
        return DUMP_HEAD_MAX + (total > UINT64_MAX / 2 ? UINT64_MAX / 2 : total / 4);
    }
    return DUMP_HEAD_MAX;
}

/* A sink that passes a dump on while it is within mph_repl_dump_limit. */
typedef struct capped {
    mph_sink *out;
    uint64_t n, limit;
    char head[4096];
    size_t head_len;
} capped;

static mph_status capped_write(void *ctx, const char *s, size_t n) {
    capped *c = ctx;
    if (c->head_len < sizeof c->head && c->limit == DUMP_HEAD_MAX) {
        size_t k = sizeof c->head - c->head_len < n ? sizeof c->head - c->head_len : n;
        memcpy(c->head + c->head_len, s, k);
        c->head_len += k;
        c->limit = mph_repl_dump_limit(c->head, c->head_len);
    }
    c->n += n;
    if (c->n > c->limit)
        return MPH_ERR_LIMIT;
    return c->out ? c->out->write(c->out->ctx, s, n) : MPH_OK;
}

static mph_status snapshot_run(mph_repl *r, const char *code, size_t len, mph_sink *out,
                               mph_error *err) {
    capped c = {out, 0, DUMP_HEAD_MAX, "", 0};
    mph_sink sink = {capped_write, &c};
    mph_status st = run(r, code, len, &sink, r->snapshot_ms, err);
    if (st == MPH_ERR_LIMIT && c.n > c.limit)
        mph__error_set(err, MPH_ERR_LIMIT, 0, 0,
                       c.limit == DUMP_HEAD_MAX
                           ? "%s: the dump passed %" PRIu64 " bytes with no \"GC: total:\" line "
                             "(interrupted with Ctrl-C)"
                           : "%s: the dump passed %" PRIu64 " bytes, more than its \"GC: total:\" "
                             "allows (interrupted with Ctrl-C)",
                       mph_transport_name(r->t), c.limit);
    return st;
}

mph_status mph_repl_snapshot(mph_repl *r, bool collect, mph_sink *out, mph_error *err) {
    // The shortest code found (device/README.md): 9 blocks of compile garbage
    // on the WebAssembly port, against 10 for __import__ or `as` forms.
    static const char dump[] = "import micropython;micropython.mem_info(1)";
    static const char gc_dump[] = "import gc;gc.collect();import micropython;micropython.mem_info(1)";
    if (!r) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "mph_repl_snapshot: no client");
        return MPH_ERR_ARG;
    }
    if (collect) {
        // Ports that collect only between runs (WebAssembly) do it before the next.
        static const char gc_only[] = "import gc;gc.collect()";
        mph_status st = snapshot_run(r, gc_only, sizeof gc_only - 1, NULL, err);
        if (st)
            return st;
        return snapshot_run(r, gc_dump, sizeof gc_dump - 1, out, err);
    }
    return snapshot_run(r, dump, sizeof dump - 1, out, err);
}

mph_status mph_repl_interrupt(mph_repl *r, mph_error *err) {
    if (!r) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "mph_repl_interrupt: no client");
        return MPH_ERR_ARG;
    }
    return put(r, "\x03", 1, err);
}

mph_status mph_repl_leave(mph_repl *r, mph_error *err) {
    if (!r) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "mph_repl_leave: no client");
        return MPH_ERR_ARG;
    }
    r->phase = IDLE;
    r->prompt_pending = false;
    return put(r, "\r\x02", 2, err);
}
