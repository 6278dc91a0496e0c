#include "exp_args.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/model_args.h"

static int opt_index(const cli_args *a, const char *name) {
    for (int i = 0; a->cmd->opts[i].name; i++)
        if (strcmp(a->cmd->opts[i].name, name) == 0) return i;
    return -1;
}

int cli_conditions(const cli_args *a, const mt_model *m, mt_conditions *out) {
    mt_interventions base;
    int rc = cli_interventions(a, m, &base);
    if (rc) {
        mt_iv_free(&base);
        return rc;
    }
    bool ok = mt_conds_init(out, &base);
    mt_iv_free(&base);
    if (!ok) return cli_error(CLI_EXIT_FAIL, "out of memory");
    mt_err err;
    static const char *const order[] = { "--cond", "--each", "--k-sweep" };
    for (size_t k = 0; k < sizeof order / sizeof *order; k++) {
        int opt = opt_index(a, order[k]);
        for (int i = 0; opt >= 0 && i < a->count[opt]; i++) {
            const char *v = a->values[opt][i];
            ok = k == 0 ? mt_conds_add_spec(out, v, &err) : k == 1 ? mt_conds_add_each(out, v, &err) : mt_conds_add_k_sweep(out, v, &err);
            if (!ok) {
                mt_conds_free(out);
                return cli_error(CLI_EXIT_USAGE, "%s", err.msg);
            }
        }
    }
    return 0;
}

bool cli_seed(const cli_args *a, uint64_t *seed) {
    *seed = 0;
    return cli_get_u64(a, "--seed", seed);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

void cli_progress_begin(cli_progress *p, const char *label, const char *unit) {
    *p = (cli_progress){ .label = label, .unit = unit, .start = now(), .tty = isatty(2) != 0 };
}

bool cli_progress_fn(void *user, uint64_t done, uint64_t total) {
    cli_progress *p = user;
    double t = now();
    if (!p->tty || t - p->start < 0.5 || t - p->last_shown < 0.2) return true;
    fprintf(stderr, "\r\033[K%s: %llu/%llu %s, %.1f s", p->label, (unsigned long long)done, (unsigned long long)total, p->unit,
            t - p->start);
    p->last_shown = t;
    p->shown = true;
    return true;
}

void cli_progress_end(cli_progress *p) {
    if (p->shown) fprintf(stderr, "\r\033[K");
    p->shown = false;
}
