/* `moetop predict`: from layer a's routing or hidden state, predict the
 * experts layer b selects, trained on part of a prompt set and scored on the
 * rest, against chance (experiments/predict.h computes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/corpus.h"
#include "cli/json.h"
#include "cli/model_args.h"
#include "engine/rng.h"
#include "exp_args.h"
#include "experiments/predict.h"
#include "experiments/significance.h"

static const char *const predict_definitions[] = {
    "split        --train-share of the prompts (seeded shuffle by --seed) train, the rest are",
    "             scored; with one prompt, its first round(--train-share x tokens) tokens train",
    "train, test  tokens (not prompts) trained on and scored (JSON train_tokens, test_tokens)",
    "features     routing: layer a's router probabilities softmax(z) over its E experts (before",
    "             interventions); hidden: layer a's MoE input (the normed residual)",
    "frequency    predicts b's most often selected experts in training, the same for every token",
    "co-occur.    scores e by the sum over a's selected experts i of P(e at b | i at a) (training)",
    "probe        one L2-regularised logistic regression per expert of b (liblinear, C = 1) on",
    "             the standardised features",
    "precision@k  mean over scored tokens of |predicted k ∩ selected at b| / k; chance mean|S|/E",
    "recall@k     mean of |predicted k ∩ S| / |S|; chance k/E",
    "hit@k'       mean of |prefetched k' ∩ S| / |S|: the share of the experts b needs that a",
    "             prefetch of the k' best-scored experts holds; chance k'/E",
    "95% CI       Wilson 95% interval of precision@k and of hit@k' over the n scored tokens (the",
    "             token is the unit: one token's k predictions are not independent): Wilson's",
    "             score formula with p the mean and n the test tokens (mt_wilson95(p n, n) when",
    "             p n is whole); - (JSON null) without test tokens (JSON *_ci95: [lo, hi])",
    NULL,
};

static const char *const pred_names[MT_PRED_KINDS] = { "frequency", "co-occurrence", "probe" };

typedef struct pred_ctx {
    uint32_t n_pairs, (*pairs)[2];
    uint32_t E, d;
    bool hidden;
    const cli_prompt_item *first; /* the corpus's items: a prompt's index is its distance from here */
    const uint8_t *is_train;      /* [prompts], or NULL: split by tokens */
    double share;
    mt_pred_set *train, *test; /* [n_pairs] */
    float *feat;
    uint8_t *in_a, *in_b;
} pred_ctx;

static void selected(const mt_session *s, uint32_t l, uint32_t t, uint32_t E, uint8_t *in) {
    const uint32_t *ex;
    const float *w;
    float margin;
    uint32_t k = mt_session_route(s, l, t, &ex, &w, &margin);
    memset(in, 0, E);
    for (uint32_t i = 0; i < k; i++)
        if (w[i] > 0.0f && ex[i] < E) in[ex[i]] = 1;
}

static int observe(void *vctx, const cli_prompt_item *item, const mt_session *s) {
    pred_ctx *c = vctx;
    uint32_t T = mt_session_length(s);
    size_t index = (size_t)(item - c->first);
    for (uint32_t p = 0; p < c->n_pairs; p++) {
        uint32_t a = c->pairs[p][0], b = c->pairs[p][1];
        for (uint32_t t = 0; t < T; t++) {
            if (c->hidden) memcpy(c->feat, mt_session_moe_input(s, a, t), c->d * sizeof *c->feat);
            else {
                const float *z = mt_session_router_logits(s, a, t);
                float top = -INFINITY, sum = 0;
                for (uint32_t e = 0; e < c->E; e++) top = z[e] > top ? z[e] : top;
                for (uint32_t e = 0; e < c->E; e++) sum += c->feat[e] = expf(z[e] - top);
                for (uint32_t e = 0; e < c->E; e++) c->feat[e] /= sum;
            }
            selected(s, a, t, c->E, c->in_a);
            selected(s, b, t, c->E, c->in_b);
            bool tr = c->is_train ? c->is_train[index] : (long long)t < llround(c->share * T);
            if (!mt_pred_push(tr ? &c->train[p] : &c->test[p], c->feat, c->in_a, c->in_b)) return cli_error(CLI_EXIT_FAIL, "out of memory");
        }
    }
    return 0;
}

/* Wilson 95% interval of a mean share p over n tokens (the token the unit):
 * mt_wilson95 when p n is a whole count, else the same score formula with p;
 * NaN without tokens */
static void wilson_mean(double p, size_t n, double *lo, double *hi) {
    if (n == 0 || isnan(p)) {
        *lo = *hi = NAN;
        return;
    }
    double nn = (double)n, k = p * nn;
    if (fabs(k - llround(k)) < 1e-9) {
        mt_wilson95((uint64_t)llround(k), n, lo, hi);
        return;
    }
    double z = MT_Z95, z2 = z * z, denom = 1.0 + z2 / nn;
    double centre = (p + z2 / (2.0 * nn)) / denom, half = z * sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn)) / denom;
    *lo = centre - half < 0.0 ? 0.0 : centre - half;
    *hi = centre + half > 1.0 ? 1.0 : centre + half;
}

static void json_ci(mt_json *j, const char *key, double p, size_t n) {
    double lo, hi;
    wilson_mean(p, n, &lo, &hi);
    mt_json_key(j, key);
    if (isnan(lo)) {
        mt_json_null(j);
        return;
    }
    mt_json_begin_array(j);
    mt_json_f64(j, lo);
    mt_json_f64(j, hi);
    mt_json_end_array(j);
}

static void json_result(mt_json *j, const mt_pred_result *r) {
    mt_json_kv_f64(j, "precision_at_k", r->precision);
    json_ci(j, "precision_at_k_ci95", r->precision, r->tokens);
    mt_json_kv_f64(j, "recall_at_k", r->recall);
    mt_json_kv_f64(j, "hit_at_prefetch", r->hit);
    json_ci(j, "hit_at_prefetch_ci95", r->hit, r->tokens);
}

/* "x [lo, hi]" or "-" */
static const char *with_ci(char *buf, size_t cap, double p, size_t n) {
    double lo, hi;
    if (isnan(p)) return "-";
    wilson_mean(p, n, &lo, &hi);
    if (isnan(lo)) snprintf(buf, cap, "%.3f [-]", p);
    else snprintf(buf, cap, "%.3f [%.3f, %.3f]", p, lo, hi);
    return buf;
}

/* --pairs "A:B,.." */
static int parse_pairs(const char *v, uint32_t L, pred_ctx *c) {
    c->pairs = calloc(strlen(v) / 2 + 1, sizeof *c->pairs);
    if (!c->pairs) return cli_error(CLI_EXIT_FAIL, "out of memory");
    for (const char *p = v; *p;) {
        char *end;
        unsigned long a = strtoul(p, &end, 10), b;
        if (end == p || *end != ':' || *p == '-' || *p == '+') goto bad;
        const char *q = end + 1;
        b = strtoul(q, &end, 10);
        if (end == q || *q == '-' || *q == '+' || a >= L || b >= L || a == b || (*end && *end != ',')) goto bad;
        c->pairs[c->n_pairs][0] = (uint32_t)a;
        c->pairs[c->n_pairs++][1] = (uint32_t)b;
        p = *end ? end + 1 : end;
        if (*end && !*p) goto bad;
    }
    if (c->n_pairs) return 0;
bad:
    return cli_error(CLI_EXIT_USAGE, "--pairs: '%s' is not a list A:B,.. of two different layers in 0..%u", v, L - 1);
}

static int run_predict(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    uint64_t seed;
    float share = 0.8f;
    if (!cli_seed(a, &seed) || !cli_get_float(a, "--train-share", &share)) return CLI_EXIT_USAGE;
    if (!(share > 0.0f && share < 1.0f)) return cli_error(CLI_EXIT_USAGE, "--train-share: %g is not between 0 and 1 (exclusive)", (double)share);
    const char *features = cli_get(a, "--features") ? cli_get(a, "--features") : "routing";
    if (strcmp(features, "routing") && strcmp(features, "hidden"))
        return cli_error(CLI_EXIT_USAGE, "--features: '%s' is not routing or hidden", features);
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    const mt_hparams *hp = &cm.m->hp;
    uint32_t k = hp->k, kp = 2 * hp->k < hp->n_expert ? 2 * hp->k : hp->n_expert, L = hp->n_layer;
    cli_corpus c = { 0 };
    mt_interventions iv = { 0 };
    uint8_t *is_train = NULL;
    pred_ctx ctx = { 0 };
    ctx.E = hp->n_expert;
    ctx.d = hp->d_model;
    ctx.hidden = strcmp(features, "hidden") == 0;
    ctx.share = share;
    if (!cli_get_u32(a, "--at-k", 1, hp->n_expert, &k) || !cli_get_u32(a, "--prefetch", 1, hp->n_expert, &kp)) rc = CLI_EXIT_USAGE;
    if (!rc && cli_get(a, "--pairs")) rc = parse_pairs(cli_get(a, "--pairs"), L, &ctx);
    else if (!rc && L < 2) rc = cli_error(CLI_EXIT_USAGE, "%s: one layer: no pairs (give --pairs)", cm.path);
    else if (!rc) {
        if (!(ctx.pairs = calloc(L - 1, sizeof *ctx.pairs))) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        for (uint32_t l = 0; !rc && l + 1 < L; l++) ctx.pairs[ctx.n_pairs][0] = l, ctx.pairs[ctx.n_pairs++][1] = l + 1;
    }
    if (!rc) rc = cli_interventions(a, cm.m, &iv);
    if (!rc) rc = cli_corpus_load(a, &cm, &c);
    size_t n_train = 0;
    if (!rc) {
        uint32_t F = ctx.hidden ? ctx.d : ctx.E;
        ctx.train = calloc(ctx.n_pairs, sizeof *ctx.train);
        ctx.test = calloc(ctx.n_pairs, sizeof *ctx.test);
        ctx.feat = malloc(F * sizeof *ctx.feat);
        ctx.in_a = malloc(ctx.E);
        ctx.in_b = malloc(ctx.E);
        is_train = calloc(c.n_items + 1, 1);
        size_t *order = malloc((c.n_items + 1) * sizeof *order);
        if (!ctx.train || !ctx.test || !ctx.feat || !ctx.in_a || !ctx.in_b || !is_train || !order) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        for (uint32_t p = 0; !rc && p < ctx.n_pairs; p++) {
            mt_pred_init(&ctx.train[p], ctx.E, F);
            mt_pred_init(&ctx.test[p], ctx.E, F);
        }
        if (!rc && c.n_items >= 2) { /* a seeded shuffle of the prompts; the first share of them train */
            for (size_t i = 0; i < c.n_items; i++) order[i] = i;
            mt_rng r = mt_rng_seed(seed, 0x70726564);
            for (size_t i = c.n_items; i > 1; i--) {
                size_t u = (size_t)mt_rng_below(&r, i), x = order[i - 1];
                order[i - 1] = order[u];
                order[u] = x;
            }
            n_train = (size_t)llround(share * (double)c.n_items);
            if (n_train < 1) n_train = 1;
            if (n_train > c.n_items - 1) n_train = c.n_items - 1;
            for (size_t i = 0; i < n_train; i++) is_train[order[i]] = 1;
            ctx.is_train = is_train;
        }
        free(order);
        ctx.first = c.items;
    }
    if (!rc) rc = cli_corpus_run_opts(&cm, &c, &iv, ctx.hidden, observe, &ctx);
    mt_pred_result (*res)[MT_PRED_KINDS] = rc ? NULL : calloc(ctx.n_pairs, sizeof *res);
    if (!rc && !res) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    for (uint32_t p = 0; !rc && p < ctx.n_pairs; p++) {
        char why[300];
        if (ctx.train[p].n == 0 || ctx.test[p].n == 0) rc = cli_error(CLI_EXIT_USAGE, "too few tokens to train on part and score the rest");
        else if (!mt_predict_evaluate(&ctx.train[p], &ctx.test[p], k, kp, res[p], why, sizeof why)) rc = cli_error(CLI_EXIT_FAIL, "predict: %s", why);
    }
    if (!rc && cli_has(a, "--json")) {
        mt_json j = { 0 };
        mt_json_begin_object(&j);
        mt_json_kv_str(&j, "model", cli_base_name(cm.path));
        mt_json_kv_u64(&j, "prompts", c.n_items);
        mt_json_kv_u64(&j, "train_prompts", ctx.is_train ? n_train : 0);
        mt_json_kv_str(&j, "features", features);
        mt_json_kv_u64(&j, "k", k);
        mt_json_kv_u64(&j, "prefetch", kp);
        mt_json_kv_u64(&j, "seed", seed);
        mt_json_key(&j, "pairs");
        mt_json_begin_array(&j);
        for (uint32_t p = 0; p < ctx.n_pairs; p++) {
            mt_json_begin_object(&j);
            mt_json_kv_u64(&j, "from", ctx.pairs[p][0]);
            mt_json_kv_u64(&j, "to", ctx.pairs[p][1]);
            mt_json_kv_u64(&j, "train_tokens", ctx.train[p].n);
            mt_json_kv_u64(&j, "test_tokens", res[p][0].tokens);
            mt_json_key(&j, "predictors");
            mt_json_begin_array(&j);
            for (int q = 0; q < MT_PRED_KINDS; q++) {
                mt_json_begin_object(&j);
                mt_json_kv_str(&j, "name", pred_names[q]);
                json_result(&j, &res[p][q]);
                mt_json_end_object(&j);
            }
            mt_json_end_array(&j);
            mt_json_key(&j, "chance");
            mt_json_begin_object(&j);
            mt_json_kv_f64(&j, "precision_at_k", res[p][0].chance_precision);
            mt_json_kv_f64(&j, "recall_at_k", res[p][0].chance_recall);
            mt_json_kv_f64(&j, "hit_at_prefetch", res[p][0].chance_hit);
            mt_json_end_object(&j);
            mt_json_end_object(&j);
        }
        mt_json_end_array(&j);
        mt_json_end_object(&j);
        rc = mt_json_finish(&j);
    } else if (!rc) {
        printf("%s: predicting layer b's experts from layer a's %s, %zu prompt%s (%s)\n", cli_base_name(cm.path),
               ctx.hidden ? "MoE input" : "router probabilities", c.n_items, c.n_items == 1 ? "" : "s",
               ctx.is_train ? "prompts split train/test" : "one prompt: its tokens split train/test");
        printf("k = %u, prefetch k' = %u of %u experts; chance: recall@k %.3f, hit@k' %.3f\n", k, kp, ctx.E, (double)k / ctx.E, (double)kp / ctx.E);
        printf("train, test: tokens trained on and scored; [ ]: Wilson 95%% interval over the test tokens\n\n");
        printf("%-7s %6s %6s  %-14s %-24s %9s %s\n", "pair", "train", "test", "predictor", "precision@k [95% CI]", "recall@k",
               "hit@k' [95% CI]");
        for (uint32_t p = 0; p < ctx.n_pairs; p++) {
            char name[24];
            snprintf(name, sizeof name, "%u->%u", ctx.pairs[p][0], ctx.pairs[p][1]);
            for (int q = 0; q < MT_PRED_KINDS; q++) {
                char tr[24] = "", te[24] = "";
                if (q == 0) snprintf(tr, sizeof tr, "%zu", ctx.train[p].n), snprintf(te, sizeof te, "%zu", res[p][q].tokens);
                char pr[48], hi[48], rc9[24] = "-";
                if (!isnan(res[p][q].recall)) snprintf(rc9, sizeof rc9, "%.3f", res[p][q].recall);
                printf("%-7s %6s %6s  %-14s %-24s %9s %s\n", q ? "" : name, tr, te, pred_names[q],
                       with_ci(pr, sizeof pr, res[p][q].precision, res[p][q].tokens), rc9,
                       with_ci(hi, sizeof hi, res[p][q].hit, res[p][q].tokens));
            }
            printf("%-7s %6s %6s  %-14s %-24.3f %9.3f %.3f\n", "", "", "", "chance", res[p][0].chance_precision, res[p][0].chance_recall,
                   res[p][0].chance_hit);
        }
        rc = fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
    }
    for (uint32_t p = 0; ctx.train && p < ctx.n_pairs; p++) mt_pred_free(&ctx.train[p]);
    for (uint32_t p = 0; ctx.test && p < ctx.n_pairs; p++) mt_pred_free(&ctx.test[p]);
    free(res);
    free(ctx.train);
    free(ctx.test);
    free(ctx.feat);
    free(ctx.in_a);
    free(ctx.in_b);
    free(ctx.pairs);
    free(is_train);
    mt_iv_free(&iv);
    cli_corpus_free(&c);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_predict = {
    .name = "predict",
    .usage = "moetop predict -m MODEL.gguf [--prompt TEXT | --prompt-file FILE | --ids \"..\" | --prompts DIR] [--pairs A:B,..] "
             "[--features routing|hidden] [--at-k N] [--prefetch N] [--train-share 0.8] [--seed S] [intervention flags] [--json]",
    .summary = "Can an early layer predict a later layer's experts (prefetch)? Frequency, co-occurrence, logistic probe vs chance.",
    .details = "Without a prompt, the bundled prompt sets. Default pairs: every adjacent pair (predict the next\n"
               "layer while this one runs); default k: the model's; default prefetch: 2k (at most E).\n\n" CLI_IV_DETAILS,
    .definitions = predict_definitions,
    .opts = { CLI_MODEL_OPTS, CLI_CORPUS_OPTS, CLI_IV_OPTS, { "--pairs", 0, "A:B,..", "predict layer B from layer A (default: A:A+1)" },
              { "--features", 0, "KIND", "routing (router probabilities, default) or hidden (the MoE input)" },
              { "--at-k", 0, "N", "experts predicted for precision and recall (default the model's k)" },
              { "--prefetch", 0, "N", "experts prefetched for the hit rate (default 2k)" },
              { "--train-share", 0, "X", "share of the prompts to train on (default 0.8)" },
              { "--seed", 0, "S", "seed of the train/test split (default 0)" },
              { "--json", 0, NULL, "one JSON object on stdout" }, { NULL, 0, NULL, NULL } },
    .run = run_predict,
};
