#include "vk_loader.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

static bool mt_vk_load_global(mt_vk_fns *f, mt_err *err);

bool mt_vk_open_loader(mt_vk_fns *f, mt_err *err) {
    memset(f, 0, sizeof *f);
    const char *name = getenv("MOETOP_VULKAN_LIBRARY");
    if (!name || !*name) name = "libvulkan.so.1";
    f->lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!f->lib) {
        const char *why = dlerror();
        size_t n = strlen(name); /* dlerror names the file first: "NAME: cannot open ..." */
        if (why && !strncmp(why, name, n) && !strncmp(why + n, ": ", 2)) why += n + 2;
        mt_err_set(err, "no Vulkan loader (%s): %s", name, why ? why : "not found");
        return false;
    }
    /* the one symbol the loader exports by name that everything else comes from */
    void *sym = dlsym(f->lib, "vkGetInstanceProcAddr");
    memcpy(&f->vkGetInstanceProcAddr, &sym, sizeof sym);
    if (!f->vkGetInstanceProcAddr) {
        mt_err_set(err, "%s has no vkGetInstanceProcAddr", name);
        mt_vk_close_loader(f);
        return false;
    }
    if (!mt_vk_load_global(f, err)) {
        mt_vk_close_loader(f);
        return false;
    }
    return true;
}

/* One entry point through get_fn(handle, name), with get_fn, handle and where
 * (what lacks it) in scope; returns false naming the first one missing. */
#define MT_VK_LOAD_ONE(fn)                                                 \
    if (!(f->fn = (PFN_##fn)get_fn(handle, #fn))) {                        \
        mt_err_set(err, "the Vulkan %s lacks " #fn, where);                \
        return false;                                                      \
    }

static bool mt_vk_load_global(mt_vk_fns *f, mt_err *err) {
    PFN_vkGetInstanceProcAddr get_fn = f->vkGetInstanceProcAddr;
    VkInstance handle = VK_NULL_HANDLE;
    const char *where = "loader";
    MT_VK_GLOBAL_FUNCS(MT_VK_LOAD_ONE)
    return true;
}

bool mt_vk_load_instance(mt_vk_fns *f, VkInstance handle, mt_err *err) {
    PFN_vkGetInstanceProcAddr get_fn = f->vkGetInstanceProcAddr;
    const char *where = "instance";
    MT_VK_INSTANCE_FUNCS(MT_VK_LOAD_ONE)
    return true;
}

bool mt_vk_load_device(mt_vk_fns *f, VkDevice handle, mt_err *err) {
    PFN_vkGetDeviceProcAddr get_fn = f->vkGetDeviceProcAddr;
    const char *where = "device";
    MT_VK_DEVICE_FUNCS(MT_VK_LOAD_ONE)
    return true;
}

/* The library stays loaded for the life of the process (no dlclose): drivers
 * do not all unload cleanly, and a driver's own leaks stay attributable to it
 * (tests/lsan.supp names them). */
void mt_vk_close_loader(mt_vk_fns *f) { memset(f, 0, sizeof *f); }

const char *mt_vk_result_name(VkResult r) {
    switch (r) {
    case VK_SUCCESS: return "VK_SUCCESS";
    case VK_NOT_READY: return "VK_NOT_READY";
    case VK_TIMEOUT: return "VK_TIMEOUT";
    case VK_INCOMPLETE: return "VK_INCOMPLETE";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
    case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
    default: return "a Vulkan error";
    }
}
