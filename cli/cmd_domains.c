/* `moetop domains`: how experts specialise by domain over a prompt set:
 * specialisation N(e,D)/N(D) (OLMoE eq. 7: of domain D's tokens, the share
 * routed to e; uniform k/E) and, per layer, the chi-square of the domain x
 * expert table tested by permuting the prompts' domains
 * (experiments/domain_test.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "json.h"
#include "stats_input.h"
#include "svg.h"
#include "engine/locale_c.h"
#include "experiments/domain_test.h"
#include "experiments/exp_args.h"
#include "text.h"

typedef struct domain_ctx {
    mt_stats *per_domain; /* [n_domains] */
    mt_stats prompt;      /* the current prompt's (scratch) */
    uint64_t *counts;     /* [P][L][E]: each prompt's selection counts */
    uint32_t *domain;     /* [P] */
    size_t n;             /* prompts seen */
} domain_ctx;

static int observe(void *vctx, const cli_prompt_item *item, const mt_session *s) {
    domain_ctx *c = vctx;
    uint32_t L = c->prompt.n_layer, E = c->prompt.n_expert;
    mt_stats_free(&c->prompt); /* a fresh scratch per prompt */
    if (!mt_stats_init(&c->prompt, L, E)) return cli_error(CLI_EXIT_FAIL, "out of memory");
    cli_stats_observe_session(&c->prompt, s);
    mt_stats_add(&c->per_domain[item->domain], &c->prompt);
    for (uint32_t l = 0; l < L; l++) memcpy(c->counts + (c->n * L + l) * E, c->prompt.layers[l].count, E * sizeof *c->counts);
    c->domain[c->n++] = item->domain;
    return 0;
}

static int run_domains(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    uint32_t svg_layer = 0, N = 1000;
    uint64_t seed;
    if (!cli_get_u32(a, "--layer", 0, 1023, &svg_layer) || !cli_get_u32(a, "--permutations", 1, 10000000, &N) || !cli_seed(a, &seed))
        return CLI_EXIT_USAGE;
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    cli_corpus corpus;
    mt_interventions iv = { 0 };
    domain_ctx ctx = { NULL };
    uint32_t L = cm.m->hp.n_layer, E = cm.m->hp.n_expert, D = 0;
    uint64_t *table = NULL;
    mt_domain_test *test = NULL;
    if ((rc = cli_corpus_load(a, &cm, &corpus)) || (rc = cli_interventions(a, cm.m, &iv))) goto done;
    D = corpus.n_domains;
    if (svg_layer >= L) {
        rc = cli_error(CLI_EXIT_USAGE, "--layer: %u is outside 0..%u", svg_layer, L - 1);
        goto done;
    }
    ctx.per_domain = calloc(D, sizeof *ctx.per_domain);
    table = malloc((size_t)D * E * sizeof *table);
    test = calloc(L, sizeof *test);
    ctx.counts = calloc((corpus.n_items + 1) * L * E, sizeof *ctx.counts);
    ctx.domain = calloc(corpus.n_items + 1, sizeof *ctx.domain);
    for (uint32_t d = 0; ctx.per_domain && d < D; d++)
        if (!mt_stats_init(&ctx.per_domain[d], L, E)) rc = CLI_EXIT_FAIL;
    if (!mt_stats_init(&ctx.prompt, L, E)) rc = CLI_EXIT_FAIL;
    if (!ctx.per_domain || !table || !test || !ctx.counts || !ctx.domain || rc) {
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    if ((rc = cli_corpus_run(&cm, &corpus, &iv, observe, &ctx))) goto done;
    if (!mt_domain_test_run(ctx.counts, ctx.domain, ctx.n, D, L, E, N, seed, test)) {
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    for (uint32_t l = 0; l < L; l++) { /* each layer's tokens left out, over every domain, said once */
        uint64_t left = 0;
        for (uint32_t d = 0; d < D; d++) left += ctx.per_domain[d].layers[l].nonfinite;
        cli_warn_nonfinite(l, left);
    }
    /* the smallest p a layer's test can give: 1/(1+N), and no less than one
     * labelling of the prompts in all P! / prod n_d! of them; Holm multiplies
     * the smallest by the layers tested */
    uint32_t tested = 0;
    for (uint32_t l = 0; l < L; l++) tested += test[l].dof > 0;
    double log_labellings = lgamma((double)ctx.n + 1);
    for (uint32_t d = 0; d < D; d++) {
        size_t n_d = 0;
        for (size_t p = 0; p < ctx.n; p++) n_d += ctx.domain[p] == d;
        log_labellings -= lgamma((double)n_d + 1);
    }
    double p_floor = fmax(1.0 / (1.0 + N), exp(-log_labellings)), holm_floor = fmin(1.0, p_floor * tested);
    bool json = cli_has(a, "--json"), csv = cli_has(a, "--csv");
    mt_json j = { 0 };
    if (json) {
        mt_json_begin_object(&j);
        mt_json_kv_str(&j, "model", cli_base_name(cm.path));
        mt_json_kv_u64(&j, "prompts", ctx.n);
        mt_json_kv_u64(&j, "permutations", N);
        mt_json_kv_f64(&j, "p_floor", p_floor); /* no p_permutation can be smaller (before Holm) */
        mt_json_kv_u64(&j, "seed", seed);
        mt_json_key(&j, "domains");
        mt_json_begin_array(&j);
        for (uint32_t d = 0; d < D; d++) mt_json_string(&j, corpus.domains[d]);
        mt_json_end_array(&j);
        mt_json_key(&j, "layers");
        mt_json_begin_array(&j);
    } else if (csv) {
        printf("layer,domain,expert,count,domain_tokens,specialization,domain_nonfinite\n");
    } else {
        char name[1024];
        printf("%s: expert specialisation by domain, N(e,D)/N(D) (uniform: experts selected per token / E); %s\n",
               mt_one_line(cli_base_name(cm.path), name, sizeof name),
               D > 1 ? "chi-square of domain x expert, its p from permuting the prompts' domains" : "one domain: no chi-square test, which compares two or more");
        if (D > 1) {
            printf("p: (1 + permutations with chi2 >= the observed) / (1 + %u) over %zu prompts, Holm-adjusted over the layers; the\n"
                   "chi-square distribution's p (selections taken as independent, which tokens of a prompt are not) in --json\n",
                   N, ctx.n);
            if (holm_floor >= 0.05)
                printf("no layer can reach the 5%% level here: the smallest Holm p that %u shuffles of %zu prompts over %u tested layers\n"
                       "can give is at least %.3g (more prompts, or a larger --permutations, can lower it)\n",
                       N, ctx.n, tested, holm_floor);
        }
    }
    for (uint32_t l = 0; l < L; l++) {
        const mt_domain_test *t = &test[l];
        double chi2 = t->chi2;
        uint32_t dof = t->dof;
        if (json) {
            mt_json_begin_object(&j);
            mt_json_kv_u64(&j, "layer", l);
            mt_json_kv_f64(&j, "chi2", chi2);
            mt_json_kv_u64(&j, "dof", dof);
            mt_json_kv_f64(&j, "p_chi2", t->p_chi2);
            mt_json_kv_f64(&j, "p_permutation", t->p_permutation); /* NaN: null */
            mt_json_kv_f64(&j, "p_holm", t->p_holm);
            mt_json_key(&j, "tokens");
            mt_json_begin_array(&j);
            for (uint32_t d = 0; d < D; d++) mt_json_u64(&j, ctx.per_domain[d].layers[l].tokens);
            mt_json_end_array(&j);
            mt_json_key(&j, "nonfinite"); /* per domain: tokens left out (NaN or infinite router logits) */
            mt_json_begin_array(&j);
            for (uint32_t d = 0; d < D; d++) mt_json_u64(&j, ctx.per_domain[d].layers[l].nonfinite);
            mt_json_end_array(&j);
            mt_json_key(&j, "specialization");
            mt_json_begin_array(&j);
            for (uint32_t d = 0; d < D; d++) {
                mt_json_begin_array(&j);
                for (uint32_t e = 0; e < E; e++) mt_json_f64(&j, mt_rate(&ctx.per_domain[d].layers[l], e));
                mt_json_end_array(&j);
            }
            mt_json_end_array(&j);
            mt_json_end_object(&j);
        } else if (csv) {
            for (uint32_t d = 0; d < D; d++)
                for (uint32_t e = 0; e < E; e++) {
                    const mt_layer_stats *ls = &ctx.per_domain[d].layers[l];
                    printf("%u,", l);
                    cli_csv_field(stdout, corpus.domains[d], strlen(corpus.domains[d]));
                    char b[32];
                    printf(",%u,%llu,%llu,%s,%llu\n", e, (unsigned long long)ls->count[e], (unsigned long long)ls->tokens,
                           cli_num(b, "%.9g", mt_rate(ls, e), ""), (unsigned long long)ls->nonfinite);
                }
        } else {
            uint64_t tokens = 0, selections = 0;
            for (uint32_t d = 0; d < D; d++) tokens += ctx.per_domain[d].layers[l].tokens, selections += ctx.per_domain[d].layers[l].selections;
            printf("layer %u (uniform %.3f)", l, tokens ? (double)selections / (double)tokens / E : 0.0);
            if (dof)
                printf(": chi2 %.1f, dof %u, permutation p %.3g, Holm %.3g%s\n", chi2, dof, t->p_permutation, t->p_holm,
                       t->p_holm < 0.05 ? " (domains route differently, 5% level)" : " (no difference shown at the 5% level)");
            else if (D > 1) printf(": no test (dof 0: the tokens used one expert column only)\n");
            else printf("\n");
            for (uint32_t d = 0; d < D; d++) {
                const mt_layer_stats *ls = &ctx.per_domain[d].layers[l];
                char name[1024];
                printf("  %-12s %6llu tokens", mt_one_line(corpus.domains[d], name, sizeof name), (unsigned long long)ls->tokens);
                if (ls->nonfinite) printf(" (%llu non-finite left out)", (unsigned long long)ls->nonfinite);
                if (ls->tokens) fputs(", most used:", stdout);
                /* the three highest counts, ties in expert order (so equal experts are never hidden) */
                uint64_t last_count = UINT64_MAX;
                uint32_t last_e = 0;
                for (int shown = 0; ls->tokens && shown < 3; shown++) {
                    bool found = false;
                    uint32_t be = 0;
                    for (uint32_t e = 0; e < E; e++) {
                        uint64_t c = ls->count[e];
                        bool after = c < last_count || (c == last_count && e > last_e && shown > 0);
                        if (c > 0 && after && (!found || c > ls->count[be])) found = true, be = e;
                    }
                    if (!found) break;
                    printf("  %u (%.2f)", be, mt_rate(ls, be));
                    last_count = ls->count[be];
                    last_e = be;
                }
                printf("\n");
            }
        }
    }
    if (json) {
        mt_json_end_array(&j);
        mt_json_end_object(&j);
        rc = mt_json_finish(&j);
    } else if (fflush(stdout) != 0) {
        rc = cli_error(CLI_EXIT_FAIL, "stdout: write failed");
    }
    const char *svg = cli_get(a, "--svg");
    if (!rc && svg) {
        double *v = malloc((size_t)D * E * sizeof *v), max = 0;
        for (uint32_t d = 0; v && d < D; d++)
            for (uint32_t e = 0; e < E; e++) max = fmax(max, v[(size_t)d * E + e] = mt_rate(&ctx.per_domain[d].layers[svg_layer], e));
        char title[128];
        snprintf(title, sizeof title, "Expert specialisation by domain, layer %u: N(e, D) / N(D)", svg_layer);
        svg_heatmap h = { title, "expert", "domain", "share of the domain's tokens", D, E, (const char *const *)corpus.domains, NULL, v, max };
        if (!v || !svg_write_heatmap(svg, &h)) rc = CLI_EXIT_FAIL;
        free(v);
    }
done:
    for (uint32_t d = 0; ctx.per_domain && d < D; d++) mt_stats_free(&ctx.per_domain[d]);
    mt_stats_free(&ctx.prompt);
    free(ctx.counts);
    free(ctx.domain);
    free(test);
    free(ctx.per_domain);
    free(table);
    cli_corpus_free(&corpus);
    mt_iv_free(&iv);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_domains = {
    .name = "domains",
    .usage = "moetop domains [-m MODEL.gguf] [--prompts DIR | --prompt TEXT | --prompt-file FILE | --ids \"..\" | --chat TEXT] "
             "[intervention flags] [--json | --csv] [--svg FILE --layer L]",
    .summary = "Expert specialisation by domain over a prompt set, with a permutation test over prompts per layer.",
    .details = "DIR holds one file per domain (the file name without extension names it); prompts are\n"
               "separated by blank lines (a line of spaces and tabs is blank; lines end in LF, CRLF or CR)\n"
               "and each runs in its own context. Without a prompt flag, the\n"
               "bundled prompt sets (assets/prompts). A single prompt is one domain, \"prompt\".\n"
               "Specialisation N(e,D)/N(D): the share of domain D's tokens whose selected experts include\n"
               "e (OLMoE eq. 7; uniform: experts selected per token / E, k/E without interventions).\n"
               "chi2: Pearson's chi-square of the domain x expert table of selection counts (experts no\n"
               "domain used left out). Its p is taken from the prompts: --permutations times the domains'\n"
               "labels are shuffled among the prompts (each domain keeps its number of prompts) and chi2\n"
               "recomputed; p = (1 + shuffles reaching the observed chi2) / (1 + N), Holm-adjusted over the\n"
               "layers (JSON p_permutation, p_holm). The text says \"route differently\" only at Holm p < 0.05.\n"
               "JSON p_chi2 is the chi-square distribution's p, which takes every selection as independent;\n"
               "tokens of one prompt are not, so it is far too small on real text and is never the verdict.\n"
               "With one domain there is nothing to compare: no test (JSON: chi2 0, dof 0, p_chi2 1,\n"
               "p_permutation and p_holm null). A token whose\n"
               "router logits at a layer hold NaN or infinity is left out of that layer (counted in\n"
               "\"nonfinite\", said on stderr).\n" CLI_IV_DETAILS "\n" CLI_OUTPUT_DETAILS,
    .opts = { CLI_MODEL_OPTS, CLI_CORPUS_OPTS, CLI_IV_OPTS, { "--json", 0, NULL, "one JSON object on stdout" },
              { "--csv", 0, NULL, "CSV on stdout" }, { "--svg", 0, "FILE", "write a domain x expert heatmap of one layer" },
              { "--layer", 0, "L", "the layer of the heatmap (default 0)" },
              { "--permutations", 0, "N", "shuffles of the prompts' domains for each layer's p (default 1000)" },
              { "--seed", 0, "S", "seed of the shuffles (default 0)" }, { NULL, 0, NULL, NULL } },
    .definitions = mt_stats_help,
    .run = run_domains,
};
