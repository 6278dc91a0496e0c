/* Messages on the status line expire: after MT_MESSAGE_KEYS further keys or
 * MT_MESSAGE_SECONDS of the front end's clock (mt_app_set_time) on screen,
 * whichever comes first. Actions keep writing app->message as before; this
 * notices a new one (or the same text written again), and the first clock
 * reading after it (the frame that first shows it) stamps it: a message
 * written at the end of a long computation is shown its full time. */
#include <string.h>

#include "actions.h"
#include "app.h"


/* A message that appeared outside a key (a finished completion, an export, a
 * cancelled baseline): stamped now. */
void mt_app_message_notice(mt_app *app) {
    if (strcmp(app->message, app->message_seen) == 0) return;
    memcpy(app->message_seen, app->message, sizeof app->message_seen);
    app->message_keys = 0;
    app->message_at = -1; /* not yet on screen: the next mt_app_set_time stamps it */
}

/* After a key's action: the message it wrote is stamped; without one, the
 * one before (restored) counts the key, and goes after MT_MESSAGE_KEYS. */
void mt_app_message_after_key(mt_app *app, const char *before) {
    if (app->message[0]) {
        app->message_seen[0] = 0; /* written by this key, even the same text again: new */
        mt_app_message_notice(app);
        return;
    }
    memcpy(app->message, before, sizeof app->message);
    if (app->message[0] && ++app->message_keys > MT_MESSAGE_KEYS) app->message[0] = 0;
    mt_app_message_notice(app);
}

void mt_app_set_time(mt_app *app, double seconds) {
    app->now = seconds;
    mt_app_message_notice(app);
    if (app->message_at < 0) app->message_at = app->now;
    else if (app->message[0] && app->now - app->message_at > MT_MESSAGE_SECONDS) {
        app->message[0] = 0;
        mt_app_message_notice(app);
    }
}
