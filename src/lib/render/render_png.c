/* The map as a PNG, through libpng: one cell per `pixels` x `pixels`
 * square, rows of columns * 64 cells, a blank row between areas. No text:
 * the SVG has the summary, legend and addresses. */
#include "picture.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#define PNG_MAX_SIDE 1000000u /* libpng's own default limit */

void mph_picture_png_size(const mph_snapshot *s, const mph_picture_options *o, uint64_t *width,
                          uint64_t *height) {
    *width = *height = 0;
    if (!s || !o || !s->n_areas || o->columns < 1 || o->scale < 1 || o->pixels < 1)
        return;
    uint64_t rows = 0, per_row = (uint64_t)o->columns * PIC_GROUP;
    for (size_t a = 0; a < s->n_areas; a++) {
        uint64_t n = s->areas[a].n_blocks, cells = n / o->scale + (n % o->scale != 0);
        rows += cells / per_row + (cells % per_row != 0) + (a > 0);
    }
    *width = per_row * o->pixels;
    *height = rows * o->pixels;
}

typedef struct png_out {
    mph_sink *sink;
    mph_status status;
} png_out;

static void write_fn(png_structp png, png_bytep data, png_size_t len) {
    png_out *po = png_get_io_ptr(png);
    mph_status st = po->sink->write(po->sink->ctx, (const char *)data, len);
    if (st) {
        po->status = st;
        png_error(png, "the sink failed");
    }
}

static void flush_fn(png_structp png) {
    (void)png;
}

static void error_fn(png_structp png, png_const_charp msg) {
    (void)msg;
    png_longjmp(png, 1);
}

static void warning_fn(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

/* One image row per pixel row of a cell row. */
static void put_row(png_structp png, unsigned char *px, const unsigned char *cells, size_t n,
                    unsigned pixels, const mph_rgb *colors) {
    unsigned char *p = px;
    for (size_t i = 0; i < n; i++) {
        mph_rgb c = colors[cells[i]];
        for (unsigned k = 0; k < pixels; k++) {
            *p++ = c.r;
            *p++ = c.g;
            *p++ = c.b;
        }
    }
    for (unsigned k = 0; k < pixels; k++)
        png_write_row(png, px);
}

mph_status mph_render_png(const mph_snapshot *s, const mph_picture_options *o, mph_sink *sink,
                          mph_error *err) {
    mph_status rc = mph__pic_check(s, o, sink, err);
    if (rc)
        return rc;
    if (!s->n_areas) {
        mph__error_set(err, MPH_ERR_NOT_FOUND, s->first_line, 0,
                       "no map to draw: the dump has only the header's figures; call "
                       "micropython.mem_info(1), with an argument, for the map");
        return MPH_ERR_NOT_FOUND;
    }
    uint64_t width, height;
    mph_picture_png_size(s, o, &width, &height);
    if (width > PNG_MAX_SIDE || height > PNG_MAX_SIDE) {
        mph__error_set(err, MPH_ERR_LIMIT, 0, 0,
                       "the picture would be %llu x %llu pixels, more than %u a side: "
                       "give fewer pixels or a larger scale",
                       (unsigned long long)width, (unsigned long long)height, PNG_MAX_SIDE);
        return MPH_ERR_LIMIT;
    }
    mph_rgb colors[PIC_N];
    mph__pic_colors(o->palette, colors);
    pic_walk w;
    rc = mph__pic_walk_init(&w, s, o, err);
    if (rc)
        return rc;
    unsigned char *cells = malloc(w.per_row);
    unsigned char *px = malloc((size_t)width * 3);
    png_structp png = NULL;
    png_infop info = NULL;
    png_out po = {sink, MPH_OK};
    if (!cells || !px)
        goto nomem;
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, error_fn, warning_fn);
    if (!png)
        goto nomem;
    info = png_create_info_struct(png);
    if (!info)
        goto nomem;
    if (setjmp(png_jmpbuf(png))) {
        // libpng failed (or the sink did, through write_fn): nothing here was
        // allocated since.
        rc = po.status ? po.status : MPH_ERR_NOMEM;
        mph__error_set(err, rc, 0, 0, po.status ? "writing the PNG failed" : "libpng failed");
        goto done;
    }
    png_set_write_fn(png, &po, write_fn, flush_fn);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (size_t a = 0; a < s->n_areas; a++) {
        if (a > 0) {
            memset(cells, PIC_BLANK, w.per_row);
            put_row(png, px, cells, w.per_row, o->pixels, colors);
        }
        mph__pic_area(&w, a);
        for (size_t r = mph__pic_rows(&w, a); r > 0; r--) {
            mph__pic_row(&w, cells);
            put_row(png, px, cells, w.per_row, o->pixels, colors);
        }
    }
    png_write_end(png, info);
    rc = MPH_OK;
    goto done;
nomem:
    rc = MPH_ERR_NOMEM;
    mph__error_set(err, rc, 0, 0, "out of memory");
done:
    png_destroy_write_struct(&png, info ? &info : NULL);
    free(cells);
    free(px);
    mph__pic_walk_fini(&w);
    return rc;
}
