/* libFuzzer target: the GGUF reader on arbitrary bytes, then everything that
 * reads a file it accepted: every key and array element, the tensor table,
 * binding a model of any family (family.h) and loading a tokenizer. */
#include <stddef.h>
#include <stdint.h>

#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const mt_gguf_value *v, int depth) {
    if (v->type != MT_GGUF_ARRAY || depth > 10) return;
    mt_gguf_iter it = mt_gguf_array_iter(&v->v.arr);
    mt_gguf_value e;
    while (mt_gguf_iter_next(&it, &e)) walk(&e, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mt_err err;
    mt_gguf *g = mt_gguf_open_memory(data, size, "fuzz", &err);
    if (!g) return 0;
    for (uint64_t i = 0; i < mt_gguf_kv_count(g); i++) walk(&mt_gguf_kv_at(g, i)->value, 0);
    volatile uint8_t sink = 0;
    for (uint64_t i = 0; i < mt_gguf_tensor_count(g); i++) {
        const mt_gguf_tensor *t = mt_gguf_tensor_at(g, i);
        if (t->nbytes) sink ^= ((const uint8_t *)t->data)[t->nbytes - 1]; /* the last byte is inside the buffer */
    }
    mt_model *m = mt_model_load(g, &err);
    mt_model_free(m);
    mt_tokenizer *tok = mt_tokenizer_load(g, &err);
    if (tok) {
        mt_ids ids = { 0 };
        mt_tok_encode(tok, "Hello <|start|> world 127", 24, true, &ids);
        mt_ids_free(&ids);
    }
    mt_tokenizer_free(tok);
    mt_gguf_close(g);
    (void)sink;
    return 0;
}
