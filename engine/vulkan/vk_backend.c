/* The Vulkan backend: device choice, memory, the command-buffer ring on a
 * timeline semaphore, submission, the per-op GPU profile. The weights are in
 * vk_weights.c, the ops in vk_ops.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../vulkan.h"
#include "vk_internal.h"

void vk_fail(vk_backend *v, const char *fmt, ...) {
    if (v->failed) return; /* the first failure is the one worth reading */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->error, sizeof v->error, fmt, ap);
    va_end(ap);
    v->failed = true;
}

static void barrier(vk_backend *v, VkCommandBuffer cb);

/* ---- memory ----------------------------------------------------------------------- */

static int find_memory_type(const VkPhysicalDeviceMemoryProperties *mem, uint32_t allowed, VkMemoryPropertyFlags need,
                            VkMemoryPropertyFlags prefer) {
    int found = -1;
    for (uint32_t i = 0; i < mem->memoryTypeCount; i++) {
        VkMemoryPropertyFlags f = mem->memoryTypes[i].propertyFlags;
        if (!(allowed & (1u << i)) || (f & need) != need) continue;
        if ((f & prefer) == prefer) return (int)i;
        if (found < 0) found = (int)i;
    }
    return found;
}

mt_buf *vk_buf_new(vk_backend *v, uint64_t bytes, bool host_visible) {
    mt_vk *vk = &v->vk;
    const mt_vk_device_info *in = &vk->info[vk->chosen];
    /* padded: the shaders read whole words past a row's last byte */
    uint64_t size = ((bytes + 3) & ~3ull) + 16;
    if (size > in->max_allocation) return NULL;
    mt_buf *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->bytes = bytes;
    VkBufferCreateInfo bci = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = size, .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
        .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
                 VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT,
    };
    if (vk->f.vkCreateBuffer(vk->dev, &bci, NULL, &b->buffer) != VK_SUCCESS) goto fail;
    VkMemoryRequirements req;
    vk->f.vkGetBufferMemoryRequirements(vk->dev, b->buffer, &req);
    int type = host_visible ? find_memory_type(&vk->mem, req.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                               VK_MEMORY_PROPERTY_HOST_CACHED_BIT)
                            : find_memory_type(&vk->mem, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0);
    if (type < 0 && !host_visible) type = find_memory_type(&vk->mem, req.memoryTypeBits, 0, 0);
    if (type < 0) goto fail;
    VkMemoryAllocateInfo mai = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .allocationSize = req.size, .memoryTypeIndex = (uint32_t)type };
    if (vk->f.vkAllocateMemory(vk->dev, &mai, NULL, &b->memory) != VK_SUCCESS) goto fail;
    if (vk->f.vkBindBufferMemory(vk->dev, b->buffer, b->memory, 0) != VK_SUCCESS) goto fail;
    bool mappable = vk->mem.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
    if (mappable && vk->f.vkMapMemory(vk->dev, b->memory, 0, VK_WHOLE_SIZE, 0, &b->host) != VK_SUCCESS) b->host = NULL;
    if (b->host) memset(b->host, 0, (size_t)size);
    else {
        VkCommandBuffer cb = vk_cmd(v);
        vk->f.vkCmdFillBuffer(cb, b->buffer, 0, VK_WHOLE_SIZE, 0);
        barrier(v, cb);
    }
    return b;
fail:
    if (b->memory) vk->f.vkFreeMemory(vk->dev, b->memory, NULL);
    if (b->buffer) vk->f.vkDestroyBuffer(vk->dev, b->buffer, NULL);
    free(b);
    return NULL;
}

static void destroy_buf(vk_backend *v, mt_buf *b) {
    if (!b) return;
    for (int i = 0; i < 3; i++)
        if (b->view[i]) v->vk.f.vkDestroyBufferView(v->vk.dev, b->view[i], NULL);
    v->vk.f.vkDestroyBuffer(v->vk.dev, b->buffer, NULL);
    v->vk.f.vkFreeMemory(v->vk.dev, b->memory, NULL); /* unmaps too */
    free(b);
}

void vk_buf_free(vk_backend *v, mt_buf *b) {
    if (!b) return;
    uint64_t ticket = v->recording ? v->submitted + 1 : v->submitted;
    uint64_t done = 0;
    if (v->vk.f.vkGetSemaphoreCounterValue(v->vk.dev, v->timeline, &done) == VK_SUCCESS && done >= ticket) {
        destroy_buf(v, b);
        return;
    }
    if (v->n_graveyard == v->graveyard_cap) {
        size_t cap = v->graveyard_cap ? 2 * v->graveyard_cap : 16;
        void *grown = realloc(v->graveyard, cap * sizeof *v->graveyard);
        if (!grown) { /* no room to defer: wait for the device instead */
            v->vk.f.vkDeviceWaitIdle(v->vk.dev);
            destroy_buf(v, b);
            return;
        }
        v->graveyard = grown;
        v->graveyard_cap = cap;
    }
    v->graveyard[v->n_graveyard].buf = b;
    v->graveyard[v->n_graveyard++].ticket = ticket;
}

static void bury(vk_backend *v, uint64_t done) {
    size_t kept = 0;
    for (size_t i = 0; i < v->n_graveyard; i++) {
        if (v->graveyard[i].ticket <= done) destroy_buf(v, v->graveyard[i].buf);
        else v->graveyard[kept++] = v->graveyard[i];
    }
    v->n_graveyard = kept;
}

bool vk_scratch(vk_backend *v, mt_buf **buf, uint64_t bytes) {
    if (*buf && (*buf)->bytes >= bytes) return true;
    vk_buf_free(v, *buf);
    *buf = vk_buf_new(v, bytes + bytes / 4, false);
    return *buf != NULL;
}

static mt_buf *be_buf_new(mt_backend *b, uint64_t bytes, bool host_visible) {
    vk_backend *v = (vk_backend *)b;
    if (bytes > v->vk.info[v->vk.chosen].max_allocation) return NULL;
    return vk_buf_new(v, bytes, host_visible);
}

static void be_buf_free(mt_backend *b, mt_buf *buf) { vk_buf_free((vk_backend *)b, buf); }
static void *be_buf_host(mt_backend *b, mt_buf *buf) {
    (void)b;
    return buf->host;
}

/* ---- recording and submission ------------------------------------------------------------ */

/* Reads a finished slot's timestamps into the profile. */
static void retire(vk_backend *v, vk_slot *s) {
    if (!v->profiling || !s->n_timed) return;
    uint64_t *stamps = malloc(2 * s->n_timed * sizeof *stamps);
    if (stamps && v->vk.f.vkGetQueryPoolResults(v->vk.dev, s->queries, 0, 2 * s->n_timed, 2 * s->n_timed * sizeof *stamps, stamps,
                                                 sizeof *stamps, VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT) == VK_SUCCESS) {
        double period = v->vk.info[v->vk.chosen].timestamp_period;
        for (uint32_t i = 0; i < s->n_timed; i++) {
            v->profile_ns[s->timed_kind[i]] += (double)(stamps[2 * i + 1] - stamps[2 * i]) * period;
            v->profile_count[s->timed_kind[i]]++;
        }
    }
    free(stamps);
    s->n_timed = 0;
}

static bool wait_ticket(vk_backend *v, uint64_t ticket, mt_err *err) {
    if (ticket == 0) return true;
    VkSemaphoreWaitInfo wi = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO, .semaphoreCount = 1, .pSemaphores = &v->timeline, .pValues = &ticket };
    VkResult r = v->vk.f.vkWaitSemaphores(v->vk.dev, &wi, UINT64_MAX);
    if (r != VK_SUCCESS) {
        mt_err_set(err, "%s: %s", v->base.device, r == VK_ERROR_DEVICE_LOST ? "device lost" : mt_vk_result_name(r));
        return false;
    }
    for (int i = 0; i < VK_RING; i++)
        if (v->ring[i].ticket && v->ring[i].ticket <= ticket) retire(v, &v->ring[i]);
    bury(v, ticket);
    return true;
}

VkCommandBuffer vk_cmd(vk_backend *v) {
    vk_slot *s = &v->ring[v->current];
    if (!v->recording) {
        if (!wait_ticket(v, s->ticket, NULL)) vk_fail(v, "%s: device lost", v->base.device);
        v->vk.f.vkResetCommandBuffer(s->cb, 0);
        VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO, .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT };
        v->vk.f.vkBeginCommandBuffer(s->cb, &bi);
        if (v->profiling) v->vk.f.vkCmdResetQueryPool(s->cb, s->queries, 0, 2 * VK_MAX_TIMED);
        s->n_timed = 0;
        v->recording = true;
    }
    return s->cb;
}

/* Everything before is visible to everything after: shaders, copies, indirect reads. */
static void barrier(vk_backend *v, VkCommandBuffer cb) {
    VkMemoryBarrier mb = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT |
                         VK_ACCESS_INDIRECT_COMMAND_READ_BIT,
    };
    v->vk.f.vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                                 VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_DRAW_INDIRECT_BIT, 0, 1,
                                 &mb, 0, NULL, 0, NULL);
}

vk_bind vk_bind_ten(vk_backend *v, mt_ten t) {
    const mt_vk_device_info *in = &v->vk.info[v->vk.chosen];
    uint64_t align = in->storage_align ? in->storage_align : 4;
    uint64_t start = t.off / align * align, size = ((t.buf->bytes + 3) & ~3ull) + 16;
    uint64_t range = size - start;
    if (range > in->max_storage_range) range = in->max_storage_range & ~3ull;
    vk_bind b = { t.buf->buffer, start, range, (uint32_t)((t.off - start) / 4), VK_NULL_HANDLE };
    return b;
}

vk_bind vk_bind_buf(vk_backend *v, mt_buf *b) { return vk_bind_ten(v, mt_ten_at(b, 0)); }

vk_bind vk_bind_texel(vk_backend *v, mt_buf *b, int which) {
    vk_bind bind = { b->buffer, 0, 0, 0, VK_NULL_HANDLE };
    if (!b->view[which]) {
        const mt_vk_device_info *in = &v->vk.info[v->vk.chosen];
        uint64_t texel = which == VK_TEXEL_U1 ? 4 : 16, size = ((b->bytes + 3) & ~3ull) + 16; /* as vk_buf_new made it */
        uint64_t n = size / texel;
        if (n > in->max_texel_elements) n = in->max_texel_elements;
        VkBufferViewCreateInfo ci = { .sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO, .buffer = b->buffer,
                                      .format = which == VK_TEXEL_U4   ? VK_FORMAT_R32G32B32A32_UINT
                                                : which == VK_TEXEL_U1 ? VK_FORMAT_R32_UINT
                                                                       : VK_FORMAT_R32G32B32A32_SFLOAT,
                                      .offset = 0,
                                      .range = n * texel };
        if (v->vk.f.vkCreateBufferView(v->vk.dev, &ci, NULL, &b->view[which]) != VK_SUCCESS) {
            b->view[which] = VK_NULL_HANDLE;
            vk_fail(v, "%s: cannot make a texel view of a weight buffer", v->base.device);
        }
    }
    bind.view = b->view[which];
    return bind;
}

static void record(vk_backend *v, mt_vk_kind kind, const uint32_t spec[2], const vk_bind *binds, const void *push, bool indirect,
                   uint32_t gx, uint32_t gy, uint32_t gz, mt_buf *args, uint64_t offset) {
    mt_err err;
    VkPipeline pipe = mt_vk_pipeline(&v->pipes, &v->vk, kind, spec, &err);
    if (!pipe) {
        vk_fail(v, "%s", err.msg);
        return;
    }
    const mt_vk_pipeline_desc *d = &mt_vk_pipeline_table[kind];
    VkCommandBuffer cb = vk_cmd(v);
    vk_slot *s = &v->ring[v->current];
    bool timed = v->profiling && s->n_timed < VK_MAX_TIMED;
    if (timed) v->vk.f.vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, s->queries, 2 * s->n_timed);
    VkDescriptorBufferInfo info[8];
    VkWriteDescriptorSet writes[8];
    for (uint32_t i = 0; i < d->n_bindings; i++) {
        bool texel = d->texel_mask >> i & 1;
        info[i] = (VkDescriptorBufferInfo){ binds[i].buffer, binds[i].offset, binds[i].range };
        writes[i] = (VkWriteDescriptorSet){ .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstBinding = i, .descriptorCount = 1,
                                            .descriptorType = texel ? VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                            .pBufferInfo = texel ? NULL : &info[i], .pTexelBufferView = texel ? &binds[i].view : NULL };
    }
    v->vk.f.vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipe);
    v->vk.f.vkCmdPushDescriptorSetKHR(cb, VK_PIPELINE_BIND_POINT_COMPUTE, v->pipes.layout[kind], 0, d->n_bindings, writes);
    v->vk.f.vkCmdPushConstants(cb, v->pipes.layout[kind], VK_SHADER_STAGE_COMPUTE_BIT, 0, d->push_bytes, push);
    if (indirect) v->vk.f.vkCmdDispatchIndirect(cb, args->buffer, offset);
    else v->vk.f.vkCmdDispatch(cb, gx, gy, gz);
    barrier(v, cb);
    if (timed) {
        v->vk.f.vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, s->queries, 2 * s->n_timed + 1);
        s->timed_kind[s->n_timed++] = (uint8_t)kind;
    }
}

void vk_dispatch(vk_backend *v, mt_vk_kind kind, const uint32_t spec[2], const vk_bind *binds, const void *push, uint32_t gx, uint32_t gy,
                 uint32_t gz) {
    const uint32_t *max = v->vk.info[v->vk.chosen].max_groups;
    if (gx == 0 || gy == 0 || gz == 0) return;
    if (gx > max[0] || gy > max[1] || gz > max[2]) {
        vk_fail(v, "%s: %u x %u x %u workgroups are more than the device dispatches", mt_vk_pipeline_table[kind].name, gx, gy, gz);
        return;
    }
    record(v, kind, spec, binds, push, false, gx, gy, gz, NULL, 0);
}

void vk_dispatch_indirect(vk_backend *v, mt_vk_kind kind, const uint32_t spec[2], const vk_bind *binds, const void *push, mt_buf *args,
                          uint64_t offset) {
    record(v, kind, spec, binds, push, true, 0, 0, 0, args, offset);
}

static void be_copy(mt_backend *b, mt_ten dst, mt_ten src, uint64_t bytes) {
    vk_backend *v = (vk_backend *)b;
    if (!bytes) return;
    vk_flush_pending(v);
    VkCommandBuffer cb = vk_cmd(v);
    VkBufferCopy region = { src.off, dst.off, bytes };
    v->vk.f.vkCmdCopyBuffer(cb, src.buf->buffer, dst.buf->buffer, 1, &region);
    barrier(v, cb);
}

static bool be_submit(mt_backend *b, uint64_t *ticket, mt_err *err) {
    vk_backend *v = (vk_backend *)b;
    vk_flush_pending(v);
    if (v->failed) {
        mt_err_set(err, "%s", v->error);
        return false;
    }
    if (!v->recording) {
        *ticket = v->submitted;
        return true;
    }
    vk_slot *s = &v->ring[v->current];
    /* shader and copy writes become visible to the host once the ticket is reached */
    VkMemoryBarrier mb = { .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER, .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                           .dstAccessMask = VK_ACCESS_HOST_READ_BIT };
    v->vk.f.vkCmdPipelineBarrier(s->cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb,
                                 0, NULL, 0, NULL);
    v->vk.f.vkEndCommandBuffer(s->cb);
    uint64_t value = v->submitted + 1;
    VkTimelineSemaphoreSubmitInfo ts = { .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO, .signalSemaphoreValueCount = 1,
                                         .pSignalSemaphoreValues = &value };
    VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .pNext = &ts, .commandBufferCount = 1, .pCommandBuffers = &s->cb,
                        .signalSemaphoreCount = 1, .pSignalSemaphores = &v->timeline };
    VkResult r = v->vk.f.vkQueueSubmit(v->vk.queue, 1, &si, VK_NULL_HANDLE);
    v->recording = false;
    if (r != VK_SUCCESS) {
        vk_fail(v, "%s: submit failed: %s", v->base.device, mt_vk_result_name(r));
        mt_err_set(err, "%s", v->error);
        return false;
    }
    s->ticket = v->submitted = value;
    v->current = (v->current + 1) % VK_RING;
    *ticket = value;
    return true;
}

static bool be_wait(mt_backend *b, uint64_t ticket, mt_err *err) {
    vk_backend *v = (vk_backend *)b;
    if (!wait_ticket(v, ticket, err)) return false;
    if (v->failed) {
        mt_err_set(err, "%s", v->error);
        return false;
    }
    return true;
}

static void be_profile_report(mt_backend *b, void *file) {
    vk_backend *v = (vk_backend *)b;
    FILE *out = file;
    double total = 0.0;
    for (int k = 0; k < MT_VK_KINDS; k++) total += v->profile_ns[k];
    char kernels[300];
    mt_vk_kernels_describe(&v->kernels, kernels, sizeof kernels);
    fprintf(out, "GPU time per op on %s (timestamp queries); %s:\n", v->base.device, kernels);
    fprintf(out, "  %-16s %10s %12s %12s %7s\n", "op", "dispatches", "total ms", "mean us", "share");
    for (int k = 0; k < MT_VK_KINDS; k++) {
        if (!v->profile_count[k]) continue;
        fprintf(out, "  %-16s %10" PRIu64 " %12.3f %12.2f %6.1f%%\n", mt_vk_pipeline_table[k].name, v->profile_count[k], v->profile_ns[k] / 1e6,
                v->profile_ns[k] / 1e3 / (double)v->profile_count[k], total > 0 ? 100.0 * v->profile_ns[k] / total : 0.0);
    }
    fprintf(out, "  %-16s %10s %12.3f\n", "all", "", total / 1e6);
}

static double be_profile_ms(mt_backend *b) {
    vk_backend *v = (vk_backend *)b;
    double total = 0.0;
    for (int k = 0; k < MT_VK_KINDS; k++) total += v->profile_ns[k];
    return total / 1e6;
}

static void be_destroy(mt_backend *b) {
    vk_backend *v = (vk_backend *)b;
    if (!v) return;
    if (v->vk.dev) {
        v->vk.f.vkDeviceWaitIdle(v->vk.dev);
        v->recording = false; /* a command buffer left recording (an op failed before its submit) is never submitted */
        vk_free_weights(v);   /* before the graveyard goes: its buffers may be buried there */
        bury(v, UINT64_MAX);
        free(v->graveyard);
        destroy_buf(v, v->plan);
        destroy_buf(v, v->gate);
        destroy_buf(v, v->up);
        destroy_buf(v, v->ys);
        destroy_buf(v, v->embed_stage);
        destroy_buf(v, v->iv);
        destroy_buf(v, v->zeros);
        mt_iv_free(&v->iv_host);
        for (int i = 0; i < VK_RING; i++)
            if (v->ring[i].queries) v->vk.f.vkDestroyQueryPool(v->vk.dev, v->ring[i].queries, NULL);
        if (v->pool) v->vk.f.vkDestroyCommandPool(v->vk.dev, v->pool, NULL);
        if (v->timeline) v->vk.f.vkDestroySemaphore(v->vk.dev, v->timeline, NULL);
        mt_vk_pipes_free(&v->pipes, &v->vk);
    }
    mt_vk_close(&v->vk);
    free(v);
}

static uint64_t env_u64(const char *name) {
    const char *s = getenv(name);
    return s && *s ? strtoull(s, NULL, 10) : 0;
}

mt_backend *mt_vulkan_backend_new(const char *want, bool profile, mt_err *err) {
    vk_backend *v = calloc(1, sizeof *v);
    if (!v) {
        mt_err_set(err, "out of memory");
        return NULL;
    }
    mt_vk *vk = &v->vk;
    if (!want || !*want) want = getenv("MOETOP_DEVICE");
    int index;
    if (!mt_vk_open(vk, err) || (index = mt_vk_choose(vk, want, err)) < 0 || !mt_vk_open_device(vk, index, err) ||
        !mt_vk_pipes_init(&v->pipes, vk, err)) {
        be_destroy(&v->base);
        return NULL;
    }
    const mt_vk_device_info *in = &vk->info[index];
    v->profiling = profile && in->timestamp_period > 0.0f;
    VkCommandPoolCreateInfo pci = { .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO, .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                    .queueFamilyIndex = (uint32_t)in->compute_family };
    VkSemaphoreTypeCreateInfo sti = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO, .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE };
    VkSemaphoreCreateInfo sci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &sti };
    bool ok = vk->f.vkCreateCommandPool(vk->dev, &pci, NULL, &v->pool) == VK_SUCCESS &&
              vk->f.vkCreateSemaphore(vk->dev, &sci, NULL, &v->timeline) == VK_SUCCESS;
    for (int i = 0; ok && i < VK_RING; i++) {
        VkCommandBufferAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, .commandPool = v->pool,
                                           .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY, .commandBufferCount = 1 };
        ok = vk->f.vkAllocateCommandBuffers(vk->dev, &ai, &v->ring[i].cb) == VK_SUCCESS;
        VkQueryPoolCreateInfo qci = { .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO, .queryType = VK_QUERY_TYPE_TIMESTAMP, .queryCount = 2 * VK_MAX_TIMED };
        if (ok && v->profiling) ok = vk->f.vkCreateQueryPool(vk->dev, &qci, NULL, &v->ring[i].queries) == VK_SUCCESS;
    }
    if (!ok) {
        mt_err_set(err, "%s: cannot make command buffers", in->name);
        be_destroy(&v->base);
        return NULL;
    }
    v->simulated_memory_limit = env_u64("MOETOP_VK_MEMORY_LIMIT_MB") << 20;
    const char *kernels = getenv("MOETOP_VK_KERNELS");
    v->kernels = mt_vk_choose_kernels(in, kernels);
    mt_backend *b = &v->base;
    char problem[160];
    if (mt_vk_kernels_override_problem(kernels, problem, sizeof problem)) mt_backend_notice(b, "%s", problem);
    b->name = "vulkan";
    snprintf(b->device, sizeof b->device, "%s (%s)", in->name, mt_vk_type_name(in->type));
    b->n_threads = 1;
    b->max_bind_bytes = in->max_storage_range < in->max_allocation ? in->max_storage_range : in->max_allocation;
    uint64_t span = env_u64("MOETOP_VK_SPAN_LIMIT");
    if (span && span < b->max_bind_bytes) b->max_bind_bytes = span; /* tests: split tensors as a smaller device would */
    /* the row kernels read weights through 4-byte texel views of whole chunks */
    if (v->kernels.rows && in->max_texel_elements * 4 < b->max_bind_bytes) b->max_bind_bytes = in->max_texel_elements * 4;
    b->max_bind_bytes = (b->max_bind_bytes - 256) & ~3ull; /* room for a binding's aligned start */
    b->buf_new = be_buf_new;
    b->buf_free = be_buf_free;
    b->buf_host = be_buf_host;
    b->copy = be_copy;
    b->submit = be_submit;
    b->wait = be_wait;
    b->profile_report = v->profiling ? be_profile_report : NULL;
    b->profile_ms = v->profiling ? be_profile_ms : NULL;
    b->destroy = be_destroy;
    vk_ops_install(b);
    return b;
}

uint64_t mt_vulkan_validation_errors(void) { return mt_vk_validation_errors(); }

void mt_vulkan_misuse_for_test(mt_backend *b) {
    vk_backend *v = (vk_backend *)b;
    VkBufferCreateInfo bci = { .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = 0, .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT };
    VkBuffer buf = VK_NULL_HANDLE;
    if (v->vk.f.vkCreateBuffer(v->vk.dev, &bci, NULL, &buf) == VK_SUCCESS && buf) v->vk.f.vkDestroyBuffer(v->vk.dev, buf, NULL);
}
