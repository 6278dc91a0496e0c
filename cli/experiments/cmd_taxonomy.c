/* `moetop taxonomy`: which kinds of input each expert takes, per layer, with
 * a test before any label (experiments/taxonomy.h computes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/corpus.h"
#include "cli/json.h"
#include "cli/model_args.h"
#include "cli/svg.h"
#include "engine/stats.h"
#include "exp_args.h"
#include "experiments/taxonomy.h"

static const char *const taxonomy_definitions[] = {
    "classes     from the token's bytes (--by token) or the previous token's (--by previous):",
    "            start (position 0), special, number (digits, after at most one space), keyword",
    "            (C or Python, after at most one space), word (letters; non-ASCII counts as",
    "            letters), space-word (one space, then letters), operator (+-*/=<>%^&|~!),",
    "            punctuation (other ASCII), whitespace, other (mixed)",
    "top / any   tokens whose top expert (highest weight) is e / that selected e (weight > 0)",
    "share       top(e, class) / top(e); base: the class's share of all tokens",
    "lift        share / base: 1 = as often as its base rate",
    "p           chi-square test of e's top counts per class against the other experts';",
    "            p Holm: Holm's adjustment over the layer's experts that were ever top and tested",
    "valid test  only where the chi-square's expected counts earn it (Cochran): none below 1",
    "            and at most 20% below 5; else too-few-tokens: no test, no p, no label",
    "label       the class of highest lift among those with lift > 1 holding at least 5 of the",
    "            expert's top tokens, only where p Holm < --alpha (default 0.05); too-few-tokens",
    "            when significant but no class has that support; else generalist; unused:",
    "            never selected; never-top: selected, never top",
    "top weight  per class, mean of the highest mixing weight, 95% interval mean +- 1.96 sd/sqrt(n)",
    "entropy     per class, mean of H(softmax(z)) / ln E over all experts, same interval",
    NULL,
};

typedef struct tax_ctx {
    const cli_model *cm;
    mt_taxonomy t;
    bool previous;
    uint64_t tokens;
    uint64_t class_tokens[MT_CLS_COUNT];
} tax_ctx;

static int observe(void *user, const cli_prompt_item *item, const mt_session *s) {
    (void)item;
    tax_ctx *x = user;
    const mt_tokenizer *tok = x->cm->tok;
    const uint32_t *ids = mt_session_ids(s);
    uint32_t E = x->t.n_expert;
    for (uint32_t t = 0; t < mt_session_length(s); t++) {
        uint32_t id = x->previous && t > 0 ? ids[t - 1] : ids[t];
        size_t len;
        const char *b = mt_tok_bytes(tok, id, &len);
        int c = mt_token_class(b, len, mt_tok_is_special(tok, id), t);
        x->tokens++;
        x->class_tokens[c]++;
        for (uint32_t l = 0; l < x->t.n_layer; l++) {
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t n = mt_session_route(s, l, t, &ex, &w, &margin);
            mt_taxonomy_observe(&x->t, l, c, ex, w, n, mt_entropy_full(mt_session_router_logits(s, l, t), E));
        }
    }
    return 0;
}

static void json_f64s(mt_json *j, const char *key, const double *v, size_t n) {
    mt_json_key(j, key);
    mt_json_begin_array(j);
    for (size_t i = 0; i < n; i++) mt_json_f64(j, v[i]);
    mt_json_end_array(j);
}

static void json_interval(mt_json *j, const char *key, double lo, double hi) {
    mt_json_key(j, key);
    mt_json_begin_array(j);
    mt_json_f64(j, lo);
    mt_json_f64(j, hi);
    mt_json_end_array(j);
}

static void print_ci(double mean, double lo, double hi) {
    if (isnan(mean)) printf("  %-21s", "n/a");
    else if (isnan(lo)) printf("  %.3f %-15s", mean, "(one token)");
    else printf("  %.3f [%.3f, %.3f]", mean, lo, hi);
}

static int run_taxonomy(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    uint64_t seed;
    float alpha = 0.05f;
    if (!cli_seed(a, &seed) || (cli_get(a, "--alpha") && !cli_get_float(a, "--alpha", &alpha))) return CLI_EXIT_USAGE;
    if (!(alpha > 0 && alpha < 1)) return cli_error(CLI_EXIT_USAGE, "--alpha: must be between 0 and 1");
    const char *by = cli_get(a, "--by");
    if (by && strcmp(by, "token") != 0 && strcmp(by, "previous") != 0)
        return cli_error(CLI_EXIT_USAGE, "--by: \"%s\" is not token or previous", by);
    if (cli_get(a, "--svg") && !svg_check_file(cli_get(a, "--svg"))) return CLI_EXIT_FAIL; /* before the run: a failed write */
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    uint32_t L = cm.m->hp.n_layer, E = cm.m->hp.n_expert, show = L - 1;
    if (cli_get(a, "--layer") && !cli_get_u32(a, "--layer", 0, L - 1, &show)) {
        cli_model_close(&cm);
        return CLI_EXIT_USAGE;
    }
    cli_corpus c = { 0 };
    mt_interventions iv = { 0 };
    tax_ctx x = { .cm = &cm, .previous = by && strcmp(by, "previous") == 0 };
    mt_taxonomy_expert *ex = calloc((size_t)L * E, sizeof *ex);
    mt_taxonomy_class *cl = calloc((size_t)L * MT_CLS_COUNT, sizeof *cl);
    if (!ex || !cl || !mt_taxonomy_init(&x.t, L, E)) {
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    if ((rc = cli_corpus_load(a, &cm, &c)) || (rc = cli_interventions(a, cm.m, &iv)) || (rc = cli_corpus_run(&cm, &c, &iv, observe, &x)))
        goto done;
    for (uint32_t l = 0; l < L && !rc; l++)
        if (!mt_taxonomy_layer(&x.t, l, alpha, ex + (size_t)l * E, cl + (size_t)l * MT_CLS_COUNT)) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    if (rc) goto done;
    const char *svg = cli_get(a, "--svg");
    if (svg) { /* layers x classes: the experts carrying each class's label */
        size_t cells = (size_t)L * MT_CLS_COUNT;
        double *vals = calloc(cells, sizeof *vals), max = 1;
        char (*text)[96] = calloc(cells, sizeof *text), (*rows)[24] = calloc(L, sizeof *rows);
        const char **tp = calloc(cells, sizeof *tp), **rl = calloc(L, sizeof *rl);
        if (!vals || !text || !rows || !tp || !rl) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        else {
            for (uint32_t l = 0; l < L; l++) {
                snprintf(rows[l], sizeof rows[l], "layer %u", l);
                rl[l] = rows[l];
                for (uint32_t e = 0; e < E; e++) {
                    int lab = ex[(size_t)l * E + e].label;
                    if (lab < 0) continue;
                    size_t i = (size_t)l * MT_CLS_COUNT + (size_t)lab, used = strlen(text[i]);
                    if (used + 8 < sizeof text[i]) snprintf(text[i] + used, sizeof text[i] - used, "%s%u", used ? " " : "", e);
                    vals[i] += 1;
                }
            }
            for (size_t i = 0; i < cells; i++) {
                tp[i] = text[i];
                if (vals[i] > max) max = vals[i];
            }
            char title[200], note[200];
            snprintf(title, sizeof title, "Experts by the %s class they take most (lift)", x.previous ? "previous token's" : "token's");
            snprintf(note, sizeof note, "an expert is shown only where its chi-square test is significant after Holm (alpha %g); %zu prompts, %llu tokens",
                     alpha, c.n_items, (unsigned long long)x.tokens);
            svg_label_grid g = { .title = title, .note = note, .x_label = x.previous ? "class of the previous token" : "class of the token",
                                 .y_label = "layer", .rows = L, .cols = MT_CLS_COUNT, .row_labels = rl, .col_labels = mt_class_names,
                                 .cells = tp, .values = vals, .max = max };
            if (!svg_write_label_grid(svg, &g)) rc = CLI_EXIT_FAIL;
        }
        free(vals);
        free(text);
        free(rows);
        free(tp);
        free(rl);
        if (rc) goto done;
    }
    if (cli_has(a, "--json")) {
        mt_json j = { 0 };
        mt_json_begin_object(&j);
        mt_json_kv_str(&j, "by", x.previous ? "previous" : "token");
        mt_json_kv_f64(&j, "alpha", alpha);
        mt_json_kv_u64(&j, "prompts", c.n_items);
        mt_json_kv_u64(&j, "tokens", x.tokens);
        mt_json_key(&j, "classes");
        mt_json_begin_array(&j);
        for (int k = 0; k < MT_CLS_COUNT; k++) mt_json_string(&j, mt_class_names[k]);
        mt_json_end_array(&j);
        mt_json_key(&j, "class_tokens");
        mt_json_begin_array(&j);
        for (int k = 0; k < MT_CLS_COUNT; k++) mt_json_u64(&j, x.class_tokens[k]);
        mt_json_end_array(&j);
        mt_json_key(&j, "layers");
        mt_json_begin_array(&j);
        for (uint32_t l = 0; l < L; l++) {
            mt_json_begin_object(&j);
            mt_json_kv_u64(&j, "layer", l);
            mt_json_key(&j, "experts");
            mt_json_begin_array(&j);
            for (uint32_t e = 0; e < E; e++) {
                const mt_taxonomy_expert *y = &ex[(size_t)l * E + e];
                const uint64_t *top = x.t.top + ((size_t)l * E + e) * MT_CLS_COUNT, *any = x.t.any + ((size_t)l * E + e) * MT_CLS_COUNT;
                mt_json_begin_object(&j);
                mt_json_kv_u64(&j, "expert", e);
                mt_json_kv_u64(&j, "top", y->top);
                mt_json_kv_u64(&j, "any", y->any);
                mt_json_key(&j, "top_by_class");
                mt_json_begin_array(&j);
                for (int k = 0; k < MT_CLS_COUNT; k++) mt_json_u64(&j, top[k]);
                mt_json_end_array(&j);
                mt_json_key(&j, "any_by_class");
                mt_json_begin_array(&j);
                for (int k = 0; k < MT_CLS_COUNT; k++) mt_json_u64(&j, any[k]);
                mt_json_end_array(&j);
                json_f64s(&j, "share", y->share, MT_CLS_COUNT);
                json_f64s(&j, "lift", y->lift, MT_CLS_COUNT);
                mt_json_kv_f64(&j, "chi2", y->chi2);
                mt_json_kv_f64(&j, "p", y->p);
                mt_json_kv_f64(&j, "p_holm", y->p_holm);
                mt_json_kv_str(&j, "label", mt_label_name(y->label));
                mt_json_key(&j, "tested");
                mt_json_bool(&j, y->tested);
                mt_json_kv_f64(&j, "min_expected", y->min_expected);
                mt_json_kv_f64(&j, "expected_below_5", y->small_expected);
                mt_json_end_object(&j);
            }
            mt_json_end_array(&j);
            mt_json_key(&j, "unused");
            mt_json_begin_array(&j);
            for (uint32_t e = 0; e < E; e++)
                if (ex[(size_t)l * E + e].label == MT_LABEL_UNUSED) mt_json_u64(&j, e);
            mt_json_end_array(&j);
            mt_json_key(&j, "classes");
            mt_json_begin_array(&j);
            for (int k = 0; k < MT_CLS_COUNT; k++) {
                const mt_taxonomy_class *y = &cl[(size_t)l * MT_CLS_COUNT + (size_t)k];
                mt_json_begin_object(&j);
                mt_json_kv_str(&j, "class", mt_class_names[k]);
                mt_json_kv_u64(&j, "tokens", y->tokens);
                mt_json_kv_f64(&j, "top_weight_mean", y->top_weight_mean);
                json_interval(&j, "top_weight95", y->top_weight_lo, y->top_weight_hi);
                mt_json_kv_f64(&j, "entropy_mean", y->entropy_mean);
                json_interval(&j, "entropy95", y->entropy_lo, y->entropy_hi);
                mt_json_end_object(&j);
            }
            mt_json_end_array(&j);
            mt_json_end_object(&j);
        }
        mt_json_end_array(&j);
        mt_json_end_object(&j);
        rc = mt_json_finish(&j);
        goto done;
    }
    if (cli_has(a, "--csv")) {
        printf("layer,expert,class,top,any,share,lift,p_holm,label\n");
        for (uint32_t l = 0; l < L; l++)
            for (uint32_t e = 0; e < E; e++)
                for (int k = 0; k < MT_CLS_COUNT; k++) {
                    const mt_taxonomy_expert *y = &ex[(size_t)l * E + e];
                    size_t o = ((size_t)l * E + e) * MT_CLS_COUNT + (size_t)k;
                    printf("%u,%u,%s,%llu,%llu,%.9g,%.9g,%.9g,%s\n", l, e, mt_class_names[k], (unsigned long long)x.t.top[o],
                           (unsigned long long)x.t.any[o], y->share[k], y->lift[k], y->p_holm, mt_label_name(y->label));
                }
        rc = fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
        goto done;
    }
    printf("%s: %zu prompts, %llu tokens, classes of the %s; labels only where the chi-square test is\n"
           "valid (Cochran's rule on expected counts), significant after Holm's correction (alpha %g) and\n"
           "the class holds at least %d of the expert's top tokens; --json and --csv have every count\n\n",
           cli_base_name(cm.path), c.n_items, (unsigned long long)x.tokens, x.previous ? "previous token" : "token", alpha, MT_TAXONOMY_MIN_SUPPORT);
    printf("tokens per class:");
    for (int k = 0; k < MT_CLS_COUNT; k++) printf(" %s %llu%s", mt_class_names[k], (unsigned long long)x.class_tokens[k], k + 1 < MT_CLS_COUNT ? "," : "\n");
    for (uint32_t l = 0; l < L; l++) {
        printf("layer %2u:", l);
        int labelled = 0;
        for (uint32_t e = 0; e < E; e++) {
            const mt_taxonomy_expert *y = &ex[(size_t)l * E + e];
            if (y->label >= 0) printf("%s e%u %s (lift %.2f)", labelled++ ? "," : "", e, mt_class_names[y->label], y->lift[y->label]);
        }
        const char *groups[4] = { "generalist", "too-few-tokens", "never-top", "unused" };
        int ids[4] = { MT_LABEL_GENERALIST, MT_LABEL_TOO_FEW, MT_LABEL_NEVER_TOP, MT_LABEL_UNUSED };
        for (int g = 0; g < 4; g++) {
            int n = 0;
            for (uint32_t e = 0; e < E; e++)
                if (ex[(size_t)l * E + e].label == ids[g]) printf("%s%u", n++ ? " " : labelled++ ? "; " : " ", e);
            if (n) printf(" %s", groups[g]);
        }
        putchar('\n');
    }
    printf("\nlayer %u in detail: each expert's top tokens by class (lift), p Holm, label\n", show);
    printf("expert    top    any  p Holm      label          classes (top count, lift)\n");
    for (uint32_t e = 0; e < E; e++) {
        const mt_taxonomy_expert *y = &ex[(size_t)show * E + e];
        if (isnan(y->p_holm)) printf("%6u %6llu %6llu  %-10s  %-14s", e, (unsigned long long)y->top, (unsigned long long)y->any, "no test", mt_label_name(y->label));
        else printf("%6u %6llu %6llu  %-10.3g  %-14s", e, (unsigned long long)y->top, (unsigned long long)y->any, y->p_holm, mt_label_name(y->label));
        for (int k = 0; k < MT_CLS_COUNT; k++) {
            uint64_t n = x.t.top[((size_t)show * E + e) * MT_CLS_COUNT + (size_t)k];
            if (n) printf(" %s %llu (%.2f)", mt_class_names[k], (unsigned long long)n, y->lift[k]);
        }
        putchar('\n');
    }
    printf("\nlayer %u per class: top weight and router entropy (mean, 95%% interval)\n", show);
    printf("%-12s %7s  %-21s  %-21s\n", "class", "tokens", "top weight", "entropy");
    for (int k = 0; k < MT_CLS_COUNT; k++) {
        const mt_taxonomy_class *y = &cl[(size_t)show * MT_CLS_COUNT + (size_t)k];
        printf("%-12s %7llu", mt_class_names[k], (unsigned long long)y->tokens);
        print_ci(y->top_weight_mean, y->top_weight_lo, y->top_weight_hi);
        print_ci(y->entropy_mean, y->entropy_lo, y->entropy_hi);
        putchar('\n');
    }
    rc = fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
done:
    free(ex);
    free(cl);
    mt_taxonomy_free(&x.t);
    mt_iv_free(&iv);
    cli_corpus_free(&c);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_taxonomy = {
    .name = "taxonomy",
    .usage = "moetop taxonomy -m MODEL.gguf [prompt flags | --prompts DIR] [--by token|previous] [--alpha 0.05] [--layer L] "
             "[intervention flags] [--json | --csv] [--svg FILE]",
    .summary = "A taxonomy of experts: the token classes each expert takes, labelled only where a test says so.",
    .details = "Input: the bundled prompt sets unless a prompt or --prompts DIR is given. Every position gets a class\n"
               "from its own token (--by token, the default) or from the token before it (--by previous: which\n"
               "expert takes tokens after numbers, after words, after operators). The text shows every layer's\n"
               "labels and --layer's detail (default the last).\n\n" CLI_IV_DETAILS,
    .definitions = taxonomy_definitions,
    .opts = { CLI_MODEL_OPTS, CLI_CORPUS_OPTS, CLI_IV_OPTS,
              { "--by", 0, "WHAT", "token (the default) or previous: whose class a position gets" },
              { "--alpha", 0, "A", "significance level after Holm's correction (default 0.05)" },
              { "--layer", 0, "L", "the layer the text shows in detail (default the last)" },
              { "--seed", 0, "S", "seed for anything random (default 0; nothing here is)" },
              { "--svg", 0, "FILE", "a layers x classes map of the labelled experts" },
              { "--csv", 0, NULL, "one row per layer, expert and class (RFC 4180)" },
              { "--json", 0, NULL, "one JSON object on stdout" }, { NULL, 0, NULL, NULL } },
    .run = run_taxonomy,
};
