/* mpheap diff: two snapshots compared block by block, as text, a map and JSON. */
#include "cli.h"
#include "sys.h"

#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct load_job {
    const char *path;
    const input_options *in;
    bool stats; /* OLD, when the diff takes the log's last snapshot: compute its stats */
    FILE *msgs; /* where its errors and warnings go */
    mph_log *log;
    int rc;
} load_job;

/* Read a file and, for OLD, compute the stats the diff reads (kept with the
 * snapshot) on the same core. NEW needs none: the diff takes its figures
 * from reading, so the bigger side is not held up by them. */
static void *load_in_thread(void *arg) {
    load_job *job = arg;
    job->rc = cli_load_reporting_to(job->msgs, job->path, job->in, &job->log);
    size_t n = job->rc ? 0 : mph_log_snapshot_count(job->log);
    if (job->stats && n) {
        mph_stats unused;
        // Nothing to report here: the diff asks again and reports any error.
        mph_status warm = mph_stats_compute(mph_log_snapshot(job->log, n - 1), MPH_ALL_AREAS,
                                            &unused, NULL);
        (void)warm;
    }
    return NULL;
}

static const char usage[] =
    "usage: mpheap diff [options] OLD NEW\n"
    "       mpheap diff [options] [--from A] [--to B] LOG\n"
    "       mpheap diff [options] --port P OLD   (NEW is taken live from the board)\n"
    "Compare two heap dumps: areas aligned by base address (by order when the addresses\n"
    "differ, as between two runs), blocks by offset. Each block is unchanged (free or\n"
    "kept), allocated, freed or reused; each allocation (matched by offset, size and type)\n"
    "is kept, new or gone. At the top: the largest free run and fragmentation, OLD ->\n"
    "NEW; then the new allocations inside OLD's largest free run (they split it), and\n"
    "the new and gone allocations, largest first (equal sizes in address order).\n"
    "Conservative stack scanning can keep or drop a small object between two runs of\n"
    "the same program: such noise is shown, not hidden.\n"
    "\n"
    "      --from N|LABEL          the OLD snapshot (default: the last of OLD; with one LOG,\n"
    "                              the one before --to)\n"
    "      --to N|LABEL            the NEW snapshot (default: the last)\n"
    "      --changed-only          print only map lines with a change\n"
    "      --no-map                leave out the map (and its legend)\n"
    "      --list N|all            allocations listed per list (default 20)\n"
    "      --json                  summary, block counts and every allocation as JSON\n"
    "                              (schema mpheap/diff/2, docs/json-schema.md); no map\n"
    "  -c, --columns N|auto        groups of 64 blocks per map line (default: fit the terminal;\n"
    "                              in a picture 2)\n"
    "  -o, --output OUT            write the diff map as a picture instead: SVG or PNG (the\n"
    "                              map, gutter, legend and summary), or an HTML report opened\n"
    "                              on this diff (OLD and NEW from one LOG); atomically\n"
    "      --format svg|png|html   the picture's format (default: from OUT's extension)\n"
    "      --pixels N              PNG: pixels per block side, 1 to 64 (default: 4)\n"
    "      --palette NAME          the picture's palette: safe (default), notebook, type,\n"
    "                              rainbow or mono (greys)\n"
    "      --collapse-free         print runs of lines free in both as \"(N lines all free)\"\n"
    "      --color WHEN            auto (default; honours NO_COLOR), always or never\n"
    "  -p, --port P                take NEW live from a board (see mpheap capture --help)\n"
    "      --block-size BYTES      block size when the dumps cannot tell it\n"
    "      --strict                treat every warning as an error\n"
    "  -v, --verbose               also print notes (skipped lines)\n"
    "      --no-pager              never page (by default, text longer than the terminal\n"
    "                              goes through $MPHEAP_PAGER, $PAGER or less -R)\n"
    "  -h, --help                  this text\n";

enum { OPT_FROM = 256, OPT_TO, OPT_CHANGED, OPT_NO_MAP, OPT_LIST, OPT_JSON, OPT_COLLAPSE,
       OPT_COLOR, OPT_NO_PAGER, OPT_FORMAT, OPT_PIXELS, OPT_PALETTE };

static mph_status diff_svg(const void *d, const mph_picture_options *o, mph_sink *sink,
                           mph_error *err) {
    return mph_render_diff_svg(d, o, sink, err);
}

static mph_status diff_png(const void *d, const mph_picture_options *o, mph_sink *sink,
                           mph_error *err) {
    return mph_render_diff_png(d, o, sink, err);
}

int cmd_diff(int argc, char **argv) {
    static const struct option longopts[] = {
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"changed-only", no_argument, NULL, OPT_CHANGED},
        {"no-map", no_argument, NULL, OPT_NO_MAP},
        {"list", required_argument, NULL, OPT_LIST},
        {"json", no_argument, NULL, OPT_JSON},
        {"columns", required_argument, NULL, 'c'},
        {"collapse-free", no_argument, NULL, OPT_COLLAPSE},
        {"color", required_argument, NULL, OPT_COLOR},
        {"colour", required_argument, NULL, OPT_COLOR},
        {"no-pager", no_argument, NULL, OPT_NO_PAGER},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"pixels", required_argument, NULL, OPT_PIXELS},
        {"palette", required_argument, NULL, OPT_PALETTE},
        CLI_PORT_LONGOPT,
        CLI_INPUT_LONGOPTS,
        {NULL, 0, NULL, 0}};
    input_options in;
    memset(&in, 0, sizeof in);
    const char *from = NULL, *to = NULL, *color = "auto", *port = NULL;
    bool json = false, map = true, auto_columns = true, paging = true;
    mph_diff_map_options mo = {1, false, false, false, MPH_COLORS_256, 0};
    mph_text_options to_opts;
    memset(&to_opts, 0, sizeof to_opts);
    to_opts.max_list = 20;
    const char *out = NULL, *format = NULL;
    mph_picture_options po;
    mph_picture_options_init(&po);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:o:p:vh", longopts, NULL)) != -1) {
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
        case OPT_FROM: from = optarg; break;
        case OPT_TO: to = optarg; break;
        case OPT_CHANGED: mo.changed_only = true; break;
        case OPT_NO_MAP: map = false; break;
        case OPT_NO_PAGER: paging = false; break;
        case OPT_LIST:
            if (!cli_parse_list_limit(optarg, &to_opts.max_list)) {
                fprintf(stderr, "mpheap: --list takes a number or all, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_JSON: json = true; break;
        case 'c':
            if (strcmp(optarg, "auto") == 0) {
                auto_columns = true;
            } else {
                uint64_t n;
                if (!cli_parse_count(optarg, &n) || n < 1 || n > 64) {
                    fprintf(stderr, "mpheap: --columns takes 1 to 64 or auto, not '%s'\n", optarg);
                    return EXIT_USAGE;
                }
                mo.columns = (unsigned)n;
                auto_columns = false;
            }
            break;
        case OPT_COLLAPSE: mo.collapse_free = true; break;
        case OPT_COLOR: color = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default:
            if ((c = cli_input_option(c, optarg, &in, usage)) != EXIT_OK)
                return c;
            break;
        }
    }
    // --port names where NEW comes from; OLD is always a file.
    port = in.port;
    in.port = NULL;
    int want_color = cli_color_choice(color, stdout);
    if (want_color < 0) {
        fprintf(stderr, "mpheap: --color takes auto, always or never, not '%s'\n", color);
        return EXIT_USAGE;
    }
    mo.color = want_color;
    mo.width = cli_terminal_width(); // the legend fits the terminal, as show's does
    (void)cli_color_depth("auto", &mo.depth);
    cli_picture_format fmt = CLI_PICTURE_SVG;
    if (out) {
        int frc = cli_picture_format_of(out, format, &fmt);
        if (frc)
            return frc;
        if (json) {
            fputs("mpheap: --json or -o, not both\n", stderr);
            return EXIT_USAGE;
        }
    } else if (format) {
        fputs("mpheap: --format goes with -o OUT\n", stderr);
        return EXIT_USAGE;
    }
    if (!auto_columns)
        po.columns = mo.columns;
    int files = argc - optind;
    if (port && files != 1) {
        fputs("mpheap: diff --port P takes one OLD file; NEW comes from the board\n", stderr);
        return EXIT_USAGE;
    }
    if (files < 1 || files > 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *old_path = argv[optind], *new_path = files == 2 ? argv[optind + 1] : old_path;
    if (port) {
        files = 2;
        new_path = port;
    }
    if (files == 2 && strcmp(old_path, "-") == 0 && strcmp(new_path, "-") == 0) {
        fputs("mpheap: standard input can be only one of OLD and NEW\n", stderr);
        return EXIT_USAGE;
    }
    mph_log *old_log = NULL, *new_log = NULL;
    mph_diff *d = NULL;
    input_options live = in;
    live.port = port;
    // Two files are read at once, one on another core: reading is most of a diff.
    // NEW's messages wait in memory, to come after OLD's as they would unthreaded.
    char *new_msgs = NULL;
    size_t new_msgs_len = 0;
    FILE *held = files == 2 && !port ? cli_sys_memstream(&new_msgs, &new_msgs_len) : NULL;
    // From two inputs, one snapshot each: its map alone (from one log, the pair).
    input_options old_in = in;
    if (files == 2) {
        old_in.keep_maps = cli_keep_maps_for(from);
        live.keep_maps = cli_keep_maps_for(to);
    }
    load_job job = {port ? NULL : new_path, &live, false, held ? held : stderr, NULL, EXIT_OK};
    load_job old_job = {old_path, &old_in, files == 2 && !from, stderr, NULL, EXIT_OK};
    pthread_t reader;
    bool threaded = held && pthread_create(&reader, NULL, load_in_thread, &job) == 0;
    load_in_thread(&old_job);
    old_log = old_job.log;
    int rc = old_job.rc;
    if (threaded)
        pthread_join(reader, NULL);
    else if (files == 2 && !rc)
        load_in_thread(&job);
    if (held) {
        fclose(held);
        if (new_msgs_len)
            fputs(new_msgs, stderr);
        free(new_msgs);
    }
    new_log = job.log;
    if (!rc)
        rc = job.rc;
    if (rc)
        goto done;
    const mph_log *nl = files == 2 ? new_log : old_log;
    size_t oi, ni;
    if ((rc = cli_pick_snapshot(nl, to, "--to", &ni)))
        goto done;
    if (files == 1 && !from) {
        if (ni == 0) {
            fprintf(stderr, "mpheap: %s: a diff of one log needs two snapshots (this one has %zu "
                            "before --to); give OLD and NEW files or --from\n",
                    old_path, ni);
            rc = EXIT_USAGE;
            goto done;
        }
        oi = ni - 1;
    } else if ((rc = cli_pick_snapshot(old_log, from, "--from", &oi))) {
        goto done;
    }
    mph_error err = {0};
    mph_status st = mph_diff_compute(mph_log_snapshot(old_log, oi), mph_log_snapshot(nl, ni), &d,
                                     &err);
    if (st) {
        cli_print_error("diff", &err);
        rc = cli_exit_code(st);
        goto done;
    }
    char old_name[512], new_name[512];
    to_opts.old_name = cli_snapshot_name(old_name, sizeof old_name, old_path, &in, old_log, oi);
    to_opts.new_name = cli_snapshot_name(new_name, sizeof new_name, new_path, &live, nl, ni);
    if (out && fmt == CLI_PICTURE_HTML) {
        // The page holds a log: it can show this diff when both sides are in it.
        if (files != 1) {
            fprintf(stderr, "mpheap: an HTML diff needs OLD and NEW in one LOG (diff --from A "
                            "--to B LOG -o %s); two files give .svg or .png\n",
                    out);
            rc = EXIT_USAGE;
            goto done;
        }
        mph_html_options ho;
        mph_html_options_init(&ho, old_log);
        ho.palette = po.palette;
        ho.name = old_path;
        ho.view = MPH_HTML_VIEW_DIFF;
        ho.diff_old = oi;
        ho.diff_new = ni;
        ho.current = ni;
        rc = cli_write_html(out, old_log, &ho);
        goto done;
    }
    if (out) {
        rc = cli_write_rendered(out, fmt == CLI_PICTURE_PNG ? diff_png : diff_svg, d, &po);
        goto done;
    }
    mph_sink sink = cli_out_sink();
    cli_pager_begin(paging && !json);
    if (json) {
        st = mph_render_json_diff(d, &to_opts, &sink, &err);
    } else {
        st = mph_render_text_diff(d, &to_opts, &sink, &err);
        if (!st && map && mph_diff_pair_count(d)) {
            if (auto_columns) {
                unsigned width = cli_terminal_width(), gutter = 2 + 12 + 1;
                unsigned cols = width > gutter ? (width - gutter) / 65 : 1;
                mo.columns = cols ? cols : 1;
            }
            cli_printf("\n");
            st = mph_render_ansi_diff_legend(d, &mo, &sink, &err);
            if (!st)
                st = mph_render_ansi_diff_map(d, &mo, &sink, &err);
        }
    }
    if (st && !cli_pager_quit()) { // a reader who quits the pager early is no error
        cli_print_error("<stdout>", &err);
        rc = cli_exit_code(st);
    }
    if (cli_pager_end() != 0 && rc == EXIT_OK && !cli_pager_quit())
        rc = EXIT_IO;
done:
    mph_diff_free(d);
    mph_log_free(old_log);
    mph_log_free(new_log);
    if (fflush(stdout) != 0 && rc == EXIT_OK)
        rc = EXIT_IO;
    return rc;
}
