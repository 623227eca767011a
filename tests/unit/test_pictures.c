/* The PNG picture, decoded with libpng: exact colours at known blocks of a
 * hand-built map (the palette's RGB), and the size the header promises. */
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

/* The centre pixel of block b of area a (0 or 1) with 1 column, scale 1, p
 * pixels. */
static mph_rgb block_rgb(const unsigned char *px, unsigned w, unsigned p, int area, unsigned b) {
    unsigned row = area == 0 ? b / 64 : 3 + 1 + b / 64; // area 2 after area 1's 3 rows and a blank
    return rgb_at(px, w, (b % 64) * p + p / 2, row * p + p / 2);
}

TEST(pictures_png_colours_and_size) {
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
    uint64_t pw, ph;
    mph_picture_png_size(s, &o, &pw, &ph);
    CHECK_EQ(pw, 64 * 3);
    CHECK_EQ(ph, (3 + 1 + 1) * 3);
    mem m = {NULL, 0, 0};
    mph_sink sink = {mem_write, &m};
    CHECK(mph_render_png(s, &o, &sink, &err) == MPH_OK);
    unsigned w = 0, h = 0;
    unsigned char *px = decode(&m, &w, &h);
    CHECK(px != NULL);
    if (px) {
        CHECK_EQ(w, 192);
        CHECK_EQ(h, 15);
        // Each head type in its colour, and its tail in the same.
        for (int i = 0; i < 10; i++) {
            mph_type t = (mph_type)mph_type_of_cell(heads[i]);
            CHECK_RGB(block_rgb(px, w, 3, 0, 2u * i), bg(mph_palette_head(MPH_PALETTE_SAFE, t, 0)));
            CHECK_RGB(block_rgb(px, w, 3, 0, 2u * i + 1),
                      bg(mph_palette_head(MPH_PALETTE_SAFE, t, 0)));
        }
        // The safe palette's exact colours, as the README names them.
        CHECK_RGB(block_rgb(px, w, 3, 0, 0), ((mph_rgb){0x87, 0x5f, 0x00})); // T brown
        CHECK_RGB(block_rgb(px, w, 3, 0, 20),
                  bg(mph_palette_role(MPH_PALETTE_SAFE, MPH_ROLE_FREE)));
        CHECK_RGB(block_rgb(px, w, 3, 0, 25), ((mph_rgb){0x30, 0x30, 0x30})); // free: dark grey
        // The blocker, head and tails.
        for (unsigned b = 40; b < 44; b++)
            CHECK_RGB(block_rgb(px, w, 3, 0, b),
                      bg(mph_palette_role(MPH_PALETTE_SAFE, MPH_ROLE_BLOCKER)));
        CHECK_RGB(block_rgb(px, w, 3, 0, 100),
                  bg(mph_palette_head(MPH_PALETTE_SAFE, MPH_TYPE_OTHER, 0)));
        // The blank row between the areas is white.
        CHECK_RGB(rgb_at(px, w, 10, 3 * 3 + 1), ((mph_rgb){255, 255, 255}));
        // Area 2: the str and its tails, then the largest free run.
        CHECK_RGB(block_rgb(px, w, 3, 1, 0),
                  bg(mph_palette_head(MPH_PALETTE_SAFE, MPH_TYPE_STR, 0)));
        CHECK_RGB(block_rgb(px, w, 3, 1, 18),
                  bg(mph_palette_head(MPH_PALETTE_SAFE, MPH_TYPE_STR, 0)));
        CHECK_RGB(block_rgb(px, w, 3, 1, 19),
                  bg(mph_palette_role(MPH_PALETTE_SAFE, MPH_ROLE_LARGEST_FREE)));
        CHECK_RGB(block_rgb(px, w, 3, 1, 63), ((mph_rgb){0x5f, 0x5f, 0xff})); // blue
        // Every pixel of a block's square is its colour.
        CHECK_RGB(rgb_at(px, w, 40 * 3, 0), rgb_at(px, w, 40 * 3 + 2, 2));
    }
    free(px);

    // Without a verdict the blocker is an ordinary 'h'; two columns make one row
    // of area 1's 192 blocks two rows wide.
    o.verdict = NULL;
    o.columns = 2;
    o.pixels = 1;
    m.len = 0;
    CHECK(mph_render_png(s, &o, &sink, &err) == MPH_OK);
    px = decode(&m, &w, &h);
    CHECK(px != NULL);
    if (px) {
        CHECK_EQ(w, 128);
        CHECK_EQ(h, 2 + 1 + 1);
        CHECK_RGB(rgb_at(px, w, 40, 0), bg(mph_palette_head(MPH_PALETTE_SAFE, MPH_TYPE_OTHER, 0)));
        CHECK_RGB(rgb_at(px, w, 127, 1), ((mph_rgb){255, 255, 255})); // past area 1's end
        CHECK_RGB(rgb_at(px, w, 30, 3),
                  bg(mph_palette_role(MPH_PALETTE_SAFE, MPH_ROLE_LARGEST_FREE)));
    }
    free(px);

    // The overview: 4 blocks per cell, levels as colours.
    o.columns = 1;
    o.scale = 4;
    m.len = 0;
    CHECK(mph_render_png(s, &o, &sink, &err) == MPH_OK);
    px = decode(&m, &w, &h);
    CHECK(px != NULL);
    if (px) {
        CHECK_EQ(w, 64);
        CHECK_EQ(h, 1 + 1 + 1);
        CHECK_RGB(rgb_at(px, w, 0, 0), bg(mph_palette_role(MPH_PALETTE_SAFE, MPH_ROLE_LEVEL_FULL)));
        CHECK_RGB(rgb_at(px, w, 6, 0), bg(mph_palette_role(MPH_PALETTE_SAFE, MPH_ROLE_FREE)));
        CHECK_RGB(rgb_at(px, w, 48, 0), ((mph_rgb){255, 255, 255})); // 48 cells in area 1
        CHECK_RGB(rgb_at(px, w, 10, 2),
                  bg(mph_palette_role(MPH_PALETTE_SAFE, MPH_ROLE_LARGEST_FREE)));
    }
    free(px);

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
