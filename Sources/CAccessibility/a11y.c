#include "a11y.h"

#include <atspi/atspi.h>
#include <dbus/dbus.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int opened = 0, refused = 0;
static int call_timeout_ms = 250;  // as a11y_open sets it, for the calls made without libatspi
int a11y_open(int timeout_ms) {
    // Once atspi_init has failed it is never called again: libatspi then aborts the process
    // (g_error "Couldn't connect to accessibility bus") on its next call.
    if (refused) return -1;
    if (!opened) {
        if (atspi_init() > 1) { refused = 1; return -1; }  // 0: started, 1: already started
        opened = 1;
    }
    atspi_set_timeout(timeout_ms, timeout_ms);
    call_timeout_ms = timeout_ms;
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
static const AtspiStateType state_kinds[] = {ATSPI_STATE_FOCUSED, ATSPI_STATE_CHECKED, ATSPI_STATE_SELECTED, ATSPI_STATE_EDITABLE,
                                             ATSPI_STATE_ENABLED, ATSPI_STATE_PRESSED, ATSPI_STATE_EXPANDED};
enum { STATE_KINDS = sizeof state_kinds / sizeof state_kinds[0] };

static unsigned state_bits(AtspiStateSet *states) {
    unsigned bits = 0;
    for (unsigned i = 0; i < STATE_KINDS; i++) {
        if (atspi_state_set_contains(states, state_kinds[i])) bits |= 1u << i;
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

// The walk goes a level at a time and sends all of a level's questions (children, states,
// role, name, bounds) together, on libatspi's own connection, before reading any answer.
// libatspi asks one question per round trip, and each wakes both processes: a snapshot of 50
// elements took some 460 round trips that way, most of the recorder's accessibility CPU; now
// it takes a few a level.

enum { BATCH_MAX = 256, CHILDREN_MAX = 256 };

typedef struct {
    char *bus_name, *path;  // owned
    int index;              // its node's index; -1 for the window
    int parent;             // its parent's node index
    int child_count;
} element_ref;

typedef struct {
    DBusConnection *bus;
    snapshot_walk *walk;
    element_ref document;  // the first showing web document met, for its URL (owned; NULL names)
} batch_walk;

typedef struct {
    DBusPendingCall *call;
    int parent;
} pending_children;

// What is left of the snapshot's budget, and at most a call's own deadline.
static int remaining_ms(snapshot_walk *walk) {
    gint64 left = (walk->give_up_at - g_get_monotonic_time()) / 1000;
    if (left < 1) return 1;
    return left < call_timeout_ms ? (int)left : call_timeout_ms;
}

static DBusPendingCall *send_call(batch_walk *batch, const element_ref *to, const char *interface, const char *method,
                                  int first_type, ...) {
    DBusMessage *call = dbus_message_new_method_call(to->bus_name, to->path, interface, method);
    if (!call) return NULL;
    va_list args;
    va_start(args, first_type);
    dbus_bool_t built = first_type == DBUS_TYPE_INVALID || dbus_message_append_args_valist(call, first_type, args);
    va_end(args);
    DBusPendingCall *pending = NULL;
    if (!built || !dbus_connection_send_with_reply(batch->bus, call, &pending, remaining_ms(batch->walk))) pending = NULL;
    dbus_message_unref(call);
    return pending;
}

static DBusPendingCall *send_accessible(batch_walk *batch, const element_ref *to, const char *method) {
    return send_call(batch, to, "org.a11y.atspi.Accessible", method, DBUS_TYPE_INVALID);
}

static DBusPendingCall *send_property(batch_walk *batch, const element_ref *to, const char *property) {
    const char *interface = "org.a11y.atspi.Accessible";
    return send_call(batch, to, "org.freedesktop.DBus.Properties", "Get", DBUS_TYPE_STRING, &interface, DBUS_TYPE_STRING,
                     &property, DBUS_TYPE_INVALID);
}

static DBusPendingCall *send_extents(batch_walk *batch, const element_ref *to) {
    dbus_uint32_t screen = ATSPI_COORD_TYPE_SCREEN;
    return send_call(batch, to, "org.a11y.atspi.Component", "GetExtents", DBUS_TYPE_UINT32, &screen, DBUS_TYPE_INVALID);
}

// The answer to `pending`, or NULL: a timeout is counted, another error (an element with no
// bounds, one gone meanwhile) is no answer.
static DBusMessage *answer(batch_walk *batch, DBusPendingCall *pending) {
    if (!pending) return NULL;
    dbus_pending_call_block(pending);
    DBusMessage *reply = dbus_pending_call_steal_reply(pending);
    dbus_pending_call_unref(pending);
    if (reply && dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR) {
        if (dbus_message_is_error(reply, DBUS_ERROR_NO_REPLY) || dbus_message_is_error(reply, DBUS_ERROR_TIMEOUT)) {
            batch->walk->info->timeouts++;
        }
        dbus_message_unref(reply);
        return NULL;
    }
    return reply;
}

// The first argument of `reply` (inside its variant when `variant`), when it has `type`.
static int first_value(DBusMessage *reply, int variant, int type, void *value) {
    DBusMessageIter iter, inner;
    if (!reply || !dbus_message_iter_init(reply, &iter)) return 0;
    if (variant) {
        if (dbus_message_iter_get_arg_type(&iter) != DBUS_TYPE_VARIANT) return 0;
        dbus_message_iter_recurse(&iter, &inner);
        iter = inner;
    }
    if (dbus_message_iter_get_arg_type(&iter) != type) return 0;
    dbus_message_iter_get_basic(&iter, value);
    return 1;
}

static int is_state(const dbus_uint32_t bits[2], AtspiStateType state) { return (bits[state / 32] >> (state % 32)) & 1; }

// A state set answer (`au`, two words of bits) into `bits`.
static void read_states(DBusMessage *reply, dbus_uint32_t bits[2]) {
    DBusMessageIter iter, array;
    bits[0] = bits[1] = 0;
    if (!reply || !dbus_message_iter_init(reply, &iter) || dbus_message_iter_get_arg_type(&iter) != DBUS_TYPE_ARRAY) return;
    dbus_message_iter_recurse(&iter, &array);
    for (int i = 0; i < 2 && dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_UINT32; i++) {
        dbus_message_iter_get_basic(&array, &bits[i]);
        dbus_message_iter_next(&array);
    }
}

// As state_bits, from a state set answer's two words.
static unsigned state_bits_of(const dbus_uint32_t bits[2]) {
    unsigned out = 0;
    for (unsigned i = 0; i < STATE_KINDS; i++) {
        if (is_state(bits, state_kinds[i])) out |= 1u << i;
    }
    return out;
}

// Bounds answers (`(iiii)`) into the node; left as they are when there are none.
static void read_extents(DBusMessage *reply, a11y_node *node) {
    DBusMessageIter iter, box;
    if (!reply || !dbus_message_iter_init(reply, &iter) || dbus_message_iter_get_arg_type(&iter) != DBUS_TYPE_STRUCT) return;
    dbus_message_iter_recurse(&iter, &box);
    int *fields[] = {&node->x, &node->y, &node->w, &node->h};
    for (int i = 0; i < 4 && dbus_message_iter_get_arg_type(&box) == DBUS_TYPE_INT32; i++) {
        dbus_int32_t value;
        dbus_message_iter_get_basic(&box, &value);
        *fields[i] = value;
        dbus_message_iter_next(&box);
    }
}

// Appends the element the iterator is at, a `(so)`, as a child of `parent`; the null object
// that stands for "none" is skipped.
static void append_ref(GArray *refs, DBusMessageIter *iter, int parent) {
    DBusMessageIter fields;
    const char *bus_name = NULL, *path = NULL;
    if (dbus_message_iter_get_arg_type(iter) != DBUS_TYPE_STRUCT) return;
    dbus_message_iter_recurse(iter, &fields);
    if (dbus_message_iter_get_arg_type(&fields) != DBUS_TYPE_STRING) return;
    dbus_message_iter_get_basic(&fields, &bus_name);
    dbus_message_iter_next(&fields);
    if (dbus_message_iter_get_arg_type(&fields) != DBUS_TYPE_OBJECT_PATH) return;
    dbus_message_iter_get_basic(&fields, &path);
    if (strcmp(path, "/org/a11y/atspi/null") == 0) return;
    element_ref ref = {g_strdup(bus_name), g_strdup(path), -1, parent, 0};
    g_array_append_vals(refs, &ref, 1);
}

static void free_refs(GArray *refs) {
    for (guint i = 0; i < refs->len; i++) {
        element_ref *ref = &g_array_index(refs, element_ref, i);
        g_free(ref->bus_name);
        g_free(ref->path);
    }
    g_array_free(refs, TRUE);
}

// The children of every element of `parents`, in order: all in one call where there are
// few, else the first CHILDREN_MAX one by one (a list of 100,000 rows is not asked for whole).
static GArray *children_of(batch_walk *batch, GArray *parents) {
    GArray *calls = g_array_new(FALSE, FALSE, sizeof(pending_children));
    for (guint p = 0; p < parents->len; p++) {
        element_ref *parent = &g_array_index(parents, element_ref, p);
        pending_children call = {NULL, parent->index};
        if (parent->child_count <= 0) continue;
        if (parent->child_count <= CHILDREN_MAX) {
            call.call = send_accessible(batch, parent, "GetChildren");
            g_array_append_vals(calls, &call, 1);
            continue;
        }
        for (dbus_int32_t c = 0; c < CHILDREN_MAX; c++) {
            call.call = send_call(batch, parent, "org.a11y.atspi.Accessible", "GetChildAtIndex", DBUS_TYPE_INT32, &c,
                                  DBUS_TYPE_INVALID);
            g_array_append_vals(calls, &call, 1);
        }
    }
    dbus_connection_flush(batch->bus);
    GArray *children = g_array_new(FALSE, FALSE, sizeof(element_ref));
    for (guint i = 0; i < calls->len; i++) {
        pending_children *call = &g_array_index(calls, pending_children, i);
        DBusMessage *reply = answer(batch, call->call);
        DBusMessageIter iter, array;
        if (reply && dbus_message_iter_init(reply, &iter)) {
            if (dbus_message_iter_get_arg_type(&iter) == DBUS_TYPE_ARRAY) {
                dbus_message_iter_recurse(&iter, &array);
                for (; dbus_message_iter_get_arg_type(&array) != DBUS_TYPE_INVALID; dbus_message_iter_next(&array)) {
                    append_ref(children, &array, call->parent);
                }
            } else {
                append_ref(children, &iter, call->parent);
            }
        }
        if (reply) dbus_message_unref(reply);
    }
    g_array_free(calls, TRUE);
    return children;
}

// Reads `candidates[from..<to]`: their states first, then, of the showing ones while the
// limits allow, role, name, bounds and child count, each kept as a node and added to `next`.
static void read_level(batch_walk *batch, GArray *candidates, guint from, guint to, int depth, a11y_node *level_nodes,
                       GArray *next) {
    snapshot_walk *walk = batch->walk;
    DBusPendingCall *states[BATCH_MAX], *asked[BATCH_MAX][4];
    dbus_uint32_t bits[BATCH_MAX][2];
    guint count = to - from, showing[BATCH_MAX], shown = 0;
    for (guint i = 0; i < count; i++) states[i] = send_accessible(batch, &g_array_index(candidates, element_ref, from + i), "GetState");
    dbus_connection_flush(batch->bus);
    for (guint i = 0; i < count; i++) {
        DBusMessage *reply = answer(batch, states[i]);
        read_states(reply, bits[i]);
        if (reply) dbus_message_unref(reply);
        if (!is_state(bits[i], ATSPI_STATE_SHOWING)) continue;
        if (walk->info->count + (int)shown < walk->max_nodes) {
            showing[shown++] = i;
        } else {
            walk->info->truncated = 1;
        }
    }
    for (guint s = 0; s < shown; s++) {
        element_ref *ref = &g_array_index(candidates, element_ref, from + showing[s]);
        asked[s][0] = send_accessible(batch, ref, "GetRole");
        asked[s][1] = send_property(batch, ref, "Name");
        asked[s][2] = send_extents(batch, ref);
        asked[s][3] = depth < walk->max_depth ? send_property(batch, ref, "ChildCount") : NULL;
    }
    dbus_connection_flush(batch->bus);
    for (guint s = 0; s < shown; s++) {
        element_ref *ref = &g_array_index(candidates, element_ref, from + showing[s]);
        int index = walk->info->count++;
        a11y_node *node = &level_nodes[index];
        memset(node, 0, sizeof *node);
        node->parent = ref->parent;
        node->depth = depth;
        node->states = state_bits_of(bits[showing[s]]);
        dbus_uint32_t role = ATSPI_ROLE_INVALID;
        const char *name = NULL;
        dbus_int32_t children = 0;
        DBusMessage *replies[4];
        for (int q = 0; q < 4; q++) replies[q] = answer(batch, asked[s][q]);
        if (first_value(replies[0], 0, DBUS_TYPE_UINT32, &role)) {
            gchar *role_name = atspi_role_get_name((AtspiRole)role);
            copy(node->role, sizeof node->role, role_name);
            g_free(role_name);
        }
        if (role != ATSPI_ROLE_PASSWORD_TEXT && first_value(replies[1], 1, DBUS_TYPE_STRING, &name)) copy(node->name, sizeof node->name, name);
        read_extents(replies[2], node);
        first_value(replies[3], 1, DBUS_TYPE_INT32, &children);
        for (int q = 0; q < 4; q++) {
            if (replies[q]) dbus_message_unref(replies[q]);
        }
        element_ref kept = {g_strdup(ref->bus_name), g_strdup(ref->path), index, ref->parent, children};
        g_array_append_vals(next, &kept, 1);
        if (role == ATSPI_ROLE_DOCUMENT_WEB && !batch->document.path) {
            batch->document = (element_ref){g_strdup(ref->bus_name), g_strdup(ref->path), index, ref->parent, 0};
        }
    }
}

// The URL of `document` into the walk's info: Chromium answers `URI`, Firefox `DocURL`; both
// are asked at once.
static void document_url_of(batch_walk *batch, const element_ref *document) {
    const char *names[] = {"URI", "DocURL"};
    DBusPendingCall *asked[2];
    for (int i = 0; i < 2; i++) {
        asked[i] = send_call(batch, document, "org.a11y.atspi.Document", "GetAttributeValue", DBUS_TYPE_STRING, &names[i],
                             DBUS_TYPE_INVALID);
    }
    dbus_connection_flush(batch->bus);
    for (int i = 0; i < 2; i++) {
        DBusMessage *reply = answer(batch, asked[i]);
        const char *url = NULL;
        if (!batch->walk->info->url[0] && first_value(reply, 0, DBUS_TYPE_STRING, &url) && url) {
            copy(batch->walk->info->url, sizeof batch->walk->info->url, url);
        }
        if (reply) dbus_message_unref(reply);
    }
}

// Puts the nodes, found a level at a time, in the order the walk above gives them (depth
// first, each parent before its children), with their parents' indexes to match.
static void depth_first(a11y_node *found, int count, a11y_node *out) {
    int *first_child = g_new(int, count + 1), *next_sibling = g_new(int, count), *moved = g_new(int, count);
    int *stack = g_new(int, count + 1);
    for (int i = 0; i <= count; i++) first_child[i] = -1;
    for (int i = count - 1; i >= 0; i--) {
        int parent = found[i].parent + 1;  // 0 stands for the window
        next_sibling[i] = first_child[parent];
        first_child[parent] = i;
    }
    int top = 0, written = 0;
    for (int child = first_child[0]; child >= 0; child = next_sibling[child]) stack[top++] = child;
    // The stack holds siblings in reverse so that the first is taken first.
    for (int a = 0, b = top - 1; a < b; a++, b--) { int t = stack[a]; stack[a] = stack[b]; stack[b] = t; }
    while (top > 0) {
        int i = stack[--top];
        moved[i] = written;
        out[written] = found[i];
        out[written].parent = found[i].parent < 0 ? -1 : moved[found[i].parent];
        written++;
        int pushed = top;
        for (int child = first_child[i + 1]; child >= 0; child = next_sibling[child]) stack[top++] = child;
        for (int a = pushed, b = top - 1; a < b; a++, b--) { int t = stack[a]; stack[a] = stack[b]; stack[b] = t; }
    }
    g_free(first_child);
    g_free(next_sibling);
    g_free(moved);
    g_free(stack);
}

// The showing subtree of `window` into walk->nodes.
static void walk_batched(AtspiAccessible *window, snapshot_walk *walk) {
    AtspiObject *object = (AtspiObject *)window;
    if (!object->app || !object->app->bus || !object->app->bus_name || !object->path) return;
    batch_walk batch = {object->app->bus, walk, {NULL, NULL, -1, -1, 0}};
    element_ref root = {object->app->bus_name, object->path, -1, -1, 0};
    DBusMessage *reply = answer(&batch, send_property(&batch, &root, "ChildCount"));
    dbus_int32_t children = 0;
    first_value(reply, 1, DBUS_TYPE_INT32, &children);
    if (reply) dbus_message_unref(reply);
    a11y_node *found = g_new(a11y_node, walk->max_nodes > 0 ? walk->max_nodes : 1);
    GArray *parents = g_array_new(FALSE, FALSE, sizeof(element_ref));
    element_ref first = {g_strdup(root.bus_name), g_strdup(root.path), -1, -1, children};
    g_array_append_vals(parents, &first, 1);
    for (int depth = 1; depth <= walk->max_depth && parents->len > 0 && !walk_over(walk); depth++) {
        GArray *candidates = children_of(&batch, parents);
        GArray *next = g_array_new(FALSE, FALSE, sizeof(element_ref));
        for (guint from = 0; from < candidates->len && !walk_over(walk); from += BATCH_MAX) {
            guint to = from + BATCH_MAX < candidates->len ? from + BATCH_MAX : candidates->len;
            read_level(&batch, candidates, from, to, depth, found, next);
        }
        free_refs(candidates);
        free_refs(parents);
        parents = next;
    }
    free_refs(parents);
    depth_first(found, walk->info->count, walk->nodes);
    g_free(found);
    if (batch.document.path) {
        document_url_of(&batch, &batch.document);
        g_free(batch.document.bus_name);
        g_free(batch.document.path);
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
    walk_batched(window, walk);
    // A navigation during the walk renames the window: what was read may be of the new page.
    name = atspi_accessible_get_name(window, &error);
    walk->info->renamed = failed(&error, &walk->info->timeouts) || !name || strcmp(name, walk->title) != 0;
    g_free(name);
    return 1;
}

int a11y_snapshot(int pid, const char *title, int max_nodes, int max_depth, int budget_ms, a11y_node *nodes,
                  a11y_snapshot_info *info) {
    memset(info, 0, sizeof *info);
    snapshot_walk walk = {title, max_nodes, max_depth, g_get_monotonic_time() + (gint64)budget_ms * 1000, nodes, info};
    return each_window(pid, &info->timeouts, snapshot_window, &walk);
}
