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
    const char *port; /* --port: take one snapshot from this board instead of reading FILE */
    /* Whose block maps to keep (memory on long logs): 0 every snapshot's, N >= 1 snapshot
     * N's only, -1 the last's only, -2 none (figures only). */
    long keep_maps;
} input_options;
/* keep_maps for a --snapshot selector: the one it names when a number says it, else 0. */
long cli_keep_maps_for(const char *selector);

/* Read and parse FILE ("-" or NULL = stdin). Prints located errors and
 * warnings to stderr; returns an exit code, and *out on EXIT_OK. */
int cli_load(const char *path, const input_options *opts, mph_log **out);
/* The same, with the messages of a FILE written to msgs (a live board's
 * still go to stderr): a reading thread keeps them until its turn. */
int cli_load_reporting_to(FILE *msgs, const char *path, const input_options *opts, mph_log **out);
/* The same, with fn called on each snapshot with a map while its cells are at hand
 * (mph_parser_on_snapshot): with keep_maps -2, a log read as a stream. Not for a board's
 * snapshot (--port) or a log with no map: fn sees none of those; they are in *out. */
int cli_load_each(const char *path, const input_options *opts, mph_snapshot_fn fn, void *ctx,
                  mph_log **out);
/* Can FILE ("-" or NULL = stdin) be read twice: a regular file, not a pipe or a board? */
bool cli_rereadable(const char *path, const input_options *opts);
/* What a command does with snapshot index of total (s, its map at hand): an exit code. */
typedef int (*cli_snapshot_each)(void *ctx, const mph_snapshot *s, size_t index, size_t total);
/* Every snapshot of a rereadable FILE, one map at a time (--snapshot all): a first pass
 * counts them (each map only read and checked; its messages are the ones printed), then
 * the pager begins (cli_pager_begin(paging); the caller ends it), and a second pass, over
 * the same bytes, gives each snapshot to each while its map is at hand, until each fails
 * or the reader quits the pager. *out: the log, whose maps are gone (its damage tells the
 * exit status). Returns reading's exit code, else the first failing each's. */
int cli_stream_snapshots(const char *path, const input_options *opts, bool paging,
                         cli_snapshot_each each, void *ctx, mph_log **out);

/* Write s to f with the bytes a terminal acts on (escape sequences, other C0 and C1
 * controls but newline and tab) shown as \xNN, \u00NN; a CR is left out. */
void cli_write_clean(FILE *f, const char *s, size_t n);
/* Print "mpheap: NAME:LINE:COL: error: message" (the message through cli_write_clean). */
void cli_print_error(const char *name, const mph_error *err);
int cli_exit_code(mph_status status);

/* Options of every subcommand that reads dumps: a longopts block, and their
 * handler for the switch's default case: EXIT_OK to go on, else the exit code
 * (for an option that is none of them, after printing the usage). */
enum { CLI_OPT_BLOCK_SIZE = 1000, CLI_OPT_STRICT, CLI_OPT_PORT };
#define CLI_INPUT_LONGOPTS                                                                        \
    {"block-size", required_argument, NULL, CLI_OPT_BLOCK_SIZE},                                  \
        {"strict", no_argument, NULL, CLI_OPT_STRICT}, {"verbose", no_argument, NULL, 'v'},      \
        {"help", no_argument, NULL, 'h'}
/* -p is the port in every command that takes one, as in esptool and mpremote. */
#define CLI_PORT_LONGOPT {"port", required_argument, NULL, 'p'}
int cli_input_option(int c, const char *arg, input_options *in, const char *usage);

/* --block-size: a power of two up to 65536; prints why not and returns 0 when bad. */
int cli_parse_block_size(const char *text, unsigned *out);

/* Parse "4096", "4K", "1.5M" as bytes; false when malformed. */
int cli_parse_size(const char *text, uint64_t *out);
/* --need SIZE: bytes above 0; prints why not and returns 0 when bad. */
int cli_parse_need(const char *text, uint64_t *out);
/* --scale K|auto: *auto_scale for "auto", else K >= 1 blocks per cell into *scale (and
 * *auto_scale false); prints why not and returns 0 when bad. */
int cli_parse_scale(const char *text, uint64_t *scale, bool *auto_scale);
/* --palette NAME; prints why not (pointing to -p/--port when NAME is a board) and
 * returns 0 when bad. */
int cli_parse_palette(const char *text, mph_palette_kind *out);

/* The terminal: width/height of stdout when it is one, else $COLUMNS/$LINES, else 80x50. */
unsigned cli_terminal_width(void);
unsigned cli_terminal_height(void);
/* --color auto|always|never, honouring NO_COLOR and isatty; -1 when the word is unknown. */
int cli_color_choice(const char *word, FILE *stream);
/* --color-depth 16|256|24bit|auto (auto: 24bit when COLORTERM says truecolor, else 256);
 * 0 when the word is unknown. */
int cli_color_depth(const char *word, mph_color_depth *out);

/* A sink that writes to a stdio stream. */
mph_sink cli_stdout_sink(void);

/* The pager, as git's: with cli_pager_begin(true) and stdout a terminal, output
 * written with cli_printf or to cli_out_sink is held until it is longer than the
 * screen, then goes through $MPHEAP_PAGER, else $PAGER, else `less -R` (with
 * LESS=FRX unless LESS is set); "" or "cat" is none. Without it they write to
 * stdout. cli_pager_end writes what is held (it fitted), waits for the pager to
 * quit, and returns -1 when a write failed. cli_pager_quit: the pager was quit
 * before the output ended (not an error). */
void cli_pager_begin(bool allowed);
#if defined(__MINGW32__) // MinGW-w64's C99 printf (the Windows build): %zu works
#define CLI_PRINTF_FORMAT gnu_printf
#else
#define CLI_PRINTF_FORMAT printf
#endif
void cli_printf(const char *fmt, ...) __attribute__((format(CLI_PRINTF_FORMAT, 1, 2)));
mph_sink cli_out_sink(void);
int cli_pager_end(void);
/* fflush(stdout); on a failure say "writing the output failed" (once in a run, as
 * cli_pager_end does) and return -1. */
int cli_flush_stdout(void);
bool cli_pager_quit(void);

/* A word that names a board (a device path, port:, id:, sim, auto, a0, u1, c2...). */
int cli_looks_like_port(const char *word);
/* -p/--port WORD: false, with a message pointing to --palette, when WORD is a
 * palette's name (and no such file), as `-p type` was before -p became the port. */
int cli_port_word_ok(const char *word);

int cmd_show(int argc, char **argv);

/* Analyses (stats, diff, timeline, check). */
/* The snapshot a --snapshot/--from/--to SELECTOR names (NULL: the last). Prints the error
 * naming OPTION; returns an exit code and *index. */
int cli_pick_snapshot(const mph_log *log, const char *selector, const char *option,
                      size_t *index);
/* --snapshot N|LABEL|all: the snapshots *first to *last ("all": every one, NULL: the
 * last). Prints the error; returns an exit code. */
int cli_pick_range(const mph_log *log, const char *selector, size_t *first, size_t *last);
/* EXIT_BAD_INPUT when the log left out a damaged dump (cli_load said which), else EXIT_OK:
 * the exit code of a command that meant every snapshot (--snapshot all, timeline). */
int cli_damaged_rc(const mph_log *log);
/* "FILE" or, when the log has several snapshots, "FILE#N" (the port with --port). */
const char *cli_snapshot_name(char *buf, size_t cap, const char *path, const input_options *in,
                              const mph_log *log, size_t index);
/* The same for snapshot index of count, with no log at hand (a log read as a stream). */
const char *cli_snapshot_name_of(char *buf, size_t cap, const char *path, const input_options *in,
                                 size_t count, size_t index);
/* "0.35" or "35%" as a fraction in [0, 1]; false when malformed. */
int cli_parse_fraction(const char *text, double *out);
/* Seconds: plain decimal, a fraction allowed, at most 1e7; false when malformed (nan,
 * inf, hex, a sign, junk). Every numeric option goes through the reader behind this,
 * cli_parse_count, cli_parse_size and cli_parse_fraction. */
int cli_parse_seconds(const char *text, double *out);
/* A decimal count; false when malformed. */
int cli_parse_count(const char *text, uint64_t *out);
/* "N" (>= 1) or "all" (0). */
int cli_parse_list_limit(const char *text, size_t *out);
/* A type by its map letter (T L D S A F B M h m) or name (tuple, list, str, bytes...). */
int cli_parse_type(const char *text, mph_type *out);
/* Whether the locale says UTF-8 (charts with block characters). */
int cli_utf8_output(void);
int cmd_stats(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_timeline(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* Boards (port.c). -p/--port in a subcommand: CLI_PORT_LONGOPT in its longopts, "p:" in
 * its short options (cli_input_option takes it), and CLI_PORT_HELP in its usage;
 * cli_load then takes the snapshot. */
#define CLI_PORT_HELP                                                                             \
    "  -p, --port P                take one snapshot live from a board instead of FILE:\n"       \
    "                              auto, PATH or port:PATH, a0..a3, u0..u3, id:SERIAL,\n"       \
    "                              sim[:HEAP[,fixed]] (the virtual board; fixed: its heap\n"   \
    "                              cannot grow), exec:CMD, pipe:CMD (mpheap capture --help)\n"
/* The virtual board's script: $MPHEAP_BOARD, else next to the binary; NULL when absent. */
const char *cli_board_script(char *buf, size_t cap);
/* Print a board's error once named ("mpheap: NAME: error: ..."). */
void cli_print_device_error(const char *name, const mph_error *err);
/* End a raw-REPL session: with st an error, print it (the board's traceback
 * included) and return its exit code; else leave the raw REPL and return EXIT_OK. */
int cli_repl_end(mph_repl *r, const char *name, mph_status st, mph_error *err);

/* Open a board by its --port word; prints the error and returns an exit code. */
int cli_open_board(const char *spec, mph_transport **out);
/* Raw REPL options for a port word and a --timeout in seconds (0 = default). */
int cli_repl_options(const char *spec, double timeout_s, mph_repl_options *o);
/* One snapshot from a board through the raw REPL, parsed; prints errors, returns an exit code. */
int cli_capture_live(const char *spec, const input_options *opts, mph_log **out);
/* Now, UTC, as 2026-11-26T10:00:00Z. */
void cli_utc_now(char *buf, size_t cap);
/* Seconds on the monotonic clock: for intervals and deadlines, never for dates. */
double cli_mono_now(void);
/* A growable, NUL-terminated buffer and its sink write function (ctx = cli_buffer *). */
typedef struct cli_buffer {
    char *data;
    size_t len, cap;
} cli_buffer;
mph_status cli_buffer_write(void *ctx, const char *s, size_t n);
/* A whole file (a program for --run) into out; EXIT_OK, or EXIT_IO with the message printed. */
int cli_read_file(const char *path, cli_buffer *out);

/* device/mpheap.py, embedded (the Makefile makes $(BUILD)/gen/device_module.c from it). */
extern const char cli_device_module[];

/* Pictures (cmd_report.c): `report` and `show -o`. */
/* HTML holds a whole log: write it with cli_write_html, not cli_write_picture. */
typedef enum cli_picture_format { CLI_PICTURE_SVG, CLI_PICTURE_PNG, CLI_PICTURE_HTML } cli_picture_format;
#define CLI_PICTURE_AUTO_ROWS 256 /* --scale auto: the picture's map has at most this many rows */
/* The format of --format WORD (NULL: from OUT's extension: .svg, .png, .html or .htm).
 * Prints why not and returns EXIT_USAGE. */
int cli_picture_format_of(const char *out, const char *word, cli_picture_format *fmt);
/* Render s to path atomically (a temporary file in its directory, fsync, rename; on an
 * error no file is left). Prints errors; returns an exit code. */
int cli_write_picture(const mph_snapshot *s, const char *path, cli_picture_format fmt,
                      const mph_picture_options *o);
/* The HTML report of log (mph_render_html with o) to path, atomically as cli_write_picture
 * (report -o, show -o, and diff/timeline -o with o->view set). Prints errors; returns an
 * exit code. */
int cli_write_html(const char *path, const mph_log *log, const mph_html_options *o);
/* A caller's picture (diff, timeline: fn is e.g. mph_render_diff_svg through a cast of
 * `what`) to path, atomically as cli_write_picture. Prints errors; returns an exit code. */
typedef mph_status (*cli_render_fn)(const void *what, const mph_picture_options *o,
                                    mph_sink *sink, mph_error *err);
int cli_write_rendered(const char *path, cli_render_fn fn, const void *what,
                       const mph_picture_options *o);
/* The picture of snapshot index with its verdict (need: 0 = a MemoryError's size, if any). */
int cli_picture_for(const mph_log *log, size_t index, const char *path, cli_picture_format fmt,
                    mph_picture_options o, bool auto_scale, uint64_t need);
/* A number in [lo, hi] for option; prints why not and returns 0 when bad. */
int cli_parse_picture_number(const char *text, const char *option, unsigned lo, unsigned hi,
                             unsigned *out);
int cmd_report(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_devs(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_upload(int argc, char **argv);
/* The full-screen views (tui.c): a live board, and a dump or log. */
int cmd_watch(int argc, char **argv);
int cmd_explore(int argc, char **argv);

#endif
