/* A synth model whose router biases hold NaN and infinities, for the rule
 * engine/intervene.c states for logits that are not finite. Every token's
 * router logits at a patched layer are not finite (a bias adds to all):
 *   layer 0: bias[3] = NaN             expert 3 never selected
 *   layer 1: bias[2, 5, 6] = +inf      k = 2 picks 2 and 5 (a tie of +inf:
 *                                      lower ids), weights 1/2, margin 0
 *   layer 2: every bias NaN            nothing selected, the MoE adds nothing
 *   layer 3: bias[1] = -inf, bias[4] = +inf   4 first with weight 1; 1 last
 *   layer 4: untouched (finite)
 * 5 layers, 8 experts, k = 2, width 64, F32 router. */
#ifndef MT_TEST_NONFINITE_H
#define MT_TEST_NONFINITE_H

#include <stdbool.h>
#include <stdint.h>

#define NONFINITE_LAYERS 5
#define NONFINITE_EXPERTS 8
#define NONFINITE_PATCHED 4 /* layers 0..3 are patched, layer 4 is not */

/* Overwrites the F32 bias of layer's router (blk.L.ffn_gate_inp.bias) in the
 * file with bias[n]; false (checked) when the tensor is absent or not F32. */
bool patch_router_bias(const char *path, uint32_t layer, const float *bias, uint32_t n);

/* Writes the model above under the test's directory (once per binary); its
 * path, or NULL after a failed check. */
const char *nonfinite_model(void);

#endif
