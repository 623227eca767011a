/* Shared by the picture renderers (SVG, PNG): the map as rows of colour
 * indexes, by the terminal map's rules (render_ansi.c), and the colours. */
#ifndef MPHEAP_SRC_LIB_RENDER_PICTURE_H
#define MPHEAP_SRC_LIB_RENDER_PICTURE_H

#include "../analyses.h"

#define PIC_GROUP 64

/* The rainbow alternates heads' colours by ordinal % 4. */
#define PIC_PHASES 4

/* Colour indexes: a head type's (and its tails') by phase, then the roles. */
enum {
    PIC_FREE = MPH_TYPE_COUNT * PIC_PHASES,
    PIC_LARGEST,
    PIC_BLOCKER,
    PIC_LOW,
    PIC_MID,
    PIC_HIGH,
    PIC_FULL,
    PIC_BLANK, /* past an area's end, and the page */
    PIC_N
};

static inline unsigned char pic_head(mph_type t, unsigned phase) {
    return (unsigned char)(t * PIC_PHASES + phase);
}

/* The RGB of every colour index for a palette. */
void mph__pic_colors(mph_palette_kind pal, mph_rgb out[PIC_N]);
/* The RGB a picture gives a palette style: its background, or its foreground
 * when it colours only the glyph. */
mph_rgb mph__pic_rgb(mph_style st);

/* ------------------------------------------------------------ documents
 * What the SVG and PNG writers draw, whatever the map: a title, summary
 * lines, a legend, then sections (an area, or a diff's area pair), each a
 * title and rows of colour indexes with an address gutter. The map of a
 * snapshot (picture.c) and the diff map (render_diff_picture.c) fill one. */

/* A legend entry: a swatch of colour index `color` and text; text alone when
 * color is the document's blank. */
typedef struct pic_legend_item {
    unsigned char color;
    char text[64];
} pic_legend_item;

#define PIC_LEGEND_MAX (MPH_TYPE_COUNT + 8)

typedef struct pic_doc {
    const char *title;     /* from the input in part: escaped by the SVG writer */
    const char *summary;   /* lines, each ending in '\n' (may be NULL) */
    size_t summary_len;
    const char *note;      /* a line under the summary (NULL: none), e.g. "no map" */
    pic_legend_item legend[PIC_LEGEND_MAX];
    size_t n_legend;
    const mph_rgb *colors; /* of every colour index the rows use */
    unsigned char background; /* the commonest colour: the SVG draws it once under a section */
    unsigned char blank;      /* the page's (white): past a section's end */
    size_t per_row;           /* cells per row */
    uint64_t scale;           /* blocks per cell (SVG data attribute) */
    unsigned pixels;          /* PNG: pixels per cell side */
    size_t n_sections;
    size_t gutter_chars;      /* the longest gutter text */
    void *ctx;
    size_t (*section_cells)(void *ctx, size_t i);
    uint64_t (*section_blocks)(void *ctx, size_t i);
    int (*section_title)(void *ctx, size_t i, char *buf, size_t cap);
    void (*section_start)(void *ctx, size_t i);
    /* The next row of the current section: its cells into cells[per_row]
     * (blank past the end) and its gutter's text into gutter; returns the
     * text's length. */
    int (*row)(void *ctx, unsigned char *cells, char *gutter, size_t cap);
} pic_doc;

/* Rows of section i. */
size_t mph__doc_rows(const pic_doc *d, size_t i);
mph_status mph__doc_svg(const pic_doc *d, mph_sink *sink, mph_error *err);
mph_status mph__doc_png(const pic_doc *d, mph_sink *sink, mph_error *err);

/* Where the PNG of a document puts things, in pixels. */
typedef struct pic_png_layout {
    unsigned t;          /* text scale: the font's pixels are t x t */
    uint64_t width, height;
    uint64_t map_x;      /* the first cell's left edge, every section */
    uint64_t first_y;    /* section 0's first cell row's top edge */
    uint64_t label_every; /* gutter text every this many rows */
    size_t legend_lines;
    size_t summary_lines;
} pic_png_layout;
void mph__doc_png_layout(const pic_doc *d, pic_png_layout *l);
/* The top edge of section i's first row of cells. */
uint64_t mph__doc_png_section_y(const pic_doc *d, const pic_png_layout *l, size_t i);

#define PIC_PNG_MAX_SIDE 1000000u /* libpng's own default limit */


/* ------------------------------------------------------------ PNG output
 * libpng behind a few calls, each catching libpng's errors itself (render_png.c). */
typedef struct pic_png {
    void *png, *info; /* png_structp, png_infop */
    mph_sink *sink;
    mph_status sink_status;
} pic_png;
/* Starts an 8-bit RGB PNG of w x h; MPH_ERR_NOMEM or the sink's status. */
mph_status mph__png_open(pic_png *p, mph_sink *sink, uint32_t w, uint32_t h, mph_error *err);
/* One row of w * 3 bytes; false when libpng or the sink failed. */
bool mph__png_row(pic_png *p, const unsigned char *row);
/* Ends the image when ok, frees libpng's state; returns the first failure. */
mph_status mph__png_close(pic_png *p, bool ok, mph_error *err);

/* Pixels [x, x + n) of an RGB row in c. */
void mph__raster_fill(unsigned char *row, uint64_t x, uint64_t n, mph_rgb c);
/* Pixel row k (0 .. MPH_FONT_LINE * t - 1) of a line of text s[0..n) drawn
 * from x at scale t, into a row `width` pixels wide (clipped). */
void mph__raster_text(unsigned char *row, uint64_t width, uint64_t x, const char *s, size_t n,
                      unsigned t, unsigned k, mph_rgb c);

/* The text scale for `pixels` per cell: the font grows with the cells. */
static inline unsigned pic_text_scale(unsigned pixels) {
    return pixels >= 8 ? pixels / 4 : 1;
}

/* XML character data: & < > " ' escaped, controls and broken UTF-8 as '?'. */
void mph__svg_escaped(mph_outbuf *out, const char *s, size_t n);

/* Walks the map row by row. */
typedef struct pic_walk {
    const mph_snapshot *s;
    uint64_t scale;
    size_t per_row; /* cells per row */
    bool largest;   /* mark the largest free run */
    size_t largest_area, largest_start, largest_end;
    bool small_run; /* overview: the run covers few cells, mark the cells it
                       touches */
    const mph_window *window;
    size_t area, block; /* where the next row starts */
    unsigned char tail; /* the last head's colour: its tails' */
    unsigned phase;
    unsigned char *mk; /* per_row marks (scale 1) */
} pic_walk;

/* Checks the options: MPH_ERR_ARG with a message when bad. */
mph_status mph__pic_check(const mph_snapshot *s, const mph_picture_options *o, const mph_sink *sink,
                          mph_error *err);
/* MPH_ERR_NOMEM, or OK. Free with mph__pic_walk_fini. */
mph_status mph__pic_walk_init(pic_walk *w, const mph_snapshot *s, const mph_picture_options *o,
                              mph_error *err);
void mph__pic_walk_fini(pic_walk *w);
/* Cells of area a (each `scale` blocks) and its rows. */
size_t mph__pic_cells(const pic_walk *w, size_t a);
size_t mph__pic_rows(const pic_walk *w, size_t a);
/* Start area a (rows then come from its first block). */
void mph__pic_area(pic_walk *w, size_t a);
/* The next row of the current area into out[per_row] (PIC_BLANK past the end);
 * returns the first block of that row. */
size_t mph__pic_row(pic_walk *w, unsigned char *out);

/* The map of a snapshot as a document (picture.c). */
typedef struct pic_map_doc {
    pic_doc doc;
    pic_walk walk;
    mph__gutter gutter;
    mph_rgb colors[PIC_N];
    mph_text summary;
    char *title;
} pic_map_doc;
/* MPH_ERR_NOMEM, or OK; free with mph__map_doc_fini (also after a failure). */
mph_status mph__map_doc_init(pic_map_doc *m, const mph_snapshot *s, const mph_picture_options *o,
                             mph_error *err);
void mph__map_doc_fini(pic_map_doc *m);

#endif
