#include "vk_device.h"
#include "vk_kernels.h"

#include "../vulkan.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_ullong validation_errors;

uint64_t mt_vk_validation_errors(void) { return atomic_load(&validation_errors); }

static VKAPI_ATTR VkBool32 VKAPI_CALL on_validation(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                    VkDebugUtilsMessageTypeFlagsEXT types,
                                                    const VkDebugUtilsMessengerCallbackDataEXT *data, void *user) {
    (void)user;
    /* the loader's own messages (no driver, a missing manifest) are explained by moetop's error line */
    if (!(types & VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT)) return VK_FALSE;
    if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) atomic_fetch_add(&validation_errors, 1);
    if (severity & (VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT))
        fprintf(stderr, "moetop: vulkan validation %s: %s\n",
                severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT ? "error" : "warning",
                data && data->pMessage ? data->pMessage : "(no message)");
    return VK_FALSE;
}

const char *mt_vk_type_name(VkPhysicalDeviceType t) {
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
    default: return "other";
    }
}

static bool has_layer(mt_vk *vk, const char *name) {
    uint32_t n = 0;
    if (vk->f.vkEnumerateInstanceLayerProperties(&n, NULL) != VK_SUCCESS || !n) return false;
    VkLayerProperties *props = calloc(n, sizeof *props);
    bool found = false;
    if (props && vk->f.vkEnumerateInstanceLayerProperties(&n, props) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++) found = strcmp(props[i].layerName, name) == 0;
    free(props);
    return found;
}

static bool device_has_extension(mt_vk *vk, VkPhysicalDevice pd, const char *name) {
    uint32_t n = 0;
    if (vk->f.vkEnumerateDeviceExtensionProperties(pd, NULL, &n, NULL) != VK_SUCCESS || !n) return false;
    VkExtensionProperties *props = calloc(n, sizeof *props);
    bool found = false;
    if (props && vk->f.vkEnumerateDeviceExtensionProperties(pd, NULL, &n, props) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++) found = strcmp(props[i].extensionName, name) == 0;
    free(props);
    return found;
}

static void describe(mt_vk *vk, VkPhysicalDevice pd, mt_vk_device_info *in) {
    VkPhysicalDeviceSubgroupProperties sub = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES };
    VkPhysicalDeviceMaintenance3Properties m3 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES, .pNext = &sub };
    VkPhysicalDeviceDriverProperties drv = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES, .pNext = &m3 };
    VkPhysicalDeviceProperties2 p2 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &drv };
    vk->f.vkGetPhysicalDeviceProperties2(pd, &p2);
    const VkPhysicalDeviceProperties *p = &p2.properties;
    const VkPhysicalDeviceLimits *lim = &p->limits;
    snprintf(in->name, sizeof in->name, "%s", p->deviceName);
    snprintf(in->driver, sizeof in->driver, "%s %s", drv.driverName, drv.driverInfo);
    in->type = p->deviceType;
    in->api_version = p->apiVersion;
    in->subgroup_size = sub.subgroupSize;
    in->subgroup_shuffle = (sub.supportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT) && (sub.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT);
    in->subgroup_arithmetic = (sub.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) && (sub.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT);
    in->max_shared_bytes = lim->maxComputeSharedMemorySize;
    in->max_push_bytes = lim->maxPushConstantsSize;
    in->max_invocations = lim->maxComputeWorkGroupInvocations;
    memcpy(in->max_groups, lim->maxComputeWorkGroupCount, sizeof in->max_groups);
    in->max_storage_range = lim->maxStorageBufferRange;
    in->max_allocation = m3.maxMemoryAllocationSize;
    in->storage_align = (uint32_t)lim->minStorageBufferOffsetAlignment;
    in->max_texel_elements = lim->maxTexelBufferElements;
    VkPhysicalDeviceMemoryProperties mem;
    vk->f.vkGetPhysicalDeviceMemoryProperties(pd, &mem);
    for (uint32_t h = 0; h < mem.memoryHeapCount; h++)
        if ((mem.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) && mem.memoryHeaps[h].size > in->device_local_bytes)
            in->device_local_bytes = mem.memoryHeaps[h].size;
    uint32_t nq = 0;
    vk->f.vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, NULL);
    VkQueueFamilyProperties *q = calloc(nq ? nq : 1, sizeof *q);
    in->compute_family = -1;
    if (q) {
        vk->f.vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, q);
        /* a compute queue, preferring one without graphics (less contention on a GPU) */
        for (uint32_t i = 0; i < nq; i++)
            if ((q[i].queueFlags & VK_QUEUE_COMPUTE_BIT) &&
                (in->compute_family < 0 || !(q[i].queueFlags & VK_QUEUE_GRAPHICS_BIT))) {
                in->compute_family = (int)i;
                in->timestamp_period = q[i].timestampValidBits ? lim->timestampPeriod : 0.0f;
            }
        free(q);
    }
    VkPhysicalDeviceVulkan12Features f12 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES };
    VkPhysicalDeviceFeatures2 f2 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &f12 };
    in->unusable = NULL;
    if (VK_API_VERSION_MINOR(p->apiVersion) < 2 && VK_API_VERSION_MAJOR(p->apiVersion) == 1) {
        in->unusable = "Vulkan 1.2 is needed";
        return;
    }
    vk->f.vkGetPhysicalDeviceFeatures2(pd, &f2);
    if (in->compute_family < 0) in->unusable = "no compute queue";
    else if (!f12.timelineSemaphore) in->unusable = "no timeline semaphores";
    else if (!device_has_extension(vk, pd, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME)) in->unusable = "no VK_KHR_push_descriptor";
    else if (in->max_push_bytes < 128) in->unusable = "fewer than 128 bytes of push constants";
    else if (in->max_shared_bytes < 16384) in->unusable = "less than 16 KiB of shared memory";
}

static void close_instance(mt_vk *vk);

/* Loader, instance and device list, made once per process and kept: the
 * loader unloads drivers with the last instance, and lavapipe's JIT-compiled
 * code and allocations would then be anonymous to leak checkers. */
static bool open_instance(mt_vk *vk, mt_err *err) {
    memset(vk, 0, sizeof *vk);
    vk->chosen = -1;
    if (!mt_vk_open_loader(&vk->f, err)) return false;
    const char *v = getenv("MOETOP_VK_VALIDATION");
    bool want_validation = v && *v && strcmp(v, "0") != 0;
    const char *layer = "VK_LAYER_KHRONOS_validation";
    if (want_validation && !has_layer(vk, layer)) {
        mt_err_set(err, "MOETOP_VK_VALIDATION is set but the %s layer is not installed (vulkan-validationlayers)", layer);
        close_instance(vk);
        return false;
    }
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO, .pApplicationName = "moetop", .pEngineName = "moetop", .apiVersion = VK_API_VERSION_1_2,
    };
    VkValidationFeatureEnableEXT enables[] = { VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT };
    VkValidationFeaturesEXT features = {
        .sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT, .enabledValidationFeatureCount = 1, .pEnabledValidationFeatures = enables,
    };
    VkDebugUtilsMessengerCreateInfoEXT msg = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT, .pNext = &features,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = on_validation,
    };
    const char *exts[] = { VK_EXT_DEBUG_UTILS_EXTENSION_NAME };
    VkInstanceCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, .pApplicationInfo = &app,
        .enabledLayerCount = want_validation ? 1 : 0, .ppEnabledLayerNames = &layer,
        .enabledExtensionCount = want_validation ? 1 : 0, .ppEnabledExtensionNames = exts,
        .pNext = want_validation ? &msg : NULL,
    };
    VkResult r = vk->f.vkCreateInstance(&ci, NULL, &vk->instance);
    if (r != VK_SUCCESS) {
        if (r == VK_ERROR_INCOMPATIBLE_DRIVER) mt_err_set(err, "no Vulkan driver (the loader found none: %s)", mt_vk_result_name(r));
        else mt_err_set(err, "no Vulkan instance: %s", mt_vk_result_name(r));
        close_instance(vk);
        return false;
    }
    vk->validation = want_validation;
    if (!mt_vk_load_instance(&vk->f, vk->instance, err)) {
        close_instance(vk);
        return false;
    }
    if (want_validation) {
        PFN_vkCreateDebugUtilsMessengerEXT create =
            (PFN_vkCreateDebugUtilsMessengerEXT)vk->f.vkGetInstanceProcAddr(vk->instance, "vkCreateDebugUtilsMessengerEXT");
        msg.pNext = NULL;
        if (create) create(vk->instance, &msg, NULL, &vk->messenger);
    }
    uint32_t n = 0;
    r = vk->f.vkEnumeratePhysicalDevices(vk->instance, &n, NULL);
    if (r != VK_SUCCESS || n == 0) {
        mt_err_set(err, "no Vulkan device%s%s", r != VK_SUCCESS ? ": " : "", r != VK_SUCCESS ? mt_vk_result_name(r) : "");
        close_instance(vk);
        return false;
    }
    vk->phys = calloc(n, sizeof *vk->phys);
    vk->info = calloc(n, sizeof *vk->info);
    if (!vk->phys || !vk->info || vk->f.vkEnumeratePhysicalDevices(vk->instance, &n, vk->phys) < 0) {
        mt_err_set(err, "out of memory listing Vulkan devices");
        close_instance(vk);
        return false;
    }
    vk->n_devices = n;
    for (uint32_t i = 0; i < n; i++) describe(vk, vk->phys[i], &vk->info[i]);
    return true;
}

static mt_vk process_vk;
static bool process_vk_ready;

bool mt_vk_open(mt_vk *vk, mt_err *err) {
    if (!process_vk_ready) {
        if (!open_instance(&process_vk, err)) return false;
        process_vk_ready = true;
    }
    *vk = process_vk;
    return true;
}

static int type_rank(VkPhysicalDeviceType t) {
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 3;
    default: return 4;
    }
}

int mt_vk_choose(const mt_vk *vk, const char *want, mt_err *err) {
    if (want && *want) {
        char *end;
        long i = strtol(want, &end, 10);
        if (*end || end == want || i < 0 || i >= (long)vk->n_devices) {
            mt_err_set(err, "device '%s': there %s %u Vulkan device%s (0..%u; see moetop devices)", want, vk->n_devices == 1 ? "is" : "are",
                       vk->n_devices, vk->n_devices == 1 ? "" : "s", vk->n_devices - 1);
            return -1;
        }
        if (vk->info[i].unusable) {
            mt_err_set(err, "device %ld (%s): %s", i, vk->info[i].name, vk->info[i].unusable);
            return -1;
        }
        return (int)i;
    }
    int best = -1;
    for (uint32_t i = 0; i < vk->n_devices; i++)
        if (!vk->info[i].unusable && (best < 0 || type_rank(vk->info[i].type) < type_rank(vk->info[best].type))) best = (int)i;
    if (best < 0) mt_err_set(err, "no usable Vulkan device (%s: %s)", vk->info[0].name, vk->info[0].unusable);
    return best;
}

bool mt_vk_open_device(mt_vk *vk, int index, mt_err *err) {
    const mt_vk_device_info *in = &vk->info[index];
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO, .queueFamilyIndex = (uint32_t)in->compute_family, .queueCount = 1,
        .pQueuePriorities = &priority,
    };
    VkPhysicalDeviceVulkan12Features f12 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES, .timelineSemaphore = VK_TRUE };
    const char *exts[] = { VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME };
    VkDeviceCreateInfo dci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, .pNext = &f12, .queueCreateInfoCount = 1, .pQueueCreateInfos = &qci,
        .enabledExtensionCount = 1, .ppEnabledExtensionNames = exts,
    };
    VkResult r = vk->f.vkCreateDevice(vk->phys[index], &dci, NULL, &vk->dev);
    if (r != VK_SUCCESS) {
        mt_err_set(err, "device %d (%s): cannot open: %s", index, in->name, mt_vk_result_name(r));
        vk->dev = VK_NULL_HANDLE;
        return false;
    }
    if (!mt_vk_load_device(&vk->f, vk->dev, err)) return false;
    vk->f.vkGetDeviceQueue(vk->dev, (uint32_t)in->compute_family, 0, &vk->queue);
    vk->f.vkGetPhysicalDeviceMemoryProperties(vk->phys[index], &vk->mem);
    vk->chosen = index;
    return true;
}

void mt_vk_close(mt_vk *vk) {
    if (vk->dev && vk->f.vkDestroyDevice) vk->f.vkDestroyDevice(vk->dev, NULL);
    /* the instance is the process's (mt_vk_open) */
    memset(vk, 0, sizeof *vk);
    vk->chosen = -1;
}

static void close_instance(mt_vk *vk) {
    if (vk->messenger) {
        PFN_vkDestroyDebugUtilsMessengerEXT destroy =
            (PFN_vkDestroyDebugUtilsMessengerEXT)vk->f.vkGetInstanceProcAddr(vk->instance, "vkDestroyDebugUtilsMessengerEXT");
        if (destroy) destroy(vk->instance, vk->messenger, NULL);
    }
    if (vk->instance && vk->f.vkDestroyInstance) vk->f.vkDestroyInstance(vk->instance, NULL);
    free(vk->phys);
    free(vk->info);
    mt_vk_close_loader(&vk->f);
    memset(vk, 0, sizeof *vk);
    vk->chosen = -1;
}

mt_gpu_info *mt_vulkan_devices(uint32_t *n, mt_err *err) {
    mt_vk vk;
    *n = 0;
    if (!mt_vk_open(&vk, err)) return NULL;
    mt_gpu_info *list = calloc(vk.n_devices, sizeof *list);
    if (!list) {
        mt_err_set(err, "out of memory");
        mt_vk_close(&vk);
        return NULL;
    }
    mt_err ignored;
    int best = mt_vk_choose(&vk, NULL, &ignored);
    for (uint32_t i = 0; i < vk.n_devices; i++) {
        const mt_vk_device_info *in = &vk.info[i];
        mt_gpu_info *g = &list[i];
        snprintf(g->name, sizeof g->name, "%s", in->name);
        g->type = mt_vk_type_name(in->type);
        snprintf(g->api, sizeof g->api, "%u.%u.%u", VK_API_VERSION_MAJOR(in->api_version), VK_API_VERSION_MINOR(in->api_version),
                 VK_API_VERSION_PATCH(in->api_version));
        snprintf(g->driver, sizeof g->driver, "%s", in->driver);
        g->device_local_bytes = in->device_local_bytes;
        g->subgroup_size = in->subgroup_size;
        g->max_shared_bytes = in->max_shared_bytes;
        g->max_push_bytes = in->max_push_bytes;
        g->max_storage_range = in->max_storage_range;
        g->max_allocation = in->max_allocation;
        g->timestamps = in->timestamp_period > 0.0f;
        mt_vk_kernels k = mt_vk_choose_kernels(in, getenv("MOETOP_VK_KERNELS"));
        mt_vk_kernels_describe(&k, g->kernels, sizeof g->kernels);
        g->chosen = (int)i == best;
        g->unusable = in->unusable; /* static strings */
    }
    *n = vk.n_devices;
    mt_vk_close(&vk);
    return list;
}

const char *mt_vulkan_kernels_env_problem(char *buf, size_t size) {
    return mt_vk_kernels_override_problem(getenv("MOETOP_VK_KERNELS"), buf, size);
}
