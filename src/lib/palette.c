/* The one palette every renderer uses: colours chosen by role, never by a
 * renderer. Each colour carries its ANSI 16-colour index and the RGB that
 * the xterm default palette shows for it, so the terminal map and later
 * HTML/SVG/PNG output look alike. */
#include "internal.h"

#include <string.h>

enum { BLACK, RED, GREEN, YELLOW, BLUE, MAGENTA, CYAN, WHITE,
       BRIGHT_BLACK, BRIGHT_RED, BRIGHT_GREEN, BRIGHT_YELLOW, BRIGHT_BLUE, BRIGHT_MAGENTA,
       BRIGHT_CYAN, BRIGHT_WHITE };

static const mph_rgb xterm[16] = {
    {0, 0, 0},       {205, 0, 0},     {0, 205, 0},     {205, 205, 0},
    {0, 0, 238},     {205, 0, 205},   {0, 205, 205},   {229, 229, 229},
    {127, 127, 127}, {255, 0, 0},     {0, 255, 0},     {255, 255, 0},
    {92, 92, 255},   {255, 0, 255},   {0, 255, 255},   {255, 255, 255}};

static mph_style style(int fg, int bg) {
    mph_style s;
    s.fg = (mph_color){(uint8_t)fg, xterm[fg]};
    s.bg = (mph_color){(uint8_t)bg, xterm[bg]};
    s.plain = false;
    s.default_bg = false;
    return s;
}

static mph_style fg_only(int fg) {
    mph_style s = style(fg, BLACK);
    s.default_bg = true;
    return s;
}

static mph_style plain(void) {
    mph_style s = style(WHITE, BLACK);
    s.plain = true;
    return s;
}

bool mph_palette_parse(const char *name, mph_palette_kind *out) {
    static const char *const names[] = {"seed", "type", "rainbow", "mono"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (mph_palette_kind)i;
            return true;
        }
    return false;
}

/* One background per type, each readable with its foreground. */
static const int type_bg[MPH_TYPE_COUNT] = {YELLOW, BLUE, MAGENTA, CYAN, BRIGHT_BLUE,
                                            BRIGHT_YELLOW, RED, BRIGHT_MAGENTA, BRIGHT_BLACK,
                                            BRIGHT_RED};
static const int type_fg[MPH_TYPE_COUNT] = {BLACK, BRIGHT_WHITE, BRIGHT_WHITE, BLACK, BLACK,
                                            BLACK, BRIGHT_WHITE, BLACK, BRIGHT_WHITE, BLACK};

mph_style mph_palette_head(mph_palette_kind kind, mph_type type, uint64_t ordinal) {
    if ((unsigned)type >= MPH_TYPE_COUNT)
        type = MPH_TYPE_OTHER;
    // The seed notebook: white letters on red, black for 'h'; modules black on cyan.
    int seed_fg = (type == MPH_TYPE_OTHER || type == MPH_TYPE_MARKED) ? BLACK : WHITE;
    switch (kind) {
    case MPH_PALETTE_SEED:
        if (type == MPH_TYPE_MODULE)
            return style(BLACK, CYAN);
        return style(seed_fg, RED);
    case MPH_PALETTE_RAINBOW: {
        if (type == MPH_TYPE_MODULE || type == MPH_TYPE_MARKED)
            return mph_palette_head(MPH_PALETTE_SEED, type, ordinal);
        static const int cycle[4] = {BLUE, RED, MAGENTA, CYAN};
        return style(seed_fg, cycle[ordinal % 4]);
    }
    case MPH_PALETTE_TYPE:
        return style(type_fg[type], type_bg[type]);
    case MPH_PALETTE_MONO:
        break;
    }
    return plain();
}

mph_style mph_palette_role(mph_palette_kind kind, mph_role role) {
    if (kind == MPH_PALETTE_MONO)
        return plain();
    switch (role) {
    case MPH_ROLE_FREE:
        return kind == MPH_PALETTE_TYPE ? fg_only(BRIGHT_BLACK) : style(GREEN, GREEN);
    case MPH_ROLE_LARGEST_FREE:
        return style(BRIGHT_WHITE, BLUE);
    case MPH_ROLE_LEVEL_LOW:
        return style(BLACK, YELLOW);
    case MPH_ROLE_LEVEL_MID:
        return style(BLACK, BRIGHT_YELLOW);
    case MPH_ROLE_LEVEL_HIGH:
        return style(BLACK, BRIGHT_RED);
    case MPH_ROLE_LEVEL_FULL:
        return style(WHITE, RED);
    case MPH_ROLE_GUTTER:
        return fg_only(BRIGHT_BLACK);
    // Diff roles, the same in every palette but mono: unchanged memory stays
    // quiet grey, what was given back is green, what was taken is red, and
    // memory that now holds something else is yellow.
    case MPH_ROLE_DIFF_FREE:
        return fg_only(BRIGHT_BLACK);
    case MPH_ROLE_DIFF_KEPT:
        return style(BRIGHT_WHITE, BRIGHT_BLACK);
    case MPH_ROLE_DIFF_FREED:
        return style(BLACK, GREEN);
    case MPH_ROLE_DIFF_ALLOCATED:
        return style(BRIGHT_WHITE, RED);
    case MPH_ROLE_BLOCKER:
        return style(BRIGHT_WHITE, MAGENTA);
    case MPH_ROLE_DIFF_REUSED:
        return style(BLACK, YELLOW);
    case MPH_ROLE_COUNT:
        break;
    }
    return plain();
}
