/* Two snapshots compared block by block. Areas are paired by base address
 * (or by order when no base is shared: two runs of a program get different
 * addresses), blocks by their offset in the area: never by text position,
 * which drifts at every "(N lines all free)".
 *
 * Most of a heap is the same in both snapshots. A block's class follows from
 * whether it is free on each side, except that a block used on both is KEPT
 * only while its OLD allocation is the same in NEW. An allocation can differ
 * only where the cells do, so the sides are compared 64 blocks at a time (one
 * read gives the classes and bit masks of free blocks, tails and differences)
 * and only the allocations around a differing block are looked at: those of a
 * stretch all at once from the masks, with no step per block. The per-type
 * totals of each side are its mph_stats (kept = OLD's - gone).
 *
 * Memory: one class byte per block. The lists of new and gone allocations
 * are written a chunk at a time when first read (a text report reads only
 * their first lines); like a snapshot's figures, the first reads of a diff
 * must not race with each other. The largest entries of each list are kept
 * while walking (a heap of MPH_DIFF_RANKED), so that a report of the largest
 * needs neither the whole list nor a sort of it. */
#include "analyses.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* List entries written at once when one of them is first read. */
#define CHUNK 1024

/* One area's share of a list (NEW's news or OLD's gones). */
typedef struct list_part {
    size_t first, count; /* its entries are list[first .. first + count) */
    size_t *marks;       /* block of its entries 0, CHUNK, 2 CHUNK, ... */
    bool *filled;        /* per mark: are those entries written yet? */
    size_t n_marks, cap_marks;
} list_part;

/* An entry among a list's largest: its size and place in the list. */
typedef struct rank_entry {
    uint64_t n_blocks;
    size_t area, index; /* the side's area, and the entry's index within that area's part */
    size_t block;       /* its first block */
} rank_entry;

/* A list's largest entries met so far: a heap whose root is the one to leave
 * first (the smallest; among equals, the last in the list). */
typedef struct ranked {
    size_t n;
    uint64_t floor; /* when full, the root's size: a smaller entry cannot get in */
    rank_entry v[MPH_DIFF_RANKED];
} ranked;

/* The news or the gones: one side's allocations that the other lacks. */
typedef struct alloc_list {
    const mph_snapshot *s, *other;
    const long *pair_of;  /* area of s -> pair */
    list_part *parts;     /* per pair: its area of s */
    mph_alloc *v;         /* count entries, allocated at once; pages are touched as filled */
    size_t count;
    ranked heap;          /* while walking */
    size_t n_top;         /* then: the largest min(count, MPH_DIFF_RANKED), as list indexes */
    size_t top[MPH_DIFF_RANKED];
    mph_alloc top_v[MPH_DIFF_RANKED]; /* and as entries: read without writing their chunk */
} alloc_list;

/* OLD's largest free run and the news inside it, worked out when first asked for. */
typedef struct split_memo {
    bool ready;
    mph_diff_split split;
} split_memo;

struct mph_diff {
    const mph_snapshot *old_s, *new_s;
    mph_diff_summary sum;
    size_t n_pairs;
    mph_area_pair *pairs;
    unsigned char *class_buf;
    long *pair_of_old, *pair_of_new; /* area -> pair */
    alloc_list news, gones;
    split_memo *split;
    uint64_t run_used; /* blocks NEW uses in OLD's largest free run (for the split) */
    size_t n_notes;
    char **notes;
    unsigned char type_of[256]; /* head character -> mph_type */
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

/* ------------------------------------------------------------ the classes */

#define ONES UINT64_C(0x0101010101010101)

/* 1 in each byte of w that is '.', else 0. */
static inline uint64_t free_bytes(uint64_t w) {
    return mph__bytes_equal_mask(w, (unsigned char)MPH_CELL_FREE) & ONES;
}

/* The class of a block from whether it is free on each side; both used is
 * KEPT until the OLD allocation turns out to differ. FREE 0, KEPT 1, FREED 2,
 * ALLOCATED 3: (1 + new_free + 2 * old_free) mod 4. */
static inline unsigned first_class(unsigned old_free, unsigned new_free) {
    return (1 + new_free + 2 * old_free) & 3;
}

/* The number of set bits of x. */
static inline unsigned count_bits(uint64_t x) {
#if defined(__GNUC__) && defined(__POPCNT__)
    return (unsigned)__builtin_popcountll(x);
#else
    // Without the instruction the builtin is a library call: add the bits in place.
    x -= x >> 1 & UINT64_C(0x5555555555555555);
    x = (x & UINT64_C(0x3333333333333333)) + (x >> 2 & UINT64_C(0x3333333333333333));
    x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    return (unsigned)((x * ONES) >> 56);
#endif
}

/* Bit k of each mask tells about block k of a stretch of both sides (k < n <= 64). */
typedef struct block_bits {
    uint64_t old_free, new_free, old_tail, new_tail, same;
} block_bits;

/* The classes of a stretch of n (<= 64) blocks both sides have, and its
 * masks: one read of the cells gives both. */
static void scan_stretch(const char *O, const char *N, size_t n, unsigned char *cls,
                         block_bits *bb) {
#if defined(__SSE2__)
    if (n == 64) {
        const __m128i free_cell = _mm_set1_epi8(MPH_CELL_FREE);
        const __m128i tail_cell = _mm_set1_epi8(MPH_CELL_TAIL);
        const __m128i one = _mm_set1_epi8(1), three = _mm_set1_epi8(3);
        block_bits b = {0, 0, 0, 0, 0};
        for (int k = 0; k < 4; k++) {
            __m128i o = _mm_loadu_si128((const __m128i *)(const void *)(O + 16 * k));
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(N + 16 * k));
            __m128i fo = _mm_cmpeq_epi8(o, free_cell), fn = _mm_cmpeq_epi8(v, free_cell);
            // A free block's mask byte is -1: 1 - fn - 2 fo is first_class mod 4.
            __m128i c = _mm_sub_epi8(_mm_sub_epi8(_mm_sub_epi8(one, fn), fo), fo);
            _mm_storeu_si128((__m128i *)(void *)(cls + 16 * k), _mm_and_si128(c, three));
            int shift = 16 * k;
            b.old_free |= (uint64_t)(unsigned)_mm_movemask_epi8(fo) << shift;
            b.new_free |= (uint64_t)(unsigned)_mm_movemask_epi8(fn) << shift;
            b.old_tail |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(o, tail_cell))
                          << shift;
            b.new_tail |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, tail_cell))
                          << shift;
            b.same |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(o, v)) << shift;
        }
        *bb = b;
        return;
    }
#endif
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t wo, wn;
        memcpy(&wo, O + i, 8);
        memcpy(&wn, N + i, 8);
        // No byte exceeds 4: the sum never carries into its neighbour.
        uint64_t c = (ONES + free_bytes(wn) + 2 * free_bytes(wo)) & (3 * ONES);
        memcpy(cls + i, &c, 8);
    }
    for (; i < n; i++)
        cls[i] = (unsigned char)first_class(O[i] == MPH_CELL_FREE, N[i] == MPH_CELL_FREE);
    mph__cell_masks(O, n, &bb->old_free, &bb->old_tail);
    mph__cell_masks(N, n, &bb->new_free, &bb->new_tail);
    bb->same = mph__cells_same_bits(O, N, n);
}

/* Are the 64 cells from p all c? */
static inline bool all_of(const char *p, char c) {
#if defined(__SSE2__)
    const __m128i want = _mm_set1_epi8(c);
    const __m128i *v = (const __m128i *)(const void *)p;
    __m128i ok = _mm_and_si128(
        _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128(v), want), _mm_cmpeq_epi8(_mm_loadu_si128(v + 1), want)),
        _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128(v + 2), want), _mm_cmpeq_epi8(_mm_loadu_si128(v + 3), want)));
    return _mm_movemask_epi8(ok) == 0xffff;
#else
    const uint64_t want = ONES * (unsigned char)c;
    uint64_t bad = 0;
    for (int k = 0; k < 64; k += 8) {
        uint64_t x;
        memcpy(&x, p + k, 8);
        bad |= x ^ want;
    }
    return !bad;
#endif
}

/* The end of the tails from block i on. */
static inline size_t tails_end(const char *cells, size_t n, size_t i) {
    // Most allocations are short: a few cells before going a word at a time;
    // a long one (a big allocation: millions of tails) 64 cells a step.
    for (int k = 0; k < 4; k++, i++)
        if (i >= n || cells[i] != MPH_CELL_TAIL)
            return i;
    if (n - i >= 64 && cells[i + 63] == MPH_CELL_TAIL && all_of(cells + i, MPH_CELL_TAIL)) {
        i += 64;
        while (n - i >= 64 && all_of(cells + i, MPH_CELL_TAIL))
            i += 64;
    }
    return i + mph__run_length(cells, n, i, MPH_CELL_TAIL);
}

/* Classes of blocks [from, to) only one side has: FREE, or `used` where used. */
static void classify_one_side(const char *cells, size_t from, size_t to, unsigned char *cls,
                              mph_diff_class used, uint64_t blocks[MPH_DIFF_CLASS_COUNT]) {
    for (size_t i = from; i < to; i++) {
        mph_diff_class c = cells[i] == MPH_CELL_FREE ? MPH_DIFF_FREE : used;
        cls[i] = (unsigned char)c;
        blocks[c]++;
    }
}

/* The allocation holding block x (cells[x] != '.'): a head and its tails, or
 * tails with no head. */
static void alloc_around(const char *cells, size_t n, size_t x, size_t *start, size_t *end) {
    size_t s = x;
    while (s > 0 && cells[s] == MPH_CELL_TAIL) {
        // Back to the head of a big allocation 64 cells a step.
        if (s >= 64 && cells[s - 64] == MPH_CELL_TAIL && all_of(cells + s - 64, MPH_CELL_TAIL))
            s -= 64;
        else
            s--;
    }
    if (cells[s] == MPH_CELL_FREE) // tails after a free block: an orphan run
        s++;
    *start = s;
    *end = tails_end(cells, n, x + 1);
}

/* ---------------------------------------------------------------- ranking */

/* Does a rank before b: larger, or as large and earlier in the list? */
static inline bool ranks_before(const rank_entry *a, const rank_entry *b) {
    if (a->n_blocks != b->n_blocks)
        return a->n_blocks > b->n_blocks;
    return a->area != b->area ? a->area < b->area : a->index < b->index;
}

static void rank_insert(ranked *r, rank_entry x) {
    size_t i;
    if (r->n < MPH_DIFF_RANKED) {
        for (i = r->n++; i > 0 && ranks_before(&r->v[(i - 1) / 2], &x); i = (i - 1) / 2)
            r->v[i] = r->v[(i - 1) / 2];
        r->v[i] = x;
    } else {
        if (!ranks_before(&x, &r->v[0]))
            return;
        // x replaces the root and sinks below every entry that ranks before it.
        for (i = 0;;) {
            size_t c = 2 * i + 1;
            if (c >= r->n)
                break;
            if (c + 1 < r->n && ranks_before(&r->v[c], &r->v[c + 1]))
                c++;
            if (!ranks_before(&x, &r->v[c]))
                break;
            r->v[i] = r->v[c];
            i = c;
        }
        r->v[i] = x;
    }
    if (r->n == MPH_DIFF_RANKED)
        r->floor = r->v[0].n_blocks;
}

/* Entry `index` of this area's part has n_blocks: one of the largest? Most
 * entries are turned away by one comparison. */
static inline void rank_offer(ranked *r, uint64_t n_blocks, size_t area, size_t index,
                              size_t block) {
    if (n_blocks >= r->floor)
        rank_insert(r, (rank_entry){n_blocks, area, index, block});
}

/* The heap as list indexes and entries, largest first, ties in list order;
 * once the parts know where they start. */
static void rank_finish(alloc_list *l, const unsigned char *type_of) {
    rank_entry *v = l->heap.v;
    // Each entry's index now means the list's; then a sort of at most
    // MPH_DIFF_RANKED by insertion.
    for (size_t i = 0; i < l->heap.n; i++)
        v[i].index += l->parts[l->pair_of[v[i].area]].first;
    for (size_t i = 1; i < l->heap.n; i++) {
        rank_entry x = v[i];
        size_t j = i;
        for (; j > 0 && (v[j - 1].n_blocks < x.n_blocks ||
                         (v[j - 1].n_blocks == x.n_blocks && v[j - 1].index > x.index));
             j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
    for (size_t i = 0; i < l->heap.n; i++) {
        const rank_entry *e = &v[i];
        unsigned char head = (unsigned char)l->s->areas[e->area].cells[e->block];
        l->top[i] = e->index;
        l->top_v[i] = (mph_alloc){e->area, e->block, (size_t)e->n_blocks,
                                  mph_snapshot_block_address(l->s, e->area, e->block),
                                  (mph_type)type_of[head], mph__cell_class[head] != CELL_HEAD};
    }
    l->n_top = l->heap.n;
}

/* ------------------------------------------------------------------ lists */

static bool part_mark(list_part *lp, size_t block) {
    if (lp->n_marks == lp->cap_marks) {
        size_t cap = lp->cap_marks ? 2 * lp->cap_marks : 16;
        size_t *v = realloc(lp->marks, cap * sizeof *v);
        if (!v)
            return false;
        lp->marks = v;
        lp->cap_marks = cap;
    }
    lp->marks[lp->n_marks++] = block;
    return true;
}

/* One more entry of a part, at `block`: only every CHUNK-th is remembered. */
static bool part_add(list_part *lp, size_t block) {
    if (lp->count++ % CHUNK == 0)
        return part_mark(lp, block);
    return true;
}

/* Entries at the blocks base + k of the set bits of `starts`, in order. */
static bool part_add_bits(list_part *lp, uint64_t starts, size_t base) {
    size_t m = count_bits(starts), skip = (CHUNK - lp->count % CHUNK) % CHUNK;
    lp->count += m;
    // The next entry to remember comes `skip` entries on; m < CHUNK: one at most.
    if (skip >= m)
        return true;
    while (skip--)
        starts &= starts - 1;
    return part_mark(lp, base + mph__lowest_bit(starts));
}

static void part_fini(list_part *lp) {
    free(lp->marks);
    free(lp->filled);
}

/* Give each area's part its place in the list, in the side's area order, and
 * room for every entry (written later, when read). */
static bool list_finish(alloc_list *l, const unsigned char *type_of) {
    size_t first = 0;
    for (size_t a = 0; a < l->s->n_areas; a++) {
        list_part *lp = &l->parts[l->pair_of[a]];
        lp->first = first;
        first += lp->count;
        if (lp->n_marks && !(lp->filled = calloc(lp->n_marks, sizeof *lp->filled)))
            return false;
    }
    l->count = first;
    rank_finish(l, type_of);
    // Untouched pages cost no memory: a list read only in part stays small.
    if (first && !(l->v = malloc(first * sizeof *l->v)))
        return false;
    return true;
}

/* Is the allocation [start, end) of `a` also exactly an allocation of `b`
 * (same first cell, same length)? Reads at most end - start + 1 cells of b. */
static bool same_alloc(const char *a, const char *b, size_t nb, size_t start, size_t end) {
    if (!b || end > nb || b[start] != a[start])
        return false;
    return tails_end(b, end + 1 < nb ? end + 1 : nb, start + 1) == end;
}

/* The first block from i on (below n) whose class is `side` (FREED or
 * ALLOCATED) or REUSED: where a block of a listed allocation can be. */
static size_t next_listed(const unsigned char *cls, size_t i, size_t n, mph_diff_class side) {
#if defined(__SSE2__)
    // Listed allocations can be far apart: 64 classes at a time to the next.
    const __m128i mine = _mm_set1_epi8((char)side), reused = _mm_set1_epi8(MPH_DIFF_REUSED);
    for (; i + 64 <= n; i += 64) {
        __m128i hit = _mm_setzero_si128();
        for (int k = 0; k < 64; k += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(cls + i + k));
            hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, mine));
            hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, reused));
        }
        if (_mm_movemask_epi8(hit))
            break;
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, cls + i, 8);
        if (mph__bytes_equal_mask(w, (unsigned char)side) |
            mph__bytes_equal_mask(w, MPH_DIFF_REUSED))
            break;
    }
    while (i < n && cls[i] != side && cls[i] != MPH_DIFF_REUSED)
        i++;
    return i;
}

/* Write the entries of mark k of area a's part: go from block to block of
 * the classes a listed allocation has, and test each allocation found there
 * as the walk did. */
static void fill_chunk(const mph_diff *d, const alloc_list *l, size_t a, size_t k) {
    long pi = l->pair_of[a];
    const list_part *lp = &l->parts[pi];
    const mph_area_pair *p = &d->pairs[pi];
    bool old = l->s == d->old_s;
    long other_index = old ? p->new_area : p->old_area;
    const mph_area *mine = &l->s->areas[a];
    const mph_area *theirs = other_index >= 0 ? &l->other->areas[other_index] : NULL;
    const char *cells = mine->cells, *other = theirs ? theirs->cells : NULL;
    size_t n = mine->n_blocks, n_other = theirs ? theirs->n_blocks : 0;
    size_t i = lp->first + k * CHUNK, last = lp->first + lp->count;
    if (last > i + CHUNK)
        last = i + CHUNK;
    // OLD's listed blocks are freed or reused, NEW's allocated or reused; all used.
    mph_diff_class side = old ? MPH_DIFF_FREED : MPH_DIFF_ALLOCATED;
    for (size_t b = lp->marks[k]; i < last && b < n;) {
        b = next_listed(p->classes, b, n, side);
        if (b == n)
            break;
        size_t start, end;
        alloc_around(cells, n, b, &start, &end);
        b = end;
        if (same_alloc(cells, other, n_other, start, end))
            continue;
        unsigned char head = (unsigned char)cells[start];
        mph_alloc *x = &l->v[i++];
        x->area = a;
        x->block = start;
        x->n_blocks = end - start;
        x->address = mph_snapshot_block_address(l->s, a, start);
        x->type = (mph_type)d->type_of[head];
        x->orphan = mph__cell_class[head] != CELL_HEAD;
    }
    lp->filled[k] = true;
}

static const mph_alloc *list_at(const mph_diff *d, const alloc_list *l, size_t i) {
    if (i >= l->count)
        return NULL;
    // The area that holds entry i: the last whose part starts at or before it.
    size_t lo = 0, hi = l->s->n_areas;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->parts[l->pair_of[mid]].first <= i)
            lo = mid;
        else
            hi = mid;
    }
    const list_part *lp = &l->parts[l->pair_of[lo]];
    while (i >= lp->first + lp->count) // skip areas with no entry
        lp = &l->parts[l->pair_of[++lo]];
    size_t k = (i - lp->first) / CHUNK;
    if (!lp->filled[k]) {
        // A report of the largest reads one entry of many chunks: the ranking has them.
        for (size_t t = 0; t < l->n_top; t++)
            if (l->top[t] == i)
                return &l->top_v[t];
        fill_chunk(d, l, lo, k);
    }
    return &l->v[i];
}

/* --------------------------------------------------------------- one pair */

/* A pair being compared. */
typedef struct pair_walk {
    mph_area_pair *p;
    const char *O, *N;
    size_t common;
    unsigned char *cls;
    size_t classified;  /* classes [0, classified) are written */
    size_t reuse_until; /* a gone allocation's blocks past `classified` up to here are
                           marked when their classes are written */
    uint64_t reused;    /* blocks taken for KEPT that turned out REUSED */
    /* OLD's largest free run when this pair holds it (its common blocks), and
     * the blocks NEW uses there, counted on the way for the split. */
    size_t run_from, run_to;
    uint64_t run_used;
} pair_walk;

/* The blocks of `bits` in the n blocks from base, all KEPT so far, are
 * REUSED: another allocation holds them now. */
static void mark_reused(pair_walk *w, size_t base, size_t n, uint64_t bits) {
    if (!bits)
        return;
    w->reused += count_bits(bits);
    unsigned char *c = w->cls + base;
    size_t i = 0;
    // KEPT (1) + 3 is REUSED (4): eight classes at a time.
    for (; i + 8 <= n; i += 8) {
        uint64_t b = bits >> i & 0xff, x;
        if (!b)
            continue;
        // Bit j of b to the low bit of byte j (seven bits, then the eighth: no carries).
        uint64_t spread = ((b & 0x7f) * UINT64_C(0x0002040810204081) & ONES) | (b >> 7) << 56;
        memcpy(&x, c + i, 8);
        x += 3 * spread;
        memcpy(c + i, &x, 8);
    }
    for (; i < n; i++)
        if (bits >> i & 1)
            c[i] = MPH_DIFF_REUSED;
}

/* One side of a pair: its cells against the other side's. */
typedef struct side_walk {
    const char *mine, *theirs;
    size_t n_mine, n_theirs;
    bool old;        /* OLD's side: its changed allocations are gone, else new */
    list_part *part; /* its share of the gones or the news */
    ranked *heap;    /* the list's largest so far */
    size_t area;     /* its area in its snapshot */
    size_t done;     /* its allocations ending at or before this are settled */
    /* Its changed allocations and their blocks by first cell, added to the
     * totals per type at the end: one step less per allocation. */
    uint64_t allocs_of[256], blocks_of[256];
} side_walk;

/* This side's allocation [s, e) is not the other side's: gone from OLD, or
 * new in NEW. Counted; its entry in the list is the caller's. */
static inline void count_changed(side_walk *sw, size_t s, size_t e) {
    unsigned char c = (unsigned char)sw->mine[s];
    sw->allocs_of[c]++;
    sw->blocks_of[c] += e - s;
}

/* The same, found from the cells. A gone allocation's blocks NEW also uses
 * were taken for KEPT: another allocation holds them now. */
static bool changed(pair_walk *w, side_walk *sw, size_t s, size_t e) {
    count_changed(sw, s, e);
    rank_offer(sw->heap, e - s, sw->area, sw->part->count, s);
    if (sw->old) {
        size_t lim = e < w->classified ? e : w->classified;
        for (size_t i = s; i < lim; i++)
            if (w->cls[i] == MPH_DIFF_KEPT) {
                w->cls[i] = MPH_DIFF_REUSED;
                w->reused++;
            }
        if (e > lim)
            w->reuse_until = e;
    }
    return part_add(sw->part, s);
}

/* The allocation of this side holding block x is not the other side's (once). */
static bool changed_at(pair_walk *w, side_walk *sw, size_t x) {
    if (x < sw->done)
        return true;
    size_t s, e;
    alloc_around(sw->mine, sw->n_mine, x, &s, &e);
    sw->done = e;
    return changed(w, sw, s, e);
}

/* Where one side ends (block m): this side's allocation holding m is not the
 * other's; nor is one ending just before m when the other side's goes on
 * (has a tail at m). Past its end a side has neither a block nor a tail. The
 * rules of settle, for one block. */
static bool settle_at_end(pair_walk *w, side_walk *sw, size_t m) {
    char mine = m < sw->n_mine ? sw->mine[m] : 0, theirs = m < sw->n_theirs ? sw->theirs[m] : 0;
    if (m > 0 && sw->mine[m - 1] != MPH_CELL_FREE && mine != MPH_CELL_TAIL &&
        theirs == MPH_CELL_TAIL && !changed_at(w, sw, m - 1))
        return false;
    return !mine || mine == MPH_CELL_FREE || changed_at(w, sw, m);
}

/* Every marked block's mark passed down to the start of its allocation: a
 * block passes it on to the one below unless it starts an allocation (a used
 * block that does not start one has a used block below, of the same
 * allocation). Six steps of doubling reach across all 64. */
static inline uint64_t fill_down(uint64_t marked, uint64_t starts) {
    uint64_t pass = ~(starts >> 1); // bit k: block k + 1 starts nothing
    for (unsigned step = 1; step < 64; step *= 2) {
        marked |= marked >> step & pass;
        pass &= pass >> step;
    }
    return marked;
}

/* One side's masks over a stretch: bit k tells about block base + k. */
typedef struct side_bits {
    uint64_t used, tail, theirs_tail;
    bool prev_used; /* this side uses block base - 1 */
} side_bits;

/* Settle this side's allocations around the n blocks from base where the
 * sides differ: the one holding a differing block it uses, and the one ending
 * just before a tail of theirs where it has none. By masks: such blocks are
 * marked, each mark goes down to the start of its allocation, and the
 * allocations so found are taken in order, their ends from the tails; only
 * one reaching out of the stretch needs its cells read. kept: for OLD's
 * side, the blocks whose class is KEPT so far. */
static bool settle(pair_walk *w, side_walk *sw, size_t base, size_t n, uint64_t differ,
                   const side_bits *sb, uint64_t kept) {
    uint64_t all = mph__low_bits(n);
    uint64_t used_before = sb->used << 1 | (uint64_t)sb->prev_used;
    // Bit k: an allocation ends at k - 1 where the other side's goes on.
    uint64_t after_end = used_before & ~sb->tail & sb->theirs_tail;
    // One ending just before the stretch lies in the stretch before.
    if ((after_end & 1) && !changed_at(w, sw, base - 1))
        return false;
    uint64_t marked = (differ & sb->used) | after_end >> 1;
    if (sw->done > base) // blocks up to the end of what was settled need nothing more
        marked &= ~mph__low_bits(sw->done - base);
    if (!marked)
        return true;
    uint64_t starts = sb->used & ~(sb->tail & used_before);
    uint64_t held = fill_down(marked, starts);
    // A mark that reached block base without a start: the allocation began earlier.
    if ((held & ~starts & 1) && !changed_at(w, sw, base))
        return false;
    uint64_t found = held & starts;
    if (!found)
        return true;
    if (!part_add_bits(sw->part, found, base))
        return false;
    size_t index = sw->part->count - count_bits(found); // the part's index of the first found
    // An allocation ends at the first block after its start with no tail.
    uint64_t ends = ~sb->tail & all;
    unsigned top = mph__highest_bit(found);
    uint64_t top_ends = ends & (~UINT64_C(1) << top);
    // The last may reach past the stretch: its end from the cells.
    uint64_t inside = top_ends ? found : found & ~(UINT64_C(1) << top);
    const unsigned char *cells = (const unsigned char *)sw->mine + base;
    for (uint64_t x = inside; x; x &= x - 1) {
        unsigned k = mph__lowest_bit(x);
        unsigned e = mph__lowest_bit(ends & (~UINT64_C(1) << k));
        sw->allocs_of[cells[k]]++;
        sw->blocks_of[cells[k]] += e - k;
        rank_offer(sw->heap, e - k, sw->area, index++, base + k);
    }
    if (top_ends) {
        sw->done = base + mph__lowest_bit(top_ends);
    } else {
        sw->done = tails_end(sw->mine, sw->n_mine, base + n);
        count_changed(sw, base + top, sw->done);
        rank_offer(sw->heap, sw->done - (base + top), sw->area, index, base + top);
    }
    if (sw->old) {
        // Their blocks: each start and the run of tails after it (the carry of
        // adding 1 at a run's first tail clears the run).
        uint64_t seeds = found << 1 & sb->tail;
        uint64_t blocks = found | (sb->tail & ~(sb->tail + seeds));
        mark_reused(w, base, n, blocks & kept);
        if (sw->done > base + n) // the last one's blocks in the stretches after this
            w->reuse_until = sw->done;
    }
    return true;
}

/* The free and the tail cell, or 0 for a stretch's masks: are all its
 * blocks free, or all tails? */
static inline char uniform(uint64_t free_m, uint64_t tail_m) {
    return ~free_m == 0 ? MPH_CELL_FREE : ~tail_m == 0 ? MPH_CELL_TAIL : 0;
}

/* Blocks free on each side over a skipped stretch, and free on both. */
typedef struct free_counts {
    uint64_t old_free, new_free, both_free;
} free_counts;

/* After a stretch where OLD is all `a` and NEW all `b` (each free or
 * tails), the stretches from base on that are the same: nothing there can
 * settle an allocation, so they take their classes and counts in bulk, the
 * cells read 64 at a time and nothing else per block. A side with tails
 * where the other differs goes only as far as its settled allocation reaches
 * (up to there settle would find nothing marked); free blocks mark nothing,
 * and the same cells on both sides never differ. Returns where the walk goes
 * on. For a big allocation in an empty heap (or the reverse), the whole run. */
static size_t skip_uniform(pair_walk *w, const side_walk *os, const side_walk *ns, size_t base,
                           char a, char b, free_counts *fc) {
    size_t limit = w->common;
    if (a != b && a == MPH_CELL_TAIL && os->done < limit)
        limit = os->done;
    if (a != b && b == MPH_CELL_TAIL && ns->done < limit)
        limit = ns->done;
    size_t end = base;
    while (end < limit && limit - end >= 64 && all_of(w->O + end, a) && all_of(w->N + end, b))
        end += 64;
    if (end == base)
        return base;
    size_t len = end - base;
    bool old_used = a != MPH_CELL_FREE, new_used = b != MPH_CELL_FREE;
    memset(w->cls + base, (int)first_class(!old_used, !new_used), len);
    if (old_used && new_used && w->reuse_until > base) {
        // A gone allocation of OLD whose blocks NEW still uses: REUSED, as mark_reused does.
        size_t r = (w->reuse_until < end ? w->reuse_until : end) - base;
        memset(w->cls + base, MPH_DIFF_REUSED, r);
        w->reused += r;
    }
    if (new_used && base < w->run_to && end > w->run_from)
        w->run_used += (end < w->run_to ? end : w->run_to) - (base > w->run_from ? base : w->run_from);
    fc->old_free += old_used ? 0 : len;
    fc->new_free += new_used ? 0 : len;
    fc->both_free += old_used || new_used ? 0 : len;
    w->classified = end;
    return end;
}

/* Both sides' allocations that differ in the blocks both have, and the
 * classes of those blocks, 64 at a time. Only where the cells differ can an
 * allocation be other than the same on both sides. */
static bool walk_common(pair_walk *w, side_walk *old_side, side_walk *new_side) {
    const char *O = w->O, *N = w->N;
    uint64_t old_free = 0, new_free = 0, both_free = 0;
    bool old_prev = false, new_prev = false; // block base - 1 used on each side
    for (size_t base = 0; base < w->common;) {
        size_t n = w->common - base < 64 ? w->common - base : 64;
        uint64_t all = mph__low_bits(n);
        block_bits bb;
        scan_stretch(O + base, N + base, n, w->cls + base, &bb);
        w->classified = base + n;
        if (base < w->run_to && base + n > w->run_from) {
            uint64_t in = all;
            if (w->run_from > base)
                in &= ~mph__low_bits(w->run_from - base);
            if (w->run_to < base + n)
                in &= mph__low_bits(w->run_to - base);
            w->run_used += count_bits(in & ~bb.new_free);
        }
        old_free += count_bits(bb.old_free);
        new_free += count_bits(bb.new_free);
        both_free += count_bits(bb.old_free & bb.new_free);
        uint64_t old_used = ~bb.old_free & all, new_used = ~bb.new_free & all;
        if (w->reuse_until > base)
            mark_reused(w, base, n, mph__low_bits(w->reuse_until - base) & old_used & new_used);
        uint64_t differ = ~bb.same & all;
        if (differ) {
            side_bits os = {old_used, bb.old_tail, bb.new_tail, old_prev};
            side_bits ns = {new_used, bb.new_tail, bb.old_tail, new_prev};
            if (!settle(w, old_side, base, n, differ, &os, old_used & new_used) ||
                !settle(w, new_side, base, n, differ, &ns, 0))
                return false;
        }
        old_prev = old_used >> 63;
        new_prev = new_used >> 63;
        base += n;
        char a = uniform(bb.old_free, bb.old_tail), b = uniform(bb.new_free, bb.new_tail);
        if (a && b && n == 64) {
            free_counts fc = {0, 0, 0};
            base = skip_uniform(w, old_side, new_side, base, a, b, &fc);
            old_free += fc.old_free;
            new_free += fc.new_free;
            both_free += fc.both_free;
        }
    }
    uint64_t *blocks = w->p->blocks;
    blocks[MPH_DIFF_FREE] += both_free;
    blocks[MPH_DIFF_ALLOCATED] += old_free - both_free;
    blocks[MPH_DIFF_FREED] += new_free - both_free;
    blocks[MPH_DIFF_KEPT] += w->common - old_free - new_free + both_free;
    return true;
}

/* Past the blocks both have: where one side ends, and all that follows on the other. */
static bool walk_rest(pair_walk *w, side_walk *sw) {
    const char *a = sw->mine;
    size_t common = w->common;
    if (sw->n_mine != sw->n_theirs && !settle_at_end(w, sw, common))
        return false;
    // Past the other side's end every allocation is this side's alone.
    for (size_t i = sw->done > common ? sw->done : common; i < sw->n_mine;) {
        if (a[i] == MPH_CELL_FREE) {
            i += mph__run_length(a, sw->n_mine, i, MPH_CELL_FREE);
            continue;
        }
        size_t s = i;
        i = tails_end(a, sw->n_mine, i + 1);
        if (!changed(w, sw, s, i))
            return false;
    }
    return true;
}

static bool diff_pair(mph_diff *d, size_t pi, unsigned char *cls) {
    mph_area_pair *p = &d->pairs[pi];
    const mph_area *oa = p->old_area >= 0 ? &d->old_s->areas[p->old_area] : NULL;
    const mph_area *na = p->new_area >= 0 ? &d->new_s->areas[p->new_area] : NULL;
    const char *O = oa ? oa->cells : NULL, *N = na ? na->cells : NULL;
    size_t no = oa ? oa->n_blocks : 0, nn = na ? na->n_blocks : 0, common = p->common_blocks;
    if (no > common)
        classify_one_side(O, common, no, cls, MPH_DIFF_FREED, p->blocks);
    if (nn > common)
        classify_one_side(N, common, nn, cls, MPH_DIFF_ALLOCATED, p->blocks);
    pair_walk w = {p, O, N, common, cls, 0, 0, 0, 0, 0, 0};
    const mph_diff_side *so = &d->sum.before;
    if (so->largest_free_blocks && p->old_area == (long)so->largest_free_area &&
        so->largest_free_block < common) {
        w.run_from = so->largest_free_block;
        w.run_to = w.run_from + (size_t)so->largest_free_blocks < common
                       ? w.run_from + (size_t)so->largest_free_blocks
                       : common;
    }
    side_walk old_side = {O, N, no, nn, true, &d->gones.parts[pi], &d->gones.heap,
                          (size_t)p->old_area, 0, {0}, {0}};
    side_walk new_side = {N, O, nn, no, false, &d->news.parts[pi], &d->news.heap,
                          (size_t)p->new_area, 0, {0}, {0}};
    bool ok = walk_common(&w, &old_side, &new_side) && walk_rest(&w, &old_side) &&
              walk_rest(&w, &new_side);
    d->run_used += w.run_used;
    p->blocks[MPH_DIFF_KEPT] -= w.reused;
    p->blocks[MPH_DIFF_REUSED] += w.reused;
    for (int c = 0; c < 256; c++) {
        mph_diff_type *t = &d->sum.by_type[d->type_of[c]];
        t->gone_count += old_side.allocs_of[c];
        t->gone_blocks += old_side.blocks_of[c];
        t->new_count += new_side.allocs_of[c];
        t->new_blocks += new_side.blocks_of[c];
    }
    return ok;
}

/* ---------------------------------------------------------------- pairing */

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

static long *pair_map(size_t n_areas) {
    long *v = malloc((n_areas ? n_areas : 1) * sizeof *v);
    for (size_t i = 0; v && i < n_areas; i++)
        v[i] = -1;
    return v;
}

/* Pair the areas and map each area to its pair: from their bases and sizes,
 * no cell read. False when out of memory. */
static bool align_areas(mph_diff *d) {
    if (!pair_areas(d))
        return false;
    for (size_t i = 0; i < d->n_pairs; i++) {
        const mph_area_pair *p = &d->pairs[i];
        if (p->old_area >= 0)
            d->pair_of_old[p->old_area] = (long)i;
        if (p->new_area >= 0)
            d->pair_of_new[p->new_area] = (long)i;
    }
    return true;
}

/* Room for n class bytes, all of them written next. A big heap's (32 MiB for
 * 512 MiB of blocks of 16) in huge pages where the system allows: 16 page
 * faults rather than 8192, a third of the time or less (Linux; elsewhere,
 * or when refused, ordinary pages). */
static unsigned char *class_alloc(size_t n) {
    unsigned char *p = malloc(n ? n : 1);
#if defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1), hi = ((uintptr_t)p + n) & ~(huge - 1);
    if (p && hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#endif
    return p;
}

/* Classify every pair and build the lists; false when out of memory. */
static bool compare_pairs(mph_diff *d) {
    if (!align_areas(d))
        return false;
    size_t total = 0;
    for (size_t i = 0; i < d->n_pairs; i++)
        total += d->pairs[i].n_blocks;
    d->class_buf = class_alloc(total);
    d->gones.parts = calloc(d->n_pairs ? d->n_pairs : 1, sizeof *d->gones.parts);
    d->news.parts = calloc(d->n_pairs ? d->n_pairs : 1, sizeof *d->news.parts);
    if (!d->class_buf || !d->gones.parts || !d->news.parts)
        return false;
    size_t offset = 0;
    for (size_t i = 0; i < d->n_pairs; i++) {
        mph_area_pair *p = &d->pairs[i];
        unsigned char *cls = d->class_buf + offset;
        p->classes = cls;
        offset += p->n_blocks;
        if (!diff_pair(d, i, cls))
            return false;
        for (int c = 0; c < MPH_DIFF_CLASS_COUNT; c++)
            d->sum.blocks[c] += p->blocks[c];
    }
    // Whatever is not gone is kept: the same allocation on both sides. So
    // NEW's totals are the kept and the new, with no count of NEW's own.
    for (int t = 0; t < MPH_TYPE_COUNT; t++) {
        mph_diff_type *x = &d->sum.by_type[t];
        x->kept = x->old_count - x->gone_count;
        x->kept_blocks = x->old_blocks - x->gone_blocks;
        x->new_total_count = x->kept + x->new_count;
        x->new_total_blocks = x->kept_blocks + x->new_blocks;
    }
    return describe(d) && list_finish(&d->gones, d->type_of) && list_finish(&d->news, d->type_of);
}

/* Blocks that cannot be aligned: a side with no map, or blocks of two sizes.
 * Then *unaligned, MPH_ALIGN_NONE and a note saying why; no cell is read.
 * False when out of memory. */
static bool note_unaligned(mph_diff *d, bool *unaligned) {
    const mph_snapshot *old_s = d->old_s, *new_s = d->new_s;
    bool old_map = old_s->n_areas > 0, new_map = new_s->n_areas > 0;
    *unaligned = true;
    if (!old_map || !new_map) {
        // mem_info() without its argument prints no map: there is nothing to pair.
        d->sum.alignment = MPH_ALIGN_NONE;
        return note(d, "cannot align the blocks: %s (mem_info() printed only its header); "
                       "nothing is compared block by block",
                    !old_map && !new_map ? "neither OLD nor NEW has a map"
                    : !old_map           ? "OLD has no map"
                                         : "NEW has no map");
    }
    if (old_s->block_size && new_s->block_size && old_s->block_size != new_s->block_size) {
        // Different builds: offsets mean different bytes. Compare totals only.
        d->sum.alignment = MPH_ALIGN_NONE;
        return note(d, "cannot align the blocks: OLD has blocks of %u bytes, NEW of %u (two "
                       "different builds); only the totals per type are compared",
                    old_s->block_size, new_s->block_size);
    }
    *unaligned = false;
    return true;
}

static void side_of(mph_diff_side *x, const mph_stats *st) {
    x->block_size = st->block_size;
    x->free_blocks = st->free_blocks;
    x->largest_free_blocks = st->largest_free_blocks;
    x->largest_free_area = st->largest_free_area;
    x->largest_free_block = st->largest_free_block;
    x->largest_free_address = st->largest_free_address;
    x->fragmentation = st->fragmentation;
}

/* A diff of the two with room for its pairs and its area -> pair maps, nothing
 * filled in yet; NULL when out of memory. */
static mph_diff *diff_new(const mph_snapshot *old_s, const mph_snapshot *new_s) {
    mph_diff *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->old_s = old_s;
    d->new_s = new_s;
    d->pair_of_old = pair_map(old_s->n_areas);
    d->pair_of_new = pair_map(new_s->n_areas);
    d->pairs = calloc(old_s->n_areas + new_s->n_areas + 1, sizeof *d->pairs);
    if (!d->pair_of_old || !d->pair_of_new || !d->pairs) {
        mph_diff_free(d);
        return NULL;
    }
    return d;
}

mph_status mph_diff_compute(const mph_snapshot *old_s, const mph_snapshot *new_s, mph_diff **out,
                            mph_error *err) {
    if (!old_s || !new_s || !out) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "a diff needs two snapshots and an output");
        return MPH_ERR_ARG;
    }
    mph_diff *d = diff_new(old_s, new_s);
    if (!d)
        goto nomem;
    d->sum.old_block_size = old_s->block_size;
    d->sum.new_block_size = new_s->block_size;
    for (int c = 0; c < 256; c++) {
        int t = mph_type_of_cell((char)c);
        d->type_of[c] = (unsigned char)(t >= 0 ? t : MPH_TYPE_OTHER);
    }
    d->split = calloc(1, sizeof *d->split);
    if (!d->split)
        goto nomem;
    d->gones.s = d->news.other = old_s;
    d->news.s = d->gones.other = new_s;
    d->gones.pair_of = d->pair_of_old;
    d->news.pair_of = d->pair_of_new;
    // OLD's totals per type from its stats; NEW's free memory from the
    // figures of reading (its totals per type come from the comparison).
    mph_stats so, sn;
    mph_status rc = mph_stats_compute(old_s, MPH_ALL_AREAS, &so, err);
    if (rc) {
        mph_diff_free(d);
        return rc;
    }
    mph__snapshot_figures(new_s, &sn);
    side_of(&d->sum.before, &so);
    side_of(&d->sum.after, &sn);
    for (int t = 0; t < MPH_TYPE_COUNT; t++) {
        d->sum.by_type[t].old_count = so.by_type[t].allocs;
        d->sum.by_type[t].old_blocks = so.by_type[t].blocks;
    }
    bool unaligned;
    if (!note_unaligned(d, &unaligned) || (!unaligned && !compare_pairs(d)))
        goto nomem;
    if (d->sum.alignment == MPH_ALIGN_NONE) {
        // Nothing compared: NEW's totals per type are its own count.
        if ((rc = mph_stats_compute(new_s, MPH_ALL_AREAS, &sn, err))) {
            mph_diff_free(d);
            return rc;
        }
        for (int t = 0; t < MPH_TYPE_COUNT; t++) {
            d->sum.by_type[t].new_total_count = sn.by_type[t].allocs;
            d->sum.by_type[t].new_total_blocks = sn.by_type[t].blocks;
        }
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

static void list_fini(alloc_list *l, size_t n_pairs) {
    for (size_t i = 0; l->parts && i < n_pairs; i++)
        part_fini(&l->parts[i]);
    free(l->parts);
    free(l->v);
}

void mph_diff_free(mph_diff *d) {
    if (!d)
        return;
    list_fini(&d->news, d->n_pairs);
    list_fini(&d->gones, d->n_pairs);
    free(d->pairs);
    free(d->class_buf);
    free(d->pair_of_old);
    free(d->pair_of_new);
    free(d->split);
    for (size_t i = 0; i < d->n_notes; i++)
        free(d->notes[i]);
    free(d->notes);
    free(d);
}

mph_status mph__diff_align(const mph_snapshot *old_s, const mph_snapshot *new_s, mph_diff **out,
                            mph_error *err) {
    mph_diff *d = diff_new(old_s, new_s);
    bool unaligned;
    if (!d || !note_unaligned(d, &unaligned) || (!unaligned && !(align_areas(d) && describe(d))))
        goto nomem;
    *out = d;
    return MPH_OK;
nomem:
    mph_diff_free(d);
    mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
    return MPH_ERR_NOMEM;
}

const mph_snapshot *mph_diff_old_snapshot(const mph_diff *d) { return d->old_s; }
const mph_snapshot *mph_diff_new_snapshot(const mph_diff *d) { return d->new_s; }
const mph_diff_summary *mph_diff_get_summary(const mph_diff *d) { return &d->sum; }
size_t mph_diff_pair_count(const mph_diff *d) { return d->n_pairs; }
const mph_area_pair *mph_diff_pair_at(const mph_diff *d, size_t i) {
    return i < d->n_pairs ? &d->pairs[i] : NULL;
}
size_t mph_diff_new_count(const mph_diff *d) { return d->news.count; }
const mph_alloc *mph_diff_new_at(const mph_diff *d, size_t i) { return list_at(d, &d->news, i); }
size_t mph_diff_gone_count(const mph_diff *d) { return d->gones.count; }
const mph_alloc *mph_diff_gone_at(const mph_diff *d, size_t i) { return list_at(d, &d->gones, i); }

mph_status mph_diff_largest(const mph_diff *d, bool gone, size_t k, size_t *idx, size_t *n_out,
                           mph_error *err) {
    if (!d || (k && !idx) || !n_out) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no diff, index array or count");
        return MPH_ERR_ARG;
    }
    const alloc_list *l = gone ? &d->gones : &d->news;
    size_t n = k < l->count ? k : l->count;
    if (n <= l->n_top) {
        if (n)
            memcpy(idx, l->top, n * sizeof *idx);
        *n_out = n;
        return MPH_OK;
    }
    // More than were ranked while walking: every entry, sorted.
    mph__sized *v = malloc(l->count * sizeof *v);
    if (!v) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    for (size_t i = 0; i < l->count; i++)
        v[i] = (mph__sized){list_at(d, l, i)->n_blocks, i};
    qsort(v, l->count, sizeof *v, mph__by_size_desc);
    for (size_t i = 0; i < n; i++)
        idx[i] = v[i].index;
    free(v);
    *n_out = n;
    return MPH_OK;
}

/* ------------------------------------------------------------------ split */

/* The first of the news of part pi (one area's, in block order) that ends
 * after `block` (by_end) or starts at or after it. The marks (every CHUNK-th
 * entry's block) narrow it to one chunk before any entry is written. */
static size_t first_news(const mph_diff *d, long pi, size_t block, bool by_end) {
    const list_part *lp = &d->news.parts[pi];
    if (!lp->count)
        return lp->first;
    // The last chunk starting at or before the block (an entry can end past it).
    size_t lo = 0, hi = lp->n_marks;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (lp->marks[mid] <= block)
            lo = mid;
        else
            hi = mid;
    }
    size_t from = lp->first + lo * CHUNK, to = lp->first + (lo + 1) * CHUNK;
    if (to > lp->first + lp->count)
        to = lp->first + lp->count;
    while (from < to) {
        size_t mid = from + (to - from) / 2;
        const mph_alloc *a = list_at(d, &d->news, mid);
        if (by_end ? a->block + a->n_blocks > block : a->block >= block)
            to = mid;
        else
            from = mid + 1;
    }
    return from;
}

static void compute_split(const mph_diff *d, mph_diff_split *x) {
    memset(x, 0, sizeof *x);
    x->new_area = -1;
    if (d->sum.alignment == MPH_ALIGN_NONE)
        return;
    x->aligned = true;
    const mph_diff_side *so = &d->sum.before;
    if (!so->largest_free_blocks || so->largest_free_area >= d->old_s->n_areas)
        return;
    x->has_run = true;
    x->old_area = so->largest_free_area;
    x->block = so->largest_free_block;
    x->n_blocks = (size_t)so->largest_free_blocks;
    x->address = so->largest_free_address;
    long pi = d->pair_of_old[x->old_area];
    const mph_area_pair *p = &d->pairs[pi];
    x->new_area = p->new_area;
    if (p->new_area < 0 || x->block >= p->common_blocks)
        return;
    size_t end = x->block + x->n_blocks < p->common_blocks ? x->block + x->n_blocks
                                                             : p->common_blocks;
    x->common_blocks = end - x->block;
    // OLD is free there, so every allocation of NEW that reaches into it is
    // new: the news inside are one stretch of the list.
    x->used_blocks = d->run_used;
    if (!x->used_blocks)
        return;
    x->first = first_news(d, pi, x->block, true);
    x->count = first_news(d, pi, end, false) - x->first;
}

const mph_diff_split *mph_diff_get_split(const mph_diff *d) {
    if (!d->split->ready) {
        compute_split(d, &d->split->split);
        d->split->ready = true;
    }
    return &d->split->split;
}

size_t mph_diff_note_count(const mph_diff *d) { return d->n_notes; }
const char *mph_diff_note_at(const mph_diff *d, size_t i) {
    return i < d->n_notes ? d->notes[i] : NULL;
}

long mph__diff_pair_of_new(const mph_diff *d, size_t new_area) {
    return new_area < d->new_s->n_areas ? d->pair_of_new[new_area] : -1;
}

long mph__diff_pair_of_old(const mph_diff *d, size_t old_area) {
    return old_area < d->old_s->n_areas ? d->pair_of_old[old_area] : -1;
}
