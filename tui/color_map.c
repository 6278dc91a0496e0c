#include "color_map.h"

#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oklab.h"

/* The xterm-256 palette as 0xRRGGBB: 0..15 xterm's default ANSI colours,
 * 16..231 the 6x6x6 cube of levels 0, 95, 135, .., 255, 232..255 the greys
 * 8, 18, .., 238. */
static uint32_t xterm_color(int i) {
    static const uint32_t ansi[16] = { 0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
                                       0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff };
    static const uint32_t level[6] = { 0, 95, 135, 175, 215, 255 };
    if (i < 16) return ansi[i];
    if (i < 232) return level[(i - 16) / 36] << 16 | level[(i - 16) / 6 % 6] << 8 | level[(i - 16) % 6];
    uint32_t v = 8 + 10 * (uint32_t)(i - 232);
    return v << 16 | v << 8 | v;
}

/* The palette in OKLab, made once. */
static float palette_lab[256][3];
static pthread_once_t palette_once = PTHREAD_ONCE_INIT;
static void make_palette_lab(void) {
    for (int i = 0; i < 256; i++) mt_oklab_from_rgb(xterm_color(i), palette_lab[i]);
}

/* The index in [from, to) nearest to rgb in OKLab; the first of equals. A
 * small cache per thread: a frame holds few distinct colours. */
static int nearest(uint32_t rgb, int from, int to) {
    static _Thread_local struct { uint32_t key; int16_t from, to, index; } cache[512];
    unsigned slot = (rgb * 2654435761u >> 7 ^ (unsigned)from * 31u ^ (unsigned)to) % 512;
    uint32_t key = (rgb & 0xffffff) | 0x1000000; /* 0: an empty slot */
    if (cache[slot].key == key && cache[slot].from == from && cache[slot].to == to) return cache[slot].index;
    pthread_once(&palette_once, make_palette_lab);
    float lab[3];
    mt_oklab_from_rgb(rgb, lab);
    int best = from;
    float best_d = mt_oklab_distance2(lab, palette_lab[from]);
    for (int i = from + 1; i < to; i++) {
        float d = mt_oklab_distance2(lab, palette_lab[i]);
        if (d < best_d) best_d = d, best = i;
    }
    cache[slot].key = key;
    cache[slot].from = (int16_t)from;
    cache[slot].to = (int16_t)to;
    cache[slot].index = (int16_t)best;
    return best;
}

int mt_color_to_256(uint32_t rgb) { return nearest(rgb, 16, 256); }

int mt_color_to_16(uint32_t rgb, int n_colors) { return nearest(rgb, 0, n_colors >= 16 ? 16 : 8); }

bool mt_colorterm_truecolor(const char *colorterm) {
    return colorterm && (strcmp(colorterm, "truecolor") == 0 || strcmp(colorterm, "24bit") == 0);
}

bool mt_direct_term_name(const char *term, char *out, size_t cap) {
    if (!term || !*term || strlen(term) + 8 > cap) return false;
    size_t n = strlen(term);
    if (n > 7 && strcmp(term + n - 7, "-direct") == 0) {
        snprintf(out, cap, "%s", term);
        return true;
    }
    size_t family = strcspn(term, "-+."); /* "xterm-256color" -> "xterm" */
    snprintf(out, cap, "%.*s-direct", (int)family, term);
    return true;
}

mt_color_depth mt_depth_for_colors(int n_colors) {
    return n_colors >= 0x1000000 ? MT_DEPTH_TRUE : n_colors >= 256 ? MT_DEPTH_256 : n_colors >= 8 ? MT_DEPTH_16 : MT_DEPTH_NONE;
}
