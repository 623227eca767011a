/* mpheap report: the heap map as a picture (SVG or PNG) to attach to an issue, or
 * an HTML report to explore (every snapshot of a log, the diff, the timeline).
 * Also the writer behind `show -o FILE` (and diff/timeline's HTML: cli_write_html). */
#include "cli.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: mpheap report [options] -o OUT [FILE|-]\n"
    "Write the heap map of one snapshot as a picture: SVG (map, address "
    "gutter, area\n"
    "titles, legend, summary) or PNG (the same, in mpheap's own font); or an HTML "
    "report:\n"
    "one self-contained page (no network) with every snapshot of the log, "
    "the map\n"
    "to zoom and hover, statistics, a diff of any two snapshots and the "
    "timeline.\n"
    "\n"
    "  -o, --output OUT            the file to write (atomically: all of it or "
    "nothing)\n"
    "      --format svg|png|html   the format (default: from OUT's extension)\n"
    "  -s, --snapshot N|LABEL      which dump of a log (default: the last); "
    "HTML:\n"
    "                              the one shown first (the page has them "
    "all)\n"
    "  -c, --columns N             groups of 64 blocks per row, 1 to 64 "
    "(default: 2)\n"
    "      --scale K|auto          one cell per K blocks, the overview's "
    "levels as\n"
    "                              colours (default: 1; auto: at most 256 "
    "rows)\n"
    "      --pixels N              PNG: pixels per cell side (default: 4)\n"
    "      --palette NAME          safe (default: colour-blind safe), "
    "notebook, type,\n"
    "                              rainbow or mono (greys)\n"
    "      --need SIZE             mark what splits the free memory for SIZE "
    "bytes\n"
    "                              (default: a MemoryError's size next to the "
    "snapshot)\n"
    "      --block-size BYTES      block size when the dump cannot tell it\n"
    "      --strict                treat every warning as an "
    "error\n" CLI_PORT_HELP "  -v, --verbose               also print notes (skipped lines)\n"
    "  -h, --help                  this text\n"
    "\n"
    "HTML takes --snapshot, --palette and --need; the page zooms itself "
    "(no --columns,\n"
    "--scale or --pixels).\n";

/* ------------------------------------------------------------ the writer */

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

int cli_picture_format_of(const char *out, const char *word, cli_picture_format *fmt) {
    const char *what = word ? word : out;
    bool html =
        word ? (strcmp(word, "html") == 0) : (ends_with(out, ".html") || ends_with(out, ".htm"));
    if (html) {
        *fmt = CLI_PICTURE_HTML;
        return EXIT_OK;
    }
    if (word ? strcmp(word, "svg") == 0 : ends_with(out, ".svg")) {
        *fmt = CLI_PICTURE_SVG;
        return EXIT_OK;
    }
    if (word ? strcmp(word, "png") == 0 : ends_with(out, ".png")) {
        if (!strstr(mph_version_features(), "+libpng")) { // a build made with MPH_HAVE_PNG 0 (no libpng)
            fprintf(stderr, "mpheap: this build has no PNG (made without libpng): write an SVG "
                            "(.svg) or an HTML report (.html)\n");
            return EXIT_USAGE;
        }
        *fmt = CLI_PICTURE_PNG;
        return EXIT_OK;
    }
    if (word)
        fprintf(stderr, "mpheap: --format takes svg, png or html, not '%s'\n", what);
    else
        fprintf(stderr,
                "mpheap: cannot tell the format from '%s': name it .svg, .png or .html, "
                "or give --format svg|png|html\n",
                out);
    return EXIT_USAGE;
}

typedef struct fd_sink {
    int fd;
    int err; /* errno of the first failed write */
} fd_sink;

static mph_status fd_write(void *ctx, const char *buf, size_t len) {
    fd_sink *f = ctx;
    while (len) {
        ssize_t n = write(f->fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            f->err = n < 0 ? errno : EIO;
            return MPH_ERR_IO;
        }
        buf += n;
        len -= (size_t)n;
    }
    return MPH_OK;
}

/* What goes into the file: a renderer and its arguments. */
typedef struct render_job {
    cli_picture_format fmt;
    const mph_snapshot *s;
    const mph_picture_options *po;
    const mph_log *log;
    const mph_html_options *ho;
    cli_render_fn fn; /* else by fmt: a caller's renderer of `what` (diff, timeline) */
    const void *what;
} render_job;

static mph_status render_job_run(const render_job *j, mph_sink *sink, mph_error *err) {
    if (j->fn)
        return j->fn(j->what, j->po, sink, err);
    switch (j->fmt) {
    case CLI_PICTURE_PNG: return mph_render_png(j->s, j->po, sink, err);
    case CLI_PICTURE_HTML: return mph_render_html(j->log, j->ho, sink, err);
    default: return mph_render_svg(j->s, j->po, sink, err);
    }
}

/* OUT "-": standard output, as a Unix tool reads it (there is nothing to rename). */
static int write_to_stdout(const render_job *job) {
    fd_sink f = {1, 0};
    mph_sink sink = {fd_write, &f};
    mph_error err = {0};
    mph_status st = render_job_run(job, &sink, &err);
    if (!st)
        return EXIT_OK;
    if (f.err)
        fprintf(stderr, "mpheap: writing the output failed: %s\n", strerror(f.err));
    else
        cli_print_error("mpheap", &err);
    return f.err ? EXIT_IO : cli_exit_code(st);
}

static int write_atomically(const char *path, const render_job *job) {
    if (strcmp(path, "-") == 0)
        return write_to_stdout(job);
    // A temporary file in OUT's directory, renamed over OUT when whole: a
    // reader never sees half a picture, and a failure leaves nothing behind.
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp) {
        fprintf(stderr, "mpheap: out of memory\n");
        return EXIT_IO;
    }
    size_t dir = cli_sys_dir_len(path);
    memcpy(tmp, path, dir);
    snprintf(tmp + dir, n + 16 - dir, ".%s.XXXXXX", path + dir);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "mpheap: %s: cannot write: %s\n", path, strerror(errno));
        free(tmp);
        return EXIT_IO;
    }
    fd_sink f = {fd, 0};
    mph_sink sink = {fd_write, &f};
    mph_error err = {0};
    mph_status st = render_job_run(job, &sink, &err);
    int rc = EXIT_OK;
    if (st) {
        if (f.err)
            fprintf(stderr, "mpheap: %s: cannot write: %s\n", path, strerror(f.err));
        else
            cli_print_error(path, &err);
        rc = f.err ? EXIT_IO : cli_exit_code(st);
    } else if (cli_sys_finish_file(fd) != 0) {
        fprintf(stderr, "mpheap: %s: cannot write: %s\n", path, strerror(errno));
        rc = EXIT_IO;
    }
    if (close(fd) != 0 && rc == EXIT_OK) {
        fprintf(stderr, "mpheap: %s: cannot write: %s\n", path, strerror(errno));
        rc = EXIT_IO;
    }
    if (rc == EXIT_OK && cli_sys_replace(tmp, path) != 0) {
        fprintf(stderr, "mpheap: %s: cannot write: %s\n", path, strerror(errno));
        rc = EXIT_IO;
    }
    if (rc != EXIT_OK)
        unlink(tmp);
    free(tmp);
    return rc;
}

int cli_write_picture(const mph_snapshot *s, const char *path, cli_picture_format fmt,
                      const mph_picture_options *o) {
    if (fmt == CLI_PICTURE_HTML) { // a page holds a log: cli_write_html
        fprintf(stderr, "mpheap: %s: an HTML report is written from the whole log\n", path);
        return EXIT_USAGE;
    }
    render_job job = {.fmt = fmt, .s = s, .po = o};
    return write_atomically(path, &job);
}

int cli_write_rendered(const char *path, cli_render_fn fn, const void *what,
                       const mph_picture_options *o) {
    render_job job = {.po = o, .fn = fn, .what = what};
    return write_atomically(path, &job);
}

int cli_write_html(const char *path, const mph_log *log, const mph_html_options *o) {
    render_job job = {.fmt = CLI_PICTURE_HTML, .log = log, .ho = o};
    return write_atomically(path, &job);
}

int cli_picture_for(const mph_log *log, size_t index, const char *path, cli_picture_format fmt,
                    mph_picture_options o, bool auto_scale, uint64_t need) {
    const mph_snapshot *s = mph_log_snapshot(log, index);
    mph_error err = {0};
    mph_verdict *verdict = NULL;
    mph_status vst = mph_verdict_new(s, need, &verdict, &err);
    if (vst) {
        cli_print_error("mpheap", &err);
        return cli_exit_code(vst);
    }
    o.verdict = verdict;
    if (auto_scale)
        o.scale = mph_ansi_fit_scale(s, o.columns, CLI_PICTURE_AUTO_ROWS);
    int rc = cli_write_picture(s, path, fmt, &o);
    mph_verdict_free(verdict);
    return rc;
}

/* ------------------------------------------------------------ the command */

enum { OPT_FORMAT = 256, OPT_SCALE, OPT_PIXELS, OPT_PALETTE, OPT_NEED };

int cmd_report(int argc, char **argv) {
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"format", required_argument, NULL, OPT_FORMAT},
                                             {"snapshot", required_argument, NULL, 's'},
                                             {"columns", required_argument, NULL, 'c'},
                                             {"scale", required_argument, NULL, OPT_SCALE},
                                             {"pixels", required_argument, NULL, OPT_PIXELS},
                                             {"palette", required_argument, NULL, OPT_PALETTE},
                                             {"need", required_argument, NULL, OPT_NEED},
                                             CLI_PORT_LONGOPT,
                                             CLI_INPUT_LONGOPTS,
                                             {NULL, 0, NULL, 0}};
    input_options in = {{0, false}, 0, NULL, 0};
    mph_picture_options o;
    mph_picture_options_init(&o);
    const char *out = NULL, *format = NULL, *selector = NULL;
    bool auto_scale = false;
    uint64_t need = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:s:c:p:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case OPT_FORMAT: format = optarg; break;
        case 's': selector = optarg; break;
        case 'c':
            if (!cli_parse_picture_number(optarg, "--columns", 1, 64, &o.columns))
                return EXIT_USAGE;
            break;
        case OPT_PIXELS:
            if (!cli_parse_picture_number(optarg, "--pixels", 1, 64, &o.pixels))
                return EXIT_USAGE;
            break;
        case OPT_SCALE:
            if (!cli_parse_scale(optarg, &o.scale, &auto_scale))
                return EXIT_USAGE;
            break;
        case OPT_PALETTE:
            if (!cli_parse_palette(optarg, &o.palette))
                return EXIT_USAGE;
            break;
        case OPT_NEED:
            if (!cli_parse_need(optarg, &need))
                return EXIT_USAGE;
            break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default:
            if ((c = cli_input_option(c, optarg, &in, usage)) != EXIT_OK)
                return c;
            break;
        }
    }
    if (!out) {
        fprintf(stderr, "mpheap: report needs -o OUT (a .svg, .png or .html file)\n");
        return EXIT_USAGE;
    }
    cli_picture_format fmt;
    int rc = cli_picture_format_of(out, format, &fmt);
    if (rc)
        return rc;
    if (argc - optind > 1) {
        fprintf(stderr, "mpheap: report takes one FILE, not %d\n", argc - optind);
        return EXIT_USAGE;
    }
    mph_log *log = NULL;
    rc = cli_load(optind < argc ? argv[optind] : NULL, &in, &log);
    if (rc)
        return rc;
    size_t index;
    rc = cli_pick_snapshot(log, selector, "--snapshot", &index);
    if (rc == EXIT_OK && fmt == CLI_PICTURE_HTML) {
        mph_html_options ho;
        mph_html_options_init(&ho, log);
        ho.palette = o.palette;
        ho.current = index;
        ho.need = need;
        ho.name = in.port ? in.port : optind < argc && strcmp(argv[optind], "-") ? argv[optind]
                                                                                : "stdin";
        rc = cli_write_html(out, log, &ho);
    } else if (rc == EXIT_OK) {
        rc = cli_picture_for(log, index, out, fmt, o, auto_scale, need);
    }
    mph_log_free(log);
    return rc;
}

int cli_parse_picture_number(const char *text, const char *option, unsigned lo, unsigned hi,
                             unsigned *out) {
    uint64_t n;
    if (!cli_parse_count(text, &n) || n < lo || n > hi) {
        fprintf(stderr, "mpheap: %s takes %u to %u, not '%s'\n", option, lo, hi, text);
        return 0;
    }
    *out = (unsigned)n;
    return 1;
}
