/* libFuzzer target: the intervention-flag parser (--mask/--k/--force/--zero/
 * --drop values) and routing with whatever it accepted, for every router kind. */
#include <stdlib.h>
#include <string.h>

#include "engine/intervene.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const kinds[] = { "mask", "k", "force", "zero", "drop" };
    if (size < 1) return 0;
    char *value = malloc(size);
    memcpy(value, data + 1, size - 1);
    value[size - 1] = 0;
    mt_interventions iv;
    if (!mt_iv_init(&iv, 4, 8)) abort();
    mt_err err;
    mt_iv_parse(&iv, kinds[data[0] % 5], value, &err);
    float z[8] = { 0.5f, -1, 2, 2, 0, 3, -4, 1 };
    uint32_t ex[8], order[8];
    float w[8], margin;
    /* every router kind (gpt-oss's, and the softmax-first ones): weights in [0, 1] */
    for (int kind = MT_ROUTER_TOPK_SOFTMAX; kind <= MT_ROUTER_SOFTMAX_TOPK; kind++)
        for (uint32_t l = 0; l < 4; l++) {
            uint32_t n = mt_iv_route(&iv, l, 2, (mt_router_kind)kind, z, ex, w, &margin, order);
            if (n > 8) abort();
            for (uint32_t i = 0; i < n; i++)
                if (ex[i] >= 8 || !(w[i] >= 0.0f && w[i] <= 1.0f)) abort();
        }
    mt_iv_free(&iv);
    free(value);
    return 0;
}
