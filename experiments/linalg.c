#include "linalg.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/* Opens soname and fills slots[i] with names[i]; false with why set. */
static bool load_lib(const char *what, const char *soname, const char *const *names, void **const *slots, size_t n, char *why,
                     size_t why_cap) {
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(why, why_cap, "%s could not be loaded: %s", what, e ? e : "unknown error");
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (!(*slots[i] = dlsym(h, names[i]))) {
            snprintf(why, why_cap, "%s: %s lacks %s", what, soname, names[i]);
            return false;
        }
    return true;
}

static mt_linalg la;
static char la_why[200];
static bool la_loaded;

/* liblapacke.so.3 brings liblapack.so.3 and libblas.so.3 (Debian's
 * alternatives: the reference BLAS or OpenBLAS), where cblas_dsyrk lives */
static void load_lapacke(void) {
    static const char *const names[] = { "LAPACKE_dsyev", "cblas_dsyrk" };
    void **const slots[] = { (void **)&la.dsyev, (void **)&la.dsyrk };
    la_loaded = load_lib("LAPACKE (Debian: apt-get install liblapacke)", "liblapacke.so.3", names, slots, 2, la_why, sizeof la_why);
}

const mt_linalg *mt_linalg_get(mt_err *err) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, load_lapacke);
    if (la_loaded) return &la;
    if (err) mt_err_set(err, "%s", la_why);
    return NULL;
}

static mt_liblinear lin;
static char lin_why[200];
static bool lin_loaded;

static void load_linear(void) {
    static const char *const names[] = { "set_print_string_function", "check_parameter", "train", "get_labels",
                                         "predict_probability", "free_and_destroy_model" };
    void **const slots[] = { (void **)&lin.set_print_string_function, (void **)&lin.check_parameter, (void **)&lin.train,
                             (void **)&lin.get_labels, (void **)&lin.predict_probability, (void **)&lin.free_and_destroy_model };
    lin_loaded = load_lib("liblinear (Debian: apt-get install liblinear4)", "liblinear.so.4", names, slots, 6, lin_why, sizeof lin_why);
}

const mt_liblinear *mt_liblinear_get(mt_err *err) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, load_linear);
    if (lin_loaded) return &lin;
    if (err) mt_err_set(err, "%s", lin_why);
    return NULL;
}
