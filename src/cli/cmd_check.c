/* mpheap check: a heap-health gate for CI. Exit 0 when every limit holds,
 * 1 when one is broken (each broken limit printed), 2 on a usage error. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mpheap check [limits] [options] [FILE|-]\n"
    "A heap-health gate for CI: prints the limits a heap dump breaks and exits 1 when any\n"
    "is broken, 0 when all hold. Sizes take K/M suffixes (4096, 4K, 1.5M).\n"
    "\n"
    "limits (at least one; each may be given several times):\n"
    "      --min-largest-free SIZE the largest free run (the biggest allocation that fits\n"
    "                              now, without a collection) is at least SIZE; on a\n"
    "                              heap that can grow, a new area for SIZE also passes\n"
    "      --need SIZE             one allocation of SIZE bytes succeeds: a free run that\n"
    "                              long exists, or the heap can grow by a new area for it\n"
    "      --max-fragmentation F   1 - largest free / total free is at most F (0.35 or 35%)\n"
    "      --max-used SIZE|P%      used bytes, or share of the heap, is at most this\n"
    "      --min-free SIZE         free bytes are at least SIZE\n"
    "      --max-allocs N          at most N allocations\n"
    "      --max-allocs-of TYPE=N  at most N allocations of TYPE (a map letter T L D S A F B\n"
    "                              M h, or a name: tuple, list, dict, str, bytearray, ...)\n"
    "      --fit SIZE=N            at least N buffers of SIZE bytes still fit\n"
    "\n"
    "options:\n"
    "  -s, --snapshot N|LABEL|all  which dump of a log (default: the last; all: every\n"
    "                              snapshot must pass)\n"
    "      --json                  the results as JSON (schema mpheap/check/1)\n"
    "  -q, --quiet                 print nothing; the exit status tells\n"
    "      --no-growth             a heap that can grow (its header has \"max new split\")\n"
    "                              passes --min-largest-free and --need only with a free\n"
    "                              run that long (by default a new area counts)\n"
    "Garbage is never counted: a dump not taken right after gc.collect() may hold\n"
    "some, so the limits are about the heap as dumped (capture --gc for a clean one).\n"
    CLI_PORT_HELP
    "      --block-size BYTES      block size when the dump cannot tell it\n"
    "      --strict                treat every warning as an error\n"
    "  -v, --verbose               also print the limits that hold\n"
    "  -h, --help                  this text\n";

enum { OPT_MIN_LARGEST = 256, OPT_MAX_FRAG, OPT_MAX_USED, OPT_MIN_FREE, OPT_MAX_ALLOCS,
       OPT_MAX_ALLOCS_OF, OPT_FIT, OPT_JSON, OPT_NEED, OPT_NO_GROWTH };

#define MAX_LIMITS 64

static int bad(const char *option, const char *what, const char *arg) {
    fprintf(stderr, "mpheap: %s takes %s, not '%s'\n", option, what, arg);
    return EXIT_USAGE;
}

/* "A=B" split at the last '='. */
static char *split_eq(char *s) {
    char *eq = strrchr(s, '=');
    if (!eq || eq == s || !eq[1])
        return NULL;
    *eq = '\0';
    return eq + 1;
}

static int parse_limit(int opt, const char *arg, mph_check_limit *l) {
    memset(l, 0, sizeof *l);
    char buf[256];
    switch (opt) {
    case OPT_MIN_LARGEST:
        l->kind = MPH_CHECK_MIN_LARGEST_FREE;
        return cli_parse_size(arg, &l->value) ? EXIT_OK
                                              : bad("--min-largest-free", "a size such as 4K", arg);
    case OPT_MAX_FRAG:
        l->kind = MPH_CHECK_MAX_FRAGMENTATION;
        return cli_parse_fraction(arg, &l->fraction)
                   ? EXIT_OK
                   : bad("--max-fragmentation", "a fraction such as 0.35 or 35%", arg);
    case OPT_MAX_USED:
        if (arg[0] && arg[strlen(arg) - 1] == '%') {
            l->kind = MPH_CHECK_MAX_USED_FRACTION;
            return cli_parse_fraction(arg, &l->fraction)
                       ? EXIT_OK
                       : bad("--max-used", "a size such as 48K or a share such as 80%", arg);
        }
        l->kind = MPH_CHECK_MAX_USED;
        return cli_parse_size(arg, &l->value)
                   ? EXIT_OK
                   : bad("--max-used", "a size such as 48K or a share such as 80%", arg);
    case OPT_MIN_FREE:
        l->kind = MPH_CHECK_MIN_FREE;
        return cli_parse_size(arg, &l->value) ? EXIT_OK : bad("--min-free", "a size such as 16K", arg);
    case OPT_MAX_ALLOCS:
        l->kind = MPH_CHECK_MAX_ALLOCS;
        return cli_parse_count(arg, &l->value) ? EXIT_OK : bad("--max-allocs", "a count", arg);
    case OPT_MAX_ALLOCS_OF: {
        l->kind = MPH_CHECK_MAX_ALLOCS_OF;
        snprintf(buf, sizeof buf, "%s", arg);
        char *n = split_eq(buf);
        if (!n || !cli_parse_type(buf, &l->type) || !cli_parse_count(n, &l->value))
            return bad("--max-allocs-of", "TYPE=N, e.g. L=100 or dict=20", arg);
        return EXIT_OK;
    }
    case OPT_NEED:
        l->kind = MPH_CHECK_NEED;
        return cli_parse_size(arg, &l->size) && l->size ? EXIT_OK
                                                        : bad("--need", "a size such as 4K", arg);
    case OPT_FIT: {
        l->kind = MPH_CHECK_MIN_FIT;
        snprintf(buf, sizeof buf, "%s", arg);
        char *n = split_eq(buf);
        if (!n || !cli_parse_size(buf, &l->size) || !l->size || !cli_parse_count(n, &l->value))
            return bad("--fit", "SIZE=N, e.g. 4K=2", arg);
        return EXIT_OK;
    }
    }
    return EXIT_USAGE;
}

/* What checking each snapshot needs, and what came of it so far. */
typedef struct check_run {
    const char *path;
    const input_options *in;
    const mph_check_limit *limits;
    size_t n_limits, total;
    mph_text_options o;
    bool json, quiet, broken;
    int rc;
} check_run;

/* Snapshot index of total (s) against the limits: its lines, unless quiet. */
static void check_one(check_run *r, const mph_snapshot *s, size_t index) {
    mph_check_result results[MAX_LIMITS];
    mph_error err = {0};
    size_t failed = 0;
    char name[512];
    r->o.name = cli_snapshot_name_of(name, sizeof name, r->path, r->in, r->total, index);
    mph_status st = mph_check_run(s, r->limits, r->n_limits, results, &failed, &err);
    if (st) {
        cli_print_error(r->o.name, &err);
        r->rc = cli_exit_code(st);
        return;
    }
    r->broken |= failed > 0;
    if (r->quiet)
        return;
    mph_sink sink = cli_stdout_sink();
    st = r->json ? mph_render_json_check(results, r->n_limits, &r->o, &sink, &err)
                 : mph_render_text_check(results, r->n_limits, &r->o, &sink, &err);
    if (st) {
        cli_print_error("<stdout>", &err);
        r->rc = cli_exit_code(st);
    }
}

static int check_each(void *ctx, const mph_snapshot *s, size_t index, size_t total) {
    check_run *r = ctx;
    r->total = total;
    check_one(r, s, index);
    return r->rc;
}

int cmd_check(int argc, char **argv) {
    static const struct option longopts[] = {
        {"min-largest-free", required_argument, NULL, OPT_MIN_LARGEST},
        {"max-fragmentation", required_argument, NULL, OPT_MAX_FRAG},
        {"max-used", required_argument, NULL, OPT_MAX_USED},
        {"min-free", required_argument, NULL, OPT_MIN_FREE},
        {"max-allocs", required_argument, NULL, OPT_MAX_ALLOCS},
        {"max-allocs-of", required_argument, NULL, OPT_MAX_ALLOCS_OF},
        {"fit", required_argument, NULL, OPT_FIT},
        {"need", required_argument, NULL, OPT_NEED},
        {"no-growth", no_argument, NULL, OPT_NO_GROWTH},
        {"snapshot", required_argument, NULL, 's'},
        {"json", no_argument, NULL, OPT_JSON},
        {"quiet", no_argument, NULL, 'q'},
        CLI_PORT_LONGOPT,
        CLI_INPUT_LONGOPTS,
        {NULL, 0, NULL, 0}};
    input_options in;
    memset(&in, 0, sizeof in);
    mph_check_limit limits[MAX_LIMITS];
    size_t n_limits = 0;
    const char *selector = NULL;
    bool json = false, quiet = false, no_growth = false;
    mph_text_options o;
    memset(&o, 0, sizeof o);
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:p:qvh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_MIN_LARGEST:
        case OPT_MAX_FRAG:
        case OPT_MAX_USED:
        case OPT_MIN_FREE:
        case OPT_MAX_ALLOCS:
        case OPT_MAX_ALLOCS_OF:
        case OPT_FIT:
        case OPT_NEED:
            if (n_limits == MAX_LIMITS) {
                fprintf(stderr, "mpheap: check: at most %d limits\n", MAX_LIMITS);
                return EXIT_USAGE;
            }
            if ((rc = parse_limit(c, optarg, &limits[n_limits])))
                return rc;
            n_limits++;
            break;
        case 's': selector = optarg; break;
        case OPT_NO_GROWTH: no_growth = true; break;
        case OPT_JSON: json = true; break;
        case 'q': quiet = true; in.verbose = -1; break;
        case 'v': o.verbose = true; in.verbose++; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default:
            if ((c = cli_input_option(c, optarg, &in, usage)) != EXIT_OK)
                return c;
            break;
        }
    }
    if (!n_limits) {
        fputs("mpheap: check needs at least one limit (--min-largest-free, --max-fragmentation, "
              "--max-used, ...)\n",
              stderr);
        return EXIT_USAGE;
    }
    if (argc - optind > 1) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < n_limits; i++)
        limits[i].growth = !no_growth;
    const char *path = optind < argc ? argv[optind] : NULL;
    mph_log *log = NULL;
    check_run r = {path, &in, limits, n_limits, 0, o, json, quiet, false, EXIT_OK};
    if (selector && strcmp(selector, "all") == 0 && cli_rereadable(path, &in)) {
        // Every snapshot of a file, one map at a time: a first pass counts them.
        rc = cli_stream_snapshots(path, &in, false, check_each, &r, &log);
    } else {
        in.keep_maps = cli_keep_maps_for(selector); // one snapshot: its map alone
        if ((rc = cli_load(path, &in, &log)))
            return rc;
        size_t first, last;
        if ((rc = cli_pick_range(log, selector, &first, &last))) {
            mph_log_free(log);
            return rc;
        }
        r.total = mph_log_snapshot_count(log);
        for (size_t i = first; i <= last && r.rc == EXIT_OK; i++)
            check_one(&r, mph_log_snapshot(log, i), i);
    }
    if (rc == EXIT_OK)
        rc = r.rc;
    bool broken = r.broken;
    mph_log_free(log);
    if (cli_flush_stdout() != 0 && rc == EXIT_OK)
        rc = EXIT_IO;
    if (rc == EXIT_OK && broken)
        rc = EXIT_CHECK_FAILED;
    return rc;
}
