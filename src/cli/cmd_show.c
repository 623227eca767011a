/* mpheap show: the coloured map of one snapshot (or all), with a summary and a legend. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mpheap show [options] [FILE|-]\n"
    "Show a heap dump (the output of micropython.mem_info(1)) as a coloured map.\n"
    "\n"
    "  -s, --snapshot N|LABEL|all  which dump of a log: number (1 = first, -1 = last),\n"
    "                              label text, or all (default: the last)\n"
    "  -c, --columns N|auto        groups of 64 blocks per line (default: fit the terminal)\n"
    "      --collapse-free         print runs of free lines as \"(N lines all free)\"\n"
    "      --palette NAME          safe (default: colour-blind safe), notebook (the\n"
    "                              seed notebook's red and green; also \"seed\"),\n"
    "                              type, rainbow or mono\n"
    "      --color WHEN            auto (default; honours NO_COLOR), always or never\n"
    "      --color-depth D         the safe palette's colours: 256, 24bit or 16 (the\n"
    "                              terminal's own: not colour-blind safe); default:\n"
    "                              24bit when COLORTERM=truecolor, else 256\n"
    "      --scale K|auto          overview: one cell per K blocks; auto fits the screen\n"
    "      --block-size BYTES      block size when the dump cannot tell it\n"
    "      --strict                treat every warning as an error\n"
    "      --no-summary            leave out the figures above the map\n"
    "      --no-legend             leave out the legend\n"
    "      --need SIZE             will an allocation of SIZE bytes (K, M) fit, and if\n"
    "                              not, what splits the free memory (default: the size\n"
    "                              of a MemoryError next to the snapshot, if any)\n"
    CLI_PORT_HELP
    "      --no-pager              never page (by default, output longer than the\n"
    "                              screen goes through $MPHEAP_PAGER, else $PAGER,\n"
    "                              else less -R, with LESS=FRX unless LESS is set)\n"
    "  -o, --output FILE.svg|.png  write the same map as a picture instead (as\n"
    "                              `mpheap report -o`; default 2 columns); FILE.html:\n"
    "                              the HTML report (every snapshot, this one first)\n"
    "  -v, --verbose               also print notes (skipped lines)\n"
    "  -h, --help                  this text\n";

enum { OPT_COLLAPSE = 256, OPT_COLOR, OPT_SCALE, OPT_NO_SUMMARY,
       OPT_NO_LEGEND, OPT_NEED, OPT_PALETTE, OPT_DEPTH, OPT_NO_PAGER };

/* Snapshot index of count (s) on the terminal. */
static int show_one(const mph_snapshot *s, size_t index, size_t count, mph_ansi_options opts,
                    bool auto_columns, bool auto_scale, bool summary, bool legend, bool title,
                    uint64_t need) {
    mph_sink sink = cli_out_sink();
    mph_error err = {0};
    mph_verdict *verdict = NULL;
    mph_status vst = mph_verdict_new(s, need, &verdict, &err);
    if (vst) {
        cli_print_error("mpheap", &err);
        return cli_exit_code(vst);
    }
    opts.verdict = verdict;
    unsigned width = cli_terminal_width();
    opts.width = width; // the summary and the legend fit it
    if (auto_columns || auto_scale) {
        // Fit the terminal: the gutter is "0x" + address digits + a space.
        unsigned gutter = 2 + 12 + 1;
        if (auto_columns) {
            unsigned cols = width > gutter ? (width - gutter) / 65 : 1;
            opts.columns = cols ? cols : 1;
        }
        if (auto_scale) {
            unsigned height = cli_terminal_height();
            opts.scale = mph_ansi_fit_scale(s, opts.columns, height > 14 ? height - 12 : 2);
        }
    }
    if (title) {
        const char *label = mph_snapshot_label(s), *time = mph_snapshot_time(s);
        cli_printf("== snapshot %zu of %zu%s%s%s%s (line %lu) ==\n", index + 1, count,
                   label ? ": " : "", label ? label : "",
                   time ? " @ " : "", time ? time : "", mph_snapshot_first_line(s));
    }
    mph_status st = MPH_OK;
    if (summary) // the figures, then the verdict's text (opts.verdict), fitted to the width
        st = mph_render_ansi_summary(s, &opts, &sink, &err);
    if (!st && mph_snapshot_header_only(s)) {
        cli_printf("(no map to draw: the dump has only the header's figures; call\n"
                   " micropython.mem_info(1), with an argument, for the map)\n");
    } else {
        if (!st && legend)
            st = mph_render_ansi_legend(s, &opts, &sink, &err);
        if (!st)
            st = mph_render_ansi_map(s, &opts, &sink, &err);
    }
    mph_verdict_free(verdict);
    if (st && cli_pager_quit())
        return EXIT_OK; // the reader quit the pager: nothing more to show
    if (st) {
        cli_print_error("<stdout>", &err);
        return cli_exit_code(st);
    }
    return EXIT_OK;
}

/* How show_one shows each snapshot of a stream, and how many it has shown. */
typedef struct show_view {
    mph_ansi_options opts;
    bool auto_columns, auto_scale, summary, legend;
    uint64_t need;
    size_t shown;
} show_view;

static int show_each(void *ctx, const mph_snapshot *s, size_t index, size_t total) {
    show_view *v = ctx;
    if (v->shown++)
        cli_printf("\n");
    return show_one(s, index, total, v->opts, v->auto_columns, v->auto_scale, v->summary,
                    v->legend, total > 1 || mph_snapshot_label(s), v->need);
}

int cmd_show(int argc, char **argv) {
    static const struct option longopts[] = {
        {"snapshot", required_argument, NULL, 's'},
        {"columns", required_argument, NULL, 'c'},
        {"collapse-free", no_argument, NULL, OPT_COLLAPSE},
        {"palette", required_argument, NULL, OPT_PALETTE},
        {"color", required_argument, NULL, OPT_COLOR},
        {"colour", required_argument, NULL, OPT_COLOR},
        {"color-depth", required_argument, NULL, OPT_DEPTH},
        {"colour-depth", required_argument, NULL, OPT_DEPTH},
        {"no-pager", no_argument, NULL, OPT_NO_PAGER},
        {"scale", required_argument, NULL, OPT_SCALE},
        {"no-summary", no_argument, NULL, OPT_NO_SUMMARY},
        {"no-legend", no_argument, NULL, OPT_NO_LEGEND},
        {"need", required_argument, NULL, OPT_NEED},
        {"output", required_argument, NULL, 'o'},
        CLI_PORT_LONGOPT,
        CLI_INPUT_LONGOPTS,
        {NULL, 0, NULL, 0}};
    input_options in = {{0, false}, 0, NULL, 0};
    mph_ansi_options opts = {1, false, MPH_PALETTE_DEFAULT, false, 1, true, NULL, MPH_COLORS_256, 0};
    uint64_t need = 0;
    const char *selector = NULL, *color = "auto", *depth = "auto", *output = NULL;
    bool auto_columns = true, auto_scale = false, summary = true, legend = true, paging = true;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:c:p:o:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 's': selector = optarg; break;
        case 'o': output = optarg; break;
        case 'c':
            if (strcmp(optarg, "auto") == 0) {
                auto_columns = true;
            } else {
                uint64_t n;
                if (!cli_parse_count(optarg, &n) || n < 1 || n > 64) {
                    fprintf(stderr, "mpheap: --columns takes 1 to 64 or auto, not '%s'\n", optarg);
                    return EXIT_USAGE;
                }
                opts.columns = (unsigned)n;
                auto_columns = false;
            }
            break;
        case OPT_COLLAPSE: opts.collapse_free = true; break;
        case OPT_PALETTE:
            if (!cli_parse_palette(optarg, &opts.palette))
                return EXIT_USAGE;
            break;
        case OPT_COLOR: color = optarg; break;
        case OPT_DEPTH: depth = optarg; break;
        case OPT_NO_PAGER: paging = false; break;
        case OPT_SCALE:
            if (!cli_parse_scale(optarg, &opts.scale, &auto_scale))
                return EXIT_USAGE;
            break;
        case OPT_NO_SUMMARY: summary = false; break;
        case OPT_NO_LEGEND: legend = false; break;
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
    int want_color = cli_color_choice(color, stdout);
    if (want_color < 0) {
        fprintf(stderr, "mpheap: --color takes auto, always or never, not '%s'\n", color);
        return EXIT_USAGE;
    }
    opts.color = want_color && opts.palette != MPH_PALETTE_MONO;
    if (!cli_color_depth(depth, &opts.depth)) {
        fprintf(stderr, "mpheap: --color-depth takes 16, 256, 24bit or auto, not '%s'\n", depth);
        return EXIT_USAGE;
    }
    if (argc - optind > 1) {
        if (argc - optind == 2)
            fprintf(stderr, "mpheap: show takes one FILE; to compare two, use `mpheap diff %s %s`\n",
                    argv[optind], argv[optind + 1]);
        else
            fprintf(stderr, "mpheap: show takes one FILE, not %d; to compare two, use "
                            "`mpheap diff OLD NEW`\n",
                    argc - optind);
        return EXIT_USAGE;
    }
    cli_picture_format picture = CLI_PICTURE_SVG;
    if (output && cli_picture_format_of(output, NULL, &picture) != EXIT_OK)
        return EXIT_USAGE;
    const char *path = optind < argc ? argv[optind] : NULL;
    bool all = selector && strcmp(selector, "all") == 0;
    show_view v = {opts, auto_columns, auto_scale, summary, legend, need, 0};
    mph_log *log = NULL;
    int rc;
    if (all && !output && cli_rereadable(path, &in)) {
        // One map at a time: a first pass counts the snapshots, the second shows each.
        rc = cli_stream_snapshots(path, &in, paging, show_each, &v, &log);
        goto done;
    }
    if (!output || picture != CLI_PICTURE_HTML) // the page shows every snapshot
        in.keep_maps = cli_keep_maps_for(selector);
    rc = cli_load(path, &in, &log);
    if (rc)
        return rc;
    if (output && picture == CLI_PICTURE_HTML) { // the page: every snapshot, this one first
        size_t index;
        rc = cli_pick_snapshot(log, all ? NULL : selector, "--snapshot", &index);
        if (rc == EXIT_OK) {
            mph_html_options ho;
            mph_html_options_init(&ho, log);
            ho.palette = opts.palette;
            ho.current = index;
            ho.need = need;
            ho.name = in.port ? in.port
                              : optind < argc && strcmp(argv[optind], "-") ? argv[optind] : "stdin";
            rc = cli_write_html(output, log, &ho);
        }
        mph_log_free(log);
        return rc;
    }
    if (output) { // the picture of what show shows: one snapshot, report's defaults
        size_t index;
        rc = all ? EXIT_USAGE : cli_pick_snapshot(log, selector, "--snapshot", &index);
        if (rc == EXIT_USAGE && all)
            fprintf(stderr, "mpheap: -o writes one snapshot's picture: give --snapshot N|LABEL\n");
        if (rc == EXIT_OK) {
            mph_picture_options po;
            mph_picture_options_init(&po);
            if (!auto_columns)
                po.columns = opts.columns;
            po.scale = opts.scale;
            po.palette = opts.palette;
            rc = cli_picture_for(log, index, output, picture, po, auto_scale, need);
        }
        mph_log_free(log);
        return rc;
    }
    size_t count = mph_log_snapshot_count(log), last = count - 1, first = last;
    if (all) {
        first = 0;
    } else if (selector) {
        long i = mph_log_find_snapshot(log, selector);
        if (i < 0) {
            fprintf(stderr, "mpheap: no snapshot '%s' (the input has %zu; give a number, -1 for "
                            "the last, or a label)\n",
                    selector, count);
            mph_log_free(log);
            return EXIT_USAGE;
        }
        first = last = (size_t)i;
    } else if (count > 1) {
        fprintf(stderr, "mpheap: showing snapshot %zu of %zu (--snapshot N|LABEL|all to choose)\n",
                count, count);
    }
    cli_pager_begin(paging);
    for (size_t i = first; i <= last && rc == EXIT_OK && !cli_pager_quit(); i++)
        rc = show_each(&v, mph_log_snapshot(log, i), i, count);
done:
    if (rc == EXIT_OK && all)
        rc = cli_damaged_rc(log);
    mph_log_free(log);
    if (cli_pager_end() != 0 && rc == EXIT_OK && !cli_pager_quit())
        rc = EXIT_IO;
    return rc;
}
