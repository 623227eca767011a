/* mpheap timeline: one row per snapshot, charts over time, leak suspects. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mpheap timeline [options] LOG|FILE...\n"
    "One row per snapshot (every snapshot of every file, in order): used, free, largest\n"
    "free, fragmentation and allocations per type, a chart of each over time, and leak\n"
    "suspects: allocations that keep growing, types that grow steadily, and allocations\n"
    "that survive every snapshot from the one they were first seen in.\n"
    "A type grows steadily when its count or its blocks rose in at least half of the\n"
    "steps from one snapshot to the next, at least twice (over at least 3 snapshots),\n"
    "and end higher than they started: a single rise such as 0 -> 1 tuple is not listed.\n"
    "A dump with no map (mem_info() without an argument) or a map cut short gives a row\n"
    "of its header's figures (used, free, largest free; no allocations), left out of the\n"
    "leak analysis, which compares the snapshots with whole maps.\n"
    "\n"
    "      --json                  rows and suspects as JSON (schema mpheap/timeline/3,\n"
    "                              docs/json-schema.md)\n"
    "      --csv                   the rows as CSV\n"
    "      --ascii                 charts in ASCII (default when the locale is not UTF-8)\n"
    "      --list N|all            largest survivors listed (default 10)\n"
    "  -o, --output OUT            write a chart instead: used, free, largest free and\n"
    "                              fragmentation per snapshot, as SVG or PNG; or an HTML\n"
    "                              report opened on the timeline (one LOG); atomically\n"
    "      --format svg|png|html   the chart's format (default: from OUT's extension)\n"
    "      --pixels N              PNG: 1 to 64; the text grows from 8 (default: 4)\n"
    "      --palette NAME          mono: greys (else colour-blind-safe colours)\n"
    "      --block-size BYTES      block size when the dumps cannot tell it\n"
    "      --strict                treat every warning as an error\n"
    "  -v, --verbose               also print notes (skipped lines)\n"
    "      --no-pager              never page (by default, text longer than the terminal\n"
    "                              goes through $MPHEAP_PAGER, $PAGER or less -R)\n"
    "  -h, --help                  this text\n";

enum { OPT_JSON = 256, OPT_CSV, OPT_ASCII, OPT_LIST, OPT_NO_PAGER, OPT_FORMAT, OPT_PIXELS,
       OPT_PALETTE };

static mph_status chart_svg(const void *t, const mph_picture_options *o, mph_sink *sink,
                            mph_error *err) {
    return mph_render_timeline_svg(t, o, sink, err);
}

static mph_status chart_png(const void *t, const mph_picture_options *o, mph_sink *sink,
                            mph_error *err) {
    return mph_render_timeline_png(t, o, sink, err);
}

/* The timeline read as a stream: the builder sees each map while the parser has it. */
typedef struct stream {
    mph_timeline_builder *b;
    size_t seen; /* snapshots it was given by the parser */
} stream;

static mph_status add_snapshot(void *ctx, const mph_snapshot *s, size_t index, mph_error *err) {
    (void)index;
    stream *sm = ctx;
    sm->seen++;
    return mph_timeline_builder_add(sm->b, s, err);
}

int cmd_timeline(int argc, char **argv) {
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"csv", no_argument, NULL, OPT_CSV},
        {"ascii", no_argument, NULL, OPT_ASCII},
        {"list", required_argument, NULL, OPT_LIST},
        {"no-pager", no_argument, NULL, OPT_NO_PAGER},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"pixels", required_argument, NULL, OPT_PIXELS},
        {"palette", required_argument, NULL, OPT_PALETTE},
        CLI_INPUT_LONGOPTS,
        {NULL, 0, NULL, 0}};
    input_options in;
    memset(&in, 0, sizeof in);
    mph_text_options o;
    memset(&o, 0, sizeof o);
    o.max_list = 10;
    o.ascii = !cli_utf8_output();
    bool json = false, csv = false, paging = true;
    const char *out = NULL, *format = NULL;
    mph_picture_options po;
    mph_picture_options_init(&po);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case OPT_FORMAT: format = optarg; break;
        case OPT_PIXELS:
            if (!cli_parse_picture_number(optarg, "--pixels", 1, 64, &po.pixels))
                return EXIT_USAGE;
            break;
        case OPT_PALETTE:
            if (!cli_parse_palette(optarg, &po.palette))
                return EXIT_USAGE;
            break;
        case OPT_JSON: json = true; break;
        case OPT_CSV: csv = true; break;
        case OPT_ASCII: o.ascii = true; break;
        case OPT_NO_PAGER: paging = false; break;
        case OPT_LIST:
            if (!cli_parse_list_limit(optarg, &o.max_list)) {
                fprintf(stderr, "mpheap: --list takes a number or all, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default:
            if ((c = cli_input_option(c, optarg, &in, usage)) != EXIT_OK)
                return c;
            break;
        }
    }
    if (json && csv) {
        fputs("mpheap: --json or --csv, not both\n", stderr);
        return EXIT_USAGE;
    }
    int files = argc - optind;
    if (files < 1) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    cli_picture_format fmt = CLI_PICTURE_SVG;
    if (out) {
        int frc = cli_picture_format_of(out, format, &fmt);
        if (frc)
            return frc;
        if (json || csv) {
            fputs("mpheap: --json, --csv or -o, one of them\n", stderr);
            return EXIT_USAGE;
        }
        if (fmt == CLI_PICTURE_HTML && files != 1) {
            fprintf(stderr, "mpheap: an HTML timeline is of one LOG, not %d files (write .svg "
                            "or .png)\n",
                    files);
            return EXIT_USAGE;
        }
    } else if (format) {
        fputs("mpheap: --format goes with -o OUT\n", stderr);
        return EXIT_USAGE;
    }
    int rc = EXIT_OK;
    mph_log **logs = calloc((size_t)files, sizeof *logs);
    char **names = NULL;
    size_t n = 0;
    mph_timeline *t = NULL;
    bool html = out && fmt == CLI_PICTURE_HTML;
    // Read as a stream: each map goes to the builder while the parser has it, then
    // its memory holds the next one (the HTML report embeds every map: it keeps them).
    stream sm = {mph_timeline_builder_new(), 0};
    if (!html)
        in.keep_maps = -2;
    if (!logs || !sm.b) {
        fputs("mpheap: out of memory\n", stderr);
        rc = EXIT_IO;
        goto done;
    }
    for (int f = 0; f < files && rc == EXIT_OK; f++) {
        if (strcmp(argv[optind + f], "-") == 0 && files > 1) {
            fputs("mpheap: standard input cannot be one of several files\n", stderr);
            rc = EXIT_USAGE;
            break;
        }
        size_t seen = sm.seen;
        rc = html ? cli_load(argv[optind + f], &in, &logs[f])
                  : cli_load_each(argv[optind + f], &in, add_snapshot, &sm, &logs[f]);
        if (rc)
            break;
        size_t count = mph_log_snapshot_count(logs[f]);
        n += count;
        // A log with no map at all: its dumps join it only at its end, with no cells to lose.
        mph_error err = {0};
        for (size_t i = 0; !html && sm.seen == seen && i < count; i++) {
            mph_status st = mph_timeline_builder_add(sm.b, mph_log_snapshot(logs[f], i), &err);
            if (st) {
                cli_print_error("timeline", &err);
                rc = cli_exit_code(st);
                goto done;
            }
        }
    }
    if (rc)
        goto done;
    if (html) {
        mph_html_options ho;
        mph_html_options_init(&ho, logs[0]);
        ho.palette = po.palette;
        ho.name = argv[optind];
        ho.view = MPH_HTML_VIEW_TIMELINE;
        rc = cli_write_html(out, logs[0], &ho);
        goto done;
    }
    names = calloc(n, sizeof *names);
    if (!names) {
        fputs("mpheap: out of memory\n", stderr);
        rc = EXIT_IO;
        goto done;
    }
    size_t k = 0;
    for (int f = 0; f < files; f++)
        for (size_t i = 0; i < mph_log_snapshot_count(logs[f]); i++, k++) {
            char buf[512];
            names[k] = strdup(cli_snapshot_name(buf, sizeof buf, argv[optind + f], &in, logs[f], i));
            if (!names[k]) {
                fputs("mpheap: out of memory\n", stderr);
                rc = EXIT_IO;
                goto done;
            }
        }
    if (mph_timeline_builder_row_count(sm.b) != n) { // one name per row, or finish reads past
        fprintf(stderr, "mpheap: timeline: error: %zu rows for %zu snapshots\n",
                mph_timeline_builder_row_count(sm.b), n);
        rc = EXIT_IO;
        goto done;
    }
    mph_error err = {0};
    mph_status st = mph_timeline_builder_finish(sm.b, (const char *const *)names, &t, &err);
    if (st) {
        cli_print_error("timeline", &err);
        rc = cli_exit_code(st);
        goto done;
    }
    o.name = files == 1 ? argv[optind] : NULL;
    if (out) {
        rc = cli_write_rendered(out, fmt == CLI_PICTURE_PNG ? chart_png : chart_svg, t, &po);
        goto done;
    }
    mph_sink sink = cli_out_sink();
    cli_pager_begin(paging && !json && !csv);
    if (json)
        st = mph_render_json_timeline(t, &o, &sink, &err);
    else if (csv)
        st = mph_render_csv_timeline(t, &sink, &err);
    else
        st = mph_render_text_timeline(t, &o, &sink, &err);
    if (st && !cli_pager_quit()) { // a reader who quits the pager early is no error
        cli_print_error("<stdout>", &err);
        rc = cli_exit_code(st);
    }
    if (cli_pager_end() != 0 && rc == EXIT_OK && !cli_pager_quit())
        rc = EXIT_IO;
done:
    for (int f = 0; rc == EXIT_OK && logs && f < files; f++)
        rc = cli_damaged_rc(logs[f]); // every snapshot was meant: said at loading
    mph_timeline_free(t);
    mph_timeline_builder_free(sm.b);
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    for (int f = 0; logs && f < files; f++)
        mph_log_free(logs[f]);
    free(logs);
    if (fflush(stdout) != 0 && rc == EXIT_OK)
        rc = EXIT_IO;
    return rc;
}
