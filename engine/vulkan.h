/* The Vulkan backend (engine/vulkan/): the whole forward pass on a Vulkan
 * device. want: "N" to pick device N (--device, MOETOP_DEVICE), NULL for the
 * best. NULL with err set when there is no loader, no usable device or the
 * device cannot be opened; callers fall back to the CPU backend. profile:
 * keep GPU time per op (timestamp queries) for profile_report(). */
#ifndef MT_VULKAN_H
#define MT_VULKAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"

mt_backend *mt_vulkan_backend_new(const char *want, bool profile, mt_err *err);

/* One device as `moetop devices` shows it. */
typedef struct mt_gpu_info {
    char name[256];
    const char *type;          /* "discrete GPU", "integrated GPU", "virtual GPU", "CPU", "other" */
    char api[16];              /* "1.3.230" */
    char driver[600];
    uint64_t device_local_bytes;
    uint32_t subgroup_size, max_shared_bytes, max_push_bytes;
    uint64_t max_storage_range, max_allocation;
    bool timestamps;
    char kernels[300];         /* the kernels moetop runs there (vk_kernels.h: chosen from the device's properties) */
    bool chosen;               /* the one used when none is named */
    const char *unusable;      /* NULL, or why moetop cannot run on it */
} mt_gpu_info;

/* Every Vulkan device (free() the array). NULL with err set when there is
 * no loader or no device. */
mt_gpu_info *mt_vulkan_devices(uint32_t *n, mt_err *err);

/* $MOETOP_VK_KERNELS set to no kernel set: the line to tell the user, in buf
 * (the devices' own choices are used); NULL when it is unset, empty or known. */
const char *mt_vulkan_kernels_env_problem(char *buf, size_t size);

/* Validation-layer errors reported so far in this process (MOETOP_VK_VALIDATION=1). */
uint64_t mt_vulkan_validation_errors(void);
/* For the validation test: makes a buffer of size 0 (invalid usage the layer reports). */
void mt_vulkan_misuse_for_test(mt_backend *b);

#endif
