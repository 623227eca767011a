/* Plain-text reports of the analyses: stats, diff, timeline (with charts)
 * and checks. Every figure comes from the structs the JSON renderer reads. */
#include "../analyses.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* End a line without the blanks an empty last column left. */
static void endl(mph_outbuf *o) {
    while (o->len && o->buf[o->len - 1] == ' ')
        o->len--;
    mph__out_putc(o, '\n');
}

static double pct(uint64_t part, uint64_t whole) {
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* "259,072" or, from 1 KiB on, "259,072 (253.0 KiB)". */
static const char *bytes_text(char buf[64], uint64_t bytes) {
    char a[32];
    char *p = mph__put_str(buf, mph__fmt_count(a, bytes)); // 26 bytes at most
    if (bytes >= 1024) {
        p = mph__put_str(p, " (");
        p = mph__put_str(p, mph__fmt_size(a, bytes)); // 28 at most
        *p++ = ')';
    }
    *p = '\0';
    return buf;
}

/* "44,672 bytes (43.6 KiB)", for sentences. */
static const char *bytes_words(char buf[64], uint64_t bytes) {
    char a[32], b[32];
    if (bytes < 1024)
        snprintf(buf, 64, "%s bytes", mph__fmt_count(a, bytes));
    else
        snprintf(buf, 64, "%s bytes (%s)", mph__fmt_count(a, bytes), mph__fmt_size(b, bytes));
    return buf;
}

static void put_label(mph_outbuf *o, const char *s, size_t width) {
    size_t n = strlen(s);
    if (n > width) {
        mph__out_write(o, s, width - 3);
        mph__out_puts(o, "...");
    } else {
        mph__out_puts(o, s);
        for (size_t i = n; i < width; i++)
            mph__out_putc(o, ' ');
    }
}

/* ------------------------------------------------------------------ stats */

static void size_row(mph_outbuf *o, const char *what, uint64_t blocks, unsigned bpb,
                     const char *tail) {
    char a[32], b[64];
    mph__out_col(o, what, 20, false);
    mph__out_putc(o, ' ');
    mph__out_col(o, mph__fmt_count(a, blocks), 12, true);
    mph__out_puts(o, "  ");
    const char *bytes = bpb ? bytes_text(b, blocks * bpb) : "?";
    if (tail) {
        mph__out_col(o, bytes, 24, false);
        mph__out_putc(o, ' ');
        mph__out_puts(o, tail);
    } else {
        mph__out_puts(o, bytes);
    }
    mph__out_putc(o, '\n');
}

static void range_text(char buf[64], unsigned k, unsigned bpb, bool bytes) {
    uint64_t lo = mph_histogram_bucket_min(k), hi = mph_histogram_bucket_max(k);
    uint64_t mul = bytes ? bpb : 1;
    char *p = mph__put_dec(buf, lo * mul, 0);
    if (hi == UINT64_MAX) {
        *p++ = '+';
    } else if (lo != hi) {
        *p++ = '-';
        p = mph__put_dec(p, hi * mul, 0);
    }
    *p = '\0';
}

static void histogram(mph_outbuf *o, const char *title, const char *what, const uint64_t *counts,
                      const uint64_t *blocks, unsigned bpb) {
    char a[32], b[32], c[32], r1[64], r2[64];
    mph__out_printf(o, "\n%s\n  %-12s %-18s %10s %10s %14s", title, "blocks", bpb ? "bytes" : "",
                    what, "blocks", bpb ? "bytes" : "");
    endl(o);
    for (unsigned k = 0; k < MPH_HISTOGRAM_BUCKETS; k++) {
        if (!counts[k])
            continue;
        range_text(r1, k, bpb, false);
        if (bpb)
            range_text(r2, k, bpb, true);
        else
            r2[0] = '\0';
        mph__out_puts(o, "  ");
        mph__out_col(o, r1, 12, false);
        mph__out_putc(o, ' ');
        mph__out_col(o, r2, 18, false);
        mph__out_putc(o, ' ');
        mph__out_col(o, mph__fmt_count(a, counts[k]), 10, true);
        mph__out_putc(o, ' ');
        mph__out_col(o, mph__fmt_count(b, blocks[k]), 10, true);
        mph__out_putc(o, ' ');
        mph__out_col(o, bpb ? mph__fmt_count(c, blocks[k] * bpb) : "", 14, true);
        endl(o);
    }
}

static void where(char buf[96], const mph_stats_report *r, const mph_stats *st) {
    if (st->largest_free_address)
        snprintf(buf, 96, "at 0x%llx", (unsigned long long)st->largest_free_address);
    else
        snprintf(buf, 96, "at block %zu", st->largest_free_block);
    if (r->n_areas > 1) {
        size_t n = strlen(buf);
        snprintf(buf + n, 96 - n, " (area %zu)", st->largest_free_area + 1);
    }
}

/* No whole map: the header's figures, said as such (the summary's own lines);
 * no per-type counts or histograms to give. */
static mph_status stats_from_header(const mph_snapshot *s, const mph_text_options *opt,
                                    mph_sink *sink, mph_error *err) {
    mph_outbuf *o = mph__out_new(sink, err);
    if (!o)
        return err ? err->code : MPH_ERR_NOMEM;
    mph__out_printf(o, "%s\n", opt->name ? opt->name : "");
    mph_status rc = mph__out_close(o, err);
    mph_ansi_options plain = {1, false, MPH_PALETTE_MONO, false, 1, false, NULL, MPH_COLORS_256, 0};
    if (!rc)
        rc = mph_render_ansi_summary(s, &plain, sink, err);
    if (rc || !(o = mph__out_new(sink, err)))
        return rc ? rc : MPH_ERR_NOMEM;
    mph__out_puts(o, "(allocations by type and size, and free runs, need the whole map)\n");
    return mph__out_close(o, err);
}

mph_status mph_render_text_stats(const mph_stats_report *r, const mph_text_options *opt,
                                 mph_sink *sink, mph_error *err) {
    if (!r || !opt) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no report or options");
        return MPH_ERR_ARG;
    }
    const mph_snapshot *s = r->snapshot;
    if (mph_snapshot_header_only(s) || mph_snapshot_map_partial(s))
        return stats_from_header(s, opt, sink, err);
    mph_outbuf *o = mph__out_new(sink, err);
    if (!o)
        return err ? err->code : MPH_ERR_NOMEM;
    const mph_stats *st = &r->total.stats;
    unsigned bpb = r->block_size;
    char a[32], b[32], c[32], d[96], e[64];
    const char *label = mph_snapshot_label(s);
    mph__out_printf(o, "%s%s%s%s\n", opt->name ? opt->name : "heap", label ? ": \"" : "",
                    label ? label : "", label ? "\"" : "");
    if (bpb)
        mph__out_printf(o, "%zu area%s, blocks of %u bytes\n\n", r->n_areas,
                        r->n_areas == 1 ? "" : "s", bpb);
    else
        mph__out_printf(o, "%zu area%s, block size unknown (give --block-size for bytes)\n\n",
                        r->n_areas, r->n_areas == 1 ? "" : "s");
    mph__out_printf(o, "%-20s %12s  %s\n", "", "blocks", "bytes");
    size_row(o, "heap", st->total_blocks, bpb, NULL);
    snprintf(d, sizeof d, "%5.1f%%", pct(st->used_blocks, st->total_blocks));
    size_row(o, "used", st->used_blocks, bpb, d);
    snprintf(d, sizeof d, "%5.1f%%", pct(st->free_blocks, st->total_blocks));
    size_row(o, "free", st->free_blocks, bpb, d);
    if (st->largest_free_blocks) {
        where(d, r, st);
        size_row(o, "largest free run", st->largest_free_blocks, bpb, d);
    } else {
        size_row(o, "largest free run", 0, bpb, "none: the heap is full");
    }
    size_row(o, "free above the top", st->free_above_top_blocks, bpb,
             r->n_areas > 1 ? "after each area's last allocation" : "after the last allocation");
    mph__out_printf(o, "%-20s %11.1f%%  (1 - largest free / total free)\n", "fragmentation",
                    100.0 * st->fragmentation);
    mph__out_printf(o, "%-20s %12s\n", "free runs", mph__fmt_count(a, st->free_runs));
    mph__out_printf(o, "%-20s %12s  (1 block: %s, 2 blocks: %s, largest: %s)\n", "allocations",
                    mph__fmt_count(a, st->allocs), mph__fmt_count(b, st->n_1block),
                    mph__fmt_count(c, st->n_2block),
                    mph__fmt_blocks(d, st->max_alloc_blocks, bpb));
    if (st->orphan_tails)
        mph__out_printf(o, "%-20s %12s  (tails with no head: a damaged dump)\n", "orphan tails",
                        mph__fmt_count(a, st->orphan_tails));

    mph__out_printf(o, "\n%-20s %10s %10s %14s %7s\n", "by type", "allocs", "blocks",
                    bpb ? "bytes" : "", "share");
    for (int t = 0; t < MPH_TYPE_COUNT; t++) {
        const mph_type_stats *ts = &st->by_type[t];
        if (!ts->allocs)
            continue;
        d[0] = mph_type_letter((mph_type)t);
        d[1] = ' ';
        *mph__put_str(d + 2, mph_type_name((mph_type)t)) = '\0';
        mph__out_puts(o, "  ");
        mph__out_col(o, d, 18, false);
        mph__out_putc(o, ' ');
        mph__out_col(o, mph__fmt_count(a, ts->allocs), 10, true);
        mph__out_putc(o, ' ');
        mph__out_col(o, mph__fmt_count(b, ts->blocks), 10, true);
        mph__out_putc(o, ' ');
        mph__out_col(o, bpb ? mph__fmt_count(c, ts->blocks * bpb) : "", 14, true);
        mph__out_printf(o, " %6.1f%%\n", pct(ts->blocks, st->used_blocks));
    }
    mph__out_printf(o, "  %-18s %10s %10s %14s", "total", mph__fmt_count(a, st->allocs),
                    mph__fmt_count(b, st->used_blocks),
                    bpb ? mph__fmt_count(c, st->used_blocks * bpb) : "");
    endl(o);

    histogram(o, "allocation sizes (power-of-two buckets)", "allocs", st->alloc_histogram,
              r->total.alloc_histogram_blocks, bpb);
    histogram(o, "free run sizes", "runs", st->free_histogram, r->total.free_histogram_blocks, bpb);

    if (r->n_fit) {
        mph__out_puts(o, "\nbuffers that still fit (each in one free run)\n");
        for (size_t f = 0; f < r->n_fit; f++) {
            if (!bpb)
                mph__out_printf(o, "  %s bytes: unknown (no block size)\n",
                                mph__fmt_count(a, r->fit_bytes[f]));
            else
                mph__out_printf(o, "  %10s bytes (%s block%s): %s\n",
                                mph__fmt_count(a, r->fit_bytes[f]),
                                mph__fmt_count(b, r->fit_blocks[f]),
                                r->fit_blocks[f] == 1 ? "" : "s",
                                mph__fmt_count(c, r->total.fit_count[f]));
        }
    }

    if (r->n_areas > 1) {
        mph__out_printf(o, "\n%-6s %-18s %10s %8s %8s %14s %7s %8s\n", "areas", "base", "blocks",
                        "used", "free", "largest free", "frag", "allocs");
        for (size_t i = 0; i < r->n_areas; i++) {
            const mph_stats *x = &r->areas[i].stats;
            const mph_area *ar = mph_snapshot_area(s, i);
            if (ar->has_base)
                snprintf(d, sizeof d, "0x%llx", (unsigned long long)ar->base);
            else
                snprintf(d, sizeof d, "?");
            mph__out_printf(o, "  %-4zu %-18s %10s %7.1f%% %7.1f%% %14s %6.1f%% %8s\n", i + 1, d,
                            mph__fmt_count(a, x->total_blocks), pct(x->used_blocks, x->total_blocks),
                            pct(x->free_blocks, x->total_blocks),
                            mph__fmt_blocks(e, x->largest_free_blocks, bpb),
                            100.0 * x->fragmentation, mph__fmt_count(b, x->allocs));
        }
    }
    return mph__out_close(o, err);
}

/* ------------------------------------------------------------------- diff */

static const char *side_name(const mph_text_options *opt, bool old) {
    const char *n = old ? opt->old_name : opt->new_name;
    return n ? n : old ? "OLD" : "NEW";
}

static void put_side(mph_outbuf *o, const char *tag, const char *name, const mph_snapshot *s) {
    const char *label = mph_snapshot_label(s);
    mph__out_printf(o, "%s  %s", tag, name);
    if (label)
        mph__out_printf(o, ": \"%s\"", label);
    mph__out_putc(o, '\n');
}

/* "+3 +1,024" style signed figures. */
static const char *signed_count(char buf[40], uint64_t plus, uint64_t minus) {
    char a[32];
    if (plus >= minus)
        snprintf(buf, 40, "%s%s", plus > minus ? "+" : "", mph__fmt_count(a, plus - minus));
    else
        snprintf(buf, 40, "-%s", mph__fmt_count(a, minus - plus));
    return buf;
}

static void alloc_line(mph_outbuf *o, const mph_alloc *x, const mph_snapshot *s, unsigned bpb) {
    char a[32], b[48], addr[40];
    if (x->address)
        snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)x->address);
    else if (mph_snapshot_area_count(s) > 1)
        snprintf(addr, sizeof addr, "area %zu block %zu", x->area + 1, x->block);
    else
        snprintf(addr, sizeof addr, "block %zu", x->block);
    mph__out_printf(o, "  %-18s %c %-16s %8s block%s", addr, mph_type_letter(x->type),
                    mph_type_name(x->type), mph__fmt_count(a, x->n_blocks),
                    x->n_blocks == 1 ? " " : "s");
    if (bpb)
        mph__out_printf(o, " %12s bytes", mph__fmt_count(b, x->n_blocks * bpb));
    mph__out_putc(o, '\n');
}

/* The news or the gones, largest first: only as many as are shown are ranked. */
static mph_status alloc_list(mph_outbuf *o, const char *title, const mph_diff *d, bool gone,
                             size_t max_list, mph_error *err) {
    size_t n = gone ? mph_diff_gone_count(d) : mph_diff_new_count(d);
    const mph_snapshot *s = gone ? mph_diff_old_snapshot(d) : mph_diff_new_snapshot(d);
    char a[32];
    mph__out_printf(o, "\n%s (%s)%s\n", title, mph__fmt_count(a, n), n ? ", largest first" : ": none");
    size_t want = max_list && max_list < n ? max_list : n, shown = 0;
    size_t *idx = want ? malloc(want * sizeof *idx) : NULL;
    if (want && !idx) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    mph_status st = mph_diff_largest(d, gone, want, idx, &shown, err);
    for (size_t i = 0; !st && i < shown; i++)
        alloc_line(o, gone ? mph_diff_gone_at(d, idx[i]) : mph_diff_new_at(d, idx[i]), s,
                   mph_snapshot_block_size(s));
    free(idx);
    if (!st && shown < n)
        mph__out_printf(o, "  ... and %s more (--list all shows them)\n",
                        mph__fmt_count(a, n - shown));
    return st;
}

/* A side's largest free run as the headline shows it: its size (in bytes
 * when both sides know theirs) or why it is not known. */
static const char *largest_text(char buf[64], bool known, const mph_diff_side *st, unsigned mul) {
    char a[32];
    if (!known)
        snprintf(buf, 64, "unknown (no map, no max free sz)");
    else if (!st->largest_free_blocks)
        snprintf(buf, 64, "none");
    else
        snprintf(buf, 64, "%s", mph__fmt_count(a, st->largest_free_blocks * mul));
    return buf;
}

/* Where a run starts: "0x3f001000", "block 12", with " (area 2)" when there are several. */
static const char *run_at(char buf[64], uint64_t address, size_t area, size_t block,
                          size_t n_areas) {
    int k = address ? snprintf(buf, 64, "0x%llx", (unsigned long long)address)
                    : snprintf(buf, 64, "block %zu", block);
    if (n_areas > 1 && k > 0 && k < 64)
        snprintf(buf + k, 64 - (size_t)k, " (area %zu)", area + 1);
    return buf;
}

/* A side with no map: its free memory from its header (max free sz, GC
 * free over the block size). Returns what the header gives (MPH__HDR_*). */
static unsigned header_side(const mph_snapshot *s, mph_diff_side *x) {
    mph_stats st;
    memset(&st, 0, sizeof st);
    unsigned known = mph__header_figures(s, &st);
    memset(x, 0, sizeof *x);
    x->block_size = st.block_size;
    x->free_blocks = st.free_blocks;
    x->largest_free_blocks = st.largest_free_blocks;
    x->fragmentation = st.fragmentation;
    return known;
}

/* A side's used and free bytes: its header's GC line, else its map's with a block size. */
static bool side_usage(const mph_snapshot *s, uint64_t *used, uint64_t *free_bytes) {
    const mph_header *h = mph_snapshot_header(s);
    if (h->has_gc) {
        *used = h->gc_used;
        *free_bytes = h->gc_free;
        return true;
    }
    unsigned bpb = mph_snapshot_block_size(s);
    if (mph_snapshot_header_only(s) || !bpb)
        return false;
    mph_stats st;
    mph__snapshot_figures(s, &st);
    *used = st.used_blocks * bpb;
    *free_bytes = st.free_blocks * bpb;
    return true;
}

static void usage_line(mph_outbuf *o, const char *what, bool old_ok, uint64_t was, bool new_ok,
                       uint64_t now) {
    char a[32], b[32], c[40];
    mph__out_printf(o, "%-14s%s -> %s bytes", what, old_ok ? mph__fmt_count(a, was) : "unknown",
                    new_ok ? mph__fmt_count(b, now) : "unknown");
    if (old_ok && new_ok)
        mph__out_printf(o, " (%s)", was == now ? "unchanged" : signed_count(c, now, was));
    mph__out_putc(o, '\n');
}

/* Before and after, at the top: the largest free run and fragmentation. A
 * side with no map has its header's figures (and used and free, which then
 * are all there is to compare); no place in the heap. */
static void free_headline(mph_outbuf *o, const mph_diff *d) {
    const mph_diff_summary *sum = mph_diff_get_summary(d);
    const mph_snapshot *O = mph_diff_old_snapshot(d), *N = mph_diff_new_snapshot(d);
    mph_diff_side old_side = sum->before, new_side = sum->after;
    const mph_diff_side *so = &old_side, *sn = &new_side;
    const unsigned all = MPH__HDR_BLOCKS | MPH__HDR_LARGEST | MPH__HDR_FRAGMENTATION;
    bool o_map = !mph_snapshot_header_only(O), n_map = !mph_snapshot_header_only(N);
    unsigned ko = o_map ? all : header_side(O, &old_side);
    unsigned kn = n_map ? all : header_side(N, &new_side);
    if (!o_map || !n_map) {
        uint64_t ou = 0, of = 0, nu = 0, nf = 0;
        bool old_ok = side_usage(O, &ou, &of), new_ok = side_usage(N, &nu, &nf);
        usage_line(o, "used", old_ok, ou, new_ok, nu);
        usage_line(o, "free", old_ok, of, new_ok, nf);
    }
    bool o_known = ko & MPH__HDR_LARGEST, n_known = kn & MPH__HDR_LARGEST;
    // Bytes only when both sides know their block size: blocks of two builds differ.
    bool bytes = so->block_size && sn->block_size;
    unsigned mo = bytes ? so->block_size : 1, mn = bytes ? sn->block_size : 1;
    char a[64], b[64], c[40], e[64], f[64];
    mph__out_printf(o, "%-14s%s -> %s %s", "largest free", largest_text(a, o_known, so, mo),
                    largest_text(b, n_known, sn, mn), bytes ? "bytes" : "blocks");
    if (o_known && n_known) {
        uint64_t x = so->largest_free_blocks * mo, y = sn->largest_free_blocks * mn;
        mph__out_printf(o, " (%s)", x == y ? "unchanged" : signed_count(c, y, x));
    }
    if ((o_map && so->largest_free_blocks) || (n_map && sn->largest_free_blocks))
        mph__out_printf(o, ", at %s -> %s",
                        o_map && so->largest_free_blocks
                            ? run_at(e, so->largest_free_address, so->largest_free_area,
                                     so->largest_free_block, mph_snapshot_area_count(O))
                            : "-",
                        n_map && sn->largest_free_blocks
                            ? run_at(f, sn->largest_free_address, sn->largest_free_area,
                                     sn->largest_free_block, mph_snapshot_area_count(N))
                            : "-");
    mph__out_putc(o, '\n');
    const char *partial = mph_snapshot_map_partial(O) && mph_snapshot_map_partial(N) ? "OLD's and NEW's maps are"
                          : mph_snapshot_map_partial(O)                             ? "OLD's map is"
                          : mph_snapshot_map_partial(N)                             ? "NEW's map is"
                                                                                    : NULL;
    if (partial)
        mph__out_printf(o, "%-14s(%s cut short: figures of the part shown)\n", "", partial);
    if (!(ko & MPH__HDR_FRAGMENTATION) || !(kn & MPH__HDR_FRAGMENTATION))
        return;
    char was[16], now[16];
    snprintf(was, sizeof was, "%.1f", 100.0 * so->fragmentation);
    snprintf(now, sizeof now, "%.1f", 100.0 * sn->fragmentation);
    mph__out_printf(o, "%-14s%s%% -> %s%% (", "fragmentation", was, now);
    // The change of the figures shown, so that the line adds up; when they
    // are equal, "+0.0" would hide a change: say which way it went.
    double shown = strtod(now, NULL) - strtod(was, NULL);
    if (sn->fragmentation == so->fragmentation)
        mph__out_puts(o, "unchanged)\n");
    else if (strcmp(was, now) == 0)
        mph__out_printf(o, "%s less than 0.1 points)\n",
                        sn->fragmentation > so->fragmentation ? "up" : "down");
    else
        mph__out_printf(o, "%+.1f points)\n", shown);
}

/* The news that sit in what was OLD's largest free run: what splits it now. */
static void split_section(mph_outbuf *o, const mph_diff *d, size_t max_list) {
    const mph_diff_split *x = mph_diff_get_split(d);
    const mph_diff_summary *sum = mph_diff_get_summary(d);
    const mph_snapshot *O = mph_diff_old_snapshot(d), *N = mph_diff_new_snapshot(d);
    unsigned bpb = sum->new_block_size ? sum->new_block_size : sum->old_block_size;
    char a[32], b[64], c[32], e[48];
    const char *title = "new inside the largest free run of OLD";
    if (!x->aligned) {
        mph__out_printf(o, "\n%s: not known, the blocks of OLD and NEW cannot be aligned\n", title);
        return;
    }
    if (mph_snapshot_header_only(O) || mph_snapshot_header_only(N)) {
        mph__out_printf(o, "\n%s: not known, %s no map\n", title,
                        mph_snapshot_header_only(O) ? "OLD has" : "NEW has");
        return;
    }
    if (!x->has_run) {
        mph__out_printf(o, "\n%s: none, OLD has no free block\n", title);
        return;
    }
    mph__out_printf(o, "\n%s (%s, %s %s)", title,
                    run_at(b, x->address, x->old_area, x->block, mph_snapshot_area_count(O)),
                    mph__fmt_count(a, (uint64_t)x->n_blocks * (bpb ? bpb : 1)),
                    bpb ? "bytes" : "blocks");
    if (x->new_area < 0) {
        mph__out_printf(o, ": NEW does not have OLD's area %zu\n", x->old_area + 1);
        return;
    }
    if (!x->count) {
        if (x->common_blocks == x->n_blocks)
            mph__out_puts(o, ": none, all of it is still free in NEW\n");
        else if (!x->common_blocks)
            mph__out_printf(o, ": none; NEW's area %ld ends before it (%s blocks; the run "
                               "starts at block %s)\n",
                            x->new_area + 1,
                            mph__fmt_count(a, mph_snapshot_area(N, (size_t)x->new_area)->n_blocks),
                            mph__fmt_count(c, x->block));
        else
            mph__out_printf(o, ": none; NEW's area %ld ends %s blocks into it, those all free\n",
                            x->new_area + 1, mph__fmt_count(a, x->common_blocks));
        return;
    }
    mph__out_puts(o, ": these split it\n");
    mph__out_printf(o, "  %s allocation%s take%s %s of its %s %s (%.1f%%); in address order:\n",
                    mph__fmt_count(a, x->count), x->count == 1 ? "" : "s", x->count == 1 ? "s" : "",
                    mph__fmt_count(b, x->used_blocks * (bpb ? bpb : 1)),
                    mph__fmt_count(e, (uint64_t)x->n_blocks * (bpb ? bpb : 1)),
                    bpb ? "bytes" : "blocks", pct(x->used_blocks, x->n_blocks));
    size_t shown = max_list && max_list < x->count ? max_list : x->count;
    for (size_t i = 0; i < shown; i++)
        alloc_line(o, mph_diff_new_at(d, x->first + i), N, mph_snapshot_block_size(N));
    if (shown < x->count)
        mph__out_printf(o, "  ... and %s more (--list all shows them)\n",
                        mph__fmt_count(c, x->count - shown));
}

mph_status mph_render_text_diff(const mph_diff *d, const mph_text_options *opt, mph_sink *sink,
                                mph_error *err) {
    if (!d || !opt) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no diff or options");
        return MPH_ERR_ARG;
    }
    mph_outbuf *o = mph__out_new(sink, err);
    if (!o)
        return err ? err->code : MPH_ERR_NOMEM;
    const mph_diff_summary *sum = mph_diff_get_summary(d);
    unsigned ob = sum->old_block_size, nb = sum->new_block_size;
    char a[32], b[32], c[40], e[40], f[40], g[40], h[40], k[40], m[40];
    put_side(o, "OLD", side_name(opt, true), mph_diff_old_snapshot(d));
    put_side(o, "NEW", side_name(opt, false), mph_diff_new_snapshot(d));
    free_headline(o, d);
    for (size_t i = 0; i < mph_diff_note_count(d); i++)
        mph__out_printf(o, "%s %s\n", i ? "         " : "aligned ", mph_diff_note_at(d, i));
    const mph_diff_type *tot = &sum->total;
    bool maps = !mph_snapshot_header_only(mph_diff_old_snapshot(d)) &&
                !mph_snapshot_header_only(mph_diff_new_snapshot(d));
    if (sum->alignment == MPH_ALIGN_NONE) {
        // Without a map a side has no allocations to count: no table then.
        if (maps)
            mph__out_printf(o, "\n%-20s %10s %10s %10s   %s\n", "allocations by type", "OLD",
                            "NEW", "net", "bytes OLD -> NEW");
        for (int t = 0; maps && t <= MPH_TYPE_COUNT; t++) {
            const mph_diff_type *x = t < MPH_TYPE_COUNT ? &sum->by_type[t] : tot;
            if (t < MPH_TYPE_COUNT && !x->old_count && !x->new_total_count)
                continue;
            if (t < MPH_TYPE_COUNT)
                snprintf(k, sizeof k, "%c %s", mph_type_letter((mph_type)t),
                         mph_type_name((mph_type)t));
            else
                snprintf(k, sizeof k, "total");
            mph__out_printf(o, "  %-18s %10s %10s %10s   %s -> %s\n", k,
                            mph__fmt_count(a, x->old_count), mph__fmt_count(b, x->new_total_count),
                            signed_count(c, x->new_total_count, x->old_count),
                            mph__fmt_count(e, x->old_blocks * ob),
                            mph__fmt_count(f, x->new_total_blocks * nb));
        }
        if (maps)
            split_section(o, d, opt->max_list);
        else
            mph__out_puts(o, "\nallocations and blocks: not compared, that needs both maps (call "
                             "mem_info(1): mem_info() prints no map)\n");
        return mph__out_close(o, err);
    }
    unsigned bpb = nb ? nb : ob;
    const uint64_t *bl = sum->blocks;
    mph__out_printf(o, "\nblocks       unchanged %s (free %s, kept %s), allocated %s, freed %s, "
                       "reused %s\n",
                    mph__fmt_count(a, bl[MPH_DIFF_FREE] + bl[MPH_DIFF_KEPT]),
                    mph__fmt_count(b, bl[MPH_DIFF_FREE]), mph__fmt_count(c, bl[MPH_DIFF_KEPT]),
                    mph__fmt_count(e, bl[MPH_DIFF_ALLOCATED]), mph__fmt_count(f, bl[MPH_DIFF_FREED]),
                    mph__fmt_count(g, bl[MPH_DIFF_REUSED]));
    mph__out_printf(o, "allocations  kept %s, new %s, gone %s, net %s", mph__fmt_count(a, tot->kept),
                    mph__fmt_count(b, tot->new_count), mph__fmt_count(c, tot->gone_count),
                    signed_count(e, tot->new_count, tot->gone_count));
    if (bpb)
        mph__out_printf(o, " (%s bytes)", signed_count(f, tot->new_blocks * bpb,
                                                       tot->gone_blocks * bpb));
    mph__out_putc(o, '\n');

    const char *unit = bpb ? "bytes" : "blocks";
    uint64_t mul = bpb ? bpb : 1;
    mph__out_printf(o, "\n%-20s %8s %12s %8s %12s %8s %12s\n", "by type", "new", unit, "gone",
                    unit, "net", unit);
    for (int t = 0; t <= MPH_TYPE_COUNT; t++) {
        const mph_diff_type *x = t < MPH_TYPE_COUNT ? &sum->by_type[t] : tot;
        if (t < MPH_TYPE_COUNT && !x->new_count && !x->gone_count)
            continue;
        if (t < MPH_TYPE_COUNT)
            snprintf(k, sizeof k, "%c %s", mph_type_letter((mph_type)t), mph_type_name((mph_type)t));
        else
            snprintf(k, sizeof k, "total");
        snprintf(c, sizeof c, "+%s", mph__fmt_count(a, x->new_count));
        snprintf(e, sizeof e, "+%s", mph__fmt_count(a, x->new_blocks * mul));
        snprintf(f, sizeof f, "-%s", mph__fmt_count(a, x->gone_count));
        snprintf(g, sizeof g, "-%s", mph__fmt_count(a, x->gone_blocks * mul));
        mph__out_printf(o, "  %-18s %8s %12s %8s %12s %8s %12s\n", k, c, e, f, g,
                        signed_count(h, x->new_count, x->gone_count),
                        signed_count(m, x->new_blocks * mul, x->gone_blocks * mul));
    }
    split_section(o, d, opt->max_list);
    mph_status st = alloc_list(o, "new allocations", d, false, opt->max_list, err);
    if (!st)
        st = alloc_list(o, "gone allocations", d, true, opt->max_list, err);
    mph_status closed = mph__out_close(o, err);
    return st ? st : closed;
}

/* --------------------------------------------------------------- timeline */

static const char *const spark_utf8[8] = {"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
                                          "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
                                          "\xe2\x96\x87", "\xe2\x96\x88"};
static const char spark_ascii[8] = {'_', '.', '-', '~', '=', '+', '*', '#'};

#define SPARK_MAX 72

/* One character per row (rows sampled down to SPARK_MAX columns), scaled
 * from lo to hi; '?' where the row does not know its value: an unknown is
 * never drawn as a zero. */
static void sparkline(mph_outbuf *o, const double *v, const bool *known, size_t n, double lo,
                      double hi, bool ascii) {
    size_t cols = n < SPARK_MAX ? n : SPARK_MAX;
    for (size_t c = 0; c < cols; c++) {
        size_t i = cols == n ? c : (c + 1) * n / cols - 1;
        int level = hi > lo ? (int)((v[i] - lo) / (hi - lo) * 7.0 + 0.5) : 3;
        if (!known[i])
            mph__out_putc(o, '?');
        else if (ascii)
            mph__out_putc(o, spark_ascii[level]);
        else
            mph__out_puts(o, spark_utf8[level]);
    }
    for (size_t c = cols; c < 12; c++)
        mph__out_putc(o, ' ');
}

typedef enum series { S_USED, S_FREE, S_LARGEST, S_FRAG, S_ALLOCS } series;

/* A row's value in a series, in bytes or in blocks; false when the row does
 * not know it in that unit (a header without a block size, or no map). */
static bool series_value(const mph_timeline_row *r, int which, bool bytes, double *v) {
    const mph_stats *st = &r->stats;
    switch (which) {
    case S_USED:
    case S_FREE:
        if (bytes ? !r->has_bytes : !r->has_blocks)
            return false;
        *v = which == S_USED ? (double)(bytes ? r->used_bytes : st->used_blocks)
                             : (double)(bytes ? r->free_bytes : st->free_blocks);
        return true;
    case S_LARGEST:
        if (!r->has_largest || (bytes && !st->block_size))
            return false;
        *v = (double)(st->largest_free_blocks * (bytes ? st->block_size : 1));
        return true;
    case S_FRAG:
        *v = st->fragmentation;
        return r->has_fragmentation;
    case S_ALLOCS:
        *v = (double)st->allocs;
        return !r->from_header;
    }
    return false;
}

/* A series is drawn in bytes when any row knows it in bytes: blocks of
 * unknown size (a header with no block size) compare with nothing else. */
static bool series_in_bytes(const mph_timeline *t, int which) {
    size_t in_bytes = 0, in_blocks = 0;
    double v;
    if (which == S_FRAG || which == S_ALLOCS)
        return false;
    for (size_t i = 0; i < mph_timeline_row_count(t); i++) {
        in_bytes += series_value(mph_timeline_row_at(t, i), which, true, &v);
        in_blocks += series_value(mph_timeline_row_at(t, i), which, false, &v);
    }
    return in_bytes > 0 || !in_blocks;
}

static void value_text(char buf[48], double v, int which, bool bytes) {
    char a[32];
    if (which == S_FRAG)
        snprintf(buf, 48, "%.1f%%", 100.0 * v);
    else if (which == S_ALLOCS)
        snprintf(buf, 48, "%s", mph__fmt_count(a, mph__count_of(v)));
    else
        mph__fmt_blocks(buf, mph__count_of(v), bytes ? 1 : 0);
}

static void chart_row(mph_outbuf *o, const char *title, const double *v, const bool *known,
                      size_t n, int which, bool bytes, bool ascii) {
    char a[48], b[48], lo[48], hi[48];
    double mn = 0, mx = 0, first = 0, last = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!known[i])
            continue;
        if (!k++)
            mn = mx = first = v[i];
        mn = v[i] < mn ? v[i] : mn;
        mx = v[i] > mx ? v[i] : mx;
        last = v[i];
    }
    mph__out_printf(o, "  %-20s ", title);
    if (!k) {
        mph__out_puts(o, which == S_ALLOCS ? "not known: no snapshot has a whole map\n"
                                           : "not known in any snapshot\n");
        return;
    }
    sparkline(o, v, known, n, mn, mx, ascii);
    value_text(a, first, which, bytes);
    value_text(b, last, which, bytes);
    value_text(lo, mn, which, bytes);
    value_text(hi, mx, which, bytes);
    mph__out_printf(o, "  %s %s %s  (min %s, max %s%s)\n", a, ascii ? "->" : "\xe2\x86\x92", b, lo,
                    hi, k < n ? "; ? not known" : "");
}

/* A row's used or free: in bytes when it knows them, else in blocks, else "?". */
static const char *row_size(char buf[48], const mph_timeline_row *r, uint64_t bytes,
                            uint64_t blocks) {
    if (r->has_bytes)
        return mph__fmt_blocks(buf, bytes, 1);
    if (r->has_blocks)
        return mph__fmt_blocks(buf, blocks, 0);
    return "?";
}

/* Below the table: which rows have the header's figures only, and why. */
static void header_rows_said(mph_outbuf *o, const mph_timeline *t) {
    char rows[240];
    if (mph__timeline_rows_text(rows, sizeof rows, t, MPH__ROWS_NO_MAP))
        mph__out_printf(o, "%s: no map (mem_info() without an argument): the header's figures, "
                           "allocations not known (?)\n", rows);
    if (mph__timeline_rows_text(rows, sizeof rows, t, MPH__ROWS_PARTIAL))
        mph__out_printf(o, "%s: the map is cut short: the header's figures for the whole heap, "
                           "allocations not known (?)\n", rows);
    if (mph__timeline_rows_text(rows, sizeof rows, t, MPH__ROWS_HEADER_BYTES))
        mph__out_printf(o, "%s: block size unknown (no map to measure it): used and free in the "
                           "header's bytes, largest free in blocks, fragmentation not known (give "
                           "--block-size)\n", rows);
}

mph_status mph_render_text_timeline(const mph_timeline *t, const mph_text_options *opt,
                                    mph_sink *sink, mph_error *err) {
    if (!t || !opt) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no timeline or options");
        return MPH_ERR_ARG;
    }
    size_t n = mph_timeline_row_count(t);
    double *v = malloc(n * sizeof *v);
    bool *known = malloc(n * sizeof *known);
    mph_outbuf *o = v && known ? mph__out_new(sink, err) : NULL;
    if (!o) {
        if (!v || !known)
            mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        free(v);
        free(known);
        return err ? err->code : MPH_ERR_NOMEM;
    }
    unsigned bpb = mph_timeline_block_size(t);
    const char *arrow = opt->ascii ? "->" : "\xe2\x86\x92";
    char a[48], b[48], c[48], e[48], f[48];
    bool type_used[MPH_TYPE_COUNT] = {false};
    bool any_header = false;
    size_t first_mapped = n;
    for (size_t i = 0; i < n; i++) {
        const mph_timeline_row *r = mph_timeline_row_at(t, i);
        any_header |= r->from_header;
        if (!r->from_header && first_mapped == n)
            first_mapped = i;
        for (int ty = 0; ty < MPH_TYPE_COUNT; ty++)
            type_used[ty] |= r->stats.by_type[ty].allocs > 0;
    }

    mph__out_printf(o, "timeline of %zu snapshot%s", n, n == 1 ? "" : "s");
    if (bpb)
        mph__out_printf(o, ", blocks of %u bytes", bpb);
    mph__out_puts(o, "\n\n");
    mph__out_printf(o, "%4s  %-30s %11s %11s %13s %6s %9s", "#", "label", "used", "free",
                    "largest free", "frag", "allocs");
    for (int ty = 0; ty < MPH_TYPE_COUNT; ty++)
        if (type_used[ty])
            mph__out_printf(o, " %7c", mph_type_letter((mph_type)ty));
    mph__out_putc(o, '\n');
    for (size_t i = 0; i < n; i++) {
        const mph_timeline_row *r = mph_timeline_row_at(t, i);
        const mph_stats *st = &r->stats;
        char frag[16];
        if (r->has_fragmentation)
            snprintf(frag, sizeof frag, "%.1f%%", 100.0 * st->fragmentation);
        else
            snprintf(frag, sizeof frag, "?");
        mph__out_printf(o, "%4zu  ", i + 1);
        put_label(o, r->label, 30);
        mph__out_printf(o, " %11s %11s %13s %6s %9s",
                        row_size(a, r, r->used_bytes, st->used_blocks),
                        row_size(b, r, r->free_bytes, st->free_blocks),
                        r->has_largest ? mph__fmt_blocks(c, st->largest_free_blocks, st->block_size)
                                       : "?",
                        frag, r->from_header ? "?" : mph__fmt_count(e, st->allocs));
        for (int ty = 0; ty < MPH_TYPE_COUNT; ty++)
            if (type_used[ty])
                mph__out_printf(o, " %7s",
                                r->from_header ? "?" : mph__fmt_count(f, st->by_type[ty].allocs));
        mph__out_putc(o, '\n');
    }
    if (any_header)
        header_rows_said(o, t);

    if (n >= 2) {
        mph__out_puts(o, "\nover time\n");
        static const char *const titles[] = {"used", "free", "largest free", "fragmentation",
                                             "allocations"};
        for (int which = S_USED; which <= S_ALLOCS; which++) {
            bool bytes = series_in_bytes(t, which);
            for (size_t i = 0; i < n; i++)
                known[i] = series_value(mph_timeline_row_at(t, i), which, bytes, &v[i]);
            chart_row(o, titles[which], v, known, n, which, bytes, opt->ascii);
        }
        for (int ty = 0; ty < MPH_TYPE_COUNT; ty++) {
            if (!type_used[ty])
                continue;
            for (size_t i = 0; i < n; i++) {
                const mph_timeline_row *r = mph_timeline_row_at(t, i);
                v[i] = (double)r->stats.by_type[ty].allocs;
                known[i] = !r->from_header;
            }
            snprintf(a, sizeof a, "  %c %s", mph_type_letter((mph_type)ty),
                     mph_type_name((mph_type)ty));
            chart_row(o, a, v, known, n, S_ALLOCS, false, opt->ascii);
        }
    }

    for (size_t i = 0; i < mph_timeline_note_count(t); i++)
        mph__out_printf(o, "\nnote: %s", mph_timeline_note_at(t, i));
    if (mph_timeline_note_count(t))
        mph__out_putc(o, '\n');

    size_t n_alloc = mph_timeline_leak_alloc_count(t), n_type = mph_timeline_leak_type_count(t);
    size_t steps = mph_timeline_leak_steps(t);
    mph__out_puts(o, "\nleak suspects, most specific first\n");
    if (n < 2)
        mph__out_puts(o, "  none: one snapshot shows no growth\n");
    else if (!steps)
        mph__out_puts(o, "  not looked for: that needs two snapshots with a whole map\n");
    else if (!n_alloc && !n_type)
        mph__out_puts(o, "  none: no allocation keeps growing, no type grows steadily\n");
    size_t rank = 0;
    for (size_t i = 0; i < n_alloc; i++) {
        const mph_leak_alloc *l = mph_timeline_leak_alloc_at(t, i);
        size_t len = l->n_history;
        mph__out_printf(o, "  %zu. allocation %c %s at ", ++rank, mph_type_letter(l->now.type),
                        mph_type_name(l->now.type));
        if (l->now.address)
            mph__out_printf(o, "0x%llx", (unsigned long long)l->now.address);
        else
            mph__out_printf(o, "area %zu block %zu", l->now.area + 1, l->now.block);
        mph__out_printf(o, " keeps growing: ");
        for (size_t k = 0; k < len; k++)
            mph__out_printf(o, "%s%llu", k ? " " : "", (unsigned long long)l->blocks[k]);
        mph__out_printf(o, " blocks (%s %s %s), first seen in snapshot %zu; grew %u time%s, moved %u\n",
                        mph__fmt_blocks(a, l->blocks[0], bpb), arrow,
                        mph__fmt_blocks(b, l->now.n_blocks, bpb), l->since + 1, l->grew,
                        l->grew == 1 ? "" : "s", l->moved);
    }
    for (size_t i = 0; i < n_type; i++) {
        const mph_leak_type *l = mph_timeline_leak_type_at(t, i);
        mph__out_printf(o, "  %zu. type %c %s grows: %s %s %s allocations, %s %s %s; rose in %u of "
                           "%zu steps\n",
                        ++rank, mph_type_letter(l->type), mph_type_name(l->type),
                        mph__fmt_count(a, l->first_count), arrow, mph__fmt_count(b, l->last_count),
                        mph__fmt_blocks(c, l->first_blocks, bpb), arrow,
                        mph__fmt_blocks(e, l->last_blocks, bpb),
                        l->blocks_grow ? l->block_steps_up : l->count_steps_up, steps);
    }
    size_t n_group = mph_timeline_group_count(t);
    if (n >= 3 && steps == 1)
        mph__out_puts(o, "\nsurvivors: not looked for: that needs three snapshots with a whole "
                         "map\n");
    if (steps >= 2) {
        mph__out_printf(o, "\nsurvivors: allocations first seen after snapshot %zu and present in "
                           "every snapshot%s since%s\n",
                        first_mapped + 1, steps + 1 < n ? " with a whole map" : "",
                        n_group ? "" : ": none");
        for (size_t i = 0; i < n_group; i++) {
            const mph_leak_group *g = mph_timeline_group_at(t, i);
            mph__out_printf(o, "  first seen in snapshot %zu: %s allocation%s, %s (", g->since + 1,
                            mph__fmt_count(a, g->count), g->count == 1 ? "" : "s",
                            mph__fmt_blocks(b, g->blocks, bpb));
            bool first = true;
            for (int ty = 0; ty < MPH_TYPE_COUNT; ty++) {
                if (!g->type_count[ty])
                    continue;
                mph__out_printf(o, "%s%c %s", first ? "" : ", ", mph_type_letter((mph_type)ty),
                                mph__fmt_count(a, g->type_count[ty]));
                first = false;
            }
            mph__out_puts(o, ")\n");
        }
        size_t n_surv = mph_timeline_survivor_count(t);
        size_t shown = opt->max_list && opt->max_list < n_surv ? opt->max_list : n_surv;
        if (n_surv) {
            // The largest first: they are what a user looks at.
            mph__sized *idx = malloc(n_surv * sizeof *idx);
            if (idx) {
                for (size_t i = 0; i < n_surv; i++)
                    idx[i] = (mph__sized){mph_timeline_survivor_at(t, i)->alloc.n_blocks, i};
                qsort(idx, n_surv, sizeof *idx, mph__by_size_desc);
                mph__out_printf(o, "  the largest %zu of them:\n  %-20s%-19s%-19s%s\n", shown,
                                "first seen in", "address", "type", "size");
                for (size_t i = 0; i < shown; i++) {
                    const mph_leak_survivor *sv = mph_timeline_survivor_at(t, idx[i].index);
                    snprintf(a, sizeof a, "snapshot %zu", sv->since + 1);
                    mph__out_printf(o, "  %-20s", a);
                    if (sv->alloc.address)
                        mph__out_printf(o, "0x%-16llx", (unsigned long long)sv->alloc.address);
                    else
                        mph__out_printf(o, "block %-12zu", sv->alloc.block);
                    mph__out_printf(o, " %c %-16s %s\n", mph_type_letter(sv->alloc.type),
                                    mph_type_name(sv->alloc.type),
                                    mph__fmt_blocks(a, sv->alloc.n_blocks, bpb));
                }
                free(idx);
            } else if (o->status == MPH_OK) {
                // Not a shorter report that looks whole: the caller hears of it.
                o->status = MPH_ERR_NOMEM;
                mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
            }
        }
    }
    free(v);
    free(known);
    return mph__out_close(o, err);
}

/* ------------------------------------------------------------------ check */

static const char *check_name(mph_check_kind k) {
    switch (k) {
    case MPH_CHECK_MIN_LARGEST_FREE: return "min-largest-free";
    case MPH_CHECK_MAX_FRAGMENTATION: return "max-fragmentation";
    case MPH_CHECK_MAX_USED: return "max-used";
    case MPH_CHECK_MAX_USED_FRACTION: return "max-used";
    case MPH_CHECK_MIN_FREE: return "min-free";
    case MPH_CHECK_MAX_ALLOCS: return "max-allocs";
    case MPH_CHECK_MAX_ALLOCS_OF: return "max-allocs-of";
    case MPH_CHECK_MIN_FIT: return "fit";
    case MPH_CHECK_NEED: return "need";
    }
    return "?";
}

/* Which rule decided a limit on the largest free run, and what the dump cannot tell. */
static void put_growth_rule(mph_outbuf *o, const mph_check_result *r) {
    if (r->by_growth)
        mph__out_puts(o, ";\n     it passes because the heap can grow: a new area could hold it (max new\n"
                         "     split; growth counts, --no-growth to require a free run)");
    else if (!r->ok && !r->limit.growth)
        mph__out_puts(o, " (growth not counted: --no-growth)");
    if (r->from_header)
        mph__out_puts(o, " [from the header's max free sz]");
    mph__out_putc(o, '\n');
}

mph_status mph_render_text_check(const mph_check_result *res, size_t n, const mph_text_options *opt,
                                 mph_sink *sink, mph_error *err) {
    if ((n && !res) || !opt) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no results or options");
        return MPH_ERR_ARG;
    }
    mph_outbuf *o = mph__out_new(sink, err);
    if (!o)
        return err ? err->code : MPH_ERR_NOMEM;
    size_t failed = 0;
    char a[64], b[64], c[32];
    for (size_t i = 0; i < n; i++) {
        const mph_check_result *r = &res[i];
        const mph_check_limit *l = &r->limit;
        failed += !r->ok;
        if (r->ok && !opt->verbose)
            continue;
        mph__out_printf(o, "%-4s %s: ", r->ok ? "ok" : "FAIL", check_name(l->kind));
        switch (l->kind) {
        case MPH_CHECK_MIN_LARGEST_FREE:
            mph__out_printf(o, "largest free run %s, %s at least %s", bytes_words(a, r->measured),
                            r->ok && !r->by_growth ? "is" : "should be", bytes_words(b, l->value));
            put_growth_rule(o, r);
            break;
        case MPH_CHECK_NEED:
            mph__out_printf(o, "an allocation of %s %s (largest free run %s)",
                            bytes_words(a, l->size), r->ok && !r->by_growth ? "fits now" : "does not fit now",
                            bytes_words(b, r->measured));
            put_growth_rule(o, r);
            break;
        case MPH_CHECK_MIN_FREE:
            mph__out_printf(o, "free %s, %s at least %s\n", bytes_words(a, r->measured),
                            r->ok ? "is" : "should be", bytes_words(b, l->value));
            break;
        case MPH_CHECK_MAX_USED:
            mph__out_printf(o, "used %s, %s at most %s\n", bytes_words(a, r->measured),
                            r->ok ? "is" : "should be", bytes_words(b, l->value));
            break;
        case MPH_CHECK_MAX_USED_FRACTION:
            mph__out_printf(o, "used %.1f%% of the heap, %s at most %.1f%%\n",
                            100.0 * r->measured_fraction, r->ok ? "is" : "should be",
                            100.0 * l->fraction);
            break;
        case MPH_CHECK_MAX_FRAGMENTATION:
            mph__out_printf(o, "fragmentation %.1f%%, %s at most %.1f%%\n",
                            100.0 * r->measured_fraction, r->ok ? "is" : "should be",
                            100.0 * l->fraction);
            break;
        case MPH_CHECK_MAX_ALLOCS:
            mph__out_printf(o, "%s allocations, %s at most %s\n", mph__fmt_count(a, r->measured),
                            r->ok ? "is" : "should be", mph__fmt_count(b, l->value));
            break;
        case MPH_CHECK_MAX_ALLOCS_OF:
            mph__out_printf(o, "%s allocations of type %c (%s), %s at most %s\n",
                            mph__fmt_count(a, r->measured), mph_type_letter(l->type),
                            mph_type_name(l->type), r->ok ? "is" : "should be",
                            mph__fmt_count(b, l->value));
            break;
        case MPH_CHECK_MIN_FIT:
            mph__out_printf(o, "%s buffers of %s bytes fit, %s at least %s\n",
                            mph__fmt_count(a, r->measured), mph__fmt_count(b, l->size),
                            r->ok ? "is" : "should be", mph__fmt_count(c, l->value));
            break;
        }
    }
    if (failed)
        mph__out_printf(o, "%s: %zu of %zu limit%s broken\n", opt->name ? opt->name : "check",
                        failed, n, n == 1 ? "" : "s");
    else
        mph__out_printf(o, "%s: ok, %zu limit%s hold%s\n", opt->name ? opt->name : "check", n,
                        n == 1 ? "" : "s", n == 1 ? "s" : "");
    return mph__out_close(o, err);
}
