/* `moetop ppl`: perplexity of conditions over documents, and `moetop
 * merge-ppl`: shards of one run into exactly its unsharded result
 * (experiments/ppl.h computes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/corpus.h"
#include "cli/input.h"
#include "cli/json.h"
#include "cli/json_read.h"
#include "cli/jsonl.h"
#include "cli/model_args.h"
#include "exp_args.h"
#include "experiments/ppl.h"

static const char *const ppl_definitions[] = {
    "documents   each prompt, --text-file, each prompt of --prompts, each --data record: scored",
    "            alone, in windows of --ctx tokens that start every --stride tokens; the first",
    "            window scores its tokens 1..end-1, each later one the tokens after the",
    "            previous window's end, so every token but a document's first is scored once.",
    "            With --stride = --ctx, where a window's first token would have no earlier",
    "            token to be predicted from, each later window starts one token before the",
    "            previous window's end",
    "NLL         -ln p(token | the earlier tokens of its window), nats; the table's mean is",
    "            over scored tokens",
    "perplexity  exp(mean NLL); its 95% interval is the percentile bootstrap over documents",
    "            (over windows when one document has scored tokens): --resamples resamples",
    "            drawn with --seed, each exp(sum NLL / sum tokens), their 2.5% and 97.5%",
    "            quantiles (linear interpolation); none (null in JSON) from a single window",
    "KL          mean over scored tokens of KL(baseline || condition) of the whole next-token",
    "            distribution, nats",
    "top-1 agree share of scored tokens whose most likely next token equals the baseline's",
    NULL,
};

/* The documents as token ids. */
typedef struct docs {
    mt_ids *items;
    size_t n;
} docs;

static void docs_free(docs *d) {
    for (size_t i = 0; i < d->n; i++) mt_ids_free(&d->items[i]);
    free(d->items);
    memset(d, 0, sizeof *d);
}

static int docs_add(docs *d, mt_ids *ids) {
    mt_ids *grown = realloc(d->items, (d->n + 1) * sizeof *grown);
    if (!grown) {
        mt_ids_free(ids);
        return cli_error(CLI_EXIT_FAIL, "out of memory");
    }
    d->items = grown;
    d->items[d->n++] = *ids;
    return 0;
}

/* --data: one document per JSON Lines record's text field. */
static int load_data(const char *path, const char *key, const cli_model *cm, bool special, docs *d) {
    cli_jsonl r;
    int rc = cli_jsonl_open(&r, path);
    for (jv *v = NULL; !rc && !(rc = cli_jsonl_next(&r, &v)) && v; jv_free(v), v = NULL) {
        const jv *t = jv_get(v, key);
        if (!t || t->kind != JV_STR) rc = cli_jsonl_error(path, r.line, "no string field \"%s\" (--text-key)", key);
        else {
            mt_ids ids = { 0 };
            rc = mt_tok_encode(cm->tok, t->str, t->len, special, &ids) ? docs_add(d, &ids) : cli_error(CLI_EXIT_FAIL, "out of memory");
        }
        if (rc) {
            jv_free(v);
            break;
        }
    }
    cli_jsonl_close(&r);
    if (!rc && d->n == 0) rc = cli_error(CLI_EXIT_USAGE, "%s: no documents", path);
    return rc;
}

static int load_docs(const cli_args *a, const cli_model *cm, docs *d) {
    memset(d, 0, sizeof *d);
    const char *text_file = cli_get(a, "--text-file"), *data = cli_get(a, "--data");
    int given = !!text_file + !!data + !!cli_get(a, "--prompts") +
                !!(cli_get(a, "--prompt") || cli_get(a, "--prompt-file") || cli_get(a, "--ids") || cli_get(a, "--chat"));
    if (given > 1) return cli_usage_error(a->cmd, "give one input: a prompt, --text-file, --prompts or --data");
    bool special = cli_has(a, "--special");
    if (text_file) {
        size_t len;
        char *text = mt_read_text_file(text_file, &len);
        if (!text) return CLI_EXIT_USAGE;
        mt_ids ids = { 0 };
        int rc = mt_tok_encode(cm->tok, text, len, special, &ids) ? docs_add(d, &ids) : cli_error(CLI_EXIT_FAIL, "out of memory");
        free(text);
        return rc;
    }
    if (data) return load_data(data, cli_get(a, "--text-key") ? cli_get(a, "--text-key") : "text", cm, special, d);
    cli_corpus c; /* a prompt, a prompt set, or the bundled prompt sets */
    int rc = cli_corpus_load(a, cm, &c);
    if (rc) return rc;
    for (size_t i = 0; i < c.n_items && !rc; i++) {
        rc = docs_add(d, &c.items[i].ids);
        memset(&c.items[i].ids, 0, sizeof c.items[i].ids); /* moved */
    }
    cli_corpus_free(&c);
    return rc;
}

/* ---- a run's numbers, and its JSON ------------------------------------------------ */

typedef struct ppl_run {
    char model[256];
    uint64_t documents;
    uint32_t ctx, stride, resamples;
    uint64_t seed;
    size_t n_cond;
    char (*names)[MT_COND_NAME_MAX];
    mt_ppl_window *windows; /* sorted by document, then index */
    mt_ppl_sums *sums;      /* [window][condition] */
    size_t n_windows;
} ppl_run;

static void run_free(ppl_run *r) {
    free(r->names);
    free(r->windows);
    free(r->sums);
    memset(r, 0, sizeof *r);
}

static void json_header(mt_json *j, const ppl_run *r, uint64_t tokens) {
    mt_json_kv_str(j, "model", r->model);
    mt_json_kv_u64(j, "tokens", tokens);
    mt_json_kv_u64(j, "documents", r->documents);
    mt_json_kv_u64(j, "ctx", r->ctx);
    mt_json_kv_u64(j, "stride", r->stride);
    mt_json_kv_u64(j, "resamples", r->resamples);
    mt_json_kv_u64(j, "seed", r->seed);
}

/* The run's JSON: the contract's fields, and with a shard its windows' sums. */
static int print_run(const ppl_run *r, bool json, int shard, int shards, const char *out_path) {
    mt_ppl_summary *s = calloc(r->n_cond ? r->n_cond : 1, sizeof *s);
    if (!s) return cli_error(CLI_EXIT_FAIL, "out of memory");
    for (size_t c = 0; c < r->n_cond; c++)
        if (!mt_ppl_summarize(r->windows, r->sums, r->n_windows, r->n_cond, c, r->resamples, r->seed, &s[c])) {
            free(s);
            return cli_error(CLI_EXIT_FAIL, "out of memory");
        }
    int rc = 0;
    if (json) {
        mt_json j = { 0 };
        mt_json_begin_object(&j);
        json_header(&j, r, r->n_cond ? s[0].tokens : 0);
        mt_json_key(&j, "conditions");
        mt_json_begin_array(&j);
        for (size_t c = 0; c < r->n_cond; c++) {
            mt_json_begin_object(&j);
            mt_json_kv_str(&j, "name", r->names[c]);
            mt_json_kv_f64(&j, "nll_mean", s[c].nll_mean);
            mt_json_kv_f64(&j, "ppl", s[c].ppl);
            mt_json_key(&j, "ppl95");
            mt_json_begin_array(&j);
            mt_json_f64(&j, s[c].ppl_lo);
            mt_json_f64(&j, s[c].ppl_hi);
            mt_json_end_array(&j);
            mt_json_kv_f64(&j, "kl_mean", s[c].kl_mean);
            mt_json_kv_f64(&j, "top1_agreement", s[c].top1_agreement);
            mt_json_end_object(&j);
        }
        mt_json_end_array(&j);
        if (shards > 0) {
            mt_json_key(&j, "shard");
            mt_json_begin_object(&j);
            mt_json_kv_u64(&j, "index", (uint64_t)shard);
            mt_json_kv_u64(&j, "count", (uint64_t)shards);
            mt_json_key(&j, "windows");
            mt_json_begin_array(&j);
            for (size_t w = 0; w < r->n_windows; w++) {
                const mt_ppl_sums *x = &r->sums[w * r->n_cond];
                mt_json_begin_object(&j);
                mt_json_kv_u64(&j, "document", r->windows[w].document);
                mt_json_kv_u64(&j, "window", r->windows[w].index);
                static const char *const keys[] = { "tokens", "nll_fx", "kl_fx", "top1" };
                for (int k = 0; k < 4; k++) {
                    mt_json_key(&j, keys[k]);
                    mt_json_begin_array(&j);
                    for (size_t c = 0; c < r->n_cond; c++)
                        mt_json_u64(&j, k == 0 ? x[c].tokens : k == 1 ? (uint64_t)x[c].nll_fx : k == 2 ? (uint64_t)x[c].kl_fx : x[c].top1);
                    mt_json_end_array(&j);
                }
                mt_json_end_object(&j);
            }
            mt_json_end_array(&j);
            mt_json_end_object(&j);
        }
        mt_json_end_object(&j);
        rc = mt_json_finish_to(&j, out_path);
    } else {
        printf("%s: perplexity over %llu document%s, %llu tokens scored, windows of %u tokens every %u\n", r->model,
               (unsigned long long)r->documents, r->documents == 1 ? "" : "s", (unsigned long long)(r->n_cond ? s[0].tokens : 0),
               r->ctx, r->stride);
        if (shards > 0) printf("shard %d of %d (merge-ppl merges the --json outputs)\n", shard, shards);
        printf("95%% interval: percentile bootstrap, %u resamples, seed %llu; KL: KL(baseline || condition) per token (nats)\n\n",
               r->resamples, (unsigned long long)r->seed);
        printf("%-20s  %8s  %9s  %10s  %-22s  %8s  %11s\n", "condition", "tokens", "NLL/token", "perplexity", "95% interval", "KL/token",
               "top-1 agree");
        for (size_t c = 0; c < r->n_cond; c++) {
            char ci[48];
            if (isnan(s[c].ppl_lo)) snprintf(ci, sizeof ci, "n/a (one unit)");
            else snprintf(ci, sizeof ci, "[%.4g, %.4g]", s[c].ppl_lo, s[c].ppl_hi);
            printf("%-20.20s  %8llu  %9.4f  %10.4g  %-22s  %8.4f  %11.3f\n", r->names[c], (unsigned long long)s[c].tokens, s[c].nll_mean,
                   s[c].ppl, ci, s[c].kl_mean, s[c].top1_agreement);
        }
        rc = fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
    }
    free(s);
    return rc;
}

static bool parse_shard(const char *v, int *shard, int *shards) {
    char *end;
    long i = strtol(v, &end, 10);
    if (end == v || *end != '/') return false;
    const char *n_at = end + 1;
    long n = strtol(n_at, &end, 10);
    if (end == n_at || *end || n < 1 || n > 100000 || i < 0 || i >= n || v[0] == '-' || v[0] == '+') return false;
    *shard = (int)i;
    *shards = (int)n;
    return true;
}

static int run_ppl(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    uint32_t ctx = 0, stride = 0, resamples = 1000;
    uint64_t seed;
    int shard = 0, shards = 0;
    if (!cli_seed(a, &seed) || !cli_get_u32(a, "--resamples", 1, 1000000, &resamples)) return CLI_EXIT_USAGE;
    if (cli_has(a, "--shard") && !parse_shard(cli_get(a, "--shard"), &shard, &shards))
        return cli_error(CLI_EXIT_USAGE, "--shard: '%s' is not i/N with 0 <= i < N", cli_get(a, "--shard"));
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    uint32_t n_ctx = cm.m->hp.n_ctx;
    ctx = n_ctx < 1024 ? n_ctx : 1024;
    docs d = { 0 };
    mt_conditions conds = { 0 };
    ppl_run r = { 0 };
    mt_ppl_scorer *sc = NULL;
    if (!cli_get_u32(a, "--ctx", 2, n_ctx, &ctx)) {
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    stride = ctx;
    if (!cli_get_u32(a, "--stride", 1, ctx, &stride)) {
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if ((rc = load_docs(a, &cm, &d)) || (rc = cli_conditions(a, cm.m, &conds))) goto done;
    snprintf(r.model, sizeof r.model, "%s", cli_base_name(cm.path));
    r.documents = d.n;
    r.ctx = ctx;
    r.stride = stride;
    r.resamples = resamples;
    r.seed = seed;
    r.n_cond = conds.n;
    /* the windows this shard scores: every shards-th of all windows, in order */
    size_t total = 0;
    for (size_t i = 0; i < d.n; i++) total += mt_ppl_plan((uint32_t)i, (uint32_t)d.items[i].n, ctx, stride, NULL);
    if (total == 0) {
        rc = cli_error(CLI_EXIT_USAGE, "no document has two tokens: nothing to score");
        goto done;
    }
    mt_ppl_window *all = malloc(total * sizeof *all);
    r.names = malloc(conds.n * sizeof *r.names);
    r.windows = malloc(total * sizeof *r.windows);
    r.sums = malloc(total * conds.n * sizeof *r.sums);
    if (!all || !r.names || !r.windows || !r.sums) {
        free(all);
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    for (size_t c = 0; c < conds.n; c++) memcpy(r.names[c], conds.items[c].name, MT_COND_NAME_MAX);
    size_t at = 0;
    for (size_t i = 0; i < d.n; i++) at += mt_ppl_plan((uint32_t)i, (uint32_t)d.items[i].n, ctx, stride, all + at);
    for (size_t g = 0; g < total; g++)
        if (shards == 0 || (int)(g % (size_t)shards) == shard) r.windows[r.n_windows++] = all[g];
    free(all);
    mt_err err;
    if (!(sc = mt_ppl_scorer_new(cm.m, cm.be, ctx, &err))) {
        rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        goto done;
    }
    cli_progress pr;
    cli_progress_begin(&pr, "ppl", "windows");
    for (size_t w = 0; w < r.n_windows && !rc; w++) {
        const mt_ppl_window *win = &r.windows[w];
        if (!mt_ppl_score_window(sc, &conds, d.items[win->document].ids, win, &r.sums[w * conds.n], &err))
            rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        cli_progress_fn(&pr, w + 1, r.n_windows);
    }
    cli_progress_end(&pr);
    if (!rc) rc = print_run(&r, cli_has(a, "--json"), shard, shards, NULL);
done:
    mt_ppl_scorer_free(sc);
    run_free(&r);
    mt_conds_free(&conds);
    docs_free(&d);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_ppl = {
    .name = "ppl",
    .usage = "moetop ppl -m MODEL.gguf (--prompt TEXT | --prompt-file FILE | --ids \"..\" | --chat TEXT | --text-file FILE | "
             "--prompts DIR | --data FILE.jsonl [--text-key text]) [--ctx N] [--stride S] [--resamples 1000] [--seed S] "
             "[--shard i/N] [--cond \"NAME: FLAGS\"].. [intervention flags] [--json]",
    .summary = "Perplexity of conditions with bootstrap intervals, KL and top-1 agreement against the baseline.",
    .details = "Without an input, the bundled prompt sets. --shard i/N scores every N-th window (from the i-th) and\n"
               "writes, with --json, the sums `moetop merge-ppl` adds into exactly the unsharded result.\n\n" CLI_COND_DETAILS
               "\n\n" CLI_IV_DETAILS,
    .definitions = ppl_definitions,
    .opts = { CLI_MODEL_OPTS, CLI_CORPUS_OPTS,
              { "--text-file", 0, "FILE", "one document: the file's text" },
              { "--data", 0, "FILE.jsonl", "one document per JSON Lines record" },
              { "--text-key", 0, "KEY", "the records' text field (default text)" },
              { "--ctx", 0, "N", "window length in tokens (default min(context, 1024))" },
              { "--stride", 0, "S", "a window starts every S tokens (default --ctx)" },
              { "--resamples", 0, "N", "bootstrap resamples (default 1000)" },
              { "--shard", 0, "i/N", "score only shard i of N (merge with moetop merge-ppl)" }, CLI_IV_OPTS, CLI_COND_OPTS,
              { "--json", 0, NULL, "one JSON object on stdout (shared/contracts/cli.md)" }, { NULL, 0, NULL, NULL } },
    .run = run_ppl,
};

/* ---- merge-ppl ---------------------------------------------------------------------- */

static int by_window(const void *a, const void *b) {
    const mt_ppl_window *x = a, *y = b;
    if (x->document != y->document) return x->document < y->document ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

typedef struct order_item {
    mt_ppl_window w;
    size_t src;
} order_item;

static int by_item(const void *a, const void *b) { return by_window(&((const order_item *)a)->w, &((const order_item *)b)->w); }

/* Reads one shard into r (appending windows); the first fixes the run's fields. */
static int read_shard(const char *path, ppl_run *r, bool first, bool *seen, int *count) {
    char why[300];
    jv *v = jv_parse_file(path, why, sizeof why);
    if (!v) return cli_error(CLI_EXIT_USAGE, "%s: %s", path, why);
    int rc = 0;
    const jv *sh = jv_get(v, "shard"), *conds = jv_get(v, "conditions"), *wins = sh ? jv_get(sh, "windows") : NULL;
    const char *model = jv_str(v, "model");
    if (!sh || !conds || conds->kind != JV_ARR || !wins || wins->kind != JV_ARR || !model || conds->len == 0) {
        jv_free(v);
        return cli_error(CLI_EXIT_USAGE, "%s: not the --json output of moetop ppl --shard", path);
    }
    int index = (int)jv_num(sh, "index", -1), n = (int)jv_num(sh, "count", 0);
    if (first) {
        snprintf(r->model, sizeof r->model, "%s", model);
        r->documents = (uint64_t)jv_num(v, "documents", 0);
        r->ctx = (uint32_t)jv_num(v, "ctx", 0);
        r->stride = (uint32_t)jv_num(v, "stride", 0);
        r->resamples = (uint32_t)jv_num(v, "resamples", 0);
        r->seed = jv_get(v, "seed") ? jv_get(v, "seed")->u64 : 0;
        r->n_cond = conds->len;
        r->names = calloc(r->n_cond, sizeof *r->names);
        *count = n;
        if (!r->names) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        for (size_t c = 0; !rc && c < r->n_cond; c++) snprintf(r->names[c], MT_COND_NAME_MAX, "%s", jv_str(jv_at(conds, c), "name") ? jv_str(jv_at(conds, c), "name") : "");
    } else {
        bool same = strcmp(model, r->model) == 0 && (uint64_t)jv_num(v, "documents", 0) == r->documents &&
                    (uint32_t)jv_num(v, "ctx", 0) == r->ctx && (uint32_t)jv_num(v, "stride", 0) == r->stride &&
                    (uint32_t)jv_num(v, "resamples", 0) == r->resamples && jv_get(v, "seed") && jv_get(v, "seed")->u64 == r->seed &&
                    conds->len == r->n_cond && n == *count;
        for (size_t c = 0; same && c < r->n_cond; c++) same = jv_str(jv_at(conds, c), "name") && strcmp(jv_str(jv_at(conds, c), "name"), r->names[c]) == 0;
        if (!same) rc = cli_error(CLI_EXIT_USAGE, "%s: from another run (model, documents, ctx, stride, resamples, seed, conditions or shard count differ)", path);
    }
    if (!rc && (n < 1 || index < 0 || index >= n)) rc = cli_error(CLI_EXIT_USAGE, "%s: shard %d of %d is not a shard", path, index, n);
    if (!rc && seen[index]) rc = cli_error(CLI_EXIT_USAGE, "%s: shard %d/%d given twice", path, index, n);
    if (!rc) seen[index] = true;
    size_t base = r->n_windows;
    mt_ppl_window *gw = rc ? NULL : realloc(r->windows, (base + wins->len + 1) * sizeof *gw);
    if (gw) r->windows = gw;
    mt_ppl_sums *gs = rc || !gw ? NULL : realloc(r->sums, ((base + wins->len) * r->n_cond + 1) * sizeof *gs);
    if (gs) r->sums = gs;
    if (!rc && (!gw || !gs)) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    for (size_t i = 0; !rc && i < wins->len; i++) {
        const jv *w = jv_at(wins, i);
        const jv *arr[4] = { jv_get(w, "tokens"), jv_get(w, "nll_fx"), jv_get(w, "kl_fx"), jv_get(w, "top1") };
        bool good = jv_get(w, "document") && jv_get(w, "window");
        for (int k = 0; k < 4; k++) good = good && arr[k] && arr[k]->kind == JV_ARR && arr[k]->len == r->n_cond;
        if (!good) {
            rc = cli_error(CLI_EXIT_USAGE, "%s: window %zu is malformed", path, i);
            break;
        }
        r->windows[base + i] = (mt_ppl_window){ (uint32_t)jv_num(w, "document", 0), (uint32_t)jv_num(w, "window", 0), 0, 0, 0 };
        for (size_t c = 0; c < r->n_cond; c++) {
            mt_ppl_sums *x = &r->sums[(base + i) * r->n_cond + c];
            x->tokens = jv_at(arr[0], c)->u64;
            x->nll_fx = (int64_t)jv_at(arr[1], c)->u64;
            x->kl_fx = (int64_t)jv_at(arr[2], c)->u64;
            x->top1 = jv_at(arr[3], c)->u64;
        }
        r->n_windows++;
    }
    jv_free(v);
    return rc;
}

static int run_merge_ppl(const cli_command *cmd, cli_args *a) {
    const char *out = cli_get(a, "--output");
    if (!out) return cli_usage_error(cmd, "-o: an output file is required (- for stdout)");
    if (a->n_positional == 0) return cli_usage_error(cmd, "give the shards' JSON files");
    ppl_run r = { 0 };
    bool seen[100001] = { 0 };
    int count = 0, rc = 0;
    for (int i = 0; i < a->n_positional && !rc; i++) rc = read_shard(a->positional[i], &r, i == 0, seen, &count);
    for (int i = 0; !rc && i < count; i++)
        if (!seen[i]) rc = cli_error(CLI_EXIT_USAGE, "shard %d/%d is missing", i, count);
    if (!rc) {
        /* windows back in document order, their sums with them */
        order_item *items = malloc((r.n_windows + 1) * sizeof *items);
        mt_ppl_sums *sums = malloc((r.n_windows * r.n_cond + 1) * sizeof *sums);
        if (!items || !sums) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        for (size_t i = 0; !rc && i < r.n_windows; i++) items[i] = (order_item){ r.windows[i], i };
        if (!rc) qsort(items, r.n_windows, sizeof *items, by_item);
        for (size_t i = 0; !rc && i < r.n_windows; i++) {
            if (i && by_window(&items[i].w, &items[i - 1].w) == 0) rc = cli_error(CLI_EXIT_USAGE, "window %u of document %u is in two shards", items[i].w.index, items[i].w.document);
            r.windows[i] = items[i].w;
            memcpy(&sums[i * r.n_cond], &r.sums[items[i].src * r.n_cond], r.n_cond * sizeof *sums);
        }
        if (!rc) {
            free(r.sums);
            r.sums = sums;
            sums = NULL;
        }
        free(sums);
        free(items);
    }
    /* the merged result, whole, where -o says */
    if (!rc) rc = print_run(&r, true, 0, 0, out);
    run_free(&r);
    return rc;
}

const cli_command cmd_merge_ppl = {
    .name = "merge-ppl",
    .usage = "moetop merge-ppl -o OUT.json SHARD.json ...",
    .summary = "Merge the --json outputs of moetop ppl --shard i/N into exactly the unsharded result.",
    .max_positional = CLI_MAX_POSITIONAL,
    .positional_name = "SHARD.json",
    .opts = { { "--output", 'o', "FILE", "the merged result (- for stdout): the unsharded run's --json output" },
              { NULL, 0, NULL, NULL } },
    .run = run_merge_ppl,
};
