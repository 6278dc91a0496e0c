/* A fixed pool of worker threads for data-parallel loops: the caller runs
 * its share too, and mt_pool_for returns when every item is done. Items are
 * handed out in chunks from a shared counter, so uneven items balance. */
#ifndef MT_POOL_H
#define MT_POOL_H

#include <stddef.h>

typedef struct mt_pool mt_pool;

/* fn processes items [begin, end) on thread `thread` (0 = the caller). */
typedef void (*mt_pool_fn)(void *ctx, size_t begin, size_t end, int thread);

/* n_threads <= 0: one per online CPU. NULL when threads cannot be started. */
mt_pool *mt_pool_new(int n_threads);
void mt_pool_free(mt_pool *p);
int mt_pool_threads(const mt_pool *p);

/* Runs fn over [0, n) in chunks of at least min_chunk items. */
void mt_pool_for(mt_pool *p, size_t n, size_t min_chunk, mt_pool_fn fn, void *ctx);

/* Per-thread scratch memory of at least bytes (kept between calls; contents
 * undefined). NULL when out of memory. */
void *mt_pool_scratch(mt_pool *p, int thread, size_t bytes);

#endif
