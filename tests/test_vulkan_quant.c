/* Q4_0, Q4_K, Q5_K and Q6_K on the Vulkan backend, read in place by the
 * shaders (shaders/kquants.glsl), op by op:
 * - every weight of the oracle's blocks (shared/oracle/quant/blocks.gguf and
 *   blocks-q5k.gguf: 4 x 512 each, all their types) through matmul() with x
 *   the unit vectors, so y[t][r] = W[r][t] exactly: the same bits as
 *   llama.cpp's dequantizer (the expected JSON), with the one-token kernel,
 *   the many-token kernel (4 tokens a decoded block, and a partial group), and
 *   the element-wise path for x that is not 16-byte aligned;
 * - matmul() of random rows against random x, one and many tokens, equal to
 *   the C backend's (which decodes the same floats) and to a double-precision
 *   dot within float32 summation error;
 * - the MoE experts (route() then moe(): gate, up, SwiGLU, down) of each type,
 *   one token and many, against the C backend.
 * Each on the row kernels (CPU devices: lavapipe) and the workgroup kernels
 * (GPUs), chosen by MOETOP_VK_KERNELS. Without a Vulkan device every test says SKIP. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json_read.h"
#include "engine/backend.h"
#include "engine/gguf.h"
#include "engine/half.h"
#include "engine/model.h"
#include "engine/quant.h"
#include "engine/rng.h"
#include "engine/vulkan.h"
#include "support/harness.h"
#include "support/quant_rows.h"

static const uint32_t KQ_TYPES[] = { MT_TYPE_Q4_0, MT_TYPE_Q4_K, MT_TYPE_Q5_K, MT_TYPE_Q6_K };
#define N_KQ (sizeof KQ_TYPES / sizeof *KQ_TYPES)
static const char *const KERNELS[] = { "row", "group" };

/* the largest difference from the C backend per type (relative to the sum of |w x|), for the report */
static double worst_vs_cpu[MT_TYPE_COUNT];

/* A Vulkan backend running the given kernels, or NULL and the test skipped. */
static mt_backend *vulkan_with(const char *kernels) {
    setenv("MOETOP_VK_KERNELS", kernels, 1);
    mt_err err;
    mt_backend *be = mt_vulkan_backend_new(NULL, false, &err);
    unsetenv("MOETOP_VK_KERNELS");
    if (!be) t_skip("no Vulkan device: %s", err.msg);
    return be;
}

/* A model of one layer holding only what a test fills in (the output matrix, or the experts).
 * prepare() knows a model by its address: each model a test makes has its own. */
typedef struct rig {
    mt_model m;
    mt_layer_weights layer;
} rig;

static void rig_init(rig *r, uint32_t d, uint32_t n_expert, uint32_t k, uint32_t ff) {
    memset(r, 0, sizeof *r);
    r->m.family = mt_family_find((mt_str){ "gpt-oss", 7 });
    r->m.hp.n_layer = 1;
    r->m.hp.d_model = d;
    r->m.hp.n_expert = n_expert;
    r->m.hp.k = k;
    r->m.hp.ff = ff;
    r->m.layers = &r->layer;
}

static mt_weight weight(uint32_t type, const uint8_t *data, uint64_t in, uint64_t out) {
    mt_weight w = { .data = data, .type = type, .in = in, .out = out, .row_bytes = mt_row_bytes(type, in) };
    w.expert_bytes = w.row_bytes * out;
    return w;
}

/* a host-visible buffer holding n floats (or zeros) */
static mt_buf *buf_of(mt_backend *be, const float *v, size_t n) {
    mt_buf *b = be->buf_new(be, n * 4 + 16, true);
    if (b && v) memcpy(be->buf_host(be, b), v, n * 4);
    return b;
}

static bool run(mt_backend *be) {
    mt_err err;
    uint64_t ticket;
    return CHECKF(be->submit(be, &ticket, &err) && be->wait(be, ticket, &err), "%s: %s", be->name, err.msg);
}

/* ---- the oracle's blocks, weight by weight ------------------------------------------------ */

/* y = W e_t for the tokens [t0, t0 + T) of the identity (x_shift floats into its buffer:
 * 1 makes x unaligned), T tokens per matmul() call (calls tokens apart), into y [512][rows] */
static void unit_products(mt_backend *be, const mt_weight *w, mt_buf *x, uint32_t x_shift, uint32_t t0, uint32_t T, uint32_t per_call,
                          mt_buf *y) {
    for (uint32_t t = t0; t < t0 + T; t += per_call) {
        uint32_t n = t0 + T - t < per_call ? t0 + T - t : per_call;
        be->matmul(be, w, mt_ten_at(x, ((uint64_t)x_shift + (uint64_t)t * w->in) * 4), n, NULL, mt_ten_at(y, (uint64_t)t * w->out * 4));
    }
}

typedef struct oracle_case {
    const char *how;
    uint32_t shift, t0, T, per_call;
} oracle_case;

static void check_oracle_file(const char *gguf_file, const char *json_file, int *kquants_seen) {
    const char *gguf_path = t_shared_file(gguf_file), *json_path = t_shared_file(json_file);
    if (!gguf_path || !json_path) return;
    mt_err err;
    mt_gguf *g = mt_gguf_open(gguf_path, &err);
    char jerr[256];
    jv *expected = g ? jv_parse_file(json_path, jerr, sizeof jerr) : NULL;
    if (!CHECKF(g && expected, "%s / %s: %s", gguf_file, json_file, g ? jerr : err.msg)) {
        mt_gguf_close(g);
        return;
    }
    rig *rigs = calloc(expected->len, sizeof *rigs);
    for (size_t kk = 0; kk < 2; kk++) {
        mt_backend *be = vulkan_with(KERNELS[kk]);
        if (!be) break;
        for (size_t k = 0; k < expected->len; k++) {
            const char *type_name = expected->keys[k];
            const jv *values = jv_get(&expected->items[k], "values");
            char tensor_name[64];
            snprintf(tensor_name, sizeof tensor_name, "q.%s", type_name);
            const mt_gguf_tensor *t = mt_gguf_find_tensor(g, tensor_name);
            if (!CHECKF(t && values && t->n_dims == 2, "%s: tensor or values missing", tensor_name)) continue;
            uint32_t n = (uint32_t)t->ne[0], rows = (uint32_t)t->ne[1];
            rig *r = &rigs[k];
            rig_init(r, n, 1, 1, 0);
            r->m.output = weight(t->type, t->data, n, rows);
            if (!CHECKF(be->prepare(be, &r->m, &err), "%s: %s", type_name, err.msg)) continue;
            /* the identity, n x n, after one float (x_shift 1: not 16-byte aligned) */
            float *eye = calloc((size_t)n * n + 1, sizeof *eye);
            for (uint32_t i = 0; i < n; i++) eye[1 + (size_t)i * n + i] = 1.0f;
            mt_buf *xa = buf_of(be, eye + 1, (size_t)n * n), *xu = buf_of(be, eye, (size_t)n * n + 1), *y = buf_of(be, NULL, (size_t)n * rows);
            free(eye);
            const oracle_case cases[] = {
                { "one token a call", 0, 0, n, 1 },         /* matmul_rows / matmul with T = 1 */
                { "every token in one call", 0, 0, n, n },  /* T = n: 4 tokens a decoded block */
                { "6 tokens a call", 0, 0, n, 6 },          /* a group of 4 and a partial one */
                { "x not 16-byte aligned", 1, 0, n, n },    /* the element-wise path */
            };
            for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
                const oracle_case *oc = &cases[c];
                memset(be->buf_host(be, y), 0xff, (size_t)n * rows * 4); /* NaN: a weight left unwritten shows */
                unit_products(be, &r->m.output, oc->shift ? xu : xa, oc->shift, oc->t0, oc->T, oc->per_call, y);
                if (!run(be)) break;
                const float *got = be->buf_host(be, y);
                int bad = 0;
                for (uint32_t row = 0; row < rows; row++)
                    for (uint32_t i = 0; i < n; i++) {
                        const jv *want_v = jv_at(jv_at(values, row), i);
                        float want = want_v ? (float)want_v->num : NAN, v = got[(size_t)i * rows + row];
                        /* the same value (W e_t sums one product and zeros: -0.0 may come out 0.0) */
                        if (!(v == want || (isnan(v) && isnan(want))) && bad++ < 3)
                            CHECKF(false, "%s kernels, %s, %s: row %u element %u is %.9g, llama.cpp's dequantizer gives %.9g", KERNELS[kk], type_name,
                                   oc->how, row, i, (double)v, (double)want);
                }
                CHECKF(bad == 0, "%s kernels, %s, %s: %d of %u weights differ", KERNELS[kk], type_name, oc->how, bad, n * rows);
            }
            for (size_t q = 0; q < N_KQ; q++) *kquants_seen += t->type == KQ_TYPES[q] && kk == 0;
            be->buf_free(be, xa);
            be->buf_free(be, xu);
            be->buf_free(be, y);
        }
        be->destroy(be);
    }
    free(rigs);
    jv_free(expected);
    mt_gguf_close(g);
}

static void oracle_blocks_weight_by_weight(void) {
    int seen = 0;
    check_oracle_file("oracle/quant/blocks.gguf", "oracle/quant/blocks.expected.json", &seen);
    check_oracle_file("oracle/quant/blocks-q5k.gguf", "oracle/quant/blocks-q5k.expected.json", &seen);
    CHECKF(seen == 4 || seen == 0, "%d of Q4_0, Q4_K, Q5_K and Q6_K found in the oracle files", seen);
}

/* ---- random rows and x: against the C backend and a dot in double ------------------------------ */

static void random_products(void) {
    enum { R = 37, N = 768, MAX_T = 9 }; /* 37 rows: 9 groups of 4 and one; 3 super-blocks a row */
    mt_rng rng = mt_rng_seed(2027, 0);
    float *x = malloc(sizeof(float) * MAX_T * N), *w = malloc(sizeof(float) * R * N), bias[R];
    for (size_t i = 0; i < (size_t)MAX_T * N; i++) x[i] = mt_rng_normal(&rng);
    for (int r = 0; r < R; r++) bias[r] = 0.25f * (float)r - 4.0f;
    mt_backend *cpu = mt_cpu_backend_new(1);
    for (size_t kk = 0; kk < 2; kk++) {
        mt_backend *vk = vulkan_with(KERNELS[kk]);
        if (!vk) break;
        for (size_t q = 0; q < N_KQ; q++) {
            uint32_t type = KQ_TYPES[q];
            uint64_t rb = mt_row_bytes(type, N);
            uint8_t *raw = malloc(rb * R);
            for (int r = 0; r < R; r++) {
                t_random_row(type, N, &rng, raw + r * rb);
                mt_dequant_row(type, raw + r * rb, w + (size_t)r * N, N);
            }
            static rig rigs[2][N_KQ];
            rig *rg = &rigs[kk][q];
            rig_init(rg, N, R, 1, 0);
            rg->m.output = weight(type, raw, N, R);
            rg->layer.router_bias = bias; /* [R]: a vector the backends upload with the model */
            mt_err err;
            if (!CHECKF(vk->prepare(vk, &rg->m, &err) && cpu->prepare(cpu, &rg->m, &err), "%s", err.msg)) {
                free(raw);
                continue;
            }
            static const uint32_t Ts[] = { 1, 3, 4, 9 };
            for (size_t ti = 0; ti < sizeof Ts / sizeof *Ts; ti++) {
                uint32_t T = Ts[ti];
                const float *b = T % 2 ? bias : NULL; /* odd T: with a bias */
                mt_buf *xv = buf_of(vk, x, (size_t)T * N), *yv = buf_of(vk, NULL, (size_t)T * R);
                mt_buf *xc = buf_of(cpu, x, (size_t)T * N), *yc = buf_of(cpu, NULL, (size_t)T * R);
                vk->matmul(vk, &rg->m.output, mt_ten_at(xv, 0), T, b, mt_ten_at(yv, 0));
                cpu->matmul(cpu, &rg->m.output, mt_ten_at(xc, 0), T, b, mt_ten_at(yc, 0));
                if (run(vk) && run(cpu)) {
                    const float *gv = vk->buf_host(vk, yv), *gc = cpu->buf_host(cpu, yc);
                    int bad = 0;
                    for (uint32_t t = 0; t < T; t++)
                        for (int r = 0; r < R; r++) {
                            double ref = b ? b[r] : 0, mag = fabs(ref);
                            for (int i = 0; i < N; i++) {
                                ref += (double)w[(size_t)r * N + i] * x[(size_t)t * N + i];
                                mag += fabs((double)w[(size_t)r * N + i] * x[(size_t)t * N + i]);
                            }
                            float v = gv[t * R + r], c = gc[t * R + r];
                            /* float32 sums of N terms in any order: within N 2^-24 of their magnitude */
                            double tol = N * 0x1p-24 * mag;
                            worst_vs_cpu[type] = fmax(worst_vs_cpu[type], fabs((double)v - c) / mag);
                            if ((fabs(v - ref) > tol || fabs(c - ref) > tol) && bad++ < 3)
                                CHECKF(false, "%s kernels, %s, T=%u token %u row %d: Vulkan %.9g, C %.9g, double %.9g (magnitude %g)", KERNELS[kk],
                                       mt_type_get(type)->name, T, t, r, (double)v, (double)c, ref, mag);
                        }
                }
                vk->buf_free(vk, xv);
                vk->buf_free(vk, yv);
                cpu->buf_free(cpu, xc);
                cpu->buf_free(cpu, yc);
            }
            free(raw);
        }
        vk->destroy(vk);
    }
    for (size_t q = 0; q < N_KQ && worst_vs_cpu[KQ_TYPES[q]] > 0; q++) /* (0: skipped) */
        printf("  %s: matmul within %.1e x sum |w x| of the C backend\n", mt_type_get(KQ_TYPES[q])->name, worst_vs_cpu[KQ_TYPES[q]]);
    cpu->destroy(cpu);
    free(x);
    free(w);
}

/* ---- the MoE experts ---------------------------------------------------------------------- */

typedef struct moe_out {
    float *y;          /* [T][d] */
    uint32_t *experts; /* [T][E] */
} moe_out;

/* route() of z then moe() of h on be, the results copied out */
static bool moe_on(mt_backend *be, const rig *rg, const float *h, const float *z, uint32_t T, moe_out *o) {
    const mt_hparams *hp = &rg->m.hp;
    uint32_t d = hp->d_model, E = hp->n_expert;
    mt_err err;
    if (!CHECKF(be->prepare(be, &rg->m, &err), "%s: %s", be->name, err.msg)) return false;
    mt_interventions iv = { 0 };
    mt_iv_init(&iv, hp->n_layer, E);
    be->set_interventions(be, &iv);
    mt_buf *hb = buf_of(be, h, (size_t)T * d), *zb = buf_of(be, z, (size_t)T * E), *eb = buf_of(be, NULL, (size_t)T * E),
           *wb = buf_of(be, NULL, (size_t)T * E), *nb = buf_of(be, NULL, T), *mb = buf_of(be, NULL, T), *yb = buf_of(be, NULL, (size_t)T * d);
    mt_route_out ro = { mt_ten_at(eb, 0), mt_ten_at(wb, 0), mt_ten_at(nb, 0), mt_ten_at(mb, 0), rg->m.family->router };
    be->route(be, mt_ten_at(zb, 0), 0, hp->k, T, E, &ro);
    mt_moe_args a = { .w = &rg->layer, .layer = 0, .h = mt_ten_at(hb, 0), .T = T, .d = d, .ff = hp->ff, .n_expert = E, .route = ro,
                      .out = mt_ten_at(yb, 0), .act = rg->m.family->act };
    bool ok = CHECKF(be->moe(be, &a), "%s: moe", be->name) && run(be);
    if (ok) {
        memcpy(o->y, be->buf_host(be, yb), (size_t)T * d * 4);
        memcpy(o->experts, be->buf_host(be, eb), (size_t)T * E * 4);
    }
    mt_buf *all[] = { hb, zb, eb, wb, nb, mb, yb };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) be->buf_free(be, all[i]);
    mt_iv_free(&iv);
    return ok;
}

static void moe_experts(void) {
    enum { D = 256, FF = 512, E = 4, K = 2, MAX_T = 16 };
    mt_rng rng = mt_rng_seed(99, 0);
    float *h = malloc(sizeof(float) * MAX_T * D), *z = malloc(sizeof(float) * MAX_T * E);
    float *gate_b = malloc(sizeof(float) * FF * E), *up_b = malloc(sizeof(float) * FF * E), *down_b = malloc(sizeof(float) * D * E);
    for (size_t i = 0; i < (size_t)MAX_T * D; i++) h[i] = mt_rng_normal(&rng);
    for (size_t i = 0; i < (size_t)MAX_T * E; i++) z[i] = 2.0f * mt_rng_normal(&rng);
    for (size_t i = 0; i < (size_t)FF * E; i++) gate_b[i] = 0.1f * mt_rng_normal(&rng), up_b[i] = 0.1f * mt_rng_normal(&rng);
    for (size_t i = 0; i < (size_t)D * E; i++) down_b[i] = 0.1f * mt_rng_normal(&rng);
    float *yv = malloc(sizeof(float) * MAX_T * D), *yc = malloc(sizeof(float) * MAX_T * D);
    uint32_t *ev = malloc(4 * MAX_T * E), *ec = malloc(4 * MAX_T * E);
    mt_backend *cpu = mt_cpu_backend_new(1);
    for (size_t kk = 0; kk < 2; kk++) {
        mt_backend *vk = vulkan_with(KERNELS[kk]);
        if (!vk) break;
        for (size_t q = 0; q < N_KQ; q++) {
            uint32_t type = KQ_TYPES[q];
            uint64_t gb = mt_row_bytes(type, D), db = mt_row_bytes(type, FF);
            uint8_t *gate = malloc(gb * FF * E), *up = malloc(gb * FF * E), *down = malloc(db * D * E);
            for (uint32_t r = 0; r < FF * E; r++) t_modest_row(type, D, &rng, gate + r * gb), t_modest_row(type, D, &rng, up + r * gb);
            for (uint32_t r = 0; r < D * E; r++) t_modest_row(type, FF, &rng, down + r * db);
            static rig rigs[2][N_KQ];
            rig *rg = &rigs[kk][q];
            rig_init(rg, D, E, K, FF);
            rg->layer.gate = weight(type, gate, D, FF);
            rg->layer.up = weight(type, up, D, FF);
            rg->layer.down = weight(type, down, FF, D);
            rg->layer.gate_bias = gate_b;
            rg->layer.up_bias = up_b;
            rg->layer.down_bias = down_b;
            static const uint32_t Ts[] = { 1, 16 }; /* one entry an expert; several, 4 at a time */
            for (size_t ti = 0; ti < 2; ti++) {
                uint32_t T = Ts[ti];
                moe_out ov = { yv, ev }, oc = { yc, ec };
                if (!moe_on(vk, rg, h, z, T, &ov) || !moe_on(cpu, rg, h, z, T, &oc)) continue;
                CHECKF(memcmp(ev, ec, 4ull * T * E) == 0, "%s kernels, %s, T=%u: the experts differ", KERNELS[kk], mt_type_get(type)->name, T);
                double scale = 0, worst = 0;
                for (size_t i = 0; i < (size_t)T * D; i++) scale = fmax(scale, fabs(yc[i]));
                for (size_t i = 0; i < (size_t)T * D; i++) worst = fmax(worst, fabs(yv[i] - yc[i]) / scale);
                worst_vs_cpu[type] = fmax(worst_vs_cpu[type], worst);
                /* float32 sums in another order and the device's exp(): a few ulps of the scale */
                CHECKF(scale > 0.1 && worst <= 2e-6, "%s kernels, %s, T=%u: MoE outputs differ from the C backend's by %g x %g", KERNELS[kk],
                       mt_type_get(type)->name, T, worst, scale);
                printf("  %s kernels, %s experts, T=%u: within %.1e x %.2g of the C backend\n", KERNELS[kk], mt_type_get(type)->name, T, worst, scale);
            }
            free(gate);
            free(up);
            free(down);
        }
        vk->destroy(vk);
    }
    cpu->destroy(cpu);
    free(h), free(z), free(gate_b), free(up_b), free(down_b), free(yv), free(yc), free(ev), free(ec);
}

/* in tests/run.sh's Vulkan pass (the validation layer on): nothing reported */
static void validation_clean(void) {
    CHECKF(mt_vulkan_validation_errors() == 0, "%llu validation errors (above)", (unsigned long long)mt_vulkan_validation_errors());
}

int main(void) {
    t_begin("vulkan-quant");
    RUN(oracle_blocks_weight_by_weight);
    RUN(random_products);
    RUN(moe_experts);
    const char *v = getenv("MOETOP_VK_VALIDATION");
    if (v && *v && strcmp(v, "0") != 0) RUN(validation_clean);
    return t_end();
}
