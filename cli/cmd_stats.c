/* The routing analyses over a prompt, a prompt set or a profile:
 *   entropy  router and mixing entropy per layer (JSON fixed by the contract)
 *   coact    co-activation counts per layer (JSON fixed by the contract)
 *   sweep    every per-layer metric: entropies, top-1 share, Gini, CV, MaxVio, cold
 *   cold     the experts used far below the uniform rate, with expected counts
 * Definitions: engine/stats.h (and `moetop sweep --help`). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "json.h"
#include "stats_input.h"
#include "svg.h"
#include "engine/locale_c.h"
#include "text.h"

#define COLD_DEFAULT 0.25 /* cold: rate below this fraction of the uniform rate */

/* One number per expert for a layer, as a JSON array under key. */
static void expert_array(mt_json *j, const char *key, const mt_layer_stats *ls, double (*of)(const mt_layer_stats *, uint32_t)) {
    mt_json_key(j, key);
    mt_json_begin_array(j);
    for (uint32_t e = 0; e < ls->n_expert; e++) mt_json_f64(j, of(ls, e));
    mt_json_end_array(j);
}

static bool any_nonfinite(const mt_stats *st) {
    for (uint32_t l = 0; l < st->n_layer; l++)
        if (st->layers[l].nonfinite) return true;
    return false;
}

static int flushed(void) { return fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed"); }

/* ---- entropy ---------------------------------------------------------------------- */

static int run_entropy(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    cli_stats_input in;
    int rc = cli_stats_gather(a, &in);
    if (rc) return rc;
    const mt_stats *st = &in.st;
    if (cli_has(a, "--json")) {
        mt_json j = { 0 };
        mt_json_begin_object(&j);
        mt_json_key(&j, "layers");
        mt_json_begin_array(&j);
        for (uint32_t l = 0; l < st->n_layer; l++) {
            mt_layer_metrics m;
            mt_layer_metrics_compute(&st->layers[l], 0, &m);
            mt_json_begin_object(&j);
            mt_json_kv_u64(&j, "layer", l);
            mt_json_kv_u64(&j, "tokens", st->layers[l].tokens);
            mt_json_kv_u64(&j, "nonfinite", st->layers[l].nonfinite);
            mt_json_kv_f64(&j, "entropy_full_mean", m.h_full_mean);
            mt_json_kv_f64(&j, "entropy_topk_mean", m.h_mix_mean);
            mt_json_kv_f64(&j, "entropy_full_std", m.h_full_std);
            mt_json_kv_f64(&j, "entropy_topk_std", m.h_mix_std);
            mt_json_end_object(&j);
        }
        mt_json_end_array(&j);
        mt_json_end_object(&j);
        rc = mt_json_finish(&j);
    } else if (cli_has(a, "--csv")) {
        printf("layer,tokens,entropy_full_mean,entropy_full_std,entropy_topk_mean,entropy_topk_std,nonfinite\n");
        for (uint32_t l = 0; l < st->n_layer; l++) {
            mt_layer_metrics m;
            mt_layer_metrics_compute(&st->layers[l], 0, &m);
            char b[4][32];
            printf("%u,%llu,%s,%s,%s,%s,%llu\n", l, (unsigned long long)st->layers[l].tokens, cli_num(b[0], "%.9g", m.h_full_mean, ""),
                   cli_num(b[1], "%.9g", m.h_full_std, ""), cli_num(b[2], "%.9g", m.h_mix_mean, ""), cli_num(b[3], "%.9g", m.h_mix_std, ""),
                   (unsigned long long)st->layers[l].nonfinite);
        }
        rc = flushed();
    } else {
        char name[1024];
        printf("%s: entropy per layer (H_full: softmax over all %u experts / ln E; H_mix: mixing weights / ln n)\n", mt_one_line(in.model, name, sizeof name),
               st->n_expert);
        bool any = any_nonfinite(st);
        printf("layer  tokens   H_full mean (std)    H_mix mean (std)%s\n", any ? "   non-finite" : "");
        for (uint32_t l = 0; l < st->n_layer; l++) {
            mt_layer_metrics m;
            mt_layer_metrics_compute(&st->layers[l], 0, &m);
            char b[4][32], left[32] = "";
            if (any) snprintf(left, sizeof left, "   %10llu", (unsigned long long)st->layers[l].nonfinite);
            printf("%5u %7llu   %6s (%6s)      %6s (%6s)%s\n", l, (unsigned long long)st->layers[l].tokens, cli_num(b[0], "%.4f", m.h_full_mean, "-"),
                   cli_num(b[1], "%.4f", m.h_full_std, "-"), cli_num(b[2], "%.4f", m.h_mix_mean, "-"), cli_num(b[3], "%.4f", m.h_mix_std, "-"), left);
        }
        rc = flushed();
    }
    cli_stats_input_free(&in);
    return rc;
}

/* ---- coact ---------------------------------------------------------------------------- */

static int run_coact(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    uint32_t svg_layer = 0;
    if (!cli_get_u32(a, "--layer", 0, 1023, &svg_layer)) return CLI_EXIT_USAGE;
    cli_stats_input in;
    int rc = cli_stats_gather(a, &in);
    if (rc) return rc;
    const mt_stats *st = &in.st;
    uint32_t E = st->n_expert;
    if (svg_layer >= st->n_layer) {
        rc = cli_error(CLI_EXIT_USAGE, "--layer: %u is outside 0..%u", svg_layer, st->n_layer - 1);
    } else if (cli_has(a, "--json")) {
        mt_json j = { 0 };
        mt_json_begin_object(&j);
        mt_json_key(&j, "layers");
        mt_json_begin_array(&j);
        for (uint32_t l = 0; l < st->n_layer; l++) {
            mt_json_begin_object(&j);
            mt_json_kv_u64(&j, "layer", l);
            mt_json_kv_u64(&j, "tokens", st->layers[l].tokens);
            mt_json_kv_u64(&j, "nonfinite", st->layers[l].nonfinite);
            mt_json_key(&j, "counts");
            mt_json_begin_array(&j);
            for (uint32_t i = 0; i < E; i++) {
                mt_json_begin_array(&j);
                for (uint32_t k = 0; k < E; k++) mt_json_u64(&j, st->layers[l].coact[(size_t)i * E + k]);
                mt_json_end_array(&j);
            }
            mt_json_end_array(&j);
            mt_json_end_object(&j);
        }
        mt_json_end_array(&j);
        mt_json_end_object(&j);
        rc = mt_json_finish(&j);
    } else if (cli_has(a, "--csv")) {
        printf("layer,expert_i,expert_j,count,coact\n");
        for (uint32_t l = 0; l < st->n_layer; l++)
            for (uint32_t i = 0; i < E; i++)
                for (uint32_t k = 0; k < E; k++)
                    mt_c_fprintf(stdout, "%u,%u,%u,%llu,%.9g\n", l, i, k, (unsigned long long)st->layers[l].coact[(size_t)i * E + k],
                           mt_coact(&st->layers[l], i, k));
        rc = flushed();
    } else {
        char name[1024];
        printf("%s: co-activation, CoAct(i,j) = N(i,j)/N(i): the five strongest pairs per layer\n", mt_one_line(in.model, name, sizeof name));
        for (uint32_t l = 0; l < st->n_layer; l++) {
            printf("layer %u (%llu tokens", l, (unsigned long long)st->layers[l].tokens);
            if (st->layers[l].nonfinite) printf(", %llu non-finite left out", (unsigned long long)st->layers[l].nonfinite);
            printf("):");
            /* the five largest CoAct(i,j), i != j, ties in (i, j) order: equal pairs are never hidden */
            double last = INFINITY;
            size_t last_at = 0;
            for (int shown = 0; shown < 5; shown++) {
                double best = 0;
                size_t best_at = 0;
                for (size_t at = 0; at < (size_t)E * E; at++) {
                    uint32_t i = (uint32_t)(at / E), k = (uint32_t)(at % E);
                    double c = i == k ? 0 : mt_coact(&st->layers[l], i, k);
                    bool after = c < last || (c == last && at > last_at);
                    if (c > best && after) best = c, best_at = at;
                }
                if (best <= 0) break;
                printf("  %u->%u %.2f", (unsigned)(best_at / E), (unsigned)(best_at % E), best);
                last = best;
                last_at = best_at;
            }
            size_t more = 0; /* pairs after the fifth as strong as it */
            for (size_t at = last_at + 1; last < INFINITY && at < (size_t)E * E; at++)
                more += at / E != at % E && mt_coact(&st->layers[l], (uint32_t)(at / E), (uint32_t)(at % E)) == last;
            if (more) printf("  (%zu more at %.2f)", more, last);
            printf("\n");
        }
        rc = flushed();
    }
    const char *svg = cli_get(a, "--svg");
    if (!rc && svg) {
        double *v = malloc((size_t)E * E * sizeof *v);
        for (uint32_t i = 0; v && i < E; i++)
            for (uint32_t k = 0; k < E; k++) v[(size_t)i * E + k] = i == k ? 0 : mt_coact(&st->layers[svg_layer], i, k);
        char title[128];
        snprintf(title, sizeof title, "Co-activation, layer %u: CoAct(i, j) = N(i, j) / N(i)", svg_layer);
        svg_heatmap h = { title, "expert j", "expert i", "CoAct", E, E, NULL, NULL, v, 1.0 };
        if (!v || !svg_write_heatmap(svg, &h)) rc = CLI_EXIT_FAIL;
        free(v);
    }
    cli_stats_input_free(&in);
    return rc;
}

/* ---- sweep ------------------------------------------------------------------------------- */

static int run_sweep(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    float cold_frac = COLD_DEFAULT;
    if (!cli_get_float(a, "--threshold", &cold_frac)) return CLI_EXIT_USAGE;
    cli_stats_input in;
    int rc = cli_stats_gather(a, &in);
    if (rc) return rc;
    const mt_stats *st = &in.st;
    uint32_t L = st->n_layer, E = st->n_expert;
    mt_layer_metrics *m = calloc(L, sizeof *m);
    if (!m) {
        cli_stats_input_free(&in);
        return cli_error(CLI_EXIT_FAIL, "out of memory");
    }
    for (uint32_t l = 0; l < L; l++)
        mt_layer_metrics_compute(&st->layers[l], cold_frac * cli_mean_selected(&st->layers[l]) / E, &m[l]);
    if (cli_has(a, "--json")) {
        mt_json j = { 0 };
        mt_json_begin_object(&j);
        mt_json_kv_str(&j, "model", in.model);
        mt_json_kv_u64(&j, "n_layer", L);
        mt_json_kv_u64(&j, "n_expert", E);
        mt_json_kv_u64(&j, "k", in.k);
        mt_json_kv_f64(&j, "cold_threshold", cold_frac);
        mt_json_key(&j, "layers");
        mt_json_begin_array(&j);
        for (uint32_t l = 0; l < L; l++) {
            const mt_layer_stats *ls = &st->layers[l];
            mt_json_begin_object(&j);
            mt_json_kv_u64(&j, "layer", l);
            mt_json_kv_u64(&j, "tokens", ls->tokens);
            mt_json_kv_u64(&j, "nonfinite", ls->nonfinite);
            static const char *const names[] = { "entropy_full_mean", "entropy_full_std", "entropy_topk_mean", "entropy_topk_std",
                                                 "top1_share", "gini", "cv", "max_vio" };
            const double vals[] = { m[l].h_full_mean, m[l].h_full_std, m[l].h_mix_mean, m[l].h_mix_std, m[l].top1_share, m[l].gini, m[l].cv, m[l].max_vio };
            for (size_t i = 0; i < 8; i++) {
                mt_json_key(&j, names[i]);
                mt_json_f64(&j, vals[i]);
            }
            mt_json_key(&j, "cold");
            if (ls->tokens) mt_json_u64(&j, m[l].cold);
            else mt_json_null(&j); /* no tokens: nothing to call cold */
            if (in.overlap) {
                mt_json_kv_f64(&j, "overlap_with_baseline", in.overlap[l]);
            }
            mt_json_key(&j, "count");
            mt_json_begin_array(&j);
            for (uint32_t e = 0; e < E; e++) mt_json_u64(&j, ls->count[e]);
            mt_json_end_array(&j);
            expert_array(&j, "load", ls, mt_load);
            expert_array(&j, "rate", ls, mt_rate);
            expert_array(&j, "soft_load", ls, mt_soft_load);
            mt_json_end_object(&j);
        }
        mt_json_end_array(&j);
        mt_json_end_object(&j);
        rc = mt_json_finish(&j);
    } else if (cli_has(a, "--csv")) {
        printf("layer,tokens,entropy_full_mean,entropy_full_std,entropy_topk_mean,entropy_topk_std,top1_share,gini,cv,max_vio,cold,nonfinite\n");
        for (uint32_t l = 0; l < L; l++) {
            const double v[8] = { m[l].h_full_mean, m[l].h_full_std, m[l].h_mix_mean, m[l].h_mix_std, m[l].top1_share, m[l].gini, m[l].cv, m[l].max_vio };
            printf("%u,%llu", l, (unsigned long long)st->layers[l].tokens);
            for (int i = 0; i < 8; i++) {
                char b[32];
                printf(",%s", cli_num(b, "%.9g", v[i], ""));
            }
            if (st->layers[l].tokens) printf(",%u", m[l].cold);
            else printf(",");
            printf(",%llu\n", (unsigned long long)st->layers[l].nonfinite);
        }
        rc = flushed();
    } else {
        double *selected = malloc(L * sizeof *selected);
        char topk[512] = "";
        for (uint32_t l = 0; selected && l < L; l++) selected[l] = cli_mean_selected(&st->layers[l]);
        if (selected) mt_format_topk(selected, L, topk, sizeof topk); /* what ran: interventions change k */
        free(selected);
        char name[1024];
        printf("%s: %u layers x %u experts, %s; cold = rate below %.2f x uniform\n", mt_one_line(in.model, name, sizeof name), L, E, topk,
               (double)cold_frac);
        bool any = any_nonfinite(st);
        printf("layer  tokens  H_full  H_mix  top-1   Gini     CV  MaxVio  cold%s%s   H_full (| = uniform router)\n",
               in.overlap ? "  overlap" : "", any ? "  non-finite" : "");
        for (uint32_t l = 0; l < L; l++) {
            char bar[32];
            int n = isnan(m[l].h_full_mean) ? 0 : (int)lround(m[l].h_full_mean * 20);
            for (int i = 0; i < 21; i++) bar[i] = i == 20 ? '|' : i < n ? '#' : ' ';
            bar[21] = 0;
            char ov[16] = "", left[32] = "", cold[16] = "-", b[7][32];
            if (in.overlap) snprintf(ov, sizeof ov, "    %5s", cli_num(b[6], "%.3f", in.overlap[l], "-"));
            if (any) snprintf(left, sizeof left, "  %10llu", (unsigned long long)st->layers[l].nonfinite);
            if (st->layers[l].tokens) snprintf(cold, sizeof cold, "%u", m[l].cold);
            printf("%5u %7llu  %5s  %5s  %5s  %5s  %5s  %6s  %4s%s%s   %s\n", l, (unsigned long long)st->layers[l].tokens,
                   cli_num(b[0], "%.3f", m[l].h_full_mean, "-"), cli_num(b[1], "%.3f", m[l].h_mix_mean, "-"),
                   cli_num(b[2], "%.3f", m[l].top1_share, "-"), cli_num(b[3], "%.3f", m[l].gini, "-"), cli_num(b[4], "%.2f", m[l].cv, "-"),
                   cli_num(b[5], "%.2f", m[l].max_vio, "-"), cold, ov, left, st->layers[l].tokens ? bar : "(no tokens)");
        }
        rc = flushed();
    }
    const char *svg = cli_get(a, "--svg");
    if (!rc && svg) {
        double *v = malloc(4 * (size_t)L * sizeof *v);
        char **labels = calloc(L, sizeof *labels);
        for (uint32_t l = 0; v && labels && l < L; l++) {
            v[l] = m[l].h_full_mean;
            v[L + l] = m[l].h_mix_mean;
            v[2 * L + l] = m[l].top1_share;
            v[3 * L + l] = m[l].gini;
            labels[l] = malloc(12);
            if (labels[l]) snprintf(labels[l], 12, "%u", l);
        }
        static const char *const series[] = { "H_full (router, / ln E)", "H_mix (mixing, / ln n)", "top-1 share", "Gini of load" };
        char title[300];
        snprintf(title, sizeof title, "Routing per layer: %s", in.model);
        svg_bars c = { title, "layer", "value (1 = uniform router for H)", L, 4, (const char *const *)labels, series, v, 1.0,
                       "uniform (H = 1)" };
        if (!v || !labels || !svg_write_bars(svg, &c)) rc = CLI_EXIT_FAIL;
        for (uint32_t l = 0; labels && l < L; l++) free(labels[l]);
        free(labels);
        free(v);
    }
    free(m);
    cli_stats_input_free(&in);
    return rc;
}

/* ---- cold ----------------------------------------------------------------------------------- */

static int run_cold(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    float frac = COLD_DEFAULT;
    if (!cli_get_float(a, "--threshold", &frac)) return CLI_EXIT_USAGE;
    cli_stats_input in;
    int rc = cli_stats_gather(a, &in);
    if (rc) return rc;
    const mt_stats *st = &in.st;
    uint32_t E = st->n_expert;
    mt_json j = { 0 };
    bool json = cli_has(a, "--json"), csv = cli_has(a, "--csv");
    if (json) {
        mt_json_begin_object(&j);
        mt_json_kv_f64(&j, "threshold", frac);
        mt_json_key(&j, "layers");
        mt_json_begin_array(&j);
    } else if (csv) {
        printf("layer,expert,count,expected_count,rate,uniform_rate\n");
    } else {
        char name[1024];
        printf("%s: experts with a rate below %.2f x the uniform rate (expected count: what a uniform router would give)\n", mt_one_line(in.model, name, sizeof name),
               (double)frac);
    }
    for (uint32_t l = 0; l < st->n_layer; l++) {
        const mt_layer_stats *ls = &st->layers[l];
        double uniform = cli_mean_selected(ls) / E, expected = (double)ls->selections / E;
        if (json) {
            mt_json_begin_object(&j);
            mt_json_kv_u64(&j, "layer", l);
            mt_json_kv_u64(&j, "tokens", ls->tokens);
            mt_json_kv_u64(&j, "nonfinite", ls->nonfinite);
            mt_json_key(&j, "uniform_rate"); /* null with no tokens */
            mt_json_f64(&j, ls->tokens ? uniform : NAN);
            mt_json_kv_f64(&j, "expected_count", ls->tokens ? expected : NAN);
            mt_json_key(&j, "cold");
            mt_json_begin_array(&j);
        } else if (!csv && ls->tokens) {
            printf("layer %u (%llu tokens, expected %.1f per expert):", l, (unsigned long long)ls->tokens, expected);
        } else if (!csv) {
            printf("layer %u (no tokens):", l);
        }
        int listed = 0;
        for (uint32_t e = 0; ls->tokens && e < E; e++) {
            if (!(mt_rate(ls, e) < frac * uniform)) continue;
            listed++;
            if (json) {
                mt_json_begin_object(&j);
                mt_json_kv_u64(&j, "expert", e);
                mt_json_kv_u64(&j, "count", ls->count[e]);
                mt_json_kv_f64(&j, "rate", mt_rate(ls, e));
                mt_json_end_object(&j);
            } else if (csv) {
                mt_c_fprintf(stdout, "%u,%u,%llu,%.9g,%.9g,%.9g\n", l, e, (unsigned long long)ls->count[e], expected, mt_rate(ls, e), uniform);
            } else {
                printf("  %u (%llu)", e, (unsigned long long)ls->count[e]);
            }
        }
        if (json) {
            mt_json_end_array(&j);
            mt_json_end_object(&j);
        } else if (!csv) {
            if (ls->nonfinite) printf("%s  (%llu non-finite left out)", listed || !ls->tokens ? "" : "  none", (unsigned long long)ls->nonfinite);
            printf("%s\n", listed || ls->nonfinite || !ls->tokens ? "" : "  none");
        }
    }
    if (json) {
        mt_json_end_array(&j);
        mt_json_end_object(&j);
        rc = mt_json_finish(&j);
    } else {
        rc = flushed();
    }
    cli_stats_input_free(&in);
    return rc;
}

#define STATS_DETAILS                                                                                   \
    "Input: --prompt, --prompt-file, --ids, --chat TEXT (a user message in the model's chat format), a prompt set\n"    \
    "(--prompts DIR: one file per domain, prompts separated by blank lines, each run in its own\n"    \
    "context; lines end in LF, CRLF or CR and a line of spaces and tabs is blank) or --profile\n"   \
    "FILE; none of these: the bundled prompt sets (assets/prompts). An empty prompt or a profile\n"  \
    "of no tokens is refused (exit 2): no statistic over zero tokens.\n"                             \
    "H_full = H(softmax(z)) / ln E over all experts, z the biased router logits (unmodified);\n"     \
    "H_mix = H(mixing weights applied) / ln n, n = experts with weight > 0 (n <= 1: 0).\n"          \
    "load f_e = count/selections (= count/(T k) without interventions), rate r_e = count/T.\n"        \
    "A token whose router logits at a layer hold NaN or infinity is left out of that layer's\n"      \
    "statistics (T counts the others), counted in \"nonfinite\" and said once on stderr.\n"             \
    CLI_IV_DETAILS

const cli_command cmd_entropy = {
    .name = "entropy",
    .usage = "moetop entropy [-m MODEL.gguf] [--prompt TEXT | --prompt-file FILE | --ids \"..\" | --chat TEXT | --prompts DIR | --profile FILE] "
             "[intervention flags] [--json | --csv]",
    .summary = "Router entropy over all experts and mixing entropy over the k, per layer.",
    .details = STATS_DETAILS,
    .opts = { CLI_STATS_OPTS, { NULL, 0, NULL, NULL } },
    .definitions = mt_stats_help,
    .run = run_entropy,
};

const cli_command cmd_coact = {
    .name = "coact",
    .usage = "moetop coact [-m MODEL.gguf] [--prompt .. | --chat .. | --prompts DIR | --profile FILE] [intervention flags] [--json | --csv] "
             "[--svg FILE --layer L]",
    .summary = "Which experts are chosen together: N(i,j) and CoAct = N(i,j)/N(i) per layer.",
    .details = "counts[i][j]: tokens whose selected experts include both i and j; counts[i][i]: tokens that selected i.\n" STATS_DETAILS
               "\n" CLI_OUTPUT_DETAILS,
    .opts = { CLI_STATS_OPTS, { "--svg", 0, "FILE", "write a CoAct heatmap of one layer" },
              { "--layer", 0, "L", "the layer of the heatmap (default 0)" }, { NULL, 0, NULL, NULL } },
    .definitions = mt_stats_help,
    .run = run_coact,
};

const cli_command cmd_sweep = {
    .name = "sweep",
    .usage = "moetop sweep [-m MODEL.gguf] [--prompt .. | --chat .. | --prompts DIR | --profile FILE] [intervention flags] [--threshold F] "
             "[--json | --csv] [--svg FILE]",
    .summary = "Every per-layer routing metric: entropies, top-1 share, Gini, CV, MaxVio, cold experts.",
    .details = "top-1 share: mean weight of the expert with the highest weight. Gini and CV of the load f;\n"
               "MaxVio = (max count - mean count) / mean count. Cold: rate below --threshold (default 0.25)\n"
               "x the uniform rate. With interventions, overlap is the mean over tokens of |A n B| / max(|A|,|B|)\n"
               "between the selections with and without them (OLMoE's router saturation).\n" STATS_DETAILS "\n" CLI_OUTPUT_DETAILS,
    .opts = { CLI_STATS_OPTS, { "--threshold", 0, "F", "cold below F x the uniform rate (default 0.25)" },
              { "--svg", 0, "FILE", "write a bar chart of the metrics per layer" }, { NULL, 0, NULL, NULL } },
    .definitions = mt_stats_help,
    .run = run_sweep,
};

const cli_command cmd_cold = {
    .name = "cold",
    .usage = "moetop cold [-m MODEL.gguf] [--prompt .. | --chat .. | --prompts DIR | --profile FILE] [intervention flags] [--threshold F] [--json | --csv]",
    .summary = "Experts used far below the uniform rate, with the count a uniform router would give.",
    .details = "An expert is cold at a layer when its rate r_e = count/T is below F x the uniform rate\n"
               "(experts selected per token / E); F defaults to 0.25. Small samples: compare the count with\n"
               "the expected count before reading much into it.\n" STATS_DETAILS,
    .opts = { CLI_STATS_OPTS, { "--threshold", 0, "F", "cold below F x the uniform rate (default 0.25)" }, { NULL, 0, NULL, NULL } },
    .definitions = mt_stats_help,
    .run = run_cold,
};
