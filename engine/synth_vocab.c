#include "synth_vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "name_index.h"
#include "rng.h"

/* Specials after the ordinary tokens, in the fixtures' order; the rest of the
 * 32 are <|reserved_ID|>. bos = the first, pad = the second, eos = the third. */
static const char *const harmony_specials[] = {
    "<|startoftext|>", "<|endoftext|>", "<|return|>", "<|constrain|>", "<|channel|>",
    "<|start|>", "<|end|>", "<|message|>", "<|call|>", "<|endofprompt|>",
};

/* GPT-2's byte-to-unicode table, in rank order: printable bytes map to
 * themselves (33..126, 161..172, 174..255), the others to U+0100 onwards. */
static void byte_token_order(uint8_t order[256], uint32_t codepoint[256]) {
    int n = 0, extra = 0;
    for (int b = 0; b < 256; b++)
        if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174) {
            order[n++] = (uint8_t)b;
            codepoint[b] = (uint32_t)b;
        }
    for (int b = 0; b < 256; b++)
        if (!((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174)) {
            order[n++] = (uint8_t)b;
            codepoint[b] = (uint32_t)(256 + extra++);
        }
}

static char *utf8_of(uint32_t cp) {
    char *s = malloc(4);
    if (!s) return NULL;
    if (cp < 0x80) { s[0] = (char)cp; s[1] = 0; }
    else { s[0] = (char)(0xc0 | (cp >> 6)); s[1] = (char)(0x80 | (cp & 0x3f)); s[2] = 0; }
    return s;
}

static char *concat(const char *a, const char *sep, const char *b) {
    size_t na = strlen(a), ns = strlen(sep), nb = strlen(b);
    char *s = malloc(na + ns + nb + 1);
    if (!s) return NULL;
    memcpy(s, a, na);
    memcpy(s + na, sep, ns);
    memcpy(s + na + ns, b, nb + 1);
    return s;
}

typedef struct builder {
    mt_synth_vocab *v;
    mt_str *names; /* views of v->tokens, for the index */
    mt_name_index index;
    uint64_t cap_merges;
} builder;

static bool add_token(builder *b, char *s, int32_t type) {
    if (!s) return false;
    mt_synth_vocab *v = b->v;
    v->tokens[v->n_tokens] = s;
    v->types[v->n_tokens] = type;
    b->names[v->n_tokens] = (mt_str){ s, strlen(s) };
    mt_name_index_add(&b->index, b->names, sizeof *b->names, v->n_tokens);
    v->n_tokens++;
    return true;
}

static bool has_token(const builder *b, const char *s, size_t n) {
    return mt_name_index_find(&b->index, b->names, sizeof *b->names, (mt_str){ s, n }) != MT_NAME_NONE;
}

static bool add_merge(builder *b, char *m) {
    mt_synth_vocab *v = b->v;
    if (!m) return false;
    if (v->n_merges == b->cap_merges) {
        uint64_t cap = b->cap_merges ? b->cap_merges * 2 : 1024;
        char **p = realloc(v->merges, cap * sizeof *p);
        if (!p) { free(m); return false; }
        v->merges = p;
        b->cap_merges = cap;
    }
    v->merges[v->n_merges++] = m;
    return true;
}

static uint64_t find_token(const builder *b, const char *s, size_t n) {
    return mt_name_index_find(&b->index, b->names, sizeof *b->names, (mt_str){ s, n });
}

/* Code points in a UTF-8 string (continuation bytes not counted). */
static size_t codepoints(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

/* With spec->vocab_ranks: the ranks ascending and in range, and every
 * single-byte token of the source among them (a GGUF token spells a byte as
 * one code point), so any text can be tokenized. */
static bool check_ranks(const mt_synth_spec *spec, const mt_gguf_array *toks, mt_err *err) {
    for (uint32_t i = 0; i < spec->vocab_base; i++) {
        if (spec->vocab_ranks[i] >= toks->count) {
            mt_err_set(err, "--vocab-tokens: rank %u is beyond the %llu tokens of %s", spec->vocab_ranks[i],
                       (unsigned long long)toks->count, mt_gguf_path(spec->vocab_from));
            return false;
        }
        if (i && spec->vocab_ranks[i] <= spec->vocab_ranks[i - 1]) {
            mt_err_set(err, "--vocab-tokens: rank %u follows %u (ranks must ascend, each once)", spec->vocab_ranks[i],
                       spec->vocab_ranks[i - 1]);
            return false;
        }
    }
    mt_gguf_iter it = mt_gguf_array_iter(toks);
    mt_gguf_value val;
    uint32_t next = 0;
    for (uint64_t r = 0; mt_gguf_iter_next(&it, &val); r++) {
        while (next < spec->vocab_base && spec->vocab_ranks[next] < r) next++;
        bool listed = next < spec->vocab_base && spec->vocab_ranks[next] == r;
        if (!listed && val.v.str.len && codepoints(val.v.str.ptr, val.v.str.len) == 1) {
            mt_err_set(err, "--vocab-tokens: rank %llu ('%.*s'), a single-byte token, is not listed (all 256 must be)",
                       (unsigned long long)r, (int)val.v.str.len, val.v.str.ptr);
            return false;
        }
    }
    return true;
}

/* Ordinary tokens from another GGUF's vocabulary: its first vocab_base ranks
 * (or exactly spec->vocab_ranks), and each merge whose two halves and result
 * are all among them, in the source's order (so ranks keep their order). */
static bool copy_vocab(builder *b, const mt_synth_spec *spec, mt_err *err) {
    mt_gguf_array toks, merges;
    const char *file = mt_gguf_path(spec->vocab_from);
    if (!mt_gguf_get_array(spec->vocab_from, "tokenizer.ggml.tokens", &toks) || toks.elem_type != MT_GGUF_STRING) {
        mt_err_set(err, "%s: key 'tokenizer.ggml.tokens' is missing or not an array of strings", file);
        return false;
    }
    if (toks.count < spec->vocab_base) {
        mt_err_set(err, "%s: holds %llu tokens, fewer than --vocab-base %u", file, (unsigned long long)toks.count, spec->vocab_base);
        return false;
    }
    if (spec->vocab_ranks && !check_ranks(spec, &toks, err)) return false;
    mt_gguf_iter it = mt_gguf_array_iter(&toks);
    mt_gguf_value val;
    for (uint64_t r = 0, next = 0; next < spec->vocab_base && mt_gguf_iter_next(&it, &val); r++) {
        if (spec->vocab_ranks && spec->vocab_ranks[next] != r) continue;
        if (!add_token(b, strndup(val.v.str.ptr, val.v.str.len), 1)) goto oom;
        next++;
    }
    bool *reached = spec->vocab_ranks ? calloc(spec->vocab_base, sizeof *reached) : NULL;
    if (spec->vocab_ranks && !reached) goto oom;
    if (!mt_gguf_get_array(spec->vocab_from, "tokenizer.ggml.merges", &merges) || merges.elem_type != MT_GGUF_STRING) {
        /* without its merges the vocabulary would tokenize silently wrong: the tokenizer refuses such files too */
        mt_err_set(err, "%s: key 'tokenizer.ggml.merges' is missing or not an array of strings (byte-level BPE needs its merges)", file);
        free(reached);
        return false;
    }
    {
        it = mt_gguf_array_iter(&merges);
        while (mt_gguf_iter_next(&it, &val)) {
            const char *s = val.v.str.ptr;
            const char *space = memchr(s, ' ', val.v.str.len);
            if (!space) continue;
            size_t nl = (size_t)(space - s), nr = val.v.str.len - nl - 1;
            char joined[512];
            if (nl + nr >= sizeof joined) continue;
            memcpy(joined, s, nl);
            memcpy(joined + nl, space + 1, nr);
            uint64_t result = find_token(b, joined, nl + nr);
            if (result == MT_NAME_NONE || find_token(b, s, nl) == MT_NAME_NONE || find_token(b, space + 1, nr) == MT_NAME_NONE)
                continue;
            if (!add_merge(b, strndup(s, val.v.str.len))) {
                free(reached);
                goto oom;
            }
            if (reached) reached[result] = true;
        }
    }
    /* a listed token no kept merge makes could never be produced: the list is not closed under the merges */
    for (uint32_t i = 0; reached && i < spec->vocab_base; i++) {
        const char *t = b->v->tokens[i];
        if (!reached[i] && codepoints(t, strlen(t)) > 1) {
            mt_err_set(err, "--vocab-tokens: rank %u ('%s') has no merge whose halves are both listed "
                       "(the list must be closed under the merges of %s)", spec->vocab_ranks[i], t, file);
            free(reached);
            return false;
        }
    }
    free(reached);
    return true;
oom:
    mt_err_set(err, "%s: out of memory copying the vocabulary", file);
    return false;
}

/* Ordinary tokens made up: the 256 byte tokens, then random concatenations of
 * two existing tokens, each with its merge, so the vocabulary is valid BPE. */
static bool make_vocab(builder *b, const mt_synth_spec *spec, mt_err *err) {
    uint8_t order[256];
    uint32_t cp[256];
    byte_token_order(order, cp);
    for (int i = 0; i < 256 && b->v->n_tokens < spec->vocab_base; i++)
        if (!add_token(b, utf8_of(cp[order[i]]), 1)) goto oom;
    mt_rng rng = mt_rng_seed(spec->seed, 0x766f636162ull);
    uint64_t tries = 0;
    while (b->v->n_tokens < spec->vocab_base) {
        if (++tries > 1000ull * spec->vocab_base) {
            mt_err_set(err, "--vocab-base %u: could not invent that many distinct tokens", spec->vocab_base);
            return false;
        }
        /* favour recent (longer) tokens half the time so words grow */
        uint64_t n = b->v->n_tokens;
        uint64_t i = mt_rng_below(&rng, n), j = mt_rng_below(&rng, n < 256 ? n : 256);
        const char *l = b->v->tokens[i], *r = b->v->tokens[j];
        char *joined = concat(l, "", r);
        if (!joined) goto oom;
        if (strlen(joined) > 24 || has_token(b, joined, strlen(joined))) {
            free(joined);
            continue;
        }
        if (!add_token(b, joined, 1) || !add_merge(b, concat(l, " ", r))) goto oom;
    }
    return true;
oom:
    mt_err_set(err, "out of memory making the vocabulary");
    return false;
}

bool mt_synth_vocab_build(const mt_synth_spec *spec, mt_synth_vocab *v, mt_err *err) {
    memset(v, 0, sizeof *v);
    uint64_t total = (uint64_t)spec->vocab_base + MT_SYNTH_N_SPECIAL;
    builder b = { .v = v };
    v->tokens = calloc(total, sizeof *v->tokens);
    v->types = calloc(total, sizeof *v->types);
    b.names = calloc(total, sizeof *b.names);
    bool ok = v->tokens && v->types && b.names && mt_name_index_init(&b.index, total);
    if (!ok) mt_err_set(err, "out of memory for %llu tokens", (unsigned long long)total);
    if (ok) ok = spec->vocab_from ? copy_vocab(&b, spec, err) : make_vocab(&b, spec, err);
    for (uint32_t i = 0; ok && i < MT_SYNTH_N_SPECIAL; i++) {
        char buf[48];
        uint32_t id = spec->vocab_base + i;
        if (i < sizeof harmony_specials / sizeof *harmony_specials) snprintf(buf, sizeof buf, "%s", harmony_specials[i]);
        else snprintf(buf, sizeof buf, "<|reserved_%u|>", id);
        ok = add_token(&b, strdup(buf), 3);
        if (!ok) mt_err_set(err, "out of memory for the special tokens");
    }
    v->bos = spec->vocab_base;
    v->pad = spec->vocab_base + 1;
    v->eos = spec->vocab_base + 2;
    free(b.names);
    mt_name_index_free(&b.index);
    if (!ok) mt_synth_vocab_free(v);
    return ok;
}

void mt_synth_vocab_free(mt_synth_vocab *v) {
    for (uint64_t i = 0; v->tokens && i < v->n_tokens; i++) free(v->tokens[i]);
    for (uint64_t i = 0; i < v->n_merges; i++) free(v->merges[i]);
    free(v->tokens);
    free(v->types);
    free(v->merges);
    memset(v, 0, sizeof *v);
}
