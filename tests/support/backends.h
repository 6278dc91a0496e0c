/* The backend engine tests run on: $MOETOP_TEST_BACKEND, "cpu" (the
 * default) or "vulkan" (tests/run.sh's vulkan pass sets it, with the
 * validation layer on). */
#ifndef MT_TEST_BACKENDS_H
#define MT_TEST_BACKENDS_H

#include <stdbool.h>

#include "engine/backend.h"

bool test_on_vulkan(void);
/* The backend for this run; on Vulkan, NULL and the running test skipped when
 * there is no device (a test that cannot run says so, never passes). A Vulkan
 * backend is checked to be one (not a fallback). */
mt_backend *test_backend_new(void);
/* A Vulkan backend whatever the run's backend, checked to be one; NULL and the running test
 * skipped when there is no device. */
mt_backend *test_vulkan_or_skip(void);
/* The oracle tolerances are 10x wider on Vulkan (the rule): a device
 * sums in another order and with its own exp(). */
double test_tolerance_scale(void);

/* On Vulkan with MOETOP_VK_VALIDATION=1 (tests/run.sh's vulkan pass). */
bool test_validating(void);
/* A test: no validation error so far in this process. */
void test_validation_clean(void);

#endif
