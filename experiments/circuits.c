/* Contingency tables between two layers' top experts, their NMI and its
 * shuffled baseline, and top-expert paths (circuits.h). */
#include "circuits.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"
#include "routes.h"

void mt_circuit_count(uint64_t *counts, uint32_t E, const uint32_t *top_from, const uint32_t *top_to, size_t n) {
    for (size_t t = 0; t < n; t++)
        if (top_from[t] < E && top_to[t] < E) counts[(size_t)top_from[t] * E + top_to[t]]++;
}

/* sum over cells of c ln c, and over marginals likewise, give
 * I = (S_cells - S_rows - S_cols)/N + ln N, H = ln N - S/N. */
static double c_ln_c(uint64_t c) { return c ? (double)c * log((double)c) : 0.0; }

static double nmi_from(const uint64_t *counts, uint32_t E, uint64_t *row, uint64_t *col) {
    memset(row, 0, E * sizeof *row);
    memset(col, 0, E * sizeof *col);
    uint64_t n = 0;
    double s_cells = 0.0;
    for (uint32_t i = 0; i < E; i++)
        for (uint32_t j = 0; j < E; j++) {
            uint64_t c = counts[(size_t)i * E + j];
            row[i] += c;
            col[j] += c;
            n += c;
            s_cells += c_ln_c(c);
        }
    if (n == 0) return 0.0;
    double s_rows = 0.0, s_cols = 0.0, ln_n = log((double)n);
    for (uint32_t e = 0; e < E; e++) {
        s_rows += c_ln_c(row[e]);
        s_cols += c_ln_c(col[e]);
    }
    double h_from = ln_n - s_rows / (double)n, h_to = ln_n - s_cols / (double)n;
    if (h_from <= 1e-12 || h_to <= 1e-12) return 0.0;
    double mi = (s_cells - s_rows - s_cols) / (double)n + ln_n;
    if (mi < 0.0) mi = 0.0; /* rounding */
    double v = mi / sqrt(h_from * h_to);
    return v > 1.0 ? 1.0 : v;
}

double mt_nmi(const uint64_t *counts, uint32_t E) {
    uint64_t *tmp = malloc(2 * (size_t)E * sizeof *tmp);
    if (!tmp) return NAN;
    double v = nmi_from(counts, E, tmp, tmp + E);
    free(tmp);
    return v;
}

bool mt_nmi_shuffled(const uint64_t *counts, uint32_t E, uint32_t shuffles, uint64_t seed, uint64_t stream, double *mean,
                     double *p_value) {
    uint64_t n = 0;
    for (size_t c = 0; c < (size_t)E * E; c++) n += counts[c];
    uint32_t *from = malloc((n ? n : 1) * sizeof *from), *to = malloc((n ? n : 1) * sizeof *to);
    uint64_t *table = malloc(((size_t)E * E + 2 * (size_t)E) * sizeof *table);
    if (!from || !to || !table) {
        free(from);
        free(to);
        free(table);
        return false;
    }
    size_t at = 0;
    for (uint32_t i = 0; i < E; i++)
        for (uint32_t j = 0; j < E; j++)
            for (uint64_t c = 0; c < counts[(size_t)i * E + j]; c++) {
                from[at] = i;
                to[at++] = j;
            }
    double observed = nmi_from(counts, E, table + (size_t)E * E, table + (size_t)E * E + E), sum = 0.0;
    uint32_t at_least = 0;
    mt_rng r = mt_rng_seed(seed, stream);
    for (uint32_t s = 0; s < shuffles; s++) {
        mt_rng_shuffle_u32(&r, to, (size_t)n); /* the column labels */
        memset(table, 0, (size_t)E * E * sizeof *table);
        for (uint64_t t = 0; t < n; t++) table[(size_t)from[t] * E + to[t]]++;
        double v = nmi_from(table, E, table + (size_t)E * E, table + (size_t)E * E + E);
        sum += v;
        at_least += v >= observed - 1e-12;
    }
    *mean = shuffles ? sum / shuffles : 0.0;
    *p_value = (1.0 + at_least) / (1.0 + shuffles);
    free(from);
    free(to);
    free(table);
    return true;
}

void mt_paths_init(mt_paths *p, uint32_t width) {
    memset(p, 0, sizeof *p);
    p->width = width;
}

void mt_paths_free(mt_paths *p) {
    free(p->ids);
    free(p->count);
    mt_paths_init(p, p->width);
}

bool mt_paths_add(mt_paths *p, const uint32_t *ids, uint64_t count) {
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        uint32_t *gi = realloc(p->ids, cap * p->width * sizeof *gi);
        if (!gi) return false;
        p->ids = gi;
        uint64_t *gc = realloc(p->count, cap * sizeof *gc);
        if (!gc) return false;
        p->count = gc;
        p->cap = cap;
    }
    memcpy(p->ids + p->n * p->width, ids, p->width * sizeof *ids);
    p->count[p->n++] = count;
    return true;
}

/* qsort has no context argument in C11: the width travels in each item */
typedef struct path_item {
    const uint32_t *ids;
    uint64_t count;
    uint32_t width;
} path_item;

static int by_ids(const void *a, const void *b) {
    const path_item *x = a, *y = b;
    for (uint32_t i = 0; i < x->width; i++)
        if (x->ids[i] != y->ids[i]) return x->ids[i] < y->ids[i] ? -1 : 1;
    return 0;
}

static int by_count(const void *a, const void *b) {
    const path_item *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return by_ids(a, b);
}

bool mt_paths_compact(mt_paths *p) {
    if (p->n == 0) return true;
    path_item *items = malloc(p->n * sizeof *items);
    uint32_t *ids = malloc(p->n * p->width * sizeof *ids);
    uint64_t *count = malloc(p->n * sizeof *count);
    if (!items || !ids || !count) {
        free(items);
        free(ids);
        free(count);
        return false;
    }
    for (size_t i = 0; i < p->n; i++) items[i] = (path_item){ p->ids + i * p->width, p->count[i], p->width };
    qsort(items, p->n, sizeof *items, by_ids);
    size_t m = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (m && by_ids(&items[m - 1], &items[i]) == 0) items[m - 1].count += items[i].count;
        else items[m++] = items[i];
    }
    qsort(items, m, sizeof *items, by_count);
    for (size_t i = 0; i < m; i++) {
        memcpy(ids + i * p->width, items[i].ids, p->width * sizeof *ids);
        count[i] = items[i].count;
    }
    free(items);
    free(p->ids);
    free(p->count);
    p->ids = ids;
    p->count = count;
    p->n = p->cap = m;
    return true;
}

uint64_t mt_paths_total(const mt_paths *p) {
    uint64_t t = 0;
    for (size_t i = 0; i < p->n; i++) t += p->count[i];
    return t;
}
