#include "prune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "family.h"
#include "gguf_write.h"
#include "quant.h"

/* The tensors of a layer with one slice per expert in their last dimension. */
static const char *const expert_tensors[] = {
    "ffn_gate_inp.weight", "ffn_gate_inp.bias",  "ffn_gate_exps.weight", "ffn_gate_exps.bias",
    "ffn_up_exps.weight",  "ffn_up_exps.bias",   "ffn_down_exps.weight", "ffn_down_exps.bias",
};
#define N_EXPERT_TENSORS (sizeof expert_tensors / sizeof *expert_tensors)
#define ROUTER_BIAS 1 /* index of ffn_gate_inp.bias above */

/* The layer and expert-tensor index of a name "blk.L.SUFFIX", else false. */
static bool expert_tensor(mt_str name, uint32_t n_layer, uint32_t *layer, int *which) {
    char buf[MT_GGUF_MAX_NAME_LEN + 1];
    memcpy(buf, name.ptr, name.len);
    buf[name.len] = 0;
    unsigned l;
    int at = 0;
    if (sscanf(buf, "blk.%u.%n", &l, &at) != 1 || at == 0 || l >= n_layer) return false;
    for (size_t i = 0; i < N_EXPERT_TENSORS; i++)
        if (strcmp(buf + at, expert_tensors[i]) == 0) {
            *layer = l;
            *which = (int)i;
            return true;
        }
    return false;
}

bool mt_prune_plan_init(mt_prune_plan *p, const mt_gguf *g, mt_err *err) {
    memset(p, 0, sizeof *p);
    const char *path = mt_gguf_path(g);
    mt_str arch = mt_gguf_get_str(g, "general.architecture", (mt_str){ NULL, 0 });
    const mt_family *f = arch.ptr ? mt_family_find(arch) : NULL;
    if (!f) {
        mt_err_set(err, "%s: not a model moetop prunes (general.architecture is %s%.*s%s); pruning reads %s files", path,
                   arch.ptr ? "'" : "absent", arch.ptr ? (int)(arch.len > 40 ? 40 : arch.len) : 0, arch.ptr ? arch.ptr : "",
                   arch.ptr ? "'" : "", mt_family_names());
        return false;
    }
    if (f->split_experts && !mt_gguf_find_tensor(g, "blk.0.ffn_gate_exps.weight") && mt_gguf_find_tensor(g, "blk.0.ffn_gate.0.weight")) {
        mt_err_set(err, "%s: its experts are one tensor each (blk.N.ffn_gate.E.weight); pruning reads merged ffn_*_exps files", path);
        return false;
    }
    snprintf(p->arch, sizeof p->arch, "%s", f->arch);
    p->biases = f->biases;
    char kl[64], ke[64], kk[64];
    snprintf(kl, sizeof kl, "%s.block_count", f->arch);
    snprintf(ke, sizeof ke, "%s.expert_count", f->arch);
    snprintf(kk, sizeof kk, "%s.expert_used_count", f->arch);
    uint64_t L = mt_gguf_get_u64(g, kl, 0), E = mt_gguf_get_u64(g, ke, 0), k = mt_gguf_get_u64(g, kk, 0);
    if (L == 0 || L > 1024 || E == 0 || E > 4096 || k == 0 || k > E) {
        mt_err_set(err, "%s: %s, expert_count or expert_used_count missing or out of range (%llu, %llu, %llu)", path, kl,
                   (unsigned long long)L, (unsigned long long)E, (unsigned long long)k);
        return false;
    }
    p->n_layer = (uint32_t)L;
    p->n_expert = (uint32_t)E;
    p->k = (uint32_t)k;
    if (!(p->keep = calloc(L * E, 1))) {
        mt_err_set(err, "%s: out of memory", path);
        return false;
    }
    return true;
}

void mt_prune_plan_free(mt_prune_plan *p) {
    free(p->keep);
    memset(p, 0, sizeof *p);
}

uint32_t mt_prune_kept(const mt_prune_plan *p, uint32_t layer) {
    uint32_t n = 0;
    for (uint32_t e = 0; e < p->n_expert; e++) n += p->keep[(size_t)layer * p->n_expert + e];
    return n;
}

void mt_prune_keep_best(mt_prune_plan *p, uint32_t layer, const double *score, uint32_t n) {
    uint8_t *keep = p->keep + (size_t)layer * p->n_expert;
    memset(keep, 0, p->n_expert);
    for (uint32_t i = 0; i < n && i < p->n_expert; i++) {
        int best = -1;
        for (uint32_t e = 0; e < p->n_expert; e++)
            if (!keep[e] && (best < 0 || score[e] > score[best])) best = (int)e;
        keep[best] = 1;
    }
}

/* The input's moetop.prune.kept (u32[n_layer * n_expert]) copied into *kept
 * (the caller frees; NULL when absent): false with err when malformed or out
 * of memory. */
static bool read_kept(const mt_gguf *g, const mt_prune_plan *p, uint32_t **kept, mt_err *err) {
    *kept = NULL;
    if (!mt_gguf_find(g, MT_PRUNE_KEPT_KEY)) return true;
    mt_gguf_array a;
    if (!mt_gguf_get_array(g, MT_PRUNE_KEPT_KEY, &a) || a.elem_type != MT_GGUF_UINT32 ||
        a.count != (uint64_t)p->n_layer * p->n_expert) {
        mt_err_set(err, "%s: key '%s' is not a uint32 array of block_count x expert_count (%u x %u) ids", mt_gguf_path(g),
                   MT_PRUNE_KEPT_KEY, p->n_layer, p->n_expert);
        return false;
    }
    if (!(*kept = malloc(a.nbytes + 1))) {
        mt_err_set(err, "out of memory");
        return false;
    }
    memcpy(*kept, a.data, a.nbytes); /* unaligned in the file; little-endian hosts only, as the whole engine */
    return true;
}

bool mt_prune_check(const mt_gguf *g, const mt_prune_plan *p, mt_err *err) {
    const char *path = mt_gguf_path(g);
    if (mt_gguf_find(g, MT_PRUNE_REMOVED_KEY)) {
        mt_err_set(err, "%s: already soft-pruned (key '%s'); prune the original file instead", path, MT_PRUNE_REMOVED_KEY);
        return false;
    }
    if (p->soft && !p->biases) {
        mt_err_set(err, "%s: --soft sets removed experts' router bias to -inf, and %s files have no router bias (prune structurally)",
                   path, p->arch);
        return false;
    }
    uint32_t *kept;
    if (!read_kept(g, p, &kept, err)) return false;
    free(kept);
    uint32_t n0 = mt_prune_kept(p, 0);
    for (uint32_t l = 0; l < p->n_layer; l++) {
        uint32_t n = mt_prune_kept(p, l);
        if (n == 0) {
            mt_err_set(err, "layer %u: no expert kept (keep at least one)", l);
            return false;
        }
        if (!p->soft && n != n0) {
            mt_err_set(err, "layer %u keeps %u experts and layer 0 %u: a structurally pruned file has one expert count (use --soft)", l, n,
                       n0);
            return false;
        }
        if (p->soft && n < p->k) {
            mt_err_set(err, "layer %u keeps %u experts, fewer than the model's k = %u: soft pruning keeps k (use a structural prune)", l, n,
                       p->k);
            return false;
        }
    }
    /* every layer's expert tensors, each with n_expert slices */
    for (uint32_t l = 0; l < p->n_layer; l++)
        for (size_t i = 0; i < N_EXPERT_TENSORS; i++) {
            if (!p->biases && i % 2) continue; /* the .bias tensors */
            char name[64];
            snprintf(name, sizeof name, "blk.%u.%s", l, expert_tensors[i]);
            const mt_gguf_tensor *t = mt_gguf_find_tensor(g, name);
            if (!t) {
                mt_err_set(err, "%s: tensor '%s' is missing", path, name);
                return false;
            }
            if (t->ne[t->n_dims - 1] != p->n_expert || t->n_dims < 1 || (t->n_dims == 1 && i != ROUTER_BIAS)) {
                mt_err_set(err, "%s: tensor '%s': its last dimension is %llu, not expert_count %u", path, name,
                           (unsigned long long)t->ne[t->n_dims - 1], p->n_expert);
                return false;
            }
            if (p->soft && i == ROUTER_BIAS && t->type != MT_TYPE_F32 && t->type != MT_TYPE_F16 && t->type != MT_TYPE_BF16) {
                mt_err_set(err, "%s: tensor '%s' is %s, which cannot hold -inf (soft pruning needs F32, F16 or BF16)", path, name,
                           mt_type_get(t->type) ? mt_type_get(t->type)->name : "?");
                return false;
            }
        }
    return true;
}

/* ---- writing ---------------------------------------------------------------------- */

typedef struct prune_ctx {
    const mt_gguf *g;
    const mt_prune_plan *p;
    const mt_gguf_tensor **src; /* per output tensor */
    int32_t *layer;             /* per output tensor: its layer when sliced or soft-biased, else -1 */
    int8_t *which;              /* its expert-tensor index */
} prune_ctx;

/* Writes -inf in element e of a bias of the given type. */
static void set_minus_inf(uint32_t type, void *data, uint32_t e) {
    if (type == MT_TYPE_F32) {
        const uint32_t bits = 0xff800000u;
        memcpy((uint8_t *)data + 4 * (size_t)e, &bits, 4);
    } else {
        const uint16_t bits = type == MT_TYPE_F16 ? 0xfc00u : 0xff80u;
        memcpy((uint8_t *)data + 2 * (size_t)e, &bits, 2);
    }
}

static bool fill(void *user, uint64_t index, void *dst, uint64_t nbytes, mt_err *err) {
    const prune_ctx *c = user;
    const mt_gguf_tensor *t = c->src[index];
    const mt_prune_plan *p = c->p;
    const uint8_t *keep = p->keep + (size_t)c->layer[index] * p->n_expert;
    if (p->soft) { /* the router bias: a copy with the removed experts at -inf */
        memcpy(dst, t->data, nbytes);
        for (uint32_t e = 0; e < p->n_expert; e++)
            if (!keep[e]) set_minus_inf(t->type, dst, e);
        return true;
    }
    uint64_t slice = t->nbytes / p->n_expert, at = 0;
    for (uint32_t e = 0; e < p->n_expert; e++)
        if (keep[e]) {
            memcpy((uint8_t *)dst + at, (const uint8_t *)t->data + (uint64_t)e * slice, slice);
            at += slice;
        }
    if (at != nbytes) {
        mt_err_set(err, "tensor '%.*s': %llu bytes sliced, %llu expected", (int)t->name.len, t->name.ptr, (unsigned long long)at,
                   (unsigned long long)nbytes);
        return false;
    }
    return true;
}

/* The metadata: the input's keys in order, the counts and the record of what was pruned. */
static bool set_metadata(mt_gguf_writer *w, const mt_gguf *g, const mt_prune_plan *p, const uint32_t *old_kept, mt_err *err) {
    mt_gguf_writer_set_version(w, mt_gguf_version(g));
    for (uint64_t i = 0; i < mt_gguf_kv_count(g); i++) {
        const mt_gguf_kv *kv = mt_gguf_kv_at(g, i);
        char *key = malloc(kv->key.len + 1);
        if (!key) {
            mt_err_set(err, "out of memory");
            return false;
        }
        memcpy(key, kv->key.ptr, kv->key.len);
        key[kv->key.len] = 0;
        bool ok = true;
        if (strcmp(key, "general.alignment") == 0) mt_gguf_writer_set_alignment(w, mt_gguf_alignment(g));
        else ok = mt_gguf_copy_kv(w, key, &kv->value);
        free(key);
        if (!ok) {
            mt_err_set(err, "out of memory");
            return false;
        }
    }
    uint32_t L = p->n_layer, E = p->n_expert, N = mt_prune_kept(p, 0);
    uint64_t n_ids = 0;
    for (uint32_t l = 0; l < L; l++) n_ids += p->soft ? 2ull * (E - mt_prune_kept(p, l)) : N;
    uint32_t *ids = malloc((n_ids + 1) * sizeof *ids);
    if (!ids) {
        mt_err_set(err, "out of memory");
        return false;
    }
    uint64_t at = 0;
    for (uint32_t l = 0; l < L; l++)
        for (uint32_t e = 0; e < E; e++) {
            uint32_t original = old_kept ? old_kept[(size_t)l * E + e] : e;
            bool kept = p->keep[(size_t)l * E + e];
            if (!p->soft && kept) ids[at++] = original;
            if (p->soft && !kept) {
                ids[at++] = l;
                ids[at++] = original;
            }
        }
    if (p->soft) mt_gguf_set_array(w, MT_PRUNE_REMOVED_KEY, MT_GGUF_UINT32, ids, n_ids);
    else {
        char key[64];
        snprintf(key, sizeof key, "%s.expert_count", p->arch);
        mt_gguf_set_u32(w, key, N);
        snprintf(key, sizeof key, "%s.expert_used_count", p->arch);
        mt_gguf_set_u32(w, key, p->k < N ? p->k : N);
        mt_gguf_set_array(w, MT_PRUNE_KEPT_KEY, MT_GGUF_UINT32, ids, n_ids);
    }
    free(ids);
    return true;
}

bool mt_prune_write(const mt_gguf *g, const mt_prune_plan *p, const char *path, mt_err *err) {
    if (!mt_prune_check(g, p, err)) return false;
    uint32_t *old_kept;
    if (!read_kept(g, p, &old_kept, err)) return false;
    uint64_t n = mt_gguf_tensor_count(g);
    mt_gguf_writer *w = mt_gguf_writer_new();
    prune_ctx c = { .g = g, .p = p, .src = calloc(n + 1, sizeof *c.src), .layer = calloc(n + 1, sizeof *c.layer),
                    .which = calloc(n + 1, 1) };
    bool ok = w && c.src && c.layer && c.which;
    if (!ok) mt_err_set(err, "%s: out of memory", path);
    ok = ok && set_metadata(w, g, p, old_kept, err);
    uint32_t N = mt_prune_kept(p, 0);
    for (uint64_t i = 0; ok && i < n; i++) {
        const mt_gguf_tensor *t = mt_gguf_tensor_at(g, i);
        uint32_t layer;
        int which;
        char name[MT_GGUF_MAX_NAME_LEN + 1];
        memcpy(name, t->name.ptr, t->name.len);
        name[t->name.len] = 0;
        uint64_t ne[MT_GGUF_MAX_DIMS];
        memcpy(ne, t->ne, sizeof ne);
        c.src[i] = t;
        c.layer[i] = -1;
        const void *data = t->data;
        if (expert_tensor(t->name, p->n_layer, &layer, &which) && (!p->soft || which == ROUTER_BIAS)) {
            c.layer[i] = (int32_t)layer;
            c.which[i] = (int8_t)which;
            if (!p->soft) ne[t->n_dims - 1] = N;
            data = NULL; /* made by fill() */
        }
        mt_gguf_add_tensor(w, name, t->type, t->n_dims, ne, data);
    }
    if (ok) {
        mt_err why;
        ok = mt_gguf_writer_write(w, path, fill, &c, &why);
        if (!ok) mt_err_set(err, "%s", why.msg);
    }
    mt_gguf_writer_free(w);
    free(c.src);
    free(c.layer);
    free(c.which);
    free(old_kept);
    return ok;
}
