import CX11
import UnderstudyModel

/// Follows which top-level window is active and what it is called, from property changes
/// on the root window (`_NET_ACTIVE_WINDOW`) and on the active window (its title), so no
/// event needs a round trip to know its window.
final class WindowTracker {
    private let display: X11Display
    private let netActiveWindow: Atom
    private let netWMName: Atom
    private let wmName: Atom
    private let netWMPid: Atom
    private let wmState: Atom
    private(set) var active: Window = 0
    private(set) var current: WindowContext?
    /// Whether a window manager publishes `_NET_ACTIVE_WINDOW`. Without one nothing announces
    /// focus moves between top-level windows, so the loop asks for the input focus instead.
    private(set) var needsPolling = false

    init(display: X11Display) {
        self.display = display
        netActiveWindow = display.atom("_NET_ACTIVE_WINDOW")
        netWMName = display.atom("_NET_WM_NAME")
        wmName = display.atom("WM_NAME")
        netWMPid = display.atom("_NET_WM_PID")
        wmState = display.atom("WM_STATE")
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
        return window == active && (atom == netWMName || atom == wmName)
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
        return top == 0 ? 0 : clientWindow(in: top, depth: 3) ?? top
    }

    private func children(of window: Window) -> (parent: Window, root: Window, children: [Window])? {
        var root: Window = 0, parent: Window = 0
        var list: UnsafeMutablePointer<Window>?
        var count: UInt32 = 0
        guard XQueryTree(display.handle, window, &root, &parent, &list, &count) != 0 else { return nil }
        defer { if let list { XFree(list) } }
        return (parent, root, list.map { Array(UnsafeBufferPointer(start: $0, count: Int(count))) } ?? [])
    }

    private func topLevel(of window: Window) -> Window {
        var current = window
        while current > 1, current != display.root {
            guard let tree = children(of: current) else { return 0 }
            if tree.parent == tree.root { return current }
            current = tree.parent
        }
        return 0
    }

    private func clientWindow(in window: Window, depth: Int) -> Window? {
        if display.property(window, wmState).map({ XFree($0.bytes) }) != nil { return window }
        guard depth > 0, let tree = children(of: window) else { return nil }
        return tree.children.lazy.compactMap { self.clientWindow(in: $0, depth: depth - 1) }.first
    }

    private func describe(_ window: Window) -> WindowContext? {
        var attributes = XWindowAttributes()
        // Window managers point _NET_ACTIVE_WINDOW at a hidden window of their own when nothing has focus.
        guard XGetWindowAttributes(display.handle, window, &attributes) != 0, attributes.map_state == IsViewable else { return nil }
        var x: Int32 = 0, y: Int32 = 0
        var child: Window = 0
        XTranslateCoordinates(display.handle, window, display.root, 0, 0, &x, &y, &child)
        let title = display.text(window, netWMName, utf8: true) ?? display.text(window, wmName, utf8: false) ?? ""
        return WindowContext(
            app: className(window), title: title, pid: display.cardinal(window, netWMPid).map { Int($0) },
            window: UInt64(window), rect: [Int(x), Int(y), Int(attributes.width), Int(attributes.height)])
    }

    private func className(_ window: Window) -> String {
        var hint = XClassHint()
        guard XGetClassHint(display.handle, window, &hint) != 0 else { return "" }
        defer {
            if let name = hint.res_name { XFree(name) }
            if let cls = hint.res_class { XFree(cls) }
        }
        return hint.res_class.map { String(cString: $0) } ?? ""
    }
}
