/* The compute pipelines, described as data: each shader's SPIR-V (embedded
 * at build time), its storage-buffer bindings, push-constant size and
 * specialization constants. Pipelines are made on first use for each set of
 * specialization values and kept; a pipeline cache lives under
 * $XDG_CACHE_HOME/moetop (~/.cache/moetop), one file per device and driver. */
#ifndef MT_VK_PIPELINES_H
#define MT_VK_PIPELINES_H

#include <stddef.h>
#include <stdint.h>

#include "vk_device.h"

typedef enum mt_vk_kind {
    MT_VK_MATMUL, MT_VK_MATMUL_ROWS, MT_VK_EMBED, MT_VK_RMSNORM, MT_VK_ADD, MT_VK_ROPE, MT_VK_ATTENTION, MT_VK_ROUTE,
    MT_VK_MOE_PLAN, MT_VK_MOE_MATMUL, MT_VK_MOE_MATMUL_ROWS, MT_VK_SWIGLU, MT_VK_MOE_SUM,
    MT_VK_ADD_NORM, MT_VK_MOE_SUM_ADD, MT_VK_MATMUL_SG, MT_VK_MOE_MATMUL_SG,
    MT_VK_MATMUL_TILED, MT_VK_MOE_MATMUL_TILED, MT_VK_KINDS
} mt_vk_kind;

typedef struct mt_vk_pipeline_desc {
    const char *name;          /* the shader file's stem, and the profile's row */
    const uint32_t *spirv;
    size_t spirv_bytes;
    uint32_t n_bindings;       /* storage buffers 0..n-1 */
    uint32_t texel_mask;       /* bindings that are uniform texel buffers instead (bit i: binding i) */
    uint32_t push_bytes;
    uint32_t n_spec;           /* specialization constants 0..n-1 (u32) */
} mt_vk_pipeline_desc;

extern const mt_vk_pipeline_desc mt_vk_pipeline_table[MT_VK_KINDS];

#define MT_VK_MAX_VARIANTS 32
typedef struct mt_vk_pipes {
    VkDescriptorSetLayout set_layout[MT_VK_KINDS];
    VkPipelineLayout layout[MT_VK_KINDS];
    struct {
        uint32_t spec[2];
        VkPipeline pipeline;
    } variant[MT_VK_KINDS][MT_VK_MAX_VARIANTS];
    uint32_t n_variant[MT_VK_KINDS];
    VkPipelineCache cache;
    char cache_path[512];
} mt_vk_pipes;

bool mt_vk_pipes_init(mt_vk_pipes *p, mt_vk *vk, mt_err *err);
/* The pipeline of kind with specialization values spec[0..n_spec); VK_NULL_HANDLE with err set. */
VkPipeline mt_vk_pipeline(mt_vk_pipes *p, mt_vk *vk, mt_vk_kind kind, const uint32_t spec[2], mt_err *err);
/* Saves the cache (best effort) and destroys everything. */
void mt_vk_pipes_free(mt_vk_pipes *p, mt_vk *vk);

#endif
