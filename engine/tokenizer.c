#include "tokenizer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpe.h"
#include "name_index.h"
#include "pretok.h"
#include "tokenizer_internal.h"
#include "utf8.h"

bool mt_ids_push(mt_ids *v, uint32_t id) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        uint32_t *p = realloc(v->ids, cap * sizeof *p);
        if (!p) return false;
        v->ids = p;
        v->cap = cap;
    }
    v->ids[v->n++] = id;
    return true;
}

void mt_ids_free(mt_ids *v) {
    free(v->ids);
    memset(v, 0, sizeof *v);
}

/* ---- loading -------------------------------------------------------------------- */

/* GPT-2's byte-to-unicode map, reversed: the code point standing for each
 * byte in a token's text -> that byte (-1 for other code points). Printable
 * bytes stand for themselves; the other 68 are U+0100.. in byte order. */
#define BYTE_MAP_SIZE 324

static void build_byte_map(int16_t map[BYTE_MAP_SIZE]) {
    for (int i = 0; i < BYTE_MAP_SIZE; i++) map[i] = -1;
    int extra = 0;
    for (int b = 0; b < 256; b++) {
        bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
        map[printable ? b : 256 + extra++] = (int16_t)b;
    }
}

typedef struct loader {
    mt_tokenizer *t;
    const char *file;
    mt_err *err;
    int16_t byte_map[BYTE_MAP_SIZE];
} loader;

__attribute__((format(printf, 2, 3))) static bool fail(loader *l, const char *fmt, ...) {
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    mt_err_set(l->err, "%s: %s", l->file, why);
    return false;
}

/* Decodes a byte-level token text into raw bytes (out holds at least len). */
static bool unmap_bytes(const loader *l, const char *s, size_t len, char *out, size_t *out_len) {
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += mt_utf8_next((const uint8_t *)s + i, len - i, &cp);
        int b = cp < BYTE_MAP_SIZE ? l->byte_map[cp] : -1;
        if (b < 0) return false;
        out[o++] = (char)b;
    }
    *out_len = o;
    return true;
}

/* Every key the tokenizer reads is required, with its type (llama.cpp
 * refuses such files too): tokenizer.ggml.model, .pre, .tokens (strings),
 * .token_type (one int32 per token: it alone tells special tokens from text)
 * and .merges (strings: byte-level BPE without them tokenizes silently
 * wrong); .bos_token_id and .eos_token_id may be absent, but when present
 * must be token ids. Each failure names the file and the key. */

/* "a string", "an int32" */
static const char *article(const char *type_name) { return type_name[0] == 'i' || type_name[0] == 'a' ? "an" : "a"; }

/* The value of key when it has the type (for arrays, also the element type); else fails naming it. */
static const mt_gguf_value *required(loader *l, const mt_gguf *g, const char *key, uint32_t type, uint32_t elem, const char *missing) {
    const mt_gguf_kv *kv = mt_gguf_find(g, key);
    if (!kv) {
        fail(l, "key '%s' is missing%s", key, missing);
        return NULL;
    }
    const mt_gguf_value *v = &kv->value;
    if (v->type != type || (type == MT_GGUF_ARRAY && v->v.arr.elem_type != elem)) {
        char want[64], got[64];
        if (type == MT_GGUF_ARRAY) snprintf(want, sizeof want, "an array of %s", mt_gguf_type_name(elem));
        else snprintf(want, sizeof want, "%s %s", article(mt_gguf_type_name(type)), mt_gguf_type_name(type));
        if (v->type == MT_GGUF_ARRAY) snprintf(got, sizeof got, "an array of %s", mt_gguf_type_name(v->v.arr.elem_type));
        else snprintf(got, sizeof got, "%s %s", article(mt_gguf_type_name(v->type)), mt_gguf_type_name(v->type));
        fail(l, "key '%s' is %s, not %s", key, got, want);
        return NULL;
    }
    return v;
}

/* The key's string value cut to 40 bytes, for a message. */
static const char *shown(const mt_gguf_value *v, char out[48]) {
    snprintf(out, 48, "%.*s", (int)(v->v.str.len > 40 ? 40 : v->v.str.len), v->v.str.ptr);
    return out;
}

/* tokenizer.ggml.model and .pre -> t->kind, as llama.cpp's llama_vocab::impl::load
 * maps them: "gpt2" with "gpt-4o", "qwen2" or "olmo"; "llama" (no pre). */
static bool check_model(loader *l, const mt_gguf *g) {
    const mt_gguf_value *model = required(l, g, "tokenizer.ggml.model", MT_GGUF_STRING, 0, ": the file has no tokenizer");
    if (!model) return false;
    char value[48];
    if (mt_str_eq(model->v.str, "llama")) {
        l->t->kind = MT_TOK_SPM;
        return true;
    }
    if (!mt_str_eq(model->v.str, "gpt2"))
        return fail(l, "key 'tokenizer.ggml.model': '%s' is not supported yet (byte-level BPE 'gpt2' and SentencePiece 'llama' are)",
                    shown(model, value));
    const mt_gguf_value *pre = required(l, g, "tokenizer.ggml.pre", MT_GGUF_STRING, 0, " (the pre-tokenizers gpt-4o, qwen2 and olmo are supported)");
    if (!pre) return false;
    if (mt_str_eq(pre->v.str, "gpt-4o")) l->t->kind = MT_TOK_O200K;
    else if (mt_str_eq(pre->v.str, "qwen2")) l->t->kind = MT_TOK_QWEN2;
    else if (mt_str_eq(pre->v.str, "olmo")) l->t->kind = MT_TOK_GPT2;
    else
        return fail(l, "key 'tokenizer.ggml.pre': pre-tokenizer '%s' is not supported yet (gpt-4o, qwen2 and olmo are)", shown(pre, value));
    return true;
}

/* A special-token id key: absent gives -1; present, it must be an unsigned integer below the vocabulary size. */
static bool token_id(loader *l, const mt_gguf *g, const char *key, int64_t *out) {
    const mt_gguf_kv *kv = mt_gguf_find(g, key);
    uint64_t id;
    *out = -1;
    if (!kv) return true;
    const char *type = mt_gguf_type_name(kv->value.type);
    if (kv->value.type == MT_GGUF_INT8 || kv->value.type == MT_GGUF_INT16 || kv->value.type == MT_GGUF_INT32 || kv->value.type == MT_GGUF_INT64) {
        if (kv->value.v.i < 0) return fail(l, "key '%s': %lld is not a token id", key, (long long)kv->value.v.i);
    }
    if (!mt_gguf_value_u64(&kv->value, &id)) return fail(l, "key '%s' is %s %s, not a token id", key, article(type), type);
    if (id >= l->t->n_vocab)
        return fail(l, "key '%s': %llu is not a token id (the vocabulary has %u tokens)", key, (unsigned long long)id, l->t->n_vocab);
    *out = (int64_t)id;
    return true;
}

/* A SentencePiece token's bytes: a byte token "<0xNN>" is that byte; other
 * text with U+2581 (the piece's space) as a space. */
static bool spm_text(const char *s, size_t len, int64_t type, char *out, size_t *out_len) {
    if (type == TOKEN_BYTE) {
        unsigned v;
        char hex[8];
        if (len != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>') return false;
        memcpy(hex, s + 3, 2);
        hex[2] = 0;
        if (sscanf(hex, "%2x", &v) != 1) return false;
        out[0] = (char)v;
        *out_len = 1;
        return true;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (i + 2 < len && (uint8_t)s[i] == 0xe2 && (uint8_t)s[i + 1] == 0x96 && (uint8_t)s[i + 2] == 0x81) {
            out[o++] = ' ';
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    *out_len = o;
    return true;
}

static bool load_tokens(loader *l, const mt_gguf *g) {
    mt_tokenizer *t = l->t;
    const mt_gguf_value *tv0 = required(l, g, "tokenizer.ggml.tokens", MT_GGUF_ARRAY, MT_GGUF_STRING, ": the file has no vocabulary");
    if (!tv0) return false;
    mt_gguf_array toks = tv0->v.arr, types;
    if (toks.count == 0 || toks.count > (1u << 24)) return fail(l, "key 'tokenizer.ggml.tokens': %s", toks.count ? "more than 16M tokens" : "no tokens");
    const mt_gguf_kv *type_kv = mt_gguf_find(g, "tokenizer.ggml.token_type");
    if (type_kv && type_kv->value.type == MT_GGUF_ARRAY && type_kv->value.v.arr.elem_type == MT_GGUF_UINT32) {
        types = type_kv->value.v.arr; /* (some writers use uint32) */
    } else {
        const mt_gguf_value *tt = required(l, g, "tokenizer.ggml.token_type", MT_GGUF_ARRAY, MT_GGUF_INT32,
                                           ": without it special tokens (<|start|> ...) cannot be told from text");
        if (!tt) return false;
        types = tt->v.arr;
    }
    if (types.count != toks.count)
        return fail(l, "key 'tokenizer.ggml.token_type': %llu types for %llu tokens", (unsigned long long)types.count, (unsigned long long)toks.count);
    t->n_vocab = (uint32_t)toks.count;
    t->tokens = calloc(t->n_vocab, sizeof *t->tokens);
    t->special = calloc(t->n_vocab, 1);
    t->arena = malloc(toks.nbytes ? toks.nbytes : 1); /* unmapped text is never longer than the file's */
    if (!t->tokens || !t->special || !t->arena || !mt_name_index_init(&t->ordinary_index, t->n_vocab) ||
        !mt_name_index_init(&t->special_index, t->n_vocab))
        return fail(l, "out of memory for the vocabulary");
    mt_gguf_iter it = mt_gguf_array_iter(&toks), type_it = mt_gguf_array_iter(&types);
    mt_gguf_value v, tv;
    size_t used = 0;
    for (uint32_t id = 0; mt_gguf_iter_next(&it, &v); id++) {
        int64_t type = TOKEN_NORMAL;
        if (mt_gguf_iter_next(&type_it, &tv)) mt_gguf_value_i64(&tv, &type);
        char *dst = t->arena + used;
        size_t len;
        bool spm = t->kind == MT_TOK_SPM;
        if (type == TOKEN_CONTROL || type == TOKEN_USER_DEFINED || (spm && type == TOKEN_UNKNOWN)) {
            memcpy(dst, v.v.str.ptr, v.v.str.len); /* specials are literal text */
            len = v.v.str.len;
            t->special[id] = 1;
        } else if (spm ? !spm_text(v.v.str.ptr, v.v.str.len, type, dst, &len) : !unmap_bytes(l, v.v.str.ptr, v.v.str.len, dst, &len)) {
            return fail(l, "key 'tokenizer.ggml.tokens': token %u is not %s text", id, spm ? "SentencePiece byte-token" : "byte-level BPE");
        }
        t->tokens[id] = (mt_str){ dst, len };
        if (len > t->max_bytes) t->max_bytes = len;
        used += len;
        mt_name_index *ix = t->special[id] ? &t->special_index : &t->ordinary_index;
        bool byte_token = spm ? type == TOKEN_BYTE : len == 1 && !t->special[id];
        if (len && !(spm && type == TOKEN_BYTE) && mt_name_index_find(ix, t->tokens, sizeof *t->tokens, t->tokens[id]) == MT_NAME_NONE)
            mt_name_index_add(ix, t->tokens, sizeof *t->tokens, id);
        if (byte_token && t->byte_token[(uint8_t)dst[0]] == UINT32_MAX) t->byte_token[(uint8_t)dst[0]] = id;
    }
    for (int b = 0; b < 256; b++) {
        if (t->byte_token[b] != UINT32_MAX) continue;
        return fail(l, "key 'tokenizer.ggml.tokens': no token for the single byte 0x%02x (%s needs all 256)", b,
                    t->kind == MT_TOK_SPM ? "SentencePiece's byte fallback <0xNN>" : "byte-level BPE");
    }
    return true;
}

/* Merges are read in batches so that the hash lookups of a batch overlap
 * their cache misses: loading o200k's 446k merges is mostly memory latency. */
#define MERGE_BATCH 64

typedef struct merge_slot {
    mt_str left, right, joined; /* left and right are adjacent in the buffer: joined spans both */
    uint64_t hash[3];
    uint64_t id[3];
} merge_slot;

static bool read_merge_batches(loader *l, const mt_gguf_array *merges, char (*buf)[1024], merge_slot *batch);

static bool load_merges(loader *l, const mt_gguf *g) {
    mt_tokenizer *t = l->t;
    const mt_gguf_value *mv = required(l, g, "tokenizer.ggml.merges", MT_GGUF_ARRAY, MT_GGUF_STRING,
                                       ": byte-level BPE needs its merges (without them text splits into single bytes)");
    if (!mv) return false;
    mt_gguf_array merges = mv->v.arr;
    if (merges.count > UINT32_MAX / 2) return fail(l, "key 'tokenizer.ggml.merges': too many merges");
    if (!mt_bpe_init(&t->bpe, t->n_vocab, merges.count, t->kind != MT_TOK_O200K)) return fail(l, "out of memory for the merges");
    char (*buf)[1024] = malloc(MERGE_BATCH * sizeof *buf);
    merge_slot batch[MERGE_BATCH];
    if (!buf) return fail(l, "out of memory for the merges");
    bool ok = read_merge_batches(l, &merges, buf, batch);
    free(buf);
    return ok;
}

static bool read_merge_batches(loader *l, const mt_gguf_array *merges, char (*buf)[1024], merge_slot *batch) {
    mt_tokenizer *t = l->t;
    mt_gguf_iter it = mt_gguf_array_iter(merges);
    mt_gguf_value v;
    for (uint32_t base = 0; base < merges->count; base += MERGE_BATCH) {
        uint32_t n = merges->count - base < MERGE_BATCH ? (uint32_t)(merges->count - base) : MERGE_BATCH;
        for (uint32_t k = 0; k < n && mt_gguf_iter_next(&it, &v); k++) {
            const char *s = v.v.str.ptr;
            const char *space = memchr(s, ' ', v.v.str.len);
            size_t left_len, right_len;
            if (!space || v.v.str.len > sizeof *buf) return fail(l, "key 'tokenizer.ggml.merges': merge %u is not 'LEFT RIGHT'", base + k);
            if (!unmap_bytes(l, s, (size_t)(space - s), buf[k], &left_len) ||
                !unmap_bytes(l, space + 1, v.v.str.len - (size_t)(space - s) - 1, buf[k] + left_len, &right_len))
                return fail(l, "key 'tokenizer.ggml.merges': merge %u is not byte-level BPE text", base + k);
            merge_slot *m = &batch[k];
            m->left = (mt_str){ buf[k], left_len };
            m->right = (mt_str){ buf[k] + left_len, right_len };
            m->joined = (mt_str){ buf[k], left_len + right_len };
            m->hash[0] = mt_name_hash(m->left);
            m->hash[1] = mt_name_hash(m->right);
            m->hash[2] = mt_name_hash(m->joined);
            for (int h = 0; h < 3; h++) mt_name_index_prefetch(&t->ordinary_index, m->hash[h]);
        }
        for (uint32_t k = 0; k < n; k++) {
            merge_slot *m = &batch[k];
            mt_str parts[3] = { m->left, m->right, m->joined };
            for (int h = 0; h < 3; h++)
                m->id[h] = mt_name_index_find_hashed(&t->ordinary_index, t->tokens, sizeof *t->tokens, parts[h], m->hash[h]);
            if (m->id[0] == MT_NAME_NONE || m->id[1] == MT_NAME_NONE || m->id[2] == MT_NAME_NONE)
                return fail(l, "key 'tokenizer.ggml.merges': merge %u joins or makes text that is not a token", base + k);
            mt_bpe_prefetch(&t->bpe, (uint32_t)m->id[0], (uint32_t)m->id[1]);
        }
        for (uint32_t k = 0; k < n; k++)
            mt_bpe_add(&t->bpe, (uint32_t)batch[k].id[0], (uint32_t)batch[k].id[1], (uint32_t)batch[k].id[2], base + k);
    }
    return true;
}

static void find_specials(mt_tokenizer *t) {
    for (uint32_t id = 0; id < t->n_vocab; id++) {
        if (!t->special[id] || t->tokens[id].len == 0) continue;
        uint32_t len = (uint32_t)t->tokens[id].len;
        t->special_first_byte[(uint8_t)t->tokens[id].ptr[0]] = 1;
        int k = 0;
        while (k < t->n_special_lengths && t->special_lengths[k] != len) k++;
        if (k == t->n_special_lengths && k < 64) t->special_lengths[t->n_special_lengths++] = len;
    }
    /* longest first, so the longest special at a position wins */
    for (int i = 1; i < t->n_special_lengths; i++)
        for (int j = i; j > 0 && t->special_lengths[j] > t->special_lengths[j - 1]; j--) {
            uint32_t tmp = t->special_lengths[j];
            t->special_lengths[j] = t->special_lengths[j - 1];
            t->special_lengths[j - 1] = tmp;
        }
    static const char *const eog_names[] = { "<|return|>", "<|call|>", "<|endoftext|>", "<|im_end|>" };
    for (size_t i = 0; i < sizeof eog_names / sizeof *eog_names; i++) {
        int64_t id = mt_tok_find(t, eog_names[i]);
        if (id >= 0) t->eog[t->n_eog++] = id;
    }
    if (t->eos >= 0) t->eog[t->n_eog++] = t->eos;
}

/* SentencePiece's scores (one float32 per token), then its merges. */
static bool load_spm(loader *l, const mt_gguf *g) {
    const mt_gguf_value *sv = required(l, g, "tokenizer.ggml.scores", MT_GGUF_ARRAY, MT_GGUF_FLOAT32,
                                       ": SentencePiece merges pieces by their scores");
    if (!sv) return false;
    if (sv->v.arr.count != l->t->n_vocab)
        return fail(l, "key 'tokenizer.ggml.scores': %llu scores for %u tokens", (unsigned long long)sv->v.arr.count, l->t->n_vocab);
    const char *why = mt_spm_load(l->t, g, &sv->v.arr);
    return why ? fail(l, "%s", why) : true;
}

/* tokenizer.ggml.add_bos_token and .add_space_prefix, with llama.cpp's
 * defaults (SentencePiece: both true; byte-level BPE: both false). */
static bool load_flags(loader *l, const mt_gguf *g) {
    mt_tokenizer *t = l->t;
    bool spm = t->kind == MT_TOK_SPM;
    static const char *const keys[] = { "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_space_prefix" };
    bool *flags[] = { &t->add_bos, &t->add_space_prefix };
    for (int i = 0; i < 2; i++) {
        const mt_gguf_kv *kv = mt_gguf_find(g, keys[i]);
        *flags[i] = spm;
        if (!kv) continue;
        if (kv->value.type != MT_GGUF_BOOL) return fail(l, "key '%s' is %s %s, not a bool", keys[i], article(mt_gguf_type_name(kv->value.type)), mt_gguf_type_name(kv->value.type));
        *flags[i] = kv->value.v.b;
    }
    if (!spm) t->add_space_prefix = false; /* llama.cpp: only SentencePiece puts a space first */
    if (t->add_bos && t->bos < 0) return fail(l, "key 'tokenizer.ggml.bos_token_id' is missing, but prompts start with BOS (add_bos_token)");
    return true;
}

mt_tokenizer *mt_tokenizer_load(const mt_gguf *g, mt_err *err) {
    mt_tokenizer *t = calloc(1, sizeof *t);
    loader l = { .t = t, .file = mt_gguf_path(g), .err = err };
    if (!t) {
        mt_err_set(err, "%s: out of memory", l.file);
        return NULL;
    }
    memset(t->byte_token, 0xff, sizeof t->byte_token);
    build_byte_map(l.byte_map);
    bool ok = check_model(&l, g) && load_tokens(&l, g) && (t->kind == MT_TOK_SPM ? load_spm(&l, g) : load_merges(&l, g)) &&
              token_id(&l, g, "tokenizer.ggml.bos_token_id", &t->bos) && token_id(&l, g, "tokenizer.ggml.eos_token_id", &t->eos) &&
              load_flags(&l, g);
    if (!ok) {
        mt_tokenizer_free(t);
        return NULL;
    }
    find_specials(t);
    return t;
}

void mt_tokenizer_free(mt_tokenizer *t) {
    if (!t) return;
    mt_bpe_free(&t->bpe);
    mt_spm_free(&t->spm);
    mt_name_index_free(&t->ordinary_index);
    mt_name_index_free(&t->special_index);
    free(t->tokens);
    free(t->arena);
    free(t->special);
    free(t);
}

/* ---- lookups ---------------------------------------------------------------------- */

uint32_t mt_tok_vocab_size(const mt_tokenizer *t) { return t->n_vocab; }
const char *mt_tok_kind_name(const mt_tokenizer *t) {
    static const char *const names[] = { "o200k", "qwen2", "olmo", "sentencepiece" };
    return names[t->kind];
}
bool mt_tok_is_special(const mt_tokenizer *t, uint32_t id) { return id < t->n_vocab && t->special[id]; }
size_t mt_tok_max_bytes(const mt_tokenizer *t) { return t->max_bytes; }
int64_t mt_tok_bos(const mt_tokenizer *t) { return t->bos; }
int64_t mt_tok_eos(const mt_tokenizer *t) { return t->eos; }
bool mt_tok_add_bos(const mt_tokenizer *t) { return t->add_bos && t->bos >= 0; }

const char *mt_tok_bytes(const mt_tokenizer *t, uint32_t id, size_t *len) {
    *len = (size_t)t->tokens[id].len;
    return t->tokens[id].ptr;
}

int64_t mt_tok_find(const mt_tokenizer *t, const char *text) {
    mt_str s = { text, strlen(text) };
    uint64_t id = mt_name_index_find(&t->special_index, t->tokens, sizeof *t->tokens, s);
    if (id == MT_NAME_NONE) id = mt_name_index_find(&t->ordinary_index, t->tokens, sizeof *t->tokens, s);
    return id == MT_NAME_NONE ? -1 : (int64_t)id;
}

bool mt_tok_is_eog(const mt_tokenizer *t, uint32_t id) {
    for (int i = 0; i < t->n_eog; i++)
        if (t->eog[i] == id) return true;
    return false;
}

/* ---- encoding --------------------------------------------------------------------- */

typedef struct encoder {
    const mt_tokenizer *t;
    mt_ids *out;
    mt_bpe_scratch scratch;
    uint32_t *symbols;
    size_t symbols_cap;
} encoder;

/* One piece from the pre-tokenizer: for o200k a whole token if it is one
 * (tiktoken's shortcut, which BPE alone would not always reproduce), else its
 * merges (GPT-2 and Qwen2 always merge, as Hugging Face's BPE model does
 * without ignore_merges). */
static bool encode_piece(encoder *e, const char *p, size_t n) {
    const mt_tokenizer *t = e->t;
    if (t->kind == MT_TOK_O200K) {
        uint64_t whole = mt_name_index_find(&t->ordinary_index, t->tokens, sizeof *t->tokens, (mt_str){ p, n });
        if (whole != MT_NAME_NONE) return mt_ids_push(e->out, (uint32_t)whole);
    }
    if (n > e->symbols_cap) {
        uint32_t *s = realloc(e->symbols, n * sizeof *s);
        if (!s) return false;
        e->symbols = s;
        e->symbols_cap = n;
    }
    for (size_t i = 0; i < n; i++) e->symbols[i] = t->byte_token[(uint8_t)p[i]];
    size_t m = mt_bpe_merge(&t->bpe, e->symbols, n, &e->scratch);
    if (!m) return false;
    for (size_t i = 0; i < m; i++)
        if (!mt_ids_push(e->out, e->symbols[i])) return false;
    return true;
}

/* One run of ordinary text; first: it begins the text or follows a special
 * token (where SentencePiece puts its space). */
static bool encode_ordinary(encoder *e, const char *text, size_t len, bool first) {
    const mt_tokenizer *t = e->t;
    if (t->kind == MT_TOK_SPM) return len == 0 || mt_spm_encode(t, text, len, first && t->add_space_prefix, e->out);
    const uint8_t *s = (const uint8_t *)text;
    for (size_t pos = 0; pos < len;) {
        size_t end = t->kind == MT_TOK_O200K ? mt_pretok_o200k(s, len, pos)
                   : t->kind == MT_TOK_QWEN2 ? mt_pretok_qwen2(s, len, pos)
                                             : mt_pretok_gpt2(s, len, pos);
        if (!encode_piece(e, text + pos, end - pos)) return false;
        pos = end;
    }
    return true;
}

/* The special token starting at text[pos], longest first: its id, or -1. */
static int64_t special_at(const mt_tokenizer *t, const char *text, size_t len, size_t pos, size_t *match_len) {
    if (!t->special_first_byte[(uint8_t)text[pos]]) return -1;
    for (int k = 0; k < t->n_special_lengths; k++) {
        size_t n = t->special_lengths[k];
        if (n > len - pos) continue;
        uint64_t id = mt_name_index_find(&t->special_index, t->tokens, sizeof *t->tokens, (mt_str){ text + pos, n });
        if (id != MT_NAME_NONE) {
            *match_len = n;
            return (int64_t)id;
        }
    }
    return -1;
}

bool mt_tok_encode_prompt(const mt_tokenizer *t, const char *text, size_t len, bool parse_special, mt_ids *out) {
    if (mt_tok_add_bos(t) && !mt_ids_push(out, (uint32_t)t->bos)) return false;
    return mt_tok_encode(t, text, len, parse_special, out);
}

bool mt_tok_encode(const mt_tokenizer *t, const char *text, size_t len, bool parse_special, mt_ids *out) {
    encoder e = { .t = t, .out = out };
    bool ok = true, start_after_special = false;
    size_t start = 0;
    if (parse_special && t->n_special_lengths) {
        for (size_t pos = 0; pos < len && ok;) {
            size_t n;
            int64_t id = special_at(t, text, len, pos, &n);
            if (id < 0) {
                pos++;
                continue;
            }
            ok = encode_ordinary(&e, text + start, pos - start, start == 0 || start_after_special) && mt_ids_push(out, (uint32_t)id);
            start_after_special = true;
            pos += n;
            start = pos;
        }
    }
    if (ok) ok = encode_ordinary(&e, text + start, len - start, start == 0 || start_after_special);
    mt_bpe_scratch_free(&e.scratch);
    free(e.symbols);
    return ok;
}

/* ---- streaming decode --------------------------------------------------------------- */

/* Bytes at the end of buf[0..n) that begin a UTF-8 character still missing
 * bytes (0 when the end is complete or cannot be completed). */
static int incomplete_tail(const uint8_t *buf, size_t n) {
    for (int back = 1; back <= 3 && (size_t)back <= n; back++) {
        uint8_t b = buf[n - (size_t)back];
        if ((b & 0xc0) == 0x80) continue; /* continuation: look further back */
        int need = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 1;
        if (need <= back) return 0;
        /* a prefix only counts if it is a valid start of that character */
        uint32_t cp;
        size_t used = mt_utf8_next(buf + n - back, (size_t)back, &cp);
        return used == (size_t)back ? back : 0;
    }
    return 0;
}

size_t mt_detok_push(mt_detok *d, const mt_tokenizer *t, uint32_t id, char *out) {
    size_t len;
    const char *bytes = mt_tok_bytes(t, id, &len);
    size_t n = (size_t)d->n_pending;
    memcpy(out, d->pending, n);
    memcpy(out + n, bytes, len);
    n += len;
    int keep = incomplete_tail((const uint8_t *)out, n);
    memcpy(d->pending, out + n - (size_t)keep, (size_t)keep);
    d->n_pending = keep;
    return n - (size_t)keep;
}

size_t mt_detok_flush(mt_detok *d, char *out) {
    size_t n = (size_t)d->n_pending;
    memcpy(out, d->pending, n);
    d->n_pending = 0;
    return n;
}
