#include "color_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Squared distance, weighted for the eye: green differences show most, blue least. */
static long distance2(uint32_t a, uint32_t b) {
    long dr = (long)((a >> 16) & 255) - (long)((b >> 16) & 255), dg = (long)((a >> 8) & 255) - (long)((b >> 8) & 255),
         db = (long)(a & 255) - (long)(b & 255);
    return 3 * dr * dr + 4 * dg * dg + 2 * db * db;
}

static uint32_t rgb3(int r, int g, int b) { return (uint32_t)r << 16 | (uint32_t)g << 8 | (uint32_t)b; }

int mt_color_to_256(uint32_t rgb) {
    static const int level[6] = { 0, 95, 135, 175, 215, 255 };
    int ch[3] = { (int)((rgb >> 16) & 255), (int)((rgb >> 8) & 255), (int)(rgb & 255) }, idx[3];
    for (int k = 0; k < 3; k++) { /* the nearest cube level per channel */
        idx[k] = 0;
        for (int i = 1; i < 6; i++)
            if (abs(ch[k] - level[i]) < abs(ch[k] - level[idx[k]])) idx[k] = i;
    }
    uint32_t cube = rgb3(level[idx[0]], level[idx[1]], level[idx[2]]);
    /* the grey ramp: 232..255 are 8, 18, .., 238 */
    int grey = (ch[0] + ch[1] + ch[2]) / 3, gi = grey < 8 ? 0 : (grey - 3) / 10;
    if (gi > 23) gi = 23;
    int gv = 8 + 10 * gi;
    return distance2(rgb, rgb3(gv, gv, gv)) < distance2(rgb, cube) ? 232 + gi : 16 + 36 * idx[0] + 6 * idx[1] + idx[2];
}

int mt_color_to_16(uint32_t rgb, int n_colors) {
    /* xterm's default palette */
    static const uint32_t ansi[16] = { 0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
                                       0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff };
    int n = n_colors >= 16 ? 16 : 8, best = 0;
    for (int i = 1; i < n; i++)
        if (distance2(rgb, ansi[i]) < distance2(rgb, ansi[best])) best = i;
    return best;
}

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
