#include "rope.h"

#include <math.h>
#include <stdlib.h>

bool mt_rope_init(mt_rope *r, const mt_hparams *hp, bool ggml) {
    r->half = hp->head_dim / 2;
    r->ggml = ggml && !(hp->rope_factor > 1.0f);
    r->theta_scale = powf(hp->rope_base, -2.0f / (float)hp->head_dim);
    r->inv_freq = malloc(r->half * sizeof *r->inv_freq);
    if (!r->inv_freq) return false;
    double base = hp->rope_base, factor = hp->rope_factor, half = r->half;
    double low = 0, high = 1;
    if (factor > 1.0) {
        /* ramp bounds: where a frequency completes beta turns over the original context */
        low = half * log(hp->rope_original_ctx / (hp->yarn_beta_fast * 2 * 3.14159265358979323846)) / log(base);
        high = half * log(hp->rope_original_ctx / (hp->yarn_beta_slow * 2 * 3.14159265358979323846)) / log(base);
        if (high <= low) high = low + 1e-3; /* degenerate bounds: a step instead of a ramp */
    }
    r->concentration = factor > 1.0 ? (float)(0.1 * log(factor) + 1.0) : 1.0f;
    for (uint32_t i = 0; i < r->half; i++) {
        /* as the reference computes it in float32: base ** (2i / head_dim) */
        float freq = powf((float)base, (float)(2 * i) / (float)hp->head_dim);
        float inv = 1.0f / freq;
        if (factor > 1.0) {
            float interpolation = 1.0f / ((float)factor * freq), extrapolation = inv;
            float ramp = (float)((i - low) / (high - low));
            float mask = 1.0f - (ramp < 0.0f ? 0.0f : ramp > 1.0f ? 1.0f : ramp);
            inv = interpolation * (1.0f - mask) + extrapolation * mask;
        }
        r->inv_freq[i] = inv;
    }
    return true;
}

void mt_rope_free(mt_rope *r) {
    free(r->inv_freq);
    r->inv_freq = NULL;
}

void mt_rope_cos_sin(const mt_rope *r, uint32_t pos0, uint32_t T, float *cs) {
    if (r->ggml) {
        for (uint32_t t = 0; t < T; t++) {
            float theta = (float)(pos0 + t);
            for (uint32_t i = 0; i < r->half; i++, theta *= r->theta_scale) {
                float *out = cs + ((size_t)t * r->half + i) * 2;
                out[0] = cosf(theta);
                out[1] = sinf(theta);
            }
        }
        return;
    }
    for (uint32_t t = 0; t < T; t++)
        for (uint32_t i = 0; i < r->half; i++) {
            /* the angle in float32 as the reference has it, cos and sin in double */
            float angle = (float)(pos0 + t) * r->inv_freq[i];
            float *out = cs + ((size_t)t * r->half + i) * 2;
            out[0] = (float)cos((double)angle) * r->concentration;
            out[1] = (float)sin((double)angle) * r->concentration;
        }
}
