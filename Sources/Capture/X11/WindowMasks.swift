import CX11
import UnderstudyModel

/// Finds the screen regions that must never reach a stored frame — the visible parts of every
/// window the policy excludes or keeps structure-only, focused or not — and fills them in a
/// grab before it is diffed and encoded.
///
/// The top-level windows come from the X window tree in stacking order (bottom to top), with
/// their geometry and map state; a window's visible region is its rectangle minus the windows
/// stacked above it. The tree is read again when the window structure changes (SubstructureNotify
/// on the root), the focus or a title changes, the policy's revision changes, and at least
/// every two seconds (for titles that change in the background).
final class WindowMasks {
    /// Pixel value written over masked regions (opaque dark grey).
    static let fill: UInt32 = 0xFF30_3030

    private struct TopLevel {
        var window: Window
        var rect: PixelRect
        var context: WindowContext?
    }

    private let display: X11Display
    private let tree: WindowTree
    private let policy: any CapturePolicy
    private let screen: PixelRect
    private var stale = true
    private var revision: UInt64 = .max
    private var readAtNs: UInt64 = 0
    private var clients: [Window: Window] = [:]
    /// The regions filled in every grab until the tree is read again.
    private(set) var regions: [PixelRect] = []
    /// The visible parts of the windows that are not masked: redaction reads text window by
    /// window, since a line read across two windows side by side comes out garbled.
    private(set) var textAreas: [PixelRect] = []

    /// The top-level windows as last read, bottom to top, with the policy's treatment of each.
    private var stack: [(rect: PixelRect, context: WindowContext?, treatment: WindowTreatment?)] = []

    private let shared: X11CaptureLoop.Shared?
    private let netWMPid: Atom

    init(display: X11Display, policy: any CapturePolicy, width: Int, height: Int, shared: X11CaptureLoop.Shared? = nil) {
        self.display = display
        self.policy = policy
        self.shared = shared
        netWMPid = display.atom("_NET_WM_PID")
        tree = WindowTree(display: display)
        screen = PixelRect(x: 0, y: 0, w: width, h: height)
    }

    /// Something in the window structure changed: read the tree before the next grab.
    func invalidate() { stale = true }

    /// Brings ``regions`` up to date. Returns the old and new regions when they changed, so
    /// the caller can mark them damaged (tiles there must be hashed again).
    func update(now: UInt64) -> [PixelRect]? {
        guard stale || policy.revision != revision || now &- readAtNs >= 2_000_000_000 else { return nil }
        stale = false
        revision = policy.revision
        readAtNs = now
        let (fresh, areas) = computeRegions()
        textAreas = areas
        guard fresh != regions else { return nil }
        defer { regions = fresh }
        return regions + fresh
    }

    /// Writes the fill over every masked region of a grab.
    func apply(to pixels: UnsafeMutablePointer<UInt8>, stride: Int) {
        PixelFill.fill(
            regions.map { ($0.x, $0.y, $0.w, $0.h) }, with: Self.fill, in: UnsafeMutableRawPointer(pixels),
            width: screen.w, height: screen.h, stride: stride)
    }

    /// The visible parts of masked windows, and of the others.
    private func computeRegions() -> (masked: [PixelRect], shown: [PixelRect]) {
        let windows = topLevels()
        var masked: [PixelRect] = []
        var shown: [PixelRect] = []
        stack = windows.map { ($0.rect, $0.context, $0.context.map { policy.treatment(of: $0) }) }
        let field = passwordField()
        var fieldShown: [PixelRect] = []
        for (index, window) in windows.enumerated() {
            var visible = window.rect.intersection(screen).map { [$0] } ?? []
            for above in windows[(index + 1)...] {
                visible = visible.flatMap { $0.subtracting(above.rect) }
            }
            if let treatment = stack[index].treatment, treatment != .capture { masked += visible } else { shown += visible }
            // The field is filled where its own window shows, not over a window in front of it.
            if let field, window.context?.pid == field.pid { fieldShown += visible.compactMap { $0.intersection(field.rect) } }
        }
        masked += fieldShown
        shown = shown.flatMap { part in fieldShown.reduce([part]) { parts, cut in parts.flatMap { $0.subtracting(cut) } } }
        return (masked, shown)
    }

    /// The window on top at (x, y) when the policy captures it, else nil: only then may the
    /// element under the pointer be looked up (a click into an excluded window names nothing).
    func capturedWindow(atX x: Int, y: Int) -> WindowContext? {
        guard let top = stack.last(where: { $0.rect.contains(x: x, y: y) }), top.treatment == .capture else { return nil }
        return top.context
    }

    /// The password field with the keyboard focus, a few pixels wider on each side (its
    /// border and a focus ring), filled whatever its window's policy says: a toolkit's "show
    /// password" button, or a field that echoes, must not put the secret in a frame.
    private func passwordField() -> (rect: PixelRect, pid: Int)? {
        guard let state = shared?.accessibility?.state, state.passwordFocus, let b = state.focusBounds, b.count == 4, b[2] > 0, b[3] > 0,
            let pid = state.windows.first(where: \.active)?.pid,
            let rect = PixelRect(x: b[0] - 4, y: b[1] - 4, w: b[2] + 8, h: b[3] + 8).intersection(screen)
        else { return nil }
        return (rect, pid)
    }

    /// Viewable children of the root, bottom to top, each with its client's WM_CLASS and title.
    private func topLevels() -> [TopLevel] {
        guard let root = tree.query(display.root) else { return [] }
        var result: [TopLevel] = []
        var alive: [Window: Window] = [:]
        for window in root.children {
            var attributes = XWindowAttributes()
            guard XGetWindowAttributes(display.handle, window, &attributes) != 0, attributes.map_state == IsViewable else { continue }
            let border = Int(attributes.border_width)
            let rect = PixelRect(
                x: Int(attributes.x), y: Int(attributes.y), w: Int(attributes.width) + 2 * border, h: Int(attributes.height) + 2 * border)
            // A frame can be mapped a moment before its client is reparented into it: only found clients are remembered.
            let client = clients[window] ?? tree.client(in: window, depth: 3) ?? 0
            if client != 0 { alive[window] = client }
            result.append(TopLevel(window: window, rect: rect, context: client == 0 ? nil : describe(client, rect: rect)))
        }
        clients = alive
        return result
    }

    private func describe(_ client: Window, rect: PixelRect) -> WindowContext {
        let context = WindowContext(
            app: tree.className(client), title: tree.title(client), pid: display.cardinal(client, netWMPid).map { Int($0) },
            window: UInt64(client), rect: [rect.x, rect.y, rect.w, rect.h])
        return shared?.enriched(context) ?? context
    }
}
