#include "json_token.h"

void mt_json_token(mt_json *j, const mt_tokenizer *t, uint32_t id) {
    mt_json_begin_object(j);
    mt_json_token_fields(j, t, id);
    mt_json_end_object(j);
}

void mt_json_token_fields(mt_json *j, const mt_tokenizer *t, uint32_t id) {
    size_t len;
    const char *bytes = mt_tok_bytes(t, id, &len);
    mt_json_kv_u64(j, "id", id);
    mt_json_key(j, "text");
    mt_json_string_n(j, bytes, len);
    if (mt_json_has_invalid_utf8(bytes, len)) {
        mt_json_key(j, "bytes");
        mt_json_hex(j, bytes, len);
    }
}
