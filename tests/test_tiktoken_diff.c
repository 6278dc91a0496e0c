/* Differential test against tiktoken itself (npm's tiktoken package: its Rust
 * code compiled to WebAssembly): over 5.5 MiB of generated and real text, every
 * document must tokenize to exactly tiktoken's o200k_base ids. What
 * tools/deps.sh installs (node, npm, unicode-data) must be there: its absence
 * is a failure naming the package. Skipped, saying why, only when the npm
 * registry cannot be reached (or the oracle's vocabulary is absent). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/gguf.h"
#include "engine/tokenizer.h"
#include "support/harness.h"
#include "support/proc.h"

#define NPM_DIR "build/npm"
#define TIKTOKEN "tiktoken@1.0.22"
#define UNICODE_DATA "/usr/share/unicode/UnicodeData.txt"

static bool have_command(const char *name) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* Fails the test, in one line naming it, for each input tools/deps.sh installs
 * that is missing; true when all are there. */
static bool have_installed_inputs(void) {
    bool node = CHECKF(have_command("node"), "node is not installed (Debian package nodejs: sh tools/deps.sh installs it)");
    bool npm = CHECKF(have_command("npm"), "npm is not installed (Debian package npm: sh tools/deps.sh installs it)");
    bool ucd = CHECKF(access(UNICODE_DATA, R_OK) == 0, "%s is missing (Debian package unicode-data: sh tools/deps.sh installs it)", UNICODE_DATA);
    return node && npm && ucd;
}

/* The line of text (at most cap - 1 bytes) holding needle, or "". */
static void line_with(const char *text, const char *needle, char *line, size_t cap) {
    const char *at = strstr(text, needle);
    line[0] = 0;
    if (!at) return;
    while (at > text && at[-1] != '\n') at--;
    size_t n = strcspn(at, "\n");
    snprintf(line, cap, "%.*s", (int)n, at);
}

/* npm's error codes for a registry it cannot reach (npm 9's "npm ERR! code X"
 * and npm 10's "npm error code X"). */
static bool registry_unreachable(const char *err) {
    static const char *const codes[] = { "ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT",
                                         "ENETUNREACH", "EHOSTUNREACH", "ERR_SOCKET_TIMEOUT" };
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        if (strstr(err, codes[i])) return true;
    return false;
}

/* Installs the npm package under build/npm once. 1: installed; 0: the
 * registry is unreachable (why says so: skip); -1: npm failed otherwise (why:
 * its error line). */
static int ensure_tiktoken(char *why, size_t cap) {
    if (access(NPM_DIR "/node_modules/tiktoken/package.json", R_OK) == 0) return 1;
    const char *argv[] = { "/bin/sh", "-c",
                           "mkdir -p " NPM_DIR " && npm install --prefix " NPM_DIR
                           " --no-audit --no-fund --loglevel=error --fetch-retries=1 " TIKTOKEN,
                           NULL };
    proc_result r = proc_run(argv, NULL);
    int ok = r.status == 0 && access(NPM_DIR "/node_modules/tiktoken/package.json", R_OK) == 0 ? 1 : -1;
    if (ok < 0) {
        char line[240];
        line_with(r.err, "code", line, sizeof line);
        if (!line[0]) line_with(r.err, "rror", line, sizeof line);
        if (registry_unreachable(r.err)) ok = 0;
        snprintf(why, cap, "npm install %s: %s%s", TIKTOKEN, ok == 0 ? "the npm registry is unreachable: " : "",
                 line[0] ? line : "failed, saying nothing");
    }
    proc_free(&r);
    return ok;
}

/* The first line of s, without its newline, in line (at most cap - 1 bytes). */
static void first_line(const char *s, char *line, size_t cap) {
    snprintf(line, cap, "%.*s", (int)strcspn(s, "\n"), s);
}

static uint32_t read_u32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void matches_tiktoken_on_generated_and_real_text(void) {
    const char *vocab_path = t_shared_file("oracle/tokenizer/o200k_harmony.vocab.gguf");
    if (!vocab_path) return;
    if (!have_installed_inputs()) return;
    char why[512];
    int have = ensure_tiktoken(why, sizeof why);
    if (have == 0) {
        t_skip("%s", why);
        return;
    }
    if (!CHECKF(have > 0, "%s", why)) return;
    char corpus[512];
    snprintf(corpus, sizeof corpus, "%s/corpus.bin", t_tmpdir());
    const char *argv[] = { "/usr/bin/env", "NODE_PATH=" NPM_DIR "/node_modules", "node", "tests/tiktoken/gen_corpus.cjs", corpus, "5.5", NULL };
    proc_result gen = proc_run(argv, NULL);
    char line[400];
    first_line(gen.err, line, sizeof line);
    if (!CHECKF(gen.status == 0, "corpus generator: exit %d: %s", gen.status, line[0] ? line : "(nothing on stderr)")) {
        proc_free(&gen);
        return;
    }
    printf("  tiktoken corpus: %s", gen.out);
    proc_free(&gen);
    mt_err err;
    mt_gguf *g = mt_gguf_open(vocab_path, &err);
    mt_tokenizer *t = g ? mt_tokenizer_load(g, &err) : NULL;
    unsigned long size = 0;
    unsigned char *data = (unsigned char *)t_read_file(corpus, &size);
    if (CHECKF(t && data, "%s", t ? "cannot read the corpus" : err.msg)) {
        size_t docs = 0, differing = 0, bytes = 0;
        double seconds = 0;
        for (size_t at = 0; at + 4 <= size;) {
            uint32_t len = read_u32(data + at);
            const char *text = (const char *)data + at + 4;
            uint32_t n = read_u32(data + at + 4 + len);
            const unsigned char *want = data + at + 8 + len;
            at += 8 + (size_t)len + 4 * (size_t)n;
            if (!CHECKF(at <= size, "corpus file truncated")) break;
            mt_ids ids = { 0 };
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            mt_tok_encode(t, text, len, false, &ids);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            seconds += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
            size_t first = SIZE_MAX;
            for (size_t i = 0; i < ids.n && i < n && first == SIZE_MAX; i++)
                if (ids.ids[i] != read_u32(want + 4 * i)) first = i;
            if (first == SIZE_MAX && ids.n != n) first = ids.n < n ? ids.n : n;
            if (first != SIZE_MAX) {
                differing++;
                if (differing <= 5) {
                    /* show the text around the first differing token */
                    size_t off = 0;
                    for (size_t i = 0; i < first && i < ids.n; i++) {
                        size_t l;
                        mt_tok_bytes(t, ids.ids[i], &l);
                        off += l;
                    }
                    size_t from = off > 20 ? off - 20 : 0, to = off + 30 < len ? off + 30 : len;
                    CHECKF(false, "document %zu (%u bytes): token %zu differs: ours %u, tiktoken %u, near \"%.*s\"", docs, len, first,
                           first < ids.n ? ids.ids[first] : 0, first < n ? read_u32(want + 4 * first) : 0, (int)(to - from), text + from);
                }
            }
            bytes += len;
            docs++;
            mt_ids_free(&ids);
        }
        CHECKF(differing == 0, "%zu of %zu documents differ from tiktoken", differing, docs);
        CHECKF(bytes >= 5 * 1024 * 1024, "corpus is only %zu bytes", bytes);
        printf("  %zu documents, %.2f MiB, identical to tiktoken: %s; encoded at %.1f MiB/s\n", docs, (double)bytes / 1048576.0,
               differing ? "no" : "yes", (double)bytes / 1048576.0 / seconds);
    }
    free(data);
    mt_tokenizer_free(t);
    mt_gguf_close(g);
}

int main(void) {
    t_begin("tiktoken-diff");
    RUN(matches_tiktoken_on_generated_and_real_text);
    return t_end();
}
