#include "cli_util.h"

#include <stdarg.h>
#include <string.h>

#include "harness.h"

proc_result run_moetop(const char *arg, ...) {
    const char *argv[18] = { t_bin() };
    int n = 1;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && n < 17; a = va_arg(ap, const char *)) argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    return proc_run(argv, NULL);
}

bool is_clean_usage_error(const proc_result *r) {
    return r->status == 2 && strncmp(r->err, "moetop: ", 8) == 0 && proc_count_lines(r->err) == 1 && r->out_len == 0;
}

jv *info_json(const char *path) {
    proc_result r = run_moetop("info", "--json", "-m", path, NULL);
    jv *v = NULL;
    char err[256];
    if (CHECKF(r.status == 0, "info --json %s: exit %d: %s", path, r.status, r.err)) {
        v = jv_parse(r.out, r.out_len, err, sizeof err);
        CHECKF(v != NULL, "info --json %s: %s", path, err);
    }
    proc_free(&r);
    return v;
}
