/* Push-constant blocks of the shaders, mirrored field for field from
 * shaders/NAME.comp (u32 unless noted; *_off are element offsets into the
 * binding, added to the binding's aligned start). Sizes are checked against
 * the GLSL layout (std430-like: 4-byte scalars, no padding) and against the
 * 128 bytes every device offers. */
#ifndef MT_VK_PUSH_H
#define MT_VK_PUSH_H

#include <stdint.h>

typedef struct { uint32_t n_in, y_stride, row0, rows, row_bytes, T, x_off, y_off, bias_off, has_bias, rows_per_group, fast, x_base; } mt_push_matmul;
typedef struct { uint32_t d, x_off, w_off, o_off; float eps; uint32_t rows; } mt_push_rmsnorm;
typedef struct { uint32_t d, a_off, b_off, o_off, n_off, norm_a, norm_b; } mt_push_add;
typedef struct { uint32_t n_heads, half_dim, x_off, cs_off, n_heads2, x2_off, adjacent; } mt_push_rope;
typedef struct { uint32_t n_in, row0, rows, row_bytes, ids_off, o_off; } mt_push_embed;
typedef struct {
    uint32_t pos0, n_head, n_kv, window, q_off, k_off, v_off, s_off, o_off;
    float scale;
    uint32_t alone, q_base, k_base, v_base, has_sinks;
} mt_push_attention;
typedef struct { uint32_t T, E, model_k, layer, n_layer, z_off, sel_off, w_off, n_off, m_off, kind; } mt_push_route;
typedef struct { uint32_t T, E, layer, n_layer, experts_per_chunk, n_chunks, groups_up, groups_down, sel_off, w_off, n_off; } mt_push_moe_plan;
typedef struct {
    uint32_t n_in, n_out, row_bytes, expert_bytes, E, T, chunk, first_expert, by_token, x_off, bias_off, rows_per_group, fast, x_base;
} mt_push_moe_matmul;
typedef struct { uint32_t ff, E, act; } mt_push_swiglu;
typedef struct { uint32_t d, E, T, n_off, o_off; } mt_push_moe_sum;
typedef struct { uint32_t d, a_off, b_off, o_off, n_off, norm_a, norm_b, w_off, h_off; float eps; } mt_push_add_norm;
typedef struct { uint32_t d, E, T, n_off, m_off, a_off, o_off, nm_off, norm_a, norm_b; } mt_push_moe_sum_add;

_Static_assert(sizeof(mt_push_matmul) == 13 * 4, "matmul.comp and matmul_rows.comp push block");
_Static_assert(sizeof(mt_push_rmsnorm) == 6 * 4, "rmsnorm.comp push block");
_Static_assert(sizeof(mt_push_add) == 7 * 4, "add.comp push block");
_Static_assert(sizeof(mt_push_rope) == 7 * 4, "rope.comp push block");
_Static_assert(sizeof(mt_push_add_norm) == 10 * 4, "add_norm.comp push block");
_Static_assert(sizeof(mt_push_moe_sum_add) == 10 * 4, "moe_sum_add.comp push block");
_Static_assert(sizeof(mt_push_embed) == 6 * 4, "embed.comp push block");
_Static_assert(sizeof(mt_push_attention) == 15 * 4, "attention.comp push block");
_Static_assert(sizeof(mt_push_route) == 11 * 4, "route.comp push block");
_Static_assert(sizeof(mt_push_moe_plan) == 11 * 4, "moe_plan.comp push block");
_Static_assert(sizeof(mt_push_moe_matmul) == 14 * 4, "moe_matmul.comp and moe_matmul_rows.comp push block");
_Static_assert(sizeof(mt_push_swiglu) == 3 * 4, "swiglu.comp push block");
_Static_assert(sizeof(mt_push_moe_sum) == 5 * 4, "moe_sum.comp push block");

/* The MoE plan's layout (shaders/moe_layout.glsl), in u32 words. */
#define MT_MOE_MAX_CHUNKS 16u
static inline uint32_t mt_plan_indirect(uint32_t E) { return (3u * E + MT_MOE_MAX_CHUNKS + 2u + 3u) & ~3u; }
static inline uint64_t mt_plan_words(uint32_t E, uint32_t T) {
    return mt_plan_indirect(E) + 2ull * MT_MOE_MAX_CHUNKS * 3u + 3ull * T * E;
}

#endif
