/* The PNG pictures, decoded with libpng: exact colours at known blocks of a
 * hand-built map and diff (the palette's RGB), the text (our font's glyphs
 * where the summary is, the gutter, a placeholder for a non-ASCII byte), the
 * layout and size mpheap.h promises; the timeline chart's size and colours. */
#include "../../src/lib/render/font.h"
#include "harness.h"

#include <png.h>
#include <stdlib.h>

/* Two areas: the first of 192 blocks (3 rows of 64), the second of 64.
 *   area 1: 0..19 a head of each type and its tail ("T=L=D=...m="), 20..39
 * free, 40..43 "h===", 44..69 free, 70..191 "h=" repeated; area 2: 0 'S' and 18
 * tails, 19..63 free (45 blocks: the largest free run). 48 blocks (768 bytes)
 * fit nowhere; freeing the 4 blocks at 40 makes 50. */
static const char heads[] = "TLDSAFBMhm";

static mph_log *hand_built(void) {
    char a1[193], a2[65];
    for (int i = 0; i < 10; i++) {
        a1[2 * i] = heads[i];
        a1[2 * i + 1] = '=';
    }
    memset(a1 + 20, '.', 20);
    memcpy(a1 + 40, "h===", 4);
    memset(a1 + 44, '.', 26);
    for (int i = 70; i < 192; i++)
        a1[i] = (i % 2) ? '=' : 'h';
    a1[192] = '\0';
    a2[0] = 'S';
    memset(a2 + 1, '=', 18);
    memset(a2 + 19, '.', 45);
    a2[64] = '\0';
    char text[2048];
    size_t n = 0;
    n += (size_t)snprintf(text + n, sizeof text - n, "GC memory layout; from 20000:\n");
    for (int r = 0; r < 3; r++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%08x: %.64s\n", r * 64 * 16, a1 + 64 * r);
    n += (size_t)snprintf(text + n, sizeof text - n, "GC memory layout; from 40000:\n");
    n += (size_t)snprintf(text + n, sizeof text - n, "%08x: %.64s\n", 0, a2);
    mph_log *log = NULL;
    mph_error err = {0};
    if (mph_log_parse(text, n, NULL, &log, &err) != MPH_OK) {
        fprintf(stderr, "parse: %lu:%lu: %s\n", err.line, err.column, err.message);
        return NULL;
    }
    return log;
}

typedef struct mem {
    char *data;
    size_t len, cap;
} mem;

static mph_status mem_write(void *ctx, const char *buf, size_t len) {
    mem *m = ctx;
    if (m->len + len > m->cap) {
        size_t cap = (m->len + len) * 2;
        char *d = realloc(m->data, cap);
        if (!d)
            return MPH_ERR_NOMEM;
        m->data = d;
        m->cap = cap;
    }
    memcpy(m->data + m->len, buf, len);
    m->len += len;
    return MPH_OK;
}

/* Decoded RGB pixels, or NULL. */
static unsigned char *decode(const mem *m, unsigned *w, unsigned *h) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, m->data, m->len))
        return NULL;
    img.format = PNG_FORMAT_RGB;
    unsigned char *px = malloc(PNG_IMAGE_SIZE(img));
    if (!px || !png_image_finish_read(&img, NULL, px, 0, NULL)) {
        free(px);
        png_image_free(&img);
        return NULL;
    }
    *w = img.width;
    *h = img.height;
    return px;
}

static mph_rgb rgb_at(const unsigned char *px, unsigned w, unsigned x, unsigned y) {
    const unsigned char *p = px + ((size_t)y * w + x) * 3;
    return (mph_rgb){p[0], p[1], p[2]};
}

static mph_rgb bg(mph_style s) {
    return s.bg.rgb;
}

#define CHECK_RGB(got, want)                                                                       \
    do {                                                                                           \
        mph_rgb g_ = (got), w_ = (want);                                                           \
        char d_[96];                                                                               \
        snprintf(d_, sizeof d_, "#%02x%02x%02x != #%02x%02x%02x", g_.r, g_.g, g_.b, w_.r, w_.g,    \
                 w_.b);                                                                            \
        harness_check(g_.r == w_.r && g_.g == w_.g && g_.b == w_.b, __FILE__, __LINE__,            \
                      #got " == " #want, d_);                                                      \
    } while (0)

/* The layout mpheap.h promises, at text scale t = 1 (pixels < 8): */
#define L_MARGIN 8 /* all round */
#define L_LINE 12  /* a line of text */
#define L_GAP 6    /* between the header's parts, and after each area */
#define L_ADV 6    /* a character across */

/* The summary's lines as the pictures take them (mph_render_ansi_summary at 100 columns). */
static size_t summary_of(const mph_snapshot *s, const mph_verdict *v, mem *m) {
    mph_ansi_options ao = {1, false, MPH_PALETTE_SAFE, false, 1, true, v, MPH_COLORS_256, 100};
    mph_sink sink = {mem_write, m};
    mph_error err = {0};
    m->len = 0;
    if (mph_render_ansi_summary(s, &ao, &sink, &err) != MPH_OK)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < m->len; i++)
        n += m->data[i] == '\n';
    return n;
}

static bool is_white(mph_rgb c) {
    return c.r == 255 && c.g == 255 && c.b == 255;
}

/* Glyph c drawn at (x, y) (its line box's top-left) at scale 1, in ink: every
 * pixel of its 5 x 9 box is ink where the font says so and white elsewhere. */
static bool glyph_at(const unsigned char *px, unsigned w, unsigned x, unsigned y, unsigned char c) {
    for (unsigned r = 0; r < MPH_FONT_H; r++) {
        unsigned bits = mph__font_row(c, r);
        for (unsigned k = 0; k < MPH_FONT_W; k++) {
            mph_rgb p = rgb_at(px, w, x + k, y + MPH_FONT_TOP + r);
            bool on = bits & (1u << (MPH_FONT_W - 1 - k));
            if (on ? !(p.r == 0 && p.g == 0 && p.b == 0) : !is_white(p))
                return false;
        }
    }
    return true;
}

/* The centre pixel of block b of a section whose first cell is at (x0, y0). */
static mph_rgb cell_rgb(const unsigned char *px, unsigned w, uint64_t x0, uint64_t y0, unsigned p,
                        unsigned per_row, unsigned b) {
    return rgb_at(px, w, (unsigned)x0 + (b % per_row) * p + p / 2,
                  (unsigned)y0 + (b / per_row) * p + p / 2);
}

TEST(pictures_png_colours_text_and_size) {
    mph_log *log = hand_built();
    CHECK(log != NULL);
    if (!log)
        return;
    const mph_snapshot *s = mph_log_snapshot(log, 0);
    CHECK_EQ(mph_snapshot_area_count(s), 2);
    mph_verdict *v = NULL;
    mph_error err = {0};
    CHECK(mph_verdict_new(s, 768, &v, &err) == MPH_OK);
    CHECK(v && v->n_windows >= 1 && v->windows[0].n_listed == 1);

    mph_picture_options o;
    mph_picture_options_init(&o);
    o.columns = 1;
    o.pixels = 3;
    o.verdict = v;
    mem sum = {NULL, 0, 0};
    size_t lines = summary_of(s, v, &sum);
    CHECK(lines >= 5);
    // The map's origin, from the layout: the gutter holds "0x" and 8 digits (the
    // widest address, 0x40400, has 5; 8 at the least) and one blank.
    uint64_t x0, y0, x1, y1;
    CHECK(mph_picture_png_cell_origin(s, &o, 0, &x0, &y0));
    CHECK(mph_picture_png_cell_origin(s, &o, 1, &x1, &y1));
    CHECK(!mph_picture_png_cell_origin(s, &o, 2, &x1, &y1));
    CHECK_EQ(x0, L_MARGIN + (2 + 8 + 1) * L_ADV);
    CHECK_EQ(x1, x0);
    // Above area 1: margin, title, gap, the summary, gap, the legend (whole lines), gap,
    // area 1's title.
    uint64_t above = L_MARGIN + L_LINE + L_GAP + lines * L_LINE + L_GAP + L_GAP + L_LINE;
    CHECK(y0 > above && (y0 - above) % L_LINE == 0); // 1 or more legend lines
    // Area 2 after area 1's 3 rows, the gap and its title.
    CHECK_EQ(y1, y0 + 3 * 3 + L_GAP + L_LINE);
    uint64_t pw, ph;
    mph_picture_png_size(s, &o, &pw, &ph);
    CHECK_EQ(ph, y1 + 1 * 3 + L_GAP + L_MARGIN);
    // The width: the widest text line (a summary line here: wider than the map's 74 + 192).
    size_t widest = 0;
    for (size_t i = 0, start = 0; i < sum.len; i++)
        if (sum.data[i] == '\n') {
            widest = i - start > widest ? i - start : widest;
            start = i + 1;
        }
    CHECK(widest * L_ADV > x0 + 64 * 3);
    CHECK_EQ(pw, 2 * L_MARGIN + widest * L_ADV);

    mem m = {NULL, 0, 0};
    mph_sink sink = {mem_write, &m};
    CHECK(mph_render_png(s, &o, &sink, &err) == MPH_OK);
    unsigned w = 0, h = 0;
    unsigned char *px = decode(&m, &w, &h);
    CHECK(px != NULL);
    if (px) {
        CHECK_EQ(w, pw);
        CHECK_EQ(h, ph);
        // Each head type in its colour, and its tail in the same.
        for (int i = 0; i < 10; i++) {
            mph_type t = (mph_type)mph_type_of_cell(heads[i]);
            mph_rgb want = bg(mph_palette_head(MPH_PALETTE_SAFE, t, 0));
            CHECK_RGB(cell_rgb(px, w, x0, y0, 3, 64, 2u * i), want);
            CHECK_RGB(cell_rgb(px, w, x0, y0, 3, 64, 2u * i + 1), want);
        }
        // The safe palette's exact colours, as the README names them.
        CHECK_RGB(cell_rgb(px, w, x0, y0, 3, 64, 0), ((mph_rgb){0x87, 0x5f, 0x00})); // T brown
        CHECK_RGB(cell_rgb(px, w, x0, y0, 3, 64, 20),
                  bg(mph_palette_role(MPH_PALETTE_SAFE, MPH_ROLE_FREE)));
        CHECK_RGB(cell_rgb(px, w, x0, y0, 3, 64, 25), ((mph_rgb){0x30, 0x30, 0x30})); // free
        // The blocker, head and tails.
        for (unsigned b = 40; b < 44; b++)
            CHECK_RGB(cell_rgb(px, w, x0, y0, 3, 64, b),
                      bg(mph_palette_role(MPH_PALETTE_SAFE, MPH_ROLE_BLOCKER)));
        CHECK_RGB(cell_rgb(px, w, x0, y0, 3, 64, 100),
                  bg(mph_palette_head(MPH_PALETTE_SAFE, MPH_TYPE_OTHER, 0)));
        // Area 2: the str and its tails, then the largest free run.
        CHECK_RGB(cell_rgb(px, w, x1, y1, 3, 64, 0),
                  bg(mph_palette_head(MPH_PALETTE_SAFE, MPH_TYPE_STR, 0)));
        CHECK_RGB(cell_rgb(px, w, x1, y1, 3, 64, 18),
                  bg(mph_palette_head(MPH_PALETTE_SAFE, MPH_TYPE_STR, 0)));
        CHECK_RGB(cell_rgb(px, w, x1, y1, 3, 64, 19),
                  bg(mph_palette_role(MPH_PALETTE_SAFE, MPH_ROLE_LARGEST_FREE)));
        CHECK_RGB(cell_rgb(px, w, x1, y1, 3, 64, 63), ((mph_rgb){0x5f, 0x5f, 0xff})); // blue
        // Every pixel of a block's square is its colour; the map starts at the origin
        // exactly: white just left of it and just above it.
        CHECK_RGB(rgb_at(px, w, (unsigned)x0 + 40 * 3, (unsigned)y0),
                  rgb_at(px, w, (unsigned)x0 + 40 * 3 + 2, (unsigned)y0 + 2));
        CHECK(!is_white(rgb_at(px, w, (unsigned)x0, (unsigned)y0)));
        CHECK(is_white(rgb_at(px, w, (unsigned)x0 - 1, (unsigned)y0 + 1)));
        CHECK(is_white(rgb_at(px, w, (unsigned)x0 + 1, (unsigned)y0 - 1)));
        // The text: the summary's first line, glyph by glyph, where the layout puts it.
        unsigned sy = L_MARGIN + L_LINE + L_GAP;
        size_t first = strcspn(sum.data, "\n"), drawn = 0;
        for (size_t i = 0; i < first; i++)
            drawn += glyph_at(px, w, L_MARGIN + (unsigned)i * L_ADV, sy, (unsigned char)sum.data[i]);
        CHECK_EQ(drawn, first);
        CHECK(first > 10);
        // The title, "mpheap: heap map".
        const char *title = "mpheap: heap map";
        drawn = 0;
        for (size_t i = 0; title[i]; i++)
            drawn += glyph_at(px, w, L_MARGIN + (unsigned)i * L_ADV, L_MARGIN, (unsigned char)title[i]);
        CHECK_EQ(drawn, strlen(title));
        // The gutter beside area 1's first row: ink (grey) in the text's rows, none in the
        // margin.
        size_t ink = 0;
        for (unsigned y = (unsigned)y0; y < (unsigned)y0 + L_LINE; y++)
            for (unsigned x = L_MARGIN; x < (unsigned)x0 - L_ADV; x++)
                ink += !is_white(rgb_at(px, w, x, y));
        CHECK(ink > 40);
        for (unsigned y = 0; y < h; y++)
            for (unsigned x = 0; x < L_MARGIN; x++)
                if (!is_white(rgb_at(px, w, x, y))) {
                    CHECK(!"ink in the left margin");
                    y = h;
                    break;
                }
    }
    free(px);

    // Without a verdict the blocker is an ordinary 'h'; two columns make one row
    // of area 1's 192 blocks two rows wide.
    o.verdict = NULL;
    o.columns = 2;
    o.pixels = 1;
    m.len = 0;
    CHECK(mph_render_png(s, &o, &sink, &err) == MPH_OK);
    CHECK(mph_picture_png_cell_origin(s, &o, 0, &x0, &y0));
    CHECK(mph_picture_png_cell_origin(s, &o, 1, &x1, &y1));
    CHECK_EQ(y1, y0 + 2 + L_GAP + L_LINE);
    mph_picture_png_size(s, &o, &pw, &ph);
    px = decode(&m, &w, &h);
    CHECK(px != NULL);
    if (px) {
        CHECK_EQ(w, pw);
        CHECK_EQ(h, ph);
        CHECK_RGB(cell_rgb(px, w, x0, y0, 1, 128, 40),
                  bg(mph_palette_head(MPH_PALETTE_SAFE, MPH_TYPE_OTHER, 0)));
        CHECK_RGB(cell_rgb(px, w, x0, y0, 1, 128, 255), ((mph_rgb){255, 255, 255})); // past the end
        CHECK_RGB(cell_rgb(px, w, x1, y1, 1, 128, 30),
                  bg(mph_palette_role(MPH_PALETTE_SAFE, MPH_ROLE_LARGEST_FREE)));
    }
    free(px);

    // The overview: 4 blocks per cell, levels as colours.
    o.columns = 1;
    o.scale = 4;
    m.len = 0;
    CHECK(mph_render_png(s, &o, &sink, &err) == MPH_OK);
    CHECK(mph_picture_png_cell_origin(s, &o, 0, &x0, &y0));
    CHECK(mph_picture_png_cell_origin(s, &o, 1, &x1, &y1));
    px = decode(&m, &w, &h);
    CHECK(px != NULL);
    if (px) {
        CHECK_RGB(cell_rgb(px, w, x0, y0, 1, 64, 0),
                  bg(mph_palette_role(MPH_PALETTE_SAFE, MPH_ROLE_LEVEL_FULL)));
        CHECK_RGB(cell_rgb(px, w, x0, y0, 1, 64, 6),
                  bg(mph_palette_role(MPH_PALETTE_SAFE, MPH_ROLE_FREE)));
        CHECK_RGB(cell_rgb(px, w, x0, y0, 1, 64, 48), ((mph_rgb){255, 255, 255})); // 48 cells
        CHECK_RGB(cell_rgb(px, w, x1, y1, 1, 64, 10),
                  bg(mph_palette_role(MPH_PALETTE_SAFE, MPH_ROLE_LARGEST_FREE)));
    }
    free(px);

    // Eight pixels a cell: the text doubles (t = 2), the map's cells are 8 wide.
    o.scale = 1;
    o.pixels = 8;
    m.len = 0;
    CHECK(mph_render_png(s, &o, &sink, &err) == MPH_OK);
    CHECK(mph_picture_png_cell_origin(s, &o, 0, &x0, &y0));
    CHECK_EQ(x0, 2 * (L_MARGIN + (2 + 8 + 1) * L_ADV));
    px = decode(&m, &w, &h);
    CHECK(px != NULL);
    if (px) {
        mph_picture_png_size(s, &o, &pw, &ph);
        CHECK_EQ(w, pw);
        CHECK_EQ(h, ph);
        CHECK_RGB(cell_rgb(px, w, x0, y0, 8, 64, 0), ((mph_rgb){0x87, 0x5f, 0x00}));
        // 'm' of "mpheap" at twice the size: its first row "##.#." two pixels high.
        unsigned bits = mph__font_row('m', 0);
        for (unsigned k = 0; k < MPH_FONT_W; k++) {
            bool on = bits & (1u << (MPH_FONT_W - 1 - k));
            mph_rgb p = rgb_at(px, w, 2 * L_MARGIN + 2 * k + 1, 2 * (L_MARGIN + MPH_FONT_TOP) + 1);
            CHECK(on ? p.r == 0 && p.g == 0 && p.b == 0 : is_white(p));
        }
    }
    free(px);
    free(sum.data);

    // Bad options are the caller's error; a header-only dump has no map.
    o.pixels = 0;
    CHECK(mph_render_png(s, &o, &sink, &err) == MPH_ERR_ARG);
    free(m.data);
    mph_verdict_free(v);
    mph_log_free(log);

    const char header_only[] = "GC: total: 2048, used: 1024, free: 1024\n"
                               " No. of 1-blocks: 4, 2-blocks: 2, max blk sz: 8, max free sz: 40\n";
    mph_log *hlog = NULL;
    if (mph_log_parse(header_only, sizeof header_only - 1, NULL, &hlog, &err) == MPH_OK) {
        mph_picture_options_init(&o);
        mem m2 = {NULL, 0, 0};
        mph_sink s2 = {mem_write, &m2};
        CHECK(mph_render_png(mph_log_snapshot(hlog, 0), &o, &s2, &err) == MPH_ERR_NOT_FOUND);
        CHECK_EQ(m2.len, 0);
        free(m2.data);
    }
    mph_log_free(hlog);
}

TEST(pictures_font) {
    // Every printable glyph differs from every other and from the placeholder; the
    // blank is empty; bytes outside printable ASCII draw the placeholder (a box).
    unsigned rows[96][MPH_FONT_H];
    for (unsigned c = 0x20; c <= 0x7f; c++)
        for (unsigned r = 0; r < MPH_FONT_H; r++)
            rows[c - 0x20][r] = mph__font_row((unsigned char)(c == 0x7f ? 0xc3 : c), r);
    size_t same = 0;
    for (unsigned a = 0; a < 96; a++)
        for (unsigned b = a + 1; b < 96; b++)
            same += memcmp(rows[a], rows[b], sizeof rows[a]) == 0;
    CHECK_EQ(same, 0);
    for (unsigned r = 0; r < MPH_FONT_H; r++)
        CHECK_EQ(rows[0][r], 0);
    CHECK_EQ(mph__font_row(0xc3, 0), 0x1f);
    CHECK_EQ(mph__font_row(0x07, 0), 0x1f);
    CHECK_EQ(mph__font_row(0xff, 6), 0x1f);
    CHECK_EQ(mph__font_row('A', MPH_FONT_H), 0);
}

TEST(pictures_png_non_ascii_label) {
    // A label with a UTF-8 byte pair: each byte is a placeholder box in the title.
    const char text[] = "=== caf\xc3\xa9 ===\n"
                        "GC memory layout; from 20000:\n"
                        "00000000: h=======....S=..................................."
                        "........\n";
    mph_log *log = NULL;
    mph_error err = {0};
    CHECK(mph_log_parse(text, sizeof text - 1, NULL, &log, &err) == MPH_OK);
    if (!log)
        return;
    const mph_snapshot *s = mph_log_snapshot(log, 0);
    const char *label = mph_snapshot_label(s);
    CHECK(label && strstr(label, "caf\xc3\xa9"));
    mph_picture_options o;
    mph_picture_options_init(&o);
    mem m = {NULL, 0, 0};
    mph_sink sink = {mem_write, &m};
    CHECK(mph_render_png(s, &o, &sink, &err) == MPH_OK);
    unsigned w = 0, h = 0;
    unsigned char *px = decode(&m, &w, &h);
    CHECK(px != NULL);
    if (px && label) {
        const char *title_start = "mpheap: heap map, snapshot ";
        size_t at = strlen(title_start) + (size_t)(strstr(label, "\xc3") - label);
        CHECK(glyph_at(px, w, L_MARGIN + (unsigned)at * L_ADV, L_MARGIN, 0xc3));
        CHECK(glyph_at(px, w, L_MARGIN + (unsigned)(at + 1) * L_ADV, L_MARGIN, 0xa9));
        CHECK(glyph_at(px, w, L_MARGIN + (unsigned)(at - 1) * L_ADV, L_MARGIN, 'f'));
    }
    free(px);
    free(m.data);
    mph_log_free(log);
}

/* Two snapshots of one 128-block area, block by block (mph_diff_class):
 *   0..3 "h===" in both: kept; 4 free -> 'S': allocated; 5..7 free in both;
 *   8..9 "S=" -> free: freed; 10 free -> 'D': allocated; 12 'L' -> free: freed;
 *   14..15 "T=" -> "A=": reused; 69 'M' in both: kept; the rest free in both. */
static mph_log *diff_pair(void) {
    char old_cells[129], new_cells[129];
    memset(old_cells, '.', 128);
    memset(new_cells, '.', 128);
    old_cells[128] = new_cells[128] = '\0';
    memcpy(old_cells, "h===....S=..L.T=", 16);
    memcpy(new_cells, "h===S.....D...A=", 16);
    old_cells[69] = new_cells[69] = 'M';
    char text[1024];
    int n = snprintf(text, sizeof text,
                     "=== before ===\nGC memory layout; from 20000:\n"
                     "00000000: %.64s\n00000400: %.64s\n"
                     "=== after ===\nGC memory layout; from 20000:\n"
                     "00000000: %.64s\n00000400: %.64s\n",
                     old_cells, old_cells + 64, new_cells, new_cells + 64);
    mph_log *log = NULL;
    mph_error err = {0};
    if (mph_log_parse(text, (size_t)n, NULL, &log, &err) != MPH_OK)
        return NULL;
    return log;
}

static mph_status failing_write(void *ctx, const char *buf, size_t len) {
    size_t *left = ctx;
    (void)buf;
    if (len > *left)
        return MPH_ERR_IO;
    *left -= len;
    return MPH_OK;
}

static mph_rgb role_rgb(mph_role r) {
    mph_style st = mph_palette_role(MPH_PALETTE_SAFE, r);
    return st.default_bg ? st.fg.rgb : st.bg.rgb;
}

TEST(pictures_diff_png) {
    mph_log *log = diff_pair();
    CHECK(log && mph_log_snapshot_count(log) == 2);
    if (!log)
        return;
    mph_diff *d = NULL;
    mph_error err = {0};
    CHECK(mph_diff_compute(mph_log_snapshot(log, 0), mph_log_snapshot(log, 1), &d, &err) ==
          MPH_OK);
    if (!d) {
        mph_log_free(log);
        return;
    }
    // The classes the picture is to show, from the diff itself.
    const mph_area_pair *pr = mph_diff_pair_at(d, 0);
    CHECK_EQ(mph_diff_pair_count(d), 1);
    static const struct {
        unsigned block;
        mph_diff_class cls;
        mph_role role;
    } known[] = {{0, MPH_DIFF_KEPT, MPH_ROLE_DIFF_KEPT},
                 {3, MPH_DIFF_KEPT, MPH_ROLE_DIFF_KEPT},
                 {4, MPH_DIFF_ALLOCATED, MPH_ROLE_DIFF_ALLOCATED},
                 {6, MPH_DIFF_FREE, MPH_ROLE_DIFF_FREE},
                 {8, MPH_DIFF_FREED, MPH_ROLE_DIFF_FREED},
                 {9, MPH_DIFF_FREED, MPH_ROLE_DIFF_FREED},
                 {10, MPH_DIFF_ALLOCATED, MPH_ROLE_DIFF_ALLOCATED},
                 {12, MPH_DIFF_FREED, MPH_ROLE_DIFF_FREED},
                 {14, MPH_DIFF_REUSED, MPH_ROLE_DIFF_REUSED},
                 {15, MPH_DIFF_REUSED, MPH_ROLE_DIFF_REUSED},
                 {69, MPH_DIFF_KEPT, MPH_ROLE_DIFF_KEPT},
                 {127, MPH_DIFF_FREE, MPH_ROLE_DIFF_FREE}};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        CHECK_EQ(pr->classes[known[i].block], known[i].cls);

    mph_picture_options o;
    mph_picture_options_init(&o);
    o.columns = 1;
    o.pixels = 2;
    uint64_t pw, ph, x0, y0;
    mph_picture_diff_png_size(d, &o, &pw, &ph);
    CHECK(mph_picture_diff_png_cell_origin(d, &o, 0, &x0, &y0));
    uint64_t xx, yy;
    CHECK(!mph_picture_diff_png_cell_origin(d, &o, 1, &xx, &yy)); // one pair only
    CHECK_EQ(x0, L_MARGIN + (2 + 8 + 1) * L_ADV); // "0x" and 8 digits, and a blank
    CHECK_EQ(ph, y0 + 2 * 2 + L_GAP + L_MARGIN);  // 2 rows of 2 pixels, the gap, the margin
    mem m = {NULL, 0, 0};
    mph_sink sink = {mem_write, &m};
    CHECK(mph_render_diff_png(d, &o, &sink, &err) == MPH_OK);
    unsigned w = 0, h = 0;
    unsigned char *px = decode(&m, &w, &h);
    CHECK(px != NULL);
    if (px) {
        CHECK_EQ(w, pw);
        CHECK_EQ(h, ph);
        for (size_t i = 0; i < sizeof known / sizeof *known; i++)
            CHECK_RGB(cell_rgb(px, w, x0, y0, 2, 64, known[i].block), role_rgb(known[i].role));
        // The five classes are five colours.
        mph_rgb c[5] = {role_rgb(MPH_ROLE_DIFF_FREE), role_rgb(MPH_ROLE_DIFF_KEPT),
                        role_rgb(MPH_ROLE_DIFF_FREED), role_rgb(MPH_ROLE_DIFF_ALLOCATED),
                        role_rgb(MPH_ROLE_DIFF_REUSED)};
        for (int a = 0; a < 5; a++)
            for (int b = a + 1; b < 5; b++)
                CHECK(memcmp(&c[a], &c[b], sizeof c[a]) != 0);
        // The title names both snapshots.
        const char *title = "mpheap: heap diff, before -> after";
        size_t drawn = 0;
        for (size_t i = 0; title[i]; i++)
            drawn += glyph_at(px, w, L_MARGIN + (unsigned)i * L_ADV, L_MARGIN,
                              (unsigned char)title[i]);
        CHECK_EQ(drawn, strlen(title));
    }
    free(px);
    // Mono: greys, still one per class.
    o.palette = MPH_PALETTE_MONO;
    m.len = 0;
    CHECK(mph_render_diff_png(d, &o, &sink, &err) == MPH_OK);
    px = decode(&m, &w, &h);
    if (px) {
        mph_rgb a = cell_rgb(px, w, x0, y0, 2, 64, 4), b = cell_rgb(px, w, x0, y0, 2, 64, 8);
        CHECK(a.r == a.g && a.g == a.b && b.r == b.g && b.g == b.b && a.r != b.r);
    }
    free(px);
    // A diff has no overview: a scale is refused.
    o.palette = MPH_PALETTE_SAFE;
    o.scale = 2;
    CHECK(mph_render_diff_png(d, &o, &sink, &err) == MPH_ERR_ARG);
    CHECK(mph_render_diff_svg(d, &o, &sink, &err) == MPH_ERR_ARG);
    // A sink that fails part-way: its status comes back, from libpng's rows too.
    o.scale = 1;
    for (size_t left = 0; left < 3000; left += 900) {
        size_t budget = left;
        mph_sink bad = {failing_write, &budget};
        CHECK(mph_render_diff_png(d, &o, &bad, &err) == MPH_ERR_IO);
        budget = left;
        CHECK(mph_render_diff_svg(d, &o, &bad, &err) == MPH_ERR_IO);
    }
    free(m.data);
    mph_diff_free(d);
    mph_log_free(log);
}

TEST(pictures_timeline_png) {
    mph_log *log = diff_pair();
    CHECK(log != NULL);
    if (!log)
        return;
    const mph_snapshot *snaps[2] = {mph_log_snapshot(log, 0), mph_log_snapshot(log, 1)};
    mph_timeline *t = NULL;
    mph_error err = {0};
    CHECK(mph_timeline_compute(snaps, NULL, 2, &t, &err) == MPH_OK);
    if (!t) {
        mph_log_free(log);
        return;
    }
    mph_picture_options o;
    mph_picture_options_init(&o);
    static const struct {
        unsigned pixels, w, h;
    } sizes[] = {{4, 716, 326}, {1, 716, 326}, {8, 1432, 652}, {64, 2864, 1304}};
    mem m = {NULL, 0, 0};
    mph_sink sink = {mem_write, &m};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        o.pixels = sizes[k].pixels;
        uint64_t pw, ph;
        mph_picture_timeline_png_size(t, &o, &pw, &ph);
        CHECK_EQ(pw, sizes[k].w);
        CHECK_EQ(ph, sizes[k].h);
        m.len = 0;
        CHECK(mph_render_timeline_png(t, &o, &sink, &err) == MPH_OK);
        unsigned w = 0, h = 0;
        unsigned char *px = decode(&m, &w, &h);
        CHECK(px != NULL);
        if (!px)
            continue;
        CHECK_EQ(w, sizes[k].w);
        CHECK_EQ(h, sizes[k].h);
        // Each series in its colour (Okabe and Ito's), the title in ink.
        static const mph_rgb series[4] = {{213, 94, 0}, {0, 114, 178}, {0, 158, 115}, {204, 121, 167}};
        size_t seen[4] = {0}, ink = 0;
        for (unsigned y = 0; y < h; y++)
            for (unsigned x = 0; x < w; x++) {
                mph_rgb p = rgb_at(px, w, x, y);
                for (int s = 0; s < 4; s++)
                    seen[s] += memcmp(&p, &series[s], sizeof p) == 0;
                ink += y < 20 * (h / 326) && p.r == 0 && p.g == 0 && p.b == 0;
            }
        for (int s = 0; s < 4; s++)
            CHECK(seen[s] > 20);
        CHECK(ink > 100);
        free(px);
    }
    // The mono palette has none of those colours.
    o.pixels = 4;
    o.palette = MPH_PALETTE_MONO;
    m.len = 0;
    CHECK(mph_render_timeline_png(t, &o, &sink, &err) == MPH_OK);
    unsigned w = 0, h = 0;
    unsigned char *px = decode(&m, &w, &h);
    if (px) {
        size_t coloured = 0;
        for (size_t i = 0; i < (size_t)w * h; i++)
            coloured += px[3 * i] != px[3 * i + 1] || px[3 * i + 1] != px[3 * i + 2];
        CHECK_EQ(coloured, 0);
    }
    free(px);
    // A sink that fails part-way: its status comes back.
    for (size_t left = 0; left < 2000; left += 700) {
        size_t budget = left;
        mph_sink bad = {failing_write, &budget};
        CHECK(mph_render_timeline_png(t, &o, &bad, &err) == MPH_ERR_IO);
        budget = left;
        CHECK(mph_render_timeline_svg(t, &o, &bad, &err) == MPH_ERR_IO);
    }
    o.pixels = 0;
    CHECK(mph_render_timeline_png(t, &o, &sink, &err) == MPH_ERR_ARG);
    free(m.data);
    mph_timeline_free(t);
    mph_log_free(log);
}
