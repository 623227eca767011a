/* mpheap: the command line. Each subcommand lives in cmd_<verb>.c. */
#include "cli.h"

#include <string.h>

static const char usage[] =
    "usage: mpheap COMMAND [options] [FILE|-]\n"
    "See MicroPython's GC heap: read micropython.mem_info(1) dumps and explain them.\n"
    "\n"
    "commands:\n"
    "  show      the heap as a coloured map, with a summary and a legend\n"
    "\n"
    "mpheap COMMAND --help tells more. Exit status: 0 ok, 1 a check failed, 2 usage,\n"
    "3 bad input (the message names file:line:column), 4 i/o error, 5 device error.\n";

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    {"show", cmd_show},
};

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mpheap %s\n", MPH_VERSION);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "mpheap: unknown command '%s'\n%s", argv[1], usage);
    return EXIT_USAGE;
}
