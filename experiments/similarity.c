/* Expert Gram matrices from stored weights, cosines, effective rank (LAPACK)
 * and functional similarity sums (similarity.h). */
#include "similarity.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant.h"
#include "linalg.h"

/* the header's constants and types, the functions through linalg.h (loaded on first use) */
_Static_assert(sizeof(lapack_int) == sizeof(int), "LAPACKE with 32-bit integers (Debian's)");

#define CHUNK_FLOATS (1u << 16) /* per expert per chunk: whole rows, at least one */

bool mt_expert_gram(const mt_weight *w, uint32_t E, double *G) {
    const mt_type_info *ti = mt_type_get(w->type);
    const mt_linalg *la = mt_linalg_get(NULL);
    if (!la || !ti || !ti->can_dequant || E == 0 || w->in == 0) return false;
    uint64_t rows = w->out, per = CHUNK_FLOATS / w->in ? CHUNK_FLOATS / w->in : 1;
    if (per > rows) per = rows;
    size_t width = (size_t)(per * w->in);
    /* the products summed in double (dsyrk): a float sum over 65,536 terms
     * is off by ~1e-5 relative with the reference BLAS, and by another
     * amount with OpenBLAS; in double both agree to ~1e-12 */
    float *row = malloc(w->in * sizeof *row);
    double *x = malloc((size_t)E * width * sizeof *x), *c = malloc((size_t)E * E * sizeof *c);
    if (!row || !x || !c) {
        free(row);
        free(x);
        free(c);
        return false;
    }
    memset(G, 0, (size_t)E * E * sizeof *G);
    for (uint64_t r0 = 0; r0 < rows; r0 += per) {
        uint64_t n = rows - r0 < per ? rows - r0 : per;
        for (uint32_t e = 0; e < E; e++)
            for (uint64_t r = 0; r < n; r++) {
                mt_dequant_row(w->type, mt_weight_row(w, e, r0 + r), row, (int64_t)w->in);
                double *dst = x + (size_t)e * width + r * w->in;
                for (uint64_t i = 0; i < w->in; i++) dst[i] = row[i];
            }
        int k = (int)(n * w->in);
        la->dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)E, k, 1.0, x, (int)width, 0.0, c, (int)E);
        for (uint32_t i = 0; i < E; i++)
            for (uint32_t j = i; j < E; j++) G[(size_t)i * E + j] += c[(size_t)i * E + j];
    }
    for (uint32_t i = 0; i < E; i++)
        for (uint32_t j = 0; j < i; j++) G[(size_t)i * E + j] = G[(size_t)j * E + i];
    free(row);
    free(x);
    free(c);
    return true;
}

void mt_gram_cosines(const double *G, uint32_t E, double *cos) {
    for (uint32_t i = 0; i < E; i++)
        for (uint32_t j = 0; j < E; j++) {
            double d = G[(size_t)i * E + i] * G[(size_t)j * E + j];
            cos[(size_t)i * E + j] = d > 0 ? G[(size_t)i * E + j] / sqrt(d) : 0.0;
        }
}

static int descending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x > y ? -1 : x < y;
}

int mt_gram_effective_rank(const double *G, uint32_t E, double energy, double *eig) {
    double *C = malloc((size_t)E * E * sizeof *C), *w = malloc(E * sizeof *w), *row = calloc(E, sizeof *row), all = 0;
    int rank = -1;
    const mt_linalg *la = mt_linalg_get(NULL);
    if (!la || !C || !w || !row) goto done;
    /* C = H G H: G[i][j] - row_i - row_j + all, row_i the mean of row i, all the mean of G */
    for (uint32_t i = 0; i < E; i++) {
        for (uint32_t j = 0; j < E; j++) row[i] += G[(size_t)i * E + j];
        row[i] /= E;
        all += row[i] / E;
    }
    for (uint32_t i = 0; i < E; i++)
        for (uint32_t j = 0; j < E; j++) C[(size_t)i * E + j] = G[(size_t)i * E + j] - row[i] - row[j] + all;
    if (la->dsyev(LAPACK_ROW_MAJOR, 'N', 'U', (int)E, C, (int)E, w) != 0) goto done;
    qsort(w, E, sizeof *w, descending);
    double total = 0, sum = 0;
    for (uint32_t i = 0; i < E; i++) total += w[i] > 0 ? w[i] : 0;
    rank = 0;
    if (total > 0)
        while (rank < (int)E && sum < energy * total * (1 - 1e-12)) sum += w[rank] > 0 ? w[rank++] : (rank++, 0);
    if (eig) memcpy(eig, w, E * sizeof *w);
done:
    free(C);
    free(w);
    free(row);
    return rank;
}

void mt_functional_add(double *F, uint32_t E, const float *outs, uint32_t d) {
    for (uint32_t i = 0; i < E; i++)
        for (uint32_t j = i; j < E; j++) {
            double s = 0;
            for (uint32_t k = 0; k < d; k++) s += (double)outs[(size_t)i * d + k] * outs[(size_t)j * d + k];
            F[(size_t)i * E + j] += s;
            if (j != i) F[(size_t)j * E + i] += s;
        }
}
