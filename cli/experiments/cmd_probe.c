/* `moetop probe`: what the router reads at one position: the residual
 * entering each layer's router split into embedding, attention and MoE parts,
 * and the routing of counterfactual inputs (experiments/probe.h computes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/corpus.h"
#include "cli/json.h"
#include "cli/json_token.h"
#include "cli/model_args.h"
#include "cli/text.h"
#include "exp_args.h"
#include "experiments/probe.h"

static const char *const probe_definitions[] = {
    "input       r_l, the residual entering layer l's router (after l's attention):",
    "            r_l = e + A_l + M_l, e the token embedding, A_l the attention updates of",
    "            layers 0..l, M_l the MoE updates of layers 0..l-1",
    "norm        the L2 norm of each part; cos: its cosine with r_l",
    "routes      layer l's own RMSNorm, router and routing (with the interventions) on:",
    "            actual (r_l), embedding (e alone), no_attention (r_l - A_l), no_moe (r_l - M_l)",
    "overlap     |A n B| / |A|, A the actual route's selected experts (weight > 0)",
    NULL,
};

static void route_json(mt_json *j, const mt_probe_route *r) {
    mt_json_begin_object(j);
    mt_json_key(j, "topk");
    mt_json_begin_array(j);
    for (uint32_t i = 0; i < r->n; i++) mt_json_u64(j, r->experts[i]);
    mt_json_end_array(j);
    mt_json_key(j, "weights");
    mt_json_begin_array(j);
    for (uint32_t i = 0; i < r->n; i++) mt_json_f32(j, r->weights[i]);
    mt_json_end_array(j);
    mt_json_kv_f64(j, "overlap", r->overlap);
    mt_json_end_object(j);
}

static void num(mt_json *j, const char *key, double v) {
    mt_json_key(j, key);
    mt_json_f64(j, v);
}

static int print_json(const cli_model *cm, const mt_ids *ids, uint32_t pos, const mt_probe_layer *p) {
    mt_json j = { 0 };
    mt_json_begin_object(&j);
    mt_json_kv_str(&j, "model", cli_base_name(cm->path));
    mt_json_kv_u64(&j, "position", pos);
    mt_json_key(&j, "token");
    mt_json_token(&j, cm->tok, ids->ids[pos]);
    mt_json_kv_u64(&j, "tokens", ids->n);
    mt_json_key(&j, "layers");
    mt_json_begin_array(&j);
    for (uint32_t l = 0; l < cm->m->hp.n_layer; l++) {
        mt_json_begin_object(&j);
        mt_json_kv_u64(&j, "layer", l);
        num(&j, "norm_input", p[l].norm_input);
        num(&j, "norm_embedding", p[l].norm_embedding);
        num(&j, "norm_attention", p[l].norm_attention);
        num(&j, "norm_moe", p[l].norm_moe);
        num(&j, "cos_embedding", p[l].cos_embedding);
        num(&j, "cos_attention", p[l].cos_attention);
        num(&j, "cos_moe", p[l].cos_moe);
        mt_json_key(&j, "routes");
        mt_json_begin_object(&j);
        for (int r = 0; r < MT_PROBE_ROUTES; r++) {
            mt_json_key(&j, mt_probe_route_names[r]);
            route_json(&j, &p[l].routes[r]);
        }
        mt_json_end_object(&j);
        mt_json_end_object(&j);
    }
    mt_json_end_array(&j);
    mt_json_end_object(&j);
    return mt_json_finish(&j);
}

static void print_route(const mt_probe_route *r) {
    for (uint32_t i = 0; i < r->n; i++) printf("%s%u:%.2f", i ? " " : "", r->experts[i], r->weights[i]);
}

static int print_table(const cli_model *cm, const mt_ids *ids, uint32_t pos, const mt_probe_layer *p, bool from_set) {
    size_t len;
    const char *b = mt_tok_bytes(cm->tok, ids->ids[pos], &len);
    printf("%s: position %u of %zu%s, token %u \"", cli_base_name(cm->path), pos, ids->n, from_set ? " (the first bundled prompt)" : "",
           ids->ids[pos]);
    mt_print_escaped(stdout, b, len, 30);
    printf("\"\nr = e + A + M entering each router: norms, cosine with r; routes as expert:weight, overlap with the actual\n\n");
    for (uint32_t l = 0; l < cm->m->hp.n_layer; l++) {
        const mt_probe_layer *x = &p[l];
        printf("layer %u  |r| %.3g  e %.3g (cos %.2f)  A %.3g (cos %.2f)  M %.3g", l, x->norm_input, x->norm_embedding, x->cos_embedding,
               x->norm_attention, x->cos_attention, x->norm_moe);
        if (isnan(x->cos_moe)) printf(" (none)\n");
        else printf(" (cos %.2f)\n", x->cos_moe);
        for (int r = 0; r < MT_PROBE_ROUTES; r++) {
            printf("  %-13s", mt_probe_route_names[r]);
            print_route(&x->routes[r]);
            if (r) printf("   overlap %.2f", x->routes[r].overlap);
            putchar('\n');
        }
    }
    return fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
}

static int print_csv(const cli_model *cm, const mt_probe_layer *p) {
    printf("layer,route,rank,expert,weight,overlap\n");
    for (uint32_t l = 0; l < cm->m->hp.n_layer; l++)
        for (int r = 0; r < MT_PROBE_ROUTES; r++)
            for (uint32_t i = 0; i < p[l].routes[r].n; i++)
                printf("%u,%s,%u,%u,%.9g,%.9g\n", l, mt_probe_route_names[r], i, p[l].routes[r].experts[i], p[l].routes[r].weights[i],
                       p[l].routes[r].overlap);
    return fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
}

static int run_probe(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    uint64_t seed;
    if (!cli_seed(a, &seed)) return CLI_EXIT_USAGE;
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    uint32_t L = cm.m->hp.n_layer, E = cm.m->hp.n_expert;
    mt_ids ids = { 0 };
    mt_interventions iv = { 0 };
    mt_probe_layer *p = calloc(L, sizeof *p);
    mt_session *s = NULL;
    bool from_set = false;
    if (!p) {
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    if (cli_get(a, "--prompt") || cli_get(a, "--prompt-file") || cli_get(a, "--ids") || cli_get(a, "--chat")) rc = cli_prompt(a, &cm, &ids);
    else { /* the first prompt of the bundled prompt sets */
        cli_corpus c;
        if (!(rc = cli_corpus_load(a, &cm, &c))) {
            ids = c.items[0].ids;
            c.items[0].ids = (mt_ids){ 0 };
            from_set = true;
        }
        cli_corpus_free(&c);
    }
    if (rc || (rc = cli_interventions(a, cm.m, &iv))) goto done;
    if (ids.n == 0) {
        rc = cli_error(CLI_EXIT_USAGE, "the prompt has no tokens");
        goto done;
    }
    if (ids.n > cm.m->hp.n_ctx) {
        rc = cli_error(CLI_EXIT_USAGE, "the prompt's %zu tokens are more than the model's context of %u", ids.n, cm.m->hp.n_ctx);
        goto done;
    }
    uint32_t pos = (uint32_t)ids.n - 1;
    if (cli_get(a, "--at") && !cli_get_u32(a, "--at", 0, (uint32_t)ids.n - 1, &pos)) {
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    mt_err err;
    if (!(s = mt_session_new(cm.m, cm.be, &err)) || !mt_session_capture_at(s, pos, &err)) {
        rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        goto done;
    }
    mt_session_skip_logits(s, true);
    mt_session_set_interventions(s, &iv);
    if (!mt_session_append(s, ids.ids, pos + 1, &err)) { /* what follows pos cannot change it */
        rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        goto done;
    }
    const float **resid = calloc(L + 1, sizeof *resid), **attn = calloc(L + 1, sizeof *attn);
    if (!resid || !attn) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    for (uint32_t l = 0; !rc && l <= L; l++)
        if (!mt_session_captured(s, l, &resid[l], &attn[l])) rc = cli_error(CLI_EXIT_FAIL, "the capture of position %u is missing", pos);
    for (uint32_t l = 0; !rc && l < L; l++)
        if (!mt_probe_layer_init(&p[l], E) || !mt_probe_compute(cm.m, &iv, l, resid, attn, &p[l])) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    free(resid);
    free(attn);
    if (rc) goto done;
    if (cli_has(a, "--json")) rc = print_json(&cm, &ids, pos, p);
    else if (cli_has(a, "--csv")) rc = print_csv(&cm, p);
    else rc = print_table(&cm, &ids, pos, p, from_set);
done:
    for (uint32_t l = 0; p && l < L; l++) mt_probe_layer_free(&p[l]);
    free(p);
    mt_session_free(s);
    mt_iv_free(&iv);
    mt_ids_free(&ids);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_probe = {
    .name = "probe",
    .usage = "moetop probe -m MODEL.gguf [--prompt TEXT | --prompt-file FILE | --ids \"..\" | --chat TEXT] [--at POS] "
             "[intervention flags] [--json | --csv]",
    .summary = "What the router reads at a position: embedding, attention and MoE parts, counterfactual routes.",
    .details = "POS defaults to the prompt's last token; without a prompt, the first prompt of the bundled prompt\n"
               "sets (or of --prompts DIR). The parts are exact: the engine captures the residual entering every\n"
               "layer and every attention update at POS, and the MoE updates are the differences.\n\n" CLI_IV_DETAILS,
    .definitions = probe_definitions,
    .opts = { CLI_MODEL_OPTS, CLI_CORPUS_OPTS, CLI_IV_OPTS,
              { "--at", 0, "POS", "the position (default the last)" },
              { "--seed", 0, "S", "seed for anything random (default 0; nothing here is)" },
              { "--csv", 0, NULL, "one row per layer, route and rank (RFC 4180)" },
              { "--json", 0, NULL, "one JSON object on stdout (shared/contracts/cli.md)" }, { NULL, 0, NULL, NULL } },
    .run = run_probe,
};
