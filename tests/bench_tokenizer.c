/* `make bench`: tokenizer load time (the 201k-token o200k vocabulary with its
 * 446k merges) and encoding speed on 10 MiB of mixed text: C headers and
 * licences found on the machine, plus generated multilingual text. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/bytes.h"
#include "engine/gguf.h"
#include "engine/rng.h"
#include "engine/tokenizer.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void add_files(mt_bytes *text, const char *dir, size_t limit) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) && text->len < limit) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0 && text->len < limit) mt_bytes_put(text, buf, n);
        fclose(f);
    }
    closedir(d);
}

int main(int argc, char **argv) {
    const char *vocab = argc > 1 ? argv[1] : "../shared/oracle/tokenizer/o200k_harmony.vocab.gguf";
    mt_err err;
    double t0 = now();
    mt_gguf *g = mt_gguf_open(vocab, &err);
    mt_tokenizer *t = g ? mt_tokenizer_load(g, &err) : NULL;
    double load = now() - t0;
    if (!t) {
        printf("tokenizer: skipped (%s)\n", err.msg);
        return 0;
    }
    printf("tokenizer: o200k vocabulary (201088 tokens, 446189 merges) loaded in %.0f ms\n", load * 1e3);
    const size_t target = 10u << 20;
    mt_bytes text = { 0 };
    add_files(&text, "/usr/share/common-licenses", target / 4);
    add_files(&text, "/usr/include", target / 2);
    static const char *const words[] = { "the", " quick", " Brown", " fox", "'s", " 12345", " naïve", " straße", " число",
                                         " 日本語の", "テキスト", " 한국어", " عربي", " 😀", ",", ".\n", "  ", "\t", " I'm", " don't" };
    mt_rng rng = mt_rng_seed(9, 0);
    while (text.len < target) {
        const char *w = words[mt_rng_below(&rng, sizeof words / sizeof *words)];
        mt_bytes_put(&text, w, strlen(w));
    }
    mt_ids ids = { 0 };
    t0 = now();
    mt_tok_encode(t, (const char *)text.data, text.len, false, &ids);
    double enc = now() - t0;
    printf("tokenizer: %.1f MiB of mixed text -> %zu tokens in %.2f s: %.1f MiB/s, %.2f M tokens/s (one thread)\n",
           (double)text.len / 1048576.0, ids.n, enc, (double)text.len / 1048576.0 / enc, (double)ids.n / enc / 1e6);
    mt_ids_free(&ids);
    mt_bytes_free(&text);
    mt_tokenizer_free(t);
    mt_gguf_close(g);
    return 0;
}
