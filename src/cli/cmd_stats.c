/* mpheap stats: the figures of one heap dump, as text or JSON. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mpheap stats [options] [FILE|-]\n"
    "The figures of a heap dump (micropython.mem_info(1)): blocks and bytes used and free\n"
    "per area and in total, allocations per type, size histograms of allocations and free\n"
    "runs, the largest free run and its address, fragmentation (1 - largest free / total\n"
    "free), free space above the highest allocation, and how many buffers still fit.\n"
    "\n"
    "  -s, --snapshot N|LABEL|all  which dump of a log: number (1 = first, -1 = last),\n"
    "                              label text, or all (text only) (default: the last)\n"
    "      --fit SIZE[,SIZE...]    how many buffers of SIZE bytes (K/M suffixes) still fit,\n"
    "                              each in one free run; repeatable, up to 16 sizes\n"
    "      --need SIZE             will an allocation of SIZE bytes fit (now, after a\n"
    "                              collection, by growing), and what splits the free\n"
    "                              memory (default: a MemoryError's size next to the\n"
    "                              snapshot, if the log has one)\n"
    "      --json                  the same figures as JSON (schema mpheap/stats/2,\n"
    "                              docs/json-schema.md)\n"
    CLI_PORT_HELP
    "      --block-size BYTES      block size when the dump cannot tell it\n"
    "      --strict                treat every warning as an error\n"
    "  -v, --verbose               also print notes (skipped lines)\n"
    "      --no-pager              never page (by default, text longer than the terminal\n"
    "                              goes through $MPHEAP_PAGER, $PAGER or less -R)\n"
    "  -h, --help                  this text\n";

enum { OPT_FIT = 256, OPT_JSON, OPT_NEED, OPT_NO_PAGER };

static int add_fits(const char *list, uint64_t *fits, size_t *n) {
    char *copy = strdup(list);
    if (!copy)
        return EXIT_IO;
    int rc = EXIT_OK;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (!cli_parse_size(tok, &v) || v == 0) {
            fprintf(stderr, "mpheap: --fit takes sizes such as 4096 or 4K, not '%s'\n", tok);
            rc = EXIT_USAGE;
            break;
        }
        if (*n == MPH_FIT_MAX) {
            fprintf(stderr, "mpheap: --fit: at most %d sizes\n", MPH_FIT_MAX);
            rc = EXIT_USAGE;
            break;
        }
        fits[(*n)++] = v;
    }
    free(copy);
    return rc;
}

/* Snapshot index of count (s): its stats and verdict. */
static int stats_one(const mph_snapshot *s, size_t index, size_t count, const char *path,
                     const input_options *in, const uint64_t *fits, size_t n_fit, bool json,
                     uint64_t need) {
    mph_error err = {0};
    mph_stats_report *r = NULL;
    mph_verdict *v = NULL;
    mph_status st = mph_stats_report_new(s, fits, n_fit, &r, &err);
    if (!st)
        st = mph_verdict_new(s, need, &v, &err);
    if (st) {
        mph_stats_report_free(r);
        cli_print_error("stats", &err);
        return cli_exit_code(st);
    }
    char name[512];
    mph_text_options o;
    memset(&o, 0, sizeof o);
    o.name = cli_snapshot_name_of(name, sizeof name, path, in, count, index);
    mph_sink sink = cli_out_sink();
    o.verdict = v;
    st = json ? mph_render_json_stats(r, &o, &sink, &err) : mph_render_text_stats(r, &o, &sink, &err);
    if (!st && !json) {
        if (v->need_source != MPH_NEED_NONE)
            cli_printf("\n");
        st = mph_render_text_verdict(v, &o, &sink, &err);
    }
    mph_verdict_free(v);
    mph_stats_report_free(r);
    if (st && !cli_pager_quit()) { // a reader who quits the pager early is no error
        cli_print_error("<stdout>", &err);
        return cli_exit_code(st);
    }
    return EXIT_OK;
}

/* What stats_one needs for each snapshot of a stream, and how many it has shown. */
typedef struct stats_view {
    const char *path;
    const input_options *in;
    const uint64_t *fits;
    size_t n_fit, shown;
    bool json;
    uint64_t need;
} stats_view;

static int stats_each(void *ctx, const mph_snapshot *s, size_t index, size_t total) {
    stats_view *v = ctx;
    if (v->shown++)
        cli_printf("\n");
    return stats_one(s, index, total, v->path, v->in, v->fits, v->n_fit, v->json, v->need);
}

int cmd_stats(int argc, char **argv) {
    static const struct option longopts[] = {
        {"snapshot", required_argument, NULL, 's'},
        {"fit", required_argument, NULL, OPT_FIT},
        {"json", no_argument, NULL, OPT_JSON},
        {"need", required_argument, NULL, OPT_NEED},
        {"no-pager", no_argument, NULL, OPT_NO_PAGER},
        CLI_PORT_LONGOPT,
        CLI_INPUT_LONGOPTS,
        {NULL, 0, NULL, 0}};
    input_options in;
    memset(&in, 0, sizeof in);
    const char *selector = NULL;
    uint64_t fits[MPH_FIT_MAX];
    size_t n_fit = 0;
    bool json = false;
    uint64_t need = 0;
    bool paging = true;
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:p:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 's': selector = optarg; break;
        case OPT_FIT:
            if ((rc = add_fits(optarg, fits, &n_fit)))
                return rc;
            break;
        case OPT_JSON: json = true; break;
        case OPT_NO_PAGER: paging = false; break;
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
    if (argc - optind > 1) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    bool all = selector && strcmp(selector, "all") == 0;
    if (all && json) {
        fputs("mpheap: stats --json takes one snapshot; `mpheap timeline --json` gives every one\n",
              stderr);
        return EXIT_USAGE;
    }
    const char *path = optind < argc ? argv[optind] : NULL;
    mph_log *log = NULL;
    stats_view v = {path, &in, fits, n_fit, 0, json, need};
    if (all && cli_rereadable(path, &in)) {
        // One map at a time: a first pass counts the snapshots, the second shows each.
        rc = cli_stream_snapshots(path, &in, paging, stats_each, &v, &log);
        goto done;
    }
    in.keep_maps = cli_keep_maps_for(selector);
    if ((rc = cli_load(path, &in, &log)))
        return rc;
    size_t count = mph_log_snapshot_count(log), first, last;
    if ((rc = cli_pick_range(log, selector, &first, &last))) {
        mph_log_free(log);
        return rc;
    }
    if (!selector && count > 1)
        fprintf(stderr, "mpheap: stats of snapshot %zu of %zu (--snapshot N|LABEL|all to choose)\n",
                count, count);
    cli_pager_begin(paging && !json);
    for (size_t i = first; i <= last && rc == EXIT_OK && !cli_pager_quit(); i++)
        rc = stats_each(&v, mph_log_snapshot(log, i), i, count);
done:
    if (rc == EXIT_OK && all)
        rc = cli_damaged_rc(log);
    mph_log_free(log);
    if (cli_pager_end() != 0 && rc == EXIT_OK && !cli_pager_quit())
        rc = EXIT_IO;
    if (fflush(stdout) != 0 && rc == EXIT_OK)
        rc = EXIT_IO;
    return rc;
}
