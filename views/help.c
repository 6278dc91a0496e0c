/* The help view: the keys, generated from the action table (so it cannot
 * disagree with what the keys do), and every metric's definition, from the
 * statistics module's own text. */
#include <stdio.h>
#include <string.h>

#include "engine/stats.h"
#include "views.h"

void mt_view_help(const mt_app *app, mt_grid *g, mt_rect area) {
    (void)app;
    int y = area.y;
    mt_grid_text(g, area, area.x + 1, y++, "keys", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    for (size_t i = 0; i < mt_action_count && y < area.y + area.h; i++) {
        char line[160];
        snprintf(line, sizeof line, "  %-10s %s%s%s", mt_actions[i].keys, mt_actions[i].help, mt_actions[i].view >= 0 ? "  [" : "",
                 mt_actions[i].view >= 0 ? mt_view_names[mt_actions[i].view] : "");
        if (mt_actions[i].view >= 0) snprintf(line + strlen(line), sizeof line - strlen(line), "]");
        mt_grid_text(g, area, area.x + 1, y++, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
    }
    /* the definitions beside the keys when the terminal is wide, else below them */
    int x = area.x + 1;
    if (area.w >= 170) {
        x = area.x + 92;
        y = area.y;
    } else {
        y++;
    }
    if (y < area.y + area.h) mt_grid_text(g, area, x, y++, "definitions", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    for (const char *const *line = mt_stats_help; *line && y < area.y + area.h; line++) {
        char buf[200];
        snprintf(buf, sizeof buf, "  %s", *line);
        mt_grid_text(g, area, x, y++, buf, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
    }
    for (const char *const *line = mt_view_definitions; *line && y < area.y + area.h; line++) {
        char buf[200];
        snprintf(buf, sizeof buf, "  %s", *line);
        mt_grid_text(g, area, x, y++, buf, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
    }
}
