/* OKLab with cglm: the two 3x3 matrices of Ottosson's reference code as
 * mat3 (cglm stores columns: each brace below is a column of the matrix as
 * printed in the reference) and the lerp as glm_vec3_lerp. */
#include "oklab.h"

#include <cglm/cglm.h>
#include <math.h>

/* linear sRGB -> LMS (Ottosson's M1, rows l, m, s) */
static mat3 rgb_to_lms = { { 0.4122214708f, 0.2119034982f, 0.0883024619f },
                           { 0.5363325363f, 0.6806995451f, 0.2817188376f },
                           { 0.0514459929f, 0.1073969566f, 0.6299787005f } };
/* cube-rooted LMS -> Lab (M2, rows L, a, b) */
static mat3 lms_to_lab = { { 0.2104542553f, 1.9779984951f, 0.0259040371f },
                           { 0.7936177850f, -2.4285922050f, 0.7827717662f },
                           { -0.0040720468f, 0.4505937099f, -0.8086757660f } };
/* and back: Lab -> cube-rooted LMS, LMS -> linear sRGB */
static mat3 lab_to_lms = { { 1.0f, 1.0f, 1.0f },
                           { 0.3963377774f, -0.1055613458f, -0.0894841775f },
                           { 0.2158037573f, -0.0638541728f, -1.2914855480f } };
static mat3 lms_to_rgb = { { 4.0767416621f, -1.2684380046f, -0.0041960863f },
                           { -3.3077115913f, 2.6097574011f, -0.7034186147f },
                           { 0.2309699292f, -0.3413193965f, 1.7076147010f } };

static float decode(float c) { return c <= 0.04045f ? c / 12.92f : powf((c + 0.055f) / 1.055f, 2.4f); }

static float encode(float c) {
    c = c < 0 ? 0 : c > 1 ? 1 : c != c ? 0 : c;
    return c <= 0.0031308f ? 12.92f * c : 1.055f * powf(c, 1 / 2.4f) - 0.055f;
}

void mt_oklab_from_rgb(uint32_t rgb, float lab[3]) {
    vec3 lin = { decode((float)((rgb >> 16) & 255) / 255), decode((float)((rgb >> 8) & 255) / 255), decode((float)(rgb & 255) / 255) };
    vec3 lms, out;
    glm_mat3_mulv(rgb_to_lms, lin, lms);
    for (int i = 0; i < 3; i++) lms[i] = cbrtf(lms[i]);
    glm_mat3_mulv(lms_to_lab, lms, out);
    glm_vec3_copy(out, lab);
}

uint32_t mt_oklab_to_rgb(const float lab[3]) {
    vec3 in = { lab[0], lab[1], lab[2] }, lms, lin;
    glm_mat3_mulv(lab_to_lms, in, lms);
    for (int i = 0; i < 3; i++) lms[i] = lms[i] * lms[i] * lms[i];
    glm_mat3_mulv(lms_to_rgb, lms, lin);
    uint32_t c = 0;
    for (int i = 0; i < 3; i++) c = c << 8 | (uint32_t)(encode(lin[i]) * 255 + 0.5f);
    return c;
}

uint32_t mt_oklab_mix(uint32_t a, uint32_t b, double t) {
    t = t < 0 ? 0 : t > 1 ? 1 : t != t ? 0 : t;
    vec3 la, lb, mixed;
    mt_oklab_from_rgb(a, la);
    mt_oklab_from_rgb(b, lb);
    glm_vec3_lerp(la, lb, (float)t, mixed);
    return mt_oklab_to_rgb(mixed);
}

float mt_oklab_distance2(const float a[3], const float b[3]) {
    vec3 va = { a[0], a[1], a[2] }, vb = { b[0], b[1], b[2] };
    return glm_vec3_distance2(va, vb);
}
