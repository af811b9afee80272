import CX11
import UnderstudyModel

/// Follows which top-level window is active and what it is called, from property changes
/// on the root window (`_NET_ACTIVE_WINDOW`) and on the active window (its title), so no
/// event needs a round trip to know its window.
final class WindowTracker {
    private let display: X11Display
    private let tree: WindowTree
    private let netActiveWindow: Atom
    private let netWMPid: Atom
    private(set) var active: Window = 0
    private(set) var current: WindowContext?
    /// Whether a window manager publishes `_NET_ACTIVE_WINDOW`. Without one nothing announces
    /// focus moves between top-level windows, so the loop asks for the input focus instead.
    private(set) var needsPolling = false

    private let shared: X11CaptureLoop.Shared

    init(display: X11Display, shared: X11CaptureLoop.Shared) {
        self.display = display
        self.shared = shared
        tree = WindowTree(display: display)
        netActiveWindow = display.atom("_NET_ACTIVE_WINDOW")
        netWMPid = display.atom("_NET_WM_PID")
        // Structure changes of top-level windows also move the regions masked in frames.
        XSelectInput(display.handle, display.root, PropertyChangeMask | SubstructureNotifyMask)
    }

    /// Re-reads the active window. Returns its context when it differs from the last one seen.
    func refresh() -> WindowContext? {
        let window = activeWindow()
        if window != active {
            if active != 0 { XSelectInput(display.handle, active, NoEventMask) }
            active = window
            if window != 0 { XSelectInput(display.handle, window, PropertyChangeMask) }
        }
        let context = window == 0 ? nil : describe(window)
        guard context != current else { return nil }
        current = context
        return context
    }

    /// Whether a PropertyNotify on `window` for `atom` can change what ``refresh()`` reports.
    func isRelevant(window: Window, atom: Atom) -> Bool {
        if window == display.root { return atom == netActiveWindow }
        return window == active && tree.isTitle(atom)
    }

    func isActiveWindow(_ window: Window) -> Bool { window == active && window != 0 }

    private func activeWindow() -> Window {
        // A window manager that publishes _NET_ACTIVE_WINDOW is trusted, 0 (nothing active) included.
        needsPolling = false
        if let id = display.cardinal(display.root, netActiveWindow) { return Window(id) }
        needsPolling = true
        // Without one: the input focus, walked up to its top-level window, then down to the
        // client window (the one with WM_STATE) in case a frame holds it.
        var focus: Window = 0
        var revert: Int32 = 0
        XGetInputFocus(display.handle, &focus, &revert)
        let top = topLevel(of: focus)
        return top == 0 ? 0 : tree.client(in: top, depth: 3) ?? top
    }

    private func topLevel(of window: Window) -> Window {
        var current = window
        while current > 1, current != display.root {
            guard let node = tree.query(current) else { return 0 }
            if node.parent == node.root { return current }
            current = node.parent
        }
        return 0
    }

    private func describe(_ window: Window) -> WindowContext? {
        var attributes = XWindowAttributes()
        // Window managers point _NET_ACTIVE_WINDOW at a hidden window of their own when nothing has focus.
        guard XGetWindowAttributes(display.handle, window, &attributes) != 0, attributes.map_state == IsViewable else { return nil }
        var x: Int32 = 0
        var y: Int32 = 0
        var child: Window = 0
        XTranslateCoordinates(display.handle, window, display.root, 0, 0, &x, &y, &child)
        return shared.enriched(
            WindowContext(
                app: tree.className(window), title: tree.title(window), pid: display.cardinal(window, netWMPid).map { Int($0) },
                window: UInt64(window), rect: [Int(x), Int(y), Int(attributes.width), Int(attributes.height)]))
    }
}
