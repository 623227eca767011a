/* Shared by the subcommands: input loading, diagnostics, terminal facts. */
#ifndef MPHEAP_SRC_CLI_CLI_H
#define MPHEAP_SRC_CLI_CLI_H

#include "mpheap.h"

#include <stdio.h>

/* Exit codes (documented in README and mpheap --help). */
enum {
    EXIT_OK = 0,
    EXIT_CHECK_FAILED = 1, /* a health limit broken, or the board's code raised */
    EXIT_USAGE = 2,
    EXIT_BAD_INPUT = 3,
    EXIT_IO = 4,
    EXIT_DEVICE = 5
};

typedef struct input_options {
    mph_parse_options parse;
    int verbose;
} input_options;

/* Read and parse FILE ("-" or NULL = stdin). Prints located errors and
 * warnings to stderr; returns an exit code, and *out on EXIT_OK. */
int cli_load(const char *path, const input_options *opts, mph_log **out);

/* Print "mpheap: NAME:LINE:COL: error: message". */
void cli_print_error(const char *name, const mph_error *err);
int cli_exit_code(mph_status status);

/* Parse "4096", "4K", "1.5M" as bytes; false when malformed. */
int cli_parse_size(const char *text, uint64_t *out);

/* The terminal: width/height of stdout when it is one, else $COLUMNS/$LINES, else 80x50. */
unsigned cli_terminal_width(void);
unsigned cli_terminal_height(void);
/* --color auto|always|never, honouring NO_COLOR and isatty; -1 when the word is unknown. */
int cli_color_choice(const char *word, FILE *stream);

/* A sink that writes to a stdio stream. */
mph_sink cli_stdout_sink(void);

int cmd_show(int argc, char **argv);

#endif
