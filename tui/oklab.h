/* Colours in a perceptual space: Björn Ottosson's OKLab (2020,
 * https://bottosson.github.io/posts/oklab/), where straight lines are even
 * changes to the eye and Euclidean distance is a colour difference. The
 * explorer's ramps are interpolated here and the 256- and 16-colour
 * fallbacks pick the nearest colour here (tui/palette.c, tui/color_map.c).
 * The matrices are cglm mat3 and the points vec3 (float); colours are
 * 0xRRGGBB in sRGB. */
#ifndef MT_OKLAB_H
#define MT_OKLAB_H

#include <stdint.h>

/* sRGB 0xRRGGBB -> OKLab (L in [0, 1], a and b about [-0.4, 0.4]):
 * sRGB's transfer function undone (IEC 61966-2-1), linear RGB -> LMS
 * (Ottosson's M1), cube root, LMS' -> Lab (M2). White is (1, 0, 0). */
void mt_oklab_from_rgb(uint32_t rgb, float lab[3]);
/* The inverse; a point outside the sRGB gamut is clipped per channel. */
uint32_t mt_oklab_to_rgb(const float lab[3]);
/* The colour at t in [0, 1] (clamped) on the straight line from a to b in OKLab. */
uint32_t mt_oklab_mix(uint32_t a, uint32_t b, double t);
/* The squared Euclidean distance of two OKLab points. */
float mt_oklab_distance2(const float a[3], const float b[3]);

#endif
