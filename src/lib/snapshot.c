/* The model: a log of snapshots, each a list of areas of cells, and the
 * allocations read off those cells. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* One table classifies every byte; the parser and the analyses share it. */
#define HEAD_CELLS(X) X('h') X('T') X('L') X('D') X('S') X('A') X('F') X('B') X('M') X('m')
const unsigned char mph__cell_class[256] = {
    ['.'] = CELL_FREE,
    ['='] = CELL_TAIL,
#define AS_HEAD(c) [c] = CELL_HEAD,
    HEAD_CELLS(AS_HEAD)
#undef AS_HEAD
};

static const char type_letters[MPH_TYPE_COUNT] = {'T', 'L', 'D', 'S', 'A', 'F', 'B', 'M', 'h', 'm'};
static const char *const type_names[MPH_TYPE_COUNT] = {
    "tuple", "list", "dict", "str/bytes", "bytearray/array", "float", "bytecode", "module", "other",
    "marked"};

char mph_type_letter(mph_type type) {
    return (unsigned)type < MPH_TYPE_COUNT ? type_letters[type] : '?';
}

const char *mph_type_name(mph_type type) {
    return (unsigned)type < MPH_TYPE_COUNT ? type_names[type] : "?";
}

int mph_type_of_cell(char c) {
    for (int t = 0; t < MPH_TYPE_COUNT; t++)
        if (type_letters[t] == c)
            return t;
    return -1;
}

char *mph__strndup(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void mph__snapshot_free(mph_snapshot *s) {
    if (!s)
        return;
    free(s->label);
    free(s->time);
    free(s->areas);
    free(s->cells);
    free(s->memo);
    free(s->stretches);
    free(s);
}

void mph_log_free(mph_log *log) {
    if (!log)
        return;
    for (size_t i = 0; i < log->n_snapshots; i++)
        mph__snapshot_free(log->snapshots[i]);
    free(log->snapshots);
    for (size_t i = 0; i < log->n_diags; i++)
        free((char *)log->diags[i].message);
    free(log->diags);
    for (size_t i = 0; i < log->n_damaged; i++)
        free((char *)log->damaged[i].label);
    free(log->damaged);
    free(log);
}

size_t mph_log_damaged_count(const mph_log *log) { return log ? log->n_damaged : 0; }

const mph_damaged *mph_log_damaged(const mph_log *log, size_t index) {
    return log && index < log->n_damaged ? &log->damaged[index] : NULL;
}

size_t mph_log_snapshot_count(const mph_log *log) { return log ? log->n_snapshots : 0; }

const mph_snapshot *mph_log_snapshot(const mph_log *log, size_t index) {
    return log && index < log->n_snapshots ? log->snapshots[index] : NULL;
}

size_t mph_log_diagnostic_count(const mph_log *log) { return log ? log->n_diags : 0; }

const mph_diagnostic *mph_log_diagnostic(const mph_log *log, size_t index) {
    return log && index < log->n_diags ? &log->diags[index] : NULL;
}

unsigned long mph_log_skipped_lines(const mph_log *log) { return log ? log->skipped_lines : 0; }

long mph_log_find_snapshot(const mph_log *log, const char *selector) {
    if (!log || !selector || !*selector)
        return -1;
    char *end;
    long n = strtol(selector, &end, 10);
    if (*end == '\0') {
        long count = (long)log->n_snapshots;
        if (n >= 1 && n <= count)
            return n - 1;
        if (n < 0 && -n <= count)
            return count + n;
        return -1;
    }
    long found = -1;
    for (size_t i = 0; i < log->n_snapshots; i++) {
        const char *label = log->snapshots[i]->label;
        if (label && strcmp(label, selector) == 0)
            return (long)i;
    }
    // A part of a label selects only when it is unambiguous.
    for (size_t i = 0; i < log->n_snapshots; i++) {
        const char *label = log->snapshots[i]->label;
        if (label && strstr(label, selector)) {
            if (found >= 0)
                return -1;
            found = (long)i;
        }
    }
    return found;
}

const char *mph_snapshot_label(const mph_snapshot *s) { return s->label; }
const char *mph_snapshot_time(const mph_snapshot *s) { return s->time; }
unsigned long mph_snapshot_first_line(const mph_snapshot *s) { return s->first_line; }
unsigned long mph_snapshot_last_line(const mph_snapshot *s) { return s->last_line; }
const mph_header *mph_snapshot_header(const mph_snapshot *s) { return &s->header; }
unsigned mph_snapshot_block_size(const mph_snapshot *s) { return s->block_size; }
mph_block_size_source mph_snapshot_block_size_source(const mph_snapshot *s) {
    return s->block_size_source;
}
mph_row_format mph_snapshot_row_format(const mph_snapshot *s) { return s->row_format; }
size_t mph_snapshot_area_count(const mph_snapshot *s) { return s->n_areas; }
const mph_area *mph_snapshot_area(const mph_snapshot *s, size_t index) {
    return index < s->n_areas ? &s->areas[index] : NULL;
}
size_t mph_snapshot_block_count(const mph_snapshot *s) { return s->n_blocks; }

uint64_t mph_snapshot_block_address(const mph_snapshot *s, size_t area, size_t block) {
    if (area >= s->n_areas || !s->areas[area].has_base || !s->block_size)
        return 0;
    return s->areas[area].base + (uint64_t)block * s->block_size;
}

void mph_alloc_iter_init(mph_alloc_iter *it, const mph_snapshot *s) {
    it->snapshot = s;
    it->area = 0;
    it->block = 0;
}

bool mph_alloc_iter_next(mph_alloc_iter *it, mph_alloc *out) {
    const mph_snapshot *s = it->snapshot;
    while (it->area < s->n_areas) {
        const mph_area *a = &s->areas[it->area];
        const char *cells = a->cells;
        size_t n = a->n_blocks, b = it->block;
        while (b < n && cells[b] == '.')
            b++;
        if (b == n) {
            it->area++;
            it->block = 0;
            continue;
        }
        size_t start = b;
        unsigned char cls = mph__cell_class[(unsigned char)cells[b]];
        b++;
        while (b < n && cells[b] == '=')
            b++;
        it->block = b;
        out->area = it->area;
        out->block = start;
        out->n_blocks = b - start;
        out->address = mph_snapshot_block_address(s, it->area, start);
        out->orphan = cls != CELL_HEAD;
        int type = mph_type_of_cell(cells[start]);
        out->type = type >= 0 ? (mph_type)type : MPH_TYPE_OTHER;
        return true;
    }
    return false;
}

bool mph_snapshot_after_collect(const mph_snapshot *s) { return s && s->after_collect; }

bool mph_snapshot_failed_alloc(const mph_snapshot *s, uint64_t *bytes, unsigned long *line) {
    if (!s || !s->failed_rank)
        return false;
    if (bytes)
        *bytes = s->failed_bytes;
    if (line)
        *line = s->failed_line;
    return true;
}

bool mph_snapshot_header_only(const mph_snapshot *s) { return s && s->n_areas == 0; }

bool mph_snapshot_has_map(const mph_snapshot *s) { return s && s->n_areas && !s->no_cells; }

bool mph_snapshot_map_partial(const mph_snapshot *s) { return s && s->map_partial; }
