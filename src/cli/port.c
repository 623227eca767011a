/* Boards for the subcommands: the --port word, finding the virtual board,
 * and one live snapshot as a parsed log (what `show --port` uses). */
#include "cli.h"
#include "sys.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *cli_board_script(char *buf, size_t cap) {
    const char *env = getenv("MPHEAP_BOARD");
    if (env && *env) {
        snprintf(buf, cap, "%s", env);
        return buf;
    }
    // Next to the binary: build/mpheap -> board/, PREFIX/bin/mpheap -> PREFIX/share/mpheap/board/.
    char exe[PATH_MAX];
    long n = cli_sys_exe_path(exe, sizeof exe);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        static const char *const rel[] = {"/../board/virtual-board.mjs",
                                          "/../share/mpheap/board/virtual-board.mjs",
                                          "/board/virtual-board.mjs"};
        for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
            snprintf(buf, cap, "%s%s", exe, rel[i]);
            if (access(buf, R_OK) == 0)
                return buf;
        }
    }
    snprintf(buf, cap, "board/virtual-board.mjs");
    return access(buf, R_OK) == 0 ? buf : NULL;
}

void cli_print_device_error(const char *name, const mph_error *err) {
    // The library's messages name the port already: do not say it twice.
    size_t n = strlen(name);
    // A traceback is the board's text: its escape sequences are shown, not obeyed.
    if (strncmp(err->message, name, n) == 0 && err->message[n] == ':') {
        fprintf(stderr, "mpheap: %s: error:", name);
        cli_write_clean(stderr, err->message + n + 1, strlen(err->message + n + 1));
        fputc('\n', stderr);
    } else {
        cli_print_error(name, err);
    }
}

static bool is_sim(const char *spec) {
    return strcmp(spec, "sim") == 0 || strncmp(spec, "sim:", 4) == 0;
}

int cli_open_board(const char *spec, mph_transport **out) {
    char script[PATH_MAX];
    mph_port_options o = {getenv("MPHEAP_NODE"), cli_board_script(script, sizeof script), NULL};
    // A test hook: a copy of /sys to enumerate instead of the real one.
    const char *sysfs = getenv("MPHEAP_SYSFS");
    if (sysfs && *sysfs)
        o.sysfs_root = sysfs;
    if (is_sim(spec) && o.board_script && !getenv("MPHEAP_BOARD")) {
        // Say what is missing before Node.js says it less clearly.
        char mods[PATH_MAX + 64];
        snprintf(mods, sizeof mods, "%s", o.board_script);
        char *slash = strrchr(mods, '/');
        size_t at = slash ? (size_t)(slash - mods + 1) : 0;
        snprintf(mods + at, sizeof mods - at, "node_modules/@micropython");
        if (access(mods, F_OK) != 0) {
            fprintf(stderr,
                    "mpheap: sim: error: the virtual board's packages are not installed: run "
                    "`npm ci --prefix board` (or `make bootstrap`)\n");
            return EXIT_DEVICE;
        }
    }
    mph_error err = {0};
    mph_status st = mph_port_open(spec, &o, out, &err);
    if (st) {
        cli_print_device_error(spec, &err);
        return cli_exit_code(st);
    }
    return EXIT_OK;
}

int cli_repl_options(const char *spec, double timeout_s, mph_repl_options *o) {
    memset(o, 0, sizeof *o);
    o->timeout_ms = timeout_s > 0 ? (int)(timeout_s * 1000 + 0.5) : 10000;
    o->enter_timeout_ms = o->timeout_ms;
    // A pty or a pipe loses nothing: no pacing. A UART with no flow control might.
    bool child = is_sim(spec) || strncmp(spec, "exec:", 5) == 0 || strncmp(spec, "pipe:", 5) == 0;
    o->pace_ms = child ? 0 : -1;
    return 0;
}

void cli_utc_now(char *buf, size_t cap) {
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

double cli_mono_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + now.tv_nsec / 1e9;
}

/* A growable buffer as a sink. */
mph_status cli_buffer_write(void *ctx, const char *s, size_t n) {
    cli_buffer *b = ctx;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown)
            return MPH_ERR_NOMEM;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return MPH_OK;
}

int cli_repl_end(mph_repl *r, const char *name, mph_status st, mph_error *err) {
    if (st) {
        if (st == MPH_ERR_NOMEM)
            snprintf(err->message, sizeof err->message, "out of memory");
        cli_print_device_error(name, err);
        return cli_exit_code(st);
    }
    mph_error ignored;
    if (mph_repl_leave(r, &ignored) != MPH_OK)
        fprintf(stderr, "mpheap: %s: warning: could not leave the raw REPL\n", name);
    return EXIT_OK;
}

int cli_capture_live(const char *spec, const input_options *opts, mph_log **out) {
    mph_transport *t = NULL;
    int rc = cli_open_board(spec, &t);
    if (rc)
        return rc;
    mph_repl_options ro;
    cli_repl_options(spec, 0, &ro);
    mph_repl *r = mph_repl_new(t, &ro);
    cli_buffer text = {0};
    mph_sink sink = {cli_buffer_write, &text};
    mph_error err = {0};
    const char *name = mph_transport_name(t);
    char when[32];
    cli_utc_now(when, sizeof when);
    // The marker makes the snapshot's title say where and when it came from.
    char marker[300];
    int n = snprintf(marker, sizeof marker, "=== mpheap: %s @ %s ===\n", name, when);
    mph_status st = r ? MPH_OK : MPH_ERR_NOMEM;
    if (!st)
        st = cli_buffer_write(&text, marker, (size_t)n);
    if (!st)
        st = mph_repl_enter(r, false, &err);
    if (!st)
        st = mph_repl_snapshot(r, false, &sink, &err);
    rc = cli_repl_end(r, name, st, &err);
    if (!rc) {
        if (opts->verbose >= 0)
            fprintf(stderr, "mpheap: %s: one snapshot through the raw REPL (%sno soft reset)\n",
                    name,
                    mph_repl_stopped_program(r) ? "a running program was stopped with Ctrl-C; "
                                                : "");
        st = mph_log_parse(text.data, text.len, &opts->parse, out, &err);
        if (st) {
            cli_print_error(name, &err);
            rc = cli_exit_code(st);
        }
    }
    free(text.data);
    mph_repl_free(r);
    mph_transport_free(t);
    return rc;
}
