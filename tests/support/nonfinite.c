#include "nonfinite.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "cli_util.h"
#include "engine/gguf.h"
#include "engine/quant.h"
#include "harness.h"

bool patch_router_bias(const char *path, uint32_t layer, const float *bias, uint32_t n) {
    mt_err err;
    mt_gguf *g = mt_gguf_open(path, &err);
    if (!CHECKF(g != NULL, "%s", err.msg)) return false;
    char name[64];
    snprintf(name, sizeof name, "blk.%u.ffn_gate_inp.bias", layer);
    const mt_gguf_tensor *t = mt_gguf_find_tensor(g, name);
    bool ok = CHECKF(t && t->type == MT_TYPE_F32 && t->n_elements == n, "%s: %s is not an F32 tensor of %u", path, name, n);
    uint64_t at = ok ? mt_gguf_data_offset(g) + t->offset : 0;
    mt_gguf_close(g);
    if (!ok) return false;
    int fd = open(path, O_WRONLY);
    ok = fd >= 0 && pwrite(fd, bias, n * sizeof *bias, (off_t)at) == (ssize_t)(n * sizeof *bias);
    if (fd >= 0 && close(fd) != 0) ok = false;
    return CHECKF(ok, "%s: cannot patch %s", path, name);
}

const char *nonfinite_model(void) {
    static char path[512];
    if (path[0]) return path;
    char p[512];
    snprintf(p, sizeof p, "%s/nonfinite.gguf", t_tmpdir());
    proc_result r = run_moetop("synth", "-q", "-o", p, "--layers", "5", "--d-model", "64", "--heads", "2", "--kv-heads", "1", "--head-dim",
                               "32", "--experts", "8", "--k", "2", "--ff", "32", "--types", "router=f32", NULL);
    bool ok = CHECKF(r.status == 0, "synth: %s", r.err);
    proc_free(&r);
    if (!ok) return NULL;
    mt_err err;
    mt_gguf *g = mt_gguf_open(p, &err); /* start from the file's own biases, so only the named ones change */
    float bias[NONFINITE_PATCHED][NONFINITE_EXPERTS];
    for (uint32_t l = 0; g && l < NONFINITE_PATCHED; l++) {
        char name[64];
        snprintf(name, sizeof name, "blk.%u.ffn_gate_inp.bias", l);
        const mt_gguf_tensor *t = mt_gguf_find_tensor(g, name);
        if (!CHECKF(t && t->type == MT_TYPE_F32 && t->n_elements == NONFINITE_EXPERTS, "%s", name)) {
            mt_gguf_close(g);
            return NULL;
        }
        for (uint32_t e = 0; e < NONFINITE_EXPERTS; e++) bias[l][e] = ((const float *)t->data)[e];
    }
    if (!CHECKF(g != NULL, "%s", err.msg)) return NULL;
    mt_gguf_close(g);
    bias[0][3] = NAN;
    bias[1][2] = bias[1][5] = bias[1][6] = INFINITY;
    for (uint32_t e = 0; e < NONFINITE_EXPERTS; e++) bias[2][e] = NAN;
    bias[3][1] = -INFINITY;
    bias[3][4] = INFINITY;
    for (uint32_t l = 0; l < NONFINITE_PATCHED; l++)
        if (!patch_router_bias(p, l, bias[l], NONFINITE_EXPERTS)) return NULL;
    snprintf(path, sizeof path, "%s", p);
    return path;
}
