/* mpheap: the command line. Each subcommand lives in cmd_<verb>.c. */
#include "cli.h"
#include "sys.h"

#include <string.h>

static const char usage[] =
    "usage: mpheap COMMAND [options] [FILE|-]\n"
    "See MicroPython's GC heap: read micropython.mem_info(1) dumps and explain them.\n"
    "\n"
    "commands:\n"
    "  show      the heap as a coloured map, with a summary and a legend\n"
    "  stats     figures: used/free per area and type, histograms, fragmentation, fits\n"
    "  diff      compare two snapshots block by block: new, gone and kept allocations\n"
    "  timeline  one row per snapshot, charts over time, and leak suspects\n"
    "  check     a heap-health gate for CI: exit 1 when a limit is broken\n"
    "  capture   take snapshots from a board (USB, or the virtual board: --port sim) into a log\n"
    "  devs      list serial ports with their USB ids\n"
    "  sim       run the virtual board on a pseudo-terminal for other programs\n"
    "  upload    copy the device module (mpheap.py) to a board\n"
    "  report    the heap map as a picture to share: SVG or PNG (-o map.svg)\n"
    "  watch     the heap of a board live, full screen, every snapshot kept in a log\n"
    "  explore   a dump or a log full screen: a cursor over the blocks, step by snapshot\n"
    "\n"
    "mpheap COMMAND --help tells more. Exit status: 0 ok, 1 a check failed, 2 usage,\n"
    "3 bad input (the message names file:line:column), 4 i/o error or out of memory\n"
    "(a log's maps kept at once take at most $MPHEAP_MAP_MEMORY, 2G if unset), 5 device error.\n";

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    {"show", cmd_show},
    {"stats", cmd_stats},
    {"diff", cmd_diff},
    {"timeline", cmd_timeline},
    {"check", cmd_check},
    {"capture", cmd_capture},
    {"devs", cmd_devs},
    {"sim", cmd_sim},
    {"upload", cmd_upload},
    {"report", cmd_report},
    {"watch", cmd_watch},
    {"explore", cmd_explore},
};

int main(int argc, char **argv) {
    cli_sys_init();
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        // The library's features (one list: mph_version_features), then the CLI's own.
        printf("mpheap %s (library %s, ABI %d)\nfeatures: %s %s\n", MPH_VERSION,
               mph_version_string(), MPH_ABI_VERSION, mph_version_features(),
               cli_sys_ncurses_word());
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "mpheap: unknown command '%s'\n%s", argv[1], usage);
    return EXIT_USAGE;
}
