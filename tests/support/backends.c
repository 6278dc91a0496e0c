#include "backends.h"

#include <stdlib.h>
#include <string.h>

#include "engine/vulkan.h"
#include "harness.h"

bool test_on_vulkan(void) {
    const char *b = getenv("MOETOP_TEST_BACKEND");
    return b && strcmp(b, "vulkan") == 0;
}

mt_backend *test_backend_new(void) { return test_on_vulkan() ? test_vulkan_or_skip() : mt_cpu_backend_new(0); }

mt_backend *test_vulkan_or_skip(void) {
    mt_err err;
    mt_backend *be = mt_vulkan_backend_new(NULL, false, &err);
    if (!be) {
        t_skip("no Vulkan device: %s", err.msg);
        return NULL;
    }
    CHECKF(strcmp(be->name, "vulkan") == 0, "the backend that ran is %s, not vulkan", be->name);
    return be;
}

double test_tolerance_scale(void) { return test_on_vulkan() ? 10.0 : 1.0; }

bool test_validating(void) {
    const char *v = getenv("MOETOP_VK_VALIDATION");
    return test_on_vulkan() && v && *v && strcmp(v, "0") != 0;
}

void test_validation_clean(void) {
    CHECKF(mt_vulkan_validation_errors() == 0, "%llu validation errors (above)", (unsigned long long)mt_vulkan_validation_errors());
}
