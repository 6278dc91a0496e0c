#include "rope.h"

#include <math.h>
#include <stdlib.h>

bool mt_rope_init(mt_rope *r, const mt_hparams *hp) {
    r->half = hp->head_dim / 2;
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

void mt_rope_apply(const mt_rope *r, float *x, uint32_t n_heads, uint32_t pos) {
    uint32_t half = r->half;
    for (uint32_t i = 0; i < half; i++) {
        float angle = (float)pos * r->inv_freq[i];
        float c = (float)cos((double)angle) * r->concentration, s = (float)sin((double)angle) * r->concentration;
        for (uint32_t h = 0; h < n_heads; h++) {
            float *v = x + (size_t)h * 2 * half;
            float x1 = v[i], x2 = v[i + half];
            v[i] = x1 * c - x2 * s;
            v[i + half] = x2 * c + x1 * s;
        }
    }
}
