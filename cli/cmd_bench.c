/* `moetop bench`: prefill and decode speed of a model on a backend, after
 * one warm-up (shared/contracts/cli.md fixes the --json form). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "args.h"
#include "commands.h"
#include "text.h"
#include "engine/rng.h"
#include "engine/sample.h"
#include "engine/session.h"
#include "json.h"
#include "model_args.h"
#include "tui/app.h"
#include "engine/locale_c.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The backend's op time so far in seconds (0 when it keeps none). */
static double op_s(const cli_model *cm) { return cm->be->profile_ms ? cm->be->profile_ms(cm->be) / 1e3 : 0.0; }

/* Prefill p random tokens, then decode n greedily; seconds of each, and
 * (with --profile) the seconds of the decode spent inside the backend's ops. */
static bool run_once(const cli_model *cm, const uint32_t *prompt, uint32_t p, uint32_t n, double *prefill_s, double *decode_s,
                     double *decode_op_s, mt_err *err) {
    mt_session *s = mt_session_new(cm->m, cm->be, err);
    if (!s) return false;
    double t0 = now();
    bool ok = mt_session_append(s, prompt, p, err);
    double t1 = now(), op1 = op_s(cm);
    for (uint32_t i = 0; ok && i < n; i++) {
        uint32_t next = mt_argmax(mt_session_logits(s, mt_session_length(s) - 1), cm->m->hp.n_vocab);
        ok = mt_session_append(s, &next, 1, err);
    }
    double t2 = now();
    *prefill_s = t1 - t0;
    *decode_s = t2 - t1;
    *decode_op_s = op_s(cm) - op1;
    mt_session_free(s);
    return ok;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The explorer's latency: a 64-token prompt, then toggles (mask the cursor
 * cell's expert at a layer, and back), each timed from the key to a painted frame. */
static int bench_interactive(const cli_model *cm, bool json) {
    mt_app app;
    mt_err err;
    char prompt[2048] = "";
    while (strlen(prompt) < 600) strcat(prompt, "The router picks four experts for every token; ");
    mt_ids ids = { 0 };
    mt_tok_encode(cm->tok, prompt, strlen(prompt), false, &ids);
    size_t cut = 0, tokens = 0; /* the text of the first 64 tokens */
    for (; tokens < ids.n && tokens < 64; tokens++) {
        size_t len;
        mt_tok_bytes(cm->tok, ids.ids[tokens], &len);
        cut += len;
    }
    prompt[cut] = 0;
    mt_ids_free(&ids);
    if (!mt_app_init(&app, cli_base_name(cm->path), cm->m, cm->tok, cm->be, prompt, &err)) return cli_error(CLI_EXIT_FAIL, "%s", err.msg);
    mt_grid g;
    if (!mt_grid_init(&g, 120, 40)) return cli_error(CLI_EXIT_FAIL, "out of memory");
    enum { N = 40 };
    double ms[N];
    mt_rng rng = mt_rng_seed(3, 0);
    for (int i = 0; i < N; i++) {
        app.cur_layer = (uint32_t)mt_rng_below(&rng, cm->m->hp.n_layer);
        app.cur_tok = (uint32_t)mt_rng_below(&rng, mt_session_length(app.s));
        double t0 = now();
        if (!mt_app_key(&app, 'm', &err)) break;
        mt_app_draw(&app, &g);
        ms[i] = (now() - t0) * 1e3;
        mt_app_key(&app, 'c', &err); /* back to the baseline, untimed */
    }
    qsort(ms, N, sizeof *ms, cmp_double);
    if (json) mt_c_fprintf(stdout, "{\"backend\": \"%s\", \"prompt_tokens\": %u, \"toggles\": %d, \"median_ms\": %.2f, \"p95_ms\": %.2f, \"max_ms\": %.2f}\n",
                     cm->be->name, mt_session_length(app.s), N, ms[N / 2], ms[N * 95 / 100], ms[N - 1]);
    char name[1024];
    if (!json) printf("%s: explorer toggle to frame over a %u-token prompt: median %.1f ms, p95 %.1f ms, max %.1f ms (%d toggles, 120x40)\n",
                mt_one_line(cli_base_name(cm->path), name, sizeof name), mt_session_length(app.s), ms[N / 2], ms[N * 95 / 100], ms[N - 1], N);
    mt_grid_free(&g);
    mt_app_free(&app);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
}

/* Decimals that give x at least three significant digits (one at least, six at most): a small
 * model's 0.0625 MB is not "0.1 MB", which times the tok/s would not make the GB/s printed */
static int decimals(double x) {
    int d = 1;
    for (double bound = 10; d < 6 && x > 0 && x < bound; bound /= 10) d++;
    return d;
}

static int run_bench(const cli_command *cmd, cli_args *a) {
    uint32_t p = 64, n = 32;
    if (cli_has(a, "--interactive") && (cli_has(a, "--prefill") || cli_has(a, "--decode"))) /* it would run without them */
        return cli_usage_error(cmd, "--interactive: times a fixed 64-token prompt; -p and -n do not apply");
    if (!cli_get_u32(a, "--prefill", 1, 1u << 20, &p) || !cli_get_u32(a, "--decode", 0, 1u << 20, &n)) return CLI_EXIT_USAGE;
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    if (cli_has(a, "--interactive")) {
        rc = bench_interactive(&cm, cli_has(a, "--json"));
        cli_model_close(&cm);
        return rc;
    }
    if ((uint64_t)p + n > cm.m->hp.n_ctx) {
        rc = cli_error(CLI_EXIT_USAGE, "-p %u + -n %u tokens are more than the model's context of %u", p, n, cm.m->hp.n_ctx);
        cli_model_close(&cm);
        return rc;
    }
    uint32_t *prompt = malloc(p * sizeof *prompt);
    mt_rng rng = mt_rng_seed(1, 0);
    for (uint32_t i = 0; prompt && i < p; i++) prompt[i] = (uint32_t)mt_rng_below(&rng, cm.m->hp.n_vocab);
    mt_err err;
    double warm_p, warm_d, warm_o, prefill_s = 0, decode_s = 0, decode_op = 0;
    if (!prompt || !run_once(&cm, prompt, p < 8 ? p : 8, n ? 1 : 0, &warm_p, &warm_d, &warm_o, &err) ||
        !run_once(&cm, prompt, p, n, &prefill_s, &decode_s, &decode_op, &err)) {
        rc = cli_error(CLI_EXIT_FAIL, "%s", prompt ? err.msg : "out of memory");
    } else {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double rss_mb = (double)ru.ru_maxrss / 1024.0; /* Linux reports KiB */
        double prefill_tps = p / prefill_s, decode_tps = n ? n / decode_s : 0.0;
        if (cli_has(a, "--json")) {
            mt_json j = { 0 };
            mt_json_begin_object(&j);
            mt_json_kv_str(&j, "model", cli_base_name(cm.path));
            mt_json_kv_str(&j, "backend", cm.be->name);
            mt_json_kv_str(&j, "device", cm.be->device);
            mt_json_kv_u64(&j, "threads", (uint64_t)cm.be->n_threads);
            mt_json_kv_u64(&j, "prefill_tokens", p);
            mt_json_kv_u64(&j, "decode_tokens", n);
            mt_json_kv_f64(&j, "prefill_tok_s", prefill_tps);
            mt_json_kv_f64(&j, "decode_tok_s", decode_tps);
            mt_json_kv_f64(&j, "peak_rss_mb", rss_mb);
            mt_json_end_object(&j);
            rc = mt_json_finish(&j);
        } else {
            char decode[64] = "no decode (-n 0)"; /* no speed over zero tokens */
            if (n) snprintf(decode, sizeof decode, "decode %u token%s %.1f tok/s", n, n == 1 ? "" : "s", decode_tps);
            char name[1024];
            printf("%s on %s (%s): prefill %u token%s %.1f tok/s, %s, peak RSS %.0f MB\n", mt_one_line(cli_base_name(cm.path), name, sizeof name),
                   cm.be->name, cm.be->device, p, p == 1 ? "" : "s", prefill_tps, decode, rss_mb);
        }
        /* the summary first (a failed write is exit 1, as everywhere), then the split below it, then the per-op table */
        if (!rc && (fflush(stdout) != 0 || ferror(stdout))) rc = cli_error(CLI_EXIT_FAIL, "stdout: write failed");
        if (n && cm.be->profile_ms) { /* what the issue calls host overhead: a decoded token's wall time outside its ops */
            /* whole microseconds first, so that the printed wall is exactly the printed ops plus the printed rest */
            long long wall_us = llround(1e6 * decode_s / n), op_us = llround(1e6 * decode_op / n), rest_us = wall_us - op_us;
            fprintf(stderr, "decode, per token: %.3f ms wall, %.3f ms in the backend's ops (%s), %.3f ms outside them (%.1f%%)\n",
                    (double)wall_us / 1e3, (double)op_us / 1e3, strcmp(cm.be->name, "cpu") ? "GPU time" : "their wall time",
                    (double)rest_us / 1e3, wall_us > 0 ? 100.0 * (double)rest_us / (double)wall_us : 0.0);
            /* the bandwidth a decode achieves: the weight bytes a token must read (mt_model_decode_bytes) times tok/s */
            double mb = (double)mt_model_decode_bytes(cm.m) / 1e6, gbs = mb * decode_tps / 1e3;
            fprintf(stderr, "decode, weights read per token: %.*f MB (k = %u experts a layer), %.*f GB/s at %.1f tok/s\n", decimals(mb), mb,
                    cm.m->hp.k, decimals(gbs), gbs, decode_tps);
        }
    }
    free(prompt);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_bench = {
    .name = "bench",
    .usage = "moetop bench [-m MODEL.gguf] [--backend cpu|vulkan] [--threads N] [-p 64] [-n 32] [--profile] [--interactive] [--json]",
    .summary = "Measure prefill and decode speed, after one warm-up.",
    .details = "Prefill of -p random tokens, then -n tokens decoded greedily one at a time.\n"
               "peak_rss_mb is the process's peak resident memory. With -n 0 nothing is decoded: the\n"
               "text says so, and the JSON's decode_tok_s is 0. With --profile and -n above 0, a line on\n"
               "stderr splits a decoded token's wall time into its time in the backend's ops (GPU time on\n"
               "Vulkan, the ops' wall time on the C backend) and the rest, outside them, and a second\n"
               "gives the weight bytes a decoded token reads at least once (every layer's attention, router\n"
               "and norms, k experts' gate, up and down, the output head and one embedding row; not the\n"
               "KV cache) and that times tok/s: the memory bandwidth the decode reaches, to set beside\n"
               "the machine's (make bench prints its streaming read rate); both to three significant\n"
               "digits at least, so a small model's MB times the tok/s gives the GB/s printed.",
    .opts = {
        CLI_MODEL_OPTS,
        CLI_GPU_PROFILE_OPT,
        { "--prefill", 'p', "N", "prompt tokens (default 64)" },
        { "--decode", 'n', "N", "decoded tokens (default 32)" },
        { "--interactive", 0, NULL, "the explorer's latency: a toggle to its new frame, a fixed 64-token prompt (no -p, -n)" },
        { "--json", 0, NULL, "one JSON object on stdout (shared/contracts/cli.md)" },
        { NULL, 0, NULL, NULL },
    },
    .run = run_bench,
};
