/* The log that `capture` and `watch` append to, and that every other command
 * reads: one writer for both. A snapshot goes in whole (one write, then fsync)
 * after its marker line; a dump that does not parse never goes in, where it
 * would make every snapshot unreadable, but to LOG.damaged under a line that
 * says why. A board's console (--listen, --run) is fed in any pieces: its own
 * output passes on, and the dumps in it are held until whole, within the size
 * and time a dump may take. */
#ifndef MPHEAP_SRC_CLI_LOG_WRITER_H
#define MPHEAP_SRC_CLI_LOG_WRITER_H

#include "cli.h"

#include <stdint.h>

typedef struct cli_logw {
    /* Set by cli_logw_open; the caller may change them after it. */
    bool echo;            /* copy the board's own lines to stderr (capture to a file) */
    bool quiet;           /* no progress on stderr ("dump 2: N blocks used") */
    double dump_seconds;  /* how long one dump may take to arrive (default 120; 0: no limit) */
    const char *dump_seconds_option; /* " (--snapshot-timeout)": the option that sets it */
    uint64_t plain_limit; /* the board's own output kept in the log (default 1 MiB; more
                             goes to the terminal only) */
    /* Called with each dump written to the log that parses, which it then owns
     * (watch shows it); NULL: none. */
    void (*on_dump)(void *ctx, mph_log *log);
    void *on_dump_ctx;
    bool yielding;   /* cli_logw_feed returns MPH_ERR_TIMEOUT every 0.2 s (capture's run
                        limits, on a board that never pauses) */
    bool code_between; /* the user's code ran since the last dump: not a footprint */

    /* What the writer says (read-only for the caller). */
    int fd;
    const char *name;     /* the log, for messages ("<stdout>") */
    int io_errno;         /* the first write error */
    int dumps;            /* dumps written (snapshots in the log: whole, or with warnings) */
    int damaged;          /* dumps that did not parse: not in the log */
    char damaged_note[240]; /* the last of them: what and why, on one line */
    long long last_used;  /* used blocks of the last whole dump, or -1 */
    unsigned block_size;
    long long min_delta, max_delta; /* used-block changes between back-to-back dumps */
    int deltas;

    /* The writer's own. */
    const char *path;   /* the caller's; NULL for stdout */
    char *damaged_path; /* LOG.damaged; NULL for stdout (none) */
    mph_parse_options parse;
    char last; /* the last byte written, 0 before the first */
    cli_buffer line, held; /* the board's unfinished line; a dump being received */
    cli_buffer marker;     /* a marker line waiting for the dump it labels */
    size_t held_from;      /* where the held dump begins, after its marker */
    bool in_dump, streaming, discarding;
    uint64_t held_limit;
    double held_since, yield_at;
    uint64_t plain_kept, plain_dropped;
} cli_logw;

/* Open the log at path for appending (NULL: standard output, whose damaged
 * dumps are left out and said) and set w up; w borrows path, which must
 * outlive it. Prints the error; returns EXIT_OK or EXIT_IO. */
int cli_logw_open(cli_logw *w, const char *path);
/* Close the log (not standard output) and free what w holds; its counts stay
 * readable. A close that fails turns rc EXIT_OK into EXIT_IO, said; returns
 * rc. Safe after a failed open. */
int cli_logw_close(cli_logw *w, int rc);
/* rc, or EXIT_DEVICE when some dumps were damaged and rc was EXIT_OK or
 * EXIT_CHECK_FAILED (said: how many were kept out). */
int cli_logw_damaged_rc(const cli_logw *w, int rc);

/* Snapshots already in the log, so that the markers go on counting: its "GC:
 * total:" lines (every mem_info() has printed one since 2014), counted in one
 * pass without parsing. 0 when the log is not a regular file or unreadable. */
int cli_logw_count(const cli_logw *w);

/* The marker line before a snapshot, appended to out: "=== mpheap N/TOTAL:
 * LABEL @ TIME ===" (TOTAL 0: "=== mpheap N: ..."), with gc ending in
 * " (after gc.collect()) ===". The label is whole, however long. */
mph_status cli_logw_marker(cli_buffer *out, int index, int total, const char *label, bool gc);
/* Whether label fits in a marker: one line (control bytes would end it early
 * and write a line of their own into the log). Says why not. */
bool cli_logw_label_ok(const char *label);

typedef enum cli_logw_result {
    CLI_LOGW_WHOLE,   /* written; it parses cleanly */
    CLI_LOGW_UNCLEAN, /* written; it parses with warnings (line noise?) */
    CLI_LOGW_DAMAGED, /* it does not parse: in LOG.damaged (said), not in the log */
    CLI_LOGW_FAILED   /* the write failed: w->io_errno (not said) */
} cli_logw_result;
/* One snapshot taken through the raw REPL: text is its marker (marker_len
 * bytes) and its dump. what names it in messages ("snapshot 2/3 ..."). */
cli_logw_result cli_logw_snapshot(cli_logw *w, const char *text, size_t len, size_t marker_len,
                                  const char *what);

/* Text of the board's on its own lines (a traceback), written and synced. */
void cli_logw_text(cli_logw *w, const char *s, size_t n);
void cli_logw_write(cli_logw *w, const char *s, size_t n);
/* Start a new line unless the log is at the start of one. */
void cli_logw_newline(cli_logw *w);
void cli_logw_sync(cli_logw *w);

/* The board's console output, in any pieces (ctx is the cli_logw: a sink's
 * write function). MPH_ERR_IO once a write failed; MPH_ERR_TIMEOUT when
 * yielding. */
mph_status cli_logw_feed(void *ctx, const char *s, size_t n);
/* The board is quiet: a dump that is whole need not wait for the next line. */
void cli_logw_idle(cli_logw *w);
/* The end of the board's output (cut: it ended by an error): the rest is
 * written, a dump cut short left out. The writer may be fed again after it. */
void cli_logw_end(cli_logw *w, bool cut);

#endif
