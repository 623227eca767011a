/* The buffered writer behind every renderer, and number formats. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mph__out_init(mph_outbuf *o, mph_sink *sink) {
    o->sink = sink;
    o->status = MPH_OK;
    o->len = 0;
}

void mph__out_flush(mph_outbuf *o) {
    if (o->len && o->status == MPH_OK)
        o->status = o->sink->write(o->sink->ctx, o->buf, o->len);
    o->len = 0;
}

void mph__out_write(mph_outbuf *o, const char *s, size_t n) {
    if (o->len + n > sizeof o->buf) {
        mph__out_flush(o);
        if (n > sizeof o->buf) {
            if (o->status == MPH_OK)
                o->status = o->sink->write(o->sink->ctx, s, n);
            return;
        }
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

void mph__out_puts(mph_outbuf *o, const char *s) { mph__out_write(o, s, strlen(s)); }

void mph__out_putc(mph_outbuf *o, char c) {
    if (o->len == sizeof o->buf)
        mph__out_flush(o);
    o->buf[o->len++] = c;
}

void mph__out_printf(mph_outbuf *o, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        mph__out_write(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

mph_outbuf *mph__out_new(mph_sink *sink, mph_error *err) {
    mph_outbuf *o = sink ? malloc(sizeof *o) : NULL;
    if (!o) {
        mph__error_set(err, sink ? MPH_ERR_NOMEM : MPH_ERR_ARG, 0, 0,
                       sink ? "out of memory" : "no sink");
        return NULL;
    }
    mph__out_init(o, sink);
    return o;
}

mph_status mph__out_close(mph_outbuf *o, mph_error *err) {
    mph_status rc = mph__out_finish(o, err);
    free(o);
    return rc;
}

mph_status mph__out_finish(mph_outbuf *o, mph_error *err) {
    mph__out_flush(o);
    if (o->status != MPH_OK && err && err->code != o->status)
        mph__error_set(err, o->status, 0, 0, "writing the output failed");
    return o->status;
}

char *mph__put_hex(char *p, uint64_t v, int digits) {
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    for (int i = n; i < digits && i < MPH_PUT_MAX_PAD; i++)
        *p++ = '0';
    while (n)
        *p++ = tmp[--n];
    return p;
}

char *mph__put_dec(char *p, uint64_t v, int digits) {
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = n; i < digits && i < MPH_PUT_MAX_PAD; i++)
        *p++ = '0';
    while (n)
        *p++ = tmp[--n];
    return p;
}

const char *mph__fmt_count(char buf[32], uint64_t n) {
    char digits[20];
    int len = (int)(mph__put_dec(digits, n, 0) - digits);
    int out = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            buf[out++] = ',';
        buf[out++] = digits[i];
    }
    buf[out] = '\0';
    return buf;
}

void mph__out_col(mph_outbuf *o, const char *s, size_t width, bool right) {
    size_t n = strlen(s), pad = n < width ? width - n : 0;
    if (!right)
        mph__out_write(o, s, n);
    for (size_t i = 0; i < pad; i++)
        mph__out_putc(o, ' ');
    if (right)
        mph__out_write(o, s, n);
}

char *mph__put_str(char *p, const char *s) {
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

const char *mph__fmt_size(char buf[32], uint64_t bytes) {
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024) {
        snprintf(buf, 32, "%llu bytes", (unsigned long long)bytes);
        return buf;
    }
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(buf, 32, "%.1f %s", v, units[u]);
    return buf;
}
