import CX11
import UnderstudyModel

/// The screen and its monitors as XRandR reports them.
enum ScreenLayout {
    static func read(_ display: X11Display) -> ScreenGeometry {
        let screen = XDefaultScreen(display.handle)
        let width = Int(XDisplayWidth(display.handle, screen))
        let height = Int(XDisplayHeight(display.handle, screen))
        let whole = ScreenGeometry(
            width: width, height: height, monitors: [Monitor(name: "screen", x: 0, y: 0, width: width, height: height, primary: true)])
        var count: Int32 = 0
        var eventBase: Int32 = 0
        var errorBase: Int32 = 0
        guard XRRQueryExtension(display.handle, &eventBase, &errorBase) != 0,
            let monitors = XRRGetMonitors(display.handle, display.root, 1, &count), count > 0
        else { return whole }
        defer { XRRFreeMonitors(monitors) }
        let list = (0..<Int(count)).map { i in
            let m = monitors[i]
            let namePointer = m.name == 0 ? nil : XGetAtomName(display.handle, m.name)
            defer { if let namePointer { XFree(namePointer) } }
            return Monitor(
                name: namePointer.map { String(cString: $0) } ?? "monitor-\(i)", x: Int(m.x), y: Int(m.y),
                width: Int(m.width), height: Int(m.height), primary: m.primary != 0)
        }
        return ScreenGeometry(width: width, height: height, monitors: list)
    }
}
