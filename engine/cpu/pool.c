#include "pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

/* Workers spin this many rounds for the next job before sleeping: a forward
 * pass hands out jobs every few microseconds, and a futex sleep and wake costs
 * more than that. Idle pools still sleep. */
#define SPIN_ROUNDS 20000

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

typedef struct worker {
    struct mt_pool *pool;
    int index;
    pthread_t thread;
    void *scratch;
    size_t scratch_bytes;
} worker;

struct mt_pool {
    int n_threads;
    worker *workers;
    pthread_mutex_t mu;
    pthread_cond_t start;
    atomic_ulong generation; /* bumped for each job */
    atomic_int busy;         /* workers still on the current job */
    atomic_bool stop;
    /* the current job, written before generation is bumped */
    mt_pool_fn fn;
    void *ctx;
    size_t n, chunk;
    atomic_size_t next;
};

static void run_share(mt_pool *p, int thread) {
    for (;;) {
        size_t begin = atomic_fetch_add(&p->next, p->chunk);
        if (begin >= p->n) return;
        size_t end = begin + p->chunk < p->n ? begin + p->chunk : p->n;
        p->fn(p->ctx, begin, end, thread);
    }
}

static void *worker_main(void *arg) {
    worker *w = arg;
    mt_pool *p = w->pool;
    unsigned long seen = 0;
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&p->generation, memory_order_acquire) == seen && !atomic_load(&p->stop)) {
            if (++spins < SPIN_ROUNDS) {
                cpu_relax();
                continue;
            }
            pthread_mutex_lock(&p->mu);
            while (atomic_load(&p->generation) == seen && !atomic_load(&p->stop)) pthread_cond_wait(&p->start, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = atomic_load(&p->generation);
        run_share(p, w->index);
        atomic_fetch_sub_explicit(&p->busy, 1, memory_order_release);
    }
}

mt_pool *mt_pool_new(int n_threads) {
    if (n_threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = n > 0 ? (int)n : 1;
    }
    if (n_threads > 256) n_threads = 256;
    mt_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->workers = calloc((size_t)n_threads, sizeof *p->workers);
    if (!p->workers) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->start, NULL);
    p->n_threads = n_threads;
    for (int i = 0; i < n_threads; i++) {
        p->workers[i].pool = p;
        p->workers[i].index = i;
        if (i > 0 && pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]) != 0) {
            p->n_threads = i; /* run with the threads that started */
            break;
        }
    }
    return p;
}

void mt_pool_free(mt_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, true);
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n_threads; i++) pthread_join(p->workers[i].thread, NULL);
    for (int i = 0; i < p->n_threads; i++) free(p->workers[i].scratch);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->start);
    free(p->workers);
    free(p);
}

int mt_pool_threads(const mt_pool *p) { return p->n_threads; }

void mt_pool_for(mt_pool *p, size_t n, size_t min_chunk, mt_pool_fn fn, void *ctx) {
    if (n == 0) return;
    if (min_chunk == 0) min_chunk = 1;
    /* about four chunks per thread, for balance without much contention */
    size_t chunk = n / ((size_t)p->n_threads * 4);
    if (chunk < min_chunk) chunk = min_chunk;
    if (p->n_threads == 1 || n <= chunk) {
        fn(ctx, 0, n, 0);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->chunk = chunk;
    atomic_store(&p->next, 0);
    atomic_store(&p->busy, p->n_threads - 1);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    /* wake workers that went to sleep (cheap when none waits) */
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    run_share(p, 0);
    for (int spins = 0; atomic_load_explicit(&p->busy, memory_order_acquire) > 0; spins++) {
        if (spins < SPIN_ROUNDS) cpu_relax();
        else sched_yield(); /* a worker lost its core: let it run */
    }
}

void *mt_pool_scratch(mt_pool *p, int thread, size_t bytes) {
    worker *w = &p->workers[thread];
    if (w->scratch_bytes < bytes) {
        void *s = realloc(w->scratch, bytes);
        if (!s) return NULL;
        w->scratch = s;
        w->scratch_bytes = bytes;
    }
    return w->scratch;
}
