/* Model bytes in huge pages (see mapping.h). */
#define _GNU_SOURCE
#include "mapping.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_BYTES ((uintptr_t)2 << 20)
#define COPY_STEP ((size_t)64 << 20)

static size_t page_bytes(void) {
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

static size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

/* A reservation of len bytes at a 2 MiB boundary: the over-sized region's
 * head and tail are given back. NULL, errno set, when the address space has
 * no room, or, for writable memory (charged to the commit limit: not
 * MAP_NORESERVE), when the kernel's overcommit rule refuses it: the copy is
 * then refused up front rather than faulted in until memory runs out. */
static void *aligned_region(size_t len, int prot) {
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | (prot == PROT_NONE ? MAP_NORESERVE : 0);
    void *res = mmap(NULL, len + HUGE_BYTES, prot, flags, -1, 0);
    if (res == MAP_FAILED) return NULL;
    uintptr_t start = (uintptr_t)res, at = (start + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1), end = start + len + HUGE_BYTES;
    if (at > start) munmap(res, at - start);
    if (end > at + len) munmap((void *)(at + len), end - (at + len));
    return (void *)at;
}

void *mt_map_file(int fd, uint64_t size) {
    size_t len = round_up((size_t)size, page_bytes());
    void *at = aligned_region(len, PROT_NONE);
    if (at) {
        void *m = mmap(at, (size_t)size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
        if (m != MAP_FAILED) return m;
        int e = errno;
        munmap(at, len);
        errno = e;
        return MAP_FAILED;
    }
    return mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
}

bool mt_map_to_huge_pages(void *map, uint64_t size, char *why, size_t why_len) {
    size_t len = round_up((size_t)size, page_bytes());
    uint8_t *copy = aligned_region(len, PROT_READ | PROT_WRITE);
    if (!copy) {
        snprintf(why, why_len, "no memory for a copy: %s", strerror(errno));
        return false;
    }
    madvise(copy, len, MADV_HUGEPAGE); /* advice: where the kernel has none to give, the copy still works */
    for (size_t off = 0; off < len; off += COPY_STEP) {
        size_t n = len - off < COPY_STEP ? len - off : COPY_STEP;
        size_t bytes = off + n <= (size_t)size ? n : (size_t)size - off; /* the file's last page is partly beyond its end */
        memcpy(copy + off, (const uint8_t *)map + off, bytes);
        madvise((uint8_t *)map + off, n, MADV_DONTNEED); /* a private, unwritten file page: it would read back the same */
    }
    if (mprotect(copy, len, PROT_READ) != 0 || mremap(copy, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, map) == MAP_FAILED) {
        snprintf(why, why_len, "cannot move the copy into place: %s", strerror(errno));
        munmap(copy, len);
        return false;
    }
    return true;
}

uint64_t mt_proc_kb_field(const char *path, const char *field) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[256];
    size_t n = strlen(field);
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':' && sscanf(line + n + 1, " %llu kB", &kb) == 1) break;
    fclose(f);
    return (uint64_t)kb * 1024;
}

/* MemAvailable of /proc/meminfo in bytes, 0 when unknown. */
static uint64_t mem_available(void) { return mt_proc_kb_field("/proc/meminfo", "MemAvailable"); }

/* MOETOP_HUGEPAGES: 0/off, 1/on, unset or empty (the system decides), or something else */
typedef enum { ENV_OFF, ENV_ON, ENV_AUTO, ENV_INVALID } env_mode;
static env_mode hugepages_env(const char **value) {
    const char *env = getenv("MOETOP_HUGEPAGES");
    *value = env;
    if (!env || !*env) return ENV_AUTO;
    if (!strcmp(env, "0") || !strcasecmp(env, "off")) return ENV_OFF;
    if (!strcmp(env, "1") || !strcasecmp(env, "on")) return ENV_ON;
    return ENV_INVALID;
}

bool mt_map_env_valid(void) {
    const char *env;
    return hugepages_env(&env) != ENV_INVALID;
}

uint64_t mt_map_huge_pages_limit(char *why, size_t why_len) {
    const char *env;
    env_mode mode_env = hugepages_env(&env);
    if (mode_env == ENV_OFF) {
        snprintf(why, why_len, "MOETOP_HUGEPAGES=%s", env);
        return 0;
    }
    if (mode_env == ENV_ON) return UINT64_MAX;
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    char mode[128] = "";
    if (f) {
        if (!fgets(mode, sizeof mode, f)) mode[0] = '\0';
        fclose(f);
    }
    if (!mode[0] || strstr(mode, "[never]")) {
        snprintf(why, why_len, "transparent huge pages are off on this system");
        return 0;
    }
    uint64_t avail = mem_available();
    snprintf(why, why_len, "the available memory is unknown (no MemAvailable in /proc/meminfo)");
    return avail / 2;
}

bool mt_map_huge_pages_wanted(uint64_t size, char *why, size_t why_len) {
    uint64_t limit = mt_map_huge_pages_limit(why, why_len);
    if (limit && limit != UINT64_MAX && size < HUGE_BYTES) { /* no huge page fits: the copy would only cost memory */
        snprintf(why, why_len, "the file is %llu KiB, smaller than a huge page of 2 MiB", (unsigned long long)(size >> 10));
        return false;
    }
    if (size <= limit && limit) return true;
    if (limit)
        snprintf(why, why_len, "the file (%llu MiB) is more than half of the available memory (%llu MiB)",
                 (unsigned long long)(size >> 20), (unsigned long long)(limit >> 19));
    return false;
}

uint64_t mt_map_huge_bytes(const void *map, uint64_t size) {
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return 0;
    uintptr_t lo = (uintptr_t)map, hi = lo + (uintptr_t)size;
    char line[512];
    bool inside = false;
    uint64_t total = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long a, b, kb;
        bool header = (line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f'); /* fields start "Name:" */
        if (header && sscanf(line, "%llx-%llx ", &a, &b) == 2)
            inside = a >= lo && a < hi;
        else if (inside && sscanf(line, "AnonHugePages: %llu kB", &kb) == 1)
            total += (uint64_t)kb * 1024;
    }
    fclose(f);
    return total;
}
