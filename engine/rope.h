/* Rotary position embedding as OpenAI's gpt-oss reference does it: NeoX
 * layout (element i pairs with i + head_dim/2) and YaRN "NTK by parts":
 * frequency i is interpolated (divided by the scaling factor) below the ramp,
 * kept above it, blended inside; the ramp bounds are NOT rounded; cos and sin
 * are both multiplied by the concentration 0.1 ln(factor) + 1, so q.k carries
 * its square (~1.81 for factor 32) and nothing else rescales attention. */
#ifndef MT_ROPE_H
#define MT_ROPE_H

#include <stdint.h>

#include "model.h"

typedef struct mt_rope {
    uint32_t half;       /* head_dim / 2 */
    float concentration;
    float *inv_freq;     /* [half]: radians per position */
    bool ggml;           /* llama.cpp's angles instead (below) */
    float theta_scale;   /* with ggml: base^(-2/head_dim) in float */
} mt_rope;

/* ggml = false: the angles of OpenAI's gpt-oss reference (above). ggml =
 * true (the families whose reference is llama.cpp, without scaling): as
 * ggml's rope cache computes them (ggml-cpu ops.cpp, ggml_rope_cache_init):
 * theta_0 = pos, theta_{i+1} = theta_i * theta_scale in float, theta_scale =
 * powf(base, -2 / head_dim), cos and sin by cosf and sinf. False when out of memory. */
bool mt_rope_init(mt_rope *r, const mt_hparams *hp, bool ggml);
void mt_rope_free(mt_rope *r);
/* The rotation of positions pos0 .. pos0 + T - 1: cs[t][i] = (cos, sin) of
 * frequency i, both times the concentration; [T][half][2] floats. A vector's
 * pair (x_i, x_{i+half}) becomes (x_i c - x_{i+half} s, x_{i+half} c + x_i s). */
void mt_rope_cos_sin(const mt_rope *r, uint32_t pos0, uint32_t T, float *cs);

#endif
