#include "a11y.h"

#include <atspi/atspi.h>
#include <dbus/dbus.h>
#include <stdio.h>
#include <string.h>

static int opened = 0, refused = 0;
int a11y_open(int timeout_ms) {
    // Once atspi_init has failed it is never called again: libatspi then aborts the process
    // (g_error "Couldn't connect to accessibility bus") on its next call.
    if (refused) return -1;
    if (!opened) {
        if (atspi_init() > 1) { refused = 1; return -1; }  // 0: started, 1: already started
        opened = 1;
    }
    atspi_set_timeout(timeout_ms, timeout_ms);
    return 0;
}

int a11y_enable(int enabled) {
    DBusError error;
    dbus_error_init(&error);
    DBusConnection *bus = dbus_bus_get(DBUS_BUS_SESSION, &error);
    if (!bus) { dbus_error_free(&error); return -1; }
    DBusMessage *call = dbus_message_new_method_call(
        "org.a11y.Bus", "/org/a11y/bus", "org.freedesktop.DBus.Properties", "Set");
    if (!call) return -1;
    const char *interface = "org.a11y.Status", *property = "IsEnabled";
    dbus_bool_t value = enabled ? TRUE : FALSE;
    DBusMessageIter args, variant;
    dbus_message_iter_init_append(call, &args);
    dbus_message_iter_append_basic(&args, DBUS_TYPE_STRING, &interface);
    dbus_message_iter_append_basic(&args, DBUS_TYPE_STRING, &property);
    dbus_message_iter_open_container(&args, DBUS_TYPE_VARIANT, "b", &variant);
    dbus_message_iter_append_basic(&variant, DBUS_TYPE_BOOLEAN, &value);
    dbus_message_iter_close_container(&args, &variant);
    DBusMessage *reply = dbus_connection_send_with_reply_and_block(bus, call, 2000, &error);
    dbus_message_unref(call);
    int result = reply ? 0 : -1;
    if (reply) dbus_message_unref(reply);
    dbus_error_free(&error);
    dbus_connection_unref(bus);
    return result;
}

static void copy(char *to, size_t size, const char *from) {
    if (!from) { to[0] = 0; return; }
    strncpy(to, from, size - 1);
    to[size - 1] = 0;
}

// Counts a call that failed by timing out (or any D-Bus error): the answer is "unknown".
static int failed(GError **error, int *timeouts) {
    if (!*error) return 0;
    (*timeouts)++;
    g_clear_error(error);
    return 1;
}

// The element's bounds on the screen into x, y, w, h; left as they are when it has none or
// does not answer.
static void screen_extents(AtspiAccessible *element, int *x, int *y, int *w, int *h, int *timeouts) {
    AtspiComponent *component = atspi_accessible_get_component_iface(element);
    if (!component) return;
    GError *error = NULL;
    AtspiRect *box = atspi_component_get_extents(component, ATSPI_COORD_TYPE_SCREEN, &error);
    if (!failed(&error, timeouts) && box) *x = box->x, *y = box->y, *w = box->width, *h = box->height;
    if (box) g_free(box);
    g_object_unref(component);
}

// The first descendant of `frame` that is in every state of `states` and, when `role` is
// not ATSPI_ROLE_INVALID, has that role: one Collection call, not a walk of the tree.
static AtspiAccessible *first_match(AtspiAccessible *frame, const AtspiStateType *states, int state_count,
                                    AtspiRole role, int *timeouts) {
    AtspiCollection *collection = atspi_accessible_get_collection_iface(frame);
    if (!collection) return NULL;
    GArray *state_list = g_array_new(FALSE, FALSE, sizeof(AtspiStateType));
    g_array_append_vals(state_list, states, state_count);
    AtspiStateSet *set = atspi_state_set_new(state_list);
    GArray *roles = NULL;
    if (role != ATSPI_ROLE_INVALID) {
        roles = g_array_new(FALSE, FALSE, sizeof(AtspiRole));
        g_array_append_vals(roles, &role, 1);
    }
    AtspiMatchRule *rule = atspi_match_rule_new(set, ATSPI_Collection_MATCH_ALL, NULL, ATSPI_Collection_MATCH_NONE, roles,
                                                roles ? ATSPI_Collection_MATCH_ANY : ATSPI_Collection_MATCH_NONE, NULL,
                                                ATSPI_Collection_MATCH_NONE, FALSE);
    GError *error = NULL;
    GArray *found = atspi_collection_get_matches(collection, rule, ATSPI_Collection_SORT_ORDER_CANONICAL, 1, TRUE, &error);
    AtspiAccessible *match = NULL;
    if (!failed(&error, timeouts) && found && found->len > 0) match = g_object_ref(g_array_index(found, AtspiAccessible *, 0));
    if (found) {
        for (guint i = 0; i < found->len; i++) g_object_unref(g_array_index(found, AtspiAccessible *, i));
        g_array_free(found, TRUE);
    }
    g_object_unref(rule);
    g_object_unref(set);
    g_array_free(state_list, TRUE);
    if (roles) g_array_free(roles, TRUE);
    g_object_unref(collection);
    return match;
}

static void document_url(AtspiAccessible *document, a11y_frame *frame, a11y_desktop *out) {
    AtspiDocument *doc = atspi_accessible_get_document_iface(document);
    if (!doc) return;
    const char *names[] = {"URI", "DocURL"};  // Chromium answers the first, Firefox the second
    for (int i = 0; i < 2 && !frame->url[0]; i++) {
        GError *error = NULL;
        gchar *value = atspi_document_get_document_attribute_value(doc, (gchar *)names[i], &error);
        if (!failed(&error, &out->timeouts) && value) copy(frame->url, sizeof frame->url, value);
        g_free(value);
    }
    g_object_unref(doc);
}

static void focused_element(AtspiAccessible *frame, a11y_desktop *out) {
    const AtspiStateType focused[] = {ATSPI_STATE_FOCUSED};
    AtspiAccessible *element = first_match(frame, focused, 1, ATSPI_ROLE_INVALID, &out->timeouts);
    if (!element) return;
    GError *error = NULL;
    AtspiRole role = atspi_accessible_get_role(element, &error);
    if (!failed(&error, &out->timeouts)) {
        out->focus_known = 1;
        out->focus_password = role == ATSPI_ROLE_PASSWORD_TEXT;
        screen_extents(element, &out->focus_x, &out->focus_y, &out->focus_w, &out->focus_h, &out->timeouts);
    }
    g_object_unref(element);
}

// Calls `visit` on every top-level window of every application on the bus (of process `pid`
// only, when pid > 0) until it returns nonzero. Returns 0, or -1 when the bus is gone.
typedef int (*window_visitor)(AtspiAccessible *window, int pid, void *context);

static int each_window(int pid, int *timeouts, window_visitor visit, void *context) {
    AtspiAccessible *desktop = atspi_get_desktop(0);
    if (!desktop) return -1;
    GError *error = NULL;
    gint apps = atspi_accessible_get_child_count(desktop, &error);
    if (failed(&error, timeouts)) { g_object_unref(desktop); return -1; }
    int done = 0;
    for (gint a = 0; a < apps && !done; a++) {
        AtspiAccessible *app = atspi_accessible_get_child_at_index(desktop, a, &error);
        if (failed(&error, timeouts) || !app) continue;
        guint app_pid = atspi_accessible_get_process_id(app, &error);
        if (failed(&error, timeouts) || (pid > 0 && (int)app_pid != pid)) { g_object_unref(app); continue; }
        gint windows = atspi_accessible_get_child_count(app, &error);
        if (failed(&error, timeouts)) windows = 0;
        for (gint w = 0; w < windows && !done; w++) {
            AtspiAccessible *window = atspi_accessible_get_child_at_index(app, w, &error);
            if (failed(&error, timeouts) || !window) continue;
            done = visit(window, (int)app_pid, context);
            g_object_unref(window);
        }
        g_object_unref(app);
    }
    g_object_unref(desktop);
    return 0;
}

static int has_state(AtspiAccessible *accessible, AtspiStateType state) {
    AtspiStateSet *states = atspi_accessible_get_state_set(accessible);
    int yes = states && atspi_state_set_contains(states, state);
    if (states) g_object_unref(states);
    return yes;
}

static int read_window(AtspiAccessible *window, int pid, void *context) {
    a11y_desktop *out = context;
    a11y_frame *frame = &out->frames[out->frame_count];
    memset(frame, 0, sizeof *frame);
    frame->pid = pid;
    GError *error = NULL;
    gchar *name = atspi_accessible_get_name(window, &error);
    if (!failed(&error, &out->timeouts)) copy(frame->title, sizeof frame->title, name);
    g_free(name);
    frame->active = has_state(window, ATSPI_STATE_ACTIVE);
    const AtspiStateType showing[] = {ATSPI_STATE_SHOWING};
    AtspiAccessible *document = first_match(window, showing, 1, ATSPI_ROLE_DOCUMENT_WEB, &out->timeouts);
    if (document) {
        frame->has_document = 1;
        document_url(document, frame, out);
        g_object_unref(document);
    }
    if (frame->active) focused_element(window, out);
    return ++out->frame_count >= A11Y_FRAMES_MAX;
}

int a11y_read(a11y_desktop *out) {
    memset(out, 0, sizeof *out);
    return each_window(0, &out->timeouts, read_window, out);
}

// Element lookups. Every call is bounded by the deadline set in a11y_open; a call that does
// not answer leaves its field empty and is counted in `timeouts`.

static int is_window(AtspiRole role) {
    return role == ATSPI_ROLE_FRAME || role == ATSPI_ROLE_WINDOW || role == ATSPI_ROLE_DIALOG || role == ATSPI_ROLE_APPLICATION;
}

// The path of child indexes from the window down to `element`, and its ancestors' roles.
static void place(AtspiAccessible *element, a11y_element *out) {
    int indexes[64];
    int depth = 0;
    AtspiAccessible *current = g_object_ref(element);
    GError *error = NULL;
    while (current && depth < 64) {
        AtspiRole role = atspi_accessible_get_role(current, &error);
        if (failed(&error, &out->timeouts) || is_window(role)) break;
        gint index = atspi_accessible_get_index_in_parent(current, &error);
        if (failed(&error, &out->timeouts)) break;
        indexes[depth++] = index;
        AtspiAccessible *parent = atspi_accessible_get_parent(current, &error);
        if (failed(&error, &out->timeouts) || !parent) break;
        g_object_unref(current);
        current = parent;
        if (out->ancestor_count < A11Y_ANCESTORS_MAX) {
            gchar *name = atspi_accessible_get_role_name(current, &error);
            if (!failed(&error, &out->timeouts)) copy(out->ancestors[out->ancestor_count++], A11Y_ROLE_MAX, name);
            g_free(name);
        }
    }
    if (current) g_object_unref(current);
    size_t used = 0;
    out->id[0] = 0;
    for (int i = depth - 1; i >= 0 && used + 12 < A11Y_ID_MAX; i--) {
        used += (size_t)snprintf(out->id + used, A11Y_ID_MAX - used, i == depth - 1 ? "%d" : "/%d", indexes[i]);
    }
}

// The states of `A11Y_FOCUSED …` that `states` holds.
static unsigned state_bits(AtspiStateSet *states) {
    const AtspiStateType kinds[] = {ATSPI_STATE_FOCUSED, ATSPI_STATE_CHECKED, ATSPI_STATE_SELECTED, ATSPI_STATE_EDITABLE,
                                    ATSPI_STATE_ENABLED, ATSPI_STATE_PRESSED, ATSPI_STATE_EXPANDED};
    unsigned bits = 0;
    for (unsigned i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (atspi_state_set_contains(states, kinds[i])) bits |= 1u << i;
    }
    return bits;
}

static void describe(AtspiAccessible *element, a11y_element *out) {
    GError *error = NULL;
    out->found = 1;
    AtspiRole role = atspi_accessible_get_role(element, &error);
    if (!failed(&error, &out->timeouts)) out->password = role == ATSPI_ROLE_PASSWORD_TEXT;
    gchar *text = atspi_accessible_get_role_name(element, &error);
    if (!failed(&error, &out->timeouts)) copy(out->role, sizeof out->role, text);
    g_free(text);
    text = atspi_accessible_get_name(element, &error);
    if (!failed(&error, &out->timeouts)) copy(out->name, sizeof out->name, text);
    g_free(text);
    text = atspi_accessible_get_description(element, &error);
    if (!failed(&error, &out->timeouts)) copy(out->description, sizeof out->description, text);
    g_free(text);
    AtspiAccessible *app = atspi_accessible_get_application(element, &error);
    if (!failed(&error, &out->timeouts) && app) {
        text = atspi_accessible_get_name(app, &error);
        if (!failed(&error, &out->timeouts)) copy(out->app, sizeof out->app, text);
        g_free(text);
        g_object_unref(app);
    }
    AtspiStateSet *states = atspi_accessible_get_state_set(element);
    if (states) {
        out->states = state_bits(states);
        g_object_unref(states);
    }
    screen_extents(element, &out->x, &out->y, &out->w, &out->h, &out->timeouts);
    place(element, out);
}

// The deepest element at the point inside `frame`: browsers answer in one step, GTK 3 one
// level at a time, so the hit test is repeated on each answer.
static AtspiAccessible *deepest_at(AtspiAccessible *frame, int x, int y, a11y_element *out) {
    AtspiAccessible *current = g_object_ref(frame);
    GError *error = NULL;
    for (int step = 0; step < 32; step++) {
        AtspiComponent *component = atspi_accessible_get_component_iface(current);
        if (!component) break;
        AtspiAccessible *child = atspi_component_get_accessible_at_point(component, x, y, ATSPI_COORD_TYPE_SCREEN, &error);
        g_object_unref(component);
        if (failed(&error, &out->timeouts) || !child) break;
        if (child == current) { g_object_unref(child); break; }
        g_object_unref(current);
        current = child;
    }
    if (current == frame) { g_object_unref(current); return NULL; }
    return current;
}

static int frame_contains(AtspiAccessible *frame, int x, int y, a11y_element *out) {
    AtspiComponent *component = atspi_accessible_get_component_iface(frame);
    if (!component) return 0;
    GError *error = NULL;
    gboolean inside = atspi_component_contains(component, x, y, ATSPI_COORD_TYPE_SCREEN, &error);
    g_object_unref(component);
    return !failed(&error, &out->timeouts) && inside;
}

typedef struct {
    a11y_element *out;
    int x, y;
    AtspiStateType state;  // the state a window must be in to be tried
} point_query;

static int hit_window(AtspiAccessible *window, int pid, void *context) {
    (void)pid;
    point_query *query = context;
    if (has_state(window, query->state) && frame_contains(window, query->x, query->y, query->out)) {
        AtspiAccessible *element = deepest_at(window, query->x, query->y, query->out);
        if (element) { describe(element, query->out); g_object_unref(element); }
    }
    return query->out->found;
}

int a11y_element_at(int pid, int x, int y, a11y_element *out) {
    memset(out, 0, sizeof *out);
    // Two passes: the active window first (it is on top), then any showing window.
    const AtspiStateType passes[] = {ATSPI_STATE_ACTIVE, ATSPI_STATE_SHOWING};
    for (int pass = 0; pass < 2 && !out->found; pass++) {
        point_query query = {out, x, y, passes[pass]};
        if (each_window(pid, &out->timeouts, hit_window, &query) < 0) return -1;
    }
    return 0;
}

static int focus_in_window(AtspiAccessible *window, int pid, void *context) {
    (void)pid;
    a11y_element *out = context;
    if (!has_state(window, ATSPI_STATE_ACTIVE)) return 0;
    const AtspiStateType focused[] = {ATSPI_STATE_FOCUSED};
    AtspiAccessible *element = first_match(window, focused, 1, ATSPI_ROLE_INVALID, &out->timeouts);
    if (element) { describe(element, out); g_object_unref(element); }
    return out->found;
}

int a11y_focused_element(a11y_element *out) {
    memset(out, 0, sizeof *out);
    return each_window(0, &out->timeouts, focus_in_window, out);
}

// Snapshots. The walk descends only into showing children, so what is scrolled away or on a
// hidden tab costs nothing; it stops at the limits and at the time budget.

typedef struct {
    const char *title;
    int max_nodes, max_depth;
    gint64 give_up_at;     // g_get_monotonic_time() microseconds
    a11y_node *nodes;
    a11y_snapshot_info *info;
} snapshot_walk;

static int walk_over(snapshot_walk *walk) {
    if (walk->info->count >= walk->max_nodes || g_get_monotonic_time() >= walk->give_up_at) {
        walk->info->truncated = 1;
        return 1;
    }
    return 0;
}

static void walk_children(AtspiAccessible *parent, int parent_index, int depth, snapshot_walk *walk) {
    if (depth > walk->max_depth) return;
    GError *error = NULL;
    gint children = atspi_accessible_get_child_count(parent, &error);
    if (failed(&error, &walk->info->timeouts)) return;
    for (gint c = 0; c < children && !walk_over(walk); c++) {
        AtspiAccessible *child = atspi_accessible_get_child_at_index(parent, c, &error);
        if (failed(&error, &walk->info->timeouts) || !child) continue;
        AtspiStateSet *states = atspi_accessible_get_state_set(child);
        int showing = states && atspi_state_set_contains(states, ATSPI_STATE_SHOWING);
        if (showing) {
            int index = walk->info->count++;
            a11y_node *node = &walk->nodes[index];
            memset(node, 0, sizeof *node);
            node->parent = parent_index;
            node->depth = depth;
            node->states = state_bits(states);
            AtspiRole role = atspi_accessible_get_role(child, &error);
            int password = !failed(&error, &walk->info->timeouts) && role == ATSPI_ROLE_PASSWORD_TEXT;
            gchar *text = atspi_accessible_get_role_name(child, &error);
            if (!failed(&error, &walk->info->timeouts)) copy(node->role, sizeof node->role, text);
            g_free(text);
            if (!password) {
                text = atspi_accessible_get_name(child, &error);
                if (!failed(&error, &walk->info->timeouts)) copy(node->name, sizeof node->name, text);
                g_free(text);
            }
            screen_extents(child, &node->x, &node->y, &node->w, &node->h, &walk->info->timeouts);
            walk_children(child, index, depth + 1, walk);
        }
        if (states) g_object_unref(states);
        g_object_unref(child);
    }
}

static int snapshot_window(AtspiAccessible *window, int pid, void *context) {
    (void)pid;
    snapshot_walk *walk = context;
    GError *error = NULL;
    gchar *name = atspi_accessible_get_name(window, &error);
    int matches = !failed(&error, &walk->info->timeouts) && name && strcmp(name, walk->title) == 0;
    g_free(name);
    if (!matches) return 0;
    walk->info->found = 1;
    walk_children(window, -1, 1, walk);
    return 1;
}

int a11y_snapshot(int pid, const char *title, int max_nodes, int max_depth, int budget_ms, a11y_node *nodes,
                  a11y_snapshot_info *info) {
    memset(info, 0, sizeof *info);
    snapshot_walk walk = {title, max_nodes, max_depth, g_get_monotonic_time() + (gint64)budget_ms * 1000, nodes, info};
    return each_window(pid, &info->timeouts, snapshot_window, &walk);
}
