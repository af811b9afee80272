import CX11
import Foundation

/// An Xlib connection used from one thread only (the capture thread), with the small
/// property helpers capture needs. Xlib's default error handler exits the process on a
/// BadWindow, which is routine when a window closes between two requests, so a quiet one
/// is installed first.
final class X11Display {
    let handle: OpaquePointer
    let root: Window
    let name: String

    init(name: String?) throws(CaptureError) {
        X11Display.installErrorHandler()
        let resolved = name ?? ProcessInfo.processInfo.environment["DISPLAY"] ?? ""
        guard let handle = XOpenDisplay(resolved.isEmpty ? nil : resolved) else {
            throw .noDisplay(resolved.isEmpty ? "(DISPLAY is not set)" : resolved)
        }
        self.handle = handle
        self.root = XDefaultRootWindow(handle)
        self.name = resolved
        X11IOErrors.install(on: self)
    }

    deinit {
        XCloseDisplay(handle)
        X11IOErrors.forget(self)
    }

    var fileDescriptor: Int32 { XConnectionNumber(handle) }

    func atom(_ name: String) -> Atom { XInternAtom(handle, name, 0) }

    func hasExtension(_ name: String) -> Bool {
        var opcode: Int32 = 0
        var event: Int32 = 0
        var error: Int32 = 0
        return XQueryExtension(handle, name, &opcode, &event, &error) != 0
    }

    /// Raw bytes of a window property, or nil when it is absent.
    func property(_ window: Window, _ name: Atom, type: Atom = Atom(AnyPropertyType)) -> (
        format: Int32, items: Int, bytes: UnsafeMutablePointer<UInt8>
    )? {
        var actualType: Atom = 0
        var format: Int32 = 0
        var count: UInt = 0
        var after: UInt = 0
        var data: UnsafeMutablePointer<UInt8>?
        let status = XGetWindowProperty(handle, window, name, 0, 1 << 16, 0, type, &actualType, &format, &count, &after, &data)
        guard status == Success, let data, actualType != 0 else {
            if let data { XFree(data) }
            return nil
        }
        return (format, Int(count), data)
    }

    /// A 32-bit-format property's first value. Xlib returns format-32 items as C longs.
    func cardinal(_ window: Window, _ name: Atom) -> UInt? {
        guard let p = property(window, name) else { return nil }
        defer { XFree(p.bytes) }
        guard p.format == 32, p.items > 0 else { return nil }
        return p.bytes.withMemoryRebound(to: UInt.self, capacity: 1) { $0.pointee }
    }

    /// A text property as UTF-8 (`_NET_WM_NAME`) or Latin-1 (`WM_NAME`).
    func text(_ window: Window, _ name: Atom, utf8: Bool) -> String? {
        guard let p = property(window, name) else { return nil }
        defer { XFree(p.bytes) }
        guard p.format == 8 else { return nil }
        let buffer = UnsafeBufferPointer(start: p.bytes, count: p.items)
        return utf8 ? String(decoding: buffer, as: UTF8.self) : String(buffer.map { Character(Unicode.Scalar($0)) })
    }

    func sync() { XSync(handle, 0) }
    func flush() { XFlush(handle) }

    nonisolated(unsafe) private static var handlerInstalled = false
    private static let handlerLock = NSLock()

    private static func installErrorHandler() {
        handlerLock.lock()
        defer { handlerLock.unlock() }
        guard !handlerInstalled else { return }
        handlerInstalled = true
        _ = XSetErrorHandler { _, _ in 0 }
    }
}
