/* Colour in a perceptual space (tui/oklab.h, with cglm): OKLab against
 * Ottosson's reference values, the ramps interpolated in it, and the
 * 256/16-colour fallbacks' nearest colours. The expected indices were
 * computed by hand from the same formulas in double precision (Python:
 * sRGB decode, M1, cube root, M2, then the nearest palette entry by
 * squared distance), independently of the code under test. */
#include <math.h>
#include <stdio.h>

#include "support/harness.h"
#include "tui/color_map.h"
#include "tui/oklab.h"
#include "tui/palette.h"

static bool near3(const float got[3], double l, double a, double b, double tol) {
    return fabs(got[0] - l) < tol && fabs(got[1] - a) < tol && fabs(got[2] - b) < tol;
}

/* White is (1, 0, 0) and black (0, 0, 0); sRGB red is Ottosson's
 * (0.6279554, 0.2248631, 0.1258463), green (0.8664396, -0.2338876,
 * 0.1794985), blue (0.4520137, -0.0324570, -0.3115281). */
static void oklab_reference_values(void) {
    float lab[3];
    mt_oklab_from_rgb(0xffffff, lab);
    CHECKF(near3(lab, 1, 0, 0, 1e-5), "white (%g, %g, %g)", lab[0], lab[1], lab[2]);
    mt_oklab_from_rgb(0x000000, lab);
    CHECKF(near3(lab, 0, 0, 0, 1e-6), "black (%g, %g, %g)", lab[0], lab[1], lab[2]);
    mt_oklab_from_rgb(0xff0000, lab);
    CHECKF(near3(lab, 0.6279554, 0.2248631, 0.1258463, 1e-5), "red (%g, %g, %g)", lab[0], lab[1], lab[2]);
    mt_oklab_from_rgb(0x00ff00, lab);
    CHECKF(near3(lab, 0.8664396, -0.2338876, 0.1794985, 1e-5), "green (%g, %g, %g)", lab[0], lab[1], lab[2]);
    mt_oklab_from_rgb(0x0000ff, lab);
    CHECKF(near3(lab, 0.4520137, -0.0324570, -0.3115281, 1e-5), "blue (%g, %g, %g)", lab[0], lab[1], lab[2]);
}

/* Every 8-bit sRGB colour of a coarse lattice comes back unchanged. */
static void oklab_round_trips(void) {
    int bad = 0;
    uint32_t first_bad = 0, got_bad = 0;
    for (uint32_t r = 0; r < 256; r += 17)
        for (uint32_t g = 0; g < 256; g += 15)
            for (uint32_t b = 0; b < 256; b += 5) {
                uint32_t c = r << 16 | g << 8 | b;
                float lab[3];
                mt_oklab_from_rgb(c, lab);
                uint32_t back = mt_oklab_to_rgb(lab);
                if (back != c && !bad++) first_bad = c, got_bad = back;
            }
    CHECKF(bad == 0, "%d colours changed, first %06x -> %06x", bad, first_bad, got_bad);
    float outside[3] = { 2, 1, -1 }, nan3[3] = { NAN, NAN, NAN };
    CHECKF(mt_oklab_to_rgb(outside) <= 0xffffff && mt_oklab_to_rgb(nan3) <= 0xffffff, "out of gamut or NaN: not clipped");
}

/* Halfway from black to white in OKLab is L = 0.5: linear 0.5^3 = 0.125 in
 * every channel, sRGB 1.055 * 0.125^(1/2.4) - 0.055 = 0.3886, 99 of 255
 * (sRGB's own halfway would be 0x808080, which looks lighter than half). */
static void ramps_interpolate_in_oklab(void) {
    uint32_t mid = mt_oklab_mix(0x000000, 0xffffff, 0.5);
    CHECKF(mid == 0x636363, "black-white at 0.5: %06x", mid);
    CHECK(mt_oklab_mix(0x123456, 0xabcdef, 0) == 0x123456 && mt_oklab_mix(0x123456, 0xabcdef, 1) == 0xabcdef);
    CHECK(mt_oklab_mix(0x123456, 0xabcdef, -3) == 0x123456 && mt_oklab_mix(0x123456, 0xabcdef, NAN) == 0x123456);
    /* the published stops stay exact at t = k/8; between them the lightness rises monotonically */
    CHECKF(mt_viridis(0) == 0x440154 && mt_viridis(1) == 0xfde725 && mt_viridis(0.5) == 0x21908d, "viridis %06x %06x %06x", mt_viridis(0),
           mt_viridis(0.5), mt_viridis(1));
    CHECK(mt_cividis(0) == 0x00224e && mt_cividis(1) == 0xfee838);
    float prev = -1;
    bool rising = true;
    for (int i = 0; i <= 64; i++) {
        float lab[3];
        mt_oklab_from_rgb(mt_viridis(i / 64.0), lab);
        rising &= lab[0] >= prev - 2e-3f; /* within 8-bit rounding */
        prev = lab[0];
    }
    CHECK(rising);
}

/* The nearest colours: exact palette entries map to themselves, others to
 * the nearest in OKLab (hand-computed, see the top of the file). */
static void nearest_palette_colours(void) {
    static const struct { uint32_t rgb; int c256, c16, c8; } cases[] = {
        { 0xff0000, 196, 9, 1 },  { 0x000000, 16, 0, 0 },  { 0xffffff, 231, 15, 7 }, { 0x5f87af, 67, -1, -1 },
        { 0x1f77b4, 31, 8, 4 },   { 0xff7f0e, 208, 9, 3 }, { 0x2ca02c, 34, 2, 2 },   { 0x7f7f7f, 244, 8, 6 },
        { 0x3b528b, 24, 8, 4 },   { 0x440154, 53, 4, 4 },  { 0xfde725, 220, 11, 3 }, { 0x21908d, 30, 8, 6 },
        { 0x123456, 236, 4, 4 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int a = mt_color_to_256(cases[i].rgb), b = mt_color_to_16(cases[i].rgb, 16), c = mt_color_to_16(cases[i].rgb, 8);
        CHECKF(a == cases[i].c256, "%06x: 256-colour %d, expected %d", cases[i].rgb, a, cases[i].c256);
        if (cases[i].c16 >= 0) CHECKF(b == cases[i].c16 && c == cases[i].c8, "%06x: 16-colour %d and 8-colour %d, expected %d and %d",
                                       cases[i].rgb, b, c, cases[i].c16, cases[i].c8);
    }
    /* asked again (the cache): the same answers */
    CHECK(mt_color_to_256(0x1f77b4) == 31 && mt_color_to_16(0x1f77b4, 16) == 8 && mt_color_to_16(0x1f77b4, 8) == 4);
}

int main(void) {
    t_begin("color");
    RUN(oklab_reference_values);
    RUN(oklab_round_trips);
    RUN(ramps_interpolate_in_oklab);
    RUN(nearest_palette_colours);
    return t_end();
}
