/* The bundled model's vocabulary (assets/vocab/, made by tools/train/vocab.py):
 * a subset of o200k in rank order, closed under o200k's merges, so that it
 * splits text exactly as o200k does wherever o200k's tokens are in it; every
 * number 0..999 and the harmony role names are single tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf.h"
#include "engine/pretok.h"
#include "engine/tokenizer.h"
#include "support/harness.h"

#define BUNDLED_VOCAB "assets/vocab/o200k-harmony-moetop-12288.gguf"
#define N_ORDINARY 12288

typedef struct vocab {
    mt_gguf *g;
    mt_tokenizer *t;
} vocab;

static bool open_vocab(const char *path, vocab *v) {
    mt_err err;
    v->t = NULL;
    v->g = mt_gguf_open(path, &err);
    if (v->g) v->t = mt_tokenizer_load(v->g, &err);
    if (CHECKF(v->t != NULL, "%s", err.msg)) return true;
    mt_gguf_close(v->g);
    return false;
}

static void close_vocab(vocab *v) {
    mt_tokenizer_free(v->t);
    mt_gguf_close(v->g);
}

/* The full o200k_harmony vocabulary from shared/, or false (test skipped). */
static bool open_full(vocab *v) {
    const char *path = t_shared_file("oracle/tokenizer/o200k_harmony.vocab.gguf");
    return path && open_vocab(path, v);
}

/* Encodes text; the number of ids (0 after a failed check). */
static size_t encode(const mt_tokenizer *t, const char *text, mt_ids *ids) {
    ids->n = 0;
    return CHECK(mt_tok_encode(t, text, strlen(text), false, ids)) ? ids->n : 0;
}

static void numbers_and_roles_single_tokens(void) {
    vocab v;
    if (!open_vocab(BUNDLED_VOCAB, &v)) return;
    CHECK(mt_tok_vocab_size(v.t) == N_ORDINARY + 32);
    mt_ids ids = { 0 };
    for (int n = 0; n < 1000; n++) {
        char text[8];
        snprintf(text, sizeof text, "%d", n);
        size_t len;
        bool one = encode(v.t, text, &ids) == 1;
        const char *bytes = one ? mt_tok_bytes(v.t, ids.ids[0], &len) : NULL;
        CHECKF(one && len == strlen(text) && memcmp(bytes, text, len) == 0, "\"%s\" is %zu tokens", text, ids.n);
    }
    static const char *const words[] = { "system", "user", "assistant", " assistant", " system", " user" };
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        CHECKF(encode(v.t, words[i], &ids) == 1, "\"%s\" is %zu tokens", words[i], ids.n);
    /* the problem sets' prompt form: "A", " +", " ", "B", " =", " " */
    CHECKF(encode(v.t, "87 + 34 = ", &ids) == 6, "\"87 + 34 = \" is %zu tokens", ids.n);
    CHECK(mt_tok_find(v.t, "<|startoftext|>") == N_ORDINARY && mt_tok_find(v.t, "<|endoftext|>") == N_ORDINARY + 1);
    CHECK(mt_tok_eos(v.t) == N_ORDINARY + 2 && mt_tok_is_eog(v.t, (uint32_t)mt_tok_find(v.t, "<|return|>")));
    mt_ids_free(&ids);
    close_vocab(&v);
}

/* Over the repository's own text (README, prompt sets, sums): each
 * pre-tokenizer chunk whose o200k tokens are all in the subset is split
 * exactly as o200k splits it (ids mapped by text); returns how many were. */
static size_t chunks_as_o200k(const vocab *full, const vocab *sub, const char *text, size_t n, size_t *total) {
    mt_ids f = { 0 }, s = { 0 };
    size_t same = 0, bad = 0;
    for (size_t pos = 0, end; pos < n && bad < 5; pos = end) {
        end = mt_pretok_o200k((const uint8_t *)text, n, pos);
        f.n = s.n = 0;
        CHECK(mt_tok_encode(full->t, text + pos, end - pos, false, &f) && mt_tok_encode(sub->t, text + pos, end - pos, false, &s));
        bool covered = true;
        int64_t mapped[64];
        for (size_t i = 0; i < f.n && covered; i++) {
            size_t len;
            const char *bytes = mt_tok_bytes(full->t, f.ids[i], &len);
            char tok[256];
            covered = i < 64 && len < sizeof tok && !memchr(bytes, 0, len);
            if (!covered) break;
            memcpy(tok, bytes, len);
            tok[len] = 0;
            mapped[i] = mt_tok_find(sub->t, tok);
            covered = mapped[i] >= 0;
        }
        ++*total;
        if (!covered) continue;
        bool equal = s.n == f.n;
        for (size_t i = 0; i < s.n && equal; i++) equal = (int64_t)s.ids[i] == mapped[i];
        bad += !CHECKF(equal, "chunk '%.*s' at byte %zu: %zu tokens, o200k's %zu", (int)(end - pos), text + pos, pos, s.n, f.n);
        same += equal;
    }
    mt_ids_free(&f);
    mt_ids_free(&s);
    return same;
}

/* Every ordinary token is an o200k token, in ascending o200k rank; and
 * closed under the merges: each token's own text is split as o200k splits it
 * wherever o200k's pieces of it are all in the subset (a token o200k makes on
 * the way to a listed one, but that the pre-tokenizer never leaves whole,
 * such as " I'" of " I'm", is checked through the tokens that hold it). */
static void subset_of_o200k_in_rank_order(void) {
    vocab full, sub;
    if (!open_full(&full)) return;
    if (!open_vocab(BUNDLED_VOCAB, &sub)) {
        close_vocab(&full);
        return;
    }
    int64_t last = -1;
    size_t bad = 0, same = 0, total = 0;
    for (uint32_t id = 0; id < N_ORDINARY && bad < 5; id++) {
        size_t len;
        const char *bytes = mt_tok_bytes(sub.t, id, &len);
        char text[256];
        if (!CHECKF(len < sizeof text, "token %u: %zu bytes", id, len)) continue;
        if (memchr(bytes, 0, len)) continue; /* the NUL byte: not a C string */
        memcpy(text, bytes, len);
        text[len] = 0;
        int64_t rank = mt_tok_find(full.t, text);
        bad += !CHECKF(rank > last && rank < 199998, "token %u ('%s'): o200k rank %lld after %lld", id, text, (long long)rank,
                       (long long)last);
        last = rank;
        same += chunks_as_o200k(&full, &sub, text, len, &total);
    }
    CHECKF(same * 10 > total * 9, "only %zu of the %zu chunks of the tokens' own texts are all subset tokens", same, total);
    close_vocab(&sub);
    close_vocab(&full);
}

static void splits_as_o200k(void) {
    vocab full, sub;
    if (!open_full(&full)) return;
    if (!open_vocab(BUNDLED_VOCAB, &sub)) {
        close_vocab(&full);
        return;
    }
    static const char *const files[] = {
        "README.md", "assets/prompts/code.txt", "assets/prompts/creative.txt", "assets/prompts/factual.txt",
        "assets/prompts/math.txt", "assets/prompts/mixed.txt",
    };
    size_t same = 0, total = 0;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        unsigned long len;
        char *text = t_read_file(files[i], &len);
        if (!CHECKF(text != NULL, "%s: unreadable", files[i])) continue;
        same += chunks_as_o200k(&full, &sub, text, len, &total);
        free(text);
    }
    char sums[65536];
    size_t at = 0;
    for (int a = 0; a < 100; a += 3)
        for (int b = 0; b < 100; b += 7) at += (size_t)snprintf(sums + at, sizeof sums - at, "%d + %d = %d\n", a, b, a + b);
    size_t sums_total = 0, sums_same = chunks_as_o200k(&full, &sub, sums, at, &sums_total);
    CHECKF(sums_same == sums_total, "sums: %zu of %zu chunks as o200k", sums_same, sums_total);
    /* most of the repository's text is in the subset (78% of the README's and the prompts' chunks; vocab.py
       measured 93% of the training text's) */
    CHECKF(same * 10 > total * 7, "only %zu of %zu chunks are all o200k tokens of the subset", same, total);
    close_vocab(&sub);
    close_vocab(&full);
}

int main(void) {
    t_begin("bundled_vocab");
    RUN(numbers_and_roles_single_tokens);
    RUN(subset_of_o200k_in_rank_order);
    RUN(splits_as_o200k);
    return t_end();
}
