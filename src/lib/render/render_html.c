/* The HTML report: one self-contained page (src/lib/render/html/: the template,
 * its script and its style, embedded at build time as $(BUILD)/gen/report_assets.c)
 * with one JSON island that holds every figure and every map. The figures are
 * the JSON renderers' own documents (stats with the verdict, the timeline, a
 * diff), so the page's tables equal `mpheap stats --json` by construction. A
 * map is its runs (one byte of type and length, then the rest of the length
 * as a varint), deflated with zlib and written in base64: the page inflates it
 * with the browser's DecompressionStream. */
#include "picture.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* report_assets.c, made by the Makefile (src/lib/render/html/embed.sh). */
extern const unsigned char mph__html_template[], mph__html_js[], mph__html_css[];
extern const size_t mph__html_template_len, mph__html_js_len, mph__html_css_len;
extern const char mph__html_js_sha256[], mph__html_css_sha256[];

/* Codes of a run in the map stream: a type's (0..9) for an allocation, then these. */
enum { RUN_FREE = MPH_TYPE_COUNT, RUN_ORPHAN };

/* ------------------------------------------------- the island's escaping sink */

/* Everything inside <script type="application/json"> goes through here: '<',
 * '>' and '&' become \u003c, \u003e, \u0026 (so no "</script>" or "<!--" can
 * end or bend the island) and U+2028/U+2029 become \u2028/\u2029. Only JSON
 * strings can hold these bytes, where the escapes mean the same characters. */
typedef struct island {
    mph_outbuf *out;
    unsigned char held[2]; /* the start of a possible U+2028/9 split across writes */
    size_t n_held;
} island;

static void island_byte(island *is, unsigned char c) {
    mph_outbuf *o = is->out;
    if (is->n_held == 0) {
        if (c == 0xe2) {
            is->held[is->n_held++] = c;
            return;
        }
    } else if (is->n_held == 1) {
        if (c == 0x80) {
            is->held[is->n_held++] = c;
            return;
        }
        mph__out_putc(o, (char)is->held[0]);
        is->n_held = 0;
        island_byte(is, c);
        return;
    } else {
        is->n_held = 0;
        if (c == 0xa8 || c == 0xa9) {
            mph__out_puts(o, c == 0xa8 ? "\\u2028" : "\\u2029");
            return;
        }
        mph__out_putc(o, (char)0xe2);
        mph__out_putc(o, (char)0x80);
        island_byte(is, c);
        return;
    }
    switch (c) {
    case '<': mph__out_puts(o, "\\u003c"); break;
    case '>': mph__out_puts(o, "\\u003e"); break;
    case '&': mph__out_puts(o, "\\u0026"); break;
    default: mph__out_putc(o, (char)c);
    }
}

static mph_status island_write(void *ctx, const char *buf, size_t len) {
    island *is = ctx;
    for (size_t i = 0; i < len; i++)
        island_byte(is, (unsigned char)buf[i]);
    return is->out->status;
}

static void island_end(island *is) {
    for (size_t i = 0; i < is->n_held; i++)
        mph__out_putc(is->out, (char)is->held[i]);
    is->n_held = 0;
}

static void island_puts(island *is, const char *s) { (void)island_write(is, s, strlen(s)); }

/* A JSON string (NULL: null), through the island. */
static void island_string(island *is, const char *s) {
    if (!s) {
        island_puts(is, "null");
        return;
    }
    island_byte(is, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p >= 0x80) { // valid UTF-8 only: each invalid sequence becomes U+FFFD
            bool valid;
            size_t n = mph__utf8_next((const char *)p, &valid);
            if (valid)
                (void)island_write(is, (const char *)p, n);
            else
                island_puts(is, MPH_UTF8_REPLACEMENT);
            p += n - 1;
        } else if (*p == '"' || *p == '\\') {
            island_byte(is, '\\');
            island_byte(is, *p);
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            island_puts(is, esc);
        } else {
            island_byte(is, *p);
        }
    }
    island_byte(is, '"');
}

static void island_printf(island *is, const char *fmt, ...) MPH_PRINTF(2, 3);
static void island_printf(island *is, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        (void)island_write(is, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ------------------------------------------------------------------- the map */

typedef struct bytes {
    unsigned char *data;
    size_t len, cap;
} bytes;

static bool bytes_room(bytes *b, size_t n) {
    if (b->cap - b->len >= n)
        return true;
    size_t cap = b->cap ? b->cap : 1 << 16;
    while (cap - b->len < n)
        cap *= 2;
    unsigned char *d = realloc(b->data, cap);
    if (!d)
        return false;
    b->data = d;
    b->cap = cap;
    return true;
}

/* One run: code in the low 4 bits, the low 3 bits of (blocks - 1) above it, and
 * bit 7 when the rest of (blocks - 1) >> 3 follows as a LEB128 varint. */
static bool put_run(bytes *b, unsigned code, uint64_t blocks) {
    if (!bytes_room(b, 12))
        return false;
    uint64_t l = blocks - 1;
    unsigned char *p = b->data + b->len;
    *p++ = (unsigned char)(code | (l & 7) << 4 | (l > 7 ? 0x80 : 0));
    for (l >>= 3; l; l >>= 7)
        *p++ = (unsigned char)((l & 0x7f) | (l > 0x7f ? 0x80 : 0));
    b->len = (size_t)(p - b->data);
    return true;
}

/* Every area's runs, back to back (the page splits them by the areas' sizes). */
static bool encode_runs(const mph_snapshot *s, bytes *b) {
    for (size_t ai = 0; ai < s->n_areas; ai++) {
        const mph_area *a = &s->areas[ai];
        const char *c = a->cells;
        size_t n = a->n_blocks;
        for (size_t i = 0; i < n;) {
            if (c[i] == MPH_CELL_FREE) {
                size_t k = mph__run_length(c, n, i, MPH_CELL_FREE);
                if (!put_run(b, RUN_FREE, k))
                    return false;
                i += k;
                continue;
            }
            int t = mph_type_of_cell(c[i]);
            size_t end = i + 1;
            if (end < n && c[end] == MPH_CELL_TAIL)
                end += mph__run_length(c, n, end, MPH_CELL_TAIL);
            if (!put_run(b, t >= 0 ? (unsigned)t : RUN_ORPHAN, end - i))
                return false;
            i = end;
        }
    }
    return true;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_base64(mph_outbuf *o, const unsigned char *p, size_t n) {
    char line[4 * 1024];
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        line[k++] = b64[v >> 18 & 63];
        line[k++] = b64[v >> 12 & 63];
        line[k++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        line[k++] = i + 2 < n ? b64[v & 63] : '=';
        if (k == sizeof line) {
            mph__out_write(o, line, k);
            k = 0;
        }
    }
    mph__out_write(o, line, k);
}

/* The map of s as a JSON string of base64 (zlib-deflated runs). Z_FILTERED and
 * memLevel 9: on the 512 MiB heap's runs (2.03 MB) 1.33 MB against compress2's
 * 1.41 MB: a heap's runs repeat little, so Huffman coding does most of the work. */
static mph_status put_map(island *is, const mph_snapshot *s, mph_error *err) {
    bytes raw = {NULL, 0, 0};
    unsigned char *z = NULL;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    bool zinit = false;
    mph_status rc = MPH_ERR_NOMEM;
    if (!encode_runs(s, &raw))
        goto fail;
    if (raw.len > UINT32_MAX / 2) { // zlib counts in uInt
        rc = MPH_ERR_LIMIT;
        mph__error_set(err, rc, 0, 0, "the map's runs take %zu bytes: more than one page can hold",
                       raw.len);
        goto fail;
    }
    if (deflateInit2(&zs, 9, Z_DEFLATED, 15, 9, Z_FILTERED) != Z_OK)
        goto fail;
    zinit = true;
    uLong zcap = deflateBound(&zs, (uLong)raw.len);
    z = malloc(zcap);
    if (!z)
        goto fail;
    zs.next_in = raw.data ? raw.data : (unsigned char *)"";
    zs.avail_in = (uInt)raw.len;
    zs.next_out = z;
    zs.avail_out = (uInt)zcap;
    if (zcap > UINT32_MAX || deflate(&zs, Z_FINISH) != Z_STREAM_END)
        goto fail;
    island_end(is);
    mph__out_putc(is->out, '"');
    put_base64(is->out, z, zs.total_out);
    mph__out_putc(is->out, '"');
    rc = MPH_OK;
fail:
    if (rc == MPH_ERR_NOMEM)
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory while compressing the map");
    if (zinit)
        deflateEnd(&zs);
    free(raw.data);
    free(z);
    return rc;
}

/* ------------------------------------------------------------ the documents */

static void put_color(island *is, mph_rgb c) { island_printf(is, "\"#%02x%02x%02x\"", c.r, c.g, c.b); }

/* The palette's colours by role, as the pictures use them (picture.c). */
static void put_palette(island *is, mph_palette_kind pal) {
    island_puts(is, "{\"name\":");
    island_string(is, mph_palette_name(pal));
    island_puts(is, ",\"types\":{");
    for (int t = 0; t < MPH_TYPE_COUNT; t++) {
        char letter[2] = {mph_type_letter((mph_type)t), '\0'};
        island_printf(is, "%s\"%s\":[", t ? "," : "", letter);
        for (unsigned ph = 0; ph < 4; ph++) {
            if (ph)
                island_puts(is, ",");
            mph_rgb c = pal == MPH_PALETTE_MONO
                            ? (mph_rgb){40, 40, 40}
                            : mph__pic_rgb(mph_palette_head(pal, (mph_type)t, ph));
            put_color(is, c);
        }
        island_puts(is, "]");
    }
    island_puts(is, "}");
    static const struct {
        const char *name;
        mph_role role;
        uint8_t grey; /* mono: greys by role, as the pictures */
    } roles[] = {{"free", MPH_ROLE_FREE, 230},
                 {"largest", MPH_ROLE_LARGEST_FREE, 170},
                 {"blocker", MPH_ROLE_BLOCKER, 110},
                 {"low", MPH_ROLE_LEVEL_LOW, 200},
                 {"mid", MPH_ROLE_LEVEL_MID, 150},
                 {"high", MPH_ROLE_LEVEL_HIGH, 100},
                 {"full", MPH_ROLE_LEVEL_FULL, 40},
                 {"diff_free", MPH_ROLE_DIFF_FREE, 230},
                 {"diff_kept", MPH_ROLE_DIFF_KEPT, 170},
                 {"diff_freed", MPH_ROLE_DIFF_FREED, 200},
                 {"diff_allocated", MPH_ROLE_DIFF_ALLOCATED, 60},
                 {"diff_reused", MPH_ROLE_DIFF_REUSED, 110}};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        island_printf(is, ",\"%s\":", roles[i].name);
        mph_rgb c = pal == MPH_PALETTE_MONO
                        ? (mph_rgb){roles[i].grey, roles[i].grey, roles[i].grey}
                        : mph__pic_rgb(mph_palette_role(pal, roles[i].role));
        put_color(is, c);
    }
    island_puts(is, "}");
}

static mph_status put_snapshot(island *is, const mph_log *log, size_t index,
                               const mph_html_options *o, mph_error *err) {
    const mph_snapshot *s = mph_log_snapshot(log, index);
    mph_sink isink = {island_write, is};
    mph_verdict *v = NULL;
    mph_stats_report *r = NULL;
    mph_text sum = {NULL, 0, 0};
    mph_status rc = mph_verdict_new(s, o->need, &v, err);
    if (rc)
        goto fail;
    rc = mph_stats_report_new(s, NULL, 0, &r, err);
    if (rc)
        goto fail;
    island_printf(is, "{\"index\":%zu,\"label\":", index + 1);
    island_string(is, mph_snapshot_label(s));
    island_puts(is, ",\"time\":");
    island_string(is, mph_snapshot_time(s));
    island_printf(is, ",\"line\":%lu,\"block_size\":%u,\"header_only\":%s,\"map_partial\":%s",
                  mph_snapshot_first_line(s), mph_snapshot_block_size(s),
                  mph_snapshot_header_only(s) ? "true" : "false",
                  mph_snapshot_map_partial(s) ? "true" : "false");
    island_puts(is, ",\"areas\":[");
    for (size_t a = 0; a < s->n_areas; a++) {
        const mph_area *ar = &s->areas[a];
        island_printf(is, "%s{\"blocks\":%zu,\"line\":%lu,\"base\":", a ? "," : "", ar->n_blocks,
                      ar->line);
        if (ar->has_base)
            island_printf(is, "\"0x%llx\"}", (unsigned long long)ar->base);
        else
            island_puts(is, "null}");
    }
    island_puts(is, "]");
    // The terminal's summary and verdict, as text (the SVG's summary too).
    mph_ansi_options ao = {1, false, o->palette, false, 1, true, v, MPH_COLORS_256, 100};
    mph_sink mem = mph__text_sink(&sum);
    rc = mph_render_ansi_summary(s, &ao, &mem, err);
    if (rc)
        goto fail;
    char *text = malloc(sum.len + 1);
    if (!text) {
        rc = MPH_ERR_NOMEM;
        mph__error_set(err, rc, 0, 0, "out of memory");
        goto fail;
    }
    memcpy(text, sum.data ? sum.data : "", sum.len);
    text[sum.len] = '\0';
    island_puts(is, ",\"summary\":");
    island_string(is, text);
    free(text);
    char name[64];
    snprintf(name, sizeof name, "#%zu", index + 1);
    mph_text_options to = {0};
    to.name = name;
    to.verdict = v;
    island_puts(is, ",\"stats\":");
    rc = mph_render_json_stats(r, &to, &isink, err);
    if (rc)
        goto fail;
    island_puts(is, ",\"map\":");
    if (s->n_areas) {
        rc = put_map(is, s, err);
        if (rc)
            goto fail;
    } else {
        island_puts(is, "null");
    }
    island_puts(is, "}");
fail:
    free(sum.data);
    mph_stats_report_free(r);
    mph_verdict_free(v);
    return rc;
}

static mph_status put_timeline(island *is, const mph_log *log, const mph_html_options *o,
                               mph_error *err) {
    size_t n = o->last - o->first + 1;
    const mph_snapshot **snaps = malloc(n * sizeof *snaps);
    char **names = calloc(n, sizeof *names);
    mph_timeline *t = NULL;
    mph_status rc = MPH_ERR_NOMEM;
    if (!snaps || !names) {
        mph__error_set(err, rc, 0, 0, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        snaps[i] = mph_log_snapshot(log, o->first + i);
        names[i] = malloc(32);
        if (!names[i]) {
            mph__error_set(err, rc, 0, 0, "out of memory");
            goto fail;
        }
        snprintf(names[i], 32, "#%zu", o->first + i + 1);
    }
    rc = mph_timeline_compute(snaps, (const char *const *)names, n, &t, err);
    if (rc)
        goto fail;
    mph_text_options to = {0};
    to.name = o->name;
    mph_sink isink = {island_write, is};
    island_puts(is, ",\"timeline\":");
    rc = mph_render_json_timeline(t, &to, &isink, err);
fail:
    mph_timeline_free(t);
    if (names)
        for (size_t i = 0; i < n; i++)
            free(names[i]);
    free(names);
    free(snaps);
    return rc;
}

static mph_status put_diff(island *is, const mph_log *log, const mph_html_options *o,
                           mph_error *err) {
    mph_diff *d = NULL;
    mph_status rc = mph_diff_compute(mph_log_snapshot(log, o->diff_old),
                                     mph_log_snapshot(log, o->diff_new), &d, err);
    if (rc)
        return rc;
    char a[32], b[32];
    snprintf(a, sizeof a, "#%zu", o->diff_old + 1);
    snprintf(b, sizeof b, "#%zu", o->diff_new + 1);
    mph_text_options to = {0};
    to.old_name = a;
    to.new_name = b;
    to.max_list = 20;
    mph_sink isink = {island_write, is};
    island_printf(is, ",\"diff\":{\"old\":%zu,\"new\":%zu,\"document\":", o->diff_old + 1,
                  o->diff_new + 1);
    rc = mph_render_json_diff(d, &to, &isink, err);
    island_puts(is, "}");
    mph_diff_free(d);
    return rc;
}

/* ------------------------------------------------------------------ the page */

/* Text as HTML character data: & < > " ' escaped (the title, in <title>). */
static void put_html_text(mph_outbuf *o, const char *s) {
    for (; s && *s; s++) {
        if ((unsigned char)*s >= 0x80) { // valid UTF-8 only, as in the island
            s += mph__out_utf8(o, s) - 1;
            continue;
        }
        switch (*s) {
        case '&': mph__out_puts(o, "&amp;"); break;
        case '<': mph__out_puts(o, "&lt;"); break;
        case '>': mph__out_puts(o, "&gt;"); break;
        case '"': mph__out_puts(o, "&quot;"); break;
        case '\'': mph__out_puts(o, "&#39;"); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                mph__out_putc(o, *s);
        }
    }
}

static const char *const view_names[] = {"map", "diff", "timeline"};

static mph_status put_island(mph_outbuf *out, const mph_log *log, const mph_html_options *o,
                             mph_error *err) {
    island is = {out, {0, 0}, 0};
    island_puts(&is, "{\"schema\":\"" MPH_HTML_SCHEMA "\",\"mpheap_version\":\"" MPH_VERSION
                     "\",\"name\":");
    island_string(&is, o->name);
    island_puts(&is, ",\"palette\":");
    put_palette(&is, o->palette);
    island_printf(&is,
                  ",\"view\":{\"kind\":\"%s\",\"snapshot\":%zu,\"old\":%zu,\"new\":%zu},"
                  "\"need\":",
                  view_names[o->view], o->current + 1, o->diff_old + 1, o->diff_new + 1);
    if (o->need)
        island_printf(&is, "%llu", (unsigned long long)o->need);
    else
        island_puts(&is, "null");
    island_puts(&is, ",\"diagnostics\":[");
    size_t nd = mph_log_diagnostic_count(log), listed = 0;
    for (size_t i = 0; i < nd && listed < 200; i++) {
        const mph_diagnostic *dg = mph_log_diagnostic(log, i);
        island_printf(&is, "%s{\"level\":\"%s\",\"line\":%lu,\"message\":", listed ? "," : "",
                      dg->level == MPH_DIAG_WARNING ? "warning" : "note", dg->line);
        island_string(&is, dg->message);
        island_puts(&is, "}");
        listed++;
    }
    island_printf(&is, "],\"diagnostics_total\":%zu,\"snapshots\":[", nd);
    mph_status rc = MPH_OK;
    for (size_t i = o->first; i <= o->last && !rc; i++) {
        if (i > o->first)
            island_puts(&is, ",");
        rc = put_snapshot(&is, log, i, o, err);
    }
    island_puts(&is, "]");
    if (!rc && o->last > o->first)
        rc = put_timeline(&is, log, o, err);
    if (!rc && o->view == MPH_HTML_VIEW_DIFF)
        rc = put_diff(&is, log, o, err);
    island_puts(&is, "}");
    island_end(&is);
    return rc;
}

/* The template's text up to the next "@@NAME@@" marker; *name gets NAME ("" at the end). */
static size_t template_part(size_t at, char name[16], size_t *next) {
    const char *t = (const char *)mph__html_template;
    size_t n = mph__html_template_len;
    for (size_t i = at; i + 1 < n; i++) {
        if (t[i] != '@' || t[i + 1] != '@')
            continue;
        size_t j = i + 2, k = 0;
        while (j + 1 < n && k < 15 && !(t[j] == '@' && t[j + 1] == '@'))
            name[k++] = t[j++];
        if (j + 1 < n && k < 15) {
            name[k] = '\0';
            *next = j + 2;
            return i;
        }
    }
    name[0] = '\0';
    *next = n;
    return n;
}

void mph_html_options_init(mph_html_options *o, const mph_log *log) {
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->palette = MPH_PALETTE_DEFAULT;
    size_t n = log ? mph_log_snapshot_count(log) : 0;
    o->last = n ? n - 1 : 0;
    o->current = o->last;
    o->diff_old = o->last ? o->last - 1 : 0;
    o->diff_new = o->last;
    o->view = MPH_HTML_VIEW_MAP;
}

mph_status mph_render_html(const mph_log *log, const mph_html_options *o, mph_sink *sink,
                           mph_error *err) {
    if (!log || !o || !sink) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no log, options or sink");
        return MPH_ERR_ARG;
    }
    size_t n = mph_log_snapshot_count(log);
    if (!n || o->first > o->last || o->last >= n || o->current < o->first ||
        o->current > o->last || (unsigned)o->palette > MPH_PALETTE_MONO ||
        (unsigned)o->view > MPH_HTML_VIEW_TIMELINE) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0,
                       "the snapshot range, the current snapshot, the palette or the view is "
                       "out of range");
        return MPH_ERR_ARG;
    }
    if (o->view == MPH_HTML_VIEW_DIFF &&
        (o->diff_old < o->first || o->diff_old > o->last || o->diff_new < o->first ||
         o->diff_new > o->last)) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "the diff's snapshots are not in the report");
        return MPH_ERR_ARG;
    }
    mph_outbuf *out = mph__out_new(sink, err);
    if (!out)
        return MPH_ERR_NOMEM;
    mph_status rc = MPH_OK;
    const char *t = (const char *)mph__html_template;
    for (size_t at = 0; at < mph__html_template_len && !rc && !out->status;) {
        char name[16];
        size_t next, end = template_part(at, name, &next);
        mph__out_write(out, t + at, end - at);
        if (!strcmp(name, "TITLE")) {
            mph__out_puts(out, "mpheap: ");
            put_html_text(out, o->name ? o->name : "heap report");
        } else if (!strcmp(name, "CSP")) {
            mph__out_puts(out, "default-src 'none'; script-src 'sha256-");
            mph__out_puts(out, mph__html_js_sha256);
            mph__out_puts(out, "'; style-src 'sha256-");
            mph__out_puts(out, mph__html_css_sha256);
            mph__out_puts(out, "'; img-src data: blob:; base-uri 'none'; form-action 'none'");
        } else if (!strcmp(name, "STYLE")) {
            mph__out_write(out, (const char *)mph__html_css, mph__html_css_len);
        } else if (!strcmp(name, "SCRIPT")) {
            mph__out_write(out, (const char *)mph__html_js, mph__html_js_len);
        } else if (!strcmp(name, "DATA")) {
            rc = put_island(out, log, o, err);
        } else if (name[0]) {
            mph__out_write(out, t + end, next - end); // not ours: as it is
        }
        at = next;
    }
    mph_status wrc = mph__out_close(out, rc ? NULL : err);
    return rc ? rc : wrc;
}
