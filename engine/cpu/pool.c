/* The thread pool: one job at a time, its items claimed in chunks.
 *
 * Machines are shared (a screen recorder, a build, a browser): a worker may
 * lose its core at any moment, for a scheduler time slice of milliseconds,
 * while a job lasts tens of microseconds. So:
 *  - Nobody waits for a worker to show up. Items are claimed from one 64-bit
 *    word holding the job's generation (high half) and the next unclaimed item
 *    (low half); the caller claims chunks too, so a job whose workers are all
 *    descheduled is simply done by the caller. The caller waits only for
 *    chunks that were claimed and not yet finished.
 *  - A worker that is late for a job finds the generation changed and claims
 *    nothing: the claim is a compare-and-swap on the whole word, and a job's
 *    description (fn, ctx, n, chunk) lives in slot[generation & 1], rewritten
 *    only two generations later, after the word has moved on.
 *  - Waiting is bounded by time, not rounds: workers spin for the next job for
 *    at most SPIN_NS, then sleep on a condition variable; the caller spins for
 *    claimed chunks for at most SPIN_NS, then sleeps on a futex that the
 *    worker finishing the last chunk wakes.
 *  - Solo mode: when the caller keeps waiting for claimed chunks (a worker
 *    holding one was descheduled), more than STALL_SHARE of its own working
 *    time over STALL_WINDOWS windows in a row, the pool runs jobs on the
 *    caller alone for SOLO_NS, then tries its workers again. (One slow
 *    window alone used to trigger it: on an idle 2-core virtual machine a
 *    single hiccup then cost decode a third of its speed for 200 ms.) A machine with a busy process
 *    on every core but one then runs like --threads 1 instead of stalling.
 * The figures behind these constants are in the README (Speed: shared CPUs). */
#include "pool.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SPIN_NS 50000ull        /* spin at most this long before sleeping */
#define WINDOW_NS 4000000ull    /* judge the workers over this much of the caller's working time */
#define STALL_SHARE 0.25        /* waiting more than this share of it ... */
#define STALL_WINDOWS 3         /* ... in this many windows in a row: solo */
#define SOLO_NS 200000000ull    /* how long solo lasts before the workers are tried again */

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static inline uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* The caller's sleep flag is a plain int used through the __atomic builtins
 * (sequentially consistent), so the futex system call can take its address. */
static inline int flag_get(int *f) { return __atomic_load_n(f, __ATOMIC_SEQ_CST); }
static inline void flag_set(int *f, int v) { __atomic_store_n(f, v, __ATOMIC_SEQ_CST); }
static void futex_wait(int *word, int expected) { syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0); }
static void futex_wake(int *word) { syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0); }

typedef struct worker {
    struct mt_pool *pool;
    int index;
    pthread_t thread;
    void *scratch;
    size_t scratch_bytes;
} worker;

/* A job's description; fields are atomics only so that a late worker reading
 * a slot being rewritten is no data race (its claim then fails). */
typedef struct job {
    _Atomic(mt_pool_fn) fn;
    _Atomic(void *) ctx;
    atomic_size_t n, chunk;
} job;

struct mt_pool {
    int n_threads;
    worker *workers;
    atomic_uint_fast64_t claim; /* generation << 32 | next unclaimed item */
    job slot[2];
    atomic_size_t done;         /* items finished in the current job */
    int caller_sleeps;          /* futex: 1 while the caller sleeps for claimed chunks */
    pthread_mutex_t mu;
    pthread_cond_t start;
    atomic_int sleepers;        /* workers asleep on start */
    atomic_bool stop;
    /* the caller's own state (one caller at a time) */
    uint32_t generation;
    uint64_t window_work, window_wait, solo_until;
    int bad_windows; /* windows in a row over STALL_SHARE */
};

static inline uint32_t gen_of(uint64_t word) { return (uint32_t)(word >> 32); }

/* Claims and runs chunks of generation gen until none is left. */
static void run_share(mt_pool *p, uint32_t gen, int thread) {
    uint64_t word = atomic_load_explicit(&p->claim, memory_order_acquire);
    for (;;) {
        if (gen_of(word) != gen) return;
        job *j = &p->slot[gen & 1];
        size_t n = atomic_load_explicit(&j->n, memory_order_relaxed), chunk = atomic_load_explicit(&j->chunk, memory_order_relaxed);
        size_t begin = (uint32_t)word;
        if (begin >= n) return;
        /* guided: a share of what is left, never under the job's minimum, so the
         * last chunks are small and nobody waits long for the slowest one */
        size_t take = (n - begin) / (2 * (size_t)p->n_threads);
        if (take < chunk) take = chunk;
        size_t end = begin + take < n ? begin + take : n;
        if (!atomic_compare_exchange_weak_explicit(&p->claim, &word, ((uint64_t)gen << 32) | end, memory_order_acq_rel,
                                                   memory_order_acquire))
            continue; /* word now holds the current value */
        /* claimed: generation gen cannot finish, so its slot stays as it is */
        mt_pool_fn fn = atomic_load_explicit(&j->fn, memory_order_relaxed);
        fn(atomic_load_explicit(&j->ctx, memory_order_relaxed), begin, end, thread);
        size_t finished = atomic_fetch_add(&p->done, end - begin) + (end - begin);
        if (finished == n && flag_get(&p->caller_sleeps)) {
            flag_set(&p->caller_sleeps, 0);
            futex_wake(&p->caller_sleeps);
        }
        word = atomic_load_explicit(&p->claim, memory_order_acquire);
    }
}

static void *worker_main(void *arg) {
    worker *w = arg;
    mt_pool *p = w->pool;
    uint32_t seen = 0;
    for (;;) {
        uint64_t spin_start = 0;
        for (unsigned spins = 0; gen_of(atomic_load_explicit(&p->claim, memory_order_acquire)) == seen && !atomic_load(&p->stop); spins++) {
            if ((spins & 63) == 0) { /* the clock every 64 rounds: about a microsecond */
                uint64_t t = now_ns();
                if (!spin_start) spin_start = t;
                else if (t - spin_start > SPIN_NS) {
                    pthread_mutex_lock(&p->mu);
                    atomic_fetch_add(&p->sleepers, 1);
                    while (gen_of(atomic_load(&p->claim)) == seen && !atomic_load(&p->stop)) pthread_cond_wait(&p->start, &p->mu);
                    atomic_fetch_sub(&p->sleepers, 1);
                    pthread_mutex_unlock(&p->mu);
                    break;
                }
            }
            cpu_relax();
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = gen_of(atomic_load_explicit(&p->claim, memory_order_acquire));
        run_share(p, seen, w->index);
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

/* Waits until every claimed chunk of a job of n items is finished. */
static void wait_done(mt_pool *p, size_t n) {
    uint64_t start = 0;
    for (unsigned spins = 0; atomic_load_explicit(&p->done, memory_order_acquire) != n; spins++) {
        if ((spins & 63) == 0) {
            uint64_t t = now_ns();
            if (!start) start = t;
            else if (t - start > SPIN_NS) {
                /* a worker holding a chunk lost its core: sleep until it finishes */
                flag_set(&p->caller_sleeps, 1);
                while (atomic_load(&p->done) != n && flag_get(&p->caller_sleeps)) futex_wait(&p->caller_sleeps, 1);
                flag_set(&p->caller_sleeps, 0);
                start = 0;
                continue;
            }
        }
        cpu_relax();
    }
}

void mt_pool_for(mt_pool *p, size_t n, size_t min_chunk, mt_pool_fn fn, void *ctx) {
    if (n == 0) return;
    if (min_chunk == 0) min_chunk = 1;
    /* chunks shrink as the job goes (run_share), down to min_chunk */
    size_t chunk = min_chunk;
    if (p->n_threads == 1 || n <= chunk || n > UINT32_MAX) {
        fn(ctx, 0, n, 0);
        return;
    }
    uint64_t t0 = now_ns();
    if (p->solo_until) {
        if (t0 < p->solo_until) {
            fn(ctx, 0, n, 0);
            return;
        }
        p->solo_until = 0; /* try the workers again */
    }
    uint32_t gen = ++p->generation;
    job *j = &p->slot[gen & 1];
    atomic_store_explicit(&j->fn, fn, memory_order_relaxed);
    atomic_store_explicit(&j->ctx, ctx, memory_order_relaxed);
    atomic_store_explicit(&j->n, n, memory_order_relaxed);
    atomic_store_explicit(&j->chunk, chunk, memory_order_relaxed);
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    atomic_store(&p->claim, (uint64_t)gen << 32); /* publishes the job (sequentially consistent: see sleepers) */
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->start);
        pthread_mutex_unlock(&p->mu);
    }
    run_share(p, gen, 0);
    uint64_t t1 = now_ns();
    wait_done(p, n);
    uint64_t t2 = now_ns();
    /* judge the workers: the caller's waiting against its working time */
    p->window_work += t1 - t0;
    p->window_wait += t2 - t1;
    if (p->window_work + p->window_wait > WINDOW_NS) {
        /* one slow window is a hiccup (an interrupt, a page fault, a moment of steal); a stall that
         * lasts STALL_WINDOWS windows in a row is a worker that keeps losing its core */
        if ((double)p->window_wait > STALL_SHARE * (double)p->window_work) {
            if (++p->bad_windows >= STALL_WINDOWS) p->solo_until = t2 + SOLO_NS, p->bad_windows = 0;
        } else {
            p->bad_windows = 0;
        }
        p->window_work = p->window_wait = 0;
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
