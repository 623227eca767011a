/**
 * mpheap: read MicroPython's `micropython.mem_info(1)` heap dumps, model them
 * and render them.
 *
 * Data flows one way: source (buffer, file, board) -> parser -> model
 * (log -> snapshots -> areas -> blocks -> allocations) -> analyses (stats)
 * -> renderers, which write to a sink.
 *
 * Ownership in one line: whatever `_new`/`_parse` returns is freed by its
 * `_free` (NULL is fine); getters borrow from the object they are given.
 *
 * The library never prints, never exits and never asserts on input. Every
 * fallible call returns an mph_status and, when given one, fills an
 * mph_error with the line and column of the fault. Out-parameters are written
 * only on success.
 */
#ifndef MPHEAP_H
#define MPHEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MPH_VERSION "0.1.0"

#if defined(__GNUC__)
#define MPH_NODISCARD __attribute__((warn_unused_result))
#else
#define MPH_NODISCARD
#endif

/* ---------------------------------------------------------------- errors */

typedef enum mph_status {
    MPH_OK = 0,
    MPH_ERR_NOMEM,     /* out of memory */
    MPH_ERR_SYNTAX,    /* the text breaks the dump grammar */
    MPH_ERR_INVARIANT, /* a warning made an error by strict mode */
    MPH_ERR_NOT_FOUND, /* no dump, or no such snapshot */
    MPH_ERR_ARG,       /* a bad argument from the caller */
    MPH_ERR_IO,        /* a read or write failed */
    MPH_ERR_LIMIT,     /* the input asks for more than the library allows */
    MPH_ERR_DEVICE,    /* the board answered something unexpected */
    MPH_ERR_TIMEOUT,   /* the board did not answer in time */
    MPH_ERR_GONE,      /* the board went away (hang-up, EOF) */
    MPH_ERR_BUSY,      /* the port is in use */
    MPH_ERR_RAISED     /* code on the board raised an exception */
} mph_status;

/** A located error. line and column are 1-based; 0 means unknown. */
typedef struct mph_error {
    mph_status code;
    unsigned long line;
    unsigned long column;
    uint64_t offset; /* byte offset of the fault in the input */
    char message[320];
} mph_error;

/** A short stable name for a status ("syntax", "nomem", ...). */
const char *mph_status_name(mph_status status);

/* ------------------------------------------------------------- the model */

/** Kinds of map cell. The characters are MicroPython's. */
enum {
    MPH_CELL_FREE = '.',
    MPH_CELL_TAIL = '=',
    MPH_CELL_HEAD = 'h',
    MPH_CELL_MARK = 'm'
};

/** Head types in a fixed order, for per-type arrays. */
typedef enum mph_type {
    MPH_TYPE_TUPLE, /* T */
    MPH_TYPE_LIST,  /* L */
    MPH_TYPE_DICT,  /* D */
    MPH_TYPE_STR,   /* S: str or bytes */
    MPH_TYPE_ARRAY, /* A: bytearray or array.array */
    MPH_TYPE_FLOAT, /* F */
    MPH_TYPE_CODE,  /* B: bytecode function */
    MPH_TYPE_MODULE,/* M */
    MPH_TYPE_OTHER, /* h: any other head */
    MPH_TYPE_MARKED,/* m: a head marked during a collection */
    MPH_TYPE_COUNT
} mph_type;

/** The map letter of a type ('T' ... 'h', 'm'). */
char mph_type_letter(mph_type type);
/** A human name of a type ("tuple", "other", ...). */
const char *mph_type_name(mph_type type);
/** The type of a head cell character, or -1 when c is not a head. */
int mph_type_of_cell(char c);

/** What MicroPython printed above the map. A field is valid when its has_ flag is set. */
typedef struct mph_header {
    bool has_mem;
    uint64_t mem_total, mem_current, mem_peak;
    bool has_stack, has_stack_limit;
    uint64_t stack_used, stack_limit;
    bool has_gc;
    uint64_t gc_total, gc_used, gc_free; /* bytes */
    bool has_max_new_split;
    uint64_t max_new_split; /* bytes */
    bool has_blocks;
    uint64_t n_1block, n_2block, max_block; /* counts, blocks */
    bool has_max_free;
    uint64_t max_free; /* blocks */
} mph_header;

/** Where the block size came from. */
typedef enum mph_block_size_source {
    MPH_BS_UNKNOWN = 0,
    MPH_BS_ROW_STEP,  /* the step between row offsets */
    MPH_BS_GC_TOTAL,  /* GC total / number of cells */
    MPH_BS_OPTION     /* given by the caller */
} mph_block_size_source;

/** How the rows' offsets were printed (the MicroPython era). */
typedef enum mph_row_format {
    MPH_ROWS_NONE = 0,     /* the map had no row */
    MPH_ROWS_INDEX4,       /* "%04x" block index (before v1.3.5) */
    MPH_ROWS_ADDRESS5,     /* "%05x" absolute address & 0xfffff (v1.3.5 - v1.8) */
    MPH_ROWS_OFFSET5,      /* "%05x" offset & 0xfffff (v1.8.1 - v1.19) */
    MPH_ROWS_OFFSET8       /* "%08x" offset (v1.20+) */
} mph_row_format;

/** One heap area (MicroPython's split heap has several). Borrowed from its snapshot. */
typedef struct mph_area {
    uint64_t base;       /* start address */
    bool has_base;       /* false when the dump did not print it */
    size_t first_block;  /* index of the area's first block in the snapshot */
    size_t n_blocks;
    const char *cells;   /* n_blocks map characters ('t' is read as '=') */
    unsigned long line;  /* line of its "GC memory layout" header (or first row) */
} mph_area;

/** One allocation: a head and its tails. */
typedef struct mph_alloc {
    size_t area;        /* area index */
    size_t block;       /* first block, index within the area */
    size_t n_blocks;
    uint64_t address;   /* base + block * block size (0 when unknown) */
    mph_type type;
    bool orphan;        /* tails with no head before them (a damaged dump) */
} mph_alloc;

typedef struct mph_log mph_log;
typedef struct mph_snapshot mph_snapshot;

/** A message about the input that is not fatal. */
typedef enum mph_diag_level { MPH_DIAG_NOTE, MPH_DIAG_WARNING } mph_diag_level;

typedef struct mph_diagnostic {
    mph_diag_level level;
    unsigned long line, column;
    long snapshot;          /* snapshot index, or -1 */
    const char *message;
} mph_diagnostic;

/* --------------------------------------------------------------- parsing */

typedef struct mph_parse_options {
    unsigned block_size; /* used only when the dump does not tell it; 0 = none */
    bool strict;         /* every warning is an error */
} mph_parse_options;

typedef struct mph_parser mph_parser;

/** A parser to feed in chunks. opts may be NULL. Returns NULL when out of memory. */
mph_parser *mph_parser_new(const mph_parse_options *opts);

/** Feed len bytes. After an error the parser only accepts mph_parser_free. */
MPH_NODISCARD mph_status mph_parser_feed(mph_parser *p, const char *buf, size_t len, mph_error *err);

/**
 * End of input: closes the last snapshot and hands over the log (*out, to
 * free with mph_log_free). A log with no snapshot is MPH_ERR_NOT_FOUND.
 * The parser is spent afterwards; free it.
 */
MPH_NODISCARD mph_status mph_parser_finish(mph_parser *p, mph_log **out, mph_error *err);

void mph_parser_free(mph_parser *p);

/** Parse a whole buffer: mph_parser_new + feed + finish. */
MPH_NODISCARD mph_status mph_log_parse(const char *buf, size_t len, const mph_parse_options *opts,
                                       mph_log **out, mph_error *err);

void mph_log_free(mph_log *log);

size_t mph_log_snapshot_count(const mph_log *log);
const mph_snapshot *mph_log_snapshot(const mph_log *log, size_t index);

/**
 * Find a snapshot by a user's selector: a 1-based number ("3"), a negative
 * number counting from the end ("-1" = last), or text that equals a label or
 * is contained in exactly one label. Returns the index or -1.
 */
long mph_log_find_snapshot(const mph_log *log, const char *selector);

size_t mph_log_diagnostic_count(const mph_log *log);
const mph_diagnostic *mph_log_diagnostic(const mph_log *log, size_t index);
/** How many lines of the input belonged to no dump. */
unsigned long mph_log_skipped_lines(const mph_log *log);

/* -------------------------------------------------------------- snapshots */

/** The text of the marker line just before the dump, decorations trimmed; NULL if none. */
const char *mph_snapshot_label(const mph_snapshot *s);
/** A time stamp found in the marker ("... @ 2026-11-26T09:50:00Z"); NULL if none. */
const char *mph_snapshot_time(const mph_snapshot *s);
unsigned long mph_snapshot_first_line(const mph_snapshot *s);
unsigned long mph_snapshot_last_line(const mph_snapshot *s);
const mph_header *mph_snapshot_header(const mph_snapshot *s);
unsigned mph_snapshot_block_size(const mph_snapshot *s); /* 0 when unknown */
mph_block_size_source mph_snapshot_block_size_source(const mph_snapshot *s);
mph_row_format mph_snapshot_row_format(const mph_snapshot *s);
size_t mph_snapshot_area_count(const mph_snapshot *s);
const mph_area *mph_snapshot_area(const mph_snapshot *s, size_t index);
/** Total blocks over all areas. */
size_t mph_snapshot_block_count(const mph_snapshot *s);
/** Address of a block of an area; 0 when the base or block size is unknown. */
uint64_t mph_snapshot_block_address(const mph_snapshot *s, size_t area, size_t block);

/** Walks the allocations in address order. Caller storage; no cleanup needed. */
typedef struct mph_alloc_iter {
    const mph_snapshot *snapshot;
    size_t area, block;
} mph_alloc_iter;

void mph_alloc_iter_init(mph_alloc_iter *it, const mph_snapshot *s);
/** Next allocation into *out; false at the end. */
bool mph_alloc_iter_next(mph_alloc_iter *it, mph_alloc *out);

/* ------------------------------------------------------------ statistics */

#define MPH_HISTOGRAM_BUCKETS 40 /* bucket k counts sizes in [2^k, 2^(k+1)) blocks */
#define MPH_ALL_AREAS ((size_t)-1)

typedef struct mph_type_stats {
    uint64_t allocs;
    uint64_t blocks;
} mph_type_stats;

/** Figures of one area or of the whole snapshot, all from one pass over the cells. */
typedef struct mph_stats {
    unsigned block_size;        /* 0 when unknown: byte figures are then 0 */
    uint64_t total_blocks, used_blocks, free_blocks;
    uint64_t allocs, orphan_tails;
    uint64_t n_1block, n_2block; /* allocations of exactly 1 / 2 blocks */
    uint64_t max_alloc_blocks;   /* MicroPython's "max blk sz" */
    uint64_t largest_free_blocks;/* MicroPython's "max free sz" (one area) */
    size_t largest_free_area;    /* where the largest free run starts */
    size_t largest_free_block;
    uint64_t largest_free_address;
    uint64_t free_runs;
    uint64_t free_above_top_blocks; /* free blocks after each area's last used block */
    double fragmentation;        /* 1 - largest free / total free (0 when nothing is free) */
    mph_type_stats by_type[MPH_TYPE_COUNT];
    uint64_t alloc_histogram[MPH_HISTOGRAM_BUCKETS]; /* by size in blocks */
    uint64_t free_histogram[MPH_HISTOGRAM_BUCKETS];  /* free runs by length */
} mph_stats;

/** Compute the figures of one area, or of all with MPH_ALL_AREAS. Borrows s only during the call. */
MPH_NODISCARD mph_status mph_stats_compute(const mph_snapshot *s, size_t area, mph_stats *out,
                                           mph_error *err);

/** How many buffers of `bytes` bytes still fit in the free runs (each run holds floor(run / size)). */
uint64_t mph_stats_fit_count(const mph_snapshot *s, uint64_t bytes);

/* ----------------------------------------------------------------- sinks */

/** Where renderers write. write returns MPH_OK or an error status. */
typedef struct mph_sink {
    mph_status (*write)(void *ctx, const char *buf, size_t len);
    void *ctx;
} mph_sink;

/* --------------------------------------------------------------- palette */

typedef enum mph_palette_kind {
    MPH_PALETTE_SEED,    /* the seed notebook's colours: red heads, cyan modules, green free */
    MPH_PALETTE_TYPE,    /* one colour per type */
    MPH_PALETTE_RAINBOW, /* neighbouring allocations in alternating colours */
    MPH_PALETTE_MONO     /* no colour */
} mph_palette_kind;

/** Parse "seed", "type", "rainbow", "mono". Returns false when unknown. */
bool mph_palette_parse(const char *name, mph_palette_kind *out);

typedef struct mph_rgb {
    uint8_t r, g, b;
} mph_rgb;

/** A colour as every renderer needs it: ANSI 16-colour index (0-15) and RGB. */
typedef struct mph_color {
    uint8_t ansi; /* 0-7 normal, 8-15 bright */
    mph_rgb rgb;
} mph_color;

typedef struct mph_style {
    mph_color fg, bg;
    bool plain;      /* no colour at all (mono) */
    bool default_bg; /* colour the glyph only, on the terminal's own background */
} mph_style;

/** Roles that are not cell types. */
typedef enum mph_role {
    MPH_ROLE_FREE,
    MPH_ROLE_LARGEST_FREE, /* the largest free run, marked in overviews */
    MPH_ROLE_LEVEL_LOW,    /* overview: a little used */
    MPH_ROLE_LEVEL_MID,
    MPH_ROLE_LEVEL_HIGH,
    MPH_ROLE_LEVEL_FULL,
    MPH_ROLE_GUTTER,
    MPH_ROLE_COUNT
} mph_role;

/**
 * The style of a head (and its tails) of a type. ordinal counts allocations
 * in address order; the rainbow palette uses it to alternate colours.
 */
mph_style mph_palette_head(mph_palette_kind kind, mph_type type, uint64_t ordinal);
mph_style mph_palette_role(mph_palette_kind kind, mph_role role);

/* ------------------------------------------------------- terminal output */

typedef struct mph_ansi_options {
    unsigned columns;         /* groups of 64 cells per printed line; >= 1 */
    bool collapse_free;       /* print "(N lines all free)" for runs of free lines */
    mph_palette_kind palette;
    bool color;               /* emit ANSI escapes */
    uint64_t scale;           /* blocks per printed cell: 1 = the full map, K > 1 = overview */
} mph_ansi_options;

/** The summary above the map: sizes in bytes with units, largest free block and where, fragmentation, block size. */
MPH_NODISCARD mph_status mph_render_ansi_summary(const mph_snapshot *s, const mph_ansi_options *o,
                                                 mph_sink *sink, mph_error *err);
/** The glyphs the map uses, each in its own colours, with their meaning. */
MPH_NODISCARD mph_status mph_render_ansi_legend(const mph_snapshot *s, const mph_ansi_options *o,
                                                mph_sink *sink, mph_error *err);
/** The map (or, with scale > 1, the overview) with an address gutter and area separators. */
MPH_NODISCARD mph_status mph_render_ansi_map(const mph_snapshot *s, const mph_ansi_options *o,
                                             mph_sink *sink, mph_error *err);

/** The smallest scale at which the map of s fits in max_lines lines of `columns` groups. */
uint64_t mph_ansi_fit_scale(const mph_snapshot *s, unsigned columns, unsigned long max_lines);

#ifdef __cplusplus
}
#endif

#endif /* MPHEAP_H */
