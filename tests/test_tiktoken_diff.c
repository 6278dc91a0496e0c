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
#include "support/npm.h"
#include "support/proc.h"

#define TIKTOKEN "tiktoken@1.0.22"

static uint32_t read_u32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void matches_tiktoken_on_generated_and_real_text(void) {
    const char *vocab_path = t_shared_file("oracle/tokenizer/o200k_harmony.vocab.gguf");
    if (!vocab_path) return;
    if (!npm_have_inputs()) return;
    char why[512];
    int have = npm_ensure(TIKTOKEN, "tiktoken", why, sizeof why);
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
    npm_first_line(gen.err, line, sizeof line);
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
