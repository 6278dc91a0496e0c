/* The Vulkan backend's state, shared by vk_backend.c (device, memory,
 * submission, profile), vk_weights.c (the model's weights on the device) and
 * vk_ops.c (the ops as dispatches). */
#ifndef MT_VK_INTERNAL_H
#define MT_VK_INTERNAL_H

#include "../backend.h"
#include "vk_device.h"
#include "vk_kernels.h"
#include "vk_pipelines.h"

struct mt_buf {
    VkBuffer buffer;
    VkDeviceMemory memory;
    uint64_t bytes;
    void *host; /* mapped when host-visible */
    /* texel views of the whole buffer from byte 0, made on first use (vk_bind_texel) */
    VkBufferView view[3];
};

/* One uploaded weight (or float vector): its chunks, each a whole number of
 * units (rows, or experts for expert tensors) within the device's span. */
typedef struct vk_chunk {
    mt_buf *buf;
    uint64_t first_unit, units;
} vk_chunk;

/* added to a ggml type id for rows split into scales and aligned quants (vk_weights.c) */
#define MT_VK_SPLIT_TYPE 1000u

typedef struct vk_weight {
    const void *host;      /* the model's pointer: the key */
    uint32_t type;         /* as stored on the device: the ggml id, + MT_VK_SPLIT_TYPE for split rows (F16 for a type no shader reads) */
    uint64_t row_bytes, unit_bytes;
    uint32_t n_chunks;
    vk_chunk *chunks;
} vk_weight;

/* One command buffer in the ring, with its timestamps when profiling. */
#define VK_RING 3
#define VK_MAX_TIMED 2048
typedef struct vk_slot {
    VkCommandBuffer cb;
    uint64_t ticket;   /* the timeline value its submission signals; 0: never submitted */
    VkQueryPool queries;
    uint32_t n_timed;
    uint8_t timed_kind[VK_MAX_TIMED];
} vk_slot;

/* An op held back so that the next may join it in one dispatch (vk_ops.c): an
 * add followed by the RMSNorm of its sum (add_norm.comp), the queries' RoPE
 * followed by the keys' (rope.comp's second tensor), the MoE's sum followed by
 * the residual add of it (moe_sum_add.comp). Anything else records it first, as
 * it would have been recorded alone. */
enum { VK_PEND_NONE, VK_PEND_ADD, VK_PEND_ROPE, VK_PEND_MOE_SUM };
typedef struct vk_pending {
    int kind;
    mt_ten a, b, out, norms;      /* add: out = a + b; moe sum: out, and b = n_sel */
    uint32_t T, d, E;
    int norm_a, norm_b;
    mt_ten x, cs;                 /* rope */
    uint32_t n_heads, half;
    bool adjacent;                /* rope: pairs (2i, 2i + 1) instead of (i, i + half) */
} vk_pending;

typedef struct vk_backend {
    mt_backend base;
    mt_vk vk;
    mt_vk_pipes pipes;
    VkCommandPool pool;
    VkSemaphore timeline;
    vk_slot ring[VK_RING];
    int current;           /* the slot being recorded */
    bool recording;
    uint64_t submitted;    /* the last ticket submitted */
    mt_vk_kernels kernels; /* chosen from the device (vk_kernels.h) */
    /* buffers freed while work that used them may be in flight */
    struct { mt_buf *buf; uint64_t ticket; } *graveyard;
    size_t n_graveyard, graveyard_cap;
    /* the model */
    const mt_model *model;
    vk_weight *weights;
    size_t n_weights;
    uint32_t experts_per_chunk; /* the same for every expert tensor: one plan serves gate, up and down */
    mt_buf *zeros;         /* a small zero buffer bound where a shader wants a bias that is absent */
    mt_buf *iv;            /* host-visible interventions: force[L] | k[L] | flags[L][E] (u32) */
    mt_interventions iv_host;
    /* MoE scratch, grown on demand */
    mt_buf *plan, *gate, *up, *ys;
    mt_buf *embed_stage;   /* host-visible: a batch's embedding rows (the table stays in host memory) */
    /* profile: GPU time per op kind */
    bool profiling;
    double profile_ns[MT_VK_KINDS];
    uint64_t profile_count[MT_VK_KINDS];
    uint64_t simulated_memory_limit; /* MOETOP_VK_MEMORY_LIMIT_MB, for tests of the too-big path; 0: none */
    vk_pending pending;
    char error[256];       /* the first failure inside an op, reported by the next submit */
    bool failed;
} vk_backend;

/* A binding: the buffer from an aligned offset, and the element offset of the tensor past it. */
typedef struct vk_bind {
    VkBuffer buffer;
    VkDeviceSize offset, range;
    uint32_t elem; /* 4-byte elements from offset to the tensor */
    VkBufferView view; /* for a binding the pipeline declares a texel buffer */
} vk_bind;

vk_bind vk_bind_ten(vk_backend *v, mt_ten t);
vk_bind vk_bind_buf(vk_backend *v, mt_buf *b);
/* A uniform texel buffer view of a whole buffer: VK_TEXEL_U4 (R32G32B32A32_UINT, 16 bytes a texel)
 * or VK_TEXEL_U1 (R32_UINT, 4 bytes); the weights of the row kernels are read through these
 * (on lavapipe a texel fetch reads eight lanes at once, a storage-buffer load lane by lane). */
enum { VK_TEXEL_U4, VK_TEXEL_U1, VK_TEXEL_F4 /* R32G32B32A32_SFLOAT: activations */ };
vk_bind vk_bind_texel(vk_backend *v, mt_buf *b, int which);
/* Records a dispatch of kind (spec: its specialization values) with its bindings and push block. */
void vk_dispatch(vk_backend *v, mt_vk_kind kind, const uint32_t spec[2], const vk_bind *binds, const void *push, uint32_t gx, uint32_t gy,
                 uint32_t gz);
/* The same with group counts read from a buffer (VkDispatchIndirectCommand at offset). */
void vk_dispatch_indirect(vk_backend *v, mt_vk_kind kind, const uint32_t spec[2], const vk_bind *binds, const void *push, mt_buf *args,
                          uint64_t offset);
VkCommandBuffer vk_cmd(vk_backend *v);
/* A failure inside an op (no pipeline, out of memory): kept and reported by the next submit. */
void vk_fail(vk_backend *v, const char *fmt, ...);

mt_buf *vk_buf_new(vk_backend *v, uint64_t bytes, bool host_visible);
void vk_buf_free(vk_backend *v, mt_buf *b);
/* Grows *buf to at least bytes (old contents dropped). */
bool vk_scratch(vk_backend *v, mt_buf **buf, uint64_t bytes);

const vk_weight *vk_find(vk_backend *v, const void *host);
bool vk_upload_model(vk_backend *v, const mt_model *m, mt_err *err);
void vk_free_weights(vk_backend *v);

void vk_ops_install(mt_backend *b);
/* Records the op held back, if any (before a copy, a submit, any op that does not join it). */
void vk_flush_pending(vk_backend *v);

#endif
