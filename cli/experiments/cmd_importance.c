/* `moetop importance`: per layer and expert, selection rate, mean weight,
 * REAP saliency, contribution, domain specialisation and consistency, and a
 * ranking by contribution that `prune --by importance` reads
 * (experiments/importance.h computes; experiments/expert_eval.h recomputes
 * each selected expert's output on the token's captured MoE input). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "cli/stats_input.h"
#include "exp_args.h"
#include "experiments/expert_eval.h"
#include "experiments/importance.h"
#include "experiments/importance_observe.h"
#include "structure.h"

static const char *const importance_definitions[] = {
    "selects      a token selects e when e's mixing weight g is > 0",
    "rate         selections / tokens (uniform use: k/E)",
    "mean weight  mean g over the tokens that selected e; - (JSON null) for an expert never",
    "             selected",
    "saliency     mean over the tokens that selected e of g * ||f_e(x)||_2 (REAP), f_e(x) the",
    "             expert's output on the token's MoE input (recomputed; 0 for a --zero'd expert);",
    "             - (JSON null) for an expert never selected",
    "contribution sum of g * ||f_e(x)|| over the tokens that selected e / all tokens",
    "             = rate * saliency",
    "rank         1 = the largest contribution (ties: lower id); prune --by importance keeps the",
    "             N best ranks of each layer",
    "special.     max over domains D of (e's selections from D) / (e's selections), shown with",
    "             D and D's share of all tokens (its value when e ignores domains); none with",
    "             fewer than two domains",
    "consistency  1 / (1 + CV) of e's per-prompt rates (CV: population sd / mean): 1 = the same",
    "             rate in every prompt; 0 when never selected; none with fewer than two prompts",
    NULL,
};

/* a CSV number: an empty field where it is undefined (NaN) */
static const char *csv_num(char *buf, double x) {
    if (isnan(x)) return "";
    snprintf(buf, 32, "%.9g", x);
    return buf;
}

typedef struct imp_run {
    cli_shard_head head;
    uint32_t L, E, k, n_domain, top_n; /* k: the model's */
    char **domains;
    mt_imp_layer *layers;
} imp_run;

static void run_free(imp_run *r) {
    for (uint32_t l = 0; r->layers && l < r->L; l++) mt_imp_free(&r->layers[l]);
    free(r->layers);
    for (uint32_t d = 0; r->domains && d < r->n_domain; d++) free(r->domains[d]);
    free(r->domains);
}

static bool run_alloc(imp_run *r) {
    r->layers = calloc(r->L, sizeof *r->layers);
    if (!r->layers) return false;
    for (uint32_t l = 0; l < r->L; l++)
        if (!mt_imp_init(&r->layers[l], r->E, r->n_domain)) return false;
    return true;
}

typedef struct imp_ctx {
    mt_imp_layer *layers;
    const mt_model *m;
    const mt_interventions *iv;
    mt_expert_eval *ev;
    mt_imp_scratch sc;
} imp_ctx;

static int observe(void *vctx, size_t index, const cli_prompt_item *item, mt_session *s) {
    (void)index;
    imp_ctx *c = vctx;
    mt_err err;
    if (!mt_imp_observe_session(c->layers, item->domain, s, c->m, c->iv, c->ev, &c->sc, &err)) return cli_error(CLI_EXIT_FAIL, "%s", err.msg);
    return 0;
}

int cli_importance_observe(const cli_model *cm, const cli_corpus *c, const mt_interventions *iv, int shard, int shards, mt_imp_layer *layers) {
    mt_err err;
    imp_ctx ctx = { layers, cm->m, iv, mt_expert_eval_new(cm->m, cm->cpu_threads, &err), { 0 } };
    /* its own C backend: what it says was said already when the model's backend is the C backend too */
    if (ctx.ev && strcmp(cm->be->name, "cpu") != 0) cli_backend_notices(mt_expert_eval_backend(ctx.ev), NULL);
    int rc = ctx.ev ? cli_shard_run(cm, c, iv, shard, shards, "importance", true, observe, &ctx) : cli_error(CLI_EXIT_FAIL, "%s", err.msg);
    mt_expert_eval_free(ctx.ev);
    mt_imp_scratch_free(&ctx.sc);
    return rc;
}

/* ---- output --------------------------------------------------------------------------- */

static void json_expert(mt_json *j, const imp_run *r, const mt_imp_layer *ly, uint32_t e, const mt_imp_summary *s) {
    const mt_imp_expert *x = &ly->e[e];
    mt_json_begin_object(j);
    mt_json_kv_u64(j, "expert", e);
    mt_json_kv_f64(j, "rate", s->rate);
    mt_json_kv_f64(j, "saliency", s->saliency);
    mt_json_kv_u64(j, "rank", s->rank);
    mt_json_kv_f64(j, "mean_weight", s->mean_weight);
    mt_json_kv_f64(j, "contribution", s->contribution);
    mt_json_kv_f64(j, "specialisation", s->specialisation);
    mt_json_key(j, "specialisation_domain");
    if (isnan(s->specialisation)) mt_json_null(j);
    else mt_json_string(j, r->domains[s->specialisation_domain]);
    mt_json_kv_f64(j, "specialisation_baseline", s->specialisation_baseline);
    mt_json_kv_f64(j, "consistency", s->consistency);
    mt_json_key(j, "sums");
    mt_json_begin_object(j);
    mt_json_kv_u64(j, "count", x->count);
    mt_json_kv_u64(j, "weight_fx", x->weight_fx);
    mt_json_kv_u64(j, "saliency_fx", x->saliency_fx);
    mt_json_kv_u64(j, "rate_fx", x->rate_fx);
    mt_json_kv_u64(j, "rate_sq_fx", x->rate_sq_fx);
    mt_json_key(j, "domains");
    mt_json_begin_array(j);
    for (uint32_t d = 0; d < r->n_domain; d++) mt_json_u64(j, ly->domain_count[(size_t)e * r->n_domain + d]);
    mt_json_end_array(j);
    mt_json_end_object(j);
    mt_json_end_object(j);
}

static int print_run(const imp_run *r, int mode, const char *out) {
    mt_imp_summary *s = calloc(r->E, sizeof *s);
    uint32_t *by_rank = calloc(r->E, sizeof *by_rank);
    if (!s || !by_rank) {
        free(s);
        free(by_rank);
        return cli_error(CLI_EXIT_FAIL, "out of memory");
    }
    int rc = 0;
    mt_json j = { 0 };
    if (mode == 1) {
        mt_json_begin_object(&j);
        cli_shard_head_write(&j, &r->head);
        mt_json_kv_u64(&j, "n_expert", r->E);
        mt_json_kv_u64(&j, "k", r->k);
        mt_json_kv_str(&j, "ranked_by", "contribution");
        mt_json_key(&j, "domains");
        mt_json_begin_array(&j);
        for (uint32_t d = 0; d < r->n_domain; d++) mt_json_string(&j, r->domains[d]);
        mt_json_end_array(&j);
        mt_json_key(&j, "layers");
        mt_json_begin_array(&j);
    } else if (mode == 2) {
        printf("layer,expert,rank,rate,mean_weight,saliency,contribution,specialisation,specialisation_domain,specialisation_baseline,"
               "consistency\n");
    } else {
        printf("%s: expert importance, %llu prompt%s in %u domain%s%s; ranked by contribution = rate x saliency\n", r->head.model,
               (unsigned long long)r->head.prompts, r->head.prompts == 1 ? "" : "s", r->n_domain, r->n_domain == 1 ? "" : "s",
               r->head.count ? " (one shard)" : "");
    }
    for (uint32_t l = 0; l < r->L; l++) {
        const mt_imp_layer *ly = &r->layers[l];
        mt_imp_summarize(ly, s);
        if (mode == 1) {
            mt_json_begin_object(&j);
            mt_json_kv_u64(&j, "layer", l);
            mt_json_kv_u64(&j, "tokens", ly->tokens);
            mt_json_kv_u64(&j, "prompts", ly->prompts);
            mt_json_key(&j, "domain_tokens");
            mt_json_begin_array(&j);
            for (uint32_t d = 0; d < r->n_domain; d++) mt_json_u64(&j, ly->domain_tokens[d]);
            mt_json_end_array(&j);
            mt_json_key(&j, "experts");
            mt_json_begin_array(&j);
            for (uint32_t e = 0; e < r->E; e++) json_expert(&j, r, ly, e, &s[e]);
            mt_json_end_array(&j);
            mt_json_end_object(&j);
            continue;
        }
        for (uint32_t e = 0; e < r->E; e++) by_rank[s[e].rank - 1] = e;
        if (mode == 2) {
            for (uint32_t e = 0; e < r->E; e++) {
                const mt_imp_summary *x = &s[e];
                char b[6][32];
                printf("%u,%u,%u,%s,%s,%s,%s,%s,", l, e, x->rank, csv_num(b[0], x->rate), csv_num(b[1], x->mean_weight),
                       csv_num(b[2], x->saliency), csv_num(b[3], x->contribution), csv_num(b[4], x->specialisation));
                if (!isnan(x->specialisation)) cli_csv_field(stdout, r->domains[x->specialisation_domain], strlen(r->domains[x->specialisation_domain]));
                printf(",%s,%s\n", csv_num(b[5], isnan(x->specialisation) ? NAN : x->specialisation_baseline), csv_num(b[0], x->consistency));
            }
            continue;
        }
        uint64_t selections = 0;
        for (uint32_t e = 0; e < r->E; e++) selections += ly->e[e].count;
        /* uniform use: the experts selected per token (k, unless interventions changed it) / E */
        printf("\nlayer %u, %llu token%s (rate under uniform use: experts selected per token / E = %.3f)\n", l, (unsigned long long)ly->tokens,
               ly->tokens == 1 ? "" : "s", ly->tokens ? (double)selections / (double)ly->tokens / r->E : 0.0);
        printf("  %4s %6s  %6s  %7s  %9s  %12s  %-28s  %11s\n", "rank", "expert", "rate", "mean g", "saliency", "contribution",
               "specialisation (domain, base)", "consistency");
        for (uint32_t i = 0; i < r->E && i < r->top_n; i++) {
            const mt_imp_summary *x = &s[by_rank[i]];
            char spec[64] = "n/a";
            if (!isnan(x->specialisation))
                snprintf(spec, sizeof spec, "%.3f (%.12s, %.3f)", x->specialisation, r->domains[x->specialisation_domain],
                         x->specialisation_baseline);
            char cons[24] = "n/a";
            if (!isnan(x->consistency)) snprintf(cons, sizeof cons, "%.3f", x->consistency);
            char mw[24] = "-", sal[24] = "-"; /* undefined for an expert never selected */
            if (!isnan(x->mean_weight)) snprintf(mw, sizeof mw, "%.3f", x->mean_weight);
            if (!isnan(x->saliency)) snprintf(sal, sizeof sal, "%.4g", x->saliency);
            printf("  %4u %6u  %6.3f  %7s  %9s  %12.4g  %-28s  %11s\n", x->rank, by_rank[i], x->rate, mw, sal, x->contribution, spec,
                   cons);
        }
    }
    if (mode == 1) {
        mt_json_end_array(&j);
        mt_json_end_object(&j);
        rc = mt_json_finish_to(&j, out);
    } else rc = fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
    free(s);
    free(by_rank);
    return rc;
}

static int run_importance(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    imp_run r = { 0 };
    int shard, shards;
    uint32_t top_n = 8;
    if (!cli_seed(a, &r.head.seed) || !cli_shard_opt(a, &shard, &shards) || !cli_get_u32(a, "--top", 1, 1000000, &top_n)) return CLI_EXIT_USAGE;
    if (cli_has(a, "--json") && cli_has(a, "--csv")) return cli_usage_error(a->cmd, "--json and --csv: give one");
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    cli_corpus c = { 0 };
    mt_interventions iv = { 0 };
    r.L = cm.m->hp.n_layer;
    r.E = cm.m->hp.n_expert;
    r.k = cm.m->hp.k;
    r.top_n = top_n;
    snprintf(r.head.experiment, sizeof r.head.experiment, "importance");
    snprintf(r.head.model, sizeof r.head.model, "%s", cli_base_name(cm.path));
    r.head.index = shard;
    r.head.count = shards;
    rc = cli_interventions(a, cm.m, &iv);
    if (!rc) rc = cli_corpus_load(a, &cm, &c);
    if (!rc) {
        r.head.prompts = c.n_items;
        r.n_domain = c.n_domains;
        r.domains = c.domains; /* moved */
        c.domains = NULL;
        c.n_domains = 0;
        if (!run_alloc(&r)) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    }
    if (!rc) rc = cli_importance_observe(&cm, &c, &iv, shard, shards, r.layers);
    if (!rc) rc = print_run(&r, cli_has(a, "--json") ? 1 : cli_has(a, "--csv") ? 2 : 0, NULL);
    mt_iv_free(&iv);
    cli_corpus_free(&c);
    run_free(&r);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_importance = {
    .name = "importance",
    .usage = "moetop importance -m MODEL.gguf [--prompt TEXT | --prompt-file FILE | --ids \"..\" | --prompts DIR] [--top 8] "
             "[--shard i/N] [intervention flags] [--json | --csv]",
    .summary = "Which experts matter most: rate, mean weight, REAP saliency, contribution, specialisation, consistency, rank.",
    .details = "Without a prompt, the bundled prompt sets (one domain per file). The text lists each layer's --top\n"
               "ranks; --json and --csv every expert in id order. Each selected expert's output is recomputed on\n"
               "the C backend from the token's MoE input. --shard i/N runs every N-th prompt (from the i-th);\n"
               "`moetop merge-shards` adds the shards' --json outputs into exactly the unsharded result.\n\n" CLI_IV_DETAILS,
    .definitions = importance_definitions,
    .opts = { CLI_MODEL_OPTS, CLI_CORPUS_OPTS, CLI_IV_OPTS, { "--top", 0, "N", "ranks listed per layer in the text (default 8)" },
              { "--seed", 0, "S", "accepted for the experiments' common flags; nothing here is random" }, CLI_SHARD_OPT,
              { "--json", 0, NULL, "one JSON object on stdout (shared/contracts/cli.md)" },
              { "--csv", 0, NULL, "every expert of every layer as CSV (RFC 4180)" }, { NULL, 0, NULL, NULL } },
    .run = run_importance,
};

/* ---- merge ---------------------------------------------------------------------------- */

static bool read_layer(const jv *x, mt_imp_layer *ly, uint64_t *buf) {
    const jv *tok = jv_get(x, "tokens"), *pr = jv_get(x, "prompts"), *experts = jv_get(x, "experts");
    if (!tok || !tok->is_u64 || !pr || !pr->is_u64 || !experts || experts->kind != JV_ARR || experts->len != ly->n_expert ||
        !cli_jv_u64s(jv_get(x, "domain_tokens"), buf, ly->n_domain))
        return false;
    ly->tokens += tok->u64;
    ly->prompts += pr->u64;
    for (uint32_t d = 0; d < ly->n_domain; d++) ly->domain_tokens[d] += buf[d];
    for (uint32_t e = 0; e < ly->n_expert; e++) {
        const jv *s = jv_get(jv_at(experts, e), "sums");
        static const char *const keys[] = { "count", "weight_fx", "saliency_fx", "rate_fx", "rate_sq_fx" };
        uint64_t v[5];
        for (int k = 0; k < 5; k++) {
            const jv *f = s ? jv_get(s, keys[k]) : NULL;
            if (!f || !f->is_u64) return false;
            v[k] = f->u64;
        }
        if (!cli_jv_u64s(jv_get(s, "domains"), buf, ly->n_domain)) return false;
        mt_imp_expert *ie = &ly->e[e];
        ie->count += v[0];
        ie->weight_fx += v[1];
        ie->saliency_fx += v[2];
        ie->rate_fx += v[3];
        ie->rate_sq_fx += v[4];
        for (uint32_t d = 0; d < ly->n_domain; d++) ly->domain_count[(size_t)e * ly->n_domain + d] += buf[d];
    }
    return true;
}

int cli_importance_merge(const cli_shard_head *h, jv *const *shards, const char *const *paths, int n, const char *out) {
    imp_run r = { 0 };
    r.head = *h;
    r.head.index = r.head.count = 0;
    const jv *layers0 = jv_get(shards[0], "layers"), *doms0 = jv_get(shards[0], "domains");
    r.E = (uint32_t)jv_num(shards[0], "n_expert", 0);
    r.k = (uint32_t)jv_num(shards[0], "k", 0);
    if (!layers0 || layers0->kind != JV_ARR || layers0->len == 0 || layers0->len > 100000 || r.E == 0 || r.E > 4096 || !doms0 ||
        doms0->kind != JV_ARR || doms0->len > 100000)
        return cli_error(CLI_EXIT_USAGE, "%s: not the --json output of moetop importance --shard", paths[0]);
    r.L = (uint32_t)layers0->len;
    r.n_domain = (uint32_t)doms0->len;
    int rc = 0;
    r.domains = calloc(r.n_domain + 1, sizeof *r.domains);
    uint64_t *buf = malloc((r.n_domain + 1) * sizeof *buf);
    if (!r.domains || !buf || !run_alloc(&r)) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    for (uint32_t d = 0; !rc && d < r.n_domain; d++) {
        const jv *s = jv_at(doms0, d);
        if (s->kind != JV_STR) rc = cli_error(CLI_EXIT_USAGE, "%s: domains: not strings", paths[0]);
        else if (!(r.domains[d] = strdup(s->str))) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    }
    for (int s = 0; !rc && s < n; s++) {
        const jv *layers = jv_get(shards[s], "layers"), *doms = jv_get(shards[s], "domains");
        bool good = layers && layers->kind == JV_ARR && layers->len == r.L && (uint32_t)jv_num(shards[s], "n_expert", 0) == r.E && doms &&
                    doms->kind == JV_ARR && doms->len == r.n_domain;
        for (uint32_t d = 0; good && d < r.n_domain; d++) good = jv_at(doms, d)->kind == JV_STR && strcmp(jv_at(doms, d)->str, r.domains[d]) == 0;
        for (uint32_t l = 0; good && l < r.L; l++) good = read_layer(jv_at(layers, l), &r.layers[l], buf);
        if (!good) rc = cli_error(CLI_EXIT_USAGE, "%s: from another run of importance (layers, experts or domains differ) or malformed", paths[s]);
    }
    if (!rc) rc = print_run(&r, 1, out);
    free(buf);
    run_free(&r);
    return rc;
}
