#include "prompt_run.h"

bool mt_exp_eval_prompt(mt_session *s, const mt_interventions *iv, const uint32_t *ids, uint32_t n, bool cached, mt_err *err) {
    if (cached && mt_session_length(s) >= n - 1) {
        mt_session_truncate(s, n - 1);
        mt_session_set_interventions(s, iv);
    } else {
        mt_session_truncate(s, 0);
        mt_session_set_interventions(s, iv);
        if (n > 1 && !mt_session_append(s, ids, n - 1, err)) return false;
    }
    return mt_session_append(s, ids + n - 1, 1, err);
}
