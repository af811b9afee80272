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

    struct Rect: Equatable {
        var x, y, w, h: Int
        var isEmpty: Bool { w <= 0 || h <= 0 }

        func intersection(_ o: Rect) -> Rect {
            let x0 = max(x, o.x), y0 = max(y, o.y)
            return Rect(x: x0, y: y0, w: min(x + w, o.x + o.w) - x0, h: min(y + h, o.y + o.h) - y0)
        }

        /// This rectangle without `o`: up to four rectangles.
        func subtracting(_ o: Rect) -> [Rect] {
            let cut = intersection(o)
            guard !cut.isEmpty else { return [self] }
            return [Rect(x: x, y: y, w: w, h: cut.y - y),                                  // above
                    Rect(x: x, y: cut.y + cut.h, w: w, h: y + h - cut.y - cut.h),          // below
                    Rect(x: x, y: cut.y, w: cut.x - x, h: cut.h),                          // left
                    Rect(x: cut.x + cut.w, y: cut.y, w: x + w - cut.x - cut.w, h: cut.h)]  // right
                .filter { !$0.isEmpty }
        }
    }

    private struct TopLevel {
        var window: Window
        var rect: Rect
        var context: WindowContext?
    }

    private let display: X11Display
    private let tree: WindowTree
    private let policy: any CapturePolicy
    private let screen: Rect
    private var stale = true
    private var revision: UInt64 = .max
    private var readAtNs: UInt64 = 0
    private var clients: [Window: Window] = [:]
    /// The regions filled in every grab until the tree is read again.
    private(set) var regions: [Rect] = []
    /// The visible parts of the windows that are not masked: redaction reads text window by
    /// window, since a line read across two windows side by side comes out garbled.
    private(set) var textAreas: [Rect] = []

    init(display: X11Display, policy: any CapturePolicy, width: Int, height: Int) {
        self.display = display
        self.policy = policy
        tree = WindowTree(display: display)
        screen = Rect(x: 0, y: 0, w: width, h: height)
    }

    /// Something in the window structure changed: read the tree before the next grab.
    func invalidate() { stale = true }

    /// Brings ``regions`` up to date. Returns the old and new regions when they changed, so
    /// the caller can mark them damaged (tiles there must be hashed again).
    func update(now: UInt64) -> [Rect]? {
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
        for region in regions {
            for row in region.y..<(region.y + region.h) {
                let line = UnsafeMutableRawPointer(pixels + row * stride + region.x * 4).assumingMemoryBound(to: UInt32.self)
                line.update(repeating: Self.fill, count: region.w)
            }
        }
    }

    /// The visible parts of masked windows, and of the others.
    private func computeRegions() -> (masked: [Rect], shown: [Rect]) {
        let windows = topLevels()
        var masked: [Rect] = [], shown: [Rect] = []
        for (index, window) in windows.enumerated() {
            var visible = [window.rect.intersection(screen)].filter { !$0.isEmpty }
            for above in windows[(index + 1)...] {
                visible = visible.flatMap { $0.subtracting(above.rect) }
            }
            if let context = window.context, policy.treatment(of: context) != .capture { masked += visible } else { shown += visible }
        }
        return (masked, shown)
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
            let rect = Rect(x: Int(attributes.x), y: Int(attributes.y), w: Int(attributes.width) + 2 * border, h: Int(attributes.height) + 2 * border)
            // A frame can be mapped a moment before its client is reparented into it: only found clients are remembered.
            let client = clients[window] ?? tree.client(in: window, depth: 3) ?? 0
            if client != 0 { alive[window] = client }
            result.append(TopLevel(window: window, rect: rect, context: client == 0 ? nil : describe(client, rect: rect)))
        }
        clients = alive
        return result
    }

    private func describe(_ client: Window, rect: Rect) -> WindowContext {
        WindowContext(app: tree.className(client), title: tree.title(client), pid: nil, window: UInt64(client), rect: [rect.x, rect.y, rect.w, rect.h])
    }
}
