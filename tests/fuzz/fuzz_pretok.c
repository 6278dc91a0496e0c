/* libFuzzer target: the three pre-tokenizers (o200k, Qwen2, GPT-2/OLMoE) on
 * arbitrary bytes: every piece is non-empty and within the input, so the
 * pieces tile it (no vocabulary needed). */
#include <stdlib.h>

#include "engine/pretok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t (*const split[])(const uint8_t *, size_t, size_t) = { mt_pretok_o200k, mt_pretok_qwen2, mt_pretok_gpt2 };
    for (size_t k = 0; k < sizeof split / sizeof *split; k++)
        for (size_t pos = 0; pos < size;) {
            size_t end = split[k](data, size, pos);
            if (end <= pos || end > size) abort();
            pos = end;
        }
    return 0;
}
