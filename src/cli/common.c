/* What every subcommand shares: loading input with located messages,
 * sizes with units, and the terminal. */
#include "cli.h"
#include "sys.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads of 128 KiB stay in the core's cache until the parser has used them;
 * 1 MiB reads measured about 0.5 ms slower on a 4 MB dump (bench/). */
#define READ_CHUNK (128u << 10)

int cli_exit_code(mph_status status) {
    switch (status) {
    case MPH_OK: return EXIT_OK;
    case MPH_ERR_SYNTAX:
    case MPH_ERR_INVARIANT:
    case MPH_ERR_NOT_FOUND:
    case MPH_ERR_LIMIT: return EXIT_BAD_INPUT;
    case MPH_ERR_ARG: return EXIT_USAGE;
    case MPH_ERR_IO:
    case MPH_ERR_NOMEM: return EXIT_IO;
    case MPH_ERR_RAISED: return EXIT_CHECK_FAILED;
    default: return EXIT_DEVICE;
    }
}

void cli_write_clean(FILE *f, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        // C0 controls but newline and tab, DEL, and C1 controls (U+0080-U+009F,
        // C2 80..C2 9F in UTF-8): what a terminal would act on.
        bool c1 = c == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f;
        if ((c >= 0x20 && c != 0x7f && !c1) || c == '\n' || c == '\t')
            continue;
        fwrite(s + from, 1, i - from, f);
        if (c1)
            fprintf(f, "\\u%04x", p[++i]);
        else if (c != '\r') // CRLF lines: the CR is nothing to see
            fprintf(f, "\\x%02x", c);
        from = i + 1;
    }
    fwrite(s + from, 1, n - from, f);
}

static void print_error_to(FILE *msgs, const char *name, const mph_error *err) {
    // The message may quote the input or a board's traceback: no escapes pass.
    if (err->line)
        fprintf(msgs, "mpheap: %s:%lu:%lu: error: ", name, err->line,
                err->column ? err->column : 1);
    else
        fprintf(msgs, "mpheap: %s: error: ", name);
    cli_write_clean(msgs, err->message, strlen(err->message));
    fputc('\n', msgs);
}

/* "writing the output failed" was said: say it once, whoever finds it first. */
static bool output_error_told;

void cli_print_error(const char *name, const mph_error *err) {
    if (strcmp(name, "<stdout>") == 0)
        output_error_told = true;
    print_error_to(stderr, name, err);
}

static void tell_output_error(void) {
    if (!output_error_told)
        fprintf(stderr, "mpheap: <stdout>: error: writing the output failed%s%s\n",
                errno ? ": " : "", errno ? strerror(errno) : "");
    output_error_told = true;
}

int cli_flush_stdout(void) {
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 0;
    tell_output_error();
    return -1;
}

static void print_diagnostics(FILE *msgs, const char *name, const mph_log *log, int verbose) {
    size_t n = mph_log_diagnostic_count(log);
    for (size_t i = 0; i < n; i++) {
        const mph_diagnostic *d = mph_log_diagnostic(log, i);
        if (d->level == MPH_DIAG_NOTE && verbose < 1)
            continue;
        fprintf(msgs, "mpheap: %s:%lu:%lu: %s: %s\n", name, d->line, d->column ? d->column : 1,
                d->level == MPH_DIAG_WARNING ? "warning" : "note", d->message);
    }
    // A damaged dump is an error of its own; the others read (numbered without it).
    for (size_t i = 0; i < mph_log_damaged_count(log); i++) {
        const mph_damaged *d = mph_log_damaged(log, i);
        print_error_to(msgs, name, &d->error);
        fprintf(msgs, "mpheap: %s:%lu: note: dump %zu of the input", name, d->first_line,
                d->position + 1);
        if (d->label) {
            fputs(" (", msgs);
            cli_write_clean(msgs, d->label, strlen(d->label));
            fputc(')', msgs);
        }
        size_t count = mph_log_snapshot_count(log);
        if (d->before == 0)
            fprintf(msgs, " is damaged: left out, before snapshot 1\n");
        else if (d->before == count)
            fprintf(msgs, " is damaged: left out, after snapshot %zu\n", count);
        else
            fprintf(msgs, " is damaged: left out, between snapshots %zu and %zu\n", d->before,
                    d->before + 1);
    }
    if (verbose >= 1 && mph_log_skipped_lines(log))
        fprintf(msgs, "mpheap: %s: note: %lu lines are not part of any dump\n", name,
                mph_log_skipped_lines(log));
}

/* How many cells a log's maps may take at once: MPHEAP_MAP_MEMORY (a size, as --need
 * takes), else 2 GiB; a small file claiming huge heaps must not take the host's memory. */
static uint64_t cli_map_memory(void) {
    static bool warned;
    uint64_t n;
    const char *v = getenv("MPHEAP_MAP_MEMORY");
    if (v && *v && cli_parse_size(v, &n) && n > 0)
        return n;
    if (v && *v && !warned) {
        warned = true;
        fprintf(stderr, "mpheap: warning: MPHEAP_MAP_MEMORY='%s' is not a size (say 512M or 8G): "
                        "2G it is\n", v);
    }
    return UINT64_C(2) << 30;
}

/* One pass of a parser over f into *out, keeping the maps `which` says
 * (mph_parser_keep_maps); EXIT_OK, or the exit code with the error printed. */
static int parse_file(FILE *msgs, const char *name, FILE *f, const input_options *opts, long which,
                      bool skim, mph_snapshot_fn fn, void *ctx, char *buf, uint64_t *bytes,
                      mph_log **out) {
    uint64_t most = *bytes; // in: the most to read (a second pass reads what the first did)
    *bytes = 0;
    mph_error err = {0};
    mph_parser *p = mph_parser_new(&opts->parse);
    int rc = EXIT_OK;
    if (!p) {
        fprintf(msgs, "mpheap: %s: error: out of memory\n", name);
        return EXIT_IO;
    }
    mph_parser_keep_maps(p, which);
    mph_parser_skim_maps(p, skim);
    uint64_t budget = cli_map_memory();
    mph_parser_limit_maps(p, budget);
    mph_parser_on_snapshot(p, fn, ctx);
    size_t n;
    while (*bytes < most &&
           (n = fread(buf, 1, most - *bytes < READ_CHUNK ? (size_t)(most - *bytes) : READ_CHUNK, f)) > 0) {
        *bytes += n;
        mph_status st = mph_parser_feed(p, buf, n, &err);
        if (st) {
            print_error_to(msgs, name, &err);
            if (st == MPH_ERR_NOMEM && strstr(err.message, "may be kept at once"))
                fprintf(msgs, "mpheap: %s: note: a log's maps may take %llu MiB at once "
                              "(MPHEAP_MAP_MEMORY, a size: 2G if unset); `--snapshot N`, `timeline` "
                              "and, from a file, `--snapshot all` hold one map at a time\n",
                        name, (unsigned long long)(budget >> 20));
            rc = cli_exit_code(st);
            goto done;
        }
        if (feof(f)) // one Ctrl-D ends a terminal's input (another read would wait for a second)
            break;
    }
    if (ferror(f)) {
        fprintf(msgs, "mpheap: %s: error: read failed: %s\n", name, strerror(errno));
        rc = EXIT_IO;
        goto done;
    }
    mph_status st = mph_parser_finish(p, out, &err);
    if (st) {
        print_error_to(msgs, name, &err);
        rc = cli_exit_code(st);
    }
done:
    mph_parser_free(p);
    return rc;
}

/* A regular file: it can be read again. */
static bool regular(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* Read FILE into *out: keep_maps says which maps stay; fn sees each map (NULL: none);
 * quiet: no warnings (a first pass printed them); *bytes (NULL: all), in: the most to
 * read, out: how many were. */
static int load(FILE *msgs, const char *path, const input_options *opts, mph_snapshot_fn fn,
                void *ctx, bool quiet, uint64_t *bytes, mph_log **out) {
    if (opts->port) {
        if (path) {
            fprintf(stderr, "mpheap: give a FILE or --port, not both\n");
            return EXIT_USAGE;
        }
        return cli_capture_live(opts->port, opts, out);
    }
    bool use_stdin = !path || strcmp(path, "-") == 0;
    const char *name = use_stdin ? "<stdin>" : path;
    if (use_stdin && isatty(STDIN_FILENO))
        // Else a terminal would wait in silence for what it never asked for.
        fprintf(stderr, "mpheap: reading a dump from the terminal: paste what "
                        "micropython.mem_info(1)\nprinted, then press Ctrl-D (or give a FILE, "
                        "or -p PORT to take one from a board)\n");
    FILE *f = use_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(msgs, "mpheap: %s: error: %s\n", name, strerror(errno));
        return EXIT_IO;
    }
    char *buf = malloc(READ_CHUNK);
    int rc = EXIT_OK;
    if (!buf) {
        fprintf(msgs, "mpheap: %s: error: out of memory\n", name);
        rc = EXIT_IO;
        goto done;
    }
    long keep = opts->keep_maps;
    long which = keep > 0 ? keep - 1 : keep == -1 ? MPH_KEEP_LAST : keep ? MPH_KEEP_NONE : MPH_KEEP_ALL;
    // The last map so far is given back early only where it can be read again: a file.
    bool again = keep == -1 && regular(fileno(f));
    // --snapshot N shows N alone: the others are only read and checked, never stored; so
    // are all when none is kept and no hook sees them (a count).
    uint64_t most = bytes ? *bytes : UINT64_MAX, got = most;
    rc = parse_file(msgs, name, f, opts, which, keep > 0 || again || (keep == -2 && !fn), fn, ctx,
                    buf, &got, out);
    size_t count = rc == EXIT_OK ? mph_log_snapshot_count(*out) : 0;
    const mph_snapshot *last = count ? mph_log_snapshot(*out, count - 1) : NULL;
    if (again && last && !mph_snapshot_has_map(last) && mph_snapshot_area_count(last)) {
        // The dump after it was damaged once its map had begun: read again, for this one's.
        mph_log_free(*out);
        *out = NULL;
        if (fseek(f, 0, SEEK_SET) != 0) {
            fprintf(msgs, "mpheap: %s: error: cannot read it again: %s\n", name, strerror(errno));
            rc = EXIT_IO;
            goto done;
        }
        // The bytes read the first time: a log that grows meanwhile has the same last snapshot.
        rc = parse_file(msgs, name, f, opts, (long)(count - 1), true, fn, ctx, buf, &got, out);
    }
    if (bytes)
        *bytes = got;
    if (rc == EXIT_OK && !quiet)
        print_diagnostics(msgs, name, *out, opts->verbose);
done:
    free(buf);
    if (!use_stdin)
        fclose(f);
    return rc;
}

int cli_load_reporting_to(FILE *msgs, const char *path, const input_options *opts, mph_log **out) {
    return load(msgs, path, opts, NULL, NULL, false, NULL, out);
}

int cli_load(const char *path, const input_options *opts, mph_log **out) {
    return load(stderr, path, opts, NULL, NULL, false, NULL, out);
}

int cli_load_each(const char *path, const input_options *opts, mph_snapshot_fn fn, void *ctx,
                  mph_log **out) {
    return load(stderr, path, opts, fn, ctx, false, NULL, out);
}

bool cli_rereadable(const char *path, const input_options *opts) {
    struct stat st;
    if (opts->port)
        return false;
    if (!path || strcmp(path, "-") == 0)
        return regular(STDIN_FILENO);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A first pass over a rereadable FILE: *total, its snapshots, each map only read and
 * checked, in the *bytes it has now; prints the errors and warnings a reading prints.
 * Standard input is then wound back for the second. */
static int count_snapshots(const char *path, const input_options *opts, size_t *total,
                           uint64_t *bytes) {
    input_options counting = *opts;
    counting.keep_maps = -2;
    mph_log *log = NULL;
    *bytes = UINT64_MAX;
    int rc = load(stderr, path, &counting, NULL, NULL, false, bytes, &log);
    if (rc == EXIT_OK)
        *total = mph_log_snapshot_count(log);
    mph_log_free(log);
    if ((!path || strcmp(path, "-") == 0) && rc == EXIT_OK) {
        clearerr(stdin);
        if (fseek(stdin, 0, SEEK_SET) != 0) {
            fprintf(stderr, "mpheap: <stdin>: error: cannot read it again: %s\n", strerror(errno));
            rc = EXIT_IO;
        }
    }
    return rc;
}

/* cli_stream_snapshots' hook: the command's each, until it fails or the reader quits. */
typedef struct stream_state {
    cli_snapshot_each each;
    void *ctx;
    size_t total, seen;
    int rc;
} stream_state;

static mph_status stream_one(void *ctx, const mph_snapshot *s, size_t index, mph_error *err) {
    (void)err;
    stream_state *st = ctx;
    st->seen++;
    if (st->rc == EXIT_OK && !cli_pager_quit()) // the rest is still read: its damage counts
        st->rc = st->each(st->ctx, s, index, st->total);
    return MPH_OK;
}

int cli_stream_snapshots(const char *path, const input_options *opts, bool paging,
                         cli_snapshot_each each, void *ctx, mph_log **out) {
    stream_state st = {each, ctx, 0, 0, EXIT_OK};
    uint64_t bytes;
    int rc = count_snapshots(path, opts, &st.total, &bytes);
    if (rc)
        return rc;
    cli_pager_begin(paging);
    input_options in = *opts;
    in.keep_maps = -2;
    // What the first pass read, no more: a log that grows meanwhile shows what was counted.
    rc = load(stderr, path, &in, stream_one, &st, true, &bytes, out);
    // No dump with a map: the log holds their headers, and the hook saw none.
    for (size_t i = 0, hooked = st.seen; rc == EXIT_OK && !hooked && i < mph_log_snapshot_count(*out);
         i++)
        stream_one(&st, mph_log_snapshot(*out, i), i, NULL);
    return rc ? rc : st.rc;
}

/* The one number reader behind every numeric option: decimal digits, with
 * one '.' and a fraction when fraction is set. No sign, exponent, hex, nan,
 * inf or spaces: strtod's extras ("0x10" as 16, "nan" past every check) are
 * not numbers a user means. *end is what follows. */
static int read_decimal(const char *text, bool fraction, double *value, uint64_t *whole,
                        const char **end) {
    const char *p = text;
    uint64_t w = 0;
    size_t digits = 0, fdigits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        unsigned d = (unsigned)(*p - '0');
        if (w > (UINT64_MAX - d) / 10)
            return 0;
        w = w * 10 + d;
    }
    double f = 0, scale = 0.1;
    if (fraction && *p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, fdigits++, scale /= 10)
            f += (*p - '0') * scale;
    if (!digits && !fdigits)
        return 0;
    *value = (double)w + f;
    if (whole)
        *whole = w;
    *end = p;
    return 1;
}

int cli_parse_size(const char *text, uint64_t *out) {
    const char *end;
    double v;
    if (!read_decimal(text, true, &v, NULL, &end))
        return 0;
    double unit = 1;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': unit = 1024; break;
        case 'm': case 'M': unit = 1024.0 * 1024; break;
        case 'g': case 'G': unit = 1024.0 * 1024 * 1024; break;
        default: return 0;
        }
        end++;
        if (*end == 'i')
            end++;
        if (*end == 'B' || *end == 'b')
            end++;
        if (*end)
            return 0;
    }
    v *= unit;
    if (v > 1.8e19)
        return 0;
    *out = (uint64_t)(v + 0.5);
    return 1;
}

int cli_parse_seconds(const char *text, double *out) {
    const char *end;
    double v;
    if (!read_decimal(text, true, &v, NULL, &end) || *end || v > 1e7)
        return 0;
    *out = v;
    return 1;
}

int cli_parse_need(const char *text, uint64_t *out) {
    if (!cli_parse_size(text, out) || *out == 0) {
        fprintf(stderr, "mpheap: --need takes a size in bytes above 0 (4096, 4K, 1.5M), not '%s'\n",
                text);
        return 0;
    }
    return 1;
}

int cli_parse_scale(const char *text, uint64_t *scale, bool *auto_scale) {
    if (strcmp(text, "auto") == 0) {
        *auto_scale = true;
        return 1;
    }
    uint64_t k;
    if (!cli_parse_count(text, &k) || k < 1) {
        fprintf(stderr, "mpheap: --scale takes a number of blocks or auto, not '%s'\n", text);
        return 0;
    }
    *scale = k;
    *auto_scale = false;
    return 1;
}

int cli_parse_palette(const char *text, mph_palette_kind *out) {
    if (mph_palette_parse(text, out))
        return 1;
    if (cli_looks_like_port(text))
        fprintf(stderr, "mpheap: '%s' is a board, not a palette: give it to -p/--port\n"
                        "(--palette takes safe, notebook, type, rainbow or mono)\n",
                text);
    else
        fprintf(stderr, "mpheap: --palette takes safe, notebook, type, rainbow or mono, not '%s'\n",
                text);
    return 0;
}

int cli_parse_block_size(const char *text, unsigned *out) {
    uint64_t v;
    if (!cli_parse_size(text, &v) || v < 1 || v > 65536 || (v & (v - 1))) {
        fprintf(stderr, "mpheap: --block-size takes a power of two up to 65536, not '%s'\n", text);
        return 0;
    }
    *out = (unsigned)v;
    return 1;
}

int cli_input_option(int c, const char *arg, input_options *in, const char *usage) {
    switch (c) {
    case CLI_OPT_BLOCK_SIZE: return cli_parse_block_size(arg, &in->parse.block_size) ? EXIT_OK : EXIT_USAGE;
    case CLI_OPT_STRICT: in->parse.strict = true; return EXIT_OK;
    case 'p':
    case CLI_OPT_PORT:
        if (!cli_port_word_ok(arg))
            return EXIT_USAGE;
        in->port = arg;
        return EXIT_OK;
    case 'v': in->verbose++; return EXIT_OK;
    default: fputs(usage, stderr); return EXIT_USAGE;
    }
}

static unsigned env_number(const char *name, unsigned fallback) {
    const char *v = getenv(name);
    if (v && *v) {
        long n = strtol(v, NULL, 10);
        if (n > 0 && n < 100000)
            return (unsigned)n;
    }
    return fallback;
}

/* The terminal's size, asked once: a pager may take stdout over later. */
static unsigned term_cols, term_rows;

static void terminal_size(void) {
    if (term_cols)
        return;
    unsigned cols = 0, rows = 0;
    bool tty = cli_sys_terminal_size(&cols, &rows);
    term_cols = tty && cols ? cols : env_number("COLUMNS", 80);
    term_rows = tty && rows ? rows : env_number("LINES", 50);
}

unsigned cli_terminal_width(void) {
    terminal_size();
    return term_cols;
}

unsigned cli_terminal_height(void) {
    terminal_size();
    return term_rows;
}

int cli_color_depth(const char *word, mph_color_depth *out) {
    if (strcmp(word, "16") == 0)
        *out = MPH_COLORS_16;
    else if (strcmp(word, "256") == 0)
        *out = MPH_COLORS_256;
    else if (strcmp(word, "24bit") == 0 || strcmp(word, "truecolor") == 0)
        *out = MPH_COLORS_24BIT;
    else if (strcmp(word, "auto") != 0)
        return 0;
    else {
        // COLORTERM is how terminals say they take 24-bit colour; 256 colours
        // are the rule everywhere else (xterm, tmux, screen, the Linux console).
        const char *ct = getenv("COLORTERM");
        *out = ct && (strcmp(ct, "truecolor") == 0 || strcmp(ct, "24bit") == 0) ? MPH_COLORS_24BIT
                                                                                 : MPH_COLORS_256;
    }
    return 1;
}

/* ------------------------------------------------------------- board words */

int cli_looks_like_port(const char *w) {
    static const char *const prefixes[] = {"/dev/", "port:", "id:", "exec:", "pipe:", "sim:", "COM"};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (strncmp(w, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    if (strcmp(w, "auto") == 0 || strcmp(w, "sim") == 0)
        return 1;
    // mpremote's shortcuts: a0..a3, u0..u3, c0..c3
    return strlen(w) == 2 && strchr("auc", w[0]) && w[1] >= '0' && w[1] <= '9';
}

int cli_port_word_ok(const char *w) {
    mph_palette_kind k;
    if (mph_palette_parse(w, &k) && access(w, F_OK) != 0) {
        fprintf(stderr, "mpheap: '%s' is a palette, not a board: -p is --port (as in esptool "
                        "and mpremote);\nthe palette is `mpheap show --palette %s`\n",
                w, w);
        return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- output */

/* What goes to stdout goes through here: straight to stdout, or held until
 * it is longer than the screen and then through the pager. */
static struct {
    bool holding;        /* stdout is a terminal: hold output until it fills the screen */
    const char *command; /* the pager */
    unsigned rows;
    size_t lines;
    cli_buffer held;
    FILE *pipe;          /* to the pager, once it runs */
    long pid;
    bool gone;           /* the pager quit before the output ended */
} pager;

/* $MPHEAP_PAGER, else $PAGER, else `less -R` when there is a less; NULL: none
 * ("" and "cat" are none, as in git). */
static const char *pager_command(void) {
    const char *p = getenv("MPHEAP_PAGER");
    if (!p)
        p = getenv("PAGER");
    if (!p)
        return cli_sys_have_less() ? "less -R" : NULL;
    while (*p == ' ')
        p++;
    return *p && strcmp(p, "cat") != 0 ? p : NULL;
}

void cli_pager_begin(bool allowed) {
    if (!allowed || !isatty(STDOUT_FILENO))
        return;
    pager.command = pager_command();
    if (!pager.command)
        return;
    pager.rows = cli_terminal_height();
    pager.holding = true;
}

/* Run the pager on a pipe; false (and no pager) when it cannot be started. */
static bool pager_start(void) {
    fflush(stdout);
    pager.pipe = cli_sys_pager_open(pager.command, &pager.pid);
    return pager.pipe != NULL;
}

static mph_status out_write(const char *buf, size_t len) {
    if (pager.gone)
        return MPH_ERR_IO;
    if (pager.holding) {
        if (cli_buffer_write(&pager.held, buf, len))
            return MPH_ERR_NOMEM;
        for (const char *p = buf; (p = memchr(p, '\n', len - (size_t)(p - buf))) != NULL; p++)
            pager.lines++;
        if (pager.lines < pager.rows)
            return MPH_OK;
        // Longer than the screen: what was held goes to the pager first.
        pager.holding = false;
        buf = pager.held.data;
        len = pager.held.len;
        if (!pager_start()) {
            mph_status st = fwrite(buf, 1, len, stdout) == len ? MPH_OK : MPH_ERR_IO;
            free(pager.held.data);
            pager.held = (cli_buffer){NULL, 0, 0};
            return st;
        }
        mph_status st = out_write(buf, len);
        free(pager.held.data);
        pager.held = (cli_buffer){NULL, 0, 0};
        return st;
    }
    FILE *f = pager.pipe ? pager.pipe : stdout;
    if (fwrite(buf, 1, len, f) == len)
        return MPH_OK;
    if (pager.pipe)
        pager.gone = true;
    return MPH_ERR_IO;
}

void cli_printf(const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        (void)out_write(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static mph_status write_out(void *ctx, const char *buf, size_t len) {
    (void)ctx;
    return out_write(buf, len);
}

mph_sink cli_out_sink(void) {
    mph_sink s = {write_out, NULL};
    return s;
}

int cli_pager_end(void) {
    int rc = 0;
    errno = 0;
    if (pager.holding) {
        // It fitted on the screen: no pager.
        pager.holding = false;
        if (pager.held.len && fwrite(pager.held.data, 1, pager.held.len, stdout) != pager.held.len)
            rc = -1;
        free(pager.held.data);
        pager.held = (cli_buffer){NULL, 0, 0};
    }
    if (fflush(stdout) != 0)
        rc = -1;
    if (pager.pipe) {
        if (cli_sys_pager_close(pager.pipe, pager.pid) != 0 && !pager.gone)
            rc = -1;
        pager.pipe = NULL;
    }
    if (rc != 0 && !pager.gone) // a pager quit early is no error
        tell_output_error();
    return rc;
}

bool cli_pager_quit(void) { return pager.gone; }

int cli_color_choice(const char *word, FILE *stream) {
    if (strcmp(word, "always") == 0)
        return 1;
    if (strcmp(word, "never") == 0)
        return 0;
    if (strcmp(word, "auto") != 0)
        return -1;
    // https://no-color.org: any non-empty NO_COLOR turns colour off by default.
    const char *no_color = getenv("NO_COLOR");
    if (no_color && *no_color)
        return 0;
    const char *term = getenv("TERM");
    if (term && strcmp(term, "dumb") == 0)
        return 0;
    return isatty(fileno(stream)) && cli_sys_color_ok(stream);
}

static mph_status write_stdout(void *ctx, const char *buf, size_t len) {
    (void)ctx;
    return fwrite(buf, 1, len, stdout) == len ? MPH_OK : MPH_ERR_IO;
}

mph_sink cli_stdout_sink(void) {
    mph_sink s = {write_stdout, NULL};
    return s;
}

/* ------------------------------------------- analyses (stats, diff, timeline, check) */

int cli_pick_snapshot(const mph_log *log, const char *selector, const char *option,
                      size_t *index) {
    size_t count = mph_log_snapshot_count(log);
    if (!selector) {
        *index = count - 1;
        return EXIT_OK;
    }
    long i = mph_log_find_snapshot(log, selector);
    if (i < 0) {
        fprintf(stderr, "mpheap: %s: no snapshot '%s' (the input has %zu; give a number, -1 for "
                        "the last, or a label)\n",
                option, selector, count);
        return EXIT_USAGE;
    }
    *index = (size_t)i;
    return EXIT_OK;
}

long cli_keep_maps_for(const char *selector) {
    if (!selector || strcmp(selector, "-1") == 0)
        return -1;
    uint64_t n;
    return cli_parse_count(selector, &n) && n >= 1 && n <= LONG_MAX ? (long)n : 0;
}

int cli_damaged_rc(const mph_log *log) {
    return mph_log_damaged_count(log) ? EXIT_BAD_INPUT : EXIT_OK;
}

int cli_pick_range(const mph_log *log, const char *selector, size_t *first, size_t *last) {
    if (selector && strcmp(selector, "all") == 0) {
        *first = 0;
        *last = mph_log_snapshot_count(log) - 1;
        return EXIT_OK;
    }
    int rc = cli_pick_snapshot(log, selector, "--snapshot", first);
    if (rc == EXIT_OK)
        *last = *first;
    return rc;
}

const char *cli_snapshot_name(char *buf, size_t cap, const char *path, const input_options *in,
                              const mph_log *log, size_t index) {
    return cli_snapshot_name_of(buf, cap, path, in, mph_log_snapshot_count(log), index);
}

const char *cli_snapshot_name_of(char *buf, size_t cap, const char *path, const input_options *in,
                                 size_t count, size_t index) {
    const char *file = in && in->port ? in->port : !path || strcmp(path, "-") == 0 ? "<stdin>" : path;
    if (count > 1)
        snprintf(buf, cap, "%s#%zu", file, index + 1);
    else
        snprintf(buf, cap, "%s", file);
    return buf;
}

int cli_parse_fraction(const char *text, double *out) {
    const char *end;
    double v;
    if (!read_decimal(text, true, &v, NULL, &end))
        return 0;
    if (*end == '%') {
        v /= 100.0;
        end++;
    } else if (v > 1.0) {
        return 0; // "35" is ambiguous: ask for 0.35 or 35%
    }
    if (*end || v > 1.0)
        return 0;
    *out = v;
    return 1;
}

int cli_parse_count(const char *text, uint64_t *out) {
    const char *end;
    double ignored;
    uint64_t v;
    if (!read_decimal(text, false, &ignored, &v, &end) || *end)
        return 0;
    *out = v;
    return 1;
}

int cli_parse_list_limit(const char *text, size_t *out) {
    uint64_t v;
    if (strcmp(text, "all") == 0) {
        *out = 0;
        return 1;
    }
    if (!cli_parse_count(text, &v) || v == 0 || v > (uint64_t)SIZE_MAX)
        return 0;
    *out = (size_t)v;
    return 1;
}

int cli_parse_type(const char *text, mph_type *out) {
    if (strlen(text) == 1 && mph_type_of_cell(text[0]) >= 0) {
        *out = (mph_type)mph_type_of_cell(text[0]);
        return 1;
    }
    for (int t = 0; t < MPH_TYPE_COUNT; t++) {
        // "str/bytes" also answers to "str" and "bytes".
        const char *name = mph_type_name((mph_type)t);
        size_t n = strlen(text);
        const char *hit = strstr(name, text);
        if (n && hit && (hit == name || hit[-1] == '/') && (hit[n] == '\0' || hit[n] == '/')) {
            *out = (mph_type)t;
            return 1;
        }
    }
    return 0;
}

int cli_utf8_output(void) {
    const char *vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strstr(v, "UTF-8") || strstr(v, "utf8") || strstr(v, "UTF8") ||
                   strstr(v, "utf-8");
    }
    return 0;
}

int cli_read_file(const char *path, cli_buffer *out) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "mpheap: %s: error: %s\n", path, strerror(errno));
        return EXIT_IO;
    }
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (cli_buffer_write(out, chunk, n) != MPH_OK) {
            fclose(f);
            fprintf(stderr, "mpheap: %s: error: out of memory\n", path);
            return EXIT_IO;
        }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "mpheap: %s: error: read failed\n", path);
        return EXIT_IO;
    }
    return EXIT_OK;
}
