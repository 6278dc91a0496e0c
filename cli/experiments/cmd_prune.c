/* `moetop prune`: a smaller GGUF without some experts (engine/prune.h writes
 * it), the experts ranked by load over prompts, a profile, an importance file
 * or given as lists; --report measures the quality cost
 * (experiments/prune_report.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/corpus.h"
#include "cli/json.h"
#include "cli/json_read.h"
#include "cli/model_args.h"
#include "cli/profile_io.h"
#include "engine/prune.h"
#include "exp_args.h"
#include "experiments/importance.h"
#include "experiments/prune_report.h"
#include "problems_io.h"
#include "structure.h"

static const char *const prune_definitions[] = {
    "load        the ranking by default: count_e = tokens whose selected experts include e,",
    "            over every prompt (the bundled prompt sets, --prompts DIR or a prompt) run",
    "            without interventions, or over a --profile; a layer keeps its N experts",
    "            of highest count (equal counts: the lower id first)",
    "importance  --by importance: a layer keeps its N best ranks by contribution",
    "            (rate x REAP saliency, moetop importance --help) over the same prompts",
    "            run without interventions, or the `rank`s of --importance FILE (the",
    "            output of moetop importance --json); ranks: 1 = best",
    "structural  one expert count N in every layer: the expert tensors and the router's",
    "            rows and bias sliced to the kept experts in id order, expert_count N,",
    "            expert_used_count min(k, N); ids become 0..N-1, moetop.prune.kept holds",
    "            the original ids (n_layer x N, layer by layer)",
    "soft        the shape kept; removed experts' router bias -inf (never selected);",
    "            per-layer counts allowed, each at least k; moetop.prune.removed holds",
    "            (layer, original id) pairs",
    "exactness   the pruned file computes what the input computes with --mask of the",
    "            removed experts at their layers (routing and logits; tests/test_prune.c)",
    "report      before = the input; after = the input under condition `pruned` (that",
    "            mask), which the pruned file computes exactly. Perplexity over the",
    "            prompts (each alone, windows of --ctx) with its percentile bootstrap 95%",
    "            interval over documents; KL(before || after) and top-1 agreement per",
    "            token; accuracy on --problems (greedy, -n tokens) with its Wilson 95%",
    "            interval; fixed/broken problems and the exact McNemar p-value (moetop",
    "            ppl --help and moetop eval --help give each definition). Ranked by load",
    "            on the same prompts, the perplexity is in-sample: give --prompts another",
    "            set with --keep-lists or --profile for held-out text",
    "size        bytes of the input and output files",
    NULL,
};

/* --keep N or N,N,.. (one per layer); false after printing the error. */
static bool parse_keep(const char *v, const mt_prune_plan *p, uint32_t *keep) {
    const char *s = v;
    uint32_t n = 0;
    while (*s) {
        char *end;
        if (*s < '0' || *s > '9') break;
        unsigned long x = strtoul(s, &end, 10);
        if (end == s || x < 1 || x > p->n_expert || n == p->n_layer) break;
        keep[n++] = (uint32_t)x;
        s = end;
        if (*s == ',' && s[1]) s++;
        else if (*s) break;
    }
    if (*s || n == 0 || (n != 1 && n != p->n_layer)) {
        cli_error(CLI_EXIT_USAGE, "--keep: '%s' is not N or %u counts N,N,.. with each N in 1..%u", v, p->n_layer, p->n_expert);
        return false;
    }
    for (uint32_t l = n; l < p->n_layer; l++) keep[l] = keep[0];
    return true;
}

/* The "layers" array of a JSON file, every layer once: fn(layer object, l)
 * for each. 0 or an exit code after printing the error. */
typedef int (*layer_fn)(void *ctx, const char *path, const jv *layer, uint32_t l);

static int read_layers(const char *path, const mt_prune_plan *p, layer_fn fn, void *ctx) {
    char why[300];
    jv *v = jv_parse_file(path, why, sizeof why);
    if (!v) return cli_error(CLI_EXIT_USAGE, "%s: %s", path, why);
    const jv *layers = jv_get(v, "layers");
    int rc = 0;
    uint8_t *seen = calloc(p->n_layer, 1);
    if (!seen) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    else if (!layers || layers->kind != JV_ARR) rc = cli_error(CLI_EXIT_USAGE, "%s: no \"layers\" array", path);
    for (size_t i = 0; !rc && i < layers->len; i++) {
        const jv *l = jv_at(layers, i), *num = jv_get(l, "layer");
        if (!num || num->kind != JV_NUM || !num->is_u64 || num->u64 >= p->n_layer)
            rc = cli_error(CLI_EXIT_USAGE, "%s: layers[%zu]: \"layer\" is not a layer of the model (0..%u)", path, i, p->n_layer - 1);
        else if (seen[num->u64]) rc = cli_error(CLI_EXIT_USAGE, "%s: layer %llu is listed twice", path, (unsigned long long)num->u64);
        else {
            seen[num->u64] = 1;
            rc = fn(ctx, path, l, (uint32_t)num->u64);
        }
    }
    for (uint32_t l = 0; !rc && l < p->n_layer; l++)
        if (!seen[l]) rc = cli_error(CLI_EXIT_USAGE, "%s: layer %u is missing", path, l);
    free(seen);
    jv_free(v);
    return rc;
}

typedef struct lists_ctx {
    mt_prune_plan *p;
} lists_ctx;

/* --keep-lists: {"layers": [{"layer": l, "kept": [id, ..]}, ..]} (prune --json's own form). */
static int list_layer(void *ctx, const char *path, const jv *layer, uint32_t l) {
    mt_prune_plan *p = ((lists_ctx *)ctx)->p;
    const jv *kept = jv_get(layer, "kept");
    if (!kept || kept->kind != JV_ARR) return cli_error(CLI_EXIT_USAGE, "%s: layer %u: no \"kept\" array", path, l);
    uint8_t *keep = p->keep + (size_t)l * p->n_expert;
    memset(keep, 0, p->n_expert);
    for (size_t i = 0; i < kept->len; i++) {
        const jv *e = jv_at(kept, i);
        if (e->kind != JV_NUM || !e->is_u64 || e->u64 >= p->n_expert)
            return cli_error(CLI_EXIT_USAGE, "%s: layer %u: kept[%zu] is not an expert id of the model (0..%u)", path, l, i, p->n_expert - 1);
        if (keep[e->u64]) return cli_error(CLI_EXIT_USAGE, "%s: layer %u: expert %llu is listed twice", path, l, (unsigned long long)e->u64);
        keep[e->u64] = 1;
    }
    return 0;
}

typedef struct importance_ctx {
    const mt_prune_plan *p;
    double *score;
    uint64_t tokens; /* the file's tokens per layer (layer 0's) */
} importance_ctx;

/* --importance: moetop importance --json; score = -rank. */
static int importance_layer(void *ctx, const char *path, const jv *layer, uint32_t l) {
    importance_ctx *c = ctx;
    uint32_t E = c->p->n_expert;
    const jv *experts = jv_get(layer, "experts");
    if (!experts || experts->kind != JV_ARR || experts->len != E)
        return cli_error(CLI_EXIT_USAGE, "%s: layer %u: \"experts\" does not list the model's %u experts", path, l, E);
    double *score = c->score + (size_t)l * E;
    for (uint32_t e = 0; e < E; e++) score[e] = 1.0; /* not seen yet */
    for (size_t i = 0; i < E; i++) {
        const jv *x = jv_at(experts, i), *id = jv_get(x, "expert"), *rank = jv_get(x, "rank");
        if (!id || id->kind != JV_NUM || !id->is_u64 || id->u64 >= E || score[id->u64] <= 0.0)
            return cli_error(CLI_EXIT_USAGE, "%s: layer %u: experts[%zu]: \"expert\" is not a new id in 0..%u", path, l, i, E - 1);
        if (!rank || rank->kind != JV_NUM || !rank->is_u64 || rank->u64 < 1 || rank->u64 > E)
            return cli_error(CLI_EXIT_USAGE, "%s: layer %u: experts[%zu]: \"rank\" is not a whole number in 1..%u", path, l, i, E);
        for (uint32_t e = 0; e < E; e++)
            if (score[e] == -(double)rank->u64)
                return cli_error(CLI_EXIT_USAGE, "%s: layer %u: rank %llu is given to experts %u and %llu (each rank once)", path, l,
                                 (unsigned long long)rank->u64, e, (unsigned long long)id->u64);
        score[id->u64] = -(double)rank->u64;
    }
    const jv *tok = jv_get(layer, "tokens");
    if (l == 0 && tok && tok->is_u64) c->tokens = tok->u64;
    return 0;
}

/* --importance FILE: what `moetop importance --json` wrote, whole (not one
 * shard of a sharded run), for this model (its "model", when the file names
 * one, is the input's file name). 0 or an exit code after the error. */
static int importance_head(const char *path, const char *model) {
    char why[300];
    jv *v = jv_parse_file(path, why, sizeof why);
    if (!v) return cli_error(CLI_EXIT_USAGE, "%s: %s", path, why);
    const char *exp = jv_str(v, "experiment"), *of = jv_str(v, "model");
    const jv *sh = jv_get(v, "shard"), *cnt = sh ? jv_get(sh, "count") : NULL;
    int rc = 0;
    if (exp && strcmp(exp, "importance") != 0)
        rc = cli_error(CLI_EXIT_USAGE, "%s: the output of moetop %s, not of moetop importance", path, exp);
    else if (cnt && cnt->is_u64 && cnt->u64 > 0)
        rc = cli_error(CLI_EXIT_USAGE, "%s: one shard of %llu; merge the shards first (moetop merge-shards)", path, (unsigned long long)cnt->u64);
    else if (of && strcmp(of, model) != 0)
        rc = cli_error(CLI_EXIT_USAGE, "%s: the ranks of %s, not of %s (run moetop importance -m on this model)", path, of, model);
    jv_free(v);
    return rc;
}

typedef struct load_ctx {
    mt_stats *st;
} load_ctx;

static int observe(void *ctx, const cli_prompt_item *item, const mt_session *s) {
    (void)item;
    cli_stats_observe_session(((load_ctx *)ctx)->st, s);
    return 0;
}

/* score[l*E+e] = count_e of layer l, from a profile or by running the prompts. */
static int load_scores(const cli_args *a, const cli_model *cm, const cli_corpus *c, const mt_prune_plan *p, double *score,
                       uint64_t *tokens) {
    mt_stats st = { 0 };
    mt_profile prof = { 0 };
    const char *profile = cli_get(a, "--profile");
    int rc = 0;
    if (profile) {
        if (!mt_profile_read(profile, &prof)) return CLI_EXIT_USAGE;
        if (prof.stats.n_layer != p->n_layer || prof.stats.n_expert != p->n_expert)
            rc = cli_error(CLI_EXIT_USAGE, "%s: a profile of %u layers x %u experts, the model has %u x %u", profile, prof.stats.n_layer,
                           prof.stats.n_expert, p->n_layer, p->n_expert);
        st = prof.stats;
    } else {
        mt_interventions none;
        if (!mt_stats_init(&st, p->n_layer, p->n_expert) || !mt_iv_init(&none, p->n_layer, p->n_expert)) {
            mt_stats_free(&st);
            return cli_error(CLI_EXIT_FAIL, "out of memory");
        }
        load_ctx ctx = { &st };
        rc = cli_corpus_run(cm, c, &none, observe, &ctx);
        mt_iv_free(&none);
    }
    for (uint32_t l = 0; !rc && l < p->n_layer; l++)
        for (uint32_t e = 0; e < p->n_expert; e++) score[(size_t)l * p->n_expert + e] = (double)st.layers[l].count[e];
    *tokens = st.n_layer ? st.layers[0].tokens : 0;
    if (profile) mt_profile_free(&prof);
    else mt_stats_free(&st);
    return rc;
}

/* --by importance without a file: score[l*E+e] = -rank of e at layer l, the
 * ranks of `moetop importance` over the same prompts without interventions. */
static int importance_scores(const cli_model *cm, const cli_corpus *c, const mt_prune_plan *p, double *score, uint64_t *tokens) {
    uint32_t L = p->n_layer, E = p->n_expert;
    mt_imp_layer *layers = calloc(L, sizeof *layers);
    mt_imp_summary *sum = calloc(E, sizeof *sum);
    mt_interventions none = { 0 };
    int rc = 0;
    bool ok = layers && sum && mt_iv_init(&none, L, E);
    for (uint32_t l = 0; ok && l < L; l++) ok = mt_imp_init(&layers[l], E, c->n_domains);
    rc = ok ? cli_importance_observe(cm, c, &none, 0, 0, layers) : cli_error(CLI_EXIT_FAIL, "out of memory");
    for (uint32_t l = 0; !rc && l < L; l++) {
        mt_imp_summarize(&layers[l], sum);
        for (uint32_t e = 0; e < E; e++) score[(size_t)l * E + e] = -(double)sum[e].rank;
    }
    *tokens = !rc && L ? layers[0].tokens : 0;
    for (uint32_t l = 0; layers && l < L; l++) mt_imp_free(&layers[l]);
    free(layers);
    free(sum);
    mt_iv_free(&none);
    return rc;
}

static uint64_t file_size(const char *path) {
    struct stat s;
    return stat(path, &s) == 0 ? (uint64_t)s.st_size : 0;
}

/* ---- output ------------------------------------------------------------------------- */

typedef struct prune_out {
    const char *in, *out, *by;
    const mt_prune_plan *p;
    const double *score; /* [L*E] or NULL */
    uint64_t tokens, bytes_in, bytes_out;
    const mt_prune_quality *q; /* NULL without --report */
    bool in_sample;            /* ranked on the prompts the report scores */
    const char *problems;
} prune_out;

static void json_ids(mt_json *j, const char *key, const mt_prune_plan *p, uint32_t l, int kept) {
    mt_json_key(j, key);
    mt_json_begin_array(j);
    for (uint32_t e = 0; e < p->n_expert; e++)
        if (p->keep[(size_t)l * p->n_expert + e] == kept) mt_json_u64(j, e);
    mt_json_end_array(j);
}

static void json_interval(mt_json *j, const char *key, double lo, double hi) {
    mt_json_key(j, key);
    mt_json_begin_array(j);
    mt_json_f64(j, lo);
    mt_json_f64(j, hi);
    mt_json_end_array(j);
}

static void json_report(mt_json *j, const prune_out *o) {
    const mt_prune_quality *q = o->q;
    static const char *const names[2] = { "before", "after" };
    mt_json_key(j, "report");
    mt_json_begin_object(j);
    mt_json_kv_u64(j, "documents", q->documents);
    mt_json_kv_u64(j, "tokens", q->ppl[0].tokens);
    mt_json_kv_str(j, "problem_set", o->problems);
    mt_json_kv_u64(j, "problems", q->problems);
    mt_json_key(j, "in_sample");
    mt_json_bool(j, o->in_sample);
    for (int i = 0; i < 2; i++) {
        const mt_ppl_summary *s = &q->ppl[i];
        const mt_eval_summary *e = &q->eval[i];
        mt_json_key(j, names[i]);
        mt_json_begin_object(j);
        mt_json_kv_f64(j, "nll_mean", s->nll_mean);
        mt_json_kv_f64(j, "ppl", s->ppl);
        json_interval(j, "ppl95", s->ppl_lo, s->ppl_hi);
        mt_json_kv_u64(j, "correct", e->correct);
        mt_json_kv_f64(j, "accuracy", e->accuracy);
        json_interval(j, "wilson95", e->wilson_lo, e->wilson_hi);
        if (i == 1) {
            mt_json_kv_f64(j, "kl_mean", s->kl_mean);
            mt_json_kv_f64(j, "top1_agreement", s->top1_agreement);
            mt_json_kv_u64(j, "fixed", e->fixed);
            mt_json_kv_u64(j, "broken", e->broken);
            mt_json_kv_f64(j, "p_mcnemar", e->p_mcnemar);
        }
        mt_json_end_object(j);
    }
    mt_json_end_object(j);
}

static int print_json(const prune_out *o) {
    const mt_prune_plan *p = o->p;
    uint32_t N = mt_prune_kept(p, 0);
    mt_json j = { 0 };
    mt_json_begin_object(&j);
    mt_json_kv_str(&j, "input", cli_base_name(o->in));
    mt_json_kv_str(&j, "output", cli_base_name(o->out));
    mt_json_kv_str(&j, "mode", p->soft ? "soft" : "structural");
    mt_json_kv_str(&j, "by", o->by);
    mt_json_kv_u64(&j, "n_layer", p->n_layer);
    mt_json_kv_u64(&j, "n_expert_in", p->n_expert);
    mt_json_kv_u64(&j, "n_expert_out", p->soft ? p->n_expert : N);
    mt_json_kv_u64(&j, "k_in", p->k);
    mt_json_kv_u64(&j, "k_out", p->soft || p->k < N ? p->k : N);
    mt_json_kv_u64(&j, "tokens", o->tokens);
    mt_json_kv_u64(&j, "bytes_in", o->bytes_in);
    mt_json_kv_u64(&j, "bytes_out", o->bytes_out);
    mt_json_key(&j, "layers");
    mt_json_begin_array(&j);
    for (uint32_t l = 0; l < p->n_layer; l++) {
        mt_json_begin_object(&j);
        mt_json_kv_u64(&j, "layer", l);
        json_ids(&j, "kept", p, l, 1);
        json_ids(&j, "removed", p, l, 0);
        if (o->score) { /* load: counts; importance: ranks (score = -rank) */
            bool load = strcmp(o->by, "load") == 0;
            mt_json_key(&j, load ? "counts" : "ranks");
            mt_json_begin_array(&j);
            for (uint32_t e = 0; e < p->n_expert; e++) {
                double x = o->score[(size_t)l * p->n_expert + e];
                mt_json_u64(&j, (uint64_t)(load ? x : -x));
            }
            mt_json_end_array(&j);
        }
        mt_json_end_object(&j);
    }
    mt_json_end_array(&j);
    if (o->q) json_report(&j, o);
    mt_json_end_object(&j);
    return mt_json_finish(&j);
}

static void print_ids(const mt_prune_plan *p, uint32_t l, int kept) {
    for (uint32_t e = 0; e < p->n_expert; e++)
        if (p->keep[(size_t)l * p->n_expert + e] == kept) printf(" %u", e);
}

static int print_text(const prune_out *o) {
    const mt_prune_plan *p = o->p;
    uint32_t N = mt_prune_kept(p, 0);
    printf("%s -> %s: %s prune of %u experts per layer", cli_base_name(o->in), cli_base_name(o->out), p->soft ? "soft" : "structural",
           p->n_expert);
    if (p->soft) printf(" (shape kept, k = %u)\n", p->k);
    else printf(" to %u, k %u -> %u\n", N, p->k, p->k < N ? p->k : N);
    if (strcmp(o->by, "load") == 0) printf("ranked by load: selections over %llu tokens per layer\n", (unsigned long long)o->tokens);
    else if (strcmp(o->by, "lists") == 0) printf("kept: the lists given\n");
    else if (o->tokens) printf("ranked by importance: contribution = rate x saliency over %llu tokens per layer\n", (unsigned long long)o->tokens);
    else printf("kept: each layer's best ranks of the importance file\n");
    printf("size: %llu -> %llu bytes (%.1f%%)\n\n", (unsigned long long)o->bytes_in, (unsigned long long)o->bytes_out,
           o->bytes_in ? 100.0 * (double)o->bytes_out / (double)o->bytes_in : 0.0);
    printf("layer  kept (the input's ids)  |  removed\n");
    for (uint32_t l = 0; l < p->n_layer; l++) {
        printf("%5u ", l);
        print_ids(p, l, 1);
        printf("  |");
        print_ids(p, l, 0);
        putchar('\n');
    }
    if (o->q) {
        const mt_prune_quality *q = o->q;
        printf("\nquality (after = the input with the removed experts masked, which the pruned file computes exactly):\n");
        if (o->in_sample)
            printf("in-sample: the experts were ranked on the prompts whose perplexity this is (held-out text: --profile or\n"
                   "--keep-lists from another prompt set, see --help)\n");
        printf("perplexity over %llu documents, %llu tokens (95%%: percentile bootstrap); accuracy on %s, %zu problems (95%%: Wilson)\n",
               (unsigned long long)q->documents, (unsigned long long)q->ppl[0].tokens, o->problems, q->problems);
        printf("%-7s  %10s  %-20s  %9s  %-16s\n", "", "perplexity", "95% interval", "accuracy", "95% interval");
        for (int i = 0; i < 2; i++) {
            char ci[48], wi[40];
            if (q->ppl[i].ppl_lo != q->ppl[i].ppl_lo) snprintf(ci, sizeof ci, "n/a (one unit)");
            else snprintf(ci, sizeof ci, "[%.4g, %.4g]", q->ppl[i].ppl_lo, q->ppl[i].ppl_hi);
            snprintf(wi, sizeof wi, "[%.3f, %.3f]", q->eval[i].wilson_lo, q->eval[i].wilson_hi);
            printf("%-7s  %10.4g  %-20s  %9.3f  %-16s\n", i ? "after" : "before", q->ppl[i].ppl, ci, q->eval[i].accuracy, wi);
        }
        printf("after against before: KL %.4f nats/token, top-1 agreement %.3f; %llu problem%s fixed, %llu broken, exact McNemar p = %.4g\n",
               q->ppl[1].kl_mean, q->ppl[1].top1_agreement, (unsigned long long)q->eval[1].fixed, q->eval[1].fixed == 1 ? "" : "s",
               (unsigned long long)q->eval[1].broken,
               q->eval[1].p_mcnemar);
    }
    return fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
}

/* ---- the command ---------------------------------------------------------------------- */

static bool same_file(const char *a, const char *b) {
    struct stat x, y;
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* --report: perplexity over the corpus, accuracy on --problems. */
static int report(const cli_args *a, const cli_model *cm, const cli_corpus *c, const mt_prune_plan *p, mt_prune_quality *q,
                  const char **problems) {
    uint32_t ctx = cm->m->hp.n_ctx < 1024 ? cm->m->hp.n_ctx : 1024, resamples = 1000, max_tokens = 16;
    uint64_t seed;
    if (!cli_get_u32(a, "--ctx", 2, cm->m->hp.n_ctx, &ctx) || !cli_get_u32(a, "--resamples", 1, 1000000, &resamples) ||
        !cli_get_u32(a, "--max-tokens", 1, 1u << 20, &max_tokens) || !cli_seed(a, &seed))
        return CLI_EXIT_USAGE;
    *problems = cli_get(a, "--problems") ? cli_get(a, "--problems") : "add-1";
    cli_problems ps;
    int rc = cli_problems_load(*problems, &ps);
    if (rc) return rc;
    mt_ids *docs = calloc(c->n_items + 1, sizeof *docs);
    if (!docs) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    for (size_t i = 0; !rc && i < c->n_items; i++) docs[i] = c->items[i].ids; /* borrowed */
    mt_err err;
    if (!rc && !mt_prune_quality_run(cm->m, cm->be, cm->tok, p, docs, c->n_items, ctx, resamples, seed, ps.items, ps.n, max_tokens, q, &err))
        rc = cli_error(strstr(err.msg, "problem ") == err.msg || strstr(err.msg, "no document") ? CLI_EXIT_USAGE : CLI_EXIT_FAIL,
                       "--report: %s", err.msg);
    free(docs);
    cli_problems_free(&ps);
    return rc;
}

static int run_prune(const cli_command *cmd, cli_args *a) {
    const char *out = cli_get(a, "--output"), *by = cli_get(a, "--by"), *keep_arg = cli_get(a, "--keep");
    const char *lists = cli_get(a, "--keep-lists"), *importance = cli_get(a, "--importance");
    if (!out) return cli_usage_error(cmd, "-o: the output file is required");
    if (strcmp(out, "-") == 0) return cli_usage_error(cmd, "-o -: the pruned model is a file (its report goes to stdout); give a path");
    if (!keep_arg && !lists) return cli_usage_error(cmd, "--keep: give the experts to keep per layer (or --keep-lists FILE)");
    if (by && strcmp(by, "load") != 0 && strcmp(by, "importance") != 0)
        return cli_usage_error(cmd, "--by: '%s' is not load or importance", by);
    bool by_importance = by && strcmp(by, "importance") == 0;
    if (importance && !by_importance) return cli_usage_error(cmd, "--importance: goes with --by importance");
    if (lists && (by || cli_has(a, "--profile")))
        return cli_usage_error(cmd, "--keep-lists: the lists say what to keep; leave out --by and --profile");
    if (by_importance && cli_has(a, "--profile")) return cli_usage_error(cmd, "--profile: a ranking by load; leave out --by importance");
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    if (same_file(cm.path, out)) {
        cli_model_close(&cm);
        return cli_error(CLI_EXIT_USAGE, "%s: the output is the input model; write elsewhere", out);
    }
    mt_prune_plan p;
    mt_err err;
    cli_corpus c = { 0 };
    double *score = NULL;
    uint32_t *keep = NULL;
    uint64_t tokens = 0;
    mt_prune_quality q;
    const char *problems = NULL;
    if (!mt_prune_plan_init(&p, cm.g, &err)) {
        cli_model_close(&cm);
        return cli_error(CLI_EXIT_USAGE, "%s", err.msg);
    }
    p.soft = cli_has(a, "--soft");
    keep = calloc(p.n_layer, sizeof *keep);
    score = calloc((size_t)p.n_layer * p.n_expert, sizeof *score);
    bool need_corpus = (!lists && !importance && !cli_has(a, "--profile")) || cli_has(a, "--report");
    if (!keep || !score) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    else if (keep_arg && !parse_keep(keep_arg, &p, keep)) rc = CLI_EXIT_USAGE;
    else if (need_corpus) rc = cli_corpus_load(a, &cm, &c);
    if (!rc && lists) {
        lists_ctx ctx = { &p };
        rc = read_layers(lists, &p, list_layer, &ctx);
        for (uint32_t l = 0; !rc && keep_arg && l < p.n_layer; l++)
            if (mt_prune_kept(&p, l) != keep[l])
                rc = cli_error(CLI_EXIT_USAGE, "%s: layer %u keeps %u experts, --keep says %u", lists, l, mt_prune_kept(&p, l), keep[l]);
    } else if (!rc) {
        if (importance) {
            importance_ctx ctx = { &p, score, 0 };
            rc = importance_head(importance, cli_base_name(cm.path));
            if (!rc) rc = read_layers(importance, &p, importance_layer, &ctx);
            tokens = ctx.tokens;
        } else if (by_importance) rc = importance_scores(&cm, &c, &p, score, &tokens);
        else rc = load_scores(a, &cm, &c, &p, score, &tokens);
        for (uint32_t l = 0; !rc && l < p.n_layer; l++) mt_prune_keep_best(&p, l, score + (size_t)l * p.n_expert, keep[l]);
    }
    if (!rc && !mt_prune_check(cm.g, &p, &err)) rc = cli_error(CLI_EXIT_USAGE, "%s", err.msg);
    if (!rc && cli_has(a, "--report")) rc = report(a, &cm, &c, &p, &q, &problems);
    if (!rc && !mt_prune_write(cm.g, &p, out, &err)) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
    if (!rc) {
        prune_out o = { .in = cm.path, .out = out, .by = lists ? "lists" : by_importance ? "importance" : "load", .p = &p,
                        .score = lists ? NULL : score, .tokens = tokens, .bytes_in = file_size(cm.path),
                        .bytes_out = file_size(out), .q = cli_has(a, "--report") ? &q : NULL, .problems = problems,
                        .in_sample = !lists && !importance && !cli_has(a, "--profile") };
        rc = cli_has(a, "--json") ? print_json(&o) : print_text(&o);
    }
    free(keep);
    free(score);
    cli_corpus_free(&c);
    mt_prune_plan_free(&p);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_prune = {
    .name = "prune",
    .usage = "moetop prune -m IN.gguf -o OUT.gguf (--keep N[,N..] [--by load|importance] [--prompts DIR | --profile FILE | "
             "--importance FILE] | --keep-lists FILE) [--soft] [--report [--problems NAME|FILE]] [--json]",
    .summary = "Write a GGUF without some experts (structural or soft), ranked by load or importance; --report: the quality cost.",
    .details = "Structural (the default): every layer keeps N experts and the file shrinks: a model of the same\n"
               "family with N experts in llama.cpp's layout. --soft (gpt-oss: the other families have no router\n"
               "bias): the shape is kept and the removed experts' router\n"
               "bias is -inf, so counts may differ per layer (--keep 8,12,8,..., each at least k). Kept\n"
               "experts are each layer's N of highest load over the bundled prompt sets (or --prompts, a\n"
               "prompt, or --profile FILE from moetop profile), or each layer's best importance ranks with\n"
               "--by importance (computed over the same prompts, or read from --importance FILE, the output\n"
               "of moetop importance --json), or exactly the lists of --keep-lists FILE:\n"
               "{\"layers\": [{\"layer\": 0, \"kept\": [0, 3, ..]}, ..]}, the form of prune --json (ids of\n"
               "the input). Pruning a pruned file composes moetop.prune.kept; a soft-pruned input is refused.\n"
               "--report also scores the input with and without the removed experts (perplexity over the\n"
               "prompts, accuracy on --problems, default add-1) before writing.",
    .definitions = prune_definitions,
    .opts = { CLI_MODEL_OPTS, CLI_CORPUS_OPTS, { "--output", 'o', "FILE", "the pruned model to write" },
              { "--keep", 0, "N[,N..]", "experts kept per layer (one N, or one per layer with --soft)" },
              { "--by", 0, "load|importance", "the ranking (default load)" },
              { "--profile", 0, "FILE", "rank by the loads of a moetop profile" },
              { "--importance", 0, "FILE", "with --by importance: its ranks from moetop importance --json" },
              { "--keep-lists", 0, "FILE", "the kept experts of every layer, as JSON" },
              { "--soft", 0, NULL, "keep the shape: removed experts get router bias -inf" },
              { "--report", 0, NULL, "perplexity and accuracy before and after, with intervals" },
              { "--problems", 0, "FILE|NAME", "the report's problem set (default add-1)" },
              { "--max-tokens", 'n', "N", "the report's greedy tokens per problem (default 16)" },
              { "--ctx", 0, "N", "the report's perplexity windows (default min(context, 1024))" },
              { "--resamples", 0, "N", "the report's bootstrap resamples (default 1000)" },
              { "--seed", 0, "S", "the report's bootstrap seed (default 0)" },
              { "--json", 0, NULL, "one JSON object on stdout" }, { NULL, 0, NULL, NULL } },
    .run = run_prune,
};
