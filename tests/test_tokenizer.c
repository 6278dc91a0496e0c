/* The tokenizer: tiktoken's own ids for the oracle cases, each gpt-oss
 * fixture's tokens, the pre-tokenizer's splits, special tokens, harmony,
 * streaming decode, byte-exact round trips and clear refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/chat.h"
#include "engine/gguf.h"
#include "engine/gguf_write.h"
#include "engine/harmony.h"
#include "engine/pretok.h"
#include "engine/rng.h"
#include "engine/tokenizer.h"
#include "support/harness.h"
#include "cli/json_read.h"

static mt_gguf *vocab_gguf;
static mt_tokenizer *o200k;

/* The full o200k vocabulary, loaded once; NULL (test skipped) without shared/. */
static mt_tokenizer *full_vocab(void) {
    if (o200k) return o200k;
    const char *path = t_shared_file("oracle/tokenizer/o200k_harmony.vocab.gguf");
    if (!path) return NULL;
    mt_err err;
    vocab_gguf = mt_gguf_open(path, &err);
    if (vocab_gguf) o200k = mt_tokenizer_load(vocab_gguf, &err);
    CHECKF(o200k != NULL, "%s", err.msg);
    return o200k;
}

static bool ids_equal(const mt_ids *got, const jv *want, char *why, size_t cap) {
    if (got->n != want->len) {
        snprintf(why, cap, "%zu ids, expected %zu", got->n, want->len);
        return false;
    }
    for (size_t i = 0; i < got->n; i++)
        if (got->ids[i] != (uint32_t)jv_at(want, i)->num) {
            snprintf(why, cap, "id %zu is %u, expected %.0f", i, got->ids[i], jv_at(want, i)->num);
            return false;
        }
    return true;
}

static void tiktoken_cases_exact(void) {
    const char *cases_path = t_shared_file("oracle/tokenizer/cases.expected.json");
    mt_tokenizer *t = full_vocab();
    if (!cases_path || !t) return;
    char err[256];
    jv *cases = jv_parse_file(cases_path, err, sizeof err);
    if (!CHECKF(cases != NULL, "%s", err)) return;
    for (size_t i = 0; i < cases->len; i++) {
        const jv *c = jv_at(cases, i);
        const jv *text = jv_get(c, "text");
        mt_ids ids = { 0 };
        CHECK(mt_tok_encode(t, text->str, text->len, false, &ids));
        char why[128];
        CHECKF(ids_equal(&ids, jv_get(c, "ids"), why, sizeof why), "case %zu (%.40s): %s", i, text->str, why);
        mt_ids_free(&ids);
    }
    jv_free(cases);
}

static void fixture_tokens(const char *letter) {
    char rel[128];
    snprintf(rel, sizeof rel, "oracle/gpt-oss/oracle-gptoss-%s.gguf", letter);
    const char *gguf = t_shared_file(rel);
    snprintf(rel, sizeof rel, "oracle/gpt-oss/oracle-gptoss-%s.expected.json", letter);
    const char *json = t_shared_file(rel);
    if (!gguf || !json) return;
    char err[256];
    jv *expected = jv_parse_file(json, err, sizeof err);
    mt_err merr;
    mt_gguf *g = mt_gguf_open(gguf, &merr);
    mt_tokenizer *t = g ? mt_tokenizer_load(g, &merr) : NULL;
    if (CHECKF(t && expected, "%s", t ? err : merr.msg)) {
        const jv *text = jv_get(expected, "text");
        mt_ids ids = { 0 };
        CHECK(mt_tok_encode(t, text->str, text->len, true, &ids));
        char why[128];
        CHECKF(ids_equal(&ids, jv_get(expected, "tokens"), why, sizeof why), "fixture %s: %s", letter, why);
        /* and the ids decode back to the text */
        mt_bytes back = { 0 };
        for (size_t i = 0; i < ids.n; i++) {
            size_t n;
            const char *b = mt_tok_bytes(t, ids.ids[i], &n);
            mt_bytes_put(&back, b, n);
        }
        CHECK(back.len == text->len && memcmp(back.data, text->str, back.len) == 0);
        mt_bytes_free(&back);
        mt_ids_free(&ids);
    }
    mt_tokenizer_free(t);
    mt_gguf_close(g);
    jv_free(expected);
}

static void fixture_a_tokens(void) { fixture_tokens("a"); }
static void fixture_b_tokens(void) { fixture_tokens("b"); }
static void fixture_c_tokens(void) { fixture_tokens("c"); }

/* Splits by hand from the o200k pattern (see pretok.h). "|" separates pieces. */
static void pretokenizer_splits(void) {
    static const char *const cases[][2] = {
        { "Hello world", "Hello| world" },
        { "   leading", "  | leading" },
        { "trailing   ", "trailing|   " },
        { "a  \n\n  b", "a|  \n\n| | b" },
        { "x\t\ty", "x|\t|\ty" },
        { "127 * 89", "127| *| |89" },
        { "1234567", "123|456|7" },
        { "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4", "\xd9\xa1\xd9\xa2\xd9\xa3|\xd9\xa4" },          /* Arabic-Indic digits are \p{N} */
        { "HELLO World", "HELLO| World" },
        { "camelCase JSONParser", "camel|Case| JSONParser" },
        { "I'M ok, they'RE", "I'M| ok|,| they'RE" },
        { "don't it\xc5\xbf", "don't| it\xc5\xbf" },                                           /* ſ is a lowercase letter */
        { "it'\xc5\xbf", "it'\xc5\xbf" },                                                     /* 'ſ folds to 's */
        { "a/b//\n", "a|/b|//\n" },
        { "!!!\r\n\r\nx", "!!!\r\n\r\n|x" },
        { "x \xc2\xa0y", "x| |\xc2\xa0y" },                                                  /* U+00A0 is whitespace */
        { "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },    /* Lo letters */
        { "e\xcc\x81t\xc3\xa9", "e\xcc\x81t\xc3\xa9" },                                       /* a combining mark joins the word */
        { " \xcc\x81", " \xcc\x81" },
        { "a\xffz.", "a|\xffz|." },                                                         /* an invalid byte is one symbol, like "(" */
        { " \xff\xfe", " \xff\xfe" },
        { "end\n", "end|\n" },
        { "", "" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const char *text = cases[c][0];
        size_t n = strlen(text);
        char got[256] = { 0 };
        size_t g = 0;
        for (size_t pos = 0; pos < n;) {
            size_t end = mt_pretok_o200k((const uint8_t *)text, n, pos);
            if (!CHECKF(end > pos && end <= n, "case %zu: piece end %zu at %zu", c, end, pos)) break;
            if (pos) got[g++] = '|';
            memcpy(got + g, text + pos, end - pos);
            g += end - pos;
            pos = end;
        }
        CHECKF(strcmp(got, cases[c][1]) == 0, "case %zu: '%s' split as '%s', expected '%s'", c, text, got, cases[c][1]);
    }
}

static void special_tokens_only_when_asked(void) {
    mt_tokenizer *t = full_vocab();
    if (!t) return;
    const char *text = "<|start|>user<|message|>hi<|end|>";
    mt_ids plain = { 0 }, special = { 0 };
    CHECK(mt_tok_encode(t, text, strlen(text), false, &plain));
    CHECK(mt_tok_encode(t, text, strlen(text), true, &special));
    int64_t start = mt_tok_find(t, "<|start|>"), end = mt_tok_find(t, "<|end|>");
    CHECK(start == 200006 && end == 200007 && mt_tok_is_special(t, 200006));
    for (size_t i = 0; i < plain.n; i++) CHECKF(!mt_tok_is_special(t, plain.ids[i]), "ordinary encoding produced special %u", plain.ids[i]);
    CHECK(special.n >= 5 && special.ids[0] == 200006 && special.ids[special.n - 1] == 200007);
    mt_ids_free(&plain);
    mt_ids_free(&special);
    /* a special's text cut short is ordinary text */
    mt_ids ids = { 0 };
    CHECK(mt_tok_encode(t, "<|start", 7, true, &ids));
    for (size_t i = 0; i < ids.n; i++) CHECK(!mt_tok_is_special(t, ids.ids[i]));
    mt_ids_free(&ids);
}

static void end_of_generation(void) {
    mt_tokenizer *t = full_vocab();
    if (!t) return;
    CHECK(mt_tok_is_eog(t, (uint32_t)mt_tok_find(t, "<|return|>")));
    CHECK(mt_tok_is_eog(t, (uint32_t)mt_tok_find(t, "<|call|>")));
    CHECK(mt_tok_is_eog(t, (uint32_t)mt_tok_find(t, "<|endoftext|>")));
    CHECK(mt_tok_eos(t) == 200002 && mt_tok_is_eog(t, 200002));
    CHECK(!mt_tok_is_eog(t, (uint32_t)mt_tok_find(t, "<|end|>")));
    CHECK(!mt_tok_is_eog(t, (uint32_t)mt_tok_find(t, "<|start|>")) && !mt_tok_is_eog(t, 13225));
    CHECK(mt_tok_bos(t) == 199998);
}

static void harmony_chat_prompt(void) {
    mt_tokenizer *t = full_vocab();
    if (!t) return;
    mt_ids chat = { 0 }, expected = { 0 };
    mt_err err;
    const char *user = "What is 2+2? <|end|>";
    CHECKF(mt_harmony_chat(t, "Be brief.", 9, user, strlen(user), &chat, &err), "%s", err.msg);
    /* the same prompt spelled out, parsing specials only around the messages */
    const char *head = "<|start|>system<|message|>Be brief.<|end|><|start|>user<|message|>";
    mt_tok_encode(t, head, strlen(head), true, &expected);
    mt_tok_encode(t, user, strlen(user), false, &expected); /* the user's "<|end|>" stays text */
    const char *tail = "<|end|><|start|>assistant";
    mt_tok_encode(t, tail, strlen(tail), true, &expected);
    CHECK(chat.n == expected.n && memcmp(chat.ids, expected.ids, chat.n * sizeof *chat.ids) == 0);
    /* chat.h picks harmony for this vocabulary: the same prompt without the system message */
    mt_ids harmony = { 0 }, generic = { 0 };
    CHECK(mt_chat_format_of(t) == MT_CHAT_HARMONY && !mt_tok_add_bos(t));
    CHECK(mt_harmony_chat(t, NULL, 0, user, strlen(user), &harmony, &err) && mt_chat_prompt(t, user, strlen(user), &generic, &err));
    CHECK(harmony.n == generic.n && memcmp(harmony.ids, generic.ids, harmony.n * sizeof *harmony.ids) == 0);
    mt_ids_free(&harmony);
    mt_ids_free(&generic);
    mt_ids_free(&chat);
    mt_ids_free(&expected);
}

/* Random byte strings, invalid UTF-8 included, decode to exactly themselves;
 * the streaming decoder yields the same bytes, never splitting a character. */
static void round_trip_and_streaming(void) {
    mt_tokenizer *t = full_vocab();
    if (!t) return;
    mt_rng rng = mt_rng_seed(3, 0);
    static const char *const alphabet[] = { "a", "Z", " ", "\n", "'s", "7", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "\xc3\xa9", "\xff",
                                            "\xe2\x82", "<|end|>", "\t", "\xcc\x81", "!", "\xc2\xa0" };
    for (int trial = 0; trial < 300; trial++) {
        char text[512];
        size_t n = 0;
        int parts = (int)mt_rng_below(&rng, 40);
        for (int p = 0; p < parts; p++) {
            const char *a = alphabet[mt_rng_below(&rng, sizeof alphabet / sizeof *alphabet)];
            memcpy(text + n, a, strlen(a));
            n += strlen(a);
        }
        mt_ids ids = { 0 };
        CHECK(mt_tok_encode(t, text, n, trial % 2, &ids));
        char back[1024], stream[1024];
        size_t b = 0, s = 0;
        mt_detok d = { { 0 }, 0 };
        bool split_char = false;
        for (size_t i = 0; i < ids.n; i++) {
            size_t len;
            const char *bytes = mt_tok_bytes(t, ids.ids[i], &len);
            memcpy(back + b, bytes, len);
            b += len;
            size_t out = mt_detok_push(&d, t, ids.ids[i], stream + s);
            /* what came out never ends inside a character that later bytes complete */
            if (out && d.n_pending == 0 && s + out < n && ((uint8_t)stream[s + out - 1] & 0xc0) == 0xc0) split_char = true;
            s += out;
        }
        s += mt_detok_flush(&d, stream + s);
        CHECKF(b == n && memcmp(back, text, n) == 0, "trial %d: decode(encode(x)) != x", trial);
        CHECKF(s == n && memcmp(stream, text, n) == 0, "trial %d: streaming decode differs", trial);
        CHECK(!split_char);
        mt_ids_free(&ids);
    }
}

static void streaming_holds_back_partial_characters(void) {
    mt_tokenizer *t = full_vocab();
    if (!t) return;
    /* "€" is E2 82 AC; feed its bytes as three single-byte tokens */
    static const char euro[3] = { '\xe2', '\x82', '\xac' };
    mt_detok d = { { 0 }, 0 };
    char out[16];
    int64_t ids[3];
    for (int i = 0; i < 3; i++) {
        char one[2] = { euro[i], 0 };
        mt_ids v = { 0 };
        mt_tok_encode(t, one, 1, false, &v);
        ids[i] = v.n == 1 ? (int64_t)v.ids[0] : -1;
        mt_ids_free(&v);
    }
    CHECK(ids[0] >= 0 && ids[1] >= 0 && ids[2] >= 0);
    CHECK(mt_detok_push(&d, t, (uint32_t)ids[0], out) == 0);
    CHECK(mt_detok_push(&d, t, (uint32_t)ids[1], out) == 0);
    CHECK(mt_detok_push(&d, t, (uint32_t)ids[2], out) == 3 && memcmp(out, euro, 3) == 0);
    /* a lone lead byte followed by ASCII is released at once with it */
    CHECK(mt_detok_push(&d, t, (uint32_t)ids[0], out) == 0);
    mt_ids v = { 0 };
    mt_tok_encode(t, "A", 1, false, &v);
    CHECK(mt_detok_push(&d, t, v.ids[0], out) == 2 && out[0] == '\xe2' && out[1] == 'A');
    mt_ids_free(&v);
}

/* A vocabulary written by the test with a given model/pre and tokens. */
static mt_tokenizer *load_custom(const char *model, const char *pre, bool drop_byte, const char *bad_merge, mt_err *err) {
    mt_gguf_writer *w = mt_gguf_writer_new();
    if (model) mt_gguf_set_str(w, "tokenizer.ggml.model", model);
    if (pre) mt_gguf_set_str(w, "tokenizer.ggml.pre", pre);
    char *toks[257];
    int n = 0;
    for (int b = 0; b < 256; b++) {
        if (drop_byte && b == 'q') continue;
        bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
        int cp = b;
        if (!printable) {
            int extra = 0;
            for (int k = 0; k < b; k++)
                if (!((k >= 33 && k <= 126) || (k >= 161 && k <= 172) || k >= 174)) extra++;
            cp = 256 + extra;
        }
        toks[n] = malloc(4);
        if (cp < 128) { toks[n][0] = (char)cp; toks[n][1] = 0; }
        else { toks[n][0] = (char)(0xc0 | (cp >> 6)); toks[n][1] = (char)(0x80 | (cp & 0x3f)); toks[n][2] = 0; }
        n++;
    }
    mt_gguf_set_str_array(w, "tokenizer.ggml.tokens", (const char *const *)toks, (uint64_t)n);
    int32_t types[257];
    for (int i = 0; i < n; i++) types[i] = 1;
    mt_gguf_set_array(w, "tokenizer.ggml.token_type", MT_GGUF_INT32, types, (uint64_t)n);
    mt_gguf_set_str_array(w, "tokenizer.ggml.merges", &bad_merge, bad_merge ? 1 : 0);
    mt_bytes bytes = { 0 };
    mt_gguf_writer_to_bytes(w, &bytes, NULL, NULL, err);
    mt_gguf *g = mt_gguf_open_memory(bytes.data, bytes.len, "vocab.gguf", err);
    mt_tokenizer *t = g ? mt_tokenizer_load(g, err) : NULL;
    mt_gguf_close(g);
    mt_bytes_free(&bytes);
    mt_gguf_writer_free(w);
    for (int i = 0; i < n; i++) free(toks[i]);
    return t;
}

static void unsupported_vocabularies_refused(void) {
    static const struct { const char *model, *pre; bool drop; const char *merge, *expect; } cases[] = {
        { "bert", "gpt-4o", false, NULL, "key 'tokenizer.ggml.model': 'bert' is not supported yet" },
        { "gpt2", "deepseek-llm", false, NULL, "key 'tokenizer.ggml.pre': pre-tokenizer 'deepseek-llm' is not supported yet" },
        { "llama", NULL, false, NULL, "no token for the single byte 0x00 (SentencePiece's byte fallback <0xNN>" },
        { "gpt2", NULL, false, NULL, "'tokenizer.ggml.pre' is missing" },
        { NULL, NULL, false, NULL, "'tokenizer.ggml.model' is missing" },
        { "gpt2", "gpt-4o", true, NULL, "no token for the single byte 0x71" },
        { "gpt2", "gpt-4o", false, "a b", "merge 0 joins or makes text that is not a token" },
        { "gpt2", "gpt-4o", false, "ab", "merge 0 is not 'LEFT RIGHT'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mt_err err = { { 0 } };
        mt_tokenizer *t = load_custom(cases[i].model, cases[i].pre, cases[i].drop, cases[i].merge, &err);
        CHECKF(t == NULL && strstr(err.msg, cases[i].expect) && strncmp(err.msg, "vocab.gguf: ", 12) == 0, "case %zu: %s", i, err.msg);
        mt_tokenizer_free(t);
    }
    mt_err err;
    mt_tokenizer *t = load_custom("gpt2", "gpt-4o", false, NULL, &err); /* bytes only, an empty list of merges: valid */
    if (CHECKF(t != NULL, "%s", err.msg)) {
        mt_ids ids = { 0 };
        CHECK(mt_tok_encode(t, "hi!", 3, true, &ids) && ids.n == 3);
        mt_ids_free(&ids);
        /* no harmony, ChatML or SentencePiece BOS: no chat format, refused in one line */
        mt_err cerr;
        char text[64];
        CHECK(mt_chat_format_of(t) == MT_CHAT_NONE && !mt_chat_prompt(t, "hi", 2, &ids, &cerr) && strstr(cerr.msg, "no chat format") &&
              mt_chat_text(MT_CHAT_NONE, "hi", text, sizeof text) == 0 && !mt_tok_add_bos(t));
        mt_ids_free(&ids);
    }
    mt_tokenizer_free(t);
}

/* The asset vocabulary (o200k's first 8192 ranks and the harmony specials)
 * copied key by key into a new GGUF "vocab.gguf", without key skip (NULL:
 * none) and with what add writes; its tokenizer, or NULL with err. */
static mt_tokenizer *vocab_variant(const char *skip, void (*add)(mt_gguf_writer *), mt_err *err) {
    mt_gguf *src = mt_gguf_open("assets/vocab/o200k-harmony-8192.gguf", err);
    if (!CHECKF(src != NULL, "%s", err->msg)) return NULL;
    mt_gguf_writer *w = mt_gguf_writer_new();
    for (uint64_t i = 0; i < mt_gguf_kv_count(src); i++) {
        const mt_gguf_kv *kv = mt_gguf_kv_at(src, i);
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)kv->key.len, kv->key.ptr);
        if (skip && strcmp(key, skip) == 0) continue;
        const mt_gguf_value *v = &kv->value;
        /* the value's own encoded bytes: a string's length prefix, an array's element type and count, come before the pointers */
        if (v->type == MT_GGUF_STRING) mt_gguf_set_encoded(w, key, v->type, v->v.str.ptr - 8, v->v.str.len + 8);
        else if (v->type == MT_GGUF_ARRAY) mt_gguf_set_encoded(w, key, v->type, v->v.arr.data - 12, v->v.arr.nbytes + 12);
        else if (v->type == MT_GGUF_UINT32) mt_gguf_set_u32(w, key, (uint32_t)v->v.u);
        else CHECKF(false, "%s: a key of type %u the copy does not know", key, v->type);
    }
    if (add) add(w);
    mt_bytes bytes = { 0 };
    mt_gguf *g = mt_gguf_writer_to_bytes(w, &bytes, NULL, NULL, err) ? mt_gguf_open_memory(bytes.data, bytes.len, "vocab.gguf", err) : NULL;
    mt_tokenizer *t = g ? mt_tokenizer_load(g, err) : NULL;
    mt_gguf_close(g);
    mt_bytes_free(&bytes);
    mt_gguf_writer_free(w);
    mt_gguf_close(src);
    return t;
}

static void model_u32(mt_gguf_writer *w) { mt_gguf_set_u32(w, "tokenizer.ggml.model", 2); }
static void pre_u32(mt_gguf_writer *w) { mt_gguf_set_u32(w, "tokenizer.ggml.pre", 4); }
static void tokens_ints(mt_gguf_writer *w) {
    const int32_t v[3] = { 1, 2, 3 };
    mt_gguf_set_array(w, "tokenizer.ggml.tokens", MT_GGUF_INT32, v, 3);
}
static void types_u32(mt_gguf_writer *w) { mt_gguf_set_u32(w, "tokenizer.ggml.token_type", 1); }
static void types_strings(mt_gguf_writer *w) {
    const char *const v[1] = { "normal" };
    mt_gguf_set_str_array(w, "tokenizer.ggml.token_type", v, 1);
}
static void types_short(mt_gguf_writer *w) {
    const int32_t v[3] = { 1, 1, 1 };
    mt_gguf_set_array(w, "tokenizer.ggml.token_type", MT_GGUF_INT32, v, 3);
}
static void merges_ints(mt_gguf_writer *w) {
    const int32_t v[2] = { 1, 2 };
    mt_gguf_set_array(w, "tokenizer.ggml.merges", MT_GGUF_INT32, v, 2);
}
static void merges_string(mt_gguf_writer *w) { mt_gguf_set_str(w, "tokenizer.ggml.merges", "i n"); }
static void bos_string(mt_gguf_writer *w) { mt_gguf_set_str(w, "tokenizer.ggml.bos_token_id", "<|startoftext|>"); }
static void eos_too_big(mt_gguf_writer *w) { mt_gguf_set_u32(w, "tokenizer.ggml.eos_token_id", 99999); }
static void eos_negative(mt_gguf_writer *w) { mt_gguf_set_i32(w, "tokenizer.ggml.eos_token_id", -1); }

/* Every key the tokenizer reads is required with its type: each one missing
 * or wrongly typed in turn is refused in one message naming the file and the
 * key (without merges, "Tokenization" was 12 byte tokens instead of 2). */
static void required_keys_refused(void) {
    mt_err err = { { 0 } };
    mt_tokenizer *t = vocab_variant(NULL, NULL, &err); /* the copy itself is valid */
    if (!CHECKF(t != NULL, "%s", err.msg)) return;
    mt_ids ids = { 0 };
    CHECK(mt_tok_encode(t, "Tokenization", 12, false, &ids) && ids.n == 2 && ids.ids[0] == 4421 && ids.ids[1] == 2860);
    mt_ids_free(&ids);
    mt_tokenizer_free(t);
    static const struct { const char *skip; void (*add)(mt_gguf_writer *); const char *expect; } cases[] = {
        { "tokenizer.ggml.model", NULL, "key 'tokenizer.ggml.model' is missing" },
        { "tokenizer.ggml.pre", NULL, "key 'tokenizer.ggml.pre' is missing" },
        { "tokenizer.ggml.tokens", NULL, "key 'tokenizer.ggml.tokens' is missing" },
        { "tokenizer.ggml.token_type", NULL, "key 'tokenizer.ggml.token_type' is missing" },
        { "tokenizer.ggml.merges", NULL, "key 'tokenizer.ggml.merges' is missing: byte-level BPE needs its merges" },
        { "tokenizer.ggml.model", model_u32, "key 'tokenizer.ggml.model' is a uint32, not a string" },
        { "tokenizer.ggml.pre", pre_u32, "key 'tokenizer.ggml.pre' is a uint32, not a string" },
        { "tokenizer.ggml.tokens", tokens_ints, "key 'tokenizer.ggml.tokens' is an array of int32, not an array of string" },
        { "tokenizer.ggml.token_type", types_u32, "key 'tokenizer.ggml.token_type' is a uint32, not an array of int32" },
        { "tokenizer.ggml.token_type", types_strings, "key 'tokenizer.ggml.token_type' is an array of string, not an array of int32" },
        { "tokenizer.ggml.token_type", types_short, "key 'tokenizer.ggml.token_type': 3 types for 8224 tokens" },
        { "tokenizer.ggml.merges", merges_ints, "key 'tokenizer.ggml.merges' is an array of int32, not an array of string" },
        { "tokenizer.ggml.merges", merges_string, "key 'tokenizer.ggml.merges' is a string, not an array of string" },
        { "tokenizer.ggml.bos_token_id", bos_string, "key 'tokenizer.ggml.bos_token_id' is a string, not a token id" },
        { "tokenizer.ggml.eos_token_id", eos_too_big, "key 'tokenizer.ggml.eos_token_id': 99999 is not a token id (the vocabulary has 8224 tokens)" },
        { "tokenizer.ggml.eos_token_id", eos_negative, "key 'tokenizer.ggml.eos_token_id': -1 is not a token id" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        err.msg[0] = 0;
        t = vocab_variant(cases[i].skip, cases[i].add, &err);
        CHECKF(t == NULL && strncmp(err.msg, "vocab.gguf: ", 12) == 0 && strstr(err.msg, cases[i].expect) && !strchr(err.msg, '\n'),
               "case %zu (%s): '%s'", i, cases[i].expect, err.msg);
        mt_tokenizer_free(t);
    }
    /* the special-token ids may be absent: none is ever needed (no BOS is added; end of generation also goes by name) */
    static const char *const optional[] = { "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.padding_token_id" };
    for (size_t i = 0; i < 3; i++) {
        t = vocab_variant(optional[i], NULL, &err);
        CHECKF(t != NULL, "without %s: %s", optional[i], err.msg);
        if (t && i == 1) CHECK(mt_tok_eos(t) == -1 && mt_tok_is_eog(t, (uint32_t)mt_tok_find(t, "<|return|>")));
        mt_tokenizer_free(t);
    }
}

int main(void) {
    t_begin("tokenizer");
    RUN(tiktoken_cases_exact);
    RUN(fixture_a_tokens);
    RUN(fixture_b_tokens);
    RUN(fixture_c_tokens);
    RUN(pretokenizer_splits);
    RUN(special_tokens_only_when_asked);
    RUN(end_of_generation);
    RUN(harmony_chat_prompt);
    RUN(round_trip_and_streaming);
    RUN(streaming_holds_back_partial_characters);
    RUN(unsupported_vocabularies_refused);
    RUN(required_keys_refused);
    mt_tokenizer_free(o200k);
    mt_gguf_close(vocab_gguf);
    return t_end();
}
