/* `moetop tokenize` as the contract fixes it, and its refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/cli_util.h"
#include "support/harness.h"

static const char *vocab(void) { return t_shared_file("oracle/tokenizer/o200k_harmony.vocab.gguf"); }

static void ids_on_one_line(void) {
    const char *v = vocab();
    if (!v) return;
    proc_result r = run_moetop("tokenize", "-m", v, "Hello world", NULL);
    CHECKF(r.status == 0 && strcmp(r.out, "13225 2375\n") == 0, "got '%s' (%s)", r.out, r.err);
    proc_free(&r);
    r = run_moetop("tokenize", "-m", v, "", NULL);
    CHECKF(r.status == 0 && strcmp(r.out, "\n") == 0, "empty text: '%s'", r.out);
    proc_free(&r);
}

static void special_only_with_flag(void) {
    const char *v = vocab();
    if (!v) return;
    proc_result plain = run_moetop("tokenize", "-m", v, "<|start|>", NULL);
    proc_result special = run_moetop("tokenize", "-m", v, "--special", "<|start|>", NULL);
    CHECKF(special.status == 0 && strcmp(special.out, "200006\n") == 0, "--special: '%s'", special.out);
    CHECKF(plain.status == 0 && strchr(plain.out, ' ') && !strstr(plain.out, "200006"), "ordinary: '%s'", plain.out);
    proc_free(&plain);
    proc_free(&special);
    proc_result chat = run_moetop("tokenize", "-m", v, "--chat", "hi", NULL);
    CHECKF(chat.status == 0 && strncmp(chat.out, "200006 1428 200008 ", 19) == 0 && strstr(chat.out, " 200007 200006 173781\n"),
           "--chat: '%s'", chat.out);
    proc_free(&chat);
}

static void json_pieces_and_invalid_bytes(void) {
    const char *v = vocab();
    if (!v) return;
    proc_result r = run_moetop("tokenize", "-m", v, "--json", "I'm \xe6\x97\xa5 \xff", NULL);
    char err[256];
    jv *j = r.status == 0 ? jv_parse(r.out, r.out_len, err, sizeof err) : NULL;
    if (CHECKF(j != NULL, "exit %d: %s", r.status, r.err)) {
        const jv *ids = jv_get(j, "ids"), *pieces = jv_get(j, "pieces"), *tokens = jv_get(j, "tokens");
        CHECK(ids && pieces && tokens && ids->len == pieces->len && ids->len == tokens->len && ids->len >= 3);
        CHECK(strcmp(jv_at(pieces, 0)->str, "I'm") == 0);
        const jv *last = jv_at(tokens, tokens->len - 1);
        const char *bytes = jv_str(last, "bytes");
        CHECKF(bytes && strstr(bytes, "ff") && strstr(jv_str(last, "text"), "\xef\xbf\xbd"), "last token: %s", bytes ? bytes : "(no bytes)");
        CHECK(jv_get(jv_at(tokens, 0), "bytes") == NULL); /* valid UTF-8 has no "bytes" */
    }
    jv_free(j);
    proc_free(&r);
}

static void file_bytes_exactly(void) {
    const char *v = vocab();
    if (!v) return;
    char path[512];
    snprintf(path, sizeof path, "%s/text.txt", t_tmpdir());
    t_write_file(path, "Hello world\n", 12);
    proc_result r = run_moetop("tokenize", "-m", v, "-f", path, NULL);
    CHECKF(r.status == 0 && strcmp(r.out, "13225 2375 198\n") == 0, "-f keeps the newline: '%s'", r.out);
    proc_free(&r);
}

static void refusals(void) {
    const char *v = vocab();
    const char *blocks = t_shared_file("oracle/quant/blocks.gguf");
    if (!v || !blocks) return;
    static const struct { const char *a[6]; const char *expect; } cases[] = {
        { { "tokenize", "-m", NULL }, "missing value" },
        { { "tokenize", "-m", "VOCAB", NULL }, "give the text, or -f FILE" },
        { { "tokenize", "-m", "VOCAB", "-f", "/nonexistent", NULL }, "/nonexistent: cannot open" },
        { { "tokenize", "-m", "VOCAB", "-f", "/etc/hostname", "text" }, "not both" },
        { { "tokenize", "-m", "BLOCKS", "x", NULL }, "'tokenizer.ggml.model' is missing" },
        { { "tokenize", "-m", "VOCAB", "a", "b", NULL }, "b: unexpected argument" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *a[6];
        for (int k = 0; k < 6; k++) {
            a[k] = cases[i].a[k];
            if (a[k] && strcmp(a[k], "VOCAB") == 0) a[k] = v;
            if (a[k] && strcmp(a[k], "BLOCKS") == 0) a[k] = blocks;
        }
        proc_result r = run_moetop(a[0], a[1], a[2], a[3], a[4], a[5], NULL);
        CHECKF(is_clean_usage_error(&r) && strstr(r.err, cases[i].expect), "case %zu: exit %d: %s", i, r.status, r.err);
        proc_free(&r);
    }
}

int main(void) {
    t_begin("cli-tokenize");
    RUN(ids_on_one_line);
    RUN(special_only_with_flag);
    RUN(json_pieces_and_invalid_bytes);
    RUN(file_bytes_exactly);
    RUN(refusals);
    return t_end();
}
