/* --profile on the C backend: wall time per op. The C backend runs each op
 * at once and returns when it is done, so an op's wall time is its time
 * (both threads' work included, and any wait for a descheduled worker).
 * Wrappers replace the op pointers; nothing is kept when profiling is off. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "cpu_internal.h"

enum { P_EMBED, P_RMSNORM, P_MATMUL, P_ROPE, P_ATTENTION, P_ADD, P_ROUTE, P_MOE, P_COPY, P_KINDS };
static const char *const KIND_NAME[P_KINDS] = { "embed", "rmsnorm", "matmul", "rope", "attention", "add", "route", "moe", "copy" };

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void note(mt_backend *b, int kind, uint64_t t0) {
    cpu_backend *c = (cpu_backend *)b;
    c->profile_ns[kind] += now_ns() - t0;
    c->profile_count[kind]++;
}

#define TIMED(kind, call)                                                                                         \
    do {                                                                                                          \
        uint64_t t0_ = now_ns();                                                                                  \
        call;                                                                                                     \
        note(b, kind, t0_);                                                                                       \
    } while (0)

static void p_copy(mt_backend *b, mt_ten dst, mt_ten src, uint64_t bytes) { TIMED(P_COPY, ((cpu_backend *)b)->inner.copy(b, dst, src, bytes)); }
static void p_embed(mt_backend *b, const mt_weight *w, mt_ten ids, uint32_t T, mt_ten out) {
    TIMED(P_EMBED, ((cpu_backend *)b)->inner.embed(b, w, ids, T, out));
}
static void p_rmsnorm(mt_backend *b, mt_ten x, const float *w, mt_ten out, uint32_t T, uint32_t d, float eps) {
    TIMED(P_RMSNORM, ((cpu_backend *)b)->inner.rmsnorm(b, x, w, out, T, d, eps));
}
static void p_matmul(mt_backend *b, const mt_weight *w, mt_ten x, uint32_t T, const float *bias, mt_ten y) {
    TIMED(P_MATMUL, ((cpu_backend *)b)->inner.matmul(b, w, x, T, bias, y));
}
static void p_rope(mt_backend *b, mt_ten x, uint32_t T, uint32_t n_heads, uint32_t half, mt_ten cs) {
    TIMED(P_ROPE, ((cpu_backend *)b)->inner.rope(b, x, T, n_heads, half, cs));
}
static void p_attention(mt_backend *b, const mt_attention_args *a) { TIMED(P_ATTENTION, ((cpu_backend *)b)->inner.attention(b, a)); }
static void p_add(mt_backend *b, mt_ten a, mt_ten bb, mt_ten out, uint32_t T, uint32_t d, mt_ten norms, int norm_a, int norm_b) {
    TIMED(P_ADD, ((cpu_backend *)b)->inner.add(b, a, bb, out, T, d, norms, norm_a, norm_b));
}
static void p_route(mt_backend *b, mt_ten z, uint32_t layer, uint32_t model_k, uint32_t T, uint32_t E, const mt_route_out *o) {
    TIMED(P_ROUTE, ((cpu_backend *)b)->inner.route(b, z, layer, model_k, T, E, o));
}
static bool p_moe(mt_backend *b, const mt_moe_args *a) {
    bool ok;
    TIMED(P_MOE, ok = ((cpu_backend *)b)->inner.moe(b, a));
    return ok;
}

static void report(mt_backend *b, void *file) {
    cpu_backend *c = (cpu_backend *)b;
    FILE *out = file;
    double total = 0.0;
    for (int k = 0; k < P_KINDS; k++) total += (double)c->profile_ns[k];
    fprintf(out, "wall time per op on %s, every op since the backend started (a bench's warm-up included;\n"
                 "each op runs to its end before the next):\n", b->device);
    fprintf(out, "  %-16s %10s %12s %12s %7s\n", "op", "calls", "total ms", "mean us", "share");
    for (int k = 0; k < P_KINDS; k++) {
        if (!c->profile_count[k]) continue;
        fprintf(out, "  %-16s %10" PRIu64 " %12.3f %12.2f %6.1f%%\n", KIND_NAME[k], c->profile_count[k], (double)c->profile_ns[k] / 1e6,
                (double)c->profile_ns[k] / 1e3 / (double)c->profile_count[k], total > 0 ? 100.0 * (double)c->profile_ns[k] / total : 0.0);
    }
    fprintf(out, "  %-16s %10s %12.3f\n", "all", "", total / 1e6);
}

static double total_ms(mt_backend *b) {
    cpu_backend *c = (cpu_backend *)b;
    double total = 0.0;
    for (int k = 0; k < P_KINDS; k++) total += (double)c->profile_ns[k];
    return total / 1e6;
}

void cpu_profile_install(cpu_backend *c) {
    _Static_assert(P_KINDS <= CPU_PROFILE_KINDS, "cpu_backend holds every kind's counters");
    mt_backend *b = &c->base;
    c->inner = *b;
    b->copy = p_copy;
    b->embed = p_embed;
    b->rmsnorm = p_rmsnorm;
    b->matmul = p_matmul;
    b->rope = p_rope;
    b->attention = p_attention;
    b->add = p_add;
    b->route = p_route;
    b->moe = p_moe;
    b->profile_report = report;
    b->profile_ms = total_ms;
}
