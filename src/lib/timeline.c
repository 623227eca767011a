/* A sequence of snapshots: one row of figures each, and leak suspects.
 * The leak analysis reads the rows with a whole map: a row with none
 * (mem_info() without an argument) or a partial one has only the header's
 * figures, and comparing a cut map would make up frees. Consecutive rows
 * with maps are compared as mph_diff_compute compares them, but from their
 * lists of allocations: an allocation of the older row is kept exactly when
 * the newer's paired area has the same cells over its blocks and no tail
 * right after them, which the two address-sorted lists tell without a cell
 * (mark_gone). What each allocation inherits from the one it continues (the
 * row it first appeared in, the growth chain it belongs to) is carried along
 * in those lists, so memory stays proportional to the allocations of two
 * rows. The rows come one at a time (mph_timeline_builder), so a log read as
 * a stream needs the map being read and nothing of the one before but its
 * list and its areas' places. */
#include "analyses.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    size_t area, block, n_blocks;
    size_t since; /* row of first appearance (continuous presence) */
    long chain;   /* growth chain, or -1 */
    mph_type type;
    char head;    /* its first cell: the type letter, or a tail for a run of orphan tails */
    bool linked;  /* target of a growth link in this step */
    bool gone;    /* gone in this step (OLD side) */
} entry;

typedef struct entries {
    entry *v;
    size_t n, cap;
} entries;

typedef struct chain {
    size_t since;
    uint64_t *blocks;
    size_t n, cap;
    unsigned grew, moved;
    bool alive;
    long at; /* index of its allocation in the current row's entries */
} chain;

struct mph_timeline {
    size_t n_rows;
    mph_timeline_row *rows;
    size_t n_mapped;
    size_t *mapped; /* the rows with a whole map: the leak analysis counts rows among these */
    unsigned block_size;
    size_t n_types;
    mph_leak_type types[MPH_TYPE_COUNT];
    size_t n_leaks;
    mph_leak_alloc *leaks;
    size_t n_survivors;
    mph_leak_survivor *survivors;
    size_t n_groups;
    mph_leak_group *groups;
    size_t n_notes;
    char **notes;
    /* work state */
    size_t n_chains, cap_chains;
    chain *chains;
};

static bool push_entry(entries *e, const entry *x) {
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 256;
        entry *v = realloc(e->v, cap * sizeof *v);
        if (!v)
            return false;
        e->v = v;
        e->cap = cap;
    }
    e->v[e->n++] = *x;
    return true;
}

/* The first entry at or after (area, block). */
static size_t lower_entry(const entries *e, size_t area, size_t block) {
    size_t lo = 0, hi = e->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const entry *x = &e->v[mid];
        if (x->area < area || (x->area == area && x->block < block))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static long find_entry(const entries *e, size_t area, size_t block) {
    size_t lo = lower_entry(e, area, block);
    if (lo < e->n && e->v[lo].area == area && e->v[lo].block == block)
        return (long)lo;
    return -1;
}

static MPH_PRINTF(2, 3) bool add_note(mph_timeline *t, const char *fmt, ...) {
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **v = realloc(t->notes, (t->n_notes + 1) * sizeof *v);
    if (!v)
        return false;
    t->notes = v;
    if (!(v[t->n_notes] = mph__strndup(buf, strlen(buf))))
        return false;
    t->n_notes++;
    return true;
}

static bool chain_push(chain *c, uint64_t blocks) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        uint64_t *v = realloc(c->blocks, cap * sizeof *v);
        if (!v)
            return false;
        c->blocks = v;
        c->cap = cap;
    }
    c->blocks[c->n++] = blocks;
    return true;
}

/* All allocations of s, each new at `row`: mph_alloc_iter's, with free runs and
 * tails skipped a word at a time (a big heap is mostly one long free run). */
static bool collect(const mph_snapshot *s, size_t row, entries *out) {
    out->n = 0;
    for (size_t ai = 0; ai < s->n_areas; ai++) {
        const char *cells = s->areas[ai].cells;
        size_t n = s->areas[ai].n_blocks;
        for (size_t b = 0; b < n;) {
            if (cells[b] == '.') {
                b += mph__run_length(cells, n, b, '.');
                continue;
            }
            size_t start = b++;
            b += mph__run_length(cells, n, b, '=');
            int type = mph_type_of_cell(cells[start]);
            entry e = {ai, start, b - start, row, -1,
                       type >= 0 ? (mph_type)type : MPH_TYPE_OTHER, cells[start], false, false};
            if (!push_entry(out, &e))
                return false;
        }
    }
    return true;
}

/* Continue `from` (a row-1 entry) into `to` (a row entry) that grew. */
static bool link_growth(mph_timeline *t, entry *from, entry *to, size_t row, bool moved) {
    long c = from->chain;
    if (c < 0) {
        if (t->n_chains == t->cap_chains) {
            size_t cap = t->cap_chains ? t->cap_chains * 2 : 16;
            chain *v = realloc(t->chains, cap * sizeof *v);
            if (!v)
                return false;
            t->chains = v;
            t->cap_chains = cap;
        }
        c = (long)t->n_chains++;
        chain *ch = &t->chains[c];
        memset(ch, 0, sizeof *ch);
        ch->since = from->since;
        ch->alive = true;
        // Its size so far: unchanged since it appeared.
        for (size_t r = from->since; r < row; r++)
            if (!chain_push(ch, from->n_blocks))
                return false;
    }
    chain *ch = &t->chains[c];
    if (!chain_push(ch, to->n_blocks))
        return false;
    ch->grew++;
    ch->moved += moved;
    to->chain = c;
    to->linked = true;
    return true;
}

/* Mark prev's allocations (OLD's) gone or kept in cur (NEW's), as
 * mph_diff_compute classes them: OLD's [s, e) is kept when NEW's paired area
 * has the same cells over it and no tail at e. In the lists: NEW's allocation
 * holding block s ends at e and has OLD's first cell at s (its own first
 * cell, or a tail when it starts before s: then OLD's are orphan tails). Each
 * pair's two lists are walked once, side by side. */
static void mark_gone(const mph_diff *al, entries *prev, const entries *cur) {
    for (size_t j = 0; j < prev->n; j++)
        prev->v[j].gone = true;
    for (size_t i = 0; i < mph_diff_pair_count(al); i++) {
        const mph_area_pair *p = mph_diff_pair_at(al, i);
        if (p->old_area < 0 || p->new_area < 0)
            continue;
        size_t oa = (size_t)p->old_area, na = (size_t)p->new_area;
        size_t k = lower_entry(cur, na, 0);
        for (size_t j = lower_entry(prev, oa, 0); j < prev->n && prev->v[j].area == oa; j++) {
            entry *o = &prev->v[j];
            size_t end = o->block + o->n_blocks;
            while (k < cur->n && cur->v[k].area == na &&
                   cur->v[k].block + cur->v[k].n_blocks <= o->block)
                k++;
            if (k == cur->n || cur->v[k].area != na)
                break; // NEW's area ends before the rest of OLD's: all gone
            const entry *x = &cur->v[k];
            char first = x->block == o->block ? x->head : MPH_CELL_TAIL;
            o->gone = !(x->block <= o->block && x->block + x->n_blocks == end && first == o->head);
        }
    }
}

/* The entry of prev that cur's entry e continues (mph_diff_compute's
 * MPH_DIFF_KEPT at its first block: a kept allocation of OLD starts there),
 * or -1; after mark_gone. */
static long continued(const mph_diff *al, const entries *prev, const entry *e) {
    long pi = mph__diff_pair_of_new(al, e->area);
    const mph_area_pair *p = pi >= 0 ? mph_diff_pair_at(al, (size_t)pi) : NULL;
    if (!p || p->old_area < 0)
        return -1;
    long j = find_entry(prev, (size_t)p->old_area, e->block);
    return j >= 0 && !prev->v[j].gone ? j : -1;
}

/* One step: prev holds row-1's entries, cur receives row's (rows with a
 * whole map; old_row and new_row are their places among all rows, for
 * notes). o is row-1's snapshot with or without its cells: only its areas'
 * places are read. */
static bool step(mph_timeline *t, const mph_snapshot *o, const mph_snapshot *n, size_t row,
                 size_t old_row, size_t new_row, entries *prev, entries *cur, mph_error *err,
                 mph_status *rc) {
    mph_diff *al = NULL;
    *rc = mph__diff_align(o, n, &al, err);
    if (*rc)
        return false;
    *rc = MPH_ERR_NOMEM;
    bool ok = false;
    mph__sized *gone_idx = NULL, *new_idx = NULL;
    if (!collect(n, row, cur))
        goto done;
    const mph_diff_summary *sum = mph_diff_get_summary(al);
    if (sum->alignment == MPH_ALIGN_NONE) {
        // Nothing carries over: every chain ends, every allocation is new.
        for (size_t c = 0; c < t->n_chains; c++)
            t->chains[c].alive = false;
        ok = add_note(t, "rows %zu and %zu cannot be aligned (%s): survivors and growing "
                         "allocations start again at row %zu",
                      old_row + 1, new_row + 1, mph_diff_note_at(al, 0), new_row + 1);
        goto done;
    }
    if (sum->alignment == MPH_ALIGN_ORDER &&
        !add_note(t, "rows %zu and %zu: %s", old_row + 1, new_row + 1, mph_diff_note_at(al, 0)))
        goto done;
    mark_gone(al, prev, cur);
    for (size_t c = 0; c < t->n_chains; c++)
        t->chains[c].at = -1;
    // Kept allocations carry their history over.
    for (size_t k = 0; k < cur->n; k++) {
        entry *e = &cur->v[k];
        long j = continued(al, prev, e);
        if (j < 0)
            continue;
        e->since = prev->v[j].since;
        e->chain = prev->v[j].chain;
        if (e->chain >= 0) {
            chain *ch = &t->chains[e->chain];
            if (!chain_push(ch, e->n_blocks))
                goto done;
            ch->at = (long)k;
        }
    }
    // Growth in place: a gone allocation whose offset now starts a larger one
    // of its type. In OLD's area and block order, as the diff lists the gone.
    for (size_t j = 0; j < prev->n; j++) {
        entry *from = &prev->v[j];
        if (!from->gone)
            continue;
        long pi = mph__diff_pair_of_old(al, from->area);
        const mph_area_pair *p = pi >= 0 ? mph_diff_pair_at(al, (size_t)pi) : NULL;
        long k = p && p->new_area >= 0 ? find_entry(cur, (size_t)p->new_area, from->block) : -1;
        if (k >= 0 && cur->v[k].type == from->type && cur->v[k].n_blocks > from->n_blocks &&
            cur->v[k].since == row && !cur->v[k].linked) {
            if (!link_growth(t, from, &cur->v[k], row, false))
                goto done;
            t->chains[cur->v[k].chain].at = k;
            from->gone = false;
        }
    }
    // Growth by moving, per type: what went away and what came, largest first.
    // Equal sizes cancel (code re-compiled each step, a buffer made anew);
    // then the largest that went away continues as the largest that came,
    // if that is larger. One link per type and step: a heuristic.
    gone_idx = malloc((prev->n ? prev->n : 1) * sizeof *gone_idx);
    new_idx = malloc((cur->n ? cur->n : 1) * sizeof *new_idx);
    if (!gone_idx || !new_idx)
        goto done;
    for (int ty = 0; ty < MPH_TYPE_COUNT; ty++) {
        size_t ng = 0, nn = 0;
        for (size_t j = 0; j < prev->n; j++)
            if (prev->v[j].gone && prev->v[j].type == (mph_type)ty)
                gone_idx[ng++] = (mph__sized){prev->v[j].n_blocks, j};
        for (size_t k = 0; k < cur->n; k++)
            if (cur->v[k].since == row && !cur->v[k].linked && cur->v[k].type == (mph_type)ty)
                new_idx[nn++] = (mph__sized){cur->v[k].n_blocks, k};
        if (!ng || !nn)
            continue;
        qsort(gone_idx, ng, sizeof *gone_idx, mph__by_size_desc);
        qsort(new_idx, nn, sizeof *new_idx, mph__by_size_desc);
        // Cancel equal sizes as multisets; the first left on each side is its largest.
        size_t gi = 0, ni = 0;
        long from_j = -1, to_k = -1;
        while (gi < ng || ni < nn) {
            size_t gs = gi < ng ? gone_idx[gi].n_blocks : 0, ns = ni < nn ? new_idx[ni].n_blocks : 0;
            if (gi < ng && ni < nn && gs == ns) {
                gi++, ni++;
            } else if (gi < ng && gs > ns) {
                if (from_j < 0)
                    from_j = (long)gone_idx[gi].index;
                gi++;
            } else {
                if (to_k < 0)
                    to_k = (long)new_idx[ni].index;
                ni++;
            }
        }
        if (from_j < 0 || to_k < 0 || cur->v[to_k].n_blocks <= prev->v[from_j].n_blocks)
            continue;
        entry *from = &prev->v[from_j], *to = &cur->v[to_k];
        if (!link_growth(t, from, to, row, true))
            goto done;
        t->chains[to->chain].at = to_k;
        from->gone = false;
    }
    // A chain whose allocation went nowhere ends here.
    for (size_t c = 0; c < t->n_chains; c++)
        if (t->chains[c].at < 0)
            t->chains[c].alive = false;
    ok = true;
done:
    free(gone_idx);
    free(new_idx);
    mph_diff_free(al);
    if (ok)
        *rc = MPH_OK;
    else if (*rc == MPH_ERR_NOMEM)
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
    return ok;
}

static int cmp_leak_type(const void *x, const void *y) {
    const mph_leak_type *a = x, *b = y;
    int64_t ga = (int64_t)a->last_blocks - (int64_t)a->first_blocks;
    int64_t gb = (int64_t)b->last_blocks - (int64_t)b->first_blocks;
    if (ga != gb)
        return ga > gb ? -1 : 1;
    int64_t ca = (int64_t)a->last_count - (int64_t)a->first_count;
    int64_t cb = (int64_t)b->last_count - (int64_t)b->first_count;
    if (ca != cb)
        return ca > cb ? -1 : 1;
    return (int)a->type - (int)b->type;
}

static int cmp_leak_alloc(const void *x, const void *y) {
    const mph_leak_alloc *a = x, *b = y;
    uint64_t ga = a->now.n_blocks - a->blocks[0], gb = b->now.n_blocks - b->blocks[0];
    if (ga != gb)
        return ga > gb ? -1 : 1;
    if (a->now.n_blocks != b->now.n_blocks)
        return a->now.n_blocks > b->now.n_blocks ? -1 : 1;
    return a->now.address < b->now.address ? -1 : a->now.address > b->now.address;
}

/* Sustained growth (MPH_LEAK_MIN_STEPS_UP): a rise in at least half of the
 * steps and in at least that many, ending higher than it started. One rise
 * (0 -> 1 tuple) is noise; so is a series that only wobbles. */
static bool sustained(unsigned steps_up, size_t steps, uint64_t first, uint64_t last) {
    return steps_up >= MPH_LEAK_MIN_STEPS_UP && 2 * (size_t)steps_up >= steps && last > first;
}

static void growing_types(mph_timeline *t) {
    size_t m = t->n_mapped;
    if (m < 2)
        return;
    size_t steps = m - 1;
    const mph_timeline_row *first = &t->rows[t->mapped[0]], *last = &t->rows[t->mapped[m - 1]];
    for (int ty = 0; ty < MPH_TYPE_COUNT; ty++) {
        mph_leak_type lt;
        memset(&lt, 0, sizeof lt);
        lt.type = (mph_type)ty;
        for (size_t j = 1; j < m; j++) {
            const mph_type_stats *a = &t->rows[t->mapped[j - 1]].stats.by_type[ty];
            const mph_type_stats *b = &t->rows[t->mapped[j]].stats.by_type[ty];
            lt.count_steps_up += b->allocs > a->allocs;
            lt.block_steps_up += b->blocks > a->blocks;
        }
        lt.first_count = first->stats.by_type[ty].allocs;
        lt.first_blocks = first->stats.by_type[ty].blocks;
        lt.last_count = last->stats.by_type[ty].allocs;
        lt.last_blocks = last->stats.by_type[ty].blocks;
        lt.count_grows = sustained(lt.count_steps_up, steps, lt.first_count, lt.last_count);
        lt.blocks_grow = sustained(lt.block_steps_up, steps, lt.first_blocks, lt.last_blocks);
        if (lt.count_grows || lt.blocks_grow)
            t->types[t->n_types++] = lt;
    }
    qsort(t->types, t->n_types, sizeof *t->types, cmp_leak_type);
}

/* Rows in `since` and in the chains count rows with a whole map; the
 * results give each its place among all rows. */
static bool finish(mph_timeline *t, const mph_snapshot *last, const entries *cur) {
    size_t n = t->n_mapped;
    if (!n)
        return (t->groups = calloc(1, sizeof *t->groups)) &&
               (t->survivors = calloc(1, sizeof *t->survivors)) &&
               (t->leaks = calloc(1, sizeof *t->leaks));
    // Survivors: present from row `since` (not the first, not the last) to
    // the end. Counted per row first, then placed: one pass each.
    size_t count = 0;
    size_t *start = calloc(n + 1, sizeof *start);
    t->groups = calloc(n, sizeof *t->groups);
    if (!start || !t->groups) {
        free(start);
        return false;
    }
    for (size_t k = 0; k < cur->n; k++) {
        const entry *e = &cur->v[k];
        if (e->since >= 1 && e->since + 2 <= n) {
            start[e->since + 1]++;
            count++;
        }
    }
    for (size_t r = 1; r <= n; r++)
        start[r] += start[r - 1];
    t->survivors = calloc(count ? count : 1, sizeof *t->survivors);
    if (!t->survivors) {
        free(start);
        return false;
    }
    for (size_t k = 0; k < cur->n; k++) {
        const entry *e = &cur->v[k];
        if (!(e->since >= 1 && e->since + 2 <= n))
            continue;
        // cur is in address order, so each row's survivors stay in address order.
        mph_leak_survivor *sv = &t->survivors[start[e->since]++];
        sv->since = t->mapped[e->since];
        sv->alloc.area = e->area;
        sv->alloc.block = e->block;
        sv->alloc.n_blocks = e->n_blocks;
        sv->alloc.address = mph_snapshot_block_address(last, e->area, e->block);
        sv->alloc.type = e->type;
        sv->alloc.orphan = false;
        mph_leak_group *g = &t->groups[e->since];
        g->since = t->mapped[e->since];
        g->count++;
        g->blocks += e->n_blocks;
        g->type_count[e->type]++;
        g->type_blocks[e->type] += e->n_blocks;
    }
    free(start);
    t->n_survivors = count;
    // Keep the rows that have survivors, in order.
    for (size_t r = 0; r < n; r++)
        if (t->groups[r].count)
            t->groups[t->n_groups++] = t->groups[r];
    // Growing allocations: chains alive at the end that grew at least twice.
    size_t n_leaks = 0;
    for (size_t c = 0; c < t->n_chains; c++)
        n_leaks += t->chains[c].alive && t->chains[c].grew >= 2;
    t->leaks = calloc(n_leaks ? n_leaks : 1, sizeof *t->leaks);
    if (!t->leaks)
        return false;
    for (size_t c = 0; c < t->n_chains; c++) {
        const chain *ch = &t->chains[c];
        if (!ch->alive || ch->grew < 2 || ch->at < 0)
            continue;
        const entry *e = &cur->v[ch->at];
        mph_leak_alloc *l = &t->leaks[t->n_leaks++];
        l->now.area = e->area;
        l->now.block = e->block;
        l->now.n_blocks = e->n_blocks;
        l->now.address = mph_snapshot_block_address(last, e->area, e->block);
        l->now.type = e->type;
        l->now.orphan = false;
        l->since = t->mapped[ch->since];
        l->n_history = ch->n;
        l->blocks = ch->blocks;
        l->grew = ch->grew;
        l->moved = ch->moved;
    }
    qsort(t->leaks, t->n_leaks, sizeof *t->leaks, cmp_leak_alloc);
    growing_types(t);
    return true;
}

static bool row_matches(const mph_timeline_row *r, mph__rows_kind kind) {
    switch (kind) {
    case MPH__ROWS_NO_MAP: return r->from_header && !r->map_partial;
    case MPH__ROWS_PARTIAL: return r->map_partial;
    case MPH__ROWS_HEADER_BYTES: return r->from_header && r->has_bytes && !r->has_blocks;
    }
    return false;
}

size_t mph__timeline_rows_text(char *buf, size_t cap, const mph_timeline *t, mph__rows_kind kind) {
    size_t count = 0, len = 0;
    bool full = false;
    char list[256];
    list[0] = '\0';
    for (size_t i = 0; i < t->n_rows; i++) {
        if (!row_matches(&t->rows[i], kind))
            continue;
        size_t j = i;
        while (j + 1 < t->n_rows && row_matches(&t->rows[j + 1], kind))
            j++;
        const char *sep = count ? ", " : "";
        count += j - i + 1;
        // A list too long ends in "...": the count still covers every row.
        char one[64];
        if (j == i)
            snprintf(one, sizeof one, "%s%zu", sep, i + 1);
        else
            snprintf(one, sizeof one, "%s%zu-%zu", sep, i + 1, j + 1);
        if (!full && len + strlen(one) + 6 < sizeof list && len + strlen(one) + 12 < cap) {
            len += (size_t)snprintf(list + len, sizeof list - len, "%s", one);
        } else if (!full) {
            len += (size_t)snprintf(list + len, sizeof list - len, ", ...");
            full = true;
        }
        i = j;
    }
    snprintf(buf, cap, "%s%s", count == 1 ? "row " : count ? "rows " : "", list);
    return count;
}

/* A row's figures: the map's when it is whole, else the header's. */
static mph_status row_figures(const mph_snapshot *s, mph_timeline_row *r, mph_error *err) {
    const mph_header *h = &s->header;
    uint64_t bpb = s->block_size;
    r->from_header = !s->n_areas || s->map_partial;
    r->map_partial = s->n_areas && s->map_partial;
    if (!r->from_header) {
        mph_status rc = mph_stats_compute(s, MPH_ALL_AREAS, &r->stats, err);
        if (rc)
            return rc;
        r->has_blocks = r->has_largest = r->has_fragmentation = true;
        r->has_bytes = bpb != 0;
        r->total_bytes = r->stats.total_blocks * bpb;
        r->used_bytes = r->stats.used_blocks * bpb;
        r->free_bytes = r->stats.free_blocks * bpb;
        return MPH_OK;
    }
    memset(&r->stats, 0, sizeof r->stats);
    unsigned known = mph__header_figures(s, &r->stats);
    r->has_blocks = known & MPH__HDR_BLOCKS;
    r->has_largest = known & MPH__HDR_LARGEST;
    r->has_fragmentation = known & MPH__HDR_FRAGMENTATION;
    // The GC line is in bytes: known even when the block size is not.
    r->has_bytes = h->has_gc;
    r->total_bytes = h->has_gc ? h->gc_total : 0;
    r->used_bytes = h->has_gc ? h->gc_used : 0;
    r->free_bytes = h->has_gc ? h->gc_free : 0;
    return MPH_OK;
}

/* One line on the rows the leak analysis left out, and why. */
static bool note_left_out(mph_timeline *t) {
    char none[200], cut[200];
    size_t n_none = mph__timeline_rows_text(none, sizeof none, t, MPH__ROWS_NO_MAP);
    size_t n_cut = mph__timeline_rows_text(cut, sizeof cut, t, MPH__ROWS_PARTIAL);
    if (!n_none && !n_cut)
        return true;
    if (!n_cut)
        return add_note(t, "%s %s no map, so the leak analysis left %s out (mem_info() without an "
                           "argument prints no map: call mem_info(1))",
                        none, n_none == 1 ? "has" : "have", n_none == 1 ? "it" : "them");
    if (!n_none)
        return add_note(t, "%s: the map is cut short, so the leak analysis left %s out", cut,
                        n_cut == 1 ? "it" : "them");
    return add_note(t, "the leak analysis left out %s (no map: mem_info() without an argument "
                       "prints no map: call mem_info(1)) and %s (the map is cut short)",
                    none, cut);
}

/* The builder: the timeline so far, the entries of the last row with a whole
 * map, and that row's snapshot without its cells (the next one is compared
 * with its list, placed by its areas). */
struct mph_timeline_builder {
    mph_timeline *t;
    size_t cap_rows;
    entries a, b, *prev, *cur;
    size_t last_row;
    unsigned row_block_size; /* of the last row (the last whole map's: last.block_size) */
    bool spent;
    /* The last whole map's snapshot: its areas' bases and sizes and its block
     * size, what the alignment and the suspects' addresses read; its cells
     * are not kept. The areas' buffer is reused from one row to the next. */
    mph_snapshot last;
    mph_area *last_areas;
    size_t cap_areas;
};

mph_timeline_builder *mph_timeline_builder_new(void) {
    mph_timeline_builder *b = calloc(1, sizeof *b);
    if (b && !(b->t = calloc(1, sizeof *b->t))) {
        free(b);
        return NULL;
    }
    if (b) {
        b->prev = &b->a;
        b->cur = &b->b;
    }
    return b;
}

void mph_timeline_builder_free(mph_timeline_builder *b) {
    if (!b)
        return;
    mph_timeline_free(b->t);
    free(b->a.v);
    free(b->b.v);
    free(b->last_areas);
    free(b);
}

size_t mph_timeline_builder_row_count(const mph_timeline_builder *b) {
    return b && b->t ? b->t->n_rows : 0;
}

/* s as b->last, without what no later step reads: cells, label, time, memo. */
static bool keep_places(mph_timeline_builder *b, const mph_snapshot *s) {
    if (s->n_areas > b->cap_areas) {
        mph_area *v = realloc(b->last_areas, s->n_areas * sizeof *v);
        if (!v)
            return false;
        b->last_areas = v;
        b->cap_areas = s->n_areas;
    }
    b->last = *s;
    b->last.label = b->last.time = NULL;
    b->last.cells = NULL;
    b->last.no_cells = true;
    b->last.memo = NULL;
    b->last.areas = b->last_areas;
    for (size_t i = 0; i < s->n_areas; i++) {
        b->last_areas[i] = s->areas[i];
        b->last_areas[i].cells = NULL;
    }
    return true;
}

mph_status mph_timeline_builder_add(mph_timeline_builder *b, const mph_snapshot *s,
                                    mph_error *err) {
    if (!b || !s || b->spent) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0,
                       b && b->spent ? "the timeline builder has failed or finished"
                                     : "no timeline builder or no snapshot");
        return MPH_ERR_ARG;
    }
    mph_timeline *t = b->t;
    size_t i = t->n_rows;
    if (s->n_areas && !s->map_partial && s->no_cells) {
        b->spent = true;
        mph__error_set(err, MPH_ERR_ARG, 0, 0,
                       "snapshot %zu of the timeline: its map was not kept (mph_parser_keep_maps); "
                       "add it while its cells are at hand (mph_parser_on_snapshot)",
                       i + 1);
        return MPH_ERR_ARG;
    }
    mph_status rc = MPH_ERR_NOMEM;
    if (i == b->cap_rows) {
        size_t cap = b->cap_rows ? b->cap_rows * 2 : 16;
        mph_timeline_row *rows = realloc(t->rows, cap * sizeof *rows);
        if (!rows)
            goto fail;
        t->rows = rows;
        size_t *mapped = realloc(t->mapped, cap * sizeof *mapped);
        if (!mapped)
            goto fail;
        t->mapped = mapped;
        b->cap_rows = cap;
    }
    mph_timeline_row *r = &t->rows[i];
    memset(r, 0, sizeof *r);
    t->n_rows = i + 1;
    // A row with no label of its own gets the caller's name at finish.
    if (s->label && !(r->label = mph__strndup(s->label, strlen(s->label))))
        goto fail;
    if (s->time && !(r->time = mph__strndup(s->time, strlen(s->time))))
        goto fail;
    if ((rc = row_figures(s, r, err)))
        goto fail;
    rc = MPH_ERR_NOMEM;
    b->row_block_size = s->block_size;
    if (r->from_header)
        return MPH_OK;
    size_t m = t->n_mapped;
    if (m == 0) {
        if (!collect(s, 0, b->cur))
            goto fail;
    } else {
        entries *x = b->prev;
        b->prev = b->cur;
        b->cur = x;
        for (size_t k = 0; k < b->prev->n; k++)
            b->prev->v[k].linked = b->prev->v[k].gone = false;
        if (!step(t, &b->last, s, m, b->last_row, i, b->prev, b->cur, err, &rc))
            goto fail;
    }
    t->mapped[t->n_mapped++] = b->last_row = i;
    rc = MPH_ERR_NOMEM;
    if (!keep_places(b, s))
        goto fail;
    return MPH_OK;
fail:
    b->spent = true;
    if (rc == MPH_ERR_NOMEM)
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
    return rc;
}

mph_status mph_timeline_builder_finish(mph_timeline_builder *b, const char *const *names,
                                       mph_timeline **out, mph_error *err) {
    if (!b || !out || b->spent || !b->t->n_rows) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0,
                       b && b->spent ? "the timeline builder has failed or finished"
                                     : "a timeline needs at least one snapshot");
        return MPH_ERR_ARG;
    }
    b->spent = true;
    mph_timeline *t = b->t;
    for (size_t i = 0; i < t->n_rows; i++) {
        mph_timeline_row *r = &t->rows[i];
        if (r->label)
            continue;
        char fallback[40];
        const char *label = names && names[i] ? names[i] : NULL;
        if (!label) {
            snprintf(fallback, sizeof fallback, "snapshot %zu", i + 1);
            label = fallback;
        }
        if (!(r->label = mph__strndup(label, strlen(label))))
            goto nomem;
    }
    // The suspects' sizes and addresses are the last whole map's.
    t->block_size = t->n_mapped ? b->last.block_size : b->row_block_size;
    if (!note_left_out(t) || !finish(t, &b->last, b->cur))
        goto nomem;
    b->t = NULL;
    *out = t;
    return MPH_OK;
nomem:
    mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
    return MPH_ERR_NOMEM;
}

mph_status mph_timeline_compute(const mph_snapshot *const *snapshots, const char *const *names,
                                size_t n, mph_timeline **out, mph_error *err) {
    if (!snapshots || !n || !out) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "a timeline needs at least one snapshot");
        return MPH_ERR_ARG;
    }
    mph_timeline_builder *b = mph_timeline_builder_new();
    if (!b) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    mph_status rc = MPH_OK;
    for (size_t i = 0; i < n && !rc; i++)
        rc = mph_timeline_builder_add(b, snapshots[i], err);
    if (!rc)
        rc = mph_timeline_builder_finish(b, names, out, err);
    mph_timeline_builder_free(b);
    return rc;
}

mph_status mph__timeline_match(const mph_snapshot *o, const mph_snapshot *n, mph__allocs *gone,
                               mph__allocs *kept, mph_error *err) {
    entries prev = {0}, cur = {0};
    mph_diff *al = NULL;
    mph_status rc = mph__diff_align(o, n, &al, err);
    if (rc)
        return rc;
    rc = MPH_ERR_NOMEM;
    if (!collect(o, 0, &prev) || !collect(n, 1, &cur))
        goto done;
    // Not aligned: the diff lists nothing and keeps nothing.
    if (mph_diff_get_summary(al)->alignment == MPH_ALIGN_NONE) {
        rc = MPH_OK;
        goto done;
    }
    mark_gone(al, &prev, &cur);
    for (size_t j = 0; j < prev.n; j++) {
        const entry *e = &prev.v[j];
        mph_alloc x = {e->area, e->block, e->n_blocks,
                       mph_snapshot_block_address(o, e->area, e->block), e->type,
                       mph__cell_class[(unsigned char)e->head] != CELL_HEAD};
        if (e->gone && !mph__allocs_push(gone, &x))
            goto done;
    }
    for (size_t k = 0; k < cur.n; k++) {
        const entry *e = &cur.v[k];
        mph_alloc x = {e->area, e->block, e->n_blocks,
                       mph_snapshot_block_address(n, e->area, e->block), e->type,
                       mph__cell_class[(unsigned char)e->head] != CELL_HEAD};
        if (continued(al, &prev, e) >= 0 && !mph__allocs_push(kept, &x))
            goto done;
    }
    rc = MPH_OK;
done:
    free(prev.v);
    free(cur.v);
    mph_diff_free(al);
    if (rc == MPH_ERR_NOMEM)
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
    return rc;
}

void mph_timeline_free(mph_timeline *t) {
    if (!t)
        return;
    for (size_t i = 0; i < t->n_rows; i++) {
        free((char *)t->rows[i].label);
        free((char *)t->rows[i].time);
    }
    free(t->rows);
    free(t->mapped);
    for (size_t c = 0; c < t->n_chains; c++)
        free(t->chains[c].blocks);
    free(t->chains);
    free(t->leaks);
    free(t->survivors);
    free(t->groups);
    for (size_t i = 0; i < t->n_notes; i++)
        free(t->notes[i]);
    free(t->notes);
    free(t);
}

unsigned mph_timeline_block_size(const mph_timeline *t) { return t->block_size; }
size_t mph_timeline_row_count(const mph_timeline *t) { return t->n_rows; }
size_t mph_timeline_leak_steps(const mph_timeline *t) { return t->n_mapped ? t->n_mapped - 1 : 0; }
const mph_timeline_row *mph_timeline_row_at(const mph_timeline *t, size_t i) {
    return i < t->n_rows ? &t->rows[i] : NULL;
}
size_t mph_timeline_leak_type_count(const mph_timeline *t) { return t->n_types; }
const mph_leak_type *mph_timeline_leak_type_at(const mph_timeline *t, size_t i) {
    return i < t->n_types ? &t->types[i] : NULL;
}
size_t mph_timeline_leak_alloc_count(const mph_timeline *t) { return t->n_leaks; }
const mph_leak_alloc *mph_timeline_leak_alloc_at(const mph_timeline *t, size_t i) {
    return i < t->n_leaks ? &t->leaks[i] : NULL;
}
size_t mph_timeline_survivor_count(const mph_timeline *t) { return t->n_survivors; }
const mph_leak_survivor *mph_timeline_survivor_at(const mph_timeline *t, size_t i) {
    return i < t->n_survivors ? &t->survivors[i] : NULL;
}
size_t mph_timeline_group_count(const mph_timeline *t) { return t->n_groups; }
const mph_leak_group *mph_timeline_group_at(const mph_timeline *t, size_t i) {
    return i < t->n_groups ? &t->groups[i] : NULL;
}
size_t mph_timeline_note_count(const mph_timeline *t) { return t->n_notes; }
const char *mph_timeline_note_at(const mph_timeline *t, size_t i) {
    return i < t->n_notes ? t->notes[i] : NULL;
}
