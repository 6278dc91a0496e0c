#include "linalg.h"

#include <dlfcn.h>
#include <stdio.h>
#include <pthread.h>

static mt_linalg fns;
static char why[200];
static bool loaded;

/* liblapacke.so.3 brings liblapack.so.3 and libblas.so.3 (Debian's
 * alternatives: the reference BLAS or OpenBLAS), where cblas_dsyrk lives */
static void load(void) {
    void *h = dlopen("liblapacke.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(why, sizeof why, "LAPACKE (liblapacke.so.3) could not be loaded: %s", e ? e : "unknown error");
        return;
    }
    *(void **)&fns.dsyev = dlsym(h, "LAPACKE_dsyev");
    *(void **)&fns.dsyrk = dlsym(h, "cblas_dsyrk");
    if (!fns.dsyev || !fns.dsyrk) {
        snprintf(why, sizeof why, "LAPACKE (liblapacke.so.3) lacks %s", fns.dsyev ? "cblas_dsyrk (from its BLAS)" : "LAPACKE_dsyev");
        return;
    }
    loaded = true;
}

const mt_linalg *mt_linalg_get(mt_err *err) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, load);
    if (loaded) return &fns;
    if (err) mt_err_set(err, "%s", why);
    return NULL;
}

static mt_liblinear lin;
static char lin_why[200];
static bool lin_loaded;

static void load_linear(void) {
    void *h = dlopen("liblinear.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(lin_why, sizeof lin_why, "liblinear (liblinear.so.4) could not be loaded: %s", e ? e : "unknown error");
        return;
    }
    static const char *const names[] = { "set_print_string_function", "check_parameter", "train", "get_labels",
                                         "predict_probability", "free_and_destroy_model" };
    void **slots[] = { (void **)&lin.set_print_string_function, (void **)&lin.check_parameter, (void **)&lin.train,
                       (void **)&lin.get_labels, (void **)&lin.predict_probability, (void **)&lin.free_and_destroy_model };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!(*slots[i] = dlsym(h, names[i]))) {
            snprintf(lin_why, sizeof lin_why, "liblinear (liblinear.so.4) lacks %s", names[i]);
            return;
        }
    lin_loaded = true;
}

const mt_liblinear *mt_liblinear_get(mt_err *err) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, load_linear);
    if (lin_loaded) return &lin;
    if (err) mt_err_set(err, "%s", lin_why);
    return NULL;
}
