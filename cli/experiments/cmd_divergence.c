/* `moetop divergence`: do two prompt sets route differently? Per layer the
 * Jensen-Shannon divergence of their expert selections with a permutation
 * p-value and noise floors (experiments/divergence.h computes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/corpus.h"
#include "cli/json.h"
#include "cli/model_args.h"
#include "cli/paths.h"
#include "cli/svg.h"
#include "exp_args.h"
#include "experiments/divergence.h"
#include "experiments/significance.h"

static const char *const divergence_definitions[] = {
    "P_A(e)     selections of expert e over every token of set A / all of A's selections",
    "           (a selection: an expert with weight > 0 at that token and layer)",
    "JS         Jensen-Shannon divergence of P_A and P_B in bits: 0 the same, 1 disjoint",
    "p          permutation p-value: (1 + permutations whose JS >= the observed) / (1 + N),",
    "           prompts shuffled between the sets (sizes kept), N = --permutations, --seed",
    "p Holm     p adjusted by Holm's step-down over the layers",
    "floor      mean JS between random halves of the pooled prompts (N splits): the JS that",
    "           prompts of one population show; floor A, floor B: halves of each set alone",
    NULL,
};

typedef struct div_ctx {
    uint64_t *counts; /* [P][L][E] */
    size_t next;
    uint32_t L, E;
} div_ctx;

static int observe(void *user, const cli_prompt_item *item, const mt_session *s) {
    (void)item;
    div_ctx *d = user;
    uint64_t *c = d->counts + d->next++ * d->L * d->E;
    for (uint32_t l = 0; l < d->L; l++)
        for (uint32_t t = 0; t < mt_session_length(s); t++) {
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t n = mt_session_route(s, l, t, &ex, &w, &margin);
            for (uint32_t i = 0; i < n; i++)
                if (w[i] > 0) c[(size_t)l * d->E + ex[i]]++;
        }
    return 0;
}

/* Keeps the items of domain name (0, or exit 2 when the set has no such domain). */
static int keep_domain(cli_corpus *c, const char *name, const char *flag) {
    uint32_t d = 0;
    while (d < c->n_domains && strcmp(c->domains[d], name) != 0) d++;
    if (d == c->n_domains) return cli_error(CLI_EXIT_USAGE, "%s: the prompt set has no domain \"%s\"", flag, name);
    size_t kept = 0;
    for (size_t i = 0; i < c->n_items; i++) {
        if (c->items[i].domain == d) c->items[kept++] = c->items[i];
        else mt_ids_free(&c->items[i].ids);
    }
    c->n_items = kept;
    return kept ? 0 : cli_error(CLI_EXIT_USAGE, "%s: domain \"%s\" holds no prompts", flag, name);
}

static int load_sets(const cli_args *a, const cli_model *cm, cli_corpus *A, cli_corpus *B, char *name_a, char *name_b, size_t cap) {
    const char *vs = cli_get(a, "--vs-prompts"), *da = cli_get(a, "--domain"), *db = cli_get(a, "--vs-domain");
    int rc;
    if (vs) {
        if ((rc = cli_corpus_load(a, cm, A)) || (rc = cli_corpus_load_dir(vs, cm, B))) return rc;
        if (da && (rc = keep_domain(A, da, "--domain"))) return rc;
        if (db && (rc = keep_domain(B, db, "--vs-domain"))) return rc;
        snprintf(name_a, cap, "%s%s%s", cli_get(a, "--prompts") ? cli_base_name(cli_get(a, "--prompts")) : "bundled", da ? ":" : "", da ? da : "");
        snprintf(name_b, cap, "%s%s%s", cli_base_name(vs), db ? ":" : "", db ? db : "");
        return 0;
    }
    /* one prompt set (--prompts, else the bundled ones): two of its domains, math against creative by default */
    if (!da) da = "math";
    if (!db) db = "creative";
    if ((rc = cli_corpus_load(a, cm, A)) || (rc = cli_corpus_load(a, cm, B))) return rc;
    if ((rc = keep_domain(A, da, "--domain")) || (rc = keep_domain(B, db, "--vs-domain"))) return rc;
    snprintf(name_a, cap, "%s", da);
    snprintf(name_b, cap, "%s", db);
    return 0;
}

static void f64_or_na(double x, int width) {
    if (isnan(x)) printf(" %*s", width, "n/a");
    else printf(" %*.4f", width, x);
}

static int run_divergence(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    uint64_t seed;
    uint32_t N = 1000;
    if (!cli_seed(a, &seed) || !cli_get_u32(a, "--permutations", 1, 10000000, &N)) return CLI_EXIT_USAGE;
    if (cli_get(a, "--prompt") || cli_get(a, "--prompt-file") || cli_get(a, "--ids"))
        return cli_usage_error(a->cmd, "divergence compares prompt sets: use --prompts and --vs-prompts, or --domain and --vs-domain");
    if (cli_get(a, "--svg") && !svg_check_file(cli_get(a, "--svg"))) return CLI_EXIT_FAIL; /* before the run: a failed write */
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    uint32_t L = cm.m->hp.n_layer, E = cm.m->hp.n_expert;
    cli_corpus A = { 0 }, B = { 0 };
    mt_interventions iv = { 0 };
    div_ctx d = { 0 };
    bool *in_b = NULL;
    mt_divergence_layer *out = NULL;
    double *p = NULL;
    char name_a[300], name_b[300];
    if ((rc = load_sets(a, &cm, &A, &B, name_a, name_b, sizeof name_a)) || (rc = cli_interventions(a, cm.m, &iv))) goto done;
    size_t P = A.n_items + B.n_items;
    d.L = L, d.E = E;
    d.counts = calloc(P * L * E, sizeof *d.counts);
    in_b = calloc(P, sizeof *in_b);
    out = calloc(L, sizeof *out);
    p = calloc(L, sizeof *p);
    if (!d.counts || !in_b || !out || !p) {
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    for (size_t i = A.n_items; i < P; i++) in_b[i] = true;
    if ((rc = cli_corpus_run(&cm, &A, &iv, observe, &d)) || (rc = cli_corpus_run(&cm, &B, &iv, observe, &d))) goto done;
    if (!mt_divergence(d.counts, in_b, P, L, E, N, seed, out)) {
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    for (uint32_t l = 0; l < L; l++) p[l] = isnan(out[l].p_permutation) ? 1.0 : out[l].p_permutation;
    mt_holm(p, L, p);
    const char *svg = cli_get(a, "--svg");
    if (svg) {
        char (*labels)[16] = calloc(L, sizeof *labels);
        const char **lp = calloc(L, sizeof *lp);
        double *vals = calloc(2 * (size_t)L, sizeof *vals);
        if (!labels || !lp || !vals) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        else {
            for (uint32_t l = 0; l < L; l++) {
                snprintf(labels[l], sizeof labels[l], "%u", l);
                lp[l] = labels[l];
                vals[l] = isnan(out[l].js_bits) ? 0 : out[l].js_bits;
                vals[L + l] = isnan(out[l].js_floor) ? 0 : out[l].js_floor;
            }
            char title[700];
            snprintf(title, sizeof title, "Jensen-Shannon divergence of expert selections: %s vs %s", name_a, name_b);
            const char *series[2] = { "JS (bits)", "noise floor: random halves of the pooled prompts" };
            svg_bars c = { .title = title, .x_label = "layer", .y_label = "bits", .n_groups = L, .n_series = 2,
                           .group_labels = lp, .series_names = series, .values = vals };
            if (!svg_write_bars(svg, &c)) rc = CLI_EXIT_FAIL; /* a failed write */
        }
        free(labels);
        free(lp);
        free(vals);
        if (rc) goto done;
    }
    if (cli_has(a, "--json")) {
        mt_json j = { 0 };
        mt_json_begin_object(&j);
        mt_json_kv_str(&j, "set_a", name_a);
        mt_json_kv_str(&j, "set_b", name_b);
        mt_json_kv_u64(&j, "prompts_a", A.n_items);
        mt_json_kv_u64(&j, "prompts_b", B.n_items);
        mt_json_kv_u64(&j, "permutations", N);
        mt_json_kv_u64(&j, "seed", seed);
        mt_json_key(&j, "layers");
        mt_json_begin_array(&j);
        for (uint32_t l = 0; l < L; l++) {
            mt_json_begin_object(&j);
            mt_json_kv_u64(&j, "layer", l);
            mt_json_kv_f64(&j, "js_bits", out[l].js_bits);
            mt_json_kv_f64(&j, "p_permutation", out[l].p_permutation);
            mt_json_kv_f64(&j, "p_holm", p[l]);
            mt_json_kv_f64(&j, "js_floor", out[l].js_floor);
            mt_json_kv_f64(&j, "js_floor_a", out[l].js_floor_a);
            mt_json_kv_f64(&j, "js_floor_b", out[l].js_floor_b);
            mt_json_kv_u64(&j, "selections_a", out[l].selections_a);
            mt_json_kv_u64(&j, "selections_b", out[l].selections_b);
            mt_json_end_object(&j);
        }
        mt_json_end_array(&j);
        mt_json_end_object(&j);
        rc = mt_json_finish(&j);
    } else if (cli_has(a, "--csv")) {
        printf("layer,js_bits,p_permutation,p_holm,js_floor,js_floor_a,js_floor_b,selections_a,selections_b\n");
        for (uint32_t l = 0; l < L; l++)
            printf("%u,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%llu,%llu\n", l, out[l].js_bits, out[l].p_permutation, p[l], out[l].js_floor,
                   out[l].js_floor_a, out[l].js_floor_b, (unsigned long long)out[l].selections_a, (unsigned long long)out[l].selections_b);
        rc = fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
    } else {
        printf("%s: %s (%zu prompts) against %s (%zu prompts); %u permutations, seed %llu\n", cli_base_name(cm.path), name_a, A.n_items,
               name_b, B.n_items, N, (unsigned long long)seed);
        printf("JS: Jensen-Shannon divergence of the expert selections (bits); p: permutation p-value; floor: random\n"
               "halves of the pooled prompts (A, B: of each set alone)\n\n");
        printf("layer        JS         p    p Holm     floor   floor A   floor B\n");
        for (uint32_t l = 0; l < L; l++) {
            printf("%5u", l);
            f64_or_na(out[l].js_bits, 9);
            printf(" %9.4g %9.4g", out[l].p_permutation, p[l]);
            f64_or_na(out[l].js_floor, 9);
            f64_or_na(out[l].js_floor_a, 9);
            f64_or_na(out[l].js_floor_b, 9);
            putchar('\n');
        }
        rc = fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
    }
done:
    free(d.counts);
    free(in_b);
    free(out);
    free(p);
    mt_iv_free(&iv);
    cli_corpus_free(&A);
    cli_corpus_free(&B);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_divergence = {
    .name = "divergence",
    .usage = "moetop divergence -m MODEL.gguf [--prompts A] (--vs-prompts B | [--domain D] [--vs-domain D2]) "
             "[--permutations 1000] [--seed S] [intervention flags] [--json | --csv] [--svg FILE]",
    .summary = "Do two prompt sets route differently? Per layer JS divergence, permutation p-value, noise floors.",
    .details = "Set A is --prompts (default: the bundled prompt sets), set B --vs-prompts; --domain and --vs-domain\n"
               "keep one domain (file) of each. Without --vs-prompts both sets come from --prompts: --domain\n"
               "(default math) against --vs-domain (default creative). Every prompt runs alone.\n\n" CLI_IV_DETAILS,
    .definitions = divergence_definitions,
    .opts = { CLI_MODEL_OPTS, CLI_CORPUS_OPTS, CLI_IV_OPTS,
              { "--vs-prompts", 0, "DIR", "the second prompt set" },
              { "--domain", 0, "NAME", "keep this domain of set A" },
              { "--vs-domain", 0, "NAME", "keep this domain of set B" },
              { "--permutations", 0, "N", "permutations and random splits (default 1000)" },
              { "--seed", 0, "S", "seed of the permutations and splits (default 0)" },
              { "--svg", 0, "FILE", "a chart: JS and its floor per layer" },
              { "--csv", 0, NULL, "the table as CSV (RFC 4180)" },
              { "--json", 0, NULL, "one JSON object on stdout (shared/contracts/cli.md)" }, { NULL, 0, NULL, NULL } },
    .run = run_divergence,
};
