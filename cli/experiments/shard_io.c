/* --shard, running a shard's prompts, and the shard outputs' common head (shard_io.h). */
#include "shard_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp_args.h"

bool cli_shard_opt(const cli_args *a, int *shard, int *shards) {
    *shard = *shards = 0;
    const char *v = cli_get(a, "--shard");
    if (!v) return true;
    char *end;
    long i = strtol(v, &end, 10), n = -1;
    if (end != v && *end == '/' && v[0] != '-' && v[0] != '+') {
        const char *n_at = end + 1;
        n = strtol(n_at, &end, 10);
        if (end == n_at || *end || *n_at == '-' || *n_at == '+') n = -1;
    }
    if (n < 1 || n > 100000 || i < 0 || i >= n) {
        cli_error(CLI_EXIT_USAGE, "--shard: '%s' is not i/N with 0 <= i < N <= 100000", v);
        return false;
    }
    *shard = (int)i;
    *shards = (int)n;
    return true;
}

int cli_shard_run(const cli_model *cm, const cli_corpus *c, const mt_interventions *iv, int shard, int shards, const char *label,
                  bool capture_moe_input, cli_shard_fn fn, void *ctx) {
    mt_err err;
    mt_session *s = mt_session_new(cm->m, cm->be, &err);
    if (!s) return cli_error(CLI_EXIT_FAIL, "%s", err.msg);
    if (!mt_session_capture_moe_input(s, capture_moe_input)) {
        mt_session_free(s);
        return cli_error(CLI_EXIT_FAIL, "out of memory");
    }
    mt_session_set_interventions(s, iv);
    cli_progress pr;
    cli_progress_begin(&pr, label, "prompts");
    int rc = 0;
    for (size_t i = 0; i < c->n_items && !rc; i++) {
        if (shards > 0 && (int)(i % (size_t)shards) != shard) continue;
        mt_session_truncate(s, 0);
        const mt_ids *ids = &c->items[i].ids;
        if (ids->n && !mt_session_append(s, ids->ids, (uint32_t)ids->n, &err)) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        else rc = fn(ctx, i, &c->items[i], s);
        cli_progress_fn(&pr, i + 1, c->n_items);
    }
    cli_progress_end(&pr);
    mt_session_free(s);
    return rc;
}

void cli_shard_head_write(mt_json *j, const cli_shard_head *h) {
    mt_json_kv_str(j, "experiment", h->experiment);
    mt_json_kv_str(j, "model", h->model);
    mt_json_kv_u64(j, "prompts", h->prompts);
    mt_json_kv_u64(j, "seed", h->seed);
    mt_json_key(j, "shard");
    mt_json_begin_object(j);
    mt_json_kv_u64(j, "index", (uint64_t)h->index);
    mt_json_kv_u64(j, "count", (uint64_t)h->count);
    mt_json_end_object(j);
}

bool cli_shard_head_read(const char *path, const jv *v, cli_shard_head *h) {
    memset(h, 0, sizeof *h);
    const char *exp = jv_str(v, "experiment"), *model = jv_str(v, "model");
    const jv *sh = jv_get(v, "shard"), *prompts = jv_get(v, "prompts"), *seed = jv_get(v, "seed");
    const jv *idx = sh ? jv_get(sh, "index") : NULL, *cnt = sh ? jv_get(sh, "count") : NULL;
    if (!exp || !model || !prompts || !prompts->is_u64 || !seed || !seed->is_u64 || !idx || !idx->is_u64 || !cnt || !cnt->is_u64) {
        cli_error(CLI_EXIT_USAGE, "%s: not the --json output of circuits, dynamics or importance with --shard", path);
        return false;
    }
    if (cnt->u64 < 1 || cnt->u64 > 100000 || idx->u64 >= cnt->u64) {
        cli_error(CLI_EXIT_USAGE, "%s: shard %llu of %llu is not a shard (run with --shard i/N)", path, (unsigned long long)idx->u64,
                  (unsigned long long)cnt->u64);
        return false;
    }
    snprintf(h->experiment, sizeof h->experiment, "%s", exp);
    snprintf(h->model, sizeof h->model, "%s", model);
    h->prompts = prompts->u64;
    h->seed = seed->u64;
    h->index = (int)idx->u64;
    h->count = (int)cnt->u64;
    return true;
}

bool cli_jv_u64s(const jv *arr, uint64_t *out, size_t n) {
    if (!arr || arr->kind != JV_ARR || arr->len != n) return false;
    for (size_t i = 0; i < n; i++) {
        const jv *x = jv_at(arr, i);
        if (!x->is_u64) return false;
        out[i] = x->u64;
    }
    return true;
}
