/* Colours: a categorical palette for expert ids (neighbouring ids far apart
 * in hue and lightness) and the perceptual ramps for magnitudes. */
#ifndef MT_PALETTE_H
#define MT_PALETTE_H

#include <stdint.h>

/* 0xRRGGBB for expert e. */
uint32_t mt_expert_color(uint32_t e);
/* Black or white, whichever reads on bg. */
uint32_t mt_contrast_on(uint32_t bg);
/* viridis at t in [0, 1]. */
uint32_t mt_viridis(double t);

#endif
