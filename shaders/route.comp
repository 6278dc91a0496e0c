#version 450
// The router of one layer for T tokens (one invocation each), as
// mt_iv_route does it: force; else the top k of the unmasked experts by logit
// (ties to the lower id), the margin between the last selected and the first
// left out, and a softmax over the selected logits not dropped. Logits that
// are not finite follow engine/intervene.c's rule: a NaN expert is never a
// candidate (as if masked); +inf and -inf are ordinary values at the ends of
// the order; a max of +inf shares the weight among the +inf experts, a max of
// -inf (or nothing kept) leaves every weight 0; equal logits (the same
// infinity too) have a margin of 0.
// Softmax-first routers (kind != 0: mt_router_kind) select the same way; in
// p = softmax(z) over all E (the router's own distribution, masked experts
// in its denominator) their margin is p of the last selected minus p of the
// first left out, and (kind 2, OLMoE) their weights are p as it is, 0 for a
// dropped expert; kind 1 (Mixtral, Qwen3-MoE) renormalises p over the kept,
// which is the softmax over the kept logits above. p is intervene.c's
// full_softmax: exp(z - max) summed (NaN no part; here in two floats, the
// host in double), p = exp(z - max) * (1 / sum).
// Interventions: iv = force[L] (~0: none) | k[L] (0: the model's) | flags[L][E].
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer Z { float z[]; };
layout(std430, binding = 1) readonly buffer Iv { uint iv[]; };
layout(std430, binding = 2) buffer Sel { uint sel[]; };
layout(std430, binding = 3) buffer Wts { float wts[]; };
layout(std430, binding = 4) writeonly buffer NSel { uint n_sel[]; };
layout(std430, binding = 5) writeonly buffer Margin { float margin[]; };
layout(push_constant) uniform Push {
    uint T, E, model_k, layer, n_layer;
    uint z_off, sel_off, w_off, n_off, m_off;
    uint kind; // mt_router_kind: 0 top-k then softmax, 1 softmax then top-k renormalised, 2 not renormalised
} p;

const uint MASK = 1u, DROP = 2u;
const float NO_MARGIN = 1e9;
const float POS_INF = 1.0 / 0.0, NEG_INF = -1.0 / 0.0;

uint flags(uint e) { return iv[2u * p.n_layer + p.layer * p.E + e]; }

// a comes before b in the router's order
bool before(float za, uint a, float zb, uint b) { return za > zb || (za == zb && a < b); }

// the first candidate (unmasked, not NaN) after (zp, prev) in the order; E when none
uint next_after(uint zbase, bool have_prev, float zp, uint prev) {
    uint best = p.E;
    float zbest = 0.0;
    for (uint e = 0u; e < p.E; e++) {
        float ze = z[zbase + e];
        if ((flags(e) & MASK) != 0u || isnan(ze)) continue;
        if (have_prev && !before(zp, prev, ze, e)) continue;
        if (best == p.E || before(ze, e, zbest, best)) {
            best = e;
            zbest = ze;
        }
    }
    return best;
}

// softmax over all E: the max, and 1 / the sum (or, at a +inf max, 1 / the number of +inf logits)
float full_top, full_inv;

void full_softmax(uint zbase) {
    full_top = NEG_INF;
    for (uint e = 0u; e < p.E; e++) full_top = max(full_top, isnan(z[zbase + e]) ? NEG_INF : z[zbase + e]);
    full_inv = 0.0;
    if (full_top == POS_INF) {
        uint n_inf = 0u;
        for (uint e = 0u; e < p.E; e++) n_inf += z[zbase + e] == POS_INF ? 1u : 0u;
        full_inv = 1.0 / float(n_inf);
    } else if (full_top != NEG_INF) {
        // compensated (Neumaier) sum, as exact as the host's double sum before its rounding to float
        precise float hi = 0.0, lo = 0.0;
        for (uint e = 0u; e < p.E; e++) {
            float ze = z[zbase + e];
            if (isnan(ze)) continue;
            precise float a = exp(ze - full_top), s = hi + a;
            lo += abs(hi) >= abs(a) ? (hi - s) + a : (a - s) + hi;
            hi = s;
        }
        full_inv = 1.0 / (hi + lo);
    }
}

float full_p(float ze) {
    if (isnan(ze) || full_top == NEG_INF) return 0.0;
    if (full_top == POS_INF) return ze == POS_INF ? full_inv : 0.0;
    return exp(ze - full_top) * full_inv;
}

void main() {
    uint t = gl_GlobalInvocationID.x;
    if (t >= p.T) return;
    uint zbase = p.z_off + t * p.E, row = t * p.E;
    uint forced = iv[p.layer];
    if (forced != 0xffffffffu) {
        sel[p.sel_off + row] = forced;
        wts[p.w_off + row] = 1.0;
        n_sel[p.n_off + t] = 1u;
        margin[p.m_off + t] = NO_MARGIN;
        return;
    }
    uint k = iv[p.n_layer + p.layer] != 0u ? iv[p.n_layer + p.layer] : p.model_k;
    uint n = 0u, prev = 0u;
    float zprev = 0.0, top = NEG_INF;
    while (n < k) {
        uint e = next_after(zbase, n > 0u, zprev, prev);
        if (e == p.E) break;
        sel[p.sel_off + row + n] = e;
        prev = e;
        zprev = z[zbase + e];
        if ((flags(e) & DROP) == 0u) top = max(top, zprev);
        n++;
    }
    uint after = n > 0u ? next_after(zbase, true, zprev, prev) : p.E;
    float znext = after != p.E ? z[zbase + after] : 0.0;
    if (p.kind != 0u) { // softmax-first: the margin in probability, and OLMoE's weights are p
        full_softmax(zbase);
        float last = full_p(zprev), next = full_p(znext);
        margin[p.m_off + t] = after == p.E || n == 0u ? NO_MARGIN : last == next ? 0.0 : last - next;
        if (p.kind == 2u) {
            for (uint i = 0u; i < n; i++) {
                uint e = sel[p.sel_off + row + i];
                wts[p.w_off + row + i] = (flags(e) & DROP) != 0u ? 0.0 : full_p(z[zbase + e]);
            }
            n_sel[p.n_off + t] = n;
            return;
        }
    } else {
        margin[p.m_off + t] = after == p.E || n == 0u ? NO_MARGIN : zprev == znext ? 0.0 : zprev - znext;
    }
    // softmax over the kept logits, in selection order
    uint n_top_inf = 0u;
    for (uint i = 0u; i < n; i++) {
        uint e = sel[p.sel_off + row + i];
        if ((flags(e) & DROP) == 0u && z[zbase + e] == POS_INF) n_top_inf++;
    }
    float sum = 0.0;
    for (uint i = 0u; i < n; i++) {
        uint e = sel[p.sel_off + row + i];
        float ze = z[zbase + e], wi;
        if ((flags(e) & DROP) != 0u || top == NEG_INF) wi = 0.0;
        else if (top == POS_INF) wi = ze == POS_INF ? 1.0 / float(n_top_inf) : 0.0;
        else wi = exp(ze - top);
        wts[p.w_off + row + i] = wi;
        sum += wi;
    }
    for (uint i = 0u; i < n && sum > 0.0 && top != POS_INF; i++) wts[p.w_off + row + i] /= sum;
    n_sel[p.n_off + t] = n;
}
