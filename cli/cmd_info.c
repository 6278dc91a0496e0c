/* `moetop info`: what a GGUF file holds, like gguf-dump: the header, the
 * architecture's hyper-parameters, the tokenizer, every key and every tensor.
 * `--json` is fixed by shared/contracts/cli.md. */
#include <string.h>

#include "args.h"
#include "commands.h"
#include "engine/family.h"
#include "engine/gguf.h"
#include "engine/quant.h"
#include "json.h"
#include "paths.h"
#include "text.h"

#define JSON_ARRAY_MAX 16 /* longer arrays are summarised (the contract) */

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* ---- JSON ------------------------------------------------------------------------- */

static void json_value(mt_json *j, const mt_gguf_value *v) {
    switch (v->type) {
    case MT_GGUF_UINT8: case MT_GGUF_UINT16: case MT_GGUF_UINT32: case MT_GGUF_UINT64: mt_json_u64(j, v->v.u); break;
    case MT_GGUF_INT8: case MT_GGUF_INT16: case MT_GGUF_INT32: case MT_GGUF_INT64: mt_json_i64(j, v->v.i); break;
    case MT_GGUF_FLOAT32: mt_json_f32(j, (float)v->v.f); break;
    case MT_GGUF_FLOAT64: mt_json_f64(j, v->v.f); break;
    case MT_GGUF_BOOL: mt_json_bool(j, v->v.b); break;
    case MT_GGUF_STRING: mt_json_string_n(j, v->v.str.ptr, (size_t)v->v.str.len); break;
    case MT_GGUF_ARRAY:
        if (v->v.arr.count > JSON_ARRAY_MAX) {
            mt_json_begin_object(j);
            mt_json_kv_str(j, "array", mt_gguf_type_name(v->v.arr.elem_type));
            mt_json_kv_u64(j, "length", v->v.arr.count);
            mt_json_end_object(j);
        } else {
            mt_json_begin_array(j);
            mt_gguf_iter it = mt_gguf_array_iter(&v->v.arr);
            mt_gguf_value e;
            while (mt_gguf_iter_next(&it, &e)) json_value(j, &e);
            mt_json_end_array(j);
        }
        break;
    default: mt_json_null(j);
    }
}

static int info_json(const mt_gguf *g, const char *path) {
    mt_json j = { 0 };
    mt_json_begin_object(&j);
    mt_json_kv_str(&j, "file", base_name(path));
    mt_json_kv_u64(&j, "version", mt_gguf_version(g));
    mt_json_key(&j, "arch");
    mt_str arch = mt_gguf_get_str(g, "general.architecture", (mt_str){ "", 0 });
    mt_json_string_n(&j, arch.ptr, (size_t)arch.len);
    mt_json_kv_u64(&j, "alignment", mt_gguf_alignment(g));
    mt_json_key(&j, "metadata");
    mt_json_begin_object(&j);
    for (uint64_t i = 0; i < mt_gguf_kv_count(g); i++) {
        const mt_gguf_kv *kv = mt_gguf_kv_at(g, i);
        mt_json_key_n(&j, kv->key.ptr, (size_t)kv->key.len);
        json_value(&j, &kv->value);
    }
    mt_json_end_object(&j);
    mt_json_key(&j, "tensors");
    mt_json_begin_array(&j);
    for (uint64_t i = 0; i < mt_gguf_tensor_count(g); i++) {
        const mt_gguf_tensor *t = mt_gguf_tensor_at(g, i);
        mt_json_begin_object(&j);
        mt_json_key(&j, "name");
        mt_json_string_n(&j, t->name.ptr, (size_t)t->name.len);
        mt_json_kv_str(&j, "type", mt_type_get(t->type)->name);
        mt_json_key(&j, "shape");
        mt_json_begin_array(&j);
        for (uint32_t d = 0; d < t->n_dims; d++) mt_json_u64(&j, t->ne[d]);
        mt_json_end_array(&j);
        mt_json_kv_u64(&j, "offset", t->offset);
        mt_json_kv_u64(&j, "bytes", t->nbytes);
        mt_json_end_object(&j);
    }
    mt_json_end_array(&j);
    mt_json_end_object(&j);
    return mt_json_finish(&j);
}

/* ---- human ------------------------------------------------------------------------ */

static void print_scalar(const mt_gguf_value *v) {
    switch (v->type) {
    case MT_GGUF_UINT8: case MT_GGUF_UINT16: case MT_GGUF_UINT32: case MT_GGUF_UINT64: printf("%llu", (unsigned long long)v->v.u); break;
    case MT_GGUF_INT8: case MT_GGUF_INT16: case MT_GGUF_INT32: case MT_GGUF_INT64: printf("%lld", (long long)v->v.i); break;
    case MT_GGUF_FLOAT32: printf("%.9g", v->v.f); break;
    case MT_GGUF_FLOAT64: printf("%.17g", v->v.f); break;
    case MT_GGUF_BOOL: printf("%s", v->v.b ? "true" : "false"); break;
    case MT_GGUF_STRING:
        putchar('"');
        mt_print_escaped(stdout, v->v.str.ptr, (size_t)v->v.str.len, 60);
        putchar('"');
        break;
    default: break;
    }
}

static void print_value(const mt_gguf_value *v) {
    if (v->type != MT_GGUF_ARRAY) {
        print_scalar(v);
        return;
    }
    printf("%llu x %s: [", (unsigned long long)v->v.arr.count, mt_gguf_type_name(v->v.arr.elem_type));
    mt_gguf_iter it = mt_gguf_array_iter(&v->v.arr);
    mt_gguf_value e;
    for (int shown = 0; mt_gguf_iter_next(&it, &e); shown++) {
        if (shown == 6) {
            printf(", ...");
            break;
        }
        if (shown) printf(", ");
        if (e.type == MT_GGUF_ARRAY) printf("[%llu]", (unsigned long long)e.v.arr.count);
        else print_scalar(&e);
    }
    printf("]");
}

/* Token text by id from tokenizer.ggml.tokens, for naming bos/eos. */
static mt_str token_text(const mt_gguf *g, uint64_t id) {
    mt_gguf_array toks;
    mt_str none = { "", 0 };
    if (!mt_gguf_get_array(g, "tokenizer.ggml.tokens", &toks) || toks.elem_type != MT_GGUF_STRING || id >= toks.count) return none;
    mt_gguf_iter it = mt_gguf_array_iter(&toks);
    mt_gguf_value v;
    for (uint64_t i = 0; mt_gguf_iter_next(&it, &v); i++)
        if (i == id) return v.v.str;
    return none;
}

static void print_arch(const mt_gguf *g, mt_str arch) {
    char key[128];
#define ARCH_U64(name) (snprintf(key, sizeof key, "%.*s." name, (int)arch.len, arch.ptr), mt_gguf_get_u64(g, key, 0))
#define ARCH_F64(name) (snprintf(key, sizeof key, "%.*s." name, (int)arch.len, arch.ptr), mt_gguf_get_f64(g, key, 0))
    uint64_t n_layer = ARCH_U64("block_count");
    if (!n_layer) return;
    uint64_t heads = ARCH_U64("attention.head_count"), kv = ARCH_U64("attention.head_count_kv");
    uint64_t hd = ARCH_U64("attention.key_length"), d = ARCH_U64("embedding_length");
    printf("  layers %llu, width %llu, %llu query heads x %llu = query width %llu, %llu KV heads\n",
           (unsigned long long)n_layer, (unsigned long long)d, (unsigned long long)heads, (unsigned long long)hd,
           (unsigned long long)(heads * hd), (unsigned long long)kv);
    const mt_family *f = mt_family_find(arch);
    uint64_t experts = ARCH_U64("expert_count");
    if (experts) {
        uint64_t ff = f ? (snprintf(key, sizeof key, "%.*s.%s", (int)arch.len, arch.ptr, f->ff_key), mt_gguf_get_u64(g, key, 0))
                        : ARCH_U64("expert_feed_forward_length");
        bool split = mt_gguf_find_tensor(g, "blk.0.ffn_gate.0.weight") && !mt_gguf_find_tensor(g, "blk.0.ffn_gate_exps.weight");
        printf("  %llu experts, top-%llu, expert width %llu%s\n", (unsigned long long)experts,
               (unsigned long long)ARCH_U64("expert_used_count"), (unsigned long long)ff, split ? ", one tensor per expert" : "");
    }
    if (f) {
        char what[300];
        printf("  %s: %s\n", f->label, mt_family_describe(f, what, sizeof what));
    }
    printf("  context %llu", (unsigned long long)ARCH_U64("context_length"));
    if (!f || f->sliding_window) printf(", sliding window %llu", (unsigned long long)ARCH_U64("attention.sliding_window"));
    printf(", RoPE base %g", ARCH_F64("rope.freq_base"));
    double factor = ARCH_F64("rope.scaling.factor");
    if (factor) printf(", YaRN x%g from %llu", factor, (unsigned long long)ARCH_U64("rope.scaling.original_context_length"));
    printf(", RMS eps %g\n", ARCH_F64("attention.layer_norm_rms_epsilon"));
#undef ARCH_U64
#undef ARCH_F64
}

static void print_tokenizer(const mt_gguf *g) {
    mt_str model = mt_gguf_get_str(g, "tokenizer.ggml.model", (mt_str){ NULL, 0 });
    if (!model.ptr) return;
    mt_str pre = mt_gguf_get_str(g, "tokenizer.ggml.pre", (mt_str){ "?", 1 });
    mt_gguf_array toks = { 0 }, types = { 0 }, merges = { 0 };
    mt_gguf_get_array(g, "tokenizer.ggml.tokens", &toks);
    mt_gguf_get_array(g, "tokenizer.ggml.merges", &merges);
    uint64_t special = 0;
    if (mt_gguf_get_array(g, "tokenizer.ggml.token_type", &types)) {
        mt_gguf_iter it = mt_gguf_array_iter(&types);
        mt_gguf_value v;
        int64_t t;
        while (mt_gguf_iter_next(&it, &v))
            if (mt_gguf_value_i64(&v, &t) && t == 3) special++;
    }
    printf("Tokenizer  %.*s, pre-tokenizer %.*s: %llu tokens (%llu control), %llu merges\n", (int)model.len, model.ptr,
           (int)pre.len, pre.ptr, (unsigned long long)toks.count, (unsigned long long)special, (unsigned long long)merges.count);
    static const char *const ids[][2] = { { "tokenizer.ggml.bos_token_id", "bos" }, { "tokenizer.ggml.eos_token_id", "eos" },
                                          { "tokenizer.ggml.padding_token_id", "pad" } };
    printf("          ");
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        const mt_gguf_kv *kv = mt_gguf_find(g, ids[i][0]);
        uint64_t id;
        if (!kv || !mt_gguf_value_u64(&kv->value, &id)) continue;
        mt_str text = token_text(g, id);
        printf(" %s %llu ", ids[i][1], (unsigned long long)id);
        mt_print_escaped(stdout, text.ptr, (size_t)text.len, 24);
    }
    printf("\n");
}

static void print_totals(const mt_gguf *g) {
    uint64_t params[MT_TYPE_COUNT] = { 0 }, bytes[MT_TYPE_COUNT] = { 0 }, all_params = 0, all_bytes = 0;
    for (uint64_t i = 0; i < mt_gguf_tensor_count(g); i++) {
        const mt_gguf_tensor *t = mt_gguf_tensor_at(g, i);
        params[t->type] += t->n_elements;
        bytes[t->type] += t->nbytes;
        all_params += t->n_elements;
        all_bytes += t->nbytes;
    }
    char p[32], b[32];
    mt_format_count(all_params, p, sizeof p);
    mt_format_bytes(all_bytes, b, sizeof b);
    printf("Weights    %s parameters in %s:", p, b);
    for (int t = 0; t < MT_TYPE_COUNT; t++) {
        if (!params[t]) continue;
        mt_format_count(params[t], p, sizeof p);
        mt_format_bytes(bytes[t], b, sizeof b);
        printf("  %s %s (%s)", mt_type_get((uint32_t)t)->name, p, b);
    }
    printf("\n");
}

static int info_human(const mt_gguf *g, const char *path) {
    char size[32];
    mt_format_bytes(mt_gguf_file_size(g), size, sizeof size);
    printf("%s: GGUF v%u, %s, %llu keys, %llu tensors, alignment %u, data at byte %llu\n", base_name(path), mt_gguf_version(g),
           size, (unsigned long long)mt_gguf_kv_count(g), (unsigned long long)mt_gguf_tensor_count(g), mt_gguf_alignment(g),
           (unsigned long long)mt_gguf_data_offset(g));
    mt_str arch = mt_gguf_get_str(g, "general.architecture", (mt_str){ "?", 1 });
    mt_str name = mt_gguf_get_str(g, "general.name", (mt_str){ "", 0 });
    printf("\nModel      %.*s", (int)arch.len, arch.ptr);
    if (name.len) {
        printf(" \"");
        mt_print_escaped(stdout, name.ptr, (size_t)name.len, 60);
        printf("\"");
    }
    printf("\n");
    print_arch(g, arch);
    print_tokenizer(g);
    if (mt_gguf_tensor_count(g)) print_totals(g);

    printf("\nMetadata\n");
    for (uint64_t i = 0; i < mt_gguf_kv_count(g); i++) {
        const mt_gguf_kv *kv = mt_gguf_kv_at(g, i);
        printf("  ");
        size_t w = mt_print_escaped(stdout, kv->key.ptr, (size_t)kv->key.len, 60);
        printf("%*s %-8s ", (int)(w < 46 ? 46 - w : 0), "", mt_gguf_type_name(kv->value.type));
        print_value(&kv->value);
        printf("\n");
    }
    if (mt_gguf_tensor_count(g)) {
        printf("\nTensors\n  %5s  %-34s %-6s %-18s %12s %12s\n", "#", "name", "type", "shape", "bytes", "offset");
        for (uint64_t i = 0; i < mt_gguf_tensor_count(g); i++) {
            const mt_gguf_tensor *t = mt_gguf_tensor_at(g, i);
            char shape[80];
            int n = 0;
            for (uint32_t d = 0; d < t->n_dims; d++)
                n += snprintf(shape + n, sizeof shape - (size_t)n, "%s%llu", d ? " x " : "", (unsigned long long)t->ne[d]);
            printf("  %5llu  ", (unsigned long long)i);
            size_t w = mt_print_escaped(stdout, t->name.ptr, (size_t)t->name.len, 60);
            printf("%*s %-6s %-18s %12llu %12llu\n", (int)(w < 34 ? 34 - w : 0), "", mt_type_get(t->type)->name, shape,
                   (unsigned long long)t->nbytes, (unsigned long long)t->offset);
        }
    }
    return fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
}

static int run_info(const cli_command *cmd, cli_args *a) {
    char buf[4096];
    const char *path = a->n_positional && !cli_has(a, "--model") ? a->positional[0] : mt_model_path(a, buf, sizeof buf);
    if (!path) return CLI_EXIT_USAGE;
    (void)cmd;
    mt_err err;
    mt_gguf *g = mt_gguf_open(path, &err);
    if (!g) return cli_error(CLI_EXIT_USAGE, "%s", err.msg);
    int rc = cli_has(a, "--json") ? info_json(g, path) : info_human(g, path);
    mt_gguf_close(g);
    return rc;
}

const cli_command cmd_info = {
    .name = "info",
    .usage = "moetop info [-m FILE.gguf] [--json]",
    .summary = "Describe a GGUF file: header, hyper-parameters, tokenizer, every key and every tensor.",
    .details = "Shapes are in GGUF order (the contiguous dimension first); offsets are relative to the\n"
               "data section. With --json, arrays longer than 16 elements are summarised as\n"
               "{\"array\": TYPE, \"length\": N}. Exit 2 when the file is unreadable or malformed.",
    .max_positional = 1,
    .opts = {
        { "--model", 'm', "FILE", "the GGUF file to describe" },
        { "--json", 0, NULL, "one JSON object on stdout (shared/contracts/cli.md)" },
        { NULL, 0, NULL, NULL },
    },
    .run = run_info,
};
