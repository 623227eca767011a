/* The HTML report's data (mph_render_html): the map survives the trip through runs,
 * zlib and base64 block for block; input strings are escaped in the title and in the
 * JSON island (no '<', no U+2028 left raw); bad options and a failing sink are refused.
 * The page itself is tested in chromium (tests/browser/). */
#include "harness.h"

#include <stdlib.h>
#include <zlib.h>

typedef struct mem {
    char *data;
    size_t len, cap;
} mem;

static mph_status mem_write(void *ctx, const char *buf, size_t len) {
    mem *m = ctx;
    if (m->len + len + 1 > m->cap) {
        size_t cap = (m->len + len + 1) * 2;
        char *d = realloc(m->data, cap);
        if (!d)
            return MPH_ERR_NOMEM;
        m->data = d;
        m->cap = cap;
    }
    memcpy(m->data + m->len, buf, len);
    m->len += len;
    m->data[m->len] = '\0';
    return MPH_OK;
}

typedef struct failing {
    size_t left;
} failing;

static mph_status failing_write(void *ctx, const char *buf, size_t len) {
    failing *f = ctx;
    (void)buf;
    if (len > f->left)
        return MPH_ERR_IO;
    f->left -= len;
    return MPH_OK;
}

/* Two snapshots. The first: an area that starts with orphan tails, holds a head of
 * every type, and a free run of 3000 blocks (a length that needs two varint bytes);
 * the second area of 64 blocks. Its marker line holds markup, a U+2028 and a
 * U+2029. The second snapshot is the same with two more heads. */
static const char label[] = "</script><!-- \xe2\x80\xa8 \xe2\x80\xa9 & \"><img src=x onerror=alert(1)>";

static void put_map(mem *t, unsigned long base, const char *cells, size_t n) {
    char line[128];
    snprintf(line, sizeof line, "GC memory layout; from %lx:\n", base);
    mem_write(t, line, strlen(line));
    for (size_t r = 0; r * 64 < n; r++) {
        size_t k = n - r * 64 < 64 ? n - r * 64 : 64;
        int m = snprintf(line, sizeof line, "%08zx: %.*s\n", r * 64 * 16, (int)k, cells + r * 64);
        mem_write(t, line, (size_t)m);
    }
}

static char area1[3200], area2[65];

static mph_log *build(void) {
    size_t n = 0;
    memcpy(area1, "===", 3); // tails with no head before them
    n = 3;
    static const char heads[] = "TLDSAFBMhm";
    for (int i = 0; i < 10; i++) {
        area1[n++] = heads[i];
        for (int k = 0; k < i; k++)
            area1[n++] = '=';
    }
    memset(area1 + n, '.', 3000);
    n += 3000;
    for (; n < sizeof area1 - 1; n++)
        area1[n] = n % 3 ? '=' : 'h';
    area1[n] = '\0';
    memset(area2, '.', 64);
    memcpy(area2 + 5, "S=====", 6);
    area2[64] = '\0';
    mem t = {NULL, 0, 0};
    char marker[256];
    snprintf(marker, sizeof marker, "=== mpheap: %s ===\n", label);
    mem_write(&t, marker, strlen(marker));
    put_map(&t, 0x20000, area1, strlen(area1));
    put_map(&t, 0x40000, area2, 64);
    mem_write(&t, "=== second ===\n", 15);
    area2[20] = 'L';
    area2[21] = 'D';
    put_map(&t, 0x20000, area1, strlen(area1));
    put_map(&t, 0x40000, area2, 64);
    area2[20] = area2[21] = '.';
    mph_log *log = NULL;
    mph_error err = {0};
    if (mph_log_parse(t.data, t.len, NULL, &log, &err) != MPH_OK)
        fprintf(stderr, "parse: %lu:%lu: %s\n", err.line, err.column, err.message);
    free(t.data);
    return log;
}

static int b64_value(char c) {
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(a, c) : NULL;
    return p ? (int)(p - a) : -1;
}

/* Decode the n-th "map":"..." of the page into the cells it stands for (codes as the
 * characters of the dump: heads by type, '=' for tails, '.' free); NULL when malformed. */
static char *decode_map(const char *page, int nth, size_t *n_cells) {
    const char *p = page;
    for (int i = 0; i <= nth; i++) {
        p = strstr(p, "\"map\":\"");
        if (!p)
            return NULL;
        p += 7;
    }
    const char *end = strchr(p, '"');
    size_t n = (size_t)(end - p), k = 0;
    unsigned char *z = malloc(n);
    unsigned v = 0;
    int bits = 0;
    for (size_t i = 0; i < n && p[i] != '='; i++) {
        int d = b64_value(p[i]);
        if (d < 0) {
            free(z);
            return NULL;
        }
        v = v << 6 | (unsigned)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            z[k++] = (unsigned char)(v >> bits);
        }
    }
    uLongf raw_len = 1 << 20;
    unsigned char *raw = malloc(raw_len);
    int zr = uncompress(raw, &raw_len, z, (uLong)k);
    free(z);
    if (zr != Z_OK) {
        free(raw);
        return NULL;
    }
    static const char letters[] = "TLDSAFBMhm";
    char *cells = malloc(1 << 20);
    size_t c = 0;
    for (size_t i = 0; i < raw_len;) {
        unsigned b = raw[i++];
        uint64_t len = (b >> 4) & 7;
        if (b & 0x80) {
            unsigned shift = 3, x;
            do {
                x = raw[i++];
                len |= (uint64_t)(x & 0x7f) << shift;
                shift += 7;
            } while (x & 0x80);
        }
        len += 1;
        unsigned code = b & 15;
        for (uint64_t j = 0; j < len; j++)
            cells[c++] = code == 10 ? '.' : code == 11 || j ? '=' : letters[code];
    }
    free(raw);
    *n_cells = c;
    return cells;
}

TEST(html_map_round_trip) {
    mph_log *log = build();
    CHECK(log != NULL);
    if (!log)
        return;
    mph_html_options o;
    mph_html_options_init(&o, log);
    CHECK_EQ(o.first, 0);
    CHECK_EQ(o.last, 1);
    CHECK_EQ(o.current, 1);
    mem page = {NULL, 0, 0};
    mph_sink sink = {mem_write, &page};
    mph_error err = {0};
    CHECK_EQ(mph_render_html(log, &o, &sink, &err), MPH_OK);
    for (int s = 0; s < 2; s++) {
        size_t n = 0;
        char *cells = decode_map(page.data, s, &n);
        CHECK(cells != NULL);
        if (!cells)
            continue;
        const mph_snapshot *snap = mph_log_snapshot(log, (size_t)s);
        CHECK_EQ(n, mph_snapshot_block_count(snap));
        size_t at = 0;
        for (size_t a = 0; a < mph_snapshot_area_count(snap) && at + 1 <= n; a++) {
            const mph_area *ar = mph_snapshot_area(snap, a);
            CHECK(at + ar->n_blocks <= n && memcmp(cells + at, ar->cells, ar->n_blocks) == 0);
            at += ar->n_blocks;
        }
        free(cells);
    }
    free(page.data);
    mph_log_free(log);
}

TEST(html_strings_escaped) {
    mph_log *log = build();
    if (!log)
        return;
    mph_html_options o;
    mph_html_options_init(&o, log);
    o.name = "a<b>&\"c\".txt";
    o.view = MPH_HTML_VIEW_DIFF;
    o.diff_old = 0;
    o.diff_new = 1;
    mem page = {NULL, 0, 0};
    mph_sink sink = {mem_write, &page};
    mph_error err = {0};
    CHECK_EQ(mph_render_html(log, &o, &sink, &err), MPH_OK);
    CHECK(strstr(page.data, "<title>mpheap: a&lt;b&gt;&amp;&quot;c&quot;.txt</title>") != NULL);
    const char *island = strstr(page.data, "id=\"mpheap-data\">");
    CHECK(island != NULL);
    if (island) {
        island += 17;
        const char *end = strstr(island, "</script>");
        CHECK(end != NULL && memchr(island, '<', (size_t)(end - island)) == NULL &&
              memchr(island, '>', (size_t)(end - island)) == NULL);
        CHECK(strstr(island, "\"name\":\"a\\u003cb\\u003e\\u0026\\\"c\\\".txt\"") != NULL);
        // The label in the snapshot's record and in the stats, timeline and diff documents.
        const char *want = "\\u003c/script\\u003e\\u003c!-- \\u2028 \\u2029 \\u0026 \\\"\\u003e"
                           "\\u003cimg src=x onerror=alert(1)\\u003e";
        size_t hits = 0;
        for (const char *p = island; (p = strstr(p, want)) && p < end; p++)
            hits++;
        CHECK(hits >= 4);
        CHECK(strstr(island, "\xe2\x80\xa8") == NULL || strstr(island, "\xe2\x80\xa8") > end);
        CHECK(strstr(island, "\"diff\":{\"old\":1,\"new\":2,\"document\":") != NULL);
        CHECK(strstr(island, "\"schema\": \"mpheap/timeline/3\"") != NULL);
    }
    CHECK(page.len > 9 && strcmp(page.data + page.len - 8, "</html>\n") == 0);
    free(page.data);
    mph_log_free(log);
}

TEST(html_bad_options_and_sink) {
    mph_log *log = build();
    if (!log)
        return;
    mph_html_options o;
    mph_html_options_init(&o, log);
    mem page = {NULL, 0, 0};
    mph_sink sink = {mem_write, &page};
    mph_error err = {0};
    o.last = 2; // past the log
    CHECK_EQ(mph_render_html(log, &o, &sink, &err), MPH_ERR_ARG);
    CHECK_EQ(err.code, MPH_ERR_ARG);
    mph_html_options_init(&o, log);
    o.current = 0;
    o.first = 1;
    CHECK_EQ(mph_render_html(log, &o, &sink, &err), MPH_ERR_ARG);
    mph_html_options_init(&o, log);
    o.view = MPH_HTML_VIEW_DIFF;
    o.first = 1;
    o.diff_old = 0;
    CHECK_EQ(mph_render_html(log, &o, &sink, &err), MPH_ERR_ARG);
    CHECK_EQ(mph_render_html(NULL, &o, &sink, &err), MPH_ERR_ARG);
    CHECK_EQ(page.len, 0); // nothing written before the options are checked
    mph_html_options_init(&o, log);
    CHECK_EQ(mph_render_html(log, &o, &sink, &err), MPH_OK);
    for (size_t k = 0; k < 5; k++) { // a sink that fails anywhere in the page
        failing f = {page.len * k / 5};
        mph_sink bad = {failing_write, &f};
        memset(&err, 0, sizeof err);
        CHECK_EQ(mph_render_html(log, &o, &bad, &err), MPH_ERR_IO);
        CHECK_EQ(err.code, MPH_ERR_IO);
    }
    free(page.data);
    mph_log_free(log);
}
