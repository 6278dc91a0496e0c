/* `moetop tokenize` as the contract fixes it, and its refusals; a model
 * whose tokenizer lacks a key is refused by every command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Writes a copy of src whose key is renamed in place (its last character
 * becomes '~', so the file holds no such key any more) to dst; false
 * (checked) when src holds no such key. */
static bool without_key(const char *src, const char *key, const char *dst) {
    unsigned long len;
    char *bytes = t_read_file(src, &len);
    if (!CHECKF(bytes != NULL, "%s", src)) return false;
    size_t klen = strlen(key);
    char want[128];
    for (int i = 0; i < 8; i++) want[i] = (char)(i == 0 ? klen : 0); /* the key's u64 length, little-endian (< 256) */
    memcpy(want + 8, key, klen);
    char *at = NULL;
    for (unsigned long i = 0; i + 8 + klen <= len && !at; i++)
        if (memcmp(bytes + i, want, 8 + klen) == 0) at = bytes + i;
    if (at) at[8 + klen - 1] = '~';
    bool ok = CHECKF(at && t_write_file(dst, bytes, len), "%s: no key %s", src, key);
    free(bytes);
    return ok;
}

/* A model whose tokenizer lacks a key it needs is refused by every command
 * that loads one: exit 2, one stderr line naming the file and the key. */
static void missing_key_every_command(void) {
    char model[512], data[512], dir[512], out[512], path[600];
    snprintf(model, sizeof model, "%s/whole.gguf", t_tmpdir());
    snprintf(data, sizeof data, "%s/docs.jsonl", t_tmpdir());
    snprintf(dir, sizeof dir, "%s/set", t_tmpdir());
    snprintf(out, sizeof out, "%s/out.json", t_tmpdir());
    snprintf(path, sizeof path, "%s/one.txt", dir);
    proc_result r = run_moetop("synth", "-q", "-o", model, "--preset", "tiny", NULL);
    bool made = CHECKF(r.status == 0, "synth: %s", r.err);
    proc_free(&r);
    if (!made) return;
    t_write_file(data, "{\"text\": \"hello\"}\n", 18);
    mkdir(dir, 0755);
    t_write_file(path, "hello\n", 6);
    static const char *const keys[] = { "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens", "tokenizer.ggml.token_type",
                                        "tokenizer.ggml.merges" };
    static const char *const cmds[][8] = {
        { "tokenize", "-m", "M", "Tokenization", NULL },
        { "trace", "-m", "M", "--prompt", "hi", NULL },
        { "generate", "-m", "M", "--prompt", "hi", "-n", "1", NULL },
        { "bench", "-m", "M", "-p", "4", "-n", "2", NULL },
        { "entropy", "-m", "M", "--prompt", "hi", NULL },
        { "sweep", "-m", "M", "--prompt", "hi", NULL },
        { "coact", "-m", "M", "--prompt", "hi", NULL },
        { "cold", "-m", "M", "--prompt", "hi", NULL },
        { "export", "-m", "M", "--prompt", "hi", NULL },
        { "domains", "-m", "M", "--prompts", "DIR", NULL },
        { "profile", "-m", "M", "--data", "DATA", "-o", "OUT", NULL },
        { "-m", "M", "--headless", NULL },
    };
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        char broken[600];
        snprintf(broken, sizeof broken, "%s/without-%zu.gguf", t_tmpdir(), k);
        if (!without_key(model, keys[k], broken)) continue;
        for (size_t c = 0; c < sizeof cmds / sizeof *cmds; c++) {
            const char *a[8] = { NULL };
            for (int i = 0; i < 8 && cmds[c][i]; i++) {
                a[i] = cmds[c][i];
                if (!strcmp(a[i], "M")) a[i] = broken;
                else if (!strcmp(a[i], "DIR")) a[i] = dir;
                else if (!strcmp(a[i], "DATA")) a[i] = data;
                else if (!strcmp(a[i], "OUT")) a[i] = out;
            }
            r = run_moetop(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], NULL);
            char want[128];
            snprintf(want, sizeof want, "key '%s' is missing", keys[k]);
            CHECKF(is_clean_usage_error(&r) && strstr(r.err, want) && strstr(r.err, broken), "%s without %s: exit %d: %s", cmds[c][0], keys[k], r.status,
                   r.err);
            proc_free(&r);
        }
        if (k == 2 || k == 4) { /* synth --vocab copies the tokens and merges */
            char synth_out[600];
            snprintf(synth_out, sizeof synth_out, "%s/from-broken.gguf", t_tmpdir());
            r = run_moetop("synth", "-q", "-o", synth_out, "--preset", "tiny", "--vocab", broken, NULL);
            char want[128];
            snprintf(want, sizeof want, "key '%s' is missing", keys[k]);
            CHECKF(is_clean_usage_error(&r) && strstr(r.err, want) && access(synth_out, F_OK) != 0, "synth --vocab without %s: %s", keys[k], r.err);
            proc_free(&r);
        }
    }
    CHECK(access(out, F_OK) != 0); /* profile wrote nothing */
}

int main(void) {
    t_begin("cli-tokenize");
    RUN(ids_on_one_line);
    RUN(special_only_with_flag);
    RUN(json_pieces_and_invalid_bytes);
    RUN(file_bytes_exactly);
    RUN(refusals);
    RUN(missing_key_every_command);
    return t_end();
}
