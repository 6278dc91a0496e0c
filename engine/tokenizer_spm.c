/* SentencePiece BPE (tokenizer.ggml.model "llama"), as llama.cpp's
 * llm_tokenizer_spm_session does it: the text, spaces written U+2581, starts
 * as one symbol per character; the adjacent pair whose concatenation is the
 * best-scored piece merges first (the leftmost on a tie), until no pair makes a
 * piece; a character no piece covers becomes its UTF-8 bytes' tokens <0xNN>.
 *
 * The merges are derived once at load: every split of every normal piece at a
 * character boundary into two normal pieces is a pair (left, right) -> piece,
 * ranked by the piece's score (equal scores share a rank, so ties fall to
 * position as in llama.cpp). Merging then runs on bpe.c's heap. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"
#include "utf8.h"

typedef struct scored {
    float score;
    uint32_t id;
} scored;

static int by_score_desc(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

void mt_spm_free(mt_spm *s) {
    free(s->pieces);
    free(s->arena);
    mt_name_index_free(&s->index);
    mt_bpe_free(&s->bpe);
    memset(s, 0, sizeof *s);
}

/* The normal pieces' text, as written (U+2581 kept), indexed. */
static const char *load_pieces(mt_spm *s, const mt_gguf *g, uint32_t n) {
    const mt_gguf_array *toks = &mt_gguf_find(g, "tokenizer.ggml.tokens")->value.v.arr;
    const mt_gguf_array *types = &mt_gguf_find(g, "tokenizer.ggml.token_type")->value.v.arr;
    s->pieces = calloc(n, sizeof *s->pieces);
    s->arena = malloc(toks->nbytes ? toks->nbytes : 1);
    if (!s->pieces || !s->arena || !mt_name_index_init(&s->index, n)) return "out of memory for the vocabulary";
    mt_gguf_iter it = mt_gguf_array_iter(toks), type_it = mt_gguf_array_iter(types);
    mt_gguf_value v, tv;
    size_t used = 0;
    for (uint32_t id = 0; id < n && mt_gguf_iter_next(&it, &v); id++) {
        int64_t type = TOKEN_NORMAL;
        if (mt_gguf_iter_next(&type_it, &tv)) mt_gguf_value_i64(&tv, &type);
        if (type != TOKEN_NORMAL || v.v.str.len == 0) continue;
        memcpy(s->arena + used, v.v.str.ptr, v.v.str.len);
        s->pieces[id] = (mt_str){ s->arena + used, v.v.str.len };
        used += v.v.str.len;
        if (mt_name_index_find(&s->index, s->pieces, sizeof *s->pieces, s->pieces[id]) == MT_NAME_NONE)
            mt_name_index_add(&s->index, s->pieces, sizeof *s->pieces, id);
    }
    return NULL;
}

/* rank[id]: 0 for the best score, equal scores equal ranks. */
static const char *rank_scores(uint32_t *rank, const mt_gguf_array *scores, uint32_t n) {
    scored *order = malloc((size_t)n * sizeof *order);
    if (!order) return "out of memory for the scores";
    mt_gguf_iter it = mt_gguf_array_iter(scores);
    mt_gguf_value v;
    for (uint32_t id = 0; id < n; id++) {
        double f = 0;
        if (mt_gguf_iter_next(&it, &v)) mt_gguf_value_f64(&v, &f);
        if (f != f) { /* NaN: no order */
            free(order);
            return "key 'tokenizer.ggml.scores': a score is NaN";
        }
        order[id] = (scored){ (float)f, id };
    }
    qsort(order, n, sizeof *order, by_score_desc);
    for (uint32_t i = 0, r = 0; i < n; i++) {
        if (i && order[i].score != order[i - 1].score) r++;
        rank[order[i].id] = r;
    }
    free(order);
    return NULL;
}

static uint64_t piece_find(const mt_spm *s, const char *p, size_t n) {
    return mt_name_index_find(&s->index, s->pieces, sizeof *s->pieces, (mt_str){ p, n });
}

const char *mt_spm_load(mt_tokenizer *t, const mt_gguf *g, const mt_gguf_array *scores) {
    mt_spm *s = &t->spm;
    uint32_t n = t->n_vocab;
    const char *why = load_pieces(s, g, n);
    uint32_t *rank = why ? NULL : malloc((size_t)n * sizeof *rank);
    if (!why && !rank) why = "out of memory for the scores";
    if (!why) why = rank_scores(rank, scores, n);
    uint64_t splits = 0;
    for (uint32_t id = 0; !why && id < n; id++) splits += s->pieces[id].len; /* at least the character boundaries */
    if (!why && !mt_bpe_init(&s->bpe, n, splits, false)) why = "out of memory for the merges";
    for (uint32_t id = 0; !why && id < n; id++) {
        const char *p = s->pieces[id].ptr;
        size_t len = (size_t)s->pieces[id].len;
        uint32_t cp;
        for (size_t k = len ? mt_utf8_next((const uint8_t *)p, len, &cp) : len; k < len; k += mt_utf8_next((const uint8_t *)p + k, len - k, &cp)) {
            uint64_t left = piece_find(s, p, k), right = piece_find(s, p + k, len - k);
            if (left != MT_NAME_NONE && right != MT_NAME_NONE) mt_bpe_add(&s->bpe, (uint32_t)left, (uint32_t)right, id, rank[id]);
        }
    }
    free(rank);
    return why;
}

bool mt_spm_encode(const mt_tokenizer *t, const char *text, size_t len, bool prefix, mt_ids *out) {
    const mt_spm *s = &t->spm;
    static const char space[3] = { (char)0xe2, (char)0x96, (char)0x81 };
    size_t cap = 3 * len + 3;
    char *buf = malloc(cap);
    uint32_t *sym = malloc(cap * sizeof *sym);
    bool ok = buf && sym;
    size_t n = 0, nsym = 0;
    if (ok && prefix) memcpy(buf + n, space, 3), n += 3;
    for (size_t i = 0; ok && i < len; i++) {
        if (text[i] == ' ') memcpy(buf + n, space, 3), n += 3;
        else buf[n++] = text[i];
    }
    /* one symbol per character: its piece, or n_vocab when no piece is that character */
    for (size_t i = 0; ok && i < n;) {
        uint32_t cp;
        size_t c = mt_utf8_next((const uint8_t *)buf + i, n - i, &cp);
        uint64_t id = cp == MT_UTF8_INVALID ? MT_NAME_NONE : piece_find(s, buf + i, c);
        sym[nsym++] = id == MT_NAME_NONE ? t->n_vocab : (uint32_t)id;
        i += c;
    }
    mt_bpe_scratch scratch = { 0 };
    size_t m = ok && nsym ? mt_bpe_merge(&s->bpe, sym, nsym, &scratch) : 0;
    if (nsym && !m) ok = false;
    /* the symbols tile buf in order: a character without a piece is its bytes */
    for (size_t k = 0, at = 0; ok && k < m; k++) {
        if (sym[k] < t->n_vocab) {
            ok = mt_ids_push(out, sym[k]);
            at += (size_t)s->pieces[sym[k]].len;
            continue;
        }
        uint32_t cp;
        size_t c = mt_utf8_next((const uint8_t *)buf + at, n - at, &cp);
        for (size_t b = 0; ok && b < c; b++) ok = mt_ids_push(out, t->byte_token[(uint8_t)buf[at + b]]);
        at += c;
    }
    mt_bpe_scratch_free(&scratch);
    free(buf);
    free(sym);
    return ok;
}
