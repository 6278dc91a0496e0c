#include "palette.h"

#include "oklab.h"

static mt_ramp_kind ramp_kind = MT_RAMP_VIRIDIS;
static mt_experts_kind experts_kind = MT_EXPERTS_TABLEAU;

void mt_palette_set(mt_ramp_kind ramp, mt_experts_kind experts) {
    ramp_kind = ramp;
    experts_kind = experts;
}

/* 24 colours of distinct hue and lightness (tableau's 10 and 10 lighter, 4 darker), then repeats */
static const uint32_t tableau[24] = {
    0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf, 0xaec7e8, 0xffbb78,
    0x98df8a, 0xff9896, 0xc5b0d5, 0xc49c94, 0xf7b6d2, 0xc7c7c7, 0xdbdb8d, 0x9edae5, 0x393b79, 0x637939, 0x8c6d31, 0x843c39,
};
/* Okabe and Ito's 8 colours, told apart with every common colour-vision
 * deficiency (black made grey to read on dark terminals); ids repeat every 8,
 * the digits in the cells tell them apart */
static const uint32_t okabe_ito[8] = { 0xe69f00, 0x56b4e9, 0x009e73, 0xf0e442, 0x0072b2, 0xd55e00, 0xcc79a7, 0x999999 };

uint32_t mt_expert_color(uint32_t e) { return experts_kind == MT_EXPERTS_OKABE_ITO ? okabe_ito[e % 8] : tableau[e % 24]; }

uint32_t mt_contrast_on(uint32_t bg) {
    double r = (bg >> 16) & 255, g = (bg >> 8) & 255, b = bg & 255;
    return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? 0x000000 : 0xffffff;
}

/* Nine evenly spaced stops, interpolated on straight lines in OKLab
 * (tui/oklab.h), so equal steps of t look like equal steps of colour; the
 * stops are the published ramp's sRGB colours at t = 0, 1/8, .., 1. */
static uint32_t ramp9(const int stops[9][3], double t) {
    t = t < 0 ? 0 : t > 1 ? 1 : t != t ? 0 : t;
    double x = t * 8;
    int i = (int)x;
    if (i >= 8) i = 7;
    uint32_t a = (uint32_t)stops[i][0] << 16 | (uint32_t)stops[i][1] << 8 | (uint32_t)stops[i][2];
    uint32_t b = (uint32_t)stops[i + 1][0] << 16 | (uint32_t)stops[i + 1][1] << 8 | (uint32_t)stops[i + 1][2];
    return mt_oklab_mix(a, b, x - i);
}

uint32_t mt_viridis(double t) {
    static const int stops[9][3] = { { 68, 1, 84 },   { 71, 44, 122 }, { 59, 81, 139 },  { 44, 113, 142 }, { 33, 144, 141 },
                                     { 39, 173, 129 }, { 92, 200, 99 }, { 170, 220, 50 }, { 253, 231, 37 } };
    return ramp9(stops, t);
}

/* cividis (Nuñez et al. 2018): lightness rises evenly and blue-yellow only, so
 * it reads the same to most colour-deficient eyes */
uint32_t mt_cividis(double t) {
    static const int stops[9][3] = { { 0, 34, 78 },     { 18, 53, 112 },  { 59, 73, 108 },  { 87, 93, 109 },  { 112, 113, 115 },
                                     { 138, 135, 121 }, { 166, 158, 116 }, { 196, 183, 104 }, { 254, 232, 56 } };
    return ramp9(stops, t);
}

uint32_t mt_ramp(double t) { return ramp_kind == MT_RAMP_CIVIDIS ? mt_cividis(t) : mt_viridis(t); }
