/* `moetop vocab-map`: every token of the vocabulary (or a range, or a shard)
 * as a one-token prompt, its routing per layer as long-format CSV and each
 * expert's top-expert count; `moetop merge-vocab-map` adds shards into exactly
 * the unsharded summary (experiments/vocab_map.h computes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/json.h"
#include "cli/json_read.h"
#include "cli/model_args.h"
#include "cli/stats_input.h"
#include "engine/outfile.h"
#include "engine/utf8.h"
#include "exp_args.h"
#include "experiments/vocab_map.h"

static const char *const vocab_map_definitions[] = {
    "prompt      each token id alone at position 0, or alone after --prefix (the prefix is",
    "            evaluated once; each token sees it and itself, nothing of the other tokens)",
    "CSV         token,text,layer,rank,expert,weight: one row per token, layer and selected",
    "            expert in the router's rank order, the weight applied (text: the token's",
    "            bytes as UTF-8, each invalid sequence as U+FFFD)",
    "top count   per layer, tokens whose top expert (highest weight, ties to the earlier",
    "            topk entry) is e; no top: tokens with no weight > 0",
    "tokens/s    tokens mapped per second of wall time, the prefix excluded",
    NULL,
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct csv_out {
    FILE *f;
    const mt_tokenizer *tok;
    uint32_t last_token;
    char text[1024];
    size_t text_len;
} csv_out;

/* the token's bytes as valid UTF-8 (U+FFFD for each invalid sequence) */
static void token_text(csv_out *c, uint32_t id) {
    size_t len, o = 0;
    const uint8_t *b = (const uint8_t *)mt_tok_bytes(c->tok, id, &len);
    for (size_t i = 0; i < len && o + 4 < sizeof c->text;) {
        uint32_t cp;
        size_t used = mt_utf8_next(b + i, len - i, &cp);
        o += mt_utf8_encode(cp == MT_UTF8_INVALID ? 0xFFFD : cp, c->text + o);
        i += used;
    }
    c->text_len = o;
}

static bool csv_row(void *user, uint32_t token, uint32_t layer, const uint32_t *ex, const float *w, uint32_t n) {
    csv_out *c = user;
    if (token != c->last_token) token_text(c, token), c->last_token = token;
    for (uint32_t i = 0; i < n; i++) {
        fprintf(c->f, "%u,", token);
        cli_csv_field(c->f, c->text, c->text_len);
        fprintf(c->f, ",%u,%u,%u,%.9g\n", layer, i, ex[i], w[i]);
    }
    return !ferror(c->f);
}

static bool parse_range(const char *v, uint32_t V, uint32_t *a, uint32_t *b) {
    char *end;
    unsigned long x = strtoul(v, &end, 10), y;
    if (end == v || *end != ':') return false;
    const char *s = end + 1;
    y = strtoul(s, &end, 10);
    if (end == s || *end || x >= y || y > V) return false;
    *a = (uint32_t)x, *b = (uint32_t)y;
    return true;
}

static bool parse_shard(const char *v, uint32_t *i, uint32_t *n) {
    char *end;
    unsigned long x = strtoul(v, &end, 10), y;
    if (end == v || *end != '/') return false;
    const char *s = end + 1;
    y = strtoul(s, &end, 10);
    if (end == s || *end || y == 0 || y > 1000000 || x >= y) return false;
    *i = (uint32_t)x, *n = (uint32_t)y;
    return true;
}

typedef struct vm_summary {
    const char *model;
    uint32_t n_vocab, L, E;
    const uint32_t *prefix;
    size_t n_prefix;
    uint32_t range_a, range_b, first, end, shard, shards; /* shards 0: not sharded */
    uint32_t batch; /* tokens per pass; 0: one append each */
    double seconds;
    const mt_vocab_map *map;
} vm_summary;

static int write_summary_json(const vm_summary *s, const char *path) {
    mt_json j = { 0 };
    mt_json_begin_object(&j);
    mt_json_kv_str(&j, "model", s->model);
    mt_json_kv_u64(&j, "n_vocab", s->n_vocab);
    mt_json_kv_u64(&j, "n_layer", s->L);
    mt_json_kv_u64(&j, "n_expert", s->E);
    mt_json_key(&j, "prefix_ids");
    mt_json_begin_array(&j);
    for (size_t i = 0; i < s->n_prefix; i++) mt_json_u64(&j, s->prefix[i]);
    mt_json_end_array(&j);
    mt_json_key(&j, "range");
    mt_json_begin_array(&j);
    mt_json_u64(&j, s->range_a);
    mt_json_u64(&j, s->range_b);
    mt_json_end_array(&j);
    if (s->shards) {
        mt_json_kv_u64(&j, "shard", s->shard);
        mt_json_kv_u64(&j, "shards", s->shards);
        mt_json_kv_u64(&j, "first", s->first);
        mt_json_kv_u64(&j, "end", s->end);
    }
    mt_json_kv_u64(&j, "tokens", s->map->tokens);
    mt_json_kv_u64(&j, "batch", s->batch);
    mt_json_kv_f64(&j, "seconds", s->seconds);
    mt_json_kv_f64(&j, "tokens_per_second", s->seconds > 0 ? (double)s->map->tokens / s->seconds : NAN);
    mt_json_key(&j, "layers");
    mt_json_begin_array(&j);
    for (uint32_t l = 0; l < s->L; l++) {
        mt_json_begin_object(&j);
        mt_json_kv_u64(&j, "layer", l);
        mt_json_key(&j, "top_counts");
        mt_json_begin_array(&j);
        for (uint32_t e = 0; e < s->E; e++) mt_json_u64(&j, s->map->top[(size_t)l * s->E + e]);
        mt_json_end_array(&j);
        mt_json_kv_u64(&j, "no_top", s->map->no_top[l]);
        mt_json_end_object(&j);
    }
    mt_json_end_array(&j);
    mt_json_end_object(&j);
    return mt_json_finish_to(&j, path);
}

static void print_summary(const vm_summary *s) {
    char span[48]; /* never end - 1 of an empty span (it would wrap) */
    if (s->end > s->first) snprintf(span, sizeof span, "%u..%u", s->first, s->end - 1);
    else snprintf(span, sizeof span, "none");
    printf("%s: %llu tokens (%s%s) as one-token prompts%s, %s, %.2f s: %.0f tokens/s\n", s->model,
           (unsigned long long)s->map->tokens, span, s->shards ? ", a shard" : "",
           s->n_prefix ? " after the prefix" : " at position 0", s->batch ? "in batches" : "one pass each", s->seconds,
           s->seconds > 0 ? (double)s->map->tokens / s->seconds : 0.0);
    printf("tokens per top expert (highest weight), per layer:\nlayer");
    for (uint32_t e = 0; e < s->E && e < 32; e++) printf(" %6u", e);
    printf("%s\n", s->E > 32 ? " ... (--json: all)" : "");
    for (uint32_t l = 0; l < s->L; l++) {
        printf("%5u", l);
        for (uint32_t e = 0; e < s->E && e < 32; e++) printf(" %6llu", (unsigned long long)s->map->top[(size_t)l * s->E + e]);
        putchar('\n');
    }
}

static int run_vocab_map(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    uint64_t seed;
    if (!cli_seed(a, &seed)) return CLI_EXIT_USAGE;
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    uint32_t V = cm.m->hp.n_vocab, L = cm.m->hp.n_layer, E = cm.m->hp.n_expert;
    vm_summary sum = { .model = cli_base_name(cm.path), .n_vocab = V, .L = L, .E = E, .range_a = 0, .range_b = V };
    mt_ids prefix = { 0 };
    mt_interventions iv = { 0 };
    mt_vocab_map map = { 0 };
    mt_session *s = NULL;
    csv_out csv = { .tok = cm.tok, .last_token = UINT32_MAX };
    mt_outfile out = { 0 };
    bool out_open = false;
    const char *csv_path = cli_get(a, "--csv");
    if (csv_path && strcmp(csv_path, "-") == 0 && cli_has(a, "--json")) {
        rc = cli_usage_error(a->cmd, "--csv -: the rows take stdout; write them to a file to have --json too");
        goto done;
    }
    if (cli_get(a, "--range") && !parse_range(cli_get(a, "--range"), V, &sum.range_a, &sum.range_b)) {
        rc = cli_error(CLI_EXIT_USAGE, "--range: '%s' is not A:B with 0 <= A < B <= %u (the vocabulary)", cli_get(a, "--range"), V);
        goto done;
    }
    if (cli_get(a, "--shard") && !parse_shard(cli_get(a, "--shard"), &sum.shard, &sum.shards)) {
        rc = cli_error(CLI_EXIT_USAGE, "--shard: '%s' is not i/N with 0 <= i < N", cli_get(a, "--shard"));
        goto done;
    }
    uint64_t n = sum.range_b - sum.range_a;
    if (sum.shards && sum.shards > n) { /* a shard with no tokens has no statistics */
        rc = cli_error(CLI_EXIT_USAGE, "--shard: %u parts of %llu tokens (%u..%u) leave some with none: give N <= %llu", sum.shards,
                       (unsigned long long)n, sum.range_a, sum.range_b - 1, (unsigned long long)n);
        goto done;
    }
    sum.first = sum.range_a + (uint32_t)(n * (sum.shards ? sum.shard : 0) / (sum.shards ? sum.shards : 1));
    sum.end = sum.range_a + (uint32_t)(n * (sum.shards ? sum.shard + 1 : 1) / (sum.shards ? sum.shards : 1));
    const char *pt = cli_get(a, "--prefix");
    if (pt && !mt_tok_encode(cm.tok, pt, strlen(pt), cli_has(a, "--special"), &prefix)) {
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    if (pt && prefix.n == 0) {
        rc = cli_error(CLI_EXIT_USAGE, "--prefix: the prefix has no tokens");
        goto done;
    }
    if (prefix.n + 1 > cm.m->hp.n_ctx) {
        rc = cli_error(CLI_EXIT_USAGE, "--prefix: %zu tokens and one more are more than the model's context of %u", prefix.n, cm.m->hp.n_ctx);
        goto done;
    }
    if ((rc = cli_interventions(a, cm.m, &iv))) goto done;
    mt_err err;
    if (!mt_vocab_map_init(&map, L, E) || !(s = mt_session_new(cm.m, cm.be, &err))) {
        rc = cli_error(CLI_EXIT_FAIL, "%s", map.top ? err.msg : "out of memory");
        goto done;
    }
    mt_session_skip_logits(s, true); /* routing only, in batches and one by one alike */
    mt_session_set_interventions(s, &iv);
    if (prefix.n && !mt_session_append(s, prefix.ids, (uint32_t)prefix.n, &err)) {
        rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        goto done;
    }
    sum.prefix = prefix.ids, sum.n_prefix = prefix.n;
    uint32_t batch = 256;
    if (cli_get(a, "--batch") && !cli_get_u32(a, "--batch", 1, 256, &batch)) {
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (cli_has(a, "--one-by-one") || !cm.be->attention_alone) batch = 0;
    sum.batch = batch;
    if (!cm.be->attention_alone && !cli_has(a, "--one-by-one"))
        fprintf(stderr, "moetop: vocab-map: the %s backend has no batched mode for independent tokens; one pass per token\n", cm.be->name);
    if (csv_path) {
        if (strcmp(csv_path, "-") == 0) csv.f = stdout;
        else {
            mt_err oerr;
            if (!mt_outfile_open(&out, csv_path, &oerr)) {
                rc = cli_error(CLI_EXIT_FAIL, "%s", oerr.msg);
                goto done;
            }
            out_open = true;
            csv.f = out.f;
        }
        fprintf(csv.f, "token,text,layer,rank,expert,weight\n");
    }
    cli_progress pr;
    cli_progress_begin(&pr, "vocab-map", "tokens");
    double t0 = now_s();
    bool ok = mt_vocab_map_run(s, sum.first, sum.end, batch, csv.f ? csv_row : NULL, &csv, cli_progress_fn, &pr, &map, &err);
    sum.seconds = now_s() - t0;
    cli_progress_end(&pr);
    if (!ok) {
        if (strcmp(err.msg, "cancelled") == 0 && csv.f && ferror(csv.f)) {
            if (out_open) { /* the system's reason, from the sink's first error */
                out_open = false;
                csv.f = NULL;
                mt_err cerr;
                if (!mt_outfile_commit(&out, &cerr)) rc = cli_error(CLI_EXIT_FAIL, "%s", cerr.msg);
                else rc = cli_error(CLI_EXIT_FAIL, "%s: write failed", csv_path);
            } else rc = cli_error(CLI_EXIT_FAIL, "stdout: write failed");
        } else rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        goto done;
    }
    if (out_open) {
        out_open = false;
        csv.f = NULL;
        mt_err cerr;
        if (!mt_outfile_commit(&out, &cerr)) {
            rc = cli_error(CLI_EXIT_FAIL, "%s", cerr.msg);
            goto done;
        }
    }
    sum.map = &map;
    if (cli_has(a, "--json")) rc = write_summary_json(&sum, NULL);
    else if (!csv_path || strcmp(csv_path, "-") != 0) {
        print_summary(&sum);
        rc = fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
    } else rc = fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
done:
    if (out_open) mt_outfile_abort(&out); /* nothing half-written */
    mt_session_free(s);
    mt_vocab_map_free(&map);
    mt_iv_free(&iv);
    mt_ids_free(&prefix);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_vocab_map = {
    .name = "vocab-map",
    .usage = "moetop vocab-map -m MODEL.gguf [--prefix TEXT] [--range A:B] [--shard i/N] [--csv FILE|-] [intervention flags] [--json]",
    .summary = "Every token of the vocabulary as a one-token prompt: its routing per layer, top-expert counts.",
    .details = "--range A:B maps ids A..B-1 (default the whole vocabulary); --shard i/N the i-th of N contiguous\n"
               "parts of it, so any job runner can spread the vocabulary over machines; merge-vocab-map adds the\n"
               "--json summaries of the N shards into exactly the unsharded one (the CSVs concatenate in shard\n"
               "order, each header after the first dropped). The CSV is streamed to a temporary file, renamed at the end.\n"
               "The tokens run in batches (--batch, default 256; each token sees only the prefix and itself, at\n"
               "the position after the prefix); --one-by-one appends one token per pass to the prefix, the\n"
               "reference: --batch 1 equals it bit for bit, larger batches within float32 rounding (the\n"
               "several-token kernels sum in another order).\n\n" CLI_IV_DETAILS,
    .definitions = vocab_map_definitions,
    .opts = { CLI_MODEL_OPTS, CLI_IV_OPTS,
              { "--prefix", 0, "TEXT", "a fixed prefix before every token (evaluated once)" },
              { "--special", 0, NULL, "special-token strings in the prefix are special tokens" },
              { "--range", 0, "A:B", "token ids A..B-1 (default all)" },
              { "--shard", 0, "i/N", "the i-th of N contiguous parts of the range" },
              { "--batch", 0, "N", "independent tokens per forward pass, 1..256 (default 256)" },
              { "--one-by-one", 0, NULL, "one append per token (the reference), instead of batches" },
              { "--csv", 0, "FILE", "the long-format rows to FILE (- for stdout)" },
              { "--seed", 0, "S", "seed for anything random (default 0; nothing here is)" },
              { "--json", 0, NULL, "the summary as one JSON object on stdout" }, { NULL, 0, NULL, NULL } },
    .run = run_vocab_map,
};

/* ---- merge-vocab-map ---- */

static int run_merge(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    const char *out = cli_get(a, "--output");
    if (!out) return cli_usage_error(a->cmd, "--output: the output file is required");
    if (a->n_positional < 1) return cli_usage_error(a->cmd, "give the shards' --json files");
    int n = a->n_positional, rc = 0;
    jv **in = calloc((size_t)n, sizeof *in);
    bool *seen = NULL;
    mt_vocab_map map = { 0 };
    uint32_t *prefix = NULL;
    if (!in) return cli_error(CLI_EXIT_FAIL, "out of memory");
    for (int i = 0; i < n && !rc; i++) {
        char err[256];
        if (!(in[i] = jv_parse_file(a->positional[i], err, sizeof err))) rc = cli_error(CLI_EXIT_USAGE, "%s: %s", a->positional[i], err);
    }
    vm_summary s = { 0 };
    if (!rc) {
        const jv *j = in[0];
        s.model = jv_str(j, "model");
        s.n_vocab = (uint32_t)jv_num(j, "n_vocab", 0), s.L = (uint32_t)jv_num(j, "n_layer", 0), s.E = (uint32_t)jv_num(j, "n_expert", 0);
        s.shards = (uint32_t)jv_num(j, "shards", 0);
        const jv *r = jv_get(j, "range"), *p = jv_get(j, "prefix_ids");
        if (!s.model || !s.L || !s.E || s.L > 4096 || s.E > 4096 || !r || r->kind != JV_ARR || r->len != 2 || !p || p->kind != JV_ARR ||
            !jv_get(j, "layers"))
            rc = cli_error(CLI_EXIT_USAGE, "%s: not a vocab-map --json summary", a->positional[0]);
        else if (s.shards == 0) rc = cli_error(CLI_EXIT_USAGE, "%s: not a shard (no --shard i/N)", a->positional[0]);
        else {
            s.range_a = (uint32_t)jv_at(r, 0)->num, s.range_b = (uint32_t)jv_at(r, 1)->num;
            s.n_prefix = p->len;
            prefix = calloc(p->len + 1, sizeof *prefix);
            seen = calloc(s.shards, sizeof *seen);
            if (!prefix || !seen || !mt_vocab_map_init(&map, s.L, s.E)) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
            for (size_t i = 0; !rc && i < p->len; i++) prefix[i] = (uint32_t)jv_at(p, i)->num;
            s.prefix = prefix;
            s.batch = (uint32_t)jv_num(j, "batch", 0);
        }
    }
    for (int i = 0; i < n && !rc; i++) {
        const jv *j = in[i], *r = jv_get(j, "range"), *p = jv_get(j, "prefix_ids"), *layers = jv_get(j, "layers");
        const char *name = a->positional[i];
        bool same = jv_str(j, "model") && strcmp(jv_str(j, "model"), s.model) == 0 && jv_num(j, "n_vocab", -1) == s.n_vocab &&
                    jv_num(j, "n_layer", -1) == s.L && jv_num(j, "n_expert", -1) == s.E && jv_num(j, "shards", -1) == s.shards && r &&
                    r->kind == JV_ARR && r->len == 2 && jv_at(r, 0)->num == s.range_a && jv_at(r, 1)->num == s.range_b && p &&
                    p->kind == JV_ARR && p->len == s.n_prefix && layers && layers->kind == JV_ARR && layers->len == s.L;
        for (size_t k = 0; same && k < s.n_prefix; k++) same = jv_at(p, k)->num == prefix[k];
        if (!same) {
            rc = cli_error(CLI_EXIT_USAGE, "%s: a shard of another run (model, vocabulary, prefix, range or N differ)", name);
            break;
        }
        double sh = jv_num(j, "shard", -1);
        if (sh < 0 || sh >= s.shards || seen[(uint32_t)sh]) {
            rc = cli_error(CLI_EXIT_USAGE, "%s: shard %g is missing, out of range or given twice", name, sh);
            break;
        }
        seen[(uint32_t)sh] = true;
        map.tokens += (uint64_t)jv_num(j, "tokens", 0);
        s.seconds += jv_num(j, "seconds", 0);
        if (jv_num(j, "batch", -1) != s.batch) s.batch = 0; /* mixed: reported as one pass each */
        for (uint32_t l = 0; l < s.L && !rc; l++) {
            const jv *x = jv_at(layers, l), *tc = jv_get(x, "top_counts");
            if (!tc || tc->kind != JV_ARR || tc->len != s.E) rc = cli_error(CLI_EXIT_USAGE, "%s: layer %u: no top_counts of %u experts", name, l, s.E);
            for (uint32_t e = 0; !rc && e < s.E; e++) map.top[(size_t)l * s.E + e] += jv_at(tc, e)->u64;
            map.no_top[l] += (uint64_t)jv_num(x, "no_top", 0);
        }
    }
    for (uint32_t i = 0; !rc && i < s.shards; i++)
        if (!seen[i]) rc = cli_error(CLI_EXIT_USAGE, "shard %u of %u is missing", i, s.shards);
    if (!rc) {
        s.first = s.range_a, s.end = s.range_b, s.shards = 0;
        s.map = &map;
        rc = write_summary_json(&s, out);
    }
    for (int i = 0; i < n; i++) jv_free(in[i]);
    free(in);
    free(seen);
    free(prefix);
    mt_vocab_map_free(&map);
    return rc;
}

const cli_command cmd_merge_vocab_map = {
    .name = "merge-vocab-map",
    .usage = "moetop merge-vocab-map -o OUT.json SHARD.json ...",
    .summary = "Adds vocab-map --shard i/N summaries into exactly the unsharded summary.",
    .details = "Every shard 0..N-1 of one run (same model, prefix, range and N), each once; the counts add,\n"
               "the seconds add (tokens_per_second is then tokens over the summed time).",
    .max_positional = 1024,
    .positional_name = "SHARD.json",
    .opts = { { "--output", 'o', "FILE", "the merged summary (written whole, then renamed; - for stdout)" }, { NULL, 0, NULL, NULL } },
    .run = run_merge,
};
