#include "palette.h"

/* 24 colours of distinct hue and lightness (after Glasbey), then repeats */
static const uint32_t categorical[24] = {
    0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf, 0xaec7e8, 0xffbb78,
    0x98df8a, 0xff9896, 0xc5b0d5, 0xc49c94, 0xf7b6d2, 0xc7c7c7, 0xdbdb8d, 0x9edae5, 0x393b79, 0x637939, 0x8c6d31, 0x843c39,
};

uint32_t mt_expert_color(uint32_t e) { return categorical[e % 24]; }

uint32_t mt_contrast_on(uint32_t bg) {
    double r = (bg >> 16) & 255, g = (bg >> 8) & 255, b = bg & 255;
    return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? 0x000000 : 0xffffff;
}

uint32_t mt_viridis(double t) {
    static const int stops[9][3] = { { 68, 1, 84 },   { 71, 44, 122 }, { 59, 81, 139 },  { 44, 113, 142 }, { 33, 144, 141 },
                                     { 39, 173, 129 }, { 92, 200, 99 }, { 170, 220, 50 }, { 253, 231, 37 } };
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double x = t * 8;
    int i = (int)x;
    if (i >= 8) i = 7;
    double f = x - i;
    uint32_t c = 0;
    for (int k = 0; k < 3; k++) c = c << 8 | (uint32_t)(stops[i][k] + (stops[i + 1][k] - stops[i][k]) * f + 0.5);
    return c;
}
