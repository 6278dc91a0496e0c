/* Colours: a categorical palette for expert ids (neighbouring ids far apart
 * in hue and lightness) and a perceptual ramp for magnitudes, both chosen by
 * the theme (config [theme]); the defaults are tableau-24 and viridis. */
#ifndef MT_PALETTE_H
#define MT_PALETTE_H

#include <stdint.h>

typedef enum { MT_RAMP_VIRIDIS, MT_RAMP_CIVIDIS } mt_ramp_kind;
typedef enum { MT_EXPERTS_TABLEAU, MT_EXPERTS_OKABE_ITO } mt_experts_kind;

/* The theme in force (process-wide: set once, before the first frame). */
void mt_palette_set(mt_ramp_kind ramp, mt_experts_kind experts);

/* 0xRRGGBB for expert e. */
uint32_t mt_expert_color(uint32_t e);
/* Black or white, whichever reads on bg. */
uint32_t mt_contrast_on(uint32_t bg);
/* The theme's ramp at t in [0, 1] (clamped). */
uint32_t mt_ramp(double t);
/* viridis and cividis at t in [0, 1]: nine stops of the published ramps,
 * interpolated in OKLab (tui/oklab.h). */
uint32_t mt_viridis(double t);
uint32_t mt_cividis(double t);

#endif
