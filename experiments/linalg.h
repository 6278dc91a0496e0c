/* LAPACKE, CBLAS and liblinear, loaded when an analysis first needs them
 * (dlopen), not linked: each brings a BLAS, and a BLAS such as OpenBLAS
 * starts worker threads the moment it is loaded, which spin on the cores the
 * forward pass needs (on a 2-core machine, 13% of a short bench run went to
 * OpenBLAS's idle threads). */
#ifndef MT_LINALG_H
#define MT_LINALG_H

#include <stdbool.h>

#include <linear.h>

#include "engine/error.h"

typedef struct mt_linalg {
    /* LAPACKE_dsyev (LAPACK_ROW_MAJOR = 101): eigenvalues of a symmetric n x n matrix, 0 when done */
    int (*dsyev)(int layout, char jobz, char uplo, int n, double *a, int lda, double *w);
    /* cblas_dsyrk (CblasRowMajor 101, CblasUpper 121, CblasNoTrans 111): C = alpha A A^T + beta C */
    void (*dsyrk)(int order, int uplo, int trans, int n, int k, double alpha, const double *a, int lda, double beta, double *c, int ldc);
} mt_linalg;

/* The functions, loaded once (thread-safe); NULL with err set ("LAPACKE
 * (Debian: apt-get install liblapacke) could not be loaded: <dlerror>") when
 * the library is absent. */
const mt_linalg *mt_linalg_get(mt_err *err);

/* liblinear's functions, as linear.h declares them */
typedef struct mt_liblinear {
    __typeof__(&set_print_string_function) set_print_string_function;
    __typeof__(&check_parameter) check_parameter;
    __typeof__(&train) train;
    __typeof__(&get_labels) get_labels;
    __typeof__(&predict_probability) predict_probability;
    __typeof__(&free_and_destroy_model) free_and_destroy_model;
} mt_liblinear;

/* liblinear (liblinear.so.4), loaded once; NULL with err set when absent. */
const mt_liblinear *mt_liblinear_get(mt_err *err);

#endif
