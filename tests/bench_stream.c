/* `make bench`: how fast this machine streams memory to its cores, the
 * ceiling of a decode that reads its weights once a token (bench --profile's
 * "weights read per token" times tok/s is the rate a decode reaches).
 *
 * Each thread sums its own 256 MiB buffer (eight 64-bit lanes, so the loop is
 * bound by memory, not by the adds), four passes; the figure is the bytes read
 * by all threads over the wall time, best of five runs, for one thread and for
 * every core the process may run on (at most 16, and no more buffers than
 * half the available memory holds). */
#define _GNU_SOURCE /* sched_getaffinity */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

enum { BUFFER = 256u << 20, PASSES = 4, RUNS = 5, MAX_THREADS = 16 };

static uint64_t *buffers[MAX_THREADS];
static volatile uint64_t sink;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *stream(void *arg) {
    const uint64_t *b = buffers[(uintptr_t)arg];
    uint64_t s[8] = { 0 };
    for (int pass = 0; pass < PASSES; pass++)
        for (size_t i = 0; i < BUFFER / sizeof *b; i += 8)
            for (int j = 0; j < 8; j++) s[j] += b[i + j];
    sink = s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
    return NULL;
}

/* GB/s (1e9 bytes) read by n threads together, best of RUNS; 0 when a thread cannot start */
static double rate(int n) {
    double best = 0;
    for (int run = 0; run < RUNS; run++) {
        pthread_t th[MAX_THREADS];
        int started = 0;
        double t0 = now();
        while (started < n && pthread_create(&th[started], NULL, stream, (void *)(uintptr_t)started) == 0) started++;
        for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
        if (started < n) return 0;
        double gbs = (double)n * PASSES * BUFFER / (now() - t0) / 1e9;
        if (gbs > best) best = gbs;
    }
    return best;
}

int main(void) {
    cpu_set_t set;
    long cores = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
    long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    long fit = pages > 0 && page > 0 ? (long)((double)pages * (double)page / 2 / BUFFER) : MAX_THREADS;
    if (cores > fit) cores = fit;
    int n = cores < 1 ? 1 : cores > MAX_THREADS ? MAX_THREADS : (int)cores;
    for (int i = 0; i < n; i++) {
        buffers[i] = malloc(BUFFER);
        if (!buffers[i]) {
            fprintf(stderr, "bench_stream: out of memory (%d x 256 MiB)\n", n);
            return 1;
        }
        /* every page written before timing, with varied bytes: this machine's host reads pages of
         * zeros, or of one repeated byte, up to half again as fast as pages like a model's */
        for (size_t q = 0; q < BUFFER / sizeof *buffers[i]; q++) buffers[i][q] = (q + (size_t)i * BUFFER) * 0x9E3779B97F4A7C15ull;
    }
    double one = rate(1), all = n > 1 ? rate(n) : one;
    printf("memory read, streaming (256 MiB a thread, best of %d): 1 thread %.1f GB/s", RUNS, one);
    if (n > 1) printf(", %d threads %.1f GB/s", n, all);
    printf("\n");
    for (int i = 0; i < n; i++) free(buffers[i]);
    return one > 0 && all > 0 ? 0 : 1;
}
