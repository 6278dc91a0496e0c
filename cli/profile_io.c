#include "profile_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "json.h"
#include "json_read.h"
#include "engine/outfile.h"

static void u64_array(mt_json *j, const char *key, const uint64_t *v, size_t n) {
    mt_json_key(j, key);
    mt_json_begin_array(j);
    for (size_t i = 0; i < n; i++) mt_json_u64(j, v[i]);
    mt_json_end_array(j);
}

bool mt_profile_write(const char *path, const mt_profile *p) {
    const mt_stats *s = &p->stats;
    uint32_t E = s->n_expert;
    mt_json j = { 0 };
    mt_json_begin_object(&j);
    mt_json_kv_str(&j, "format", "moetop-profile");
    mt_json_kv_u64(&j, "version", 1);
    mt_json_kv_str(&j, "model", p->model);
    mt_json_kv_u64(&j, "n_layer", s->n_layer);
    mt_json_kv_u64(&j, "n_expert", E);
    mt_json_kv_u64(&j, "k", p->k);
    mt_json_kv_u64(&j, "docs", p->docs);
    mt_json_kv_f64(&j, "seconds", p->seconds);
    mt_json_kv_f64(&j, "tokens_per_second", p->seconds > 0 && s->n_layer ? (double)(s->layers[0].tokens + s->layers[0].nonfinite) / p->seconds : 0.0);
    mt_json_key(&j, "layers");
    mt_json_begin_array(&j);
    for (uint32_t l = 0; l < s->n_layer; l++) {
        const mt_layer_stats *ls = &s->layers[l];
        mt_json_begin_object(&j);
        mt_json_kv_u64(&j, "tokens", ls->tokens);
        mt_json_key(&j, "nonfinite"); /* tokens left out of this layer's sums: NaN or infinite router logits */
        mt_json_u64(&j, ls->nonfinite);
        mt_json_kv_u64(&j, "selections", ls->selections);
        u64_array(&j, "count", ls->count, E);
        u64_array(&j, "top1", ls->top1, E);
        u64_array(&j, "coact", ls->coact, (size_t)E * E);
        u64_array(&j, "soft_fix32", ls->soft, E);
        uint64_t sums[5] = { ls->h_full, ls->h_full_sq, ls->h_mix, ls->h_mix_sq, ls->top1_weight };
        u64_array(&j, "entropy_sums_fix32", sums, 5); /* H_full, H_full^2, H_mix, H_mix^2, top-1 weight */
        u64_array(&j, "hist_top1_weight", ls->hist_top1, MT_STATS_BINS);
        u64_array(&j, "hist_entropy_full", ls->hist_h_full, MT_STATS_BINS);
        mt_json_end_object(&j);
    }
    mt_json_end_array(&j);
    mt_json_end_object(&j);
    mt_bytes_put(&j.out, "\n", 1);
    mt_err err;
    bool ok = !j.out.oom && mt_outfile_write(path, j.out.data, j.out.len, &err);
    if (!ok) cli_error(CLI_EXIT_FAIL, "%s", j.out.oom ? "out of memory for the profile" : err.msg);
    mt_json_free(&j);
    return ok;
}

static bool read_u64_array(const jv *layer, const char *key, uint64_t *out, size_t n) {
    const jv *a = jv_get(layer, key);
    if (!a || a->kind != JV_ARR || a->len != n) return false;
    for (size_t i = 0; i < n; i++) {
        const jv *v = jv_at(a, i);
        if (v->kind != JV_NUM || !v->is_u64) return false;
        out[i] = v->u64;
    }
    return true;
}

bool mt_profile_read(const char *path, mt_profile *p) {
    memset(p, 0, sizeof *p);
    char err[300];
    jv *root = jv_parse_file(path, err, sizeof err);
    if (!root) {
        cli_error(CLI_EXIT_USAGE, "%s: not a profile: %s", path, err);
        return false;
    }
    const char *format = jv_str(root, "format");
    double n_layer = jv_num(root, "n_layer", -1), n_expert = jv_num(root, "n_expert", -1);
    const jv *layers = jv_get(root, "layers");
    bool ok = format && strcmp(format, "moetop-profile") == 0 && jv_num(root, "version", 0) == 1 && n_layer >= 1 &&
              n_layer <= 1024 && n_expert >= 1 && n_expert <= 4096 && layers && layers->len == (size_t)n_layer;
    if (!ok) {
        cli_error(CLI_EXIT_USAGE, "%s: not a moetop profile (version 1)", path);
        jv_free(root);
        return false;
    }
    snprintf(p->model, sizeof p->model, "%s", jv_str(root, "model") ? jv_str(root, "model") : "");
    p->k = (uint32_t)jv_num(root, "k", 0);
    p->docs = (uint64_t)jv_num(root, "docs", 0);
    p->seconds = jv_num(root, "seconds", 0);
    uint32_t E = (uint32_t)n_expert;
    if (!mt_stats_init(&p->stats, (uint32_t)n_layer, E)) {
        cli_error(CLI_EXIT_FAIL, "out of memory");
        jv_free(root);
        return false;
    }
    for (uint32_t l = 0; ok && l < p->stats.n_layer; l++) {
        mt_layer_stats *ls = &p->stats.layers[l];
        const jv *lj = jv_at(layers, l);
        uint64_t sums[5];
        const jv *tok = jv_get(lj, "tokens"), *sel = jv_get(lj, "selections"), *nf = jv_get(lj, "nonfinite");
        ls->tokens = tok && tok->is_u64 ? tok->u64 : 0;
        ls->selections = sel && sel->is_u64 ? sel->u64 : 0;
        ls->nonfinite = nf && nf->kind == JV_NUM && nf->is_u64 ? nf->u64 : 0; /* absent in older profiles: none */
        ok = (!nf || (nf->kind == JV_NUM && nf->is_u64)) && read_u64_array(lj, "count", ls->count, E) && read_u64_array(lj, "top1", ls->top1, E) &&
             read_u64_array(lj, "coact", ls->coact, (size_t)E * E) && read_u64_array(lj, "soft_fix32", ls->soft, E) &&
             read_u64_array(lj, "entropy_sums_fix32", sums, 5) && read_u64_array(lj, "hist_top1_weight", ls->hist_top1, MT_STATS_BINS) &&
             read_u64_array(lj, "hist_entropy_full", ls->hist_h_full, MT_STATS_BINS);
        if (ok) {
            ls->h_full = sums[0], ls->h_full_sq = sums[1], ls->h_mix = sums[2], ls->h_mix_sq = sums[3], ls->top1_weight = sums[4];
        } else {
            cli_error(CLI_EXIT_USAGE, "%s: layer %u of the profile is malformed", path, l);
        }
    }
    jv_free(root);
    if (!ok) mt_profile_free(p);
    return ok;
}

void mt_profile_free(mt_profile *p) { mt_stats_free(&p->stats); }
