#ifndef UNDERSTUDY_A11Y_H
#define UNDERSTUDY_A11Y_H

// What the accessibility bus says about the desktop's top-level windows, read in one pass:
// for each application's frames, the title, whether it is active, and the URL of the web
// document it shows; for the active frame, the element with keyboard focus. Plain values
// only, so nothing above this file sees GObject pointers or D-Bus.

#define A11Y_URL_MAX 2048
#define A11Y_NAME_MAX 256
#define A11Y_FRAMES_MAX 64

typedef struct {
    int pid;
    int active;            // the frame has ATSPI_STATE_ACTIVE
    int has_document;      // a web document is shown in it
    char title[A11Y_NAME_MAX];
    char url[A11Y_URL_MAX];
} a11y_frame;

typedef struct {
    int frame_count;
    a11y_frame frames[A11Y_FRAMES_MAX];
    // The element with keyboard focus in the active frame.
    int focus_known;
    int focus_password;    // ATSPI_ROLE_PASSWORD_TEXT (or an input of type password)
    int focus_x, focus_y, focus_w, focus_h;  // its bounds on the screen
    int timeouts;          // calls that did not answer within the deadline in this pass
} a11y_desktop;

#define A11Y_ROLE_MAX 48
#define A11Y_ANCESTORS_MAX 16
#define A11Y_ID_MAX 160

// States an element may be in, as bits of `a11y_element.states`.
enum {
    A11Y_FOCUSED = 1 << 0, A11Y_CHECKED = 1 << 1, A11Y_SELECTED = 1 << 2, A11Y_EDITABLE = 1 << 3,
    A11Y_ENABLED = 1 << 4, A11Y_PRESSED = 1 << 5, A11Y_EXPANDED = 1 << 6,
};

// One element: what a screen reader says of it, where it is, and its place in its window.
typedef struct {
    int found;
    int password;          // ATSPI_ROLE_PASSWORD_TEXT: its text is never read
    char role[A11Y_ROLE_MAX];
    char name[A11Y_NAME_MAX];
    char description[A11Y_NAME_MAX];
    char app[A11Y_NAME_MAX];
    unsigned states;
    int x, y, w, h;        // on the screen
    int ancestor_count;    // parent first, up to the window
    char ancestors[A11Y_ANCESTORS_MAX][A11Y_ROLE_MAX];
    char id[A11Y_ID_MAX];  // child indexes from the window, "2/0/14"
    int timeouts;
} a11y_element;

// Connects to the accessibility bus; every call then gives up after `timeout_ms`.
// Returns 0, or -1 when there is no bus (and from then on: libatspi cannot try again).
int a11y_open(int timeout_ms);

// Sets org.a11y.Status.IsEnabled on the session bus, as assistive tools do, so toolkits
// expose their widgets. Returns 0, or -1 (no session bus, no accessibility bus).
int a11y_enable(int enabled);

// Reads the desktop. Returns 0, or -1 when the bus is gone.
int a11y_read(a11y_desktop *out);

// The deepest element at (x, y) on the screen in a window of process `pid` (any process when
// pid <= 0), the active window first. Returns 0 (out->found says whether one was), or -1.
int a11y_element_at(int pid, int x, int y, a11y_element *out);

// The element with keyboard focus in the active window. Returns 0 (see out->found), or -1.
int a11y_focused_element(a11y_element *out);

// One node of a window's accessibility snapshot: what a screen reader knows of it, and its
// place in the snapshot (its parent's index, -1 for the window's own children).
typedef struct {
    char role[A11Y_ROLE_MAX];
    char name[A11Y_NAME_MAX];
    unsigned states;       // A11Y_FOCUSED …, as in a11y_element
    int x, y, w, h;        // on the screen
    int parent;
    int depth;             // 1 for the window's children
} a11y_node;

typedef struct {
    int found;             // the window was on the bus
    int count;             // nodes written
    int truncated;         // stopped at the node limit or the time budget
    int timeouts;
    int renamed;           // the window's name was no longer `title` once read: the page changed meanwhile
    char url[A11Y_URL_MAX];  // the URL of the first showing web document, as read after the walk; "" for none
} a11y_snapshot_info;

// The showing subtree of the window of process `pid` whose name is `title`, depth first: at
// most `max_nodes` nodes, `max_depth` levels below the window, and `budget_ms` in all (each
// call also bounded by the deadline); it is read a level at a time, so one cut short at the
// node limit holds the upper levels whole. Text contents are never read, only names, so what is
// typed into a field (a password among them) is not in it; a password field's name is left
// empty too. Returns 0 (info->found says whether the window was found), or -1.
int a11y_snapshot(int pid, const char *title, int max_nodes, int max_depth, int budget_ms, a11y_node *nodes,
                  a11y_snapshot_info *info);

#endif
