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

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The API's version (semantic: MAJOR.MINOR.PATCH), for #if: MPH_VERSION_NUMBER is
 * MAJOR * 10000 + MINOR * 100 + PATCH. */
#define MPH_VERSION_MAJOR 0
#define MPH_VERSION_MINOR 1
#define MPH_VERSION_PATCH 0
#define MPH_VERSION "0.1.0"
#define MPH_VERSION_NUMBER 100
/* The ABI: the shared library's soname is libmpheap.so.MPH_ABI_VERSION. It goes up by one
 * on every incompatible change (a function removed or changed, a public struct or enum
 * changed), and only then (README, "Install"). */
#define MPH_ABI_VERSION 0

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
    MPH_ERR_RAISED,    /* code on the board raised an exception */
    MPH_ERR_STOPPED    /* the caller's stop flag was raised (Ctrl-C, SIGTERM) */
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

/* --------------------------------------------------------------- version */

/** The library's version at run time ("0.1.0"): a program built against an older
 *  compatible header may run with a newer libmpheap.so (compare with MPH_VERSION). */
const char *mph_version_string(void);
/** MPH_VERSION_NUMBER of the library at run time. */
int mph_version_number(void);
/** The build's features, one place for every front end (--version, Python): words
 *  separated by one space, "+NAME" when built in and usable on this machine, "-NAME"
 *  when not: "+avx2 +libpng" (avx2: the map scanner's AVX2 path, taken when the CPU
 *  has AVX2 and POPCNT). Static storage. */
const char *mph_version_features(void);

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
    MPH_BS_OPTION,    /* given by the caller */
    MPH_BS_HEADER     /* no map: the header's byte figures allow only 16 of the usual sizes */
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

/**
 * Feed len bytes. After an error the parser only accepts mph_parser_free.
 * Without strict, a damaged dump is no error here: it is left out of the log
 * and listed (mph_log_damaged), unless no dump reads (then finish fails).
 */
MPH_NODISCARD mph_status mph_parser_feed(mph_parser *p, const char *buf, size_t len, mph_error *err);

/**
 * End of input: closes the last snapshot and hands over the log (*out, to
 * free with mph_log_free). A log with no snapshot is MPH_ERR_NOT_FOUND.
 * The parser is spent afterwards; free it.
 */
MPH_NODISCARD mph_status mph_parser_finish(mph_parser *p, mph_log **out, mph_error *err);

void mph_parser_free(mph_parser *p);

/** Which snapshots keep their block map: see mph_parser_keep_maps. */
enum { MPH_KEEP_ALL = -1, MPH_KEEP_LAST = -2, MPH_KEEP_NONE = -3 };

/**
 * Bound memory on long logs: keep the block map (cells) of snapshot `which`
 * only (a 0-based index), of the last one (MPH_KEEP_LAST), of none
 * (MPH_KEEP_NONE), or of all (MPH_KEEP_ALL, the default). Call before the
 * first feed. Every snapshot is still read and checked in full, and its
 * whole-heap stats (mph_stats_compute with MPH_ALL_AREAS) are computed while
 * its map is at hand; then its memory is reused for the next dump's map, so a
 * log takes at most two snapshots' cells (a byte per block: the kept map and
 * the one being read), not the sum. A snapshot whose map was not kept says so
 * (mph_snapshot_has_map false) and its areas' cells are NULL: give it only to
 * mph_stats_compute(..., MPH_ALL_AREAS, ...) and the getters of its header,
 * label and figures. A timeline reads every map: give it each snapshot while
 * its cells are there (mph_parser_on_snapshot with a mph_timeline_builder).
 * With an index or MPH_KEEP_NONE, mph_parser_skim_maps(p, true) never stores
 * the other maps (and keeps no stats for them): one snapshot's cells at most;
 * with MPH_KEEP_LAST it gives each map back early (see there).
 */
void mph_parser_keep_maps(mph_parser *p, long which);

/**
 * With skim true, a map the parser knows it will not keep (keep_maps gave
 * another snapshot's index, or MPH_KEEP_NONE) is read and checked without
 * ever being stored: each row is checked, counted and forgotten. Its
 * diagnostics and damage are those of a full read, at the same places, and
 * it joins the log as any other; but it has no cells and no whole-heap stats:
 * mph_snapshot_has_map is false, its areas' cells are NULL, and
 * mph_stats_compute on it fails with MPH_ERR_ARG. Give it only to the getters
 * of its header, label, time, lines, block size, row format, areas (bases and
 * block counts), map_partial and failed allocation. Memory is then the kept
 * map's cells (a byte per block), the line being read and a few hundred bytes
 * per area of the dump being read: not a second map. With MPH_KEEP_LAST (the
 * last is known only at the end) every map is read in full, but the last one
 * so far is given back, its whole-heap stats kept, as soon as the next dump's
 * map begins: one map at a time. Should that next dump prove damaged (it is
 * then left out), the log's last snapshot has no map (mph_snapshot_has_map
 * false, though it has areas): read the input again keeping its index. No
 * effect with MPH_KEEP_ALL or a hook (mph_parser_on_snapshot, which sees
 * every map). Call before the first feed; false by default.
 */
void mph_parser_skim_maps(mph_parser *p, bool skim);

/**
 * Bound the memory of maps on a hostile or huge log: the maps kept (see
 * mph_parser_keep_maps) and the one being read together hold at most
 * max_blocks cells (a byte each). A dump whose map would pass it fails the
 * whole parse with MPH_ERR_NOMEM at the row that would, saying so: the input
 * is not damaged, the caller's budget is spent. 0, the default: no bound but
 * each dump's own (its GC total, at most 2^28 blocks). Call before the first
 * feed.
 */
void mph_parser_limit_maps(mph_parser *p, uint64_t max_blocks);

/**
 * Called for each snapshot with a map as it joins the log, in order: after it
 * was read and checked, before its map is dropped (mph_parser_keep_maps), so
 * the one moment every map is at hand when not all are kept. index is its
 * place in the log (0-based); s is borrowed for the call and stays in the log
 * (without its cells if they are not kept). What is read after the dump is
 * not in it yet (a MemoryError's size printed after it). Return MPH_OK, or an
 * error with err filled (MPH_ERR_NOMEM, MPH_ERR_ARG: a syntax or limit error
 * would count as the dump's damage): the parse then fails with it, located at
 * the dump's first line when err has no line. Dumps with no map are not
 * passed: they become the log's snapshots only at mph_parser_finish, when no
 * dump has a map, and have no cells to lose.
 */
typedef mph_status (*mph_snapshot_fn)(void *ctx, const mph_snapshot *s, size_t index,
                                      mph_error *err);

/** Set (or with fn NULL, clear) the snapshot hook; call before the first feed. */
void mph_parser_on_snapshot(mph_parser *p, mph_snapshot_fn fn, void *ctx);

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

/**
 * A damaged dump (a repeated or missing row, an unknown cell, ...): an error
 * for that dump alone. Without --strict (mph_parse_options.strict) the parser
 * leaves it out of the log's snapshots and reads on; the others read normally.
 * With strict, or when no dump of the input reads, the first one's error is
 * the parse's. Borrowed from the log.
 */
typedef struct mph_damaged {
    size_t position;    /* 0-based place among the input's dumps, damaged ones counted */
    size_t before;      /* how many of the log's snapshots come before it */
    unsigned long first_line; /* the dump's first line (after its marker) */
    const char *label;  /* its marker's label, NULL if none */
    mph_error error;    /* located: line, column, byte offset */
} mph_damaged;

/** The log's damaged dumps, in input order (at most the first 1000; a warning says if more). */
size_t mph_log_damaged_count(const mph_log *log);
const mph_damaged *mph_log_damaged(const mph_log *log, size_t index);
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

/** True when the marker line says the dump was taken right after gc.collect(). */
bool mph_snapshot_after_collect(const mph_snapshot *s);
/**
 * The size of a failed allocation next to the snapshot: "allocating N bytes"
 * in its marker, else a "MemoryError: memory allocation failed, allocating N
 * bytes" line after it (a traceback) or before it, up to the next or the
 * previous dump. *line is where it was read. False when there is none.
 */
bool mph_snapshot_failed_alloc(const mph_snapshot *s, uint64_t *bytes, unsigned long *line);
/** True when the dump had a header but no map (mem_info() without an argument). */
bool mph_snapshot_header_only(const mph_snapshot *s);
/** True when the snapshot's cells are at hand: it has a map, kept (mph_parser_keep_maps). */
bool mph_snapshot_has_map(const mph_snapshot *s);
/** True when the map is shorter than the header's GC total: a truncated paste. */
bool mph_snapshot_map_partial(const mph_snapshot *s);

/** Walks the allocations in address order. Caller storage; no cleanup needed. */
typedef struct mph_alloc_iter {
    const mph_snapshot *snapshot;
    size_t area, block;
} mph_alloc_iter;

void mph_alloc_iter_init(mph_alloc_iter *it, const mph_snapshot *s);
/** Next allocation into *out; false at the end. */
bool mph_alloc_iter_next(mph_alloc_iter *it, mph_alloc *out);

/* ------------------------------------------------------------ map layout */

/**
 * Where the blocks of a snapshot go on a screen of cells (the full-screen
 * views: mpheap watch and explore): each area takes one title line, then
 * lines of `width` cells; a cell stands for `scale` blocks (1: every block).
 * Caller storage (mph_layout_init); borrows its snapshot.
 */
typedef struct mph_layout {
    const mph_snapshot *snapshot;
    unsigned width;  /* cells per line, >= 1 */
    uint64_t scale;  /* blocks per cell, >= 1 */
    size_t n_lines;  /* every area's title and cell lines */
} mph_layout;

/** Lay s out in lines of width cells of scale blocks. MPH_ERR_ARG when one is 0 or s NULL. */
MPH_NODISCARD mph_status mph_layout_init(mph_layout *l, const mph_snapshot *s, unsigned width,
                                         uint64_t scale, mph_error *err);
/** The smallest power-of-two scale at which s fits in max_lines lines of width cells, titles
 *  included (as `--scale auto` fits the terminal map). */
uint64_t mph_layout_fit_scale(const mph_snapshot *s, unsigned width, size_t max_lines);
/** The cell at (line, col): its area and its first block. False on a title line and past the
 *  end of an area's cells. */
bool mph_layout_block_at(const mph_layout *l, size_t line, unsigned col, size_t *area,
                         size_t *block);
/** The line and column of the cell holding (area, block); false when there is no such block. */
bool mph_layout_find(const mph_layout *l, size_t area, size_t block, size_t *line, unsigned *col);
/** The title line of an area. */
size_t mph_layout_area_line(const mph_layout *l, size_t area);

/** What a block belongs to: an allocation (its head, type and size) or a free run. */
typedef struct mph_block_info {
    size_t area, block;     /* the block asked about */
    uint64_t address;       /* its address; 0 when unknown */
    bool free;
    size_t start;           /* the allocation's head, or the free run's first block, in the area */
    uint64_t start_address; /* 0 when unknown */
    size_t n_blocks;        /* the allocation's or the free run's length */
    mph_type type;          /* an allocation's type */
    bool orphan;            /* tails with no head before them (a damaged dump) */
} mph_block_info;

/** Describe block `block` of area `area` into *out. MPH_ERR_ARG when there is no such block.
 *  Walks the cells from the block to both ends of its allocation or run. */
MPH_NODISCARD mph_status mph_layout_describe(const mph_snapshot *s, size_t area, size_t block,
                                             mph_block_info *out, mph_error *err);
/** The block at an address. With no base address in the dump, the address counts bytes from the
 *  first area's start, areas one after another. False when no block is there or the block size
 *  is unknown. */
bool mph_layout_locate(const mph_snapshot *s, uint64_t address, size_t *area, size_t *block);

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

/* --------------------------------------------------------------- verdict */

/*
 * Why an allocation of N bytes fails, by MicroPython's own rules (py/gc.c,
 * gc_alloc): it takes the first free run of enough blocks, areas in order,
 * each from its start; when none is long enough it collects garbage and
 * tries again; a port built with split-heap auto-growth (the header shows
 * "max new split") then adds a new area big enough for it, if the system
 * can give N + max(2048, N * 13 / 512) bytes.
 *
 * What a dump can tell: "fits now" exactly (from the map, or from the
 * header's max free sz); "after a collection" only when the dump was taken
 * right after gc.collect() (a marker saying so): otherwise used blocks may
 * be garbage; "by growing" only as the port's promise (max new split).
 */

/** Where a verdict's size came from. */
typedef enum mph_need_source {
    MPH_NEED_NONE = 0, /* no size: the headline about the largest free run only */
    MPH_NEED_CALLER,   /* --need */
    MPH_NEED_LOG       /* a "MemoryError: ... allocating N bytes" next to the snapshot */
} mph_need_source;

/** The conclusion, in MicroPython's order: now, after a collection, by growing. */
typedef enum mph_outcome {
    MPH_OUTCOME_FITS_NOW,       /* a free run that long exists */
    MPH_OUTCOME_MAY_AFTER_GC,   /* not now; a collection may free enough (the dump cannot tell) */
    MPH_OUTCOME_FITS_BY_GROWING,/* not now, nor after the collection the dump was taken after; the port may add an area for it */
    MPH_OUTCOME_FAILS,          /* not now, a collection frees nothing, the heap cannot grow for it */
    MPH_OUTCOME_UNKNOWN         /* the dump does not say (no block size, or a partial map with no max free sz) */
} mph_outcome;

/** "fits-now", "may-fit-after-collection", "fits-by-growing", "fails", "unknown". */
const char *mph_outcome_name(mph_outcome o);

/** A free run: where and how long. */
typedef struct mph_free_run {
    size_t area, block;
    uint64_t n_blocks;
    uint64_t address; /* 0 when unknown */
} mph_free_run;

/**
 * A window: a set of neighbouring allocations whose freeing would join the
 * free runs around them into one run of at least the blocks needed.
 */
typedef struct mph_window {
    mph_free_run run;        /* the free run freeing the blockers would make */
    size_t n_blockers;
    uint64_t blocker_blocks; /* their size together */
    size_t n_listed;         /* min(n_blockers, MPH_VERDICT_MAX_BLOCKERS) */
    const mph_alloc *blockers; /* the first n_listed, in address order; owned by the verdict */
} mph_window;

#define MPH_VERDICT_MAX_WINDOWS 8
#define MPH_VERDICT_MAX_BLOCKERS 256 /* listed per window: more is no list to act on */
#define MPH_VERDICT_MAX_RUNS 8

typedef struct mph_verdict {
    const mph_snapshot *snapshot;
    mph_need_source need_source;
    uint64_t need_bytes;      /* 0 with MPH_NEED_NONE */
    unsigned long need_line;  /* MPH_NEED_LOG: the line of the MemoryError */
    unsigned block_size;      /* 0 when unknown */
    uint64_t need_blocks;     /* bytes rounded up to blocks, as gc_alloc does; 0 when unknown */

    bool has_map;             /* false: the dump had only the header */
    bool map_partial;         /* the map is shorter than the header's GC total */
    bool after_collect;       /* the marker says the dump was taken right after gc.collect() */

    /* The largest free run: from the map when it is whole, else the header's max free sz. */
    bool largest_known;
    bool largest_from_header; /* then its place is unknown */
    mph_free_run largest;
    uint64_t free_blocks, total_blocks;

    mph_outcome outcome;
    bool fits_now;
    mph_free_run first_fit;   /* fits_now with a map: the run gc_alloc takes (first fit) */

    bool can_grow;            /* the header has max new split */
    uint64_t max_new_split;   /* bytes */
    uint64_t grow_needed;     /* bytes a new area must have for it (gc_try_add_heap's rule) */
    bool fits_by_growing;     /* grow_needed <= max_new_split */

    /* When it does not fit now (and there is a map): */
    uint64_t largest_area_blocks; /* no window exists when need_blocks is more */
    size_t n_windows;         /* best first: fewest allocations, then fewest blocks, then address */
    mph_window windows[MPH_VERDICT_MAX_WINDOWS];
    bool runs_read;           /* the runs below were read (not with no size and a whole map) */
    size_t n_runs;            /* the longest free runs, longest first */
    mph_free_run runs[MPH_VERDICT_MAX_RUNS];
    uint64_t free_runs;       /* all free runs */
    uint64_t free_histogram[MPH_HISTOGRAM_BUCKETS]; /* free runs by length */
} mph_verdict;

/**
 * The verdict for an allocation of need_bytes (> 0) on s, or with
 * need_bytes == 0 the size from a MemoryError next to s, if any, else only
 * the headline figures (need_source MPH_NEED_NONE). Two passes over the
 * cells, no allocation per block. Returns MPH_OK and *out (free with
 * mph_verdict_free), MPH_ERR_ARG or MPH_ERR_NOMEM. Borrows s.
 */
MPH_NODISCARD mph_status mph_verdict_new(const mph_snapshot *s, uint64_t need_bytes,
                                         mph_verdict **out, mph_error *err);
void mph_verdict_free(mph_verdict *v);

/* ----------------------------------------------------------------- sinks */

/** Where renderers write. write returns MPH_OK or an error status. */
typedef struct mph_sink {
    mph_status (*write)(void *ctx, const char *buf, size_t len);
    void *ctx;
} mph_sink;

/* --------------------------------------------------------------- palette */

typedef enum mph_palette_kind {
    MPH_PALETTE_SAFE,     /* the default: one colour per type, every pair of roles told apart
                             with protanopia and deuteranopia too (README, "Colours");
                             exact colours: 256-colour or 24-bit escapes */
    MPH_PALETTE_NOTEBOOK, /* the seed notebook's colours: red heads, cyan modules, green free
                             (red against green: not for red-green colour blindness) */
    MPH_PALETTE_TYPE,     /* one of the terminal's 16 colours per type */
    MPH_PALETTE_RAINBOW,  /* neighbouring allocations in alternating colours */
    MPH_PALETTE_MONO,     /* no colour */
    MPH_PALETTE_SEED = MPH_PALETTE_NOTEBOOK /* its old name */
} mph_palette_kind;

#define MPH_PALETTE_DEFAULT MPH_PALETTE_SAFE

/** Parse "safe", "notebook", "type", "rainbow", "mono", and "seed" (an old name of
 *  "notebook"). Returns false when unknown. */
bool mph_palette_parse(const char *name, mph_palette_kind *out);
/** The name of a palette ("safe", "notebook", ...). */
const char *mph_palette_name(mph_palette_kind kind);

typedef struct mph_rgb {
    uint8_t r, g, b;
} mph_rgb;

/**
 * A colour as every renderer needs it. Terminals give the 16 ANSI colours
 * their own RGB (a theme), so only an exact colour (xterm256 set) looks the
 * same everywhere: its RGB is a colour of xterm's 256-colour cube or grey
 * ramp, which terminals do not theme, and a 24-bit escape shows it exactly.
 */
typedef struct mph_color {
    uint8_t ansi;     /* 0-7 normal, 8-15 bright: the colour, or an exact colour's stand-in
                         for a terminal with 16 colours only */
    mph_rgb rgb;      /* an exact colour's RGB; else what xterm's default theme shows */
    uint8_t xterm256; /* 16-255: exact, the 256-colour index of rgb; 0: one of the 16 */
} mph_color;

/** The RGB of an xterm 256-colour index (0-15: xterm's default theme). */
mph_rgb mph_xterm256_rgb(uint8_t index);

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
    MPH_ROLE_DIFF_FREE,      /* diff: free in both snapshots */
    MPH_ROLE_DIFF_KEPT,      /* diff: the same allocation in both snapshots */
    MPH_ROLE_DIFF_FREED,     /* diff: used before, free now */
    MPH_ROLE_DIFF_ALLOCATED, /* diff: free before, used now */
    MPH_ROLE_DIFF_REUSED,    /* diff: used in both, by different allocations */
    MPH_ROLE_BLOCKER,        /* an allocation that splits the free memory (a verdict's best window) */
    MPH_ROLE_COUNT
} mph_role;

/**
 * The style of a head (and its tails) of a type. ordinal counts allocations
 * in address order; the rainbow palette uses it to alternate colours.
 */
mph_style mph_palette_head(mph_palette_kind kind, mph_type type, uint64_t ordinal);
mph_style mph_palette_role(mph_palette_kind kind, mph_role role);

/* ------------------------------------------------------- terminal output */

/** How exact colours (mph_color.xterm256) are written; the 16 ANSI colours always as they are. */
typedef enum mph_color_depth {
    MPH_COLORS_256,  /* "\x1b[38;5;Nm": xterm's 256 colours (the default; nearly every terminal) */
    MPH_COLORS_16,   /* each exact colour's stand-in among the 16 (not colour-blind safe) */
    MPH_COLORS_24BIT /* "\x1b[38;2;R;G;Bm": truecolor (COLORTERM=truecolor) */
} mph_color_depth;

typedef struct mph_ansi_options {
    unsigned columns;         /* groups of 64 cells per printed line; >= 1 */
    bool collapse_free;       /* print "(N lines all free)" for runs of free lines */
    mph_palette_kind palette;
    bool color;               /* emit ANSI escapes */
    uint64_t scale;           /* blocks per printed cell: 1 = the full map, K > 1 = overview */
    bool mark_largest;        /* mark the largest free run (colour, or '_' without colour) */
    const struct mph_verdict *verdict; /* mark its best window's blockers, and the summary
                                          adds its text (NULL: none) */
    mph_color_depth depth;    /* how exact colours are written */
    unsigned width;           /* the terminal's columns: the summary and the legend fit in
                                 them (at least 40 are used); 0 = 80 */
} mph_ansi_options;

/** The summary above the map: sizes in bytes with units, largest free block and where,
 *  fragmentation, block size; then, with o->verdict (of s), the verdict's text
 *  (mph_render_text_verdict). Lines longer than o->width are broken at a blank, the rest
 *  under the values. o may be NULL (80 columns, no verdict). */
MPH_NODISCARD mph_status mph_render_ansi_summary(const mph_snapshot *s, const mph_ansi_options *o,
                                                 mph_sink *sink, mph_error *err);
/** The glyphs the map uses, each in its own colours, with their meaning, in lines of at most
 *  o->width columns. */
MPH_NODISCARD mph_status mph_render_ansi_legend(const mph_snapshot *s, const mph_ansi_options *o,
                                                mph_sink *sink, mph_error *err);
/** The map (or, with scale > 1, the overview) with an address gutter and area separators. */
MPH_NODISCARD mph_status mph_render_ansi_map(const mph_snapshot *s, const mph_ansi_options *o,
                                             mph_sink *sink, mph_error *err);

/** The smallest scale at which the map of s fits in max_lines lines of `columns` groups. */
uint64_t mph_ansi_fit_scale(const mph_snapshot *s, unsigned columns, unsigned long max_lines);

/** One overview cell of n blocks, `used` of them used: its role and (when glyph is not NULL)
 *  its glyph, by the rules every renderer of the overview shares: a blocker first, then the
 *  largest free run (in_largest: the cell touches it; small_run: the run covers few cells), then
 *  how full the cell is ('.' free, ':' <= 1/4, '-' <= 1/2, '+' <= 3/4, '#' < all, '@' full). */
mph_role mph_overview_cell(uint64_t used, uint64_t n, bool blocker, bool in_largest, bool small_run,
                           char *glyph);

/* -------------------------------------------------------------- pictures */

/*
 * The map as a picture to attach to an issue: SVG or PNG, both with the text
 * (the PNG in mpheap's own bitmap font). Same layout rules as the terminal map: rows of
 * `columns` groups of 64 cells, a cell per `scale` blocks (the overview's
 * levels as colours), areas one after another; the largest free run is always
 * marked, and the verdict's best window's blockers when a verdict is given.
 * Colours from the palette (mph_palette_head/mph_palette_role): a head's
 * background colour (or its foreground, when it has only that); its tails take
 * the head's colour. The mono palette gives greys.
 */
typedef struct mph_picture_options {
    unsigned columns;          /* groups of 64 cells per row; 1..64 */
    uint64_t scale;            /* blocks per cell: 1 = every block, K > 1 = overview */
    unsigned pixels;           /* PNG: pixels per cell side, >= 1 (SVG: ignored) */
    mph_palette_kind palette;
    const struct mph_verdict *verdict; /* its best window's blockers are marked and its text
                                          is added to the summary (NULL: none) */
} mph_picture_options;

/** Sensible defaults: 2 columns, scale 1, 4 pixels, the default palette, no verdict. */
void mph_picture_options_init(mph_picture_options *o);

/**
 * An SVG document: a title (with the snapshot's label), the summary lines
 * (as mph_render_ansi_summary writes them, with the verdict's text), the
 * legend, and per area a title with its base address, an address gutter and
 * the map, as one rect per run of one colour in a row. Every text from the
 * input is XML-escaped. A header-only dump gives the summary and a line
 * saying there is no map. MPH_ERR_ARG on bad options, MPH_ERR_NOMEM, or the
 * sink's status.
 */
MPH_NODISCARD mph_status mph_render_svg(const mph_snapshot *s, const mph_picture_options *o,
                                        mph_sink *sink, mph_error *err);

/**
 * A PNG (8-bit RGB, through libpng) of what the SVG shows, on white: the
 * title, the summary lines (with the verdict's text), the legend, and per
 * area a title with its base address, the address gutter and the map, one
 * cell per pixels x pixels square. Text is in mpheap's 5 x 9 bitmap font
 * (printable ASCII; any other byte a box) at t = max(1, pixels / 4) screen
 * pixels per font pixel: a line is 12t high, a character 6t wide.
 * Measured in units of t: a margin of 8 all round; the title line, a gap of
 * 6, the summary lines, a gap of 6, the legend lines (entries of a 9 x 9
 * swatch, 4, the text and 12 across, wrapped to the width inside the
 * margins; an entry with no swatch is its text and 12), a gap of 6; then per
 * area its title line, rows * pixels of map (rows =
 * ceil(ceil(blocks / scale) / (columns * 64))) and a gap of 6. The width is
 * the widest of the map (gutter + columns * 64 * pixels, the gutter one
 * character wider than its longest address) and the widest text line, plus
 * the margins. mph_picture_png_size and mph_picture_png_cell_origin give the
 * numbers. Cells past an area's end are white; an address beside every row
 * whose text fits (every ceil(12t / pixels) rows). A header-only dump has no
 * map: MPH_ERR_NOT_FOUND. MPH_ERR_LIMIT when a side would pass 1,000,000
 * pixels.
 */
MPH_NODISCARD mph_status mph_render_png(const mph_snapshot *s, const mph_picture_options *o,
                                        mph_sink *sink, mph_error *err);

/** The PNG's size in pixels for these options (0 x 0 with no map, or bad options). */
void mph_picture_png_size(const mph_snapshot *s, const mph_picture_options *o, uint64_t *width,
                          uint64_t *height);
/** The top-left pixel of the first cell of area `area` in the PNG: false when there is no
 *  such area or the options are bad. */
bool mph_picture_png_cell_origin(const mph_snapshot *s, const mph_picture_options *o, size_t area,
                                 uint64_t *x, uint64_t *y);

/* (The diff and the timeline as pictures are declared after them, below.) */

/* ----------------------------------------------------------- HTML report */

/** The view an HTML report opens with. */
typedef enum mph_html_view {
    MPH_HTML_VIEW_MAP,     /* the map of o->current */
    MPH_HTML_VIEW_DIFF,    /* the diff map of o->diff_old -> o->diff_new */
    MPH_HTML_VIEW_TIMELINE /* the timeline charts and leak suspects */
} mph_html_view;

/** The JSON island's schema (docs/json-schema.md). */
#define MPH_HTML_SCHEMA "mpheap/html/1"

/** What an HTML report holds; indexes are 0-based snapshot indexes into the log. */
typedef struct mph_html_options {
    mph_palette_kind palette;
    const char *name;      /* the input's name (file, port) for the title; NULL: none */
    size_t first, last;    /* the snapshots in the report, inclusive */
    size_t current;        /* the one the map shows first, in [first, last] */
    uint64_t need;         /* the verdict's size in bytes; 0: a MemoryError's size next to each
                              snapshot, if any */
    mph_html_view view;
    size_t diff_old, diff_new; /* MPH_HTML_VIEW_DIFF: the pair, in [first, last] */
} mph_html_options;

/** Defaults for log: every snapshot, the last one shown, the default palette, the map view,
 *  the diff of the last two. log may be NULL (then first = last = 0). */
void mph_html_options_init(mph_html_options *o, const mph_log *log);

/**
 * A self-contained HTML page: no network, a Content-Security-Policy that
 * allows only its own inline script and style (by their SHA-256), and one
 * JSON island (<script type="application/json" id="mpheap-data">, schema
 * MPH_HTML_SCHEMA) with, per snapshot, the stats document (mpheap/stats/2,
 * with the verdict), the terminal's summary text and the map (its runs,
 * zlib-deflated, base64); with several snapshots the timeline document
 * (mpheap/timeline/3), and with MPH_HTML_VIEW_DIFF the diff document
 * (mpheap/diff/2). In the island '<', '>', '&', U+2028 and U+2029 are
 * written as \u escapes; the page puts every input string in as text.
 * The page draws the map on a canvas (zoom, pan, hover and keyboard),
 * tables, histograms, a snapshot slider, any two snapshots' diff map and
 * the timeline charts. Returns MPH_OK, MPH_ERR_ARG (bad options),
 * MPH_ERR_NOMEM, or the sink's status. Borrows log.
 */
MPH_NODISCARD mph_status mph_render_html(const mph_log *log, const mph_html_options *o,
                                         mph_sink *sink, mph_error *err);

/* ------------------------------------------------------------ transports */

/*
 * A transport is a byte stream to a board: a serial port, a child process
 * (on a pseudo-terminal or pipes), or the caller's own (tests script one in
 * memory). Every read and write has a deadline; nothing blocks forever.
 */
typedef struct mph_transport mph_transport;

/** What a transport does. ctx is the implementation's; close may be NULL. */
typedef struct mph_transport_ops {
    /* Wait up to timeout_ms (0: do not wait) for data, then read 1..cap bytes
     * into buf and set *got. MPH_ERR_TIMEOUT when nothing came in time,
     * MPH_ERR_GONE when the other end went away (hang-up, EOF). */
    mph_status (*read)(void *ctx, void *buf, size_t cap, size_t *got, int timeout_ms,
                       mph_error *err);
    /* Write all len bytes within timeout_ms. */
    mph_status (*write)(void *ctx, const void *buf, size_t len, int timeout_ms, mph_error *err);
    void (*close)(void *ctx);
} mph_transport_ops;

/** Wrap the caller's implementation (ops is copied; ctx is borrowed until _free calls close). NULL when out of memory. */
mph_transport *mph_transport_new(const mph_transport_ops *ops, void *ctx, const char *name);

/** Read 1..cap bytes, waiting up to timeout_ms. *got is set on MPH_OK only. */
MPH_NODISCARD mph_status mph_transport_read(mph_transport *t, void *buf, size_t cap, size_t *got,
                                            int timeout_ms, mph_error *err);
/** Write all of buf within timeout_ms. */
MPH_NODISCARD mph_status mph_transport_write(mph_transport *t, const void *buf, size_t len,
                                             int timeout_ms, mph_error *err);
/** Bytes read from and written to the board so far. */
void mph_transport_counts(const mph_transport *t, uint64_t *bytes_in, uint64_t *bytes_out);
/** What the transport talks to ("/dev/ttyACM0", "sim (/dev/pts/4)"); borrowed. */
const char *mph_transport_name(const mph_transport *t);
/** Close (for a child process: end it and reap it) and free. NULL is fine. */
void mph_transport_free(mph_transport *t);

/**
 * Open a serial port: O_NOCTTY|O_NONBLOCK, an exclusive lock (flock and
 * TIOCEXCL), raw 8N1 at 115200, input flushed, DTR and RTS raised together
 * (equal states keep ESP32 auto-reset circuits out of reset; on close RTS is
 * dropped before DTR). Pseudo-terminals work too (their modem ioctls fail
 * harmlessly). MPH_ERR_BUSY when another program holds the port,
 * MPH_ERR_DEVICE when it is missing, not a tty or not permitted.
 */
MPH_NODISCARD mph_status mph_serial_open(const char *path, mph_transport **out, mph_error *err);

/**
 * Run a board program (argv[0] looked up in PATH) and talk to it. With
 * pipes=false it runs on the master side of a new pseudo-terminal and the
 * transport is the slave opened by mph_serial_open: the very code path of a
 * USB serial port. With pipes=true its stdin/stdout are pipes. Closing the
 * transport ends the process (SIGTERM, then SIGKILL) and reaps it.
 */
MPH_NODISCARD mph_status mph_exec_open(const char *const argv[], bool pipes, mph_transport **out,
                                       mph_error *err);

/**
 * Start argv on the master side of a new raw pseudo-terminal and leave the
 * slave for others to open: its path goes to path (cap bytes), the child's
 * id to *pid, and *slave_fd is an open (unlocked) descriptor of the slave
 * that keeps the terminal alive between clients; the caller closes it, then
 * ends and reaps the child.
 */
MPH_NODISCARD mph_status mph_exec_spawn_pty(const char *const argv[], char *path, size_t cap,
                                            int *pid, int *slave_fd, mph_error *err);

/* ----------------------------------------------------------------- ports */

/** A serial port found on the system. Strings are empty when unknown. */
typedef struct mph_port_info {
    char path[64];  /* /dev/ttyACM0 */
    bool usb;       /* vid and pid are valid */
    uint16_t vid, pid;
    char serial[128], manufacturer[128], product[128];
} mph_port_info;

/**
 * List serial ports (Linux: /sys/class/tty, as pyserial does), naturally
 * sorted by path (ttyACM before ttyUSB, ttyACM2 before ttyACM10). sysfs_root
 * is "/sys" when NULL (tests give a copy). Windows: SetupAPI's Ports class
 * (COMn, COM3 before COM10); sysfs_root is ignored. *out is freed with
 * mph_ports_free.
 */
MPH_NODISCARD mph_status mph_ports_list(const char *sysfs_root, mph_port_info **out, size_t *count,
                                        mph_error *err);
void mph_ports_free(mph_port_info *ports);

/** How mph_port_open finds the virtual board for "sim". */
typedef struct mph_port_options {
    const char *node;         /* the Node.js program; NULL = "node" */
    const char *board_script; /* board/virtual-board.mjs; NULL = "sim" is not available */
    const char *sysfs_root;   /* for mph_ports_list; NULL = "/sys" */
} mph_port_options;

/**
 * Open a board by the user's word (mpremote's names):
 *   auto         the first USB serial port that can be opened (busy ones are skipped)
 *   PATH         a device path, e.g. /dev/ttyACM0 or /dev/pts/3; port:PATH the same
 *   a0..a3 u0..u3  /dev/ttyACM0..3, /dev/ttyUSB0..3 (c0..c3, Windows' COM0..3, and
 *                COMn are MPH_ERR_ARG: "not supported on this system"; the
 *                Windows build opens c0..c3, COMn and \\.\COMn, and has no a0..u3)
 *   id:SERIAL    the USB port with that serial number
 *   sim[:HEAP[,fixed]]  the virtual board (node board_script --heap HEAP, with ",fixed"
 *                also --fixed-heap: a heap that cannot grow) on a pseudo-terminal
 *   exec:CMD     `sh -c CMD` on a pseudo-terminal; pipe:CMD the same over pipes
 * MPH_ERR_DEVICE (with what was tried) when nothing matches.
 */
MPH_NODISCARD mph_status mph_port_open(const char *spec, const mph_port_options *opts,
                                       mph_transport **out, mph_error *err);

/* -------------------------------------------------------------- raw REPL */

/*
 * A MicroPython raw REPL client over a transport (borrowed: free the client
 * first). Protocol only: it never prints, never sleeps longer than a
 * deadline, and reports an exception raised on the board as MPH_ERR_RAISED
 * with the traceback as the error message (and in full from
 * mph_repl_traceback).
 */
typedef struct mph_repl mph_repl;

typedef struct mph_repl_options {
    int timeout_ms;       /* deadline of each read while code runs; 0 = 10000 */
    int enter_timeout_ms; /* all attempts to enter the raw REPL together; 0 = 10000 */
    int pace_ms;          /* standard raw mode: pause after each 256-byte chunk (UARTs with no
                             flow control); 0 = none, -1 = 10 (mpremote's) */
    bool no_raw_paste;    /* never try raw-paste mode */
    int snapshot_timeout_ms; /* mph_repl_snapshot: all of one answer, however it trickles;
                                0 = 120000 */
    const volatile sig_atomic_t *stop; /* when *stop turns non-zero (a signal handler sets
                                          it), every wait ends within 100 ms with
                                          MPH_ERR_STOPPED; NULL = none */
} mph_repl_options;

/** A client (opts may be NULL for the defaults). NULL when out of memory. */
mph_repl *mph_repl_new(mph_transport *t, const mph_repl_options *opts);
void mph_repl_free(mph_repl *r);

/**
 * Enter the raw REPL: Ctrl-C twice and Ctrl-A at once (no fixed wait: the
 * board's "raw REPL" banner is the answer), retried until enter_timeout_ms for
 * boards that reset when the port opens, each retry after a quiet spell (150 ms
 * with nothing read). soft_reset then resets the board (a fresh heap; main.py
 * is not run). MPH_ERR_TIMEOUT when the board never answers.
 */
MPH_NODISCARD mph_status mph_repl_enter(mph_repl *r, bool soft_reset, mph_error *err);

/**
 * Send code (raw-paste mode when the board has it, else standard raw mode).
 * The board's acceptance ("OK", or raw-paste's end echo) and then the code's
 * output are read with mph_repl_follow: a board may say nothing until the code
 * has run. Code must not contain the bytes 0x01-0x05.
 */
MPH_NODISCARD mph_status mph_repl_exec_start(mph_repl *r, const char *code, size_t len,
                                             mph_error *err);

/**
 * Copy the running code's output to out until it ends. MPH_OK when it ended
 * normally, MPH_ERR_RAISED when it raised, MPH_ERR_TIMEOUT when nothing came
 * for timeout_ms: the code is still running (or not yet accepted) and follow
 * may be called again. MPH_ERR_DEVICE when the board answered the code with
 * something other than "OK".
 */
MPH_NODISCARD mph_status mph_repl_follow(mph_repl *r, mph_sink *out, int timeout_ms,
                                         mph_error *err);

/**
 * An overall deadline, ms from now (0: none), for the run that follow reads:
 * past it, follow (and every wait) returns MPH_ERR_TIMEOUT however much the
 * board goes on sending, and again at each call until it is set anew. A
 * caller's limit on a run that floods (mph_repl_snapshot sets its own).
 */
void mph_repl_set_deadline(mph_repl *r, int ms);

/** exec_start + follow with the per-read deadline of the options. */
MPH_NODISCARD mph_status mph_repl_exec(mph_repl *r, const char *code, size_t len, mph_sink *out,
                                       mph_error *err);

/**
 * Take one heap dump: the output of micropython.mem_info(1) goes to out.
 * collect runs gc.collect() first (in a separate step too, for ports that
 * collect only between steps, such as the WebAssembly one). Compiling the
 * snapshot code leaves a few blocks of garbage on the board each time
 * (device/README.md has the measurements). The answer is held to
 * snapshot_timeout_ms in all and to mph_repl_dump_limit bytes: past either
 * the board gets Ctrl-C, and MPH_ERR_TIMEOUT or MPH_ERR_LIMIT is returned.
 */
MPH_NODISCARD mph_status mph_repl_snapshot(mph_repl *r, bool collect, mph_sink *out,
                                           mph_error *err);

/**
 * The most bytes a dump that begins with head (its first len bytes; 4096 are
 * looked at) may take: 64 KiB until its "GC: total: N" line is there, then
 * 64 KiB + N/4 (blocks of at least 8 bytes, at most 2 characters each).
 */
uint64_t mph_repl_dump_limit(const char *head, size_t len);

/** Send Ctrl-C: interrupts running code (follow then sees KeyboardInterrupt). */
MPH_NODISCARD mph_status mph_repl_interrupt(mph_repl *r, mph_error *err);
/** Leave the raw REPL for the friendly one (Ctrl-B). Does not wait for the banner. */
MPH_NODISCARD mph_status mph_repl_leave(mph_repl *r, mph_error *err);

/** The full text of the last exception raised on the board ("" when none). Borrowed. */
const char *mph_repl_traceback(const mph_repl *r);
/** Raw-paste mode: 1 used, 0 not available, -1 not tried yet. */
int mph_repl_raw_paste(const mph_repl *r);
/** Bytes of line noise skipped where the protocol expected its own bytes. */
uint64_t mph_repl_noise(const mph_repl *r);
/** True when the board printed "soft reboot" since the client was made (its heap was reset). */
bool mph_repl_saw_soft_reboot(const mph_repl *r);
/**
 * True when the last mph_repl_enter stopped a running program: the board's
 * answer to Ctrl-C held a KeyboardInterrupt. False for an idle board (and for
 * a program that caught the interrupt without a word).
 */
bool mph_repl_stopped_program(const mph_repl *r);

/* ========================================================================
 * Analyses: stats report, diff, timeline and leak suspects, health checks,
 * and their text, JSON and CSV renderers. Each renderer reads the same
 * computed struct, so text and JSON never disagree.
 * ====================================================================== */

/* ---------------------------------------------------------- stats report */

#define MPH_FIT_MAX 16 /* sizes one report can answer "how many still fit" for */

/** The figures of one part of a snapshot: one area, or all of them. */
typedef struct mph_stats_part {
    mph_stats stats; /* exactly what mph_stats_compute gives for this part */
    uint64_t alloc_histogram_blocks[MPH_HISTOGRAM_BUCKETS]; /* blocks held by bucket k's allocations */
    uint64_t free_histogram_blocks[MPH_HISTOGRAM_BUCKETS];  /* blocks in bucket k's free runs */
    uint64_t fit_count[MPH_FIT_MAX]; /* buffers of fit_bytes[i] that fit in this part's free runs */
} mph_stats_part;

/** Everything `mpheap stats` shows. Borrows its snapshot (which must outlive it). */
typedef struct mph_stats_report {
    const mph_snapshot *snapshot;
    unsigned block_size;                 /* 0 when unknown: bytes and fits are then 0 */
    size_t n_fit;
    uint64_t fit_bytes[MPH_FIT_MAX];     /* the sizes asked for, in the caller's order */
    uint64_t fit_blocks[MPH_FIT_MAX];    /* blocks one such buffer needs (bytes rounded up) */
    mph_stats_part total;
    size_t n_areas;
    mph_stats_part *areas;               /* n_areas parts, in the snapshot's area order */
} mph_stats_report;

/**
 * Compute the report of s: totals, each area, histograms and, for each of the
 * n_fit (<= MPH_FIT_MAX) sizes in fit_bytes, how many buffers still fit.
 * Linear in the number of blocks, one walk over the runs of each area, no allocation per block.
 * Returns MPH_OK and *out (free with mph_stats_report_free), MPH_ERR_ARG or
 * MPH_ERR_NOMEM. The report borrows s.
 */
MPH_NODISCARD mph_status mph_stats_report_new(const mph_snapshot *s, const uint64_t *fit_bytes,
                                              size_t n_fit, mph_stats_report **out,
                                              mph_error *err);
void mph_stats_report_free(mph_stats_report *r);

/** The smallest and largest size in blocks of histogram bucket k: 2^k and 2^(k+1) - 1. */
uint64_t mph_histogram_bucket_min(unsigned k);
uint64_t mph_histogram_bucket_max(unsigned k);

/* ------------------------------------------------------------------ diff */

/** What happened to one block between two snapshots. */
typedef enum mph_diff_class {
    MPH_DIFF_FREE,      /* free in both */
    MPH_DIFF_KEPT,      /* inside the same allocation (offset, size, type) in both */
    MPH_DIFF_FREED,     /* used in OLD, free in NEW */
    MPH_DIFF_ALLOCATED, /* free in OLD, used in NEW */
    MPH_DIFF_REUSED,    /* used in both, but by different allocations */
    MPH_DIFF_CLASS_COUNT
} mph_diff_class;

/** "free", "kept", "freed", "allocated", "reused". */
const char *mph_diff_class_name(mph_diff_class c);

/** How the areas of the two snapshots were paired. */
typedef enum mph_diff_alignment {
    MPH_ALIGN_ADDRESS, /* by equal base address, then by block offset */
    MPH_ALIGN_ORDER,   /* no base address in common (two runs, or unknown): by order, then offset */
    MPH_ALIGN_NONE     /* cannot be aligned (the block sizes differ): only per-type totals */
} mph_diff_alignment;

/** One area of OLD paired with one of NEW (or with nothing). */
typedef struct mph_area_pair {
    long old_area, new_area;  /* area index on each side; -1 when that side has no such area */
    size_t n_blocks;          /* blocks of the longer side */
    size_t common_blocks;     /* blocks present on both sides */
    uint64_t blocks[MPH_DIFF_CLASS_COUNT];
    const unsigned char *classes; /* n_blocks mph_diff_class values, owned by the diff */
} mph_area_pair;

/** Allocations of one type (or of all): matched by offset, size and type. */
typedef struct mph_diff_type {
    uint64_t kept, kept_blocks;
    uint64_t new_count, new_blocks;   /* in NEW only */
    uint64_t gone_count, gone_blocks; /* in OLD only */
    uint64_t old_count, old_blocks, new_total_count, new_total_blocks; /* each side's totals */
} mph_diff_type;

/** One side's free memory, as its mph_stats give it: for the before/after headline. */
typedef struct mph_diff_side {
    unsigned block_size;           /* 0 when unknown */
    uint64_t free_blocks;
    uint64_t largest_free_blocks;  /* 0 when nothing is free */
    size_t largest_free_area, largest_free_block; /* where it starts (the first of the longest) */
    uint64_t largest_free_address; /* 0 when unknown */
    double fragmentation;          /* 1 - largest free / free (0 when nothing is free) */
} mph_diff_side;

typedef struct mph_diff_summary {
    mph_diff_alignment alignment;
    unsigned old_block_size, new_block_size;
    uint64_t blocks[MPH_DIFF_CLASS_COUNT]; /* over every area pair */
    mph_diff_type by_type[MPH_TYPE_COUNT];
    mph_diff_type total;
    mph_diff_side before, after; /* OLD's and NEW's free memory */
} mph_diff_summary;

typedef struct mph_diff mph_diff;

/**
 * Compare two snapshots block by block, areas aligned by base address (or by
 * order when no base is shared) and blocks by offset, never by text position.
 * An allocation is kept when NEW has one at the same offset of the paired
 * area with the same size and type; otherwise it is gone (OLD) or new (NEW).
 * Linear in the blocks; one class byte per block. It uses OLD's mph_stats
 * (computed here unless asked for before) and NEW's figures from reading:
 * NEW's totals per type follow from OLD's, the gone and the new (with
 * MPH_ALIGN_NONE it computes NEW's mph_stats too). The diff borrows both
 * snapshots: they must outlive it. Free with mph_diff_free.
 * Returns MPH_OK, MPH_ERR_ARG or MPH_ERR_NOMEM. Block sizes that differ are
 * not an error: the diff then has alignment MPH_ALIGN_NONE, no pairs and no
 * lists, and a note says why.
 */
MPH_NODISCARD mph_status mph_diff_compute(const mph_snapshot *old_s, const mph_snapshot *new_s,
                                          mph_diff **out, mph_error *err);
void mph_diff_free(mph_diff *d);

const mph_snapshot *mph_diff_old_snapshot(const mph_diff *d);
const mph_snapshot *mph_diff_new_snapshot(const mph_diff *d);
const mph_diff_summary *mph_diff_get_summary(const mph_diff *d);
/** Area pairs, in address order of the areas (NEW's, else OLD's). */
size_t mph_diff_pair_count(const mph_diff *d);
const mph_area_pair *mph_diff_pair_at(const mph_diff *d, size_t i);
/** Allocations in NEW only, in NEW's order; .area indexes NEW's areas. */
size_t mph_diff_new_count(const mph_diff *d);
const mph_alloc *mph_diff_new_at(const mph_diff *d, size_t i);
/** Allocations in OLD only, in OLD's order; .area indexes OLD's areas. */
size_t mph_diff_gone_count(const mph_diff *d);
const mph_alloc *mph_diff_gone_at(const mph_diff *d, size_t i);

/** How many of each list's largest allocations the diff finds while it compares. */
#define MPH_DIFF_RANKED 100

/**
 * The k largest allocations of the news (gone false) or of the gones (true),
 * largest first, equal sizes in list order (address order): their indexes
 * for mph_diff_new_at / mph_diff_gone_at, written to idx[0 .. *n_out) (caller
 * storage for k; *n_out = min(k, the list's count)). The lists themselves stay
 * in address order. Up to MPH_DIFF_RANKED this only copies what the diff
 * ranked while comparing; more writes and sorts the whole list (n log n, 16
 * bytes per entry while sorting). MPH_OK, MPH_ERR_ARG or MPH_ERR_NOMEM.
 */
MPH_NODISCARD mph_status mph_diff_largest(const mph_diff *d, bool gone, size_t k, size_t *idx,
                                          size_t *n_out, mph_error *err);

/**
 * OLD's largest free run (the first of the longest, as mph_stats gives it)
 * and what NEW put in it: the allocations that now split it. Every NEW
 * allocation that reaches into a run free in OLD is new, so they are one
 * stretch of the news list, in address order.
 */
typedef struct mph_diff_split {
    bool aligned;          /* false: the blocks cannot be aligned (MPH_ALIGN_NONE); nothing else is set */
    bool has_run;          /* false: OLD has no free block */
    size_t old_area, block; /* the run: OLD's area, first block */
    size_t n_blocks;
    uint64_t address;      /* in OLD; 0 when unknown */
    long new_area;         /* NEW's area paired with it; -1 when NEW has none */
    size_t common_blocks;  /* blocks of the run that NEW's area has (fewer when it is shorter) */
    uint64_t used_blocks;  /* of those, the blocks NEW uses */
    size_t first, count;   /* the news inside: mph_diff_new_at(first .. first + count - 1) */
} mph_diff_split;

/** The split, worked out on first request (a first request must not race another). Borrowed. */
const mph_diff_split *mph_diff_get_split(const mph_diff *d);
/** Sentences on how the areas were aligned, or why they cannot be. Borrowed. */
size_t mph_diff_note_count(const mph_diff *d);
const char *mph_diff_note_at(const mph_diff *d, size_t i);

/* -------------------------------------------------------------- timeline */

/**
 * One snapshot of a timeline. A row with a whole map knows every figure.
 * A row with from_header has none (mem_info() without an argument prints
 * only the header) or only part of one (a paste cut short): its used, free,
 * largest free and fragmentation are the header's figures for the whole
 * heap, and its allocation count, per-type figures and histograms are
 * unknown (0 in stats). The has_ flags say which of the header's figures
 * are known: the GC line gives bytes, blocks need the block size too (a
 * dump with no map may not tell it: --block-size), max free sz gives the
 * largest free run in blocks.
 */
typedef struct mph_timeline_row {
    const char *label; /* the snapshot's label, else the caller's name; owned by the timeline */
    const char *time;  /* NULL when none */
    mph_stats stats;   /* mph_stats_compute over all areas; with from_header the header's figures */
    bool from_header;  /* no whole map: figures from the header; left out of the leak analysis */
    bool map_partial;  /* from_header because the map is cut short (else there is none) */
    bool has_blocks;   /* stats' total, used and free blocks are known */
    bool has_bytes;    /* total_bytes, used_bytes and free_bytes are known */
    bool has_largest;  /* stats.largest_free_blocks is known (bytes too when stats.block_size) */
    bool has_fragmentation;
    uint64_t total_bytes, used_bytes, free_bytes; /* the header's GC line, or blocks x block size */
} mph_timeline_row;

/** Rises a growing type needs, at the least (so its growth spans at least 3 snapshots). */
#define MPH_LEAK_MIN_STEPS_UP 2

/**
 * A type whose allocations grow steadily, in count or in blocks: they rose
 * in at least half of the steps between consecutive snapshots with a whole
 * map (mph_timeline_leak_steps) and in at
 * least MPH_LEAK_MIN_STEPS_UP of them, and end higher than they started.
 * A single rise (0 -> 1 tuple) is not listed.
 */
typedef struct mph_leak_type {
    mph_type type;
    uint64_t first_count, last_count, first_blocks, last_blocks;
    bool count_grows, blocks_grow; /* which of the two grows steadily (at least one does) */
    unsigned count_steps_up, block_steps_up; /* steps (of rows - 1) where it rose */
} mph_leak_type;

/**
 * One allocation that keeps growing: followed from snapshot to snapshot while
 * it stays (same offset, size, type), grows in place (same offset and type,
 * more blocks), or moves while growing (the largest allocation of its type
 * that went away, replaced by a larger new one of the same type: what
 * MicroPython's realloc does to a list or bytearray that outgrows its room).
 * The move rule is a heuristic; the text and the schema say so.
 */
typedef struct mph_leak_alloc {
    mph_alloc now;          /* where it is in the last snapshot with a whole map */
    size_t since;           /* row where it was first seen */
    size_t n_history;       /* entries of blocks */
    const uint64_t *blocks; /* its size in blocks at each row with a whole map from since on;
                               owned by the timeline */
    unsigned grew, moved;   /* steps where it grew; how many of those moved it */
} mph_leak_alloc;

/** An allocation first seen in row `since` (not the first row with a whole map) and present in
 *  every row with a whole map from there to the last. */
typedef struct mph_leak_survivor {
    mph_alloc alloc; /* in the last snapshot */
    size_t since;
} mph_leak_survivor;

/** The survivors that appeared in one row. */
typedef struct mph_leak_group {
    size_t since;
    uint64_t count, blocks;
    uint64_t type_count[MPH_TYPE_COUNT], type_blocks[MPH_TYPE_COUNT];
} mph_leak_group;

typedef struct mph_timeline mph_timeline;

/**
 * The timeline of n snapshots in order, with leak suspects. names[i] (or
 * NULL; names may be NULL) labels a snapshot that has no label of its own.
 * The leak analysis reads the rows with a whole map only (rows from_header
 * are left out, and a note says which and why): consecutive ones are
 * compared as mph_diff_compute compares them; survivors need three of them, growing
 * allocations at least two growth steps, growing types sustained growth
 * (mph_leak_type). The
 * timeline copies what it keeps: the snapshots may be freed afterwards.
 * Returns MPH_OK and *out (free with mph_timeline_free), MPH_ERR_ARG
 * (n == 0, or a snapshot whose map was not kept: see mph_timeline_builder)
 * or MPH_ERR_NOMEM.
 */
MPH_NODISCARD mph_status mph_timeline_compute(const mph_snapshot *const *snapshots,
                                              const char *const *names, size_t n,
                                              mph_timeline **out, mph_error *err);
void mph_timeline_free(mph_timeline *t);

/**
 * A timeline made one snapshot at a time, for logs read as a stream
 * (mph_parser_on_snapshot with MPH_KEEP_NONE): of the last whole map it keeps
 * only its list of allocations and its areas' places (the next is compared
 * with that list, as mph_diff_compute would compare the maps), and each
 * row's figures: no cells, so the stream's memory is the map being read, not
 * the sum of the maps nor a second one. mph_timeline_compute is this over an
 * array, and gives the same timeline. Free with mph_timeline_builder_free
 * (NULL is fine); NULL when out of memory.
 */
typedef struct mph_timeline_builder mph_timeline_builder;
mph_timeline_builder *mph_timeline_builder_new(void);

/**
 * The next row: s, with its map at hand (a snapshot whose map was not kept,
 * mph_snapshot_has_map false with areas, is MPH_ERR_ARG). The builder copies
 * what it keeps: s may go or lose its cells afterwards. MPH_OK,
 * MPH_ERR_ARG or MPH_ERR_NOMEM; after an error, only _free.
 */
MPH_NODISCARD mph_status mph_timeline_builder_add(mph_timeline_builder *b, const mph_snapshot *s,
                                                  mph_error *err);

/** Rows added so far. */
size_t mph_timeline_builder_row_count(const mph_timeline_builder *b);

/**
 * The timeline of the rows added (*out, to free with mph_timeline_free).
 * names, NULL or one per row added (each may be NULL), labels a row whose
 * snapshot has none, as in mph_timeline_compute: given here, as a caller's
 * names may depend on how many snapshots a log turned out to have. MPH_OK,
 * MPH_ERR_ARG (no row, or after an error) or MPH_ERR_NOMEM. The builder is
 * spent afterwards; free it.
 */
MPH_NODISCARD mph_status mph_timeline_builder_finish(mph_timeline_builder *b,
                                                     const char *const *names,
                                                     mph_timeline **out, mph_error *err);
void mph_timeline_builder_free(mph_timeline_builder *b);

/** Of the last row with a whole map (the suspects'), else of the last row; 0 when unknown. */
unsigned mph_timeline_block_size(const mph_timeline *t);
size_t mph_timeline_row_count(const mph_timeline *t);
const mph_timeline_row *mph_timeline_row_at(const mph_timeline *t, size_t i);
/** Steps the leak analysis compared: rows with a whole map, less one (0 when fewer than two). */
size_t mph_timeline_leak_steps(const mph_timeline *t);
/** Growing types, most grown bytes first. */
size_t mph_timeline_leak_type_count(const mph_timeline *t);
const mph_leak_type *mph_timeline_leak_type_at(const mph_timeline *t, size_t i);
/** Growing allocations, largest now first: the most specific suspects. */
size_t mph_timeline_leak_alloc_count(const mph_timeline *t);
const mph_leak_alloc *mph_timeline_leak_alloc_at(const mph_timeline *t, size_t i);
/** Survivors, by row of first appearance, then address order. */
size_t mph_timeline_survivor_count(const mph_timeline *t);
const mph_leak_survivor *mph_timeline_survivor_at(const mph_timeline *t, size_t i);
size_t mph_timeline_group_count(const mph_timeline *t);
const mph_leak_group *mph_timeline_group_at(const mph_timeline *t, size_t i);
/** Sentences about pairs of rows that could not be aligned, and the rows left out of the leak
 *  analysis. Borrowed. */
size_t mph_timeline_note_count(const mph_timeline *t);
const char *mph_timeline_note_at(const mph_timeline *t, size_t i);

/* ---------------------------------------------------------------- checks */

typedef enum mph_check_kind {
    MPH_CHECK_MIN_LARGEST_FREE,  /* bytes: the largest free run */
    MPH_CHECK_MAX_FRAGMENTATION, /* fraction */
    MPH_CHECK_MAX_USED,          /* bytes */
    MPH_CHECK_MAX_USED_FRACTION, /* fraction of the heap */
    MPH_CHECK_MIN_FREE,          /* bytes */
    MPH_CHECK_MAX_ALLOCS,        /* allocations of any type */
    MPH_CHECK_MAX_ALLOCS_OF,     /* allocations of .type */
    MPH_CHECK_MIN_FIT,           /* at least .value buffers of .size bytes still fit */
    MPH_CHECK_NEED               /* one allocation of .size bytes succeeds (mph_verdict's rule) */
} mph_check_kind;

typedef struct mph_check_limit {
    mph_check_kind kind;
    uint64_t value;  /* bytes or a count */
    double fraction; /* the _FRACTION and FRAGMENTATION kinds */
    mph_type type;   /* MAX_ALLOCS_OF */
    uint64_t size;   /* MIN_FIT: bytes of one buffer; NEED: bytes of the allocation */
    bool growth;     /* MIN_LARGEST_FREE, NEED: a heap that can grow (max new split) passes
                        when a new area could hold it */
} mph_check_limit;

typedef struct mph_check_result {
    mph_check_limit limit;
    bool ok;
    uint64_t measured;          /* bytes or a count */
    double measured_fraction;   /* the fraction kinds */
    bool by_growth;             /* it holds only because the heap can grow */
    bool from_header;           /* measured from the header's figures (no map, or a partial one) */
    mph_outcome outcome;        /* NEED: the verdict's outcome */
} mph_check_result;

/**
 * Evaluate n limits on s into results[0..n-1] (caller storage) and the
 * number broken into *n_failed. Byte limits need the block size:
 * MPH_ERR_ARG when it is unknown; also MPH_ERR_NOMEM. Borrows s.
 */
MPH_NODISCARD mph_status mph_check_run(const mph_snapshot *s, const mph_check_limit *limits,
                                       size_t n, mph_check_result *results, size_t *n_failed,
                                       mph_error *err);

/* ------------------------------------------- text, JSON and CSV reports */

/** Options of the text renderers; zero-initialised is a sensible default. */
typedef struct mph_text_options {
    const char *name;                /* the input's name (stats, check) */
    const char *old_name, *new_name; /* diff: where each side came from */
    size_t max_list;                 /* allocations listed per list; 0 = all */
    bool ascii;                      /* timeline charts in ASCII, not block characters */
    bool verbose;                    /* check: also the limits that hold */
    const struct mph_verdict *verdict; /* stats: a verdict to add (NULL: none) */
} mph_text_options;

/** The verdict (mph_verdict_new) as text lines; nothing when it has no size. */
MPH_NODISCARD mph_status mph_render_text_verdict(const struct mph_verdict *v,
                                                 const mph_text_options *o, mph_sink *sink,
                                                 mph_error *err);
/** The stats report as text; a dump with no whole map gets the header's figures
 * (as the summary gives them) and a line saying what needs the map. */
MPH_NODISCARD mph_status mph_render_text_stats(const mph_stats_report *r, const mph_text_options *o,
                                               mph_sink *sink, mph_error *err);
/** The diff: largest free run and fragmentation OLD -> NEW, block and type counts, the news
 *  inside OLD's largest free run, then the news and gones largest first (o->max_list each). */
MPH_NODISCARD mph_status mph_render_text_diff(const mph_diff *d, const mph_text_options *o,
                                              mph_sink *sink, mph_error *err);
MPH_NODISCARD mph_status mph_render_text_timeline(const mph_timeline *t, const mph_text_options *o,
                                                  mph_sink *sink, mph_error *err);
MPH_NODISCARD mph_status mph_render_text_check(const mph_check_result *results, size_t n,
                                               const mph_text_options *o, mph_sink *sink,
                                               mph_error *err);

/**
 * JSON documents, one per call, to the schemas of docs/json-schema.md: every
 * document starts with "schema": "mpheap/<kind>/<version>". Addresses are
 * strings ("0x30000"), sizes integers, fractions numbers in [0, 1]. The
 * names in o are written as given (NULL: null).
 */
#define MPH_JSON_STATS_SCHEMA "mpheap/stats/2"
#define MPH_JSON_DIFF_SCHEMA "mpheap/diff/2"         /* 2: lists largest first; largest free, split */
#define MPH_JSON_TIMELINE_SCHEMA "mpheap/timeline/3" /* 3: rows from the header, with nulls */
#define MPH_JSON_CHECK_SCHEMA "mpheap/check/1"

#define MPH_JSON_VERDICT_SCHEMA "mpheap/verdict/1"
/** The verdict alone; the stats document embeds the same object as "verdict" when o->verdict is set. */
MPH_NODISCARD mph_status mph_render_json_verdict(const struct mph_verdict *v,
                                                 const mph_text_options *o, mph_sink *sink,
                                                 mph_error *err);
MPH_NODISCARD mph_status mph_render_json_stats(const mph_stats_report *r, const mph_text_options *o,
                                               mph_sink *sink, mph_error *err);
MPH_NODISCARD mph_status mph_render_json_diff(const mph_diff *d, const mph_text_options *o,
                                              mph_sink *sink, mph_error *err);
MPH_NODISCARD mph_status mph_render_json_timeline(const mph_timeline *t, const mph_text_options *o,
                                                  mph_sink *sink, mph_error *err);
MPH_NODISCARD mph_status mph_render_json_check(const mph_check_result *results, size_t n,
                                               const mph_text_options *o, mph_sink *sink,
                                               mph_error *err);

/** The timeline as CSV (RFC 4180): a header line, then one line per row. */
MPH_NODISCARD mph_status mph_render_csv_timeline(const mph_timeline *t, mph_sink *sink,
                                                 mph_error *err);

/* ------------------------------------------- diff and timeline pictures */

/**
 * The diff map as an SVG or PNG: the terminal diff map's layout (one section
 * per area pair with its title, rows of o->columns groups of 64 blocks, an
 * address gutter with NEW's addresses, else OLD's), each block in its class's
 * colour: the palette's MPH_ROLE_DIFF_* role (its background, or its
 * foreground when it has only that; mono: greys). Above the map: a title with
 * the snapshots' labels, a summary (largest free run and fragmentation OLD ->
 * NEW, blocks by class, allocations kept, new and gone, the alignment notes)
 * and the legend. The SVG draws free-in-both as one rect under each section
 * and every other run of one class in a row as a rect; every text from the
 * input is escaped. The PNG follows mph_render_png's layout and font exactly,
 * with the pairs as its areas. o->scale must be 1 and o->verdict is ignored.
 * Snapshots that cannot be aligned give the text and no map. MPH_ERR_ARG on
 * bad options, MPH_ERR_LIMIT when a PNG side would pass 1,000,000 pixels,
 * MPH_ERR_NOMEM, or the sink's status. Borrows d.
 */
MPH_NODISCARD mph_status mph_render_diff_svg(const mph_diff *d, const mph_picture_options *o,
                                             mph_sink *sink, mph_error *err);
MPH_NODISCARD mph_status mph_render_diff_png(const mph_diff *d, const mph_picture_options *o,
                                             mph_sink *sink, mph_error *err);
/** The diff PNG's size (0 x 0 with bad options). */
void mph_picture_diff_png_size(const mph_diff *d, const mph_picture_options *o, uint64_t *width,
                               uint64_t *height);
/** The top-left pixel of the first cell of area pair `pair` in the diff PNG; false when there
 *  is no such pair or the options are bad. */
bool mph_picture_diff_png_cell_origin(const mph_diff *d, const mph_picture_options *o,
                                      size_t pair, uint64_t *x, uint64_t *y);

/**
 * The timeline as a chart, SVG or PNG: used, free and the largest free run
 * per snapshot on the left axis (bytes; blocks when no row knows bytes; from
 * 0 to the largest heap), fragmentation on the right axis (0-100%, dashed),
 * one point per snapshot evenly across, a series broken where a row does not
 * know its value; a grid at quarters, tick labels, snapshot numbers below,
 * a title and a legend. Colours: Okabe and Ito's (told apart with every colour
 * vision); o->palette MPH_PALETTE_MONO gives greys. The size is fixed: 716 x
 * 326 pixels times the text scale t = min(4, max(1, o->pixels / 4)) (the SVG
 * at t = 1). In the SVG each point is a circle with data-row, data-value and
 * a tooltip with the snapshot's label (escaped). o->columns, o->scale and
 * o->verdict are ignored. MPH_ERR_ARG on bad options, MPH_ERR_NOMEM, or the
 * sink's status. Borrows t.
 */
MPH_NODISCARD mph_status mph_render_timeline_svg(const mph_timeline *t,
                                                 const mph_picture_options *o, mph_sink *sink,
                                                 mph_error *err);
MPH_NODISCARD mph_status mph_render_timeline_png(const mph_timeline *t,
                                                 const mph_picture_options *o, mph_sink *sink,
                                                 mph_error *err);
/** The timeline PNG's size (0 x 0 with bad options). */
void mph_picture_timeline_png_size(const mph_timeline *t, const mph_picture_options *o,
                                   uint64_t *width, uint64_t *height);

/* ------------------------------------------------------- diff map (ANSI) */

typedef struct mph_diff_map_options {
    unsigned columns;   /* groups of 64 cells per printed line; >= 1 */
    bool color;         /* ANSI colours from the palette's diff roles */
    bool changed_only;  /* print only lines with a change ("(N lines unchanged)" between) */
    bool collapse_free; /* print runs of lines free in both as "(N lines all free)" */
    mph_color_depth depth; /* how the safe palette's exact colours are written */
    unsigned width;         /* the legend fits in this many columns (at least 40); 0: one line */
} mph_diff_map_options;

/**
 * The glyphs of the diff map and their meaning. With colour, a cell shows
 * its letter (NEW's, or OLD's for a freed block) in its class's colours;
 * without, kept and free cells show their letter and the others a class
 * glyph ('+' allocated, '-' freed, '~' reused).
 */
MPH_NODISCARD mph_status mph_render_ansi_diff_legend(const mph_diff *d,
                                                     const mph_diff_map_options *o,
                                                     mph_sink *sink, mph_error *err);
/** The aligned map, one section per area pair, with an address gutter (NEW's addresses). */
MPH_NODISCARD mph_status mph_render_ansi_diff_map(const mph_diff *d, const mph_diff_map_options *o,
                                                  mph_sink *sink, mph_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MPHEAP_H */
