/* libFuzzer target: the tokenizer on arbitrary bytes (ordinary and with
 * special tokens), decoded back exactly, and the streaming decoder. Uses the
 * committed 8224-token vocabulary, or MOETOP_FUZZ_VOCAB's (a SentencePiece
 * one decodes to a space first, U+2581 read as a space; with special tokens
 * parsed, only the ids' range is checked). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf.h"
#include "engine/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mt_gguf *g;
static mt_tokenizer *tok;

/* SentencePiece: " " + data (U+2581 as a space) for ordinary text. */
static int spm_case(const uint8_t *data, size_t size) {
    char *want = malloc(size + 2);
    size_t w = 0;
    if (size) want[w++] = ' ';
    for (size_t i = 0; i < size; i++) {
        bool space = i + 2 < size && data[i] == 0xe2 && data[i + 1] == 0x96 && data[i + 2] == 0x81;
        want[w++] = space ? ' ' : (char)data[i];
        if (space) i += 2;
    }
    for (int special = 0; special < 2; special++) {
        mt_ids ids = { 0 };
        if (!mt_tok_encode(tok, (const char *)data, size, special, &ids)) abort();
        size_t at = 0;
        for (size_t i = 0; i < ids.n; i++) {
            if (ids.ids[i] >= mt_tok_vocab_size(tok)) abort();
            size_t len;
            const char *b = mt_tok_bytes(tok, ids.ids[i], &len);
            if (!special && (at + len > w || memcmp(want + at, b, len) != 0)) abort();
            at += len;
        }
        if (!special && at != w) abort();
        mt_ids_free(&ids);
    }
    free(want);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!tok) {
        mt_err err;
        const char *path = getenv("MOETOP_FUZZ_VOCAB");
        g = mt_gguf_open(path ? path : "assets/vocab/o200k-harmony-8192.gguf", &err);
        tok = g ? mt_tokenizer_load(g, &err) : NULL;
        if (!tok) {
            fprintf(stderr, "fuzz_tokenizer: %s\n", err.msg);
            abort();
        }
    }
    if (strcmp(mt_tok_kind_name(tok), "sentencepiece") == 0) return spm_case(data, size);
    for (int special = 0; special < 2; special++) {
        mt_ids ids = { 0 };
        if (!mt_tok_encode(tok, (const char *)data, size, special, &ids)) abort();
        size_t at = 0;
        char *back = malloc(size + 1), *stream = malloc(size + mt_tok_max_bytes(tok) + 8);
        mt_detok d = { { 0 }, 0 };
        size_t s = 0;
        for (size_t i = 0; i < ids.n; i++) {
            size_t len;
            const char *b = mt_tok_bytes(tok, ids.ids[i], &len);
            if (at + len > size || memcmp(data + at, b, len) != 0) abort(); /* decode(encode(x)) == x */
            memcpy(back + at, b, len);
            at += len;
            s += mt_detok_push(&d, tok, ids.ids[i], stream + s);
        }
        s += mt_detok_flush(&d, stream + s);
        if (at != size || s != size || memcmp(stream, data, size) != 0) abort();
        free(back);
        free(stream);
        mt_ids_free(&ids);
    }
    return 0;
}
