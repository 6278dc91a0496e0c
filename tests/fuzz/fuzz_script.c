/* libFuzzer target: the key-script parser. Whatever it accepts must be
 * steps of known kinds with keys, texts and clicks in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tui/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mt_script s;
    mt_err err;
    if (!mt_script_parse((const char *)data, size, "fuzz.keys", &s, &err)) {
        if (strncmp(err.msg, "fuzz.keys", 9) != 0) abort();
        return 0;
    }
    for (size_t i = 0; i < s.n; i++) {
        const mt_step *st = &s.steps[i];
        switch (st->kind) {
        case MT_STEP_KEY:
            if (st->key < 1 || st->key > MT_KEY_CLICK) abort();
            break;
        case MT_STEP_TYPE:
        case MT_STEP_PASTE:
        case MT_STEP_FRAME:
            if (!st->text) abort();
            (void)strlen(st->text);
            break;
        case MT_STEP_WAIT:
            if (st->ms < 0 || st->ms > 600000) abort();
            break;
        case MT_STEP_CLICK:
            if (st->x < 0 || st->y < 0 || st->x > 9999 || st->y > 9999) abort();
            break;
        default: abort();
        }
    }
    mt_script_free(&s);
    return 0;
}
