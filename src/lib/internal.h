/* Shared by the library's files only; the CLI sees include/mpheap.h alone. */
#ifndef MPHEAP_SRC_LIB_INTERNAL_H
#define MPHEAP_SRC_LIB_INTERNAL_H

#include "mpheap.h"

#include <stdarg.h>

/* Build features, 0 or 1, tested with #if; the Makefile may set them (the
 * Windows build has no libpng: MPH_HAVE_PNG 0). */
#ifndef MPH_HAVE_PNG
#define MPH_HAVE_PNG 1
#endif

#if defined(__MINGW32__)
// The Windows build uses MinGW-w64's C99 printf (__USE_MINGW_ANSI_STDIO): %zu works.
#define MPH_PRINTF(a, b) __attribute__((format(gnu_printf, a, b)))
#elif defined(__GNUC__)
#define MPH_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MPH_PRINTF(a, b)
#endif

/* Where each header figure was printed, to locate invariant warnings. */
typedef struct field_pos {
    unsigned long line, column;
} field_pos;

typedef struct header_pos {
    field_pos gc_total, gc_used, gc_free, n_1block, n_2block, max_block, max_free;
    field_pos first_row; /* the first row of the map */
} header_pos;

struct mph_snapshot {
    char *label;
    char *time;
    unsigned long first_line, last_line;
    mph_header header;
    header_pos pos;
    unsigned block_size;
    mph_block_size_source block_size_source;
    mph_row_format row_format;
    size_t n_areas;
    mph_area *areas;
    size_t n_blocks;
    char *cells; /* all areas' cells back to back */
    bool after_collect;   /* the marker says "(after gc.collect())" */
    bool map_partial;     /* the map is shorter than GC total */
    uint64_t failed_bytes; /* a failed allocation next to it, 0 if none */
    unsigned long failed_line;
    int failed_rank;      /* where it was read: 1 before the dump, 2 after, 3 in the marker */
    bool no_cells;        /* its map was read, checked and summed up, then not kept (keep_maps) */
    bool skimmed;         /* ... or read and checked only (mph_parser_skim_maps): no stats */
    /* The whole snapshot's figures: those the parser counted while reading,
     * and the complete stats, computed on first request. A separate block, so
     * that getters taking a const snapshot can fill it; the first call on a
     * snapshot must not race with another thread's. */
    struct stats_memo *memo;
    /* Long stretches of one kind of cell the parser saw the map end with as it
     * read ('.' free, '=' tails), in order, each within one area and at least
     * MPH__STRETCH_MIN cells: a walk crosses them without reading their cells
     * (stats.c). Not every such stretch is here (an optimisation, not a map). */
    struct mph__stretch *stretches;
    size_t n_stretches;
};

typedef struct mph__stretch {
    size_t start, end; /* cells [start, end) of the snapshot's, all c */
    char c;
} mph__stretch;
#define MPH__STRETCH_MIN 4096

typedef struct stats_memo {
    bool ready;         /* stats: every figure */
    bool figures_ready; /* figures: the parser's, all but by_type and the histograms */
    mph_stats stats, figures;
} stats_memo;

struct mph_log {
    size_t n_snapshots, cap_snapshots;
    mph_snapshot **snapshots;
    size_t n_diags, cap_diags;
    mph_diagnostic *diags;
    unsigned long skipped_lines;
    size_t n_damaged, cap_damaged;
    mph_damaged *damaged; /* each label owned */
};

/* error.c */
void mph__error_set(mph_error *err, mph_status code, unsigned long line, unsigned long column,
                    const char *fmt, ...) MPH_PRINTF(5, 6);
void mph__error_vset(mph_error *err, mph_status code, unsigned long line, unsigned long column,
                     const char *fmt, va_list ap) MPH_PRINTF(5, 0);

/* snapshot.c */
void mph__snapshot_free(mph_snapshot *s);

/* stats.c: the whole snapshot's figures, every field but by_type and the
 * histograms: kept from reading when the parser made the snapshot, else
 * computed (cheaper than mph_stats_compute, which also counts those). */
void mph__snapshot_figures(const mph_snapshot *s, mph_stats *out);
/* stats.c: a snapshot with no whole map (none, or one cut short): the
 * header's figures for the whole heap into *st: total, used and free blocks
 * (GC total/used/free over the block size), largest free (max free sz) and
 * fragmentation; its place is unknown (0). Other fields are left as they
 * are. Returns the MPH__HDR_* bits of the figures the header gives; those
 * it does not give are 0. */
enum { MPH__HDR_BLOCKS = 1, MPH__HDR_LARGEST = 2, MPH__HDR_FRAGMENTATION = 4 };
unsigned mph__header_figures(const mph_snapshot *s, mph_stats *st);
char *mph__strndup(const char *s, size_t n);

/* render_ansi.c: the address gutter every map shares (terminal, SVG):
 * addresses when every area has a base, offsets when not, block numbers
 * without a block size; digits of the widest. */
typedef struct mph__gutter {
    int digits;
    bool use_address, use_offset;
} mph__gutter;
mph__gutter mph__gutter_of(const mph_snapshot *s);

/* Cell classification, shared by the parser and the analyses. */
extern const unsigned char mph__cell_class[256];
enum { CELL_INVALID = 0, CELL_FREE = 1, CELL_TAIL = 2, CELL_HEAD = 3 };

/* sink.c: renderers write through a buffer, flushed to the caller's sink. */
typedef struct mph_outbuf {
    mph_sink *sink;
    mph_status status; /* the first write error; later writes are dropped */
    size_t len;
    char buf[1 << 16];
} mph_outbuf;

void mph__out_init(mph_outbuf *o, mph_sink *sink);
void mph__out_write(mph_outbuf *o, const char *s, size_t n);
void mph__out_puts(mph_outbuf *o, const char *s);
void mph__out_putc(mph_outbuf *o, char c);
void mph__out_printf(mph_outbuf *o, const char *fmt, ...) MPH_PRINTF(2, 3);
/* s in a column of width blanks: after it (right false) or before it, as
 * printf's "%-*s" and "%*s" would, without their cost in a long table. */
void mph__out_col(mph_outbuf *o, const char *s, size_t width, bool right);
/* Flush; returns the first error of the whole run. */
mph_status mph__out_finish(mph_outbuf *o, mph_error *err);

/* Number formats shared by the renderers. */
const char *mph__fmt_count(char buf[32], uint64_t n); /* 259,072 */
/* A chart's value (a double made from a count) back to a count, its fraction dropped: a
 * count near 2^64 comes back as 2^64 in a double, one past what a uint64_t holds. */
static inline uint64_t mph__count_of(double v) {
    if (!(v > 0)) // and NaN
        return 0;
    return v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v;
}
const char *mph__fmt_size(char buf[32], uint64_t bytes); /* 253.0 KiB */

/* ------------------------------------------------------------------------
 * The terminal renderers' fast path (sink.c, ansi.c): their inner loops
 * write into the output buffer through a plain pointer, and copy escapes
 * built once instead of formatting one at every colour change.
 */

#include <string.h>

/* sink.c: a buffer on the heap (64 KiB is much for a stack) writing to sink;
 * NULL, with err set, when out of memory or sink is NULL. mph__out_close
 * flushes and frees it and returns the first error of the whole run. */
mph_outbuf *mph__out_new(mph_sink *sink, mph_error *err);
mph_status mph__out_close(mph_outbuf *o, mph_error *err);

/* Hand what is buffered to the sink now. */
void mph__out_flush(mph_outbuf *o);

/* Room for n bytes (n <= sizeof o->buf) at the end of o's buffer, flushing
 * first when short. Write there, then give the end back to mph__out_commit. */
static inline char *mph__out_reserve(mph_outbuf *o, size_t n) {
    if (sizeof o->buf - o->len < n)
        mph__out_flush(o);
    return o->buf + o->len;
}

static inline void mph__out_commit(mph_outbuf *o, const char *end) {
    o->len = (size_t)(end - o->buf);
}

/* v in hex (lower case) or decimal at p, zero-padded to `digits` (at most
 * MPH_PUT_MAX_PAD); returns the end. printf's "%0*llx" without the cost. */
#define MPH_PUT_MAX_PAD 24
char *mph__put_hex(char *p, uint64_t v, int digits);
char *mph__put_dec(char *p, uint64_t v, int digits);
char *mph__put_str(char *p, const char *s); /* s copied, no NUL: its end */

/* ansi.c: a style's escape sequence, built once. The longest, 24-bit
 * "\x1b[0;38;2;R;G;B;48;2;R;G;Bm", is 38 bytes; loops copy MPH_ESCAPE_ROOM at once. */
#define MPH_ESCAPE_ROOM 40
typedef struct mph_escape {
    char text[MPH_ESCAPE_ROOM];
    unsigned char len;
    int code; /* the style, encoded; -1 = the terminal's default */
} mph_escape;

/* The escape of s ("\x1b[0m" for a plain style), exact colours written as depth says. */
void mph__escape_init(mph_escape *e, mph_style s, mph_color_depth depth);
/* Back to the terminal's default: "\x1b[0m". */
extern const mph_escape mph__escape_reset;

/* Write e at p unless its style is already in force (*current); returns the
 * end. Needs MPH_ESCAPE_ROOM bytes of room. */
static inline char *mph__put_escape(char *p, const mph_escape *e, int *current) {
    if (e->code != *current) {
        memcpy(p, e->text, sizeof e->text);
        p += e->len;
        *current = e->code;
    }
    return p;
}

/* Paints text through an output buffer: an escape only when the style changes. */
typedef struct mph_painter {
    mph_outbuf *out;
    bool color;  /* false: never an escape */
    mph_color_depth depth;
    int current; /* encoded style in force; -1 = the terminal's default */
} mph_painter;

void mph__painter_init(mph_painter *p, mph_outbuf *out, bool color, mph_color_depth depth);
void mph__paint(mph_painter *p, mph_style s);
void mph__paint_escape(mph_painter *p, const mph_escape *e);
/* Back to the terminal's default colours. */
void mph__unpaint(mph_painter *p);
/* A legend: "LABEL" then entries, in lines of at most width columns (0: 80;
 * at least 40), later lines indented as wide as the label. */
typedef struct mph_legend {
    mph_painter *p;
    unsigned width, indent, col;
} mph_legend;
void mph__legend_init(mph_legend *l, mph_painter *p, unsigned width, const char *label);
/* An entry: the glyph in its style, a blank and text (glyph 0: text alone). */
void mph__legend_item(mph_legend *l, mph_style s, char glyph, const char *text);
/* End the legend's last line. */
void mph__legend_end(mph_legend *l);

/* Text held in memory (through mph__text_sink) until mph__text_fit writes it
 * to sink in lines of at most width columns: a longer line is broken at a
 * blank, its rest indented by indent. mph__text_fit frees the text. */
typedef struct mph_text {
    char *data;
    size_t len, cap;
} mph_text;
mph_sink mph__text_sink(mph_text *t);
mph_status mph__text_fit(mph_text *t, size_t width, size_t indent, mph_sink *sink,
                         mph_error *err);

#endif
