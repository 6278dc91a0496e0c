/* The shaders' SPIR-V, compiled from shaders/NAME.comp by glslc at build time
 * (build/gen/shaders/NAME.spv.inc, C initializer lists). Included by
 * vk_pipelines.c only. */
#ifndef MT_VK_SPIRV_H
#define MT_VK_SPIRV_H

#include <stdint.h>

static const uint32_t mt_spirv_matmul[] =
#include "matmul.spv.inc"
    ;
static const uint32_t mt_spirv_matmul_rows[] =
#include "matmul_rows.spv.inc"
    ;
static const uint32_t mt_spirv_embed[] =
#include "embed.spv.inc"
    ;
static const uint32_t mt_spirv_add_norm[] =
#include "add_norm.spv.inc"
    ;
static const uint32_t mt_spirv_moe_sum_add[] =
#include "moe_sum_add.spv.inc"
    ;
static const uint32_t mt_spirv_rmsnorm[] =
#include "rmsnorm.spv.inc"
    ;
static const uint32_t mt_spirv_add[] =
#include "add.spv.inc"
    ;
static const uint32_t mt_spirv_rope[] =
#include "rope.spv.inc"
    ;
static const uint32_t mt_spirv_attention[] =
#include "attention.spv.inc"
    ;
static const uint32_t mt_spirv_route[] =
#include "route.spv.inc"
    ;
static const uint32_t mt_spirv_moe_plan[] =
#include "moe_plan.spv.inc"
    ;
static const uint32_t mt_spirv_moe_matmul[] =
#include "moe_matmul.spv.inc"
    ;
static const uint32_t mt_spirv_moe_matmul_rows[] =
#include "moe_matmul_rows.spv.inc"
    ;
static const uint32_t mt_spirv_swiglu[] =
#include "swiglu.spv.inc"
    ;
static const uint32_t mt_spirv_moe_sum[] =
#include "moe_sum.spv.inc"
    ;

static const uint32_t mt_spirv_matmul_sg[] =
#include "matmul_sg.spv.inc"
    ;
static const uint32_t mt_spirv_moe_matmul_sg[] =
#include "moe_matmul_sg.spv.inc"
    ;

static const uint32_t mt_spirv_matmul_tiled[] =
#include "matmul_tiled.spv.inc"
    ;
static const uint32_t mt_spirv_moe_matmul_tiled[] =
#include "moe_matmul_tiled.spv.inc"
    ;

#endif
