/* Vulkan instance and devices: what each physical device offers (for
 * `moetop devices` and the choice), the choice itself (discrete, then
 * integrated, then virtual, then CPU devices such as lavapipe, unless
 * --device N or MOETOP_DEVICE names one), and the logical device with one
 * compute queue. MOETOP_VK_VALIDATION=1 turns the Khronos validation layer on
 * with synchronization validation; its messages go to stderr and are counted. */
#ifndef MT_VK_DEVICE_H
#define MT_VK_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "vk_loader.h"

typedef struct mt_vk_device_info {
    char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
    char driver[VK_MAX_DRIVER_INFO_SIZE + VK_MAX_DRIVER_NAME_SIZE + 4];
    VkPhysicalDeviceType type;
    uint32_t api_version;
    uint64_t device_local_bytes; /* the largest device-local heap */
    uint32_t subgroup_size;
    bool subgroup_shuffle;  /* compute shaders may shuffle values between lanes */
    bool subgroup_arithmetic; /* compute shaders may sum over a subgroup (subgroupAdd) */
    uint32_t max_shared_bytes, max_push_bytes, max_invocations;
    uint32_t max_groups[3];
    uint64_t max_storage_range, max_allocation;
    uint32_t storage_align; /* minStorageBufferOffsetAlignment */
    uint64_t max_texel_elements; /* maxTexelBufferElements */
    float timestamp_period; /* ns per tick; 0: no timestamps on compute queues */
    int compute_family;     /* -1: none */
    const char *unusable;   /* NULL when moetop can run on it, else why not */
} mt_vk_device_info;

typedef struct mt_vk {
    mt_vk_fns f;
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger;
    bool validation;
    uint32_t n_devices;
    VkPhysicalDevice *phys;
    mt_vk_device_info *info;
    /* the opened device */
    int chosen;
    VkDevice dev;
    VkQueue queue;
    VkPhysicalDeviceMemoryProperties mem;
} mt_vk;

/* Loader, instance and the device list. False with err set: no loader, no
 * instance, no device. */
bool mt_vk_open(mt_vk *vk, mt_err *err);
/* The device to use: want ("N", from --device or MOETOP_DEVICE; NULL: the
 * best). -1 with err set when the named one does not exist or cannot run moetop. */
int mt_vk_choose(const mt_vk *vk, const char *want, mt_err *err);
bool mt_vk_open_device(mt_vk *vk, int index, mt_err *err);
void mt_vk_close(mt_vk *vk);

const char *mt_vk_type_name(VkPhysicalDeviceType t);
/* Validation messages of severity error seen so far (process-wide). */
uint64_t mt_vk_validation_errors(void);

#endif
