/* `moetop similarity`: per layer, every pair of experts compared in weight
 * space (cosines per projection from the stored blocks) and in function (on
 * the MoE inputs of a prompt set), the effective rank of their differences,
 * each read against the null of independent weights
 * (experiments/similarity.h computes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/corpus.h"
#include "cli/json.h"
#include "cli/model_args.h"
#include "cli/svg.h"
#include "exp_args.h"
#include "experiments/linalg.h"
#include "experiments/expert_eval.h"
#include "experiments/similarity.h"

#define UPCYCLED_COS 0.3 /* the verdict's thresholds: see the definitions */
#define UPCYCLED_Z 10.0

static const char *const similarity_definitions[] = {
    "weight cos  cosine of two experts' weight matrices of one projection (gate, up, down;",
    "            biases left out), flattened; `all`: the three concatenated. Computed from the",
    "            stored blocks, a few rows at a time (no dequantized copy of a tensor)",
    "null        independent weights of mean 0: cosine ~ N(0, 1/n), n weights; z = cos sqrt(n)",
    "functional  cosine of two experts' outputs over the same tokens (the MoE inputs of the",
    "            first --tokens tokens of the prompt set, every expert run on every token):",
    "            sum_t <f_i, f_j> / sqrt(sum_t |f_i|^2 sum_t |f_j|^2)",
    "eff. rank   of the experts' differences from their mean expert: the fewest eigenvalues of",
    "            their centred Gram matrix (LAPACK dsyev) holding 95% of its trace: at most E - 1;",
    "            independent experts of equal size give ceil(0.95 (E - 1)); f: - (JSON null)",
    "            without functional tokens (--tokens 0)",
    "verdict     \"upcycled-like\" only when the median pairwise `all` cosine of the layer is",
    "            >= 0.3 and >= 10 null sd: 10 sd keeps the verdict clear of chance over every",
    "            pair and layer (a Bonferroni 5% over 10^5 tests is under 5 sd), and 0.3 because",
    "            independently trained experts that share inputs and a loss can share small",
    "            components, many sd beyond the null with millions of weights, without a common",
    "            origin; copies of one dense FFN keep a large common part. Otherwise: no verdict",
    NULL,
};

static const char *const proj_names[] = { "gate", "up", "down", "all", "functional" };
enum { P_GATE, P_UP, P_DOWN, P_ALL, P_FUNC, P_COUNT };

typedef struct sim_layer {
    double *cos[P_COUNT]; /* [E][E] each */
    double n[P_ALL + 1];  /* weights per projection, and all */
    int rank[P_COUNT];
    double median_all, median_z;
    uint32_t best_w[2], best_f[2];
    const char *verdict;
} sim_layer;

static double median_off_diagonal(const double *c, uint32_t E) {
    size_t n = (size_t)E * (E - 1) / 2, at = 0;
    if (n == 0) return NAN;
    double *v = malloc(n * sizeof *v), m;
    if (!v) return NAN;
    for (uint32_t i = 0; i < E; i++)
        for (uint32_t j = i + 1; j < E; j++) v[at++] = c[(size_t)i * E + j];
    for (size_t i = 1; i < n; i++) /* insertion sort: E(E-1)/2 values */
        for (size_t k = i; k > 0 && v[k - 1] > v[k]; k--) m = v[k], v[k] = v[k - 1], v[k - 1] = m;
    m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    free(v);
    return m;
}

static void best_pair(const double *c, uint32_t E, uint32_t out[2]) {
    double best = -INFINITY;
    out[0] = 0, out[1] = E > 1 ? 1 : 0;
    for (uint32_t i = 0; i < E; i++)
        for (uint32_t j = i + 1; j < E; j++)
            if (c[(size_t)i * E + j] > best) best = c[(size_t)i * E + j], out[0] = i, out[1] = j;
}

/* the first `want` tokens' MoE inputs at every layer: [L][want][d] */
typedef struct cap_ctx {
    uint32_t L, d, want, have;
    float *x;
} cap_ctx;

static int capture(void *vctx, const cli_prompt_item *item, const mt_session *s) {
    (void)item;
    cap_ctx *c = vctx;
    uint32_t T = mt_session_length(s);
    for (uint32_t t = 0; t < T && c->have < c->want; t++, c->have++)
        for (uint32_t l = 0; l < c->L; l++)
            memcpy(c->x + ((size_t)l * c->want + c->have) * c->d, mt_session_moe_input(s, l, t), (size_t)c->d * sizeof *c->x);
    return 0;
}

static void json_matrix(mt_json *j, const double *c, uint32_t E) {
    mt_json_begin_array(j);
    for (uint32_t i = 0; i < E; i++) {
        mt_json_begin_array(j);
        for (uint32_t k = 0; k < E; k++) mt_json_f64(j, c[(size_t)i * E + k]);
        mt_json_end_array(j);
    }
    mt_json_end_array(j);
}

static int layer_compute(const mt_model *m, uint32_t l, const cap_ctx *cap, mt_expert_eval *ev, sim_layer *s) {
    uint32_t E = m->hp.n_expert, d = m->hp.d_model;
    const mt_weight *w[3] = { &m->layers[l].gate, &m->layers[l].up, &m->layers[l].down };
    double *G = calloc((size_t)E * E, sizeof *G), *sum = calloc((size_t)E * E, sizeof *sum);
    int rc = G && sum ? 0 : cli_error(CLI_EXIT_FAIL, "out of memory");
    for (int p = 0; p < P_COUNT && !rc; p++)
        if (!(s->cos[p] = calloc((size_t)E * E, sizeof *s->cos[p]))) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    s->n[P_ALL] = 0;
    for (int p = 0; p < 3 && !rc; p++) {
        if (!mt_expert_gram(w[p], E, G)) {
            rc = cli_error(CLI_EXIT_FAIL, "layer %u: %s experts: out of memory or a type that cannot be read", l, proj_names[p]);
            break;
        }
        for (size_t i = 0; i < (size_t)E * E; i++) sum[i] += G[i];
        mt_gram_cosines(G, E, s->cos[p]);
        s->rank[p] = mt_gram_effective_rank(G, E, 0.95, NULL);
        s->n[p] = (double)w[p]->in * (double)w[p]->out;
        s->n[P_ALL] += s->n[p];
    }
    if (!rc) {
        mt_gram_cosines(sum, E, s->cos[P_ALL]);
        s->rank[P_ALL] = mt_gram_effective_rank(sum, E, 0.95, NULL);
        /* functional: every expert on every captured token */
        float *outs = malloc((size_t)E * cap->have * d * sizeof *outs);
        mt_err err;
        if (!outs) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        for (uint32_t e = 0; !rc && e < E; e++)
            if (cap->have && !mt_expert_eval_run(ev, l, e, cap->x + (size_t)l * cap->want * d, cap->have, outs + (size_t)e * cap->have * d, &err))
                rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        memset(G, 0, (size_t)E * E * sizeof *G);
        if (!rc) mt_functional_add(G, E, outs, cap->have * d); /* one "token" of all captured tokens' outputs */
        free(outs);
        mt_gram_cosines(G, E, s->cos[P_FUNC]);
        s->rank[P_FUNC] = cap->have ? mt_gram_effective_rank(G, E, 0.95, NULL) : -1;
        s->median_all = median_off_diagonal(s->cos[P_ALL], E);
        s->median_z = s->median_all * sqrt(s->n[P_ALL]);
        best_pair(s->cos[P_ALL], E, s->best_w);
        best_pair(s->cos[P_FUNC], E, s->best_f);
        s->verdict = s->median_all >= UPCYCLED_COS && s->median_z >= UPCYCLED_Z ? "upcycled-like" : NULL;
    }
    free(G);
    free(sum);
    return rc;
}

static int write_svgs(const char *dir, const mt_model *m, const sim_layer *s) {
    uint32_t E = m->hp.n_expert;
    if (!svg_check_dir(dir)) return CLI_EXIT_FAIL; /* checked before the run too; it may have gone since */
    double *v = malloc((size_t)E * E * sizeof *v);
    if (!v) return cli_error(CLI_EXIT_FAIL, "out of memory");
    int rc = 0;
    for (uint32_t l = 0; l < m->hp.n_layer && !rc; l++) {
        /* the upper triangle: weights (all); the lower: functional; negative cosines show as 0 */
        for (uint32_t i = 0; i < E; i++)
            for (uint32_t j = 0; j < E; j++) {
                double c = i == j ? 1 : i < j ? s[l].cos[P_ALL][(size_t)i * E + j] : s[l].cos[P_FUNC][(size_t)i * E + j];
                v[(size_t)i * E + j] = c > 0 ? c : 0;
            }
        char path[4200], title[160];
        snprintf(path, sizeof path, "%s/similarity-layer-%u.svg", dir, l);
        snprintf(title, sizeof title, "Layer %u: expert cosines, weights above the diagonal, outputs below", l);
        svg_heatmap h = { title, "expert", "expert", "cosine (negative as 0)", E, E, NULL, NULL, v, 1.0 };
        if (!svg_write_heatmap(path, &h)) rc = CLI_EXIT_FAIL;
    }
    free(v);
    return rc;
}

static int run_similarity(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    uint64_t seed;
    uint32_t want = 64;
    if (!cli_seed(a, &seed) || !cli_get_u32(a, "--tokens", 0, 1u << 20, &want)) return CLI_EXIT_USAGE;
    if (cli_has(a, "--json") && cli_has(a, "--csv")) return cli_usage_error(a->cmd, "--json and --csv: give one");
    if (cli_get(a, "--svg") && !svg_check_dir(cli_get(a, "--svg"))) return CLI_EXIT_FAIL; /* before any work: a failed write */
    mt_err lerr;
    if (!mt_linalg_get(&lerr)) return cli_error(CLI_EXIT_FAIL, "similarity: %s", lerr.msg);
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    const mt_model *m = cm.m;
    uint32_t L = m->hp.n_layer, E = m->hp.n_expert;
    cli_corpus c = { 0 };
    mt_interventions iv = { 0 };
    mt_err err;
    mt_expert_eval *ev = NULL;
    sim_layer *s = calloc(L, sizeof *s);
    cap_ctx cap = { L, m->hp.d_model, want, 0, NULL };
    if (!s || !(cap.x = malloc(((size_t)L * want * cap.d + 1) * sizeof *cap.x))) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    if (!rc) rc = cli_interventions(a, m, &iv);
    if (!rc) rc = cli_corpus_load(a, &cm, &c);
    if (!rc && !(ev = mt_expert_eval_new(m, cm.cpu_threads, &err))) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
    if (!rc && strcmp(cm.be->name, "cpu") != 0) cli_backend_notices(mt_expert_eval_backend(ev), NULL); /* its own C backend's */
    if (!rc && want) {
        /* only the prompts needed for the tokens wanted */
        size_t n = 0;
        for (uint64_t t = 0; n < c.n_items && t < want; n++) t += c.items[n].ids.n;
        cli_corpus part = c;
        part.n_items = n;
        rc = cli_corpus_run_opts(&cm, &part, &iv, true, capture, &cap);
    }
    cli_progress pr;
    cli_progress_begin(&pr, "similarity", "layers");
    for (uint32_t l = 0; l < L && !rc; l++) {
        rc = layer_compute(m, l, &cap, ev, &s[l]);
        cli_progress_fn(&pr, l + 1, L);
    }
    cli_progress_end(&pr);
    int mode = cli_has(a, "--json") ? 1 : cli_has(a, "--csv") ? 2 : 0;
    if (!rc && mode == 1) {
        mt_json j = { 0 };
        mt_json_begin_object(&j);
        mt_json_kv_str(&j, "model", cli_base_name(cm.path));
        mt_json_kv_u64(&j, "n_expert", E);
        mt_json_kv_u64(&j, "tokens_functional", cap.have);
        mt_json_key(&j, "layers");
        mt_json_begin_array(&j);
        for (uint32_t l = 0; l < L; l++) {
            mt_json_begin_object(&j);
            mt_json_kv_u64(&j, "layer", l);
            mt_json_key(&j, "n_weights");
            mt_json_begin_object(&j);
            for (int p = 0; p <= P_ALL; p++) {
                mt_json_key(&j, proj_names[p]);
                mt_json_f64(&j, s[l].n[p]);
            }
            mt_json_end_object(&j);
            mt_json_key(&j, "effective_rank");
            mt_json_begin_object(&j);
            for (int p = 0; p < P_COUNT; p++) {
                mt_json_key(&j, proj_names[p]);
                if (s[l].rank[p] < 0) mt_json_null(&j);
                else mt_json_u64(&j, (uint64_t)s[l].rank[p]);
            }
            mt_json_end_object(&j);
            mt_json_kv_f64(&j, "median_cosine_all", s[l].median_all);
            mt_json_kv_f64(&j, "median_z_all", s[l].median_z);
            mt_json_key(&j, "verdict");
            if (s[l].verdict) mt_json_string(&j, s[l].verdict);
            else mt_json_null(&j);
            static const char *const kinds[2] = { "weights", "functional" };
            mt_json_key(&j, "most_similar");
            mt_json_begin_object(&j);
            for (int k = 0; k < 2; k++) {
                const uint32_t *b = k ? s[l].best_f : s[l].best_w;
                double cval = (k ? s[l].cos[P_FUNC] : s[l].cos[P_ALL])[(size_t)b[0] * E + b[1]];
                mt_json_key(&j, kinds[k]);
                mt_json_begin_object(&j);
                mt_json_key(&j, "experts");
                mt_json_begin_array(&j);
                mt_json_u64(&j, b[0]);
                mt_json_u64(&j, b[1]);
                mt_json_end_array(&j);
                mt_json_kv_f64(&j, "cosine", cval);
                if (!k) {
                    mt_json_kv_f64(&j, "z", cval * sqrt(s[l].n[P_ALL]));
                }
                mt_json_end_object(&j);
            }
            mt_json_end_object(&j);
            mt_json_key(&j, "cosine");
            mt_json_begin_object(&j);
            for (int p = 0; p < P_COUNT; p++) {
                mt_json_key(&j, proj_names[p]);
                json_matrix(&j, s[l].cos[p], E);
            }
            mt_json_end_object(&j);
            mt_json_end_object(&j);
        }
        mt_json_end_array(&j);
        mt_json_end_object(&j);
        rc = mt_json_finish(&j);
    } else if (!rc && mode == 2) {
        printf("layer,expert_i,expert_j,cos_gate,cos_up,cos_down,cos_all,z_all,cos_functional\n");
        for (uint32_t l = 0; l < L; l++)
            for (uint32_t i = 0; i < E; i++)
                for (uint32_t k = i + 1; k < E; k++) {
                    size_t at = (size_t)i * E + k;
                    printf("%u,%u,%u,%.9g,%.9g,%.9g,%.9g,%.6g,%.9g\n", l, i, k, s[l].cos[P_GATE][at], s[l].cos[P_UP][at], s[l].cos[P_DOWN][at],
                           s[l].cos[P_ALL][at], s[l].cos[P_ALL][at] * sqrt(s[l].n[P_ALL]), s[l].cos[P_FUNC][at]);
                }
        rc = fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
    } else if (!rc) {
        printf("%s: expert similarity per layer, %u experts; functional cosines over %u tokens\n", cli_base_name(cm.path), E, cap.have);
        printf("weights: cosine of the flattened matrices (all = gate, up, down together); null for independent\n"
               "weights sd 1/sqrt(n) (z = cos / sd); effective rank of the differences from the mean expert at 95%%\n"
               "energy (at most %u; independent experts of equal size: %.0f)\n\n", E - 1, ceil(0.95 * (E - 1) - 1e-9));
        printf("%5s %10s %9s %9s  %-21s  %-17s  %-24s  %s\n", "layer", "null sd", "median", "median z", "eff. rank g/u/d/all/f",
               "most similar (w)", "most similar (outputs)", "verdict");
        for (uint32_t l = 0; l < L; l++) {
            char ranks[72], bw[48], bf[48];
            char rk[P_COUNT][12]; /* - where undefined (f without functional tokens: --tokens 0) */
            for (int p = 0; p < P_COUNT; p++)
                if (s[l].rank[p] < 0) snprintf(rk[p], sizeof rk[p], "-");
                else snprintf(rk[p], sizeof rk[p], "%d", s[l].rank[p]);
            snprintf(ranks, sizeof ranks, "%s/%s/%s/%s/%s", rk[0], rk[1], rk[2], rk[3], rk[4]);
            snprintf(bw, sizeof bw, "%u,%u %.4f", s[l].best_w[0], s[l].best_w[1], s[l].cos[P_ALL][(size_t)s[l].best_w[0] * E + s[l].best_w[1]]);
            snprintf(bf, sizeof bf, "%u,%u %.4f", s[l].best_f[0], s[l].best_f[1], s[l].cos[P_FUNC][(size_t)s[l].best_f[0] * E + s[l].best_f[1]]);
            printf("%5u %10.3g %9.4f %9.1f  %-21s  %-17s  %-24s  %s\n", l, 1 / sqrt(s[l].n[P_ALL]), s[l].median_all, s[l].median_z, ranks, bw,
                   cap.have ? bf : "-", s[l].verdict ? s[l].verdict : "no verdict");
        }
        rc = fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
    }
    if (!rc && cli_get(a, "--svg")) rc = write_svgs(cli_get(a, "--svg"), m, s);
    for (uint32_t l = 0; s && l < L; l++)
        for (int p = 0; p < P_COUNT; p++) free(s[l].cos[p]);
    free(s);
    free(cap.x);
    mt_expert_eval_free(ev);
    mt_iv_free(&iv);
    cli_corpus_free(&c);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_similarity = {
    .name = "similarity",
    .usage = "moetop similarity -m MODEL.gguf [--prompt TEXT | --prompt-file FILE | --ids \"..\" | --prompts DIR] [--tokens 64] "
             "[--svg DIR] [intervention flags] [--json | --csv]",
    .summary = "Are experts similar enough to merge, and is the model upcycled? Weight and output cosines against their null.",
    .details = "Weight cosines need no prompt. The functional cosines run every expert on the MoE inputs of the\n"
               "first --tokens tokens (default 64; 0: none) of the prompt set (without a prompt, the bundled\n"
               "sets); interventions change which inputs reach later layers. --svg DIR writes\n"
               "DIR/similarity-layer-L.svg per layer. --csv: every pair of every layer.\n\n" CLI_IV_DETAILS,
    .definitions = similarity_definitions,
    .opts = { CLI_MODEL_OPTS, CLI_CORPUS_OPTS, CLI_IV_OPTS,
              { "--tokens", 0, "N", "tokens for the functional cosines (default 64; 0: none)" },
              { "--svg", 0, "DIR", "a heatmap per layer: DIR/similarity-layer-L.svg" },
              { "--seed", 0, "S", "accepted for the experiments' common flags; nothing here is random" },
              { "--json", 0, NULL, "one JSON object on stdout" }, { "--csv", 0, NULL, "every pair as CSV (RFC 4180)" },
              { NULL, 0, NULL, NULL } },
    .run = run_similarity,
};
