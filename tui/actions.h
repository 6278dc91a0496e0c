/* Actions and hooks app.c binds that live in files of their own (the
 * explorer's internals, not a public interface). */
#ifndef MT_ACTIONS_H
#define MT_ACTIONS_H

#include <stdbool.h>

#include "app.h"

/* In scroll_actions.c: scrolling where no cursor does it */
bool mt_action_scroll_down(mt_app *app, mt_err *err);
bool mt_action_scroll_up(mt_app *app, mt_err *err);
bool mt_action_scroll_page_down(mt_app *app, mt_err *err);
bool mt_action_scroll_page_up(mt_app *app, mt_err *err);
bool mt_action_scroll_top(mt_app *app, mt_err *err);
bool mt_action_scroll_bottom(mt_app *app, mt_err *err);
bool mt_action_expert_page_down(mt_app *app, mt_err *err);
bool mt_action_expert_page_up(mt_app *app, mt_err *err);
bool mt_action_expert_first(mt_app *app, mt_err *err);
bool mt_action_expert_last(mt_app *app, mt_err *err);
/* In message.c: messages expire */
void mt_app_message_notice(mt_app *app);
void mt_app_message_after_key(mt_app *app, const char *before);

#endif
