/* `moetop devices`: the Vulkan devices, what moetop needs of each, and the
 * one --backend vulkan uses (the text: MOETOP_DEVICE's, else the default; the
 * JSON's "default": the one used when none is named); the text form ends
 * with the C backend's kernel set. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "engine/cpu/kernels.h"
#include "engine/mapping.h"
#include "engine/vulkan.h"
#include "json.h"
#include "model_args.h"

/* "default": the one used when neither --device nor $MOETOP_DEVICE names one */
static int print_json(const mt_gpu_info *d, uint32_t n) {
    mt_json j = { 0 };
    mt_json_begin_array(&j);
    for (uint32_t i = 0; i < n; i++) {
        mt_json_begin_object(&j);
        mt_json_kv_u64(&j, "index", i);
        mt_json_kv_str(&j, "name", d[i].name);
        mt_json_kv_str(&j, "type", d[i].type);
        mt_json_kv_str(&j, "api", d[i].api);
        mt_json_kv_str(&j, "driver", d[i].driver);
        mt_json_kv_u64(&j, "device_local_bytes", d[i].device_local_bytes);
        mt_json_kv_u64(&j, "subgroup_size", d[i].subgroup_size);
        mt_json_kv_u64(&j, "max_shared_bytes", d[i].max_shared_bytes);
        mt_json_kv_u64(&j, "max_push_bytes", d[i].max_push_bytes);
        mt_json_kv_u64(&j, "max_storage_range", d[i].max_storage_range);
        mt_json_kv_u64(&j, "max_allocation", d[i].max_allocation);
        mt_json_key(&j, "timestamps");
        mt_json_bool(&j, d[i].timestamps);
        mt_json_kv_str(&j, "kernels", d[i].kernels);
        mt_json_key(&j, "default");
        mt_json_bool(&j, d[i].chosen);
        mt_json_key(&j, "usable");
        mt_json_bool(&j, d[i].unusable == NULL);
        if (d[i].unusable) {
            mt_json_kv_str(&j, "why_not", d[i].unusable);
        }
        mt_json_end_object(&j);
    }
    mt_json_end_array(&j);
    return mt_json_finish(&j); /* 1 when the write failed, said on stderr */
}

/* The device --backend vulkan opens: the one $MOETOP_DEVICE names, else the default; -1 where
 * $MOETOP_DEVICE names none it can open (said in one line: that run exits 2 or uses the CPU) */
static int used_device(const mt_gpu_info *d, uint32_t n, bool *by_env) {
    const char *env = getenv("MOETOP_DEVICE");
    *by_env = env && *env && n;
    if (!*by_env) {
        for (uint32_t i = 0; i < n; i++)
            if (d[i].chosen) return (int)i;
        return -1;
    }
    /* read as --backend vulkan reads it (model_args.c): digits only */
    unsigned long i = strspn(env, "0123456789") == strlen(env) ? strtoul(env, NULL, 10) : ULONG_MAX;
    if (strspn(env, "0123456789") != strlen(env))
        cli_error(CLI_EXIT_USAGE, "MOETOP_DEVICE: '%.40s' is not a device number; --backend vulkan refuses it", env);
    else if (i >= n)
        cli_error(CLI_EXIT_USAGE, "MOETOP_DEVICE=%.40s: there %s %u Vulkan device%s (0..%u); --backend vulkan uses the CPU backend", env,
                  n == 1 ? "is" : "are", n, n == 1 ? "" : "s", n - 1);
    else if (d[i].unusable) cli_error(CLI_EXIT_USAGE, "MOETOP_DEVICE=%lu: not usable (%s); --backend vulkan uses the CPU backend", i, d[i].unusable);
    else return (int)i;
    return -1;
}

static int print_text(const mt_gpu_info *d, uint32_t n) {
    bool by_env;
    int used = used_device(d, n, &by_env);
    for (uint32_t i = 0; i < n; i++) {
        printf("%u: %s (%s)%s\n", i, d[i].name, d[i].type,
               (int)i == used ? (by_env ? "  <- used by --backend vulkan (MOETOP_DEVICE)" : "  <- used by --backend vulkan")
               : d[i].chosen && by_env ? "  (the default, where MOETOP_DEVICE names none)"
                                       : "");
        printf("   Vulkan %s, driver %s\n", d[i].api, d[i].driver);
        printf("   %.1f GiB device-local memory; subgroup %u; shared memory %u KiB; push constants %u bytes\n",
               (double)d[i].device_local_bytes / (1 << 30), d[i].subgroup_size, d[i].max_shared_bytes >> 10, d[i].max_push_bytes);
        printf("   storage-buffer range %llu MiB; largest allocation %llu MiB; timestamps %s\n", (unsigned long long)(d[i].max_storage_range >> 20),
               (unsigned long long)(d[i].max_allocation >> 20), d[i].timestamps ? "yes" : "no");
        printf("   %s\n", d[i].kernels);
        if (d[i].unusable) printf("   not usable: %s\n", d[i].unusable);
    }
    /* the default backend's choice, for comparison (not a Vulkan device: the JSON array stays as it is) */
    /* the set a model would run on, $MOETOP_KERNELS honoured, and what the backend says of it (one that names no set) */
    mt_backend *cpu = mt_cpu_backend_new(1);
    if (cpu) cli_backend_notices(cpu, NULL);
    const char *kernels = cpu ? mt_cpu_backend_kernels(cpu) : mt_kernels_best()->name;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("cpu: the C backend (the default): %s kernels (of c%s%s; MOETOP_KERNELS picks one), %ld threads by default\n", kernels,
           mt_kernels_avx2() ? ", avx2" : "", mt_kernels_avx512() ? ", avx512" : "", cores > 0 ? cores : 1);
    if (cpu) cpu->destroy(cpu);
    char why[160];
    cli_hugepages_warning(NULL);
    uint64_t limit = mt_map_huge_pages_limit(why, sizeof why);
    if (limit == UINT64_MAX) printf("   weights copied into huge pages (MOETOP_HUGEPAGES=%s)\n", getenv("MOETOP_HUGEPAGES"));
    else if (limit) printf("   weights copied into huge pages for files from 2 MiB up to half the available memory (MOETOP_HUGEPAGES=0: never)\n");
    else printf("   weights read through the file's mapping (%s)\n", why);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
}

static int run_devices(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    mt_err err;
    uint32_t n = 0;
    mt_gpu_info *d = mt_vulkan_devices(&n, &err);
    /* no loader or no driver: no Vulkan device, said in one line; the listing
     * is then empty ([] for scripts), and the C backend's lines still follow */
    if (!d && strstr(err.msg, "out of memory")) return cli_error(CLI_EXIT_FAIL, "%s", err.msg);
    if (!d) fprintf(stderr, "moetop: %s%s\n", strncmp(err.msg, "no Vulkan", 9) ? "no Vulkan devices: " : "", err.msg), n = 0;
    char problem[160];
    if (d && mt_vulkan_kernels_env_problem(problem, sizeof problem)) cli_error(0, "%s", problem);
    int rc = cli_has(a, "--json") ? print_json(d, n) : print_text(d, n);
    free(d);
    return rc;
}

const cli_command cmd_devices = {
    .name = "devices",
    .usage = "moetop devices [--json]",
    .summary = "List the Vulkan devices and the one --backend vulkan uses.",
    .details = "Preference: discrete GPU, integrated, virtual, then CPU devices (lavapipe). --device N or\n"
               "MOETOP_DEVICE=N picks another (the text marks it; the JSON's default is the device used\n"
               "when none is named). Each device's kernels are chosen from its properties (row\n"
               "kernels on CPU devices, group kernels on GPUs); MOETOP_VK_KERNELS=row|group|subgroup overrides\n"
               "the choice. MOETOP_VK_VALIDATION=1 runs with the Khronos validation layer. Without a\n"
               "Vulkan loader or driver none is listed ([] with --json), one line on stderr says why,\n"
               "and the exit status is 0.\n"
               "The last lines are the C backend's: its kernel set (MOETOP_KERNELS's when it names one the\n"
               "processor has; else said in one line, and the best), and whether it copies the weights into\n"
               "huge pages (files from 2 MiB up to half the available memory, where the system has\n"
               "transparent huge pages; MOETOP_HUGEPAGES=0 never, =1 always).",
    .opts = {
        { "--json", 0, NULL, "a JSON array, one object per device" },
        { NULL, 0, NULL, NULL },
    },
    .run = run_devices,
};
