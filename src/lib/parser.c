/* The dump parser: one pass over the text, fed in chunks, a line at a time.
 *
 * Grammar and eras: meminfo-format.md (from MicroPython's py/gc.c). The parser
 * keys on the dump's own words ("GC memory layout; from", "GC: total:", rows
 * "HEX: CELLS", "(N lines all free)") wherever they sit in a line, so that
 * prefixes, prompts and log lines around a dump do not matter; everything
 * else is counted as skipped. Damage inside a map is an error; figures that
 * disagree with the map are warnings (errors with strict).
 *
 * Memory: the cells (a byte per block), the areas of the snapshot being read,
 * one line (at most MAX_LINE) and a few hundred bytes; nothing grows with the
 * length of the text except the snapshots it holds and (capped) notes. */
#define _GNU_SOURCE /* memmem */
#include "figures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CELLS_PER_ROW 64
#define MAX_LINE (1u << 20)                      /* longer lines are cut (with a warning) */
#define MAX_BLOCKS (UINT64_C(1) << 28)           /* 4-8 GiB heaps: 256 MiB of cells */
#define MAX_BLOCKS_NO_TOTAL (UINT64_C(1) << 26)  /* when no "GC: total:" bounds the map */
#define MAX_AREAS 4096
#define MAX_NOTES 1000
#define MAX_WARNINGS 1000
#define MAX_DAMAGED 1000
#define LABEL_MAX 200
#define STAMP_MAX 64
/* Candidate block sizes as a bit set: bit k = 2^k bytes, 4 to 4096. */
#define BPB_LOG2_MIN 2
#define BPB_LOG2_MAX 12
#define BPB_ALL (((1u << (BPB_LOG2_MAX + 1)) - 1) & ~((1u << BPB_LOG2_MIN) - 1))

typedef enum context { CTX_NONE, CTX_HEADER, CTX_MAP } context;

/* Header lines in the order MicroPython prints them. */
enum { FIELD_MEM = 1, FIELD_STACK, FIELD_GC, FIELD_BLOCKS };

typedef struct area_build {
    uint64_t base;
    bool has_base;
    size_t first_block;
    unsigned long line;
    unsigned long base_col; /* where the base address is printed */
    bool has_row;          /* first row seen: its offset fixes the area's origin */
    uint64_t first_value;
    size_t first_index;    /* block index of the first row, within the area */
    unsigned long first_line, first_col;
    bool checked_origin;
    bool short_row;        /* a row shorter than 64 cells: only the last may be */
    unsigned long short_line, short_col;
    size_t short_len;
    bool last_abbrev;
    bool first_tail;       /* its first cell is a tail: a skimmed map has no cells to look at */
    mph__figures figures;  /* counted as the cells are copied */
    /* A skimmed map's allocations, for old_block_figures (which counts again
     * from the cells of a kept one): the longest tail run of those before the
     * current one, whether a used cell comes before it, and its tails so far.
     * Fed by the general path only: the rows of the eras it serves (no "%08x")
     * never take the fast one. */
    uint64_t done_tails, cur_tails;
    bool done_used, cur_alloc;
} area_build;

#define MAX_HEADERS_ONLY 1000

struct mph_parser {
    mph_parse_options opts;
    mph_log *log;
    bool failed, finished;

    char *carry;           /* a line split across chunks (at most MAX_LINE bytes kept) */
    size_t carry_len, carry_cap;
    bool carry_overlong;
    uint64_t consumed;     /* bytes fed before the current chunk */
    uint64_t line_start;   /* byte offset of the line being read */
    unsigned long line_no;
    uint64_t offset;       /* of the line being handled */

    mph_snapshot *cur;
    context ctx;
    int last_field;
    area_build *areas;
    size_t n_areas, cap_areas;
    size_t cap_cells;      /* cells the current map may fill: allocated, their pages mapped */
    size_t alloc_cells;    /* allocated (at least cap_cells): room to grow without moving */
    size_t cap_stretches;  /* of the current snapshot's stretches */
    uint64_t max_blocks;
    int digits;            /* of the snapshot's row offsets */
    unsigned bpb;          /* block size from row steps, 0 until known */
    unsigned bpb_mask;     /* block sizes the row steps still allow */
    bool saw_t;            /* 't' tails: before v1.8.1 */
    mph__rows_scan *rows_scan; /* the hot loop, for this CPU */
    unsigned long interrupted_line; /* first line inside the map that is not part of it */
    unsigned long interrupted_count;

    mph_snapshot **headers_only; /* dumps with no map: the log's snapshots if no dump has one */
    size_t n_headers_only, cap_headers_only;
    size_t n_headers_only_seen;
    uint64_t gap_failed_bytes;      /* a MemoryError's size since the last dump, 0 if none */
    unsigned long gap_failed_line;
    unsigned long prev_line;        /* the line prev_text came from */
    char prev_text[LABEL_MAX + 1]; /* the last non-blank line outside a dump: a label candidate */
    size_t prev_len;
    bool prev_adjacent;
    char stamp[STAMP_MAX + 1];     /* a "time:" line between the marker and the dump */
    size_t stamp_len;
    unsigned long pending_line; /* a bare "ADDRESS:" line: an area header that lost its text */
    unsigned long pending_col;
    uint64_t pending_base;
    unsigned long layout_col; /* of the address in the last "GC memory layout; from" line */
    unsigned long headers_only_line; /* a snapshot dropped for having no map */
    size_t n_notes;
    size_t n_warnings, n_warnings_dropped;
    /* A damaged dump is its own error (unless strict): its lines are skipped
     * up to the next dump, and the parse goes on. */
    bool skipping;
    int skip_field;              /* header fields after it still belong to the damaged dump */
    bool close_failed;           /* close_snapshot failed while reading this line: */
    unsigned long failed_first;  /* ... the first line of the dump it closed */
    char *failed_label;          /* ... and its label (owned) */
    size_t n_damaged_seen;
    /* Which maps are kept (mph_parser_keep_maps); the others' cells go back to
     * scratch, for the next dump to reuse: memory is a few snapshots', not the log's. */
    long keep_maps;
    char *scratch;
    size_t scratch_cap;
    /* mph_parser_skim_maps: a map not kept is read and checked with no cells
     * at all (skim_cur: the dump being read is such a one). */
    bool skim, skim_cur;
    /* mph_parser_limit_maps: the kept maps and the one being read, together, in cells. */
    uint64_t max_map_blocks;
    mph__rows_scan *rows_skim; /* rows_scan's twin for a skimmed map */
    mph_snapshot_fn on_snapshot; /* sees each map before it may be dropped */
    void *on_snapshot_ctx;
};

static mph_status close_snapshot(mph_parser *p, mph_error *err);

/* ------------------------------------------------------------ diagnostics */

MPH_PRINTF(6, 7)
static mph_status diag(mph_parser *p, mph_error *err, mph_diag_level level, unsigned long line,
                       unsigned long col, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (level == MPH_DIAG_WARNING && p->opts.strict) {
        mph__error_vset(err, MPH_ERR_INVARIANT, line, col, fmt, ap);
        va_end(ap);
        return MPH_ERR_INVARIANT;
    }
    char msg[400];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (level == MPH_DIAG_NOTE) {
        // Notes (skipped lines) could grow with the text: keep the first ones.
        if (p->n_notes > MAX_NOTES)
            return MPH_OK;
        if (p->n_notes++ == MAX_NOTES)
            snprintf(msg, sizeof msg, "more than %d notes: the rest are left out", MAX_NOTES);
    } else if (p->n_warnings++ >= MAX_WARNINGS) {
        p->n_warnings_dropped++; // counted, and said at the end
        return MPH_OK;
    }
    mph_log *log = p->log;
    if (log->n_diags == log->cap_diags) {
        size_t cap = log->cap_diags ? log->cap_diags * 2 : 16;
        mph_diagnostic *d = realloc(log->diags, cap * sizeof *d);
        if (!d)
            goto nomem;
        log->diags = d;
        log->cap_diags = cap;
    }
    char *copy = mph__strndup(msg, strlen(msg));
    if (!copy)
        goto nomem;
    log->diags[log->n_diags++] = (mph_diagnostic){
        level, line, col, p->cur ? (long)log->n_snapshots : -1, copy};
    return MPH_OK;
nomem:
    mph__error_set(err, MPH_ERR_NOMEM, line, col, "out of memory");
    return MPH_ERR_NOMEM;
}

MPH_PRINTF(5, 6)
static mph_status fail(mph_error *err, mph_status code, unsigned long line, unsigned long col,
                       const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    mph__error_vset(err, code, line, col, fmt, ap);
    va_end(ap);
    return code;
}

/* ------------------------------------------------------------ small scans */

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_word_char(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* A decimal number at *pos: 1 read, 0 no digit, -1 too large for 64 bits. */
static int read_uint(const char *s, size_t len, size_t *pos, uint64_t *out) {
    size_t i = *pos;
    uint64_t v = 0;
    if (i >= len || s[i] < '0' || s[i] > '9')
        return 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        i++;
    }
    *pos = i;
    *out = v;
    return 1;
}

static bool expect(const char *s, size_t len, size_t *pos, const char *lit) {
    size_t n = strlen(lit);
    if (*pos + n > len || memcmp(s + *pos, lit, n) != 0)
        return false;
    *pos += n;
    return true;
}

static const char *find(const char *s, size_t len, const char *lit) {
    return memmem(s, len, lit, strlen(lit));
}

/* Every byte a map character ('t' is the tail of old eras)? */
static bool cells_valid(const char *c, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (mph__cell_class[(unsigned char)c[i]] == CELL_INVALID && c[i] != 't')
            return false;
    return true;
}

/* ------------------------------------------------------------ line shapes */

typedef struct row {
    size_t hex_at, digits;
    uint64_t value;
    const char *cells;
    size_t n_cells;
    size_t cells_at;
} row;

/*
 * "HEX: CELLS" with 4, 5 or 8 hex digits, anywhere after a prefix that ends in
 * a non-word character. The cells are not checked here, only that they are
 * one word: the caller reports bad cells at their column.
 */
static bool match_row(const char *s, size_t len, row *r) {
    const char *colon;
    size_t from = 0;
    // Fast path: an unprefixed v1.20+ row.
    if (len > 10 && s[8] == ':' && s[9] == ' ')
        colon = s + 8;
    else
        colon = NULL;
    for (;;) {
        if (!colon) {
            colon = from < len ? memchr(s + from, ':', len - from) : NULL;
            if (!colon)
                return false;
        }
        size_t c = (size_t)(colon - s);
        from = c + 1;
        colon = NULL;
        if (c + 2 >= len || s[c + 1] != ' ')
            continue;
        size_t start = c;
        while (start > 0 && c - start < 9 && hexval((unsigned char)s[start - 1]) >= 0)
            start--;
        size_t digits = c - start;
        if ((digits != 4 && digits != 5 && digits != 8) ||
            (start > 0 && is_word_char((unsigned char)s[start - 1])))
            continue;
        const char *cells = s + c + 2;
        size_t n = len - c - 2;
        if (memchr(cells, ' ', n) || memchr(cells, '\t', n))
            continue;
        uint64_t v = 0;
        for (size_t i = start; i < c; i++)
            v = v << 4 | (uint64_t)hexval((unsigned char)s[i]);
        *r = (row){start, digits, v, cells, n, c + 2};
        return true;
    }
}

/* "(N lines all free)"; *n gets N, *at the index of '('. *overflow when N needs > 64 bits. */
static bool match_abbrev(const char *s, size_t len, uint64_t *n, size_t *at, bool *overflow) {
    const char *tail = find(s, len, " lines all free)");
    *overflow = false;
    if (!tail)
        return false;
    size_t end = (size_t)(tail - s), i = end;
    while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
        i--;
    if (i == end || i == 0 || s[i - 1] != '(')
        return false;
    size_t pos = i;
    if (read_uint(s, len, &pos, n) < 0) {
        *overflow = true;
        *n = 0;
    }
    *at = i - 1;
    return true;
}

/* A line that is only "ADDRESS:" (0x optional, 4-16 hex digits) after a prefix. */
static bool match_bare_address(const char *s, size_t len, uint64_t *v, size_t *at) {
    if (len < 5 || s[len - 1] != ':')
        return false;
    size_t end = len - 1, i = end;
    while (i > 0 && end - i < 17 && hexval((unsigned char)s[i - 1]) >= 0)
        i--;
    size_t digits = end - i;
    if (i >= 2 && s[i - 1] == 'x' && s[i - 2] == '0' && digits <= 16)
        i -= 2;
    else if (digits < 4 || digits > 16)
        return false;
    if (digits == 0 || (i > 0 && is_word_char((unsigned char)s[i - 1])))
        return false;
    uint64_t x = 0;
    for (size_t k = end - digits; k < end; k++)
        x = x << 4 | (uint64_t)hexval((unsigned char)s[k]);
    *v = x;
    *at = i;
    return true;
}

/* ---------------------------------------------------------- snapshot life */

static void reset_snapshot_state(mph_parser *p) {
    p->cur = NULL;
    p->ctx = CTX_NONE;
    p->last_field = 0;
    p->n_areas = 0;
    p->cap_cells = p->alloc_cells = 0;
    p->cap_stretches = 0;
    p->digits = 0;
    p->bpb = 0;
    p->bpb_mask = BPB_ALL;
    p->saw_t = false;
    p->interrupted_line = 0;
    p->interrupted_count = 0;
    p->max_blocks = MAX_BLOCKS_NO_TOTAL;
    p->skim_cur = false;
}

/* Is the dump starting now one whose map is only read and checked? Its index
 * is the log's count now: nothing joins the log while it is read. A hook
 * wants every map's cells. */
static bool skim_this(const mph_parser *p) {
    long k = p->keep_maps;
    return p->skim && !p->on_snapshot &&
           (k == MPH_KEEP_NONE || (k >= 0 && (size_t)k != p->log->n_snapshots));
}

static bool is_prompt_or_noise(const char *s, size_t n) {
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    static const char *const noise[] = {">>>", "...", "None", "True", "False", "MPY: soft reboot",
                                        "raw REPL", "MicroPython v", "Type \"help()\""};
    for (size_t i = 0; i < sizeof noise / sizeof *noise; i++) {
        size_t k = strlen(noise[i]);
        if (n >= k && memcmp(s, noise[i], k) == 0)
            return true;
    }
    // The echoed call itself ("=== micropython.mem_info(1)" in paste mode, ">>>mem_info()").
    return memmem(s, n, "mem_info(", 9) != NULL;
}

/* A copy of label text that is safe to print: control bytes (NUL, ESC, ...) become '?'. */
static char *printable_copy(const char *a, size_t n) {
    char *d = mph__strndup(a, n);
    for (size_t i = 0; d && i < n; i++)
        if ((unsigned char)d[i] < 0x20 || d[i] == 0x7f)
            d[i] = d[i] == '\t' ? ' ' : '?';
    return d;
}

/* "allocating N bytes", MicroPython's MemoryError text (py/runtime.c,
 * m_malloc_fail), in line s; with need_error, only on a line that also says
 * MemoryError (a traceback's last line, or a program's own print of it). */
static bool find_failed_size(const char *s, size_t n, bool need_error, uint64_t *bytes) {
    static const char word[] = "allocating ";
    const size_t nw = sizeof word - 1;
    if (need_error && !memmem(s, n, "MemoryError", 11))
        return false;
    for (const char *q = s; (q = memmem(q, n - (size_t)(q - s), word, nw)) != NULL; q += nw) {
        const char *d = q + nw, *end = s + n;
        uint64_t v = 0;
        bool any = false;
        while (d < end && *d >= '0' && *d <= '9' && v < UINT64_MAX / 10) {
            v = v * 10 + (uint64_t)(*d++ - '0');
            any = true;
        }
        if (any && end - d >= 6 && memcmp(d, " bytes", 6) == 0) {
            *bytes = v;
            return true;
        }
    }
    return false;
}

/* The label is the marker line just before the dump, decorations and the
 * dump's own line prefix (" 0> ", "# ") trimmed; " @ TIME" at its end is the
 * time stamp. */
static mph_status take_label(mph_parser *p, mph_snapshot *s, const char *line, size_t prefix) {
    if (!p->prev_adjacent || !p->prev_len)
        return MPH_OK;
    const char *a = p->prev_text, *b = a + p->prev_len;
    if (prefix && p->prev_len >= prefix && memcmp(a, line, prefix) == 0)
        a += prefix;
    if (is_prompt_or_noise(a, (size_t)(b - a)))
        return MPH_OK;
    if (p->stamp_len && (s->time = printable_copy(p->stamp, p->stamp_len)) == NULL)
        return MPH_ERR_NOMEM;
    static const char deco[] = " \t=*#-~";
    while (a < b && (*a == ' ' || *a == '\t'))
        a++;
    bool stars = a < b && *a == '*';
    while (a < b && *a && strchr(deco, *a))
        a++;
    while (b > a && b[-1] && strchr(deco, b[-1]))
        b--;
    // micropython-magic's marker, "*** Memory info NAME ***" or "*** Memory info: NAME ***"
    // (its memoryinfo.py, RE_MEM_INFO_START): NAME is the label.
    static const char mi[] = "Memory info";
    const size_t nmi = sizeof mi - 1;
    if (stars && (size_t)(b - a) >= nmi && memcmp(a, mi, nmi) == 0 &&
        (a + nmi == b || a[nmi] == ' ' || a[nmi] == ':')) {
        a += nmi;
        while (a < b && *a == ' ')
            a++;
        if (a < b && *a == ':')
            a++;
        while (a < b && *a == ' ')
            a++;
    }
    if (a == b)
        return MPH_OK;
    static const char collected[] = "(after gc.collect())";
    const size_t nc = sizeof collected - 1;
    if ((size_t)(b - a) >= nc && memcmp(b - nc, collected, nc) == 0) {
        s->after_collect = true;
        b -= nc;
        while (b > a && b[-1] && strchr(deco, b[-1]))
            b--;
    }
    uint64_t failed;
    if (find_failed_size(a, (size_t)(b - a), false, &failed)) {
        s->failed_bytes = failed;
        s->failed_line = p->prev_line;
        s->failed_rank = 3;
    }
    const char *at = NULL;
    for (const char *q = a; q + 3 <= b; q++)
        if (q[0] == ' ' && q[1] == '@' && q[2] == ' ')
            at = q;
    if (at) {
        const char *t = at + 3;
        while (t < b && *t == ' ')
            t++;
        free(s->time); // the marker's own time wins over a "time:" line
        s->time = NULL;
        if (t < b && (s->time = printable_copy(t, (size_t)(b - t))) == NULL)
            return MPH_ERR_NOMEM;
        b = at;
        while (b > a && b[-1] && strchr(deco, b[-1]))
            b--;
    }
    if (b > a && (s->label = printable_copy(a, (size_t)(b - a))) == NULL)
        return MPH_ERR_NOMEM;
    return MPH_OK;
}

/* line/prefix: the dump's first line and how much of it comes before the dump's own text. */
static mph_status start_snapshot(mph_parser *p, const char *line, size_t prefix, mph_error *err) {
    mph_snapshot *s = calloc(1, sizeof *s);
    if (s && !(s->memo = calloc(1, sizeof *s->memo))) {
        free(s);
        s = NULL;
    }
    if (!s || take_label(p, s, line, prefix) != MPH_OK) {
        mph__snapshot_free(s);
        return fail(err, MPH_ERR_NOMEM, p->line_no, 1, "out of memory");
    }
    s->first_line = s->last_line = p->line_no;
    if (!s->failed_rank && p->gap_failed_bytes) {
        s->failed_bytes = p->gap_failed_bytes;
        s->failed_line = p->gap_failed_line;
        s->failed_rank = 1;
    }
    p->gap_failed_bytes = 0;
    reset_snapshot_state(p);
    p->cur = s;
    p->skim_cur = skim_this(p);
    p->ctx = CTX_HEADER;
    p->prev_adjacent = false;
    p->stamp_len = 0;
    return MPH_OK;
}

/* Map the pages of a big new stretch of cells in one call rather than one
 * fault at a time as rows are copied in: about a tenth of the time the
 * memory costs (Linux 5.14+; elsewhere, or when refused, nothing happens). */
static void prefault(char *start, size_t len) {
#if defined(MADV_POPULATE_WRITE)
    const uintptr_t page = 4096;
    uintptr_t lo = ((uintptr_t)start + page - 1) & ~(page - 1), hi = ((uintptr_t)start + len) & ~(page - 1);
    if (len >= (256u << 10) && hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#else
    (void)start;
    (void)len;
#endif
}

/* gc_info() prints GC total as (uint): a heap past 4 GiB prints it modulo
 * 2^32. A map that outgrows the printed total may be such a heap: let it grow
 * to the next total that prints the same, total + k * 2^32 (check_figures then
 * takes the total from the map). */
static void cap_for_wrapped_total(mph_parser *p, uint64_t need) {
    const mph_header *h = &p->cur->header;
    if (need <= p->max_blocks || !h->has_gc || h->gc_total > UINT32_MAX ||
        p->max_blocks >= MAX_BLOCKS)
        return;
    // The block size, else the smallest still possible.
    unsigned bpb = p->bpb ? p->bpb : p->bpb_mask & (0u - p->bpb_mask);
    if (!bpb)
        bpb = 1u << BPB_LOG2_MIN;
    uint64_t total = h->gc_total;
    while (total / bpb + CELLS_PER_ROW < need && total / bpb < MAX_BLOCKS)
        total += UINT64_C(1) << 32;
    p->max_blocks = total / bpb + CELLS_PER_ROW;
    if (p->max_blocks > MAX_BLOCKS)
        p->max_blocks = MAX_BLOCKS;
}

static mph_status drop_cells(mph_parser *p, mph_snapshot *s, size_t cap, mph_error *err);

/* A map this big (GC total / block size, in blocks) is allocated whole when
 * it starts, in huge pages: 2 MiB pages fault 512 times less often, about a
 * quarter of the time 4 KiB pages take to map on this kind of machine. */
#define HUGE_MAP_BLOCKS (1u << 20)

static mph_status grow_cells(mph_parser *p, size_t need, mph_error *err, unsigned long col) {
    mph_snapshot *s = p->cur;
    // MPH_KEEP_LAST skimming: the last map so far goes (its stats stay) as soon
    // as this one starts, so there is never a second map; should this dump
    // prove damaged, the caller reads the input again for the one it lost.
    if (!s->cells && p->skim && p->keep_maps == MPH_KEEP_LAST && !p->on_snapshot &&
        p->log->n_snapshots) {
        mph_snapshot *last = p->log->snapshots[p->log->n_snapshots - 1];
        mph_status st = drop_cells(p, last, last->n_blocks, err);
        if (st)
            return st;
    }
    // An earlier dump's map, not kept: its memory is this one's (a skimmed map has none).
    if (!s->cells && p->scratch && !p->skim_cur) {
        s->cells = p->scratch;
        // Room past this dump's limit would let the fast path take rows that the
        // limit refuses: at most the limit, as a dump read alone has.
        p->cap_cells = p->scratch_cap < p->max_blocks ? p->scratch_cap : (size_t)p->max_blocks;
        p->alloc_cells = p->scratch_cap;
        p->scratch = NULL;
        p->scratch_cap = 0;
    }
    cap_for_wrapped_total(p, need);
    if (need > p->max_blocks)
        return fail(err, MPH_ERR_LIMIT, p->line_no, col,
                    "the map would have %zu blocks, more than %s (%llu)", need,
                    s->header.has_gc ? "its GC total allows" : "mpheap reads without a GC total",
                    (unsigned long long)p->max_blocks);
    if (need <= p->cap_cells)
        return MPH_OK;
    if (p->skim_cur) { // no cells: room up to the limit, which the fast path stops at
        p->cap_cells = (size_t)p->max_blocks;
        return MPH_OK;
    }
    // What the maps kept so far hold: with this one's, within the caller's budget.
    uint64_t kept = 0, budget = p->max_map_blocks;
    for (size_t i = 0; budget && i < p->log->n_snapshots; i++)
        kept += p->log->snapshots[i]->cells ? p->log->snapshots[i]->n_blocks : 0;
    if (budget && (kept >= budget || need > budget - kept))
        return fail(err, MPH_ERR_NOMEM, p->line_no, col,
                    "the maps kept so far (%llu blocks) and this one's (%zu so far) would pass "
                    "the %llu blocks that may be kept at once",
                    (unsigned long long)kept, need, (unsigned long long)budget);
    size_t cap = p->cap_cells < 4096 ? 4096 : p->cap_cells / 2 * 3;
    if (cap < need)
        cap = need + need / 16; // a long "lines all free": what it needs and a little for the rows after
    // Near the size GC total announces, take exactly that: a byte per block.
    uint64_t expected = s->header.has_gc && p->bpb ? s->header.gc_total / p->bpb : 0;
    if (expected >= need && expected <= (uint64_t)need * 2 && expected <= p->max_blocks)
        cap = (size_t)expected;
    if (cap > p->max_blocks)
        cap = (size_t)p->max_blocks;
    if (budget && cap > budget - kept)
        cap = (size_t)(budget - kept);
    // Allocated already: the next stretch's pages are mapped where they are.
    if (need <= p->alloc_cells) {
        cap = cap < p->alloc_cells ? cap : p->alloc_cells;
        prefault(s->cells + p->cap_cells, cap - p->cap_cells);
        p->cap_cells = cap;
        return MPH_OK;
    }
    size_t alloc = cap;
#if defined(MADV_HUGEPAGE)
    bool whole = false;
    // A big heap's whole map at once, where GC total says (as far as the limits allow):
    // its pages are then mapped as the rows come (above), in huge pages, and never
    // moved by a realloc (moving splits them). A dump that lies about its total only
    // takes address space for it, not memory; if even that is refused, as before.
    if (expected >= HUGE_MAP_BLOCKS && expected >= need && expected >= cap &&
        expected <= p->max_blocks && (!budget || expected <= budget - kept)) {
        alloc = (size_t)expected;
        whole = true;
    }
#endif
    char *c = realloc(s->cells, alloc);
    if (!c && alloc > cap)
        c = realloc(s->cells, alloc = cap);
    if (!c)
        return fail(err, MPH_ERR_NOMEM, p->line_no, col, "out of memory for %zu blocks", need);
#if defined(MADV_HUGEPAGE)
    if (whole && alloc == (size_t)expected) { // not when the fallback took cap instead
        const uintptr_t huge = (uintptr_t)2 << 20;
        uintptr_t lo = ((uintptr_t)c + huge - 1) & ~(huge - 1), hi = ((uintptr_t)c + alloc) & ~(huge - 1);
        if (hi > lo)
            (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
#endif
    prefault(c + p->cap_cells, cap - p->cap_cells);
    s->cells = c;
    p->cap_cells = cap;
    p->alloc_cells = alloc;
    return MPH_OK;
}

static mph_status new_area(mph_parser *p, uint64_t base, bool has_base, unsigned long line,
                           mph_error *err) {
    if (p->n_areas == MAX_AREAS)
        return fail(err, MPH_ERR_LIMIT, line, 1, "more than %d heap areas in one dump", MAX_AREAS);
    if (p->n_areas == p->cap_areas) {
        size_t cap = p->cap_areas ? p->cap_areas * 2 : 4;
        area_build *a = realloc(p->areas, cap * sizeof *a);
        if (!a)
            return fail(err, MPH_ERR_NOMEM, line, 1, "out of memory");
        p->areas = a;
        p->cap_areas = cap;
    }
    p->areas[p->n_areas++] = (area_build){.base = base,
                                          .has_base = has_base,
                                          .first_block = p->cur->n_blocks,
                                          .line = line};
    p->ctx = CTX_MAP;
    return MPH_OK;
}

static uint64_t row_mask(int digits) { return (UINT64_C(1) << (4 * digits)) - 1; }

static bool single_bit(unsigned m) { return m && !(m & (m - 1)); }

static unsigned log2_of(unsigned m) {
    unsigned k = 0;
    while (m >>= 1)
        k++;
    return k;
}

/* Is the area's first row where its era says an area starts? */
static mph_status check_origin(mph_parser *p, area_build *a, mph_error *err) {
    if (!a->has_row || a->checked_origin || (p->digits != 4 && !p->bpb))
        return MPH_OK;
    a->checked_origin = true;
    mph_snapshot *s = p->cur;
    uint64_t mask = p->digits == 4 ? UINT64_MAX : row_mask(p->digits);
    uint64_t per_block = p->digits == 4 ? 1 : p->bpb;
    uint64_t origin = (a->first_value - (uint64_t)a->first_index * per_block) & mask;
    uint64_t base_bits = a->has_base ? a->base & mask : 0;
    if (origin == 0 && (s->row_format != MPH_ROWS_ADDRESS5 || base_bits == 0)) {
        if (s->row_format == MPH_ROWS_NONE)
            s->row_format = p->digits == 4   ? MPH_ROWS_INDEX4
                            : p->digits == 5 ? MPH_ROWS_OFFSET5
                                             : MPH_ROWS_OFFSET8;
        return MPH_OK;
    }
    // v1.3.5 - v1.8 printed the low 20 bits of the absolute address.
    if (origin != 0 && p->digits == 5 && s->row_format != MPH_ROWS_OFFSET5 &&
        (!a->has_base || origin == base_bits)) {
        s->row_format = MPH_ROWS_ADDRESS5;
        return MPH_OK;
    }
    uint64_t start = s->row_format == MPH_ROWS_ADDRESS5 ? base_bits : 0;
    return fail(err, MPH_ERR_SYNTAX, a->first_line, a->first_col,
                "row offset %0*llx does not match the start of its area (expected %0*llx)",
                p->digits, (unsigned long long)a->first_value, p->digits,
                (unsigned long long)((start + a->first_index * per_block) & mask));
}

/* The block sizes (a bit set) that put a row `blocks` after another at `diff` bytes. */
static unsigned step_mask(uint64_t diff, uint64_t blocks, uint64_t mask) {
    unsigned m = 0;
    for (unsigned k = BPB_LOG2_MIN; k <= BPB_LOG2_MAX; k++)
        if (((blocks << k) & mask) == diff)
            m |= 1u << k;
    return m;
}

/* May a row of `digits` digits follow rows of p->digits digits? */
static bool digits_ok(const mph_parser *p, const row *r) {
    if (!p->digits || (int)r->digits == p->digits)
        return true;
    // Before v1.3.5 "%04x" printed the block index, unmasked: 5 digits past 0xffff.
    return p->digits == 4 && r->digits == 5 && r->value > 0xffff;
}

/* Could this row be the first of a new area (or of a new dump)? */
static bool row_starts_area(const mph_parser *p, const row *r) {
    if (r->value == 0)
        return true;
    if (r->digits != 5 || !cells_valid(r->cells, r->n_cells))
        return false;
    // v1.3.5 - v1.8 start at the base address's low bits: the same base as before, if any.
    if (!p->cur || !p->n_areas)
        return true;
    const area_build *a = &p->areas[0];
    return a->has_row && a->first_index == 0 && a->first_value == r->value;
}

/* Does this row carry on the last area's rows where they stopped? */
static bool row_continues(const mph_parser *p, const row *r) {
    const area_build *a = &p->areas[p->n_areas - 1];
    size_t index = p->cur->n_blocks - a->first_block;
    if (a->short_row || !digits_ok(p, r))
        return false;
    if (!a->has_row)
        return index ? true : row_starts_area(p, r);
    uint64_t blocks = index - a->first_index;
    if (p->digits == 4)
        return a->first_value + blocks == r->value;
    uint64_t mask = row_mask(p->digits);
    return (step_mask((r->value - a->first_value) & mask, blocks, mask) & p->bpb_mask) != 0;
}

/* A skimmed map's cells (n, or n free ones with c NULL) into the counts of
 * its allocations that area_build keeps for old_block_figures. */
static void track_allocs(area_build *a, const char *c, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char x = c ? c[i] : '.';
        if (x == '=' && a->cur_alloc) {
            a->cur_tails++;
            continue;
        }
        if (a->cur_alloc) { // the current allocation ends: it is "before" the next
            a->done_used = true;
            if (a->cur_tails > a->done_tails)
                a->done_tails = a->cur_tails;
        }
        a->cur_alloc = x != '.';
        a->cur_tails = 0;
        if (!c)
            break; // the rest are free too: nothing changes
    }
}

/* A row's cells into dst (the map's, or a skimmed row's own), checked and
 * counted into the area's figures. Inlined twice: the kept path pays no test. */
MPH_HOT mph_status put_cells(mph_parser *p, area_build *a, const row *r, char *dst,
                             mph_error *err) {
    const unsigned char *src = (const unsigned char *)r->cells;
    unsigned bad = 0;
    for (size_t i = 0; i < r->n_cells; i++) {
        unsigned char c = src[i];
        dst[i] = (char)c;
        bad |= (mph__cell_class[c] == CELL_INVALID);
    }
    if (bad) {
        for (size_t i = 0; i < r->n_cells; i++) {
            unsigned char c = src[i];
            if (c == 't') { // the tail letter before v1.8.1
                dst[i] = '=';
                p->saw_t = true;
            } else if (mph__cell_class[c] == CELL_INVALID) {
                char shown[8];
                if (c >= 0x20 && c < 0x7f)
                    snprintf(shown, sizeof shown, "'%c'", c);
                else
                    snprintf(shown, sizeof shown, "\\x%02x", c);
                return fail(err, MPH_ERR_SYNTAX, p->line_no,
                            (unsigned long)(r->cells_at + i + 1),
                            "unknown cell %s in the block map (expected one of . = h T L D S A F "
                            "B M m)",
                            shown);
            }
        }
    }
    mph__figures_feed(&a->figures, dst, r->n_cells);
    return MPH_OK;
}

static mph_status add_row(mph_parser *p, const row *r, mph_error *err) {
    mph_snapshot *s = p->cur;
    unsigned long col = (unsigned long)r->hex_at + 1;
    if (!digits_ok(p, r))
        return fail(err, MPH_ERR_SYNTAX, p->line_no, col,
                    "row offset has %zu hex digits, earlier rows have %d", r->digits, p->digits);
    if (!p->digits)
        p->digits = (int)r->digits;
    area_build *a = &p->areas[p->n_areas - 1];
    size_t index = s->n_blocks - a->first_block;
    if (a->short_row)
        return fail(err, MPH_ERR_SYNTAX, a->short_line, a->short_col,
                    "row has %zu cells; only the last row of an area may have fewer than 64 "
                    "(a truncated line?)",
                    a->short_len);
    if (r->n_cells > CELLS_PER_ROW)
        return fail(err, MPH_ERR_SYNTAX, p->line_no, (unsigned long)r->cells_at + 65,
                    "row has %zu cells; MicroPython prints at most 64", r->n_cells);
    if (!a->has_row) {
        a->has_row = true;
        a->first_value = r->value;
        a->first_index = index;
        a->first_line = p->line_no;
        a->first_col = col;
        if (!s->pos.first_row.line)
            s->pos.first_row = (field_pos){p->line_no, col};
    } else if (p->digits == 4) {
        uint64_t want = a->first_value + (index - a->first_index);
        if (want != r->value)
            return fail(err, MPH_ERR_SYNTAX, p->line_no, col,
                        "row offset %04llx, expected %04llx (%s)", (unsigned long long)r->value,
                        (unsigned long long)want,
                        r->value < want ? "offsets go backwards: a line is repeated or edited"
                                        : "a line is missing or edited");
    } else {
        uint64_t mask = row_mask(p->digits);
        uint64_t diff = (r->value - a->first_value) & mask;
        uint64_t blocks = index - a->first_index;
        unsigned fit = step_mask(diff, blocks, mask) & p->bpb_mask;
        if (!fit && p->bpb) {
            uint64_t want = (a->first_value + blocks * p->bpb) & mask;
            bool backwards = ((r->value - want) & mask) > mask / 2;
            return fail(err, MPH_ERR_SYNTAX, p->line_no, col,
                        "row offset %0*llx, expected %0*llx (%s)", p->digits,
                        (unsigned long long)r->value, p->digits, (unsigned long long)want,
                        backwards ? "offsets go backwards: a line is repeated or edited"
                                  : "a line is missing or edited");
        }
        if (!fit)
            return fail(err, MPH_ERR_SYNTAX, p->line_no, col,
                        "row offset %0*llx is %llu blocks after offset %0*llx: no block size "
                        "fits (a line is missing, repeated or edited)",
                        p->digits, (unsigned long long)r->value, (unsigned long long)blocks,
                        p->digits, (unsigned long long)a->first_value);
        p->bpb_mask = fit;
        if (!p->bpb && single_bit(fit)) {
            p->bpb = 1u << log2_of(fit);
            for (size_t i = 0; i < p->n_areas; i++) {
                mph_status st = check_origin(p, &p->areas[i], err);
                if (st)
                    return st;
            }
        }
    }
    mph_status st = check_origin(p, a, err);
    if (st)
        return st;
    st = grow_cells(p, s->n_blocks + r->n_cells, err, (unsigned long)r->cells_at + 1);
    if (st)
        return st;
    if (p->skim_cur) {
        char row_cells[CELLS_PER_ROW]; // a skimmed map's row: checked and counted, then gone
        if ((st = put_cells(p, a, r, row_cells, err)))
            return st;
        a->first_tail |= index == 0 && row_cells[0] == '=';
        track_allocs(a, row_cells, r->n_cells);
    } else if ((st = put_cells(p, a, r, s->cells + s->n_blocks, err))) {
        return st;
    }
    s->n_blocks += r->n_cells;
    if (r->n_cells < CELLS_PER_ROW) {
        a->short_row = true;
        a->short_line = p->line_no;
        a->short_col = (unsigned long)(r->cells_at + r->n_cells + 1);
        a->short_len = r->n_cells;
    }
    a->last_abbrev = false;
    return MPH_OK;
}

/* The map read so far ends with a long run of free cells or tails: note it (or
 * its growth) among the snapshot's stretches, for the walks to cross unread. */
static mph_status note_stretch(mph_parser *p, mph_error *err) {
    mph_snapshot *s = p->cur;
    if (!s || !s->cells || !p->n_areas)
        return MPH_OK; // a skimmed map has no cells to cross
    const mph__figures *f = &p->areas[p->n_areas - 1].figures;
    uint64_t run = f->free_run >= MPH__STRETCH_MIN ? f->free_run : f->tail_run;
    if (run < MPH__STRETCH_MIN)
        return MPH_OK;
    char c = f->free_run >= MPH__STRETCH_MIN ? MPH_CELL_FREE : MPH_CELL_TAIL;
    size_t end = s->n_blocks, start = end - (size_t)run;
    mph__stretch *last = s->n_stretches ? &s->stretches[s->n_stretches - 1] : NULL;
    if (last && last->start == start && last->c == c) { // the same run, longer now
        last->end = end;
        return MPH_OK;
    }
    if (s->n_stretches == p->cap_stretches) {
        size_t cap = p->cap_stretches ? 2 * p->cap_stretches : 8;
        mph__stretch *v = realloc(s->stretches, cap * sizeof *v);
        if (!v)
            return fail(err, MPH_ERR_NOMEM, p->line_no, 1, "out of memory");
        s->stretches = v;
        p->cap_stretches = cap;
    }
    s->stretches[s->n_stretches++] = (mph__stretch){start, end, c};
    return MPH_OK;
}

static mph_status add_abbrev(mph_parser *p, uint64_t n, size_t at, mph_error *err) {
    mph_snapshot *s = p->cur;
    area_build *a = &p->areas[p->n_areas - 1];
    unsigned long col = (unsigned long)at + 1;
    if (a->short_row)
        return fail(err, MPH_ERR_SYNTAX, a->short_line, a->short_col,
                    "row has %zu cells; only the last row of an area may have fewer than 64",
                    a->short_len);
    if (n == 0)
        return fail(err, MPH_ERR_SYNTAX, p->line_no, col, "\"(0 lines all free)\" is not possible");
    if (n <= MAX_BLOCKS / CELLS_PER_ROW)
        cap_for_wrapped_total(p, s->n_blocks + n * CELLS_PER_ROW);
    if (n > p->max_blocks / CELLS_PER_ROW || s->n_blocks + n * CELLS_PER_ROW > p->max_blocks)
        return fail(err, MPH_ERR_LIMIT, p->line_no, col + 1,
                    "%llu free lines are more than the heap size allows", (unsigned long long)n);
    if (n < 2) {
        mph_status st = diag(p, err, MPH_DIAG_WARNING, p->line_no, col,
                             "MicroPython collapses 2 or more free lines, not %llu",
                             (unsigned long long)n);
        if (st)
            return st;
    }
    if (a->last_abbrev) {
        mph_status st = diag(p, err, MPH_DIAG_WARNING, p->line_no, col,
                             "two \"lines all free\" in a row: MicroPython never prints that");
        if (st)
            return st;
    }
    size_t add = (size_t)n * CELLS_PER_ROW;
    mph_status st = grow_cells(p, s->n_blocks + add, err, col + 1);
    if (st)
        return st;
    if (s->cells) // a skimmed map has none
        memset(s->cells + s->n_blocks, '.', add);
    else
        track_allocs(a, NULL, add);
    mph__figures_feed_free(&a->figures, add);
    s->n_blocks += add;
    a->last_abbrev = true;
    return MPH_OK;
}

/* ----------------------------------------------------------- header lines */

static mph_status header_field(mph_parser *p, int field, const char *line, size_t prefix,
                               mph_error *err) {
    // A field at or before one already seen starts the next dump.
    if (p->cur && (p->ctx == CTX_MAP || p->n_areas || field <= p->last_field)) {
        mph_status st = close_snapshot(p, err);
        if (st)
            return st;
    }
    if (!p->cur) {
        mph_status st = start_snapshot(p, line, prefix, err);
        if (st)
            return st;
    }
    p->last_field = field;
    p->ctx = CTX_HEADER;
    return MPH_OK;
}

/* Where a header line went wrong: a number too large, or other text. The
 * line is the field's, damaged: it starts a dump as a good one would (then the
 * damage is that dump's). */
static int bad_field(mph_parser *p, mph_error *err, int field, const char *k, const char *what,
                     const char *s, size_t len, size_t pos) {
    size_t prefix = (size_t)(k - s);
    if (field == FIELD_BLOCKS && prefix && s[prefix - 1] == ' ')
        prefix--;
    if (header_field(p, field, s, prefix, err))
        return -1;
    size_t q = pos;
    uint64_t v;
    if (read_uint(s, len, &q, &v) < 0)
        fail(err, MPH_ERR_LIMIT, p->line_no, (unsigned long)pos + 1,
             "malformed %s line: number too large", what);
    else
        fail(err, MPH_ERR_SYNTAX, p->line_no, (unsigned long)pos + 1, "malformed %s line: %s", what,
             pos < len ? "unexpected text" : "it ends too early");
    return -1;
}

/* Returns 1 when the line was a header line, 0 when not, -1 on error. */
static int try_header(mph_parser *p, const char *s, size_t len, mph_error *err) {
    const char *k;
    size_t pos;
    uint64_t a, b, c;
    if ((k = find(s, len, "GC: total: "))) {
        const char *what = "\"GC: total:\"";
        pos = (size_t)(k - s) + 11;
        size_t pa = pos, pb = 0, pc = 0;
        if (read_uint(s, len, &pos, &a) <= 0 || !expect(s, len, &pos, ", used: ") ||
            (pb = pos, read_uint(s, len, &pos, &b) <= 0) || !expect(s, len, &pos, ", free: ") ||
            (pc = pos, read_uint(s, len, &pos, &c) <= 0))
            return bad_field(p, err, FIELD_GC, k, what, s, len, pos);
        uint64_t split = 0;
        bool has_split = false;
        if (expect(s, len, &pos, ", max new split: ")) {
            if (read_uint(s, len, &pos, &split) <= 0)
                return bad_field(p, err, FIELD_GC, k, what, s, len, pos);
            has_split = true;
        }
        if (pos != len)
            return bad_field(p, err, FIELD_GC, k, what, s, len, pos);
        if (header_field(p, FIELD_GC, s, (size_t)(k - s), err))
            return -1;
        mph_header *h = &p->cur->header;
        h->has_gc = true;
        h->gc_total = a;
        h->gc_used = b;
        h->gc_free = c;
        h->has_max_new_split = has_split;
        h->max_new_split = split;
        header_pos *hp = &p->cur->pos;
        hp->gc_total = (field_pos){p->line_no, pa + 1};
        hp->gc_used = (field_pos){p->line_no, pb + 1};
        hp->gc_free = (field_pos){p->line_no, pc + 1};
        // Cells beyond total / 4 bytes cannot be: caps runaway "lines all free".
        p->max_blocks = a / 4 + CELLS_PER_ROW;
        if (p->max_blocks > MAX_BLOCKS)
            p->max_blocks = MAX_BLOCKS;
        return 1;
    }
    if ((k = find(s, len, "No. of 1-blocks: "))) {
        const char *what = "\"No. of 1-blocks\"";
        pos = (size_t)(k - s) + 17;
        size_t pa = pos, pb = 0, pc = 0, pd = 0;
        uint64_t d = 0;
        bool has_d = false;
        if (read_uint(s, len, &pos, &a) <= 0 || !expect(s, len, &pos, ", 2-blocks: ") ||
            (pb = pos, read_uint(s, len, &pos, &b) <= 0) ||
            !expect(s, len, &pos, ", max blk sz: ") || (pc = pos, read_uint(s, len, &pos, &c) <= 0))
            return bad_field(p, err, FIELD_BLOCKS, k, what, s, len, pos);
        if (expect(s, len, &pos, ", max free sz: ")) {
            pd = pos;
            if (read_uint(s, len, &pos, &d) <= 0)
                return bad_field(p, err, FIELD_BLOCKS, k, what, s, len, pos);
            has_d = true;
        }
        if (pos != len)
            return bad_field(p, err, FIELD_BLOCKS, k, what, s, len, pos);
        // Markdown and e-mail eat the leading space: the prefix is what precedes it.
        size_t prefix = (size_t)(k - s);
        if (prefix && s[prefix - 1] == ' ')
            prefix--;
        if (header_field(p, FIELD_BLOCKS, s, prefix, err))
            return -1;
        mph_header *h = &p->cur->header;
        h->has_blocks = true;
        h->n_1block = a;
        h->n_2block = b;
        h->max_block = c;
        h->has_max_free = has_d;
        h->max_free = d;
        header_pos *hp = &p->cur->pos;
        hp->n_1block = (field_pos){p->line_no, pa + 1};
        hp->n_2block = (field_pos){p->line_no, pb + 1};
        hp->max_block = (field_pos){p->line_no, pc + 1};
        hp->max_free = (field_pos){p->line_no, pd + 1};
        return 1;
    }
    if ((k = find(s, len, "mem: total="))) {
        pos = (size_t)(k - s) + 11;
        if (read_uint(s, len, &pos, &a) <= 0 || !expect(s, len, &pos, ", current=") ||
            read_uint(s, len, &pos, &b) <= 0 || !expect(s, len, &pos, ", peak=") ||
            read_uint(s, len, &pos, &c) <= 0 || pos != len)
            return 0; // "mem: total=" alone is too weak a sign to call it damage
        if (header_field(p, FIELD_MEM, s, (size_t)(k - s), err))
            return -1;
        mph_header *h = &p->cur->header;
        h->has_mem = true;
        h->mem_total = a;
        h->mem_current = b;
        h->mem_peak = c;
        return 1;
    }
    if ((k = find(s, len, "stack: ")) && (k == s || !is_word_char((unsigned char)k[-1]))) {
        pos = (size_t)(k - s) + 7;
        if (read_uint(s, len, &pos, &a) <= 0)
            return 0;
        bool has_limit = false;
        b = 0;
        if (expect(s, len, &pos, " out of ")) {
            if (read_uint(s, len, &pos, &b) <= 0)
                return 0;
            has_limit = true;
        }
        if (pos != len)
            return 0;
        if (header_field(p, FIELD_STACK, s, (size_t)(k - s), err))
            return -1;
        mph_header *h = &p->cur->header;
        h->has_stack = true;
        h->has_stack_limit = has_limit;
        h->stack_used = a;
        h->stack_limit = b;
        return 1;
    }
    return 0;
}

/*
 * "GC memory layout; from ADDR:" (0x optional), "GC memory layout:" (pre-v1.0).
 * Returns 1 and the base, 0 when the words are only prose ("GC memory layout
 * follows"), -1 on a damaged address. *at gets where the words start.
 */
static int try_layout(mph_parser *p, const char *s, size_t len, uint64_t *base, bool *has_base,
                      size_t *at, mph_error *err) {
    const char *k = find(s, len, "GC memory layout");
    if (!k)
        return 0;
    *at = (size_t)(k - s);
    size_t pos = *at + 16;
    *has_base = false;
    *base = 0;
    if (expect(s, len, &pos, ":") && pos == len)
        return 1;
    pos = *at + 16;
    if (!expect(s, len, &pos, "; from"))
        return 0;
    while (pos < len && s[pos] == ' ')
        pos++;
    if (pos + 1 < len && s[pos] == '0' && (s[pos + 1] == 'x' || s[pos + 1] == 'X'))
        pos += 2;
    size_t start = pos;
    uint64_t v = 0;
    while (pos < len && hexval((unsigned char)s[pos]) >= 0) {
        if (pos - start >= 16)
            return fail(err, MPH_ERR_SYNTAX, p->line_no, (unsigned long)start + 1,
                        "heap address longer than 64 bits"),
                   -1;
        v = v << 4 | (uint64_t)hexval((unsigned char)s[pos]);
        pos++;
    }
    if (pos == start || !expect(s, len, &pos, ":") || pos != len) {
        if (pos > start && pos < len && s[pos] == ':')
            pos++; // the address is fine; something follows the ':'
        return fail(err, MPH_ERR_SYNTAX, p->line_no, (unsigned long)pos + 1,
                    "malformed \"GC memory layout\" line: expected a hex address and ':' at the "
                    "end"),
               -1;
    }
    *base = v;
    *has_base = true;
    p->layout_col = (unsigned long)start + 1;
    return 1;
}

/* --------------------------------------------------------------- closing */

static mph_status check_figures(mph_parser *p, mph_error *err);

/* Block size: row steps, else GC total / cells, else the caller's; say which. */
static mph_status decide_block_size(mph_parser *p, mph_error *err) {
    mph_snapshot *s = p->cur;
    const mph_header *h = &s->header;
    unsigned cand = p->digits == 4 ? BPB_ALL : p->bpb_mask;
    if (p->bpb && p->digits != 4) {
        s->block_size = p->bpb;
        s->block_size_source = MPH_BS_ROW_STEP;
        goto decided;
    }
    if (h->has_gc && s->n_blocks && h->gc_total % s->n_blocks == 0) {
        uint64_t q = h->gc_total / s->n_blocks;
        bool allowed = q <= (1u << BPB_LOG2_MAX) ? (cand >> log2_of((unsigned)q) & 1) != 0
                                                 : cand == BPB_ALL;
        if (q >= 4 && q <= 65536 && !(q & (q - 1)) && allowed) {
            s->block_size = (unsigned)q;
            s->block_size_source = MPH_BS_GC_TOTAL;
            goto decided;
        }
    }
    if (p->opts.block_size) {
        unsigned o = p->opts.block_size;
        bool allowed = !(o & (o - 1)) && o >= 4 && o <= (1u << BPB_LOG2_MAX)
                           ? (cand >> log2_of(o) & 1) != 0
                           : cand == BPB_ALL;
        if (allowed) {
            s->block_size = o;
            s->block_size_source = MPH_BS_OPTION;
            goto decided;
        }
    }
    if (cand != BPB_ALL) {
        char list[80] = "";
        size_t n = 0;
        for (unsigned k = BPB_LOG2_MIN; k <= BPB_LOG2_MAX && n < sizeof list - 8; k++)
            if (cand >> k & 1)
                n += (size_t)snprintf(list + n, sizeof list - n, "%s%u", n ? ", " : "", 1u << k);
        return diag(p, err, MPH_DIAG_WARNING, s->first_line, 1,
                    "block size unknown: the row offsets allow %s bytes%s; give --block-size", list,
                    p->opts.block_size ? " (not --block-size)" : "");
    }
    return diag(p, err, MPH_DIAG_WARNING, s->first_line, 1,
                "block size unknown (no two rows, no GC total): give --block-size; byte figures "
                "and addresses are left out");
decided:
    if (p->opts.block_size && s->block_size_source != MPH_BS_OPTION &&
        s->block_size != p->opts.block_size)
        return diag(p, err, MPH_DIAG_WARNING, s->first_line, 1,
                    "--block-size %u ignored: the dump says %u", p->opts.block_size,
                    s->block_size);
    return MPH_OK;
}

static uint64_t gcd64(uint64_t a, uint64_t b) {
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* A dump with no map has no rows to measure: the caller's --block-size, else
 * MicroPython's default (4 machine words: 16 bytes on 32-bit ports, 32 on
 * 64-bit) when the byte figures rule out 32 (every figure is a multiple of
 * the block size). */
static void decide_header_block_size(mph_parser *p, mph_snapshot *s) {
    const mph_header *h = &s->header;
    if (p->opts.block_size) {
        s->block_size = p->opts.block_size;
        s->block_size_source = MPH_BS_OPTION;
        return;
    }
    uint64_t g = h->has_gc ? gcd64(gcd64(h->gc_total, h->gc_used), h->gc_free) : 0;
    if (g && g % 16 == 0 && g % 32 != 0) {
        s->block_size = 16;
        s->block_size_source = MPH_BS_HEADER;
    }
}

/* A map not kept (mph_parser_keep_maps): its whole-heap stats first, while
 * the cells are at hand (the timeline and stats ask for no more); then its
 * cells (cap bytes) become the scratch the next dump fills. */
static mph_status drop_cells(mph_parser *p, mph_snapshot *s, size_t cap, mph_error *err) {
    if (!s->cells)
        return MPH_OK;
    mph_stats st;
    mph_status rc = mph_stats_compute(s, MPH_ALL_AREAS, &st, err);
    if (rc)
        return rc;
    if (cap > p->scratch_cap) {
        free(p->scratch);
        p->scratch = s->cells;
        p->scratch_cap = cap;
    } else {
        free(s->cells);
    }
    s->cells = NULL;
    for (size_t i = 0; i < s->n_areas; i++)
        s->areas[i].cells = NULL;
    s->no_cells = true;
    return MPH_OK;
}

static mph_status close_snapshot(mph_parser *p, mph_error *err) {
    mph_snapshot *s = p->cur;
    if (!s)
        return MPH_OK;
    mph_status st = MPH_OK;
    if (!p->n_areas) {
        // mem_info() without an argument prints no map: the snapshots of a log
        // that has no map at all; among dumps with maps, skipped (said at the end).
        if (!p->headers_only_line)
            p->headers_only_line = s->first_line;
        p->n_headers_only_seen++;
        // Kept only while no dump has a map, and at most MAX_HEADERS_ONLY: memory stays bounded.
        if (p->log->n_snapshots || p->n_headers_only >= MAX_HEADERS_ONLY) {
            mph__snapshot_free(s);
            reset_snapshot_state(p);
            return MPH_OK;
        }
        decide_header_block_size(p, s);
        if (p->n_headers_only == p->cap_headers_only) {
            size_t cap = p->cap_headers_only ? p->cap_headers_only * 2 : 4;
            mph_snapshot **v = realloc(p->headers_only, cap * sizeof *v);
            if (!v) {
                st = fail(err, MPH_ERR_NOMEM, p->line_no, 1, "out of memory");
                goto out;
            }
            p->headers_only = v;
            p->cap_headers_only = cap;
        }
        p->headers_only[p->n_headers_only++] = s;
        reset_snapshot_state(p);
        return MPH_OK;
    }
    if (s->n_blocks == 0) {
        st = fail(err, MPH_ERR_SYNTAX, p->areas[0].line, 1,
                  "\"GC memory layout\" with no rows after it: the dump is cut short");
        goto out;
    }
    if ((st = decide_block_size(p, err)))
        goto out;
    if (p->digits != 4 && !p->bpb && s->block_size) {
        p->bpb = s->block_size;
        for (size_t i = 0; i < p->n_areas; i++)
            if ((st = check_origin(p, &p->areas[i], err)))
                goto out;
    }
    if (p->digits == 4)
        s->row_format = MPH_ROWS_INDEX4;
    else if (p->digits == 5 && p->saw_t)
        s->row_format = MPH_ROWS_ADDRESS5; // 't' tails are older than relative offsets
    else if (s->row_format == MPH_ROWS_NONE && p->digits)
        s->row_format = p->digits == 8 ? MPH_ROWS_OFFSET8
                        : p->areas[0].has_row && p->areas[0].first_index == 0 &&
                                p->areas[0].first_value != 0
                            ? MPH_ROWS_ADDRESS5
                            : MPH_ROWS_OFFSET5;
    mph_area *areas = calloc(p->n_areas, sizeof *areas);
    if (!areas) {
        st = fail(err, MPH_ERR_NOMEM, p->line_no, 1, "out of memory");
        goto out;
    }
    s->areas = areas;
    s->n_areas = p->n_areas;
    size_t index = p->log->n_snapshots;
    bool keep = p->keep_maps == MPH_KEEP_ALL || p->keep_maps == MPH_KEEP_LAST ||
                (p->keep_maps >= 0 && (size_t)p->keep_maps == index);
    // Give back what is worth it (a shrinking realloc may copy: not for a few percent),
    // unless the next dump reuses it.
    if (keep && s->cells && p->alloc_cells - s->n_blocks > s->n_blocks / 16 + 4096) {
        char *c = realloc(s->cells, s->n_blocks);
        if (c)
            s->cells = c;
    }
    for (size_t i = 0; i < p->n_areas; i++) {
        area_build *b = &p->areas[i];
        size_t end = i + 1 < p->n_areas ? p->areas[i + 1].first_block : s->n_blocks;
        // Its last byte must have an address: an area cannot wrap past 2^64.
        uint64_t bytes = (uint64_t)(end - b->first_block) * s->block_size;
        if (b->has_base && bytes && bytes - 1 > UINT64_MAX - b->base) {
            st = fail(err, MPH_ERR_SYNTAX, b->line, b->base_col ? b->base_col : 1,
                      "heap area %zu at 0x%llx has %llu bytes: it would pass the end of the "
                      "address space",
                      i + 1, (unsigned long long)b->base, (unsigned long long)bytes);
            goto out;
        }
        areas[i] = (mph_area){b->base, b->has_base, b->first_block, end - b->first_block,
                              p->skim_cur ? NULL : s->cells + b->first_block, b->line};
        if (b->short_row && b->short_len % 4 &&
            (st = diag(p, err, MPH_DIAG_WARNING, b->short_line, b->short_col,
                       "area %zu ends with a row of %zu cells, not a multiple of 4: the dump "
                       "looks truncated",
                       i + 1, b->short_len)))
            goto out;
        if (areas[i].n_blocks == 0 &&
            (st = diag(p, err, MPH_DIAG_WARNING, b->line, 1, "area %zu has no rows", i + 1)))
            goto out;
        if (areas[i].n_blocks && (p->skim_cur ? b->first_tail : areas[i].cells[0] == '=') &&
            (st = diag(p, err, MPH_DIAG_WARNING, b->line, 1,
                       "area %zu starts with a tail block that has no head", i + 1)))
            goto out;
    }
    if ((st = check_figures(p, err)))
        goto out;
    // The caller's look at the map, while it is still here (a timeline read as a stream).
    if (p->on_snapshot && (st = p->on_snapshot(p->on_snapshot_ctx, s, index, err))) {
        if (err && !err->line) {
            err->line = s->first_line;
            err->column = 1;
        }
        goto out;
    }
    if (p->keep_maps == MPH_KEEP_LAST && index &&
        (st = drop_cells(p, p->log->snapshots[index - 1], p->log->snapshots[index - 1]->n_blocks,
                         err)))
        goto out;
    if (p->skim_cur)
        s->no_cells = s->skimmed = true; // its figures (memo) are exact; no stats
    else if (!keep && (st = drop_cells(p, s, p->alloc_cells, err)))
        goto out;
    mph_log *log = p->log;
    if (log->n_snapshots == log->cap_snapshots) {
        size_t cap = log->cap_snapshots ? log->cap_snapshots * 2 : 4;
        mph_snapshot **v = realloc(log->snapshots, cap * sizeof *v);
        if (!v) {
            st = fail(err, MPH_ERR_NOMEM, p->line_no, 1, "out of memory");
            goto out;
        }
        log->snapshots = v;
        log->cap_snapshots = cap;
    }
    log->snapshots[log->n_snapshots++] = s;
    for (size_t i = 0; i < p->n_headers_only; i++) // a map makes them skipped
        mph__snapshot_free(p->headers_only[i]);
    p->n_headers_only = 0;
    reset_snapshot_state(p);
    return MPH_OK;
out:
    // Kept to say which dump was damaged.
    p->close_failed = true;
    p->failed_first = s->first_line;
    free(p->failed_label);
    p->failed_label = s->label;
    s->label = NULL;
    mph__snapshot_free(s);
    reset_snapshot_state(p);
    return st;
}

/* Which gc_info() counted the dump's 1-blocks, 2-blocks and max blk sz. Up to
 * v1.8.1 it counted an allocation when the block after it was free or a head,
 * so the allocation that reaches the heap's end was never counted; v1.8.2
 * counts it (py/gc.c, 6a6e0b7e05) and added "max free sz" in the same release
 * (749cbaca7f). So a blocks line without "max free sz" is the old count, unless
 * the rows are v1.20's "%08x", which always printed it (an edited line). */
static bool old_gc_info(const mph_snapshot *s) {
    return s->header.has_blocks && !s->header.has_max_free && s->row_format != MPH_ROWS_OFFSET8;
}

/* The map's 1-blocks, 2-blocks and max blk sz as the old gc_info() counted
 * them: without the allocation at each area's end. st holds the full count. */
static void old_block_figures(const mph_parser *p, const mph_snapshot *s, const mph_stats *st,
                              uint64_t *n1, uint64_t *n2, uint64_t *max_block) {
    *n1 = st->n_1block;
    *n2 = st->n_2block;
    *max_block = 0;
    for (size_t i = 0; i < s->n_areas; i++) {
        const mph__figures *f = &p->areas[i].figures;
        const mph_area *a = &s->areas[i];
        uint64_t last = mph__figures_last_alloc(f);
        uint64_t most = f->cells > f->free_blocks ? 1 + f->longest_tails : 0;
        *n1 -= last == 1;
        *n2 -= last == 2;
        if (last && last == most && !a->cells) // skimmed: counted as the cells came
            most = p->areas[i].done_used ? 1 + p->areas[i].done_tails : 0;
        else if (last && last == most) {
            // The longest may be the last one alone: count the cells before it again.
            mph__figures g;
            mph_stats before;
            memset(&g, 0, sizeof g);
            memset(&before, 0, sizeof before);
            mph__figures_feed(&g, a->cells, a->n_blocks - (size_t)last);
            mph__figures_finish(&g, a->cells, a->n_blocks - (size_t)last, i, &before, 0, 0);
            most = before.max_alloc_blocks;
        }
        if (most > *max_block)
            *max_block = most;
    }
}

/* MicroPython's own figures must match the map it printed next to them. */
static mph_status check_figures(mph_parser *p, mph_error *err) {
    mph_snapshot *s = p->cur;
    const mph_header *h = &s->header;
    const header_pos *hp = &s->pos;
    mph_stats st;
    memset(&st, 0, sizeof st);
    st.block_size = s->block_size;
    // Only the snapshot's longest runs are kept: once one area shows a run of 63 or more
    // at its chunks' ends, no area's runs inside a chunk need looking for (a split heap's
    // second pass over its cells). Old figures count each area's own (old_block_figures).
    uint64_t seen_free = 0, seen_tails = 0;
    if (!old_gc_info(s))
        for (size_t i = 0; i < p->n_areas; i++) {
            uint64_t f, t;
            mph__figures_seen(&p->areas[i].figures, &f, &t);
            seen_free = f > seen_free ? f : seen_free;
            seen_tails = t > seen_tails ? t : seen_tails;
        }
    for (size_t i = 0; i < p->n_areas; i++)
        mph__figures_finish(&p->areas[i].figures, s->areas[i].cells, s->areas[i].n_blocks, i, &st,
                            seen_free, seen_tails);
    mph__figures_derive(s, &st);
    s->memo->figures = st;
    s->memo->figures_ready = true;
    mph_status rc;
    unsigned bpb = s->block_size;
    long idx = (long)p->log->n_snapshots + 1;
#define MISMATCH(pos, ...)                                                                        \
    do {                                                                                          \
        if ((rc = diag(p, err, MPH_DIAG_WARNING, (pos).line, (pos).column, __VA_ARGS__)))         \
            return rc;                                                                            \
    } while (0)
    if (h->has_gc && bpb) {
        uint64_t map_bytes = (uint64_t)s->n_blocks * bpb;
        // gc_info() prints total, used and free as (uint): past 4 GiB they wrap.
        // The map tells by how much, as row offsets' own wrap is told.
        if (map_bytes > UINT32_MAX && h->gc_total == (map_bytes & UINT32_MAX) &&
            h->gc_used <= UINT32_MAX && h->gc_free <= UINT32_MAX) {
            mph_header *w = &s->header;
            uint64_t free_bytes = st.free_blocks * bpb, used_bytes = st.used_blocks * bpb;
            if ((rc = diag(p, err, MPH_DIAG_NOTE, hp->gc_total.line, hp->gc_total.column,
                           "snapshot %ld: GC total %llu is the map's %llu bytes modulo 2^32 "
                           "(MicroPython prints it as a 32-bit number)",
                           idx, (unsigned long long)h->gc_total, (unsigned long long)map_bytes)))
                return rc;
            w->gc_total = map_bytes;
            if ((free_bytes & UINT32_MAX) == h->gc_free)
                w->gc_free = free_bytes;
            if ((used_bytes & UINT32_MAX) == h->gc_used)
                w->gc_used = used_bytes;
        }
        s->map_partial = map_bytes < h->gc_total;
        if (map_bytes != h->gc_total)
            MISMATCH(hp->gc_total,
                     "snapshot %ld: GC total is %llu bytes but the map has %zu blocks of %u bytes "
                     "= %llu: the dump is %s",
                     idx, (unsigned long long)h->gc_total, s->n_blocks, bpb,
                     (unsigned long long)map_bytes,
                     map_bytes < h->gc_total ? "truncated" : "edited or mixed");
        else {
            if (st.free_blocks * bpb != h->gc_free)
                MISMATCH(hp->gc_free,
                         "snapshot %ld: GC free is %llu bytes but the map has %llu free blocks = "
                         "%llu bytes",
                         idx, (unsigned long long)h->gc_free, (unsigned long long)st.free_blocks,
                         (unsigned long long)(st.free_blocks * bpb));
            if (st.used_blocks * bpb != h->gc_used)
                MISMATCH(hp->gc_used,
                         "snapshot %ld: GC used is %llu bytes but the map has %llu used blocks = "
                         "%llu bytes",
                         idx, (unsigned long long)h->gc_used, (unsigned long long)st.used_blocks,
                         (unsigned long long)(st.used_blocks * bpb));
        }
    }
    // used + free could pass 2^64 in a forged line: compare without adding.
    if (h->has_gc && (h->gc_used > h->gc_total || h->gc_total - h->gc_used != h->gc_free))
        MISMATCH(hp->gc_total, "snapshot %ld: GC total %llu is not used + free (%llu + %llu)",
                 idx, (unsigned long long)h->gc_total, (unsigned long long)h->gc_used,
                 (unsigned long long)h->gc_free);
    if (h->has_blocks) {
        uint64_t n1 = st.n_1block, n2 = st.n_2block, max_block = st.max_alloc_blocks;
        bool old = old_gc_info(s);
        if (old)
            old_block_figures(p, s, &st, &n1, &n2, &max_block);
        // Say how the map was counted when the era's rule changed the figure.
        const char *era = " (leaving out the allocation at the heap's end, as MicroPython did "
                          "before v1.8.2)";
        if (n1 != h->n_1block)
            MISMATCH(hp->n_1block,
                     "snapshot %ld: MicroPython counted %llu 1-blocks, the map has %llu%s", idx,
                     (unsigned long long)h->n_1block, (unsigned long long)n1,
                     n1 != st.n_1block ? era : "");
        if (n2 != h->n_2block)
            MISMATCH(hp->n_2block,
                     "snapshot %ld: MicroPython counted %llu 2-blocks, the map has %llu%s", idx,
                     (unsigned long long)h->n_2block, (unsigned long long)n2,
                     n2 != st.n_2block ? era : "");
        if (max_block != h->max_block)
            MISMATCH(hp->max_block,
                     "snapshot %ld: MicroPython's max blk sz is %llu blocks, the map's largest "
                     "allocation is %llu%s",
                     idx, (unsigned long long)h->max_block, (unsigned long long)max_block,
                     max_block != st.max_alloc_blocks ? era : "");
        if (h->has_max_free && st.largest_free_blocks != h->max_free)
            MISMATCH(hp->max_free,
                     "snapshot %ld: MicroPython's max free sz is %llu blocks, the map's longest "
                     "free run is %llu",
                     idx, (unsigned long long)h->max_free,
                     (unsigned long long)st.largest_free_blocks);
    }
#undef MISMATCH
    return MPH_OK;
}

/* A MemoryError line outside a map: the size belongs to the dump just
 * before it (its traceback comes after it) and to the next one. */
static void note_failed_alloc(mph_parser *p, uint64_t bytes) {
    mph_snapshot *before = p->cur;
    if (!before && p->log->n_snapshots)
        before = p->log->snapshots[p->log->n_snapshots - 1];
    if (!before && p->n_headers_only)
        before = p->headers_only[p->n_headers_only - 1];
    if (before && before->failed_rank < 2) {
        before->failed_bytes = bytes;
        before->failed_line = p->line_no;
        before->failed_rank = 2;
    }
    // ... and to the next dump (a capture's "after" snapshot follows the traceback).
    p->gap_failed_bytes = bytes;
    p->gap_failed_line = p->line_no;
}

/* ----------------------------------------------------------- line handler */

/* "time:T" right after a marker line: T is the time stamp of the dump after
 * them. micropython-magic prints time_ns() there ("time:1609463914756126000")
 * or a gmtime() tuple ("time:(2021, 1, 1, 0, 2, 23, 4, 1)"), written here as
 * "2021-01-01T00:02:23". */
static bool take_stamp(mph_parser *p, const char *s, size_t len) {
    const char *a = p->prev_text, *e = a + p->prev_len;
    while (a < e && (*a == ' ' || *a == '\t'))
        a++;
    if (!p->prev_adjacent || e - a < 3 || (memcmp(a, "***", 3) != 0 && memcmp(a, "===", 3) != 0))
        return false;
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (len - i < 6 || memcmp(s + i, "time:", 5) != 0)
        return false;
    i += 5;
    while (i < len && s[i] == ' ')
        i++;
    if (i == len)
        return false;
    unsigned v[6] = {0};
    size_t n = 0, j = i + 1;
    if (s[i] == '(') {
        while (n < 6 && j < len && s[j] >= '0' && s[j] <= '9') {
            while (j < len && s[j] >= '0' && s[j] <= '9' && v[n] < 100000)
                v[n] = v[n] * 10 + (unsigned)(s[j++] - '0');
            n++;
            while (j < len && (s[j] == ',' || s[j] == ' '))
                j++;
        }
    }
    if (n == 6)
        p->stamp_len = (size_t)snprintf(p->stamp, sizeof p->stamp, "%04u-%02u-%02uT%02u:%02u:%02u",
                                        v[0], v[1], v[2], v[3], v[4], v[5]);
    else {
        p->stamp_len = len - i < STAMP_MAX ? len - i : STAMP_MAX;
        memcpy(p->stamp, s + i, p->stamp_len);
    }
    p->stamp[p->stamp_len] = '\0';
    return true;
}

/* A marker line: "=== ... ===" (mpheap, the device module) or "*** ... ***"
 * (micropython-magic), after blanks. No line of a dump starts so. */
static bool is_marker(const char *s, size_t len) {
    size_t lead = 0;
    while (lead < len && (s[lead] == ' ' || s[lead] == '\t'))
        lead++;
    return len - lead >= 3 && (memcmp(s + lead, "===", 3) == 0 || memcmp(s + lead, "***", 3) == 0);
}

static void remember_text(mph_parser *p, const char *s, size_t len) {
    // The marker stays the label candidate across its "time:" line.
    if (take_stamp(p, s, len))
        return;
    p->stamp_len = 0;
    if (len > LABEL_MAX)
        len = LABEL_MAX; // a label, not a paragraph
    memcpy(p->prev_text, s, len);
    p->prev_text[len] = '\0';
    p->prev_len = len;
    p->prev_line = p->line_no;
    p->prev_adjacent = true;
}

/* Rows and abbrevs of the map being read; *done when the line was taken. */
static mph_status map_line(mph_parser *p, const row *r, bool is_row, uint64_t n, size_t at,
                           bool overflow, bool *done, mph_error *err) {
    mph_status st;
    *done = false;
    if (p->interrupted_line) {
        // Output in the middle of a map: skip it when the map goes on where it stopped.
        if (is_row && !row_continues(p, r) && row_starts_area(p, r)) {
            if ((st = close_snapshot(p, err)))
                return st;
            return MPH_OK; // a new map: the caller starts it
        }
        if ((st = diag(p, err, MPH_DIAG_WARNING, p->interrupted_line, 1,
                       "%lu line%s from here on %s not part of the map that goes on at line %lu: "
                       "skipped",
                       p->interrupted_count, p->interrupted_count == 1 ? "" : "s",
                       p->interrupted_count == 1 ? "is" : "are", p->line_no)))
            return st;
        p->interrupted_line = 0;
        p->interrupted_count = 0;
    }
    *done = true;
    p->cur->last_line = p->line_no;
    p->prev_adjacent = false;
    if (!is_row && overflow)
        return fail(err, MPH_ERR_LIMIT, p->line_no, (unsigned long)at + 2,
                    "the number of free lines is too large");
    if ((st = is_row ? add_row(p, r, err) : add_abbrev(p, n, at, err)))
        return st;
    return note_stretch(p, err);
}

static mph_status handle_line(mph_parser *p, const char *s, size_t len, bool overlong,
                              mph_error *err) {
    mph_status st;
    if (overlong && (st = diag(p, err, MPH_DIAG_WARNING, p->line_no, MAX_LINE + 1,
                               "line longer than %u bytes: the rest of it is not read",
                               MAX_LINE)))
        return st;
    // Trailing CR (CRLF, and "\r\r\n" from a tty echo) and blanks.
    while (len && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0)
        return MPH_OK;
    // A bare address counts only for the line right after it.
    unsigned long pending = p->pending_line, pending_col = p->pending_col;
    p->pending_line = 0;

    row r;
    bool is_row = match_row(s, len, &r);
    // In a map, a row-like line with other digits and no map cells is output ("cafe: babe").
    if (is_row && p->ctx == CTX_MAP && !digits_ok(p, &r) && !cells_valid(r.cells, r.n_cells))
        is_row = false;
    uint64_t n = 0;
    size_t at = 0;
    bool overflow = false, is_abbrev = !is_row && match_abbrev(s, len, &n, &at, &overflow);

    // An area whose "GC memory layout; from" text was lost, leaving the bare address.
    if (pending && (is_abbrev || (is_row && row_starts_area(p, &r)))) {
        bool same_dump = p->ctx == CTX_HEADER ||
                         (p->ctx == CTX_MAP && p->interrupted_line == pending);
        if (p->cur && !same_dump && (st = close_snapshot(p, err)))
            return st;
        p->prev_adjacent = false; // the address line is no label
        if (!p->cur && (st = start_snapshot(p, s, is_row ? r.hex_at : at, err)))
            return st;
        p->interrupted_line = 0;
        p->interrupted_count = 0;
        p->cur->first_line = p->cur->first_line < pending ? p->cur->first_line : pending;
        if ((st = diag(p, err, MPH_DIAG_WARNING, pending, pending_col,
                       "an address alone on a line, then map rows: taken as a heap area whose "
                       "\"GC memory layout; from\" text was lost")))
            return st;
        if ((st = new_area(p, p->pending_base, true, pending, err)))
            return st;
        p->areas[p->n_areas - 1].base_col = pending_col;
    }

    if (p->ctx == CTX_MAP && (is_row || is_abbrev)) {
        bool done;
        if ((st = map_line(p, &r, is_row, n, at, overflow, &done, err)) || done)
            return st;
    }

    // A marker line ("=== mpheap 2: LABEL ===") is a label, whatever its label says:
    // a label with "GC: total: " in it must not start a dump.
    bool marker = is_marker(s, len);
    uint64_t base;
    bool has_base;
    size_t kw = 0;
    int k = marker ? 0 : try_layout(p, s, len, &base, &has_base, &kw, err);
    if (k < 0)
        return err ? err->code : MPH_ERR_SYNTAX;
    if (k > 0) {
        // After other output, or for an area seen already: a new dump.
        bool new_dump = p->cur && p->interrupted_line;
        for (size_t i = 0; p->cur && has_base && i < p->n_areas; i++)
            new_dump |= p->areas[i].has_base && p->areas[i].base == base;
        if (new_dump && (st = close_snapshot(p, err)))
            return st;
        if (!p->cur && (st = start_snapshot(p, s, kw, err)))
            return st;
        p->cur->last_line = p->line_no;
        p->prev_adjacent = false;
        if ((st = new_area(p, base, has_base, p->line_no, err)))
            return st;
        p->areas[p->n_areas - 1].base_col = has_base ? p->layout_col : 1;
        return MPH_OK;
    }
    k = marker ? 0 : try_header(p, s, len, err);
    if (k < 0)
        return err ? err->code : MPH_ERR_SYNTAX;
    if (k > 0) {
        p->cur->last_line = p->line_no;
        p->prev_adjacent = false;
        return MPH_OK;
    }
    // Rows with no "GC memory layout" line before them: a map whose header was lost.
    bool fits = is_row && cells_valid(r.cells, r.n_cells);
    if (is_row && p->ctx != CTX_MAP &&
        (p->ctx == CTX_HEADER ? (r.value == 0 || fits)
                              : fits && (r.value == 0 || r.digits == 5))) {
        if (!p->cur && (st = start_snapshot(p, s, r.hex_at, err)))
            return st;
        if ((st = diag(p, err, MPH_DIAG_WARNING, p->line_no, (unsigned long)r.hex_at + 1,
                       "map rows with no \"GC memory layout; from ADDRESS:\" line: the area's "
                       "address is unknown")))
            return st;
        if ((st = new_area(p, 0, false, p->line_no, err)))
            return st;
        p->cur->last_line = p->line_no;
        return add_row(p, &r, err);
    }
    // Anything else is output: inside a map it may be interleaved (a map that goes
    // on after it is kept), inside a header it is skipped, elsewhere it may be a label.
    uint64_t addr;
    size_t addr_at;
    if (match_bare_address(s, len, &addr, &addr_at)) {
        p->pending_line = p->line_no;
        p->pending_col = (unsigned long)addr_at + 1;
        p->pending_base = addr;
    }
    p->log->skipped_lines++;
    uint64_t failed;
    // A marker line ("=== LABEL: MemoryError ... ===") belongs to the dump after it alone.
    if (!marker && find_failed_size(s, len, true, &failed))
        note_failed_alloc(p, failed);
    if (p->ctx == CTX_MAP) {
        if (!p->interrupted_line)
            p->interrupted_line = p->line_no;
        p->interrupted_count++;
    } else if (p->ctx == CTX_HEADER) {
        // A dump with no map ends here unseen: the line may be the next one's marker.
        remember_text(p, s, len);
        return diag(p, err, MPH_DIAG_NOTE, p->line_no, 1, "skipped a line inside a dump");
    }
    remember_text(p, s, len);
    return MPH_OK;
}

/* ------------------------------------------------------------ public API */

mph_parser *mph_parser_new(const mph_parse_options *opts) {
    mph_parser *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->log = calloc(1, sizeof *p->log);
    if (!p->log) {
        free(p);
        return NULL;
    }
    if (opts)
        p->opts = *opts;
    p->keep_maps = MPH_KEEP_ALL;
    p->rows_scan = mph__rows_scan_pick(false);
    p->rows_skim = mph__rows_scan_pick(true);
    reset_snapshot_state(p);
    return p;
}

void mph_parser_free(mph_parser *p) {
    if (!p)
        return;
    for (size_t i = 0; i < p->n_headers_only; i++)
        mph__snapshot_free(p->headers_only[i]);
    free(p->headers_only);
    mph__snapshot_free(p->cur);
    mph_log_free(p->log);
    free(p->areas);
    free(p->carry);
    free(p->failed_label);
    free(p->scratch);
    free(p);
}

void mph_parser_keep_maps(mph_parser *p, long which) {
    if (p && (which >= 0 || which == MPH_KEEP_ALL || which == MPH_KEEP_LAST ||
              which == MPH_KEEP_NONE))
        p->keep_maps = which;
}

void mph_parser_limit_maps(mph_parser *p, uint64_t max_blocks) {
    if (p)
        p->max_map_blocks = max_blocks;
}

void mph_parser_skim_maps(mph_parser *p, bool skim) {
    if (p)
        p->skim = skim;
}

void mph_parser_on_snapshot(mph_parser *p, mph_snapshot_fn fn, void *ctx) {
    if (p) {
        p->on_snapshot = fn;
        p->on_snapshot_ctx = fn ? ctx : NULL;
    }
}

/* Which header line s is (FIELD_*), 0 if none: a look, no parse. */
static int header_kind(const char *s, size_t len) {
    if (find(s, len, "GC: total: "))
        return FIELD_GC;
    if (find(s, len, "No. of 1-blocks: "))
        return FIELD_BLOCKS;
    if (find(s, len, "mem: total="))
        return FIELD_MEM;
    const char *k = find(s, len, "stack: ");
    return k && (k == s || !is_word_char((unsigned char)k[-1])) ? FIELD_STACK : 0;
}

/* Is this line, after a damaged dump, still part of it? Its map lines, its
 * other areas, and header lines after the one it had reached are; anything
 * else (a marker, a prompt, the next dump's header) ends it. */
static bool part_of_damaged(const mph_parser *p, const char *s, size_t len) {
    row r;
    uint64_t n;
    size_t at;
    bool overflow;
    if (match_row(s, len, &r) || match_abbrev(s, len, &n, &at, &overflow) ||
        find(s, len, "GC memory layout"))
        return true;
    return header_kind(s, len) > p->skip_field;
}

/* Take note of a damaged dump (label owned) and its error. */
static mph_status record_damaged(mph_parser *p, unsigned long first_line, char *label,
                                 const mph_error *e, mph_error *err) {
    mph_log *log = p->log;
    size_t position = log->n_snapshots + p->n_damaged_seen++;
    if (log->n_damaged >= MAX_DAMAGED) {
        free(label);
        return MPH_OK; // counted; said at the end
    }
    if (log->n_damaged == log->cap_damaged) {
        size_t cap = log->cap_damaged ? log->cap_damaged * 2 : 4;
        mph_damaged *d = realloc(log->damaged, cap * sizeof *d);
        if (!d) {
            free(label);
            return fail(err, MPH_ERR_NOMEM, p->line_no, 1, "out of memory");
        }
        log->damaged = d;
        log->cap_damaged = cap;
    }
    log->damaged[log->n_damaged++] =
        (mph_damaged){position, log->n_snapshots, first_line, label, *e};
    return MPH_OK;
}

/* Damage, not a failure of the whole input: without strict, a syntax error or
 * a limit inside a dump is that dump's. */
static bool is_damage(const mph_parser *p, mph_status st) {
    return !p->opts.strict && (st == MPH_ERR_SYNTAX || st == MPH_ERR_LIMIT);
}

static mph_status line_done(mph_parser *p, const char *s, size_t len, bool overlong,
                            uint64_t next_line_start, mph_error *err) {
    p->line_no++;
    p->offset = p->line_start;
    mph_error e; // written on failure only
    mph_status st;
    for (;;) {
        if (p->skipping) {
            size_t n = len;
            while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
            if (!n || part_of_damaged(p, s, n)) {
                p->log->skipped_lines += n != 0;
                st = MPH_OK;
                break;
            }
            p->skipping = false;
        }
        p->close_failed = false;
        st = handle_line(p, s, len, overlong, &e);
        if (!st || !is_damage(p, st))
            break;
        e.offset = p->offset;
        if (p->close_failed) {
            // This line closed a damaged dump: note it, then read the line again,
            // as the start of the next.
            char *label = p->failed_label;
            p->failed_label = NULL;
            if ((st = record_damaged(p, p->failed_first, label, &e, &e)))
                break;
            continue;
        }
        // Damage found on this line: the dump it is in (or starts) is left out.
        int kind = header_kind(s, len);
        p->skip_field = kind                             ? kind
                        : p->ctx == CTX_MAP || p->n_areas ? FIELD_BLOCKS
                                                          : p->last_field;
        unsigned long first = p->line_no;
        char *label = NULL;
        if (p->cur) {
            first = p->cur->first_line;
            label = p->cur->label;
            p->cur->label = NULL;
            mph__snapshot_free(p->cur);
        }
        reset_snapshot_state(p);
        p->skipping = true;
        st = record_damaged(p, first, label, &e, &e);
        break;
    }
    if (st) {
        p->failed = true;
        if (err)
            *err = e;
        if (err && st != MPH_ERR_NOMEM)
            err->offset = p->offset;
    }
    p->line_start = next_line_start;
    return st;
}

/* Append up to MAX_LINE bytes of a line to the carry. */
static mph_status carry_append(mph_parser *p, const char *s, size_t n, mph_error *err) {
    if (p->carry_len + n > MAX_LINE) {
        n = p->carry_len < MAX_LINE ? MAX_LINE - p->carry_len : 0;
        p->carry_overlong = true;
    }
    if (p->carry_len + n > p->carry_cap) {
        size_t cap = p->carry_cap ? p->carry_cap : 256;
        while (cap < p->carry_len + n)
            cap *= 2;
        char *c = realloc(p->carry, cap);
        if (!c)
            return fail(err, MPH_ERR_NOMEM, p->line_no + 1, 1, "out of memory");
        p->carry = c;
        p->carry_cap = cap;
    }
    if (n)
        memcpy(p->carry + p->carry_len, s, n);
    p->carry_len += n;
    return MPH_OK;
}

/* ------------------------------------------------------- the hot path */

/*
 * Most of a big dump is full v1.20+ rows, "XXXXXXXX: " and 64 cells, one after
 * the other in the same area. Take as many of them as follow each other
 * here, checking exactly what add_row checks; anything else (the first row of
 * an area, a short row, CR CR LF, damage) is left to the general path, which
 * also words the errors. Returns where the general path goes on.
 */
static const char *fast_rows(mph_parser *p, const char *s, const char *end, uint64_t s_offset) {
    if (p->ctx != CTX_MAP || !p->cur || p->digits != 8 || !p->bpb || p->interrupted_line ||
        p->pending_line || !p->n_areas)
        return s;
    mph_snapshot *snap = p->cur;
    area_build *a = &p->areas[p->n_areas - 1];
    if (!a->has_row || !a->checked_origin || a->short_row)
        return s;
    size_t index = snap->n_blocks - a->first_block;
    mph__rows r = {.at = s,
                   .end = end,
                   .cells = snap->cells,
                   .n_blocks = snap->n_blocks,
                   .room = p->cap_cells,
                   .offset = a->first_value + (uint64_t)(index - a->first_index) * p->bpb,
                   .step = (uint64_t)CELLS_PER_ROW * p->bpb,
                   .figures = &a->figures};
    (p->skim_cur ? p->rows_skim : p->rows_scan)(&r);
    if (r.rows) {
        snap->n_blocks = r.n_blocks;
        a->last_abbrev = false;
        p->line_no += r.rows;
        snap->last_line = p->line_no;
        p->line_start = s_offset + (uint64_t)(r.at - s);
    }
    return r.at;
}

mph_status mph_parser_feed(mph_parser *p, const char *buf, size_t len, mph_error *err) {
    if (!p || (!buf && len))
        return fail(err, MPH_ERR_ARG, 0, 0, "no parser or no buffer");
    if (p->failed || p->finished)
        return fail(err, MPH_ERR_ARG, 0, 0, "the parser has already failed or finished");
    if (!len)
        return MPH_OK; // (NULL + 0 is undefined in C)
    const char *end = buf + len, *s = buf;
    uint64_t base = p->consumed;
    p->consumed += len;
    mph_status st;
    while (s < end) {
        if (!p->carry_len && !p->carry_overlong) {
            const char *after = fast_rows(p, s, end, base + (uint64_t)(s - buf));
            if (after != s && (st = note_stretch(p, err))) {
                p->failed = true;
                return st;
            }
            s = after;
            if (s == end)
                break;
        }
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl)
            return carry_append(p, s, (size_t)(end - s), err);
        uint64_t next = base + (uint64_t)(nl + 1 - buf);
        size_t n = (size_t)(nl - s);
        if (p->carry_len || p->carry_overlong) {
            if ((st = carry_append(p, s, n, err)))
                return st;
            bool overlong = p->carry_overlong;
            size_t total = p->carry_len;
            p->carry_len = 0;
            p->carry_overlong = false;
            st = line_done(p, p->carry, total, overlong, next, err);
        } else {
            st = line_done(p, s, n > MAX_LINE ? MAX_LINE : n, n > MAX_LINE, next, err);
        }
        if (st)
            return st;
        s = nl + 1;
    }
    return MPH_OK;
}

mph_status mph_parser_finish(mph_parser *p, mph_log **out, mph_error *err) {
    if (!p || !out)
        return fail(err, MPH_ERR_ARG, 0, 0, "no parser or no output");
    if (p->failed || p->finished)
        return fail(err, MPH_ERR_ARG, 0, 0, "the parser has already failed or finished");
    mph_status st;
    if (p->carry_len || p->carry_overlong) {
        size_t n = p->carry_len;
        bool overlong = p->carry_overlong;
        p->carry_len = 0;
        p->carry_overlong = false;
        if ((st = line_done(p, p->carry, n, overlong, p->consumed, err)))
            return st;
    }
    p->finished = true;
    p->skipping = false;
    mph_error e;
    if ((st = close_snapshot(p, &e))) {
        if (is_damage(p, st)) {
            e.offset = p->offset;
            char *label = p->failed_label;
            p->failed_label = NULL;
            st = record_damaged(p, p->failed_first, label, &e, &e);
        }
        if (st) {
            p->failed = true;
            if (err)
                *err = e;
            return st;
        }
    }
    if (p->n_damaged_seen > MAX_DAMAGED &&
        (st = diag(p, err, MPH_DIAG_WARNING, p->line_no, 1,
                   "%zu damaged dumps: only the first %d are listed", p->n_damaged_seen,
                   MAX_DAMAGED)))
        return st;
    // No dump reads: the first damage is the input's error.
    if (p->log->n_snapshots == 0 && p->log->n_damaged && !p->n_headers_only) {
        p->failed = true;
        if (err)
            *err = p->log->damaged[0].error;
        return p->log->damaged[0].error.code;
    }
    if (p->n_warnings_dropped) {
        unsigned long n = (unsigned long)p->n_warnings_dropped;
        p->n_warnings = 0; // this one is kept
        if ((st = diag(p, err, MPH_DIAG_WARNING, p->line_no, 1,
                       "%lu more warnings are left out (only the first %d are kept)", n,
                       MAX_WARNINGS)))
            return st;
    }
    if (p->log->n_snapshots == 0 && p->n_headers_only) {
        // Only headers: they are the snapshots (their figures answer most questions).
        p->log->snapshots = p->headers_only;
        p->log->n_snapshots = p->log->cap_snapshots = p->n_headers_only;
        p->headers_only = NULL;
        p->n_headers_only = 0;
        if ((st = diag(p, err, MPH_DIAG_NOTE, p->headers_only_line, 1,
                       "heap figures with no block map (mem_info() without an argument): only "
                       "the header's figures; call micropython.mem_info(1) for the map")))
            return st;
        if (p->n_headers_only_seen > p->log->n_snapshots &&
            (st = diag(p, err, MPH_DIAG_WARNING, p->headers_only_line, 1,
                       "%zu dumps with no block map: only the first %d are kept",
                       p->n_headers_only_seen, MAX_HEADERS_ONLY)))
            return st;
    } else if (p->n_headers_only_seen &&
               (st = diag(p, err, MPH_DIAG_WARNING, p->headers_only_line, 1,
                          "%zu dump%s with heap figures but no block map (mem_info() without an "
                          "argument): skipped",
                          p->n_headers_only_seen, p->n_headers_only_seen == 1 ? "" : "s"))) {
        return st;
    }
    if (p->log->n_snapshots == 0) {
        return fail(err, MPH_ERR_NOT_FOUND, p->line_no ? p->line_no : 1, 1,
                    "no heap dump found in %lu line%s (expected the output of "
                    "micropython.mem_info(1): \"GC memory layout; from ...\" and its rows)",
                    p->line_no, p->line_no == 1 ? "" : "s");
    }
    *out = p->log;
    p->log = NULL;
    return MPH_OK;
}

mph_status mph_log_parse(const char *buf, size_t len, const mph_parse_options *opts,
                         mph_log **out, mph_error *err) {
    mph_parser *p = mph_parser_new(opts);
    if (!p)
        return fail(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
    mph_status st = mph_parser_feed(p, buf, len, err);
    if (!st)
        st = mph_parser_finish(p, out, err);
    mph_parser_free(p);
    return st;
}
