#include "quant_rows.h"

#include <stdlib.h>
#include <string.h>

#include "engine/half.h"
#include "engine/quant.h"

void t_random_row(uint32_t type, int64_t n, mt_rng *rng, uint8_t *raw) {
    uint64_t nbytes = mt_row_bytes(type, (uint64_t)n);
    for (uint64_t b = 0; b < nbytes; b++) raw[b] = (uint8_t)mt_rng_u64(rng);
    if (type == MT_TYPE_F32 || type == MT_TYPE_F16 || type == MT_TYPE_BF16) {
        float *w = malloc((size_t)n * sizeof *w);
        if (!w) abort();
        for (int64_t i = 0; i < n; i++) w[i] = mt_rng_normal(rng);
        mt_quantize_row(type, w, raw, n);
        free(w);
    } else if (type == MT_TYPE_MXFP4) {
        for (int64_t b = 0; b < n / 32; b++) raw[b * 17] = (uint8_t)(100 + mt_rng_below(rng, 50));
    } else {
        /* f16 scales sit at the start (Q4_0, Q8_0, Q4_K, Q5_K: d, then dmin) or end (Q6_K) of each block */
        const mt_type_info *info = mt_type_get(type);
        for (int64_t b = 0; b < n / (int64_t)info->block_size; b++) {
            uint8_t *blk = raw + b * info->type_size;
            uint16_t d = mt_f32_to_f16(0.01f + 0.1f * (float)mt_rng_uniform(rng));
            if (type == MT_TYPE_Q6_K) memcpy(blk + 208, &d, 2);
            else memcpy(blk, &d, 2);
            if (type == MT_TYPE_Q4_K || type == MT_TYPE_Q5_K) memcpy(blk + 2, &d, 2);
        }
    }
}

void t_modest_row(uint32_t type, int64_t n, mt_rng *rng, uint8_t *raw) {
    if (type == MT_TYPE_F32 || type == MT_TYPE_F16 || type == MT_TYPE_BF16) {
        float *w = malloc((size_t)n * sizeof *w);
        if (!w) abort();
        for (int64_t i = 0; i < n; i++) w[i] = 0.1f * mt_rng_normal(rng);
        mt_quantize_row(type, w, raw, n);
        free(w);
        return;
    }
    t_random_row(type, n, rng, raw);
    const mt_type_info *info = mt_type_get(type);
    for (int64_t b = 0; b < n / (int64_t)info->block_size; b++) {
        uint8_t *blk = raw + b * info->type_size;
        float u = 1.0f + (float)mt_rng_uniform(rng);
        uint16_t d;
        switch (type) {
        case MT_TYPE_Q4_0: d = mt_f32_to_f16(0.015f * u); memcpy(blk, &d, 2); break;
        case MT_TYPE_Q4_K:
        case MT_TYPE_Q5_K: {
            float dk = (type == MT_TYPE_Q4_K ? 2e-4f : 1e-4f) * u; /* Q4_K codes reach 15, Q5_K's 31 */
            uint16_t dm = mt_f32_to_f16((type == MT_TYPE_Q4_K ? 7.5f : 15.25f) * dk);
            d = mt_f32_to_f16(dk);
            memcpy(blk, &d, 2);
            memcpy(blk + 2, &dm, 2);
            break;
        }
        case MT_TYPE_Q6_K: d = mt_f32_to_f16(2.5e-5f * u); memcpy(blk + 208, &d, 2); break;
        default: break; /* Q8_0, MXFP4: t_random_row's scales */
        }
    }
}
