/* The table of ggml tensor types: names, block sizes and block bytes, from
 * ggml's type traits. Ids 4, 5 (Q4_2, Q4_3), 31..33 and 36..38 (repacked
 * layouts) were removed from ggml and are unknown here too. */
#include "quant.h"

#include <strings.h>

#define T(id, nm, bs, ts, dq, qz) [id] = { nm, bs, ts, dq, qz }
static const mt_type_info type_table[MT_TYPE_COUNT] = {
    T(0, "F32", 1, 4, true, true),
    T(1, "F16", 1, 2, true, true),
    T(2, "Q4_0", 32, 18, true, false),
    T(3, "Q4_1", 32, 20, false, false),
    T(6, "Q5_0", 32, 22, false, false),
    T(7, "Q5_1", 32, 24, false, false),
    T(8, "Q8_0", 32, 34, true, true),
    T(9, "Q8_1", 32, 36, false, false),
    T(10, "Q2_K", 256, 84, false, false),
    T(11, "Q3_K", 256, 110, false, false),
    T(12, "Q4_K", 256, 144, true, false),
    T(13, "Q5_K", 256, 176, true, false),
    T(14, "Q6_K", 256, 210, true, false),
    T(15, "Q8_K", 256, 292, false, false),
    T(16, "IQ2_XXS", 256, 66, false, false),
    T(17, "IQ2_XS", 256, 74, false, false),
    T(18, "IQ3_XXS", 256, 98, false, false),
    T(19, "IQ1_S", 256, 50, false, false),
    T(20, "IQ4_NL", 32, 18, false, false),
    T(21, "IQ3_S", 256, 110, false, false),
    T(22, "IQ2_S", 256, 82, false, false),
    T(23, "IQ4_XS", 256, 136, false, false),
    T(24, "I8", 1, 1, false, false),
    T(25, "I16", 1, 2, false, false),
    T(26, "I32", 1, 4, false, false),
    T(27, "I64", 1, 8, false, false),
    T(28, "F64", 1, 8, false, false),
    T(29, "IQ1_M", 256, 56, false, false),
    T(30, "BF16", 1, 2, true, true),
    T(34, "TQ1_0", 256, 54, false, false),
    T(35, "TQ2_0", 256, 66, false, false),
    T(39, "MXFP4", 32, 17, true, true),
};
#undef T

const mt_type_info *mt_type_get(uint32_t type) {
    if (type >= MT_TYPE_COUNT || !type_table[type].name) return NULL;
    return &type_table[type];
}

int mt_type_from_name(const char *name) {
    for (int id = 0; id < MT_TYPE_COUNT; id++)
        if (type_table[id].name && strcasecmp(type_table[id].name, name) == 0) return id;
    return -1;
}

uint64_t mt_row_bytes(uint32_t type, uint64_t n) {
    const mt_type_info *info = mt_type_get(type);
    if (!info || n % info->block_size) return 0;
    return n / info->block_size * info->type_size;
}
