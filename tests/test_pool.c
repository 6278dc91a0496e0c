/* The CPU backend's thread pool (engine/cpu/pool.c): every item of every job
 * exactly once, whatever the thread count, chunk size and job size; workers
 * that lose their core for milliseconds (simulated by sleeping inside a chunk)
 * neither lose nor repeat items and send the pool into solo mode (the caller
 * alone) until they are tried again; idle workers do take part. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/cpu/pool.h"
#include "engine/rng.h"
#include "support/harness.h"

enum { MAX_ITEMS = 20000 };

typedef struct job_ctx {
    atomic_int hits[MAX_ITEMS];
    atomic_int by_thread[8];
    int sleep_us_off_caller; /* a worker sleeps this long in each chunk it runs */
} job_ctx;

static void count_items(void *ctx, size_t begin, size_t end, int thread) {
    job_ctx *j = ctx;
    if (thread != 0 && j->sleep_us_off_caller) {
        struct timespec ts = { 0, (long)j->sleep_us_off_caller * 1000 };
        nanosleep(&ts, NULL);
    }
    for (size_t i = begin; i < end; i++) atomic_fetch_add(&j->hits[i], 1);
    atomic_fetch_add(&j->by_thread[thread], (int)(end - begin));
}

/* True when every item of [0, n) was run once and nothing past n ran. */
static bool exactly_once(job_ctx *j, size_t n) {
    bool ok = true;
    for (size_t i = 0; i < MAX_ITEMS; i++) {
        ok &= atomic_load(&j->hits[i]) == (i < n ? 1 : 0);
        atomic_store(&j->hits[i], 0);
    }
    return ok;
}

static void every_item_once(void) {
    static job_ctx j;
    mt_rng rng = mt_rng_seed(11, 0);
    for (int threads = 1; threads <= 4; threads++) {
        mt_pool *p = mt_pool_new(threads);
        if (!CHECK(p != NULL)) return;
        CHECK(mt_pool_threads(p) == threads);
        int bad = 0;
        for (int job = 0; job < 3000; job++) {
            size_t n = 1 + (size_t)mt_rng_below(&rng, job % 10 == 0 ? MAX_ITEMS : 300);
            size_t min_chunk = 1 + (size_t)mt_rng_below(&rng, 64);
            mt_pool_for(p, n, min_chunk, count_items, &j);
            bad += !exactly_once(&j, n);
        }
        CHECKF(bad == 0, "%d threads: %d of 3000 jobs ran an item twice, never or out of range", threads, bad);
        mt_pool_for(p, 0, 1, count_items, &j); /* nothing to do */
        CHECK(exactly_once(&j, 0));
        mt_pool_free(p);
    }
}

/* Workers that sleep 2 ms in every chunk they take: the items stay exact, and
 * the pool soon runs jobs on the caller alone. */
static void stalled_workers_send_the_pool_solo(void) {
    static job_ctx j;
    mt_pool *p = mt_pool_new(3);
    if (!CHECK(p != NULL)) return;
    j.sleep_us_off_caller = 2000;
    int bad = 0, jobs = 0;
    bool solo = false;
    for (; jobs < 2000 && !solo; jobs++) {
        memset(j.by_thread, 0, sizeof j.by_thread);
        mt_pool_for(p, 4000, 16, count_items, &j);
        bad += !exactly_once(&j, 4000);
        solo = atomic_load(&j.by_thread[0]) == 4000;
        /* the first job the workers sat out may be luck; solo means several in a row */
        for (int again = 0; solo && again < 5; again++) {
            memset(j.by_thread, 0, sizeof j.by_thread);
            mt_pool_for(p, 4000, 16, count_items, &j);
            bad += !exactly_once(&j, 4000);
            solo = atomic_load(&j.by_thread[0]) == 4000;
        }
    }
    CHECKF(bad == 0, "%d jobs ran an item twice or never", bad);
    CHECKF(solo, "after %d jobs with stalled workers the caller still shares them", jobs);
    mt_pool_free(p);
}

/* Without stalls the workers take part (waited for as a state: some job of
 * many has items run off the caller; the bound only catches a hang). */
static void idle_workers_take_part(void) {
    static job_ctx j;
    mt_pool *p = mt_pool_new(2);
    if (!CHECK(p != NULL)) return;
    bool shared = false;
    time_t deadline = time(NULL) + 120;
    while (!shared && time(NULL) < deadline) {
        memset(j.by_thread, 0, sizeof j.by_thread);
        mt_pool_for(p, MAX_ITEMS, 64, count_items, &j);
        CHECK(exactly_once(&j, MAX_ITEMS));
        shared = atomic_load(&j.by_thread[1]) > 0;
    }
    CHECK(shared);
    mt_pool_free(p);
}

int main(void) {
    t_begin("pool");
    RUN(every_item_once);
    RUN(stalled_workers_send_the_pool_solo);
    RUN(idle_workers_take_part);
    return t_end();
}
