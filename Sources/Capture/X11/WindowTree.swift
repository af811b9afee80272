import CX11

/// Reading the X window tree: children, the client window inside a window manager's frame,
/// and a client's `WM_CLASS` and title. Shared by the focus tracker and the frame masks.
struct WindowTree {
    let display: X11Display
    private let wmState: Atom
    private let netWMName: Atom
    private let wmName: Atom

    init(display: X11Display) {
        self.display = display
        wmState = display.atom("WM_STATE")
        netWMName = display.atom("_NET_WM_NAME")
        wmName = display.atom("WM_NAME")
    }

    /// A window's parent, root and children (bottom to top).
    func query(_ window: Window) -> (parent: Window, root: Window, children: [Window])? {
        var root: Window = 0
        var parent: Window = 0
        var list: UnsafeMutablePointer<Window>?
        var count: UInt32 = 0
        guard XQueryTree(display.handle, window, &root, &parent, &list, &count) != 0 else { return nil }
        defer { if let list { XFree(list) } }
        return (parent, root, list.map { Array(UnsafeBufferPointer(start: $0, count: Int(count))) } ?? [])
    }

    /// The client window (the one with `WM_STATE`) at or below `window`, `depth` levels down at most.
    func client(in window: Window, depth: Int) -> Window? {
        if let found = display.property(window, wmState) {
            XFree(found.bytes)
            return window
        }
        guard depth > 0, let tree = query(window) else { return nil }
        return tree.children.lazy.compactMap { self.client(in: $0, depth: depth - 1) }.first
    }

    /// The class part of `WM_CLASS`, or "".
    func className(_ window: Window) -> String {
        var hint = XClassHint()
        guard XGetClassHint(display.handle, window, &hint) != 0 else { return "" }
        defer {
            if let name = hint.res_name { XFree(name) }
            if let cls = hint.res_class { XFree(cls) }
        }
        return hint.res_class.map { String(cString: $0) } ?? ""
    }

    /// `_NET_WM_NAME`, else `WM_NAME`, else "".
    func title(_ window: Window) -> String {
        display.text(window, netWMName, utf8: true) ?? display.text(window, wmName, utf8: false) ?? ""
    }

    /// Whether `atom` names a title property.
    func isTitle(_ atom: Atom) -> Bool { atom == netWMName || atom == wmName }
}
