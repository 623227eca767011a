/* Two snapshots compared block by block. Areas are paired by base address
 * (or by order when no base is shared: two runs of a program get different
 * addresses), blocks by their offset in the area: never by text position,
 * which drifts at every "(N lines all free)". One byte of class per block;
 * each side's cells are read a bounded number of times, so the whole diff is
 * linear. */
#include "analyses.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mph_diff {
    const mph_snapshot *old_s, *new_s;
    mph_diff_summary sum;
    size_t n_pairs;
    mph_area_pair *pairs;
    unsigned char *class_buf;
    long *pair_of_new; /* NEW area -> pair */
    mph__allocs news, gones;
    size_t n_notes;
    char **notes;
};

const char *mph_diff_class_name(mph_diff_class c) {
    static const char *const names[MPH_DIFF_CLASS_COUNT] = {"free", "kept", "freed", "allocated",
                                                            "reused"};
    return (unsigned)c < MPH_DIFF_CLASS_COUNT ? names[c] : "?";
}

static MPH_PRINTF(2, 3) bool note(mph_diff *d, const char *fmt, ...) {
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **v = realloc(d->notes, (d->n_notes + 1) * sizeof *v);
    if (!v)
        return false;
    d->notes = v;
    v[d->n_notes] = mph__strndup(buf, strlen(buf));
    if (!v[d->n_notes])
        return false;
    d->n_notes++;
    return true;
}

static mph_type type_of(char c) {
    int t = mph_type_of_cell(c);
    return t >= 0 ? (mph_type)t : MPH_TYPE_OTHER;
}

/* Is the allocation [start, end) of `a` also exactly an allocation of `b`
 * (same head character, same length)? Reads at most end - start + 1 cells of b. */
static bool same_alloc(const char *a, const char *b, size_t nb, size_t start, size_t end) {
    if (end > nb || b[start] != a[start])
        return false;
    size_t len = end - start;
    size_t limit = end + 1 < nb ? end + 1 : nb;
    size_t tails = start + 1 < limit ? mph__run_length(b, limit, start + 1, '=') : 0;
    return tails == len - 1;
}

static void set_class(mph_area_pair *p, unsigned char *cls, size_t from, size_t to,
                      mph_diff_class c) {
    if (to <= from)
        return;
    memset(cls + from, c, to - from);
    p->blocks[c] += to - from;
}

/* Classify blocks [from, to) that are free on the OLD side, against NEW. */
static void old_free(mph_area_pair *p, unsigned char *cls, const char *N, size_t common,
                     size_t from, size_t to) {
    size_t lim = to < common ? to : common;
    size_t j = from;
    while (j < lim) {
        if (N[j] == '.') {
            size_t r = mph__run_length(N, lim, j, '.');
            set_class(p, cls, j, j + r, MPH_DIFF_FREE);
            j += r;
        } else {
            cls[j++] = MPH_DIFF_ALLOCATED;
            p->blocks[MPH_DIFF_ALLOCATED]++;
        }
    }
    // Beyond NEW's end (the area shrank): nothing was there to allocate.
    set_class(p, cls, from > common ? from : common, to, MPH_DIFF_FREE);
}

static bool push_alloc(mph__allocs *list, const mph_snapshot *s, size_t area, size_t start,
                       size_t len, char head) {
    mph_alloc a;
    a.area = area;
    a.block = start;
    a.n_blocks = len;
    a.address = mph_snapshot_block_address(s, area, start);
    a.type = type_of(head);
    a.orphan = mph__cell_class[(unsigned char)head] != CELL_HEAD;
    return mph__allocs_push(list, &a);
}

static bool diff_pair(mph_diff *d, mph_area_pair *p, unsigned char *cls) {
    const mph_area *oa = p->old_area >= 0 ? &d->old_s->areas[p->old_area] : NULL;
    const mph_area *na = p->new_area >= 0 ? &d->new_s->areas[p->new_area] : NULL;
    const char *O = oa ? oa->cells : NULL, *N = na ? na->cells : NULL;
    size_t no = oa ? oa->n_blocks : 0, nn = na ? na->n_blocks : 0;
    size_t common = p->common_blocks;
    mph_diff_summary *sum = &d->sum;
    for (size_t i = 0; i < no;) {
        if (O[i] == '.') {
            size_t run = mph__run_length(O, no, i, '.');
            old_free(p, cls, N, common, i, i + run);
            i += run;
            continue;
        }
        size_t start = i++;
        if (i < no && O[i] == '=')
            i += mph__run_length(O, no, i, '=');
        size_t len = i - start;
        mph_diff_type *t = &sum->by_type[type_of(O[start])];
        t->old_count++;
        t->old_blocks += len;
        if (N && same_alloc(O, N, nn, start, i)) {
            set_class(p, cls, start, i, MPH_DIFF_KEPT);
            t->kept++;
            t->kept_blocks += len;
            continue;
        }
        size_t lim = i < common ? i : common;
        for (size_t j = start; j < lim; j++) {
            mph_diff_class c = N[j] == '.' ? MPH_DIFF_FREED : MPH_DIFF_REUSED;
            cls[j] = (unsigned char)c;
            p->blocks[c]++;
        }
        set_class(p, cls, start > common ? start : common, i, MPH_DIFF_FREED);
        t->gone_count++;
        t->gone_blocks += len;
        if (!push_alloc(&d->gones, d->old_s, (size_t)p->old_area, start, len, O[start]))
            return false;
    }
    for (size_t i = 0; i < nn;) {
        if (N[i] == '.') {
            size_t run = mph__run_length(N, nn, i, '.');
            if (i + run > no)
                set_class(p, cls, i > no ? i : no, i + run, MPH_DIFF_FREE);
            i += run;
            continue;
        }
        size_t start = i++;
        if (i < nn && N[i] == '=')
            i += mph__run_length(N, nn, i, '=');
        size_t len = i - start;
        mph_diff_type *t = &sum->by_type[type_of(N[start])];
        t->new_total_count++;
        t->new_total_blocks += len;
        if (O && same_alloc(N, O, no, start, i))
            continue;
        // Blocks OLD also has were classified with OLD's allocations.
        set_class(p, cls, start > no ? start : no, i, MPH_DIFF_ALLOCATED);
        t->new_count++;
        t->new_blocks += len;
        if (!push_alloc(&d->news, d->new_s, (size_t)p->new_area, start, len, N[start]))
            return false;
    }
    return true;
}

/* ---------------------------------------------------------------- pairing */

static int alloc_cmp(const void *x, const void *y) {
    const mph_alloc *a = x, *b = y;
    if (a->area != b->area)
        return a->area < b->area ? -1 : 1;
    return a->block < b->block ? -1 : a->block > b->block;
}

static uint64_t pair_base(const mph_diff *d, const mph_area_pair *p) {
    if (p->new_area >= 0)
        return d->new_s->areas[p->new_area].base;
    return d->old_s->areas[p->old_area].base;
}

static bool all_bases(const mph_snapshot *s) {
    for (size_t i = 0; i < s->n_areas; i++)
        if (!s->areas[i].has_base)
            return false;
    return s->n_areas > 0;
}

static void add_pair(mph_diff *d, long o, long n) {
    mph_area_pair *p = &d->pairs[d->n_pairs++];
    memset(p, 0, sizeof *p);
    p->old_area = o;
    p->new_area = n;
    size_t no = o >= 0 ? d->old_s->areas[o].n_blocks : 0;
    size_t nn = n >= 0 ? d->new_s->areas[n].n_blocks : 0;
    p->n_blocks = no > nn ? no : nn;
    p->common_blocks = no < nn ? no : nn;
}

/* Pair areas and set the alignment; false when out of memory. */
static bool pair_areas(mph_diff *d) {
    const mph_snapshot *O = d->old_s, *N = d->new_s;
    bool by_address = false;
    if (all_bases(O) && all_bases(N))
        for (size_t i = 0; i < O->n_areas && !by_address; i++)
            for (size_t j = 0; j < N->n_areas; j++)
                if (O->areas[i].base == N->areas[j].base)
                    by_address = true;
    if (!by_address) {
        size_t m = O->n_areas > N->n_areas ? O->n_areas : N->n_areas;
        for (size_t i = 0; i < m; i++)
            add_pair(d, i < O->n_areas ? (long)i : -1, i < N->n_areas ? (long)i : -1);
        d->sum.alignment = MPH_ALIGN_ORDER;
        return true;
    }
    bool *used = calloc(O->n_areas, sizeof *used);
    if (!used)
        return false;
    for (size_t j = 0; j < N->n_areas; j++) {
        long match = -1;
        for (size_t i = 0; i < O->n_areas && match < 0; i++)
            if (!used[i] && O->areas[i].base == N->areas[j].base)
                match = (long)i;
        if (match >= 0)
            used[match] = true;
        add_pair(d, match, (long)j);
    }
    for (size_t i = 0; i < O->n_areas; i++)
        if (!used[i])
            add_pair(d, (long)i, -1);
    free(used);
    // Address order; a few areas at most, so insertion sort.
    for (size_t i = 1; i < d->n_pairs; i++) {
        mph_area_pair x = d->pairs[i];
        size_t j = i;
        while (j > 0 && pair_base(d, &d->pairs[j - 1]) > pair_base(d, &x)) {
            d->pairs[j] = d->pairs[j - 1];
            j--;
        }
        d->pairs[j] = x;
    }
    d->sum.alignment = MPH_ALIGN_ADDRESS;
    return true;
}

static bool describe(mph_diff *d) {
    const mph_snapshot *O = d->old_s, *N = d->new_s;
    char a[32], b[32];
    if (d->sum.alignment == MPH_ALIGN_ORDER) {
        if (all_bases(O) && all_bases(N)) {
            if (!note(d, "no base address in common (OLD from 0x%llx, NEW from 0x%llx), as between "
                         "two runs of a program: areas paired by order, blocks by offset",
                      (unsigned long long)O->areas[0].base, (unsigned long long)N->areas[0].base))
                return false;
        } else if (!note(d, "base addresses not known: areas paired by order, blocks by offset")) {
            return false;
        }
    }
    size_t same = 0;
    for (size_t i = 0; i < d->n_pairs; i++) {
        const mph_area_pair *p = &d->pairs[i];
        if (p->old_area < 0) {
            const mph_area *x = &N->areas[p->new_area];
            if (!note(d, "area %ld of NEW (0x%llx, %s blocks) is not in OLD: the heap grew a new "
                         "area; its used blocks count as allocated",
                      p->new_area + 1, (unsigned long long)x->base, mph__fmt_count(a, x->n_blocks)))
                return false;
        } else if (p->new_area < 0) {
            const mph_area *x = &O->areas[p->old_area];
            if (!note(d, "area %ld of OLD (0x%llx, %s blocks) is not in NEW: the area was given "
                         "back; its used blocks count as freed",
                      p->old_area + 1, (unsigned long long)x->base, mph__fmt_count(a, x->n_blocks)))
                return false;
        } else if (O->areas[p->old_area].n_blocks != N->areas[p->new_area].n_blocks) {
            if (!note(d, "area %ld of OLD has %s blocks, area %ld of NEW %s: compared over the "
                         "first %zu, the rest counts as allocated or freed",
                      p->old_area + 1, mph__fmt_count(a, O->areas[p->old_area].n_blocks),
                      p->new_area + 1, mph__fmt_count(b, N->areas[p->new_area].n_blocks),
                      p->common_blocks))
                return false;
        } else {
            same++;
        }
    }
    if (d->sum.alignment == MPH_ALIGN_ADDRESS && same == d->n_pairs) {
        if (d->n_pairs == 1)
            return note(d, "1 area, at 0x%llx in both, %s blocks",
                        (unsigned long long)N->areas[0].base, mph__fmt_count(a, N->areas[0].n_blocks));
        return note(d, "%zu areas, at the same addresses and of the same sizes in both", same);
    }
    return true;
}

mph_status mph_diff_compute(const mph_snapshot *old_s, const mph_snapshot *new_s, mph_diff **out,
                            mph_error *err) {
    if (!old_s || !new_s || !out) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "a diff needs two snapshots and an output");
        return MPH_ERR_ARG;
    }
    mph_diff *d = calloc(1, sizeof *d);
    if (!d)
        goto nomem;
    d->old_s = old_s;
    d->new_s = new_s;
    d->sum.old_block_size = old_s->block_size;
    d->sum.new_block_size = new_s->block_size;
    d->pair_of_new = malloc((new_s->n_areas ? new_s->n_areas : 1) * sizeof *d->pair_of_new);
    d->pairs = calloc(old_s->n_areas + new_s->n_areas + 1, sizeof *d->pairs);
    if (!d->pair_of_new || !d->pairs)
        goto nomem;
    for (size_t j = 0; j < new_s->n_areas; j++)
        d->pair_of_new[j] = -1;
    if (old_s->block_size && new_s->block_size && old_s->block_size != new_s->block_size) {
        // Different builds: offsets mean different bytes. Compare totals only.
        d->sum.alignment = MPH_ALIGN_NONE;
        mph_stats so, sn;
        mph_status rc = mph_stats_compute(old_s, MPH_ALL_AREAS, &so, err);
        if (!rc)
            rc = mph_stats_compute(new_s, MPH_ALL_AREAS, &sn, err);
        if (rc) {
            mph_diff_free(d);
            return rc;
        }
        for (int t = 0; t < MPH_TYPE_COUNT; t++) {
            d->sum.by_type[t].old_count = so.by_type[t].allocs;
            d->sum.by_type[t].old_blocks = so.by_type[t].blocks;
            d->sum.by_type[t].new_total_count = sn.by_type[t].allocs;
            d->sum.by_type[t].new_total_blocks = sn.by_type[t].blocks;
        }
        if (!note(d, "cannot align the blocks: OLD has blocks of %u bytes, NEW of %u (two "
                     "different builds); only the totals per type are compared",
                  old_s->block_size, new_s->block_size))
            goto nomem;
    } else {
        if (!pair_areas(d))
            goto nomem;
        size_t total = 0;
        for (size_t i = 0; i < d->n_pairs; i++)
            total += d->pairs[i].n_blocks;
        d->class_buf = malloc(total ? total : 1);
        if (!d->class_buf)
            goto nomem;
        size_t offset = 0;
        for (size_t i = 0; i < d->n_pairs; i++) {
            mph_area_pair *p = &d->pairs[i];
            unsigned char *cls = d->class_buf + offset;
            p->classes = cls;
            offset += p->n_blocks;
            if (p->new_area >= 0)
                d->pair_of_new[p->new_area] = (long)i;
            if (!diff_pair(d, p, cls))
                goto nomem;
            for (int c = 0; c < MPH_DIFF_CLASS_COUNT; c++)
                d->sum.blocks[c] += p->blocks[c];
        }
        if (!describe(d))
            goto nomem;
    }
    // Pairs run in address order; the lists go in each side's own order.
    for (int pass = 0; pass < 2; pass++) {
        mph__allocs *l = pass ? &d->gones : &d->news;
        bool sorted = true;
        for (size_t i = 1; i < l->n && sorted; i++)
            sorted = alloc_cmp(&l->v[i - 1], &l->v[i]) < 0;
        if (!sorted)
            qsort(l->v, l->n, sizeof *l->v, alloc_cmp);
    }
    for (int t = 0; t < MPH_TYPE_COUNT; t++) {
        const mph_diff_type *x = &d->sum.by_type[t];
        mph_diff_type *y = &d->sum.total;
        y->kept += x->kept;
        y->kept_blocks += x->kept_blocks;
        y->new_count += x->new_count;
        y->new_blocks += x->new_blocks;
        y->gone_count += x->gone_count;
        y->gone_blocks += x->gone_blocks;
        y->old_count += x->old_count;
        y->old_blocks += x->old_blocks;
        y->new_total_count += x->new_total_count;
        y->new_total_blocks += x->new_total_blocks;
    }
    *out = d;
    return MPH_OK;
nomem:
    mph_diff_free(d);
    mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
    return MPH_ERR_NOMEM;
}

void mph_diff_free(mph_diff *d) {
    if (!d)
        return;
    free(d->pairs);
    free(d->class_buf);
    free(d->pair_of_new);
    mph__allocs_fini(&d->news);
    mph__allocs_fini(&d->gones);
    for (size_t i = 0; i < d->n_notes; i++)
        free(d->notes[i]);
    free(d->notes);
    free(d);
}

const mph_snapshot *mph_diff_old_snapshot(const mph_diff *d) { return d->old_s; }
const mph_snapshot *mph_diff_new_snapshot(const mph_diff *d) { return d->new_s; }
const mph_diff_summary *mph_diff_get_summary(const mph_diff *d) { return &d->sum; }
size_t mph_diff_pair_count(const mph_diff *d) { return d->n_pairs; }
const mph_area_pair *mph_diff_pair_at(const mph_diff *d, size_t i) {
    return i < d->n_pairs ? &d->pairs[i] : NULL;
}
size_t mph_diff_new_count(const mph_diff *d) { return d->news.n; }
const mph_alloc *mph_diff_new_at(const mph_diff *d, size_t i) {
    return i < d->news.n ? &d->news.v[i] : NULL;
}
size_t mph_diff_gone_count(const mph_diff *d) { return d->gones.n; }
const mph_alloc *mph_diff_gone_at(const mph_diff *d, size_t i) {
    return i < d->gones.n ? &d->gones.v[i] : NULL;
}
size_t mph_diff_note_count(const mph_diff *d) { return d->n_notes; }
const char *mph_diff_note_at(const mph_diff *d, size_t i) {
    return i < d->n_notes ? d->notes[i] : NULL;
}

long mph__diff_pair_of_new(const mph_diff *d, size_t new_area) {
    return new_area < d->new_s->n_areas ? d->pair_of_new[new_area] : -1;
}
