#include "vk_pipelines.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../outfile.h"
#include "vk_push.h"
#include "vk_spirv.h"

#define MT_PIPE(kind, stem, bindings, push, spec) \
    [kind] = { #stem, mt_spirv_##stem, sizeof mt_spirv_##stem, bindings, 0, sizeof(push), spec }
/* the same with texel-buffer bindings (a mask of binding numbers) */
#define MT_PIPE_T(kind, stem, bindings, texels, push, spec) \
    [kind] = { #stem, mt_spirv_##stem, sizeof mt_spirv_##stem, bindings, texels, sizeof(push), spec }

const mt_vk_pipeline_desc mt_vk_pipeline_table[MT_VK_KINDS] = {
    MT_PIPE(MT_VK_MATMUL, matmul, 4, mt_push_matmul, 2),             /* TYPE, workgroup width */
    MT_PIPE_T(MT_VK_MATMUL_ROWS, matmul_rows, 6, 0x31, mt_push_matmul, 2), /* TYPE, BROADCAST; texels: weights (0: 16 bytes, 4: 4), x (5) */
    MT_PIPE(MT_VK_EMBED, embed, 3, mt_push_embed, 1),                /* TYPE */
    MT_PIPE(MT_VK_RMSNORM, rmsnorm, 3, mt_push_rmsnorm, 0),
    MT_PIPE(MT_VK_ADD, add, 4, mt_push_add, 0),
    MT_PIPE(MT_VK_ROPE, rope, 3, mt_push_rope, 0),
    MT_PIPE_T(MT_VK_ATTENTION, attention, 8, 0xe0, mt_push_attention, 2), /* workgroup width, HEAD_DIM | TEXEL << 16; texels: q, k, v (5-7) */
    MT_PIPE(MT_VK_ROUTE, route, 6, mt_push_route, 0),
    MT_PIPE(MT_VK_MOE_PLAN, moe_plan, 5, mt_push_moe_plan, 0),
    MT_PIPE(MT_VK_MOE_MATMUL, moe_matmul, 5, mt_push_moe_matmul, 2), /* TYPE, workgroup width */
    MT_PIPE_T(MT_VK_MOE_MATMUL_ROWS, moe_matmul_rows, 7, 0x61, mt_push_moe_matmul, 2), /* TYPE, BROADCAST; texels: weights (0, 5), x (6) */
    MT_PIPE(MT_VK_SWIGLU, swiglu, 3, mt_push_swiglu, 0),
    MT_PIPE(MT_VK_MOE_SUM, moe_sum, 4, mt_push_moe_sum, 0),
    MT_PIPE(MT_VK_ADD_NORM, add_norm, 6, mt_push_add_norm, 0),       /* add then rmsnorm (vk_ops.c fuses the pair) */
    MT_PIPE(MT_VK_MOE_SUM_ADD, moe_sum_add, 7, mt_push_moe_sum_add, 0), /* moe_sum then add */
    MT_PIPE(MT_VK_MATMUL_SG, matmul_sg, 4, mt_push_matmul, 1),         /* TYPE; a subgroup a row */
    MT_PIPE(MT_VK_MOE_MATMUL_SG, moe_matmul_sg, 5, mt_push_moe_matmul, 1), /* TYPE; a subgroup a row */
    MT_PIPE(MT_VK_MATMUL_TILED, matmul_tiled, 4, mt_push_matmul, 1),   /* TYPE; 64 rows x 32 tokens a workgroup */
    MT_PIPE(MT_VK_MOE_MATMUL_TILED, moe_matmul_tiled, 5, mt_push_moe_matmul, 1), /* TYPE; 64 rows x 32 entries */
};

/* $XDG_CACHE_HOME/moetop (or ~/.cache/moetop), made if missing; "" when neither is known. */
static void cache_file(mt_vk *vk, char *out, size_t cap) {
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char dir[400];
    out[0] = '\0';
    if (xdg && *xdg) snprintf(dir, sizeof dir, "%s/moetop", xdg);
    else if (home && *home) snprintf(dir, sizeof dir, "%s/.cache/moetop", home);
    else return;
    if (xdg && *xdg) mkdir(xdg, 0700);
    else {
        char parent[400];
        snprintf(parent, sizeof parent, "%s/.cache", home);
        mkdir(parent, 0700);
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) return;
    VkPhysicalDeviceProperties props;
    vk->f.vkGetPhysicalDeviceProperties(vk->phys[vk->chosen], &props);
    snprintf(out, cap, "%s/pipelines-%04x-%04x-%08x.bin", dir, props.vendorID, props.deviceID, props.driverVersion);
}

bool mt_vk_pipes_init(mt_vk_pipes *p, mt_vk *vk, mt_err *err) {
    memset(p, 0, sizeof *p);
    for (int k = 0; k < MT_VK_KINDS; k++) {
        const mt_vk_pipeline_desc *d = &mt_vk_pipeline_table[k];
        VkDescriptorSetLayoutBinding b[8];
        for (uint32_t i = 0; i < d->n_bindings; i++)
            b[i] = (VkDescriptorSetLayoutBinding){ .binding = i, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, .descriptorCount = 1,
                                                   .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT };
        for (uint32_t i = 0; i < d->n_bindings; i++)
            if (d->texel_mask >> i & 1) b[i].descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
        VkDescriptorSetLayoutCreateInfo sl = {
            .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO, .flags = VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR,
            .bindingCount = d->n_bindings, .pBindings = b,
        };
        VkPushConstantRange range = { .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0, .size = d->push_bytes };
        if (vk->f.vkCreateDescriptorSetLayout(vk->dev, &sl, NULL, &p->set_layout[k]) != VK_SUCCESS) goto fail;
        VkPipelineLayoutCreateInfo pl = {
            .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO, .setLayoutCount = 1, .pSetLayouts = &p->set_layout[k],
            .pushConstantRangeCount = 1, .pPushConstantRanges = &range,
        };
        if (vk->f.vkCreatePipelineLayout(vk->dev, &pl, NULL, &p->layout[k]) != VK_SUCCESS) goto fail;
    }
    /* the cache: whatever a previous run left (the driver checks it belongs to this device) */
    cache_file(vk, p->cache_path, sizeof p->cache_path);
    void *data = NULL;
    size_t size = 0;
    FILE *fp = p->cache_path[0] ? fopen(p->cache_path, "rb") : NULL;
    if (fp) {
        if (fseek(fp, 0, SEEK_END) == 0) {
            long n = ftell(fp);
            if (n > 0 && n < (64l << 20) && fseek(fp, 0, SEEK_SET) == 0 && (data = malloc((size_t)n)) && fread(data, 1, (size_t)n, fp) == (size_t)n)
                size = (size_t)n;
        }
        fclose(fp);
    }
    VkPipelineCacheCreateInfo cci = { .sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO, .initialDataSize = size, .pInitialData = size ? data : NULL };
    if (vk->f.vkCreatePipelineCache(vk->dev, &cci, NULL, &p->cache) != VK_SUCCESS) {
        cci.initialDataSize = 0; /* a damaged file: start empty */
        cci.pInitialData = NULL;
        if (vk->f.vkCreatePipelineCache(vk->dev, &cci, NULL, &p->cache) != VK_SUCCESS) p->cache = VK_NULL_HANDLE;
    }
    free(data);
    return true;
fail:
    mt_err_set(err, "cannot make the pipeline layouts");
    mt_vk_pipes_free(p, vk);
    return false;
}

VkPipeline mt_vk_pipeline(mt_vk_pipes *p, mt_vk *vk, mt_vk_kind kind, const uint32_t spec[2], mt_err *err) {
    const mt_vk_pipeline_desc *d = &mt_vk_pipeline_table[kind];
    uint32_t s[2] = { d->n_spec > 0 ? spec[0] : 0, d->n_spec > 1 ? spec[1] : 0 };
    for (uint32_t i = 0; i < p->n_variant[kind]; i++)
        if (p->variant[kind][i].spec[0] == s[0] && p->variant[kind][i].spec[1] == s[1]) return p->variant[kind][i].pipeline;
    if (p->n_variant[kind] == MT_VK_MAX_VARIANTS) {
        mt_err_set(err, "too many variants of the %s pipeline", d->name);
        return VK_NULL_HANDLE;
    }
    VkShaderModuleCreateInfo mci = { .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO, .codeSize = d->spirv_bytes, .pCode = d->spirv };
    VkShaderModule module;
    VkResult r = vk->f.vkCreateShaderModule(vk->dev, &mci, NULL, &module);
    if (r != VK_SUCCESS) {
        mt_err_set(err, "shader %s: %s", d->name, mt_vk_result_name(r));
        return VK_NULL_HANDLE;
    }
    VkSpecializationMapEntry map[2] = { { 0, 0, 4 }, { 1, 4, 4 } };
    VkSpecializationInfo si = { .mapEntryCount = d->n_spec, .pMapEntries = map, .dataSize = d->n_spec * 4u, .pData = s };
    VkComputePipelineCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, .stage = VK_SHADER_STAGE_COMPUTE_BIT, .module = module,
                   .pName = "main", .pSpecializationInfo = d->n_spec ? &si : NULL },
        .layout = p->layout[kind],
    };
    VkPipeline pipe = VK_NULL_HANDLE;
    r = vk->f.vkCreateComputePipelines(vk->dev, p->cache, 1, &ci, NULL, &pipe);
    vk->f.vkDestroyShaderModule(vk->dev, module, NULL);
    if (r != VK_SUCCESS) {
        mt_err_set(err, "pipeline %s: %s", d->name, mt_vk_result_name(r));
        return VK_NULL_HANDLE;
    }
    uint32_t i = p->n_variant[kind]++;
    p->variant[kind][i].spec[0] = s[0];
    p->variant[kind][i].spec[1] = s[1];
    p->variant[kind][i].pipeline = pipe;
    return pipe;
}

void mt_vk_pipes_free(mt_vk_pipes *p, mt_vk *vk) {
    if (!vk->dev) return;
    if (p->cache && p->cache_path[0]) {
        size_t size = 0;
        if (vk->f.vkGetPipelineCacheData(vk->dev, p->cache, &size, NULL) == VK_SUCCESS && size) {
            void *data = malloc(size);
            /* replaced whole (engine/outfile.h), so a reader never sees half a file; a cache
             * that cannot be written is only slower next time */
            if (data && vk->f.vkGetPipelineCacheData(vk->dev, p->cache, &size, data) == VK_SUCCESS)
                mt_outfile_write(p->cache_path, data, size, NULL);
            free(data);
        }
    }
    for (int k = 0; k < MT_VK_KINDS; k++) {
        for (uint32_t i = 0; i < p->n_variant[k]; i++) vk->f.vkDestroyPipeline(vk->dev, p->variant[k][i].pipeline, NULL);
        if (p->layout[k]) vk->f.vkDestroyPipelineLayout(vk->dev, p->layout[k], NULL);
        if (p->set_layout[k]) vk->f.vkDestroyDescriptorSetLayout(vk->dev, p->set_layout[k], NULL);
    }
    if (p->cache) vk->f.vkDestroyPipelineCache(vk->dev, p->cache, NULL);
    memset(p, 0, sizeof *p);
}
