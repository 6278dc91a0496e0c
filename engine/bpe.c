#include "bpe.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_pair(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return key;
}

bool mt_bpe_init(mt_bpe *b, uint32_t n_vocab, uint64_t n_merges, bool pair_ranks) {
    memset(b, 0, sizeof *b);
    uint64_t slots = 16;
    while (slots < 2 * n_merges) slots *= 2;
    b->keys = calloc(slots, sizeof *b->keys);
    b->result = calloc(slots, sizeof *b->result);
    b->rank = malloc((n_vocab ? n_vocab : 1) * sizeof *b->rank);
    if (pair_ranks) b->pair_rank = calloc(slots, sizeof *b->pair_rank);
    b->mask = slots - 1;
    b->n_vocab = n_vocab;
    if (!b->keys || !b->result || !b->rank || (pair_ranks && !b->pair_rank)) {
        mt_bpe_free(b);
        return false;
    }
    for (uint32_t i = 0; i < n_vocab; i++) b->rank[i] = MT_BPE_NO_RANK;
    return true;
}

void mt_bpe_free(mt_bpe *b) {
    free(b->keys);
    free(b->result);
    free(b->rank);
    free(b->pair_rank);
    memset(b, 0, sizeof *b);
}

void mt_bpe_add(mt_bpe *b, uint32_t left, uint32_t right, uint32_t result, uint32_t index) {
    uint64_t key = ((uint64_t)left << 32 | right) + 1;
    uint64_t h = hash_pair(key) & b->mask;
    while (b->keys[h] && b->keys[h] != key) h = (h + 1) & b->mask;
    if (!b->keys[h]) {
        b->keys[h] = key;
        b->result[h] = result;
        if (b->pair_rank) b->pair_rank[h] = index;
    }
    if (index < b->rank[result]) b->rank[result] = index;
}

void mt_bpe_prefetch(const mt_bpe *b, uint32_t left, uint32_t right) {
    uint64_t key = ((uint64_t)left << 32 | right) + 1;
    __builtin_prefetch(&b->keys[hash_pair(key) & b->mask]);
}

uint32_t mt_bpe_pair(const mt_bpe *b, uint32_t left, uint32_t right) {
    uint64_t key = ((uint64_t)left << 32 | right) + 1;
    for (uint64_t h = hash_pair(key) & b->mask; b->keys[h]; h = (h + 1) & b->mask)
        if (b->keys[h] == key) return b->result[h];
    return UINT32_MAX;
}

/* The pair's rank in the chosen order (*merged: the token it makes), or MT_BPE_NO_RANK. */
static uint32_t pair_rank(const mt_bpe *b, uint32_t left, uint32_t right, uint32_t *merged) {
    uint64_t key = ((uint64_t)left << 32 | right) + 1;
    for (uint64_t h = hash_pair(key) & b->mask; b->keys[h]; h = (h + 1) & b->mask)
        if (b->keys[h] == key) {
            *merged = b->result[h];
            return b->pair_rank ? b->pair_rank[h] : b->rank[b->result[h]];
        }
    return MT_BPE_NO_RANK;
}

void mt_bpe_scratch_free(mt_bpe_scratch *s) {
    free(s->next);
    free(s->prev);
    free(s->heap);
    memset(s, 0, sizeof *s);
}

/* A binary min-heap of (rank << 32 | left index): ties in rank pop the
 * leftmost pair first, as tiktoken's scan does. */
static void heap_push(uint64_t *heap, size_t *n, uint64_t v) {
    size_t i = (*n)++;
    while (i > 0 && heap[(i - 1) / 2] > v) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = v;
}

static uint64_t heap_pop(uint64_t *heap, size_t *n) {
    uint64_t top = heap[0], last = heap[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && heap[c + 1] < heap[c]) c++;
        if (heap[c] >= last) break;
        heap[i] = heap[c];
        i = c;
    }
    heap[i] = last;
    return top;
}

#define NONE UINT32_MAX

static void push_pair(const mt_bpe *b, const uint32_t *ids, uint64_t *heap, size_t *heap_n, uint32_t left, uint32_t right) {
    if (left == NONE || right == NONE) return;
    uint32_t merged, rank = pair_rank(b, ids[left], ids[right], &merged);
    if (rank != MT_BPE_NO_RANK) heap_push(heap, heap_n, (uint64_t)rank << 32 | left);
}

size_t mt_bpe_merge(const mt_bpe *b, uint32_t *ids, size_t n, mt_bpe_scratch *s) {
    if (n < 2) return n;
    /* each merge pushes at most two pairs: n - 1 at first, 2 per merge after */
    size_t heap_need = 3 * n;
    if (n > s->cap) {
        uint32_t *nx = realloc(s->next, n * sizeof *nx), *pv = nx ? realloc(s->prev, n * sizeof *pv) : NULL;
        if (nx) s->next = nx;
        if (pv) s->prev = pv;
        if (!nx || !pv) return 0;
        s->cap = n;
    }
    if (heap_need > s->heap_cap) {
        uint64_t *h = realloc(s->heap, heap_need * sizeof *h);
        if (!h) return 0;
        s->heap = h;
        s->heap_cap = heap_need;
    }
    /* symbols are indices into ids; a merged-away symbol's id becomes NONE */
    for (size_t i = 0; i < n; i++) {
        s->next[i] = i + 1 < n ? (uint32_t)(i + 1) : NONE;
        s->prev[i] = i ? (uint32_t)(i - 1) : NONE;
    }
    size_t heap_n = 0;
    for (size_t i = 0; i + 1 < n; i++) push_pair(b, ids, s->heap, &heap_n, (uint32_t)i, (uint32_t)(i + 1));
    while (heap_n) {
        uint64_t top = heap_pop(s->heap, &heap_n);
        uint32_t left = (uint32_t)top, rank = (uint32_t)(top >> 32);
        uint32_t right = s->next[left];
        if (ids[left] == NONE || right == NONE) continue; /* stale: left was merged away or is last */
        uint32_t merged;
        if (pair_rank(b, ids[left], ids[right], &merged) != rank) continue; /* stale: a neighbour changed */
        ids[left] = merged;
        ids[right] = NONE;
        s->next[left] = s->next[right];
        if (s->next[right] != NONE) s->prev[s->next[right]] = left;
        push_pair(b, ids, s->heap, &heap_n, s->prev[left], left);
        push_pair(b, ids, s->heap, &heap_n, left, s->next[left]);
    }
    size_t out = 0;
    for (size_t i = 0; i < n; i++)
        if (ids[i] != NONE) ids[out++] = ids[i];
    return out;
}
