/* The Vulkan loader, opened at run time (libvulkan.so.1) so that moetop
 * starts where none is installed, and the entry points moetop calls. */
#ifndef MT_VK_LOADER_H
#define MT_VK_LOADER_H

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include <stdbool.h>

#include "../error.h"

#define MT_VK_GLOBAL_FUNCS(X)               \
    X(vkCreateInstance)                     \
    X(vkEnumerateInstanceLayerProperties)   \
    X(vkEnumerateInstanceExtensionProperties)

#define MT_VK_INSTANCE_FUNCS(X)                 \
    X(vkDestroyInstance)                        \
    X(vkEnumeratePhysicalDevices)               \
    X(vkGetPhysicalDeviceProperties)            \
    X(vkGetPhysicalDeviceProperties2)           \
    X(vkGetPhysicalDeviceFeatures2)             \
    X(vkGetPhysicalDeviceMemoryProperties)      \
    X(vkGetPhysicalDeviceQueueFamilyProperties) \
    X(vkEnumerateDeviceExtensionProperties)     \
    X(vkCreateDevice)                           \
    X(vkGetDeviceProcAddr)

#define MT_VK_DEVICE_FUNCS(X)        \
    X(vkDestroyDevice)               \
    X(vkGetDeviceQueue)              \
    X(vkCreateBuffer)                \
    X(vkDestroyBuffer)               \
    X(vkCreateBufferView)            \
    X(vkDestroyBufferView)           \
    X(vkGetBufferMemoryRequirements) \
    X(vkAllocateMemory)              \
    X(vkFreeMemory)                  \
    X(vkBindBufferMemory)            \
    X(vkMapMemory)                   \
    X(vkCreateShaderModule)          \
    X(vkDestroyShaderModule)         \
    X(vkCreateDescriptorSetLayout)   \
    X(vkDestroyDescriptorSetLayout)  \
    X(vkCreatePipelineLayout)        \
    X(vkDestroyPipelineLayout)       \
    X(vkCreateComputePipelines)      \
    X(vkDestroyPipeline)             \
    X(vkCreatePipelineCache)         \
    X(vkDestroyPipelineCache)        \
    X(vkGetPipelineCacheData)        \
    X(vkCreateCommandPool)           \
    X(vkDestroyCommandPool)          \
    X(vkAllocateCommandBuffers)      \
    X(vkBeginCommandBuffer)          \
    X(vkEndCommandBuffer)            \
    X(vkResetCommandBuffer)          \
    X(vkCmdBindPipeline)             \
    X(vkCmdPushConstants)            \
    X(vkCmdPushDescriptorSetKHR)     \
    X(vkCmdDispatch)                 \
    X(vkCmdDispatchIndirect)         \
    X(vkCmdPipelineBarrier)          \
    X(vkCmdCopyBuffer)               \
    X(vkCmdFillBuffer)               \
    X(vkQueueSubmit)                 \
    X(vkDeviceWaitIdle)              \
    X(vkCreateSemaphore)             \
    X(vkDestroySemaphore)            \
    X(vkWaitSemaphores)              \
    X(vkGetSemaphoreCounterValue)    \
    X(vkCreateQueryPool)             \
    X(vkDestroyQueryPool)            \
    X(vkCmdResetQueryPool)           \
    X(vkCmdWriteTimestamp)           \
    X(vkGetQueryPoolResults)

typedef struct mt_vk_fns {
    void *lib;
    PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr;
#define MT_VK_DECLARE(name) PFN_##name name;
    MT_VK_GLOBAL_FUNCS(MT_VK_DECLARE)
    MT_VK_INSTANCE_FUNCS(MT_VK_DECLARE)
    MT_VK_DEVICE_FUNCS(MT_VK_DECLARE)
#undef MT_VK_DECLARE
} mt_vk_fns;

/* Opens the loader ($MOETOP_VULKAN_LIBRARY, else libvulkan.so.1). False with
 * "no Vulkan loader (libvulkan.so.1): <dlerror>" in err. */
bool mt_vk_open_loader(mt_vk_fns *f, mt_err *err);
bool mt_vk_load_instance(mt_vk_fns *f, VkInstance inst, mt_err *err);
bool mt_vk_load_device(mt_vk_fns *f, VkDevice dev, mt_err *err);
void mt_vk_close_loader(mt_vk_fns *f);

/* "VK_ERROR_OUT_OF_DEVICE_MEMORY" and the like */
const char *mt_vk_result_name(VkResult r);

#endif
