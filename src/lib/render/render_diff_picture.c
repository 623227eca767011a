/* The diff map as a picture (SVG or PNG): the terminal diff map's layout
 * (render_ansi_diff.c), one section per area pair, each block in its class's
 * colour from the palette's diff roles, with a legend, an address gutter
 * (NEW's addresses, else OLD's) and a summary of the diff. */
#include "picture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Colour indexes: the classes (mph_diff_class), then the page. */
enum { DIFF_BLANK = MPH_DIFF_CLASS_COUNT, DIFF_N };

static const mph_role class_role[MPH_DIFF_CLASS_COUNT] = {
    MPH_ROLE_DIFF_FREE, MPH_ROLE_DIFF_KEPT, MPH_ROLE_DIFF_FREED, MPH_ROLE_DIFF_ALLOCATED,
    MPH_ROLE_DIFF_REUSED};

typedef struct diff_doc {
    pic_doc doc;
    const mph_diff *d;
    const mph_snapshot *old_s, *new_s;
    mph_rgb colors[DIFF_N];
    int digits;
    size_t pair, block; /* the current section and its next row's first block */
    mph_text summary;
    char *title;
} diff_doc;

static void diff_colors(mph_palette_kind pal, mph_rgb out[DIFF_N]) {
    for (int c = 0; c < MPH_DIFF_CLASS_COUNT; c++)
        out[c] = mph__pic_rgb(mph_palette_role(pal, class_role[c]));
    if (pal == MPH_PALETTE_MONO) {
        // No colour: greys by class, light for free, dark for what changed.
        static const uint8_t grey[MPH_DIFF_CLASS_COUNT] = {235, 150, 200, 30, 90};
        for (int c = 0; c < MPH_DIFF_CLASS_COUNT; c++)
            out[c] = (mph_rgb){grey[c], grey[c], grey[c]};
    }
    out[DIFF_BLANK] = (mph_rgb){255, 255, 255};
}

static const mph_area *side_area(const mph_snapshot *s, long i) {
    return i >= 0 ? mph_snapshot_area(s, (size_t)i) : NULL;
}

static int pair_title(void *ctx, size_t i, char *buf, size_t cap) {
    diff_doc *m = ctx;
    const mph_area_pair *pr = mph_diff_pair_at(m->d, i);
    const mph_area *oa = side_area(m->old_s, pr->old_area), *na = side_area(m->new_s, pr->new_area);
    char a[32];
    int n;
    if (oa && na) {
        if (oa->base == na->base && na->has_base)
            n = snprintf(buf, cap, "area %ld: 0x%llx in both", pr->new_area + 1,
                         (unsigned long long)na->base);
        else
            n = snprintf(buf, cap, "area %ld of OLD (0x%llx) with area %ld of NEW (0x%llx)",
                         pr->old_area + 1, (unsigned long long)oa->base, pr->new_area + 1,
                         (unsigned long long)na->base);
    } else if (na) {
        n = snprintf(buf, cap, "area %ld of NEW only (0x%llx): a new area", pr->new_area + 1,
                     (unsigned long long)na->base);
    } else {
        n = snprintf(buf, cap, "area %ld of OLD only (0x%llx): given back", pr->old_area + 1,
                     (unsigned long long)(oa ? oa->base : 0));
    }
    if (n < 0 || (size_t)n >= cap)
        return n < 0 ? 0 : (int)cap - 1;
    n += snprintf(buf + n, cap - (size_t)n, ", %s blocks", mph__fmt_count(a, pr->n_blocks));
    return n < (int)cap ? n : (int)cap - 1;
}

static size_t pair_cells(void *ctx, size_t i) {
    return mph_diff_pair_at(((diff_doc *)ctx)->d, i)->n_blocks;
}

static uint64_t pair_blocks(void *ctx, size_t i) {
    return mph_diff_pair_at(((diff_doc *)ctx)->d, i)->n_blocks;
}

static void pair_start(void *ctx, size_t i) {
    diff_doc *m = ctx;
    m->pair = i;
    m->block = 0;
}

static int pair_row(void *ctx, unsigned char *cells, char *gutter, size_t cap) {
    diff_doc *m = ctx;
    const mph_area_pair *pr = mph_diff_pair_at(m->d, m->pair);
    size_t per = m->doc.per_row, b = m->block;
    size_t n = pr->n_blocks - b < per ? pr->n_blocks - b : per;
    memcpy(cells, pr->classes + b, n); // class k is colour index k
    memset(cells + n, DIFF_BLANK, per - n);
    m->block = b + n;
    // NEW's address, else OLD's; a block number when neither is known.
    bool on_new = pr->new_area >= 0;
    uint64_t addr = mph_snapshot_block_address(on_new ? m->new_s : m->old_s,
                                               (size_t)(on_new ? pr->new_area : pr->old_area), b);
    int k = addr ? snprintf(gutter, cap, "0x%0*llx", m->digits, (unsigned long long)addr)
                 : snprintf(gutter, cap, "#%0*zu", m->digits + 1, b);
    return k < (int)cap ? k : (int)cap - 1;
}

static mph_status summary_lines(diff_doc *m, mph_error *err) {
    mph_sink sink = mph__text_sink(&m->summary);
    mph_outbuf *out = mph__out_new(&sink, err);
    if (!out)
        return MPH_ERR_NOMEM;
    const mph_diff_summary *sm = mph_diff_get_summary(m->d);
    const char *ol = mph_snapshot_label(m->old_s), *nl = mph_snapshot_label(m->new_s);
    if (ol)
        mph__out_printf(out, "OLD  %s\n", ol);
    if (nl)
        mph__out_printf(out, "NEW  %s\n", nl);
    char a[32], b[32], c[32];
    const mph_diff_side *o = &sm->before, *n = &sm->after;
    if (o->block_size && n->block_size) {
        uint64_t ob = o->largest_free_blocks * o->block_size,
                 nb = n->largest_free_blocks * n->block_size;
        mph__out_printf(out, "largest free  %s -> %s bytes (%s%s)", mph__fmt_count(a, ob),
                        mph__fmt_count(b, nb), nb >= ob ? "+" : "-",
                        mph__fmt_count(c, nb >= ob ? nb - ob : ob - nb));
    } else {
        mph__out_printf(out, "largest free  %s -> %s blocks",
                        mph__fmt_count(a, o->largest_free_blocks),
                        mph__fmt_count(b, n->largest_free_blocks));
    }
    if (o->largest_free_address && n->largest_free_address)
        mph__out_printf(out, ", at 0x%llx -> 0x%llx",
                        (unsigned long long)o->largest_free_address,
                        (unsigned long long)n->largest_free_address);
    double dp = (n->fragmentation - o->fragmentation) * 100;
    mph__out_printf(out, "\nfragmentation %.1f%% -> %.1f%% (%s%.1f points)\n",
                    o->fragmentation * 100, n->fragmentation * 100, dp >= 0 ? "+" : "-",
                    dp >= 0 ? dp : -dp);
    if (sm->alignment != MPH_ALIGN_NONE) {
        char d[32], e[32], f[32];
        mph__out_printf(out,
                        "blocks        unchanged %s (free %s, kept %s), allocated %s, freed %s, "
                        "reused %s\n",
                        mph__fmt_count(a, sm->blocks[MPH_DIFF_FREE] + sm->blocks[MPH_DIFF_KEPT]),
                        mph__fmt_count(b, sm->blocks[MPH_DIFF_FREE]),
                        mph__fmt_count(c, sm->blocks[MPH_DIFF_KEPT]),
                        mph__fmt_count(d, sm->blocks[MPH_DIFF_ALLOCATED]),
                        mph__fmt_count(e, sm->blocks[MPH_DIFF_FREED]),
                        mph__fmt_count(f, sm->blocks[MPH_DIFF_REUSED]));
        const mph_diff_type *t = &sm->total;
        int64_t net = (int64_t)t->new_count - (int64_t)t->gone_count;
        mph__out_printf(out, "allocations   kept %s, new %s, gone %s, net %s%s\n",
                        mph__fmt_count(a, t->kept), mph__fmt_count(b, t->new_count),
                        mph__fmt_count(c, t->gone_count), net >= 0 ? "+" : "-",
                        mph__fmt_count(d, (uint64_t)(net >= 0 ? net : -net)));
    }
    for (size_t i = 0; i < mph_diff_note_count(m->d); i++)
        mph__out_printf(out, "%s\n", mph_diff_note_at(m->d, i));
    return mph__out_close(out, err);
}

static void diff_doc_fini(diff_doc *m) {
    free(m->summary.data);
    free(m->title);
}

static const char unaligned[] = "(no map: the snapshots cannot be aligned)";

static mph_status diff_doc_init(diff_doc *m, const mph_diff *d, const mph_picture_options *o,
                                mph_error *err) {
    memset(m, 0, sizeof *m);
    m->d = d;
    m->old_s = mph_diff_old_snapshot(d);
    m->new_s = mph_diff_new_snapshot(d);
    mph_status rc = summary_lines(m, err);
    if (rc)
        return rc;
    const char *ol = mph_snapshot_label(m->old_s), *nl = mph_snapshot_label(m->new_s);
    size_t n = 64 + (ol ? strlen(ol) : 0) + (nl ? strlen(nl) : 0);
    m->title = malloc(n);
    if (!m->title) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    if (ol || nl)
        snprintf(m->title, n, "mpheap: heap diff, %s -> %s", ol ? ol : "OLD", nl ? nl : "NEW");
    else
        snprintf(m->title, n, "mpheap: heap diff");
    diff_colors(o->palette, m->colors);
    // Gutter digits: enough for the widest address of either side, as the terminal's.
    m->digits = 8;
    for (int k = 0; k < 2; k++) {
        const mph_snapshot *s = k ? m->new_s : m->old_s;
        for (size_t i = 0; i < mph_snapshot_area_count(s); i++) {
            const mph_area *a = mph_snapshot_area(s, i);
            uint64_t end = a->base + (uint64_t)a->n_blocks * mph_snapshot_block_size(s);
            int dd = 0;
            for (uint64_t v = end; v; v >>= 4)
                dd++;
            m->digits = dd > m->digits ? dd : m->digits;
        }
    }
    pic_doc *doc = &m->doc;
    doc->title = m->title;
    doc->summary = m->summary.data;
    doc->summary_len = m->summary.len;
    doc->n_sections = mph_diff_pair_count(d);
    doc->note = doc->n_sections ? NULL : unaligned;
    static const char *const meaning[MPH_DIFF_CLASS_COUNT] = {
        "free in both", "kept (same allocation)", "freed", "allocated",
        "reused (another allocation now)"};
    static const mph_diff_class order[MPH_DIFF_CLASS_COUNT] = {
        MPH_DIFF_FREE, MPH_DIFF_KEPT, MPH_DIFF_ALLOCATED, MPH_DIFF_FREED, MPH_DIFF_REUSED};
    if (doc->n_sections)
        for (int k = 0; k < MPH_DIFF_CLASS_COUNT; k++) {
            doc->legend[k].color = (unsigned char)order[k];
            snprintf(doc->legend[k].text, sizeof doc->legend[k].text, "%s", meaning[order[k]]);
            doc->n_legend++;
        }
    doc->colors = m->colors;
    doc->background = MPH_DIFF_FREE;
    doc->blank = DIFF_BLANK;
    doc->per_row = (size_t)o->columns * PIC_GROUP;
    doc->scale = 1;
    doc->pixels = o->pixels;
    doc->gutter_chars = (size_t)m->digits + 2;
    doc->ctx = m;
    doc->section_cells = pair_cells;
    doc->section_blocks = pair_blocks;
    doc->section_title = pair_title;
    doc->section_start = pair_start;
    doc->row = pair_row;
    return MPH_OK;
}

static mph_status check(const mph_diff *d, const mph_picture_options *o, const mph_sink *sink,
                        mph_error *err) {
    if (!d || !o || !sink) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no diff, options or sink");
        return MPH_ERR_ARG;
    }
    if (o->columns < 1 || o->columns > 64 || o->scale != 1 || o->pixels < 1 || o->pixels > 64 ||
        (unsigned)o->palette > MPH_PALETTE_MONO) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0,
                       "columns must be 1 to 64, scale 1 (a diff has no overview), pixels 1 to "
                       "64, and the palette known");
        return MPH_ERR_ARG;
    }
    return MPH_OK;
}

mph_status mph_render_diff_svg(const mph_diff *d, const mph_picture_options *o, mph_sink *sink,
                               mph_error *err) {
    mph_status rc = check(d, o, sink, err);
    if (rc)
        return rc;
    diff_doc m;
    rc = diff_doc_init(&m, d, o, err);
    if (!rc)
        rc = mph__doc_svg(&m.doc, sink, err);
    diff_doc_fini(&m);
    return rc;
}

mph_status mph_render_diff_png(const mph_diff *d, const mph_picture_options *o, mph_sink *sink,
                               mph_error *err) {
    mph_status rc = check(d, o, sink, err);
    if (rc)
        return rc;
    diff_doc m;
    rc = diff_doc_init(&m, d, o, err);
    if (!rc)
        rc = mph__doc_png(&m.doc, sink, err);
    diff_doc_fini(&m);
    return rc;
}

/* The PNG's layout, or false with bad options or out of memory. */
static bool png_layout(const mph_diff *d, const mph_picture_options *o, size_t pair,
                       pic_png_layout *l, uint64_t *y) {
    mph_sink none = {NULL, NULL};
    if (check(d, o, &none, NULL))
        return false;
    diff_doc m;
    bool ok = diff_doc_init(&m, d, o, NULL) == MPH_OK;
    if (ok) {
        mph__doc_png_layout(&m.doc, l);
        ok = pair == (size_t)-1 || pair < m.doc.n_sections;
        if (ok && pair != (size_t)-1)
            *y = mph__doc_png_section_y(&m.doc, l, pair);
    }
    diff_doc_fini(&m);
    return ok;
}

void mph_picture_diff_png_size(const mph_diff *d, const mph_picture_options *o, uint64_t *width,
                               uint64_t *height) {
    pic_png_layout l;
    bool ok = png_layout(d, o, (size_t)-1, &l, NULL);
    *width = ok ? l.width : 0;
    *height = ok ? l.height : 0;
}

bool mph_picture_diff_png_cell_origin(const mph_diff *d, const mph_picture_options *o,
                                      size_t pair, uint64_t *x, uint64_t *y) {
    pic_png_layout l;
    uint64_t top = 0;
    if (!png_layout(d, o, pair, &l, &top))
        return false;
    *x = l.map_x;
    *y = top;
    return true;
}
