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

// Connects to the accessibility bus; every call then gives up after `timeout_ms`.
// Returns 0, or -1 when there is no bus.
int a11y_open(int timeout_ms);

// Sets org.a11y.Status.IsEnabled on the session bus, as assistive tools do, so toolkits
// expose their widgets. Returns 0, or -1 (no session bus, no accessibility bus).
int a11y_enable(int enabled);

// Reads the desktop. Returns 0, or -1 when the bus is gone.
int a11y_read(a11y_desktop *out);

#endif
