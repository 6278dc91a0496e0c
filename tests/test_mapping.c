/* The model's bytes in huge pages (engine/mapping.h): the move keeps every
 * byte and address, stays read-only, is refused as documented, and gives the
 * same outputs as reading the file's mapping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "engine/mapping.h"
#include "engine/rng.h"
#include "support/cli_util.h"
#include "support/harness.h"

/* A file of n random bytes (n not a whole number of pages); its bytes in *want. */
static int random_file(size_t n, uint8_t **want) {
    char path[600];
    snprintf(path, sizeof path, "%s/random.bin", t_tmpdir());
    uint8_t *b = malloc(n);
    mt_rng rng = mt_rng_seed(7, 0);
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(mt_rng_u64(&rng) >> 56);
    t_write_file(path, b, n);
    *want = b;
    return open(path, O_RDONLY);
}

/* The permissions ("r--p") of the mapping holding p, from /proc/self/maps. */
static bool perms_at(const void *p, char perms[5]) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return false;
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long long a, b;
        if (sscanf(line, "%llx-%llx %4s", &a, &b, perms) == 3 && (uintptr_t)p >= a && (uintptr_t)p < b) found = true;
    }
    fclose(f);
    return found;
}

static bool thp_available(void) {
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    char mode[128] = "";
    if (f) {
        if (!fgets(mode, sizeof mode, f)) mode[0] = '\0';
        fclose(f);
    }
    return mode[0] && !strstr(mode, "[never]");
}

/* Every byte and the address survive the move; the copy is read-only; the
 * mapping starts on a 2 MiB boundary. */
static void move_keeps_bytes_and_address(void) {
    size_t n = (5u << 20) + 123; /* 5 MiB and a partial last page */
    uint8_t *want;
    int fd = random_file(n, &want);
    uint8_t *map = mt_map_file(fd, n);
    close(fd);
    if (!CHECK(map != MAP_FAILED)) return;
    CHECKF(((uintptr_t)map & ((2u << 20) - 1)) == 0, "mapped at %p, not a 2 MiB boundary", (void *)map);
    CHECK(memcmp(map, want, n) == 0);
    char why[160] = "";
    CHECKF(mt_map_to_huge_pages(map, n, why, sizeof why), "%s", why);
    CHECKF(memcmp(map, want, n) == 0, "the bytes changed in the move");
    char perms[5] = "";
    CHECKF(perms_at(map + n / 2, perms) && perms[0] == 'r' && perms[1] == '-', "the moved bytes' mapping is '%s', not read-only", perms);
    if (thp_available()) CHECKF(mt_map_huge_bytes(map, n) >= (4u << 20), "%llu bytes in huge pages", (unsigned long long)mt_map_huge_bytes(map, n));
    CHECK(munmap(map, n) == 0);
    free(want);
}

/* VmSize of /proc/self/status in bytes, 0 when unknown. */
static uint64_t vm_size(void) { return mt_proc_kb_field("/proc/self/status", "VmSize"); }

/* With no memory for the copy (an address-space limit just above what the
 * process uses, in a child), the move is refused with its reason and the
 * file's mapping still reads every byte. */
static void no_memory_leaves_the_mapping(void) {
    size_t n = (5u << 20) + 123;
    uint8_t *want;
    int fd = random_file(n, &want);
    uint8_t *map = mt_map_file(fd, n);
    close(fd);
    uint64_t vm = vm_size();
    if (!CHECK(map != MAP_FAILED) || !CHECK(vm > 0)) return;
    pid_t pid = fork();
    if (pid == 0) { /* only calls that need no new memory here: the limit refuses any */
        struct rlimit lim = { vm + (1u << 20), vm + (1u << 20) };
        char why[160] = "";
        if (setrlimit(RLIMIT_AS, &lim) != 0) _exit(10);
        if (mt_map_to_huge_pages(map, n, why, sizeof why)) _exit(11);
        if (strncmp(why, "no memory for a copy: ", 22) != 0) _exit(12);
        _exit(memcmp(map, want, n) == 0 ? 0 : 13);
    }
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "child: %d (10 setrlimit, 11 moved anyway, 12 another reason, 13 bytes changed; else a signal)", status);
    munmap(map, n);
    free(want);
}

/* MOETOP_HUGEPAGES=0 and a file larger than half the memory say no, and why. */
static void refusals_say_why(void) {
    char why[160] = "";
    setenv("MOETOP_HUGEPAGES", "0", 1);
    CHECKF(!mt_map_huge_pages_wanted(1000, why, sizeof why) && strstr(why, "MOETOP_HUGEPAGES=0"), "%s", why);
    setenv("MOETOP_HUGEPAGES", "off", 1);
    CHECK(!mt_map_huge_pages_wanted(1000, why, sizeof why));
    setenv("MOETOP_HUGEPAGES", "1", 1);
    CHECK(mt_map_huge_pages_wanted((uint64_t)1 << 60, why, sizeof why));
    CHECK(mt_map_huge_pages_wanted(1000, why, sizeof why)); /* =1: even a file no huge page fits */
    unsetenv("MOETOP_HUGEPAGES");
    why[0] = '\0';
    CHECKF(!mt_map_huge_pages_wanted(1000, why, sizeof why) && (strstr(why, "smaller than a huge page of 2 MiB") || strstr(why, "huge pages are off")),
           "%s", why);
    why[0] = '\0';
    CHECKF(!mt_map_huge_pages_wanted((uint64_t)1 << 60, why, sizeof why) &&
               (strstr(why, "available memory") || strstr(why, "huge pages are off")),
           "%s", why);
}

/* The same trace either way; --profile says where the weights were read from. */
static void same_outputs_either_way(void) {
    static const char *const prompt = "The router picks four experts per token";
    setenv("MOETOP_HUGEPAGES", "1", 1);
    proc_result on = run_moetop("trace", "--prompt", prompt, "--json", "--logits", "all", NULL);
    proc_result pon = run_moetop("bench", "-p", "4", "-n", "2", "--profile", NULL);
    setenv("MOETOP_HUGEPAGES", "0", 1);
    proc_result off = run_moetop("trace", "--prompt", prompt, "--json", "--logits", "all", NULL);
    proc_result poff = run_moetop("bench", "-p", "4", "-n", "2", "--profile", NULL);
    unsetenv("MOETOP_HUGEPAGES");
    CHECKF(on.status == 0 && off.status == 0, "%s %s", on.err, off.err);
    CHECKF(on.out_len == off.out_len && on.out_len > 1000 && memcmp(on.out, off.out, on.out_len) == 0, "traces differ");
    /* the bundled model's 9 MiB in MiB with decimals (not "8 of 9 MiB", nor "0 of 0 MiB" for a small file) */
    CHECKF(pon.status == 0 && strstr(pon.err, "weights: copied into anonymous memory, ") && strstr(pon.err, " MiB of 9.") &&
               strstr(pon.err, " MiB in huge pages\n"),
           "%s", pon.err);
    CHECKF(poff.status == 0 && strstr(poff.err, "weights: read through the file's mapping (MOETOP_HUGEPAGES=0)"), "%s", poff.err);
    proc_free(&on), proc_free(&off), proc_free(&pon), proc_free(&poff);
    proc_result help = run_moetop("bench", "--help", NULL);
    CHECKF(help.status == 0 && strstr(help.out, "CPU: wall time, and where the weights are read from)"), "%s", help.out);
    proc_free(&help);
}

/* moetop devices says what the C backend does with the weights, and why not. */
static void devices_says_which(void) {
    setenv("MOETOP_HUGEPAGES", "0", 1);
    proc_result off = run_moetop("devices", NULL);
    setenv("MOETOP_HUGEPAGES", "1", 1);
    proc_result on = run_moetop("devices", NULL);
    unsetenv("MOETOP_HUGEPAGES");
    /* without a Vulkan loader the listing fails before the C backend's lines */
    if (off.status != 0 && strstr(off.err, "Vulkan")) t_skip("moetop devices needs a Vulkan loader: %s", off.err);
    else {
        CHECKF(strstr(off.out, "weights read through the file's mapping (MOETOP_HUGEPAGES=0)"), "%s", off.out);
        CHECKF(strstr(on.out, "weights copied into huge pages (MOETOP_HUGEPAGES=1)"), "%s", on.out);
    }
    proc_free(&off), proc_free(&on);
    /* a value it does not know: one line, then the system's choice */
    setenv("MOETOP_HUGEPAGES", "yes", 1);
    proc_result odd = run_moetop("trace", "--prompt", "hi", NULL);
    unsetenv("MOETOP_HUGEPAGES");
    CHECKF(odd.status == 0 && !strcmp(odd.err, "moetop: MOETOP_HUGEPAGES=yes: not 0, 1, off or on; deciding by the system\n"), "exit %d: %s",
           odd.status, odd.err);
    proc_free(&odd);
    /* "on" is named as set; a newline or an escape in the value cannot split
     * the warning or reach the terminal, and a long value is shown cut */
    setenv("MOETOP_HUGEPAGES", "", 1); /* empty: unset, no warning */
    proc_result empty = run_moetop("trace", "--prompt", "hi", NULL);
    CHECKF(empty.status == 0 && empty.err_len == 0, "exit %d: %s", empty.status, empty.err);
    proc_free(&empty);
    setenv("MOETOP_HUGEPAGES", "On", 1);
    proc_result on2 = run_moetop("devices", NULL);
    CHECKF(on2.status != 0 || strstr(on2.out, "weights copied into huge pages (MOETOP_HUGEPAGES=On)"), "%s", on2.out);
    setenv("MOETOP_HUGEPAGES", "1\n\033[2Jx", 1);
    proc_result ctl = run_moetop("trace", "--prompt", "hi", NULL);
    char long_value[301];
    memset(long_value, 'x', 300);
    long_value[300] = '\0';
    setenv("MOETOP_HUGEPAGES", long_value, 1);
    proc_result lng = run_moetop("trace", "--prompt", "hi", NULL);
    unsetenv("MOETOP_HUGEPAGES");
    CHECKF(ctl.status == 0 && !strcmp(ctl.err, "moetop: MOETOP_HUGEPAGES=1\\x0a\\x1b[2Jx: not 0, 1, off or on; deciding by the system\n"), "exit %d: %s",
           ctl.status, ctl.err);
    CHECKF(lng.status == 0 && strstr(lng.err, "=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...: not 0, 1") && strchr(lng.err, '\n') == lng.err + lng.err_len - 1,
           "exit %d: %s", lng.status, lng.err);
    proc_free(&on2), proc_free(&ctl), proc_free(&lng);
}

int main(void) {
    t_begin("mapping");
    RUN(move_keeps_bytes_and_address);
    RUN(no_memory_leaves_the_mapping);
    RUN(refusals_say_why);
    RUN(same_outputs_either_way);
    RUN(devices_says_which);
    return t_end();
}
