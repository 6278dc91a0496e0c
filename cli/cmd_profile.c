/* `moetop profile`: streams a JSON Lines dataset through the model and
 * writes its routing statistics as a profile; `moetop merge-profiles` adds
 * profiles exactly, so a large corpus can be split into shards (--shard i/N
 * takes every N-th document) on many machines and merged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "input.h"
#include "jsonl.h"
#include "profile_io.h"
#include "stats_input.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void progress(uint64_t tokens, uint64_t max_tokens, uint64_t docs, double seconds) {
    char bar[31] = "";
    if (max_tokens) {
        int n = (int)(30.0 * (double)tokens / (double)max_tokens);
        for (int i = 0; i < 30; i++) bar[i] = i < n ? '#' : '.';
        bar[30] = 0;
    }
    fprintf(stderr, "\r%s%s%s %llu docs, %llu tokens, %.0f tok/s   ", max_tokens ? "[" : "", bar, max_tokens ? "]" : "",
            (unsigned long long)docs, (unsigned long long)tokens, seconds > 0 ? (double)tokens / seconds : 0.0);
}

static bool parse_shard(const char *s, uint32_t *index, uint32_t *count) {
    unsigned i, n;
    char extra;
    if (!s) {
        *index = 0;
        *count = 1;
        return true;
    }
    if (sscanf(s, "%u/%u%c", &i, &n, &extra) != 2 || n == 0 || i >= n) return false;
    *index = i;
    *count = n;
    return true;
}

static int run_profile(const cli_command *cmd, cli_args *a) {
    const char *data = cli_get(a, "--data"), *key = cli_get(a, "--text-key"), *out = cli_get(a, "--output");
    uint64_t max_tokens = 0;
    uint32_t shard, shards;
    if (!data) return cli_usage_error(cmd, "--data: a JSON Lines file is required");
    if (!out) return cli_usage_error(cmd, "-o: an output profile file is required");
    if (!key) key = "text";
    if (!parse_shard(cli_get(a, "--shard"), &shard, &shards)) return cli_usage_error(cmd, "--shard: '%s' is not i/N with 0 <= i < N", cli_get(a, "--shard"));
    if (!cli_get_u64(a, "--max-tokens", &max_tokens)) return CLI_EXIT_USAGE;
    cli_jsonl in;
    int rc = cli_jsonl_open(&in, data);
    if (rc) return rc;
    cli_model cm;
    if ((rc = cli_model_open(a, &cm))) {
        cli_jsonl_close(&in);
        return rc;
    }
    mt_interventions iv = { 0 };
    mt_profile p = { .k = cm.m->hp.k };
    snprintf(p.model, sizeof p.model, "%s", cli_base_name(cm.path));
    mt_session *s = NULL;
    mt_err err;
    mt_ids ids = { 0 };
    uint64_t tokens = 0, doc_index = 0;
    bool tty = isatty(2);
    double t0 = now(), last_shown = 0;
    if ((rc = cli_interventions(a, cm.m, &iv))) goto done;
    if (!mt_stats_init(&p.stats, cm.m->hp.n_layer, cm.m->hp.n_expert) || !(s = mt_session_new(cm.m, cm.be, &err))) {
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    mt_session_set_interventions(s, &iv);
    for (jv *doc; !rc && !(rc = cli_jsonl_next(&in, &doc)) && doc;) {
        bool mine = doc_index++ % shards == shard, full = max_tokens && tokens >= max_tokens;
        if (!mine || full) {
            jv_free(doc);
            if (full) break;
            continue;
        }
        const jv *text = jv_get(doc, key);
        if (!text || text->kind != JV_STR) {
            rc = cli_jsonl_error(data, in.line, "no string field '%.60s' (--text-key)", key);
            jv_free(doc);
            break;
        }
        ids.n = 0;
        if (!mt_tok_encode(cm.tok, text->str, text->len, false, &ids)) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        jv_free(doc);
        if (max_tokens && ids.n > max_tokens - tokens) ids.n = (size_t)(max_tokens - tokens);
        /* a document longer than the context is profiled in context-sized windows, each fresh */
        for (size_t at = 0; !rc && at < ids.n;) {
            uint32_t take = (uint32_t)(ids.n - at < cm.m->hp.n_ctx ? ids.n - at : cm.m->hp.n_ctx);
            mt_session_truncate(s, 0);
            if (!mt_session_append(s, ids.ids + at, take, &err)) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
            else cli_stats_observe_session(&p.stats, s);
            at += take;
        }
        tokens += ids.n;
        p.docs++;
        if (tty && now() - last_shown > 0.2) {
            progress(tokens, max_tokens, p.docs, now() - t0);
            last_shown = now();
        }
    }
    p.seconds = now() - t0;
    if (tty) progress(tokens, max_tokens, p.docs, p.seconds), fputc('\n', stderr);
    if (!rc && tokens == 0 && shards == 1) /* nothing to profile; a shard may be empty (it merges as nothing) */
        rc = cli_error(CLI_EXIT_USAGE, "%s: %s: there are no tokens to profile", data,
                       doc_index ? "every document's text is empty" : "no documents (one JSON object per line)");
    if (!rc && !mt_profile_write(out, &p)) rc = CLI_EXIT_FAIL;
    if (!rc) cli_stats_warn_nonfinite(&p.stats);
    if (!rc && tokens == 0)
        fprintf(stderr, "moetop: %s: shard %u/%u holds no tokens: an empty profile written to %s (it merges as nothing)\n", data,
                shard, shards, out);
    else if (!rc)
        fprintf(stderr, "moetop: profiled %llu documents (shard %u/%u), %llu tokens in %.1f s (%.0f tok/s) into %s\n",
                (unsigned long long)p.docs, shard, shards, (unsigned long long)tokens, p.seconds,
                p.seconds > 0 ? (double)tokens / p.seconds : 0.0, out);
done:
    cli_jsonl_close(&in);
    mt_ids_free(&ids);
    mt_session_free(s);
    mt_profile_free(&p);
    mt_iv_free(&iv);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_profile = {
    .name = "profile",
    .usage = "moetop profile [-m MODEL.gguf] --data FILE.jsonl [--text-key text] [--max-tokens N] [--shard i/N] -o PROFILE.json "
             "[intervention flags]",
    .summary = "Stream a JSON Lines dataset through the model into a routing profile (shardable, mergeable).",
    .details = "Each non-blank line is a JSON object whose --text-key field (default \"text\") is a document\n"
               "(line ends LF, CRLF or CR; a byte-order mark at the start is dropped; errors name the line);\n"
               "documents longer than the context run in context-sized windows. --shard i/N takes documents\n"
               "i, i+N, i+2N, ... so N machines cover the dataset once; `moetop merge-profiles` sums the\n"
               "shards exactly. --max-tokens caps this run's tokens. The profile feeds `sweep`, `entropy`,\n"
               "`coact` and `cold` through --profile. Tokens whose router logits at a layer hold NaN or\n"
               "infinity are counted in that layer's \"nonfinite\" and left out of its sums (said on stderr).\n" CLI_IV_DETAILS "\n" CLI_OUTPUT_DETAILS,
    .opts = { CLI_MODEL_OPTS, CLI_IV_OPTS, { "--data", 0, "FILE", "the dataset, JSON Lines" },
              { "--text-key", 0, "KEY", "the field holding the text (default text)" },
              { "--max-tokens", 0, "N", "stop after N tokens" }, { "--shard", 0, "i/N", "take every N-th document, from the i-th" },
              { "--output", 'o', "FILE", "the profile to write (- for stdout)" }, { NULL, 0, NULL, NULL } },
    .run = run_profile,
};

static int run_merge(const cli_command *cmd, cli_args *a) {
    const char *out = cli_get(a, "--output");
    if (!out) return cli_usage_error(cmd, "-o: an output profile file is required");
    if (a->n_positional < 1) return cli_usage_error(cmd, "give the profiles to merge");
    mt_profile total;
    if (!mt_profile_read(a->positional[0], &total)) return CLI_EXIT_USAGE;
    int rc = 0;
    for (int i = 1; i < a->n_positional && !rc; i++) {
        mt_profile p;
        if (!mt_profile_read(a->positional[i], &p)) {
            rc = CLI_EXIT_USAGE;
            break;
        }
        if (p.stats.n_layer != total.stats.n_layer || p.stats.n_expert != total.stats.n_expert || p.k != total.k ||
            strcmp(p.model, total.model) != 0)
            rc = cli_error(CLI_EXIT_USAGE, "%s: profile of %s (%u layers, %u experts) does not match %s (%s, %u layers, %u experts)",
                           a->positional[i], p.model, p.stats.n_layer, p.stats.n_expert, a->positional[0], total.model,
                           total.stats.n_layer, total.stats.n_expert);
        else {
            mt_stats_add(&total.stats, &p.stats);
            total.docs += p.docs;
            total.seconds += p.seconds;
        }
        mt_profile_free(&p);
    }
    if (!rc && !mt_profile_write(out, &total)) rc = CLI_EXIT_FAIL;
    if (!rc) cli_stats_warn_nonfinite(&total.stats);
    mt_profile_free(&total);
    return rc;
}

const cli_command cmd_merge_profiles = {
    .name = "merge-profiles",
    .usage = "moetop merge-profiles -o OUT.json PROFILE.json [PROFILE.json ...]",
    .summary = "Add profiles of the same model (shards of one corpus) into one, exactly.",
    .details = "Every count and sum in a profile is an integer, so merged shards equal one run over the\n"
               "whole dataset bit for bit (seconds excepted: they add up the shards' times), the counts of\n"
               "tokens left out for NaN or infinite router logits (\"nonfinite\") included.\n" CLI_OUTPUT_DETAILS,
    .max_positional = CLI_MAX_POSITIONAL,
    .opts = { { "--output", 'o', "FILE", "the merged profile (- for stdout)" }, { NULL, 0, NULL, NULL } },
    .run = run_merge,
};
