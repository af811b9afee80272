import CX11
import Foundation
import UnderstudyModel

/// Performs synthetic input on an X display through the XTEST extension, as if a person
/// pressed the keys and moved the mouse: replay's hands.
public final class XTestInjector {
    private let display: X11Display
    /// A keycode with no symbols, borrowed to type characters no key produces (then given back).
    private var spareKeycode: KeyCode?

    public init(display name: String?) throws(CaptureError) {
        display = try X11Display(name: name)
        guard display.hasExtension("XTEST") else { throw .missingExtension("XTEST") }
    }

    /// Performs `inputs` in order, waiting through their pauses; returns when the server has them all.
    public func perform(_ inputs: [SyntheticInput]) throws(CaptureError) {
        for input in inputs { try perform(input) }
        display.sync()
    }

    private func perform(_ input: SyntheticInput) throws(CaptureError) {
        let h = display.handle
        switch input {
        case .move(let x, let y):
            XTestFakeMotionEvent(h, -1, Int32(x), Int32(y), 0)
        case .button(let button, let down):
            XTestFakeButtonEvent(h, Self.number(button), down ? 1 : 0, 0)
        case .scroll(let dx, let dy):
            let number: UInt32 = dy > 0 ? 5 : dy < 0 ? 4 : dx > 0 ? 7 : 6
            XTestFakeButtonEvent(h, number, 1, 0)
            XTestFakeButtonEvent(h, number, 0, 0)
        case .key(let name, let down):
            let sym = XStringToKeysym(name)
            let code = sym == 0 ? 0 : XKeysymToKeycode(h, sym)
            guard code != 0 else { throw .cannotInput("the key \(name)") }
            XTestFakeKeyEvent(h, UInt32(code), down ? 1 : 0, 0)
        case .character(let character):
            try type(character)
        case .pause(let duration):
            display.flush()
            Thread.sleep(forTimeInterval: Double(duration.ns) / 1e9)
        }
        display.flush()
    }

    private func type(_ character: Character) throws(CaptureError) {
        let h = display.handle
        let sym = Self.keysym(character)
        if let (code, shifted) = find(sym) {
            let shift = UInt32(XKeysymToKeycode(h, KeySym(XK_Shift_L)))
            if shifted { XTestFakeKeyEvent(h, shift, 1, 0) }
            XTestFakeKeyEvent(h, UInt32(code), 1, 0)
            XTestFakeKeyEvent(h, UInt32(code), 0, 0)
            if shifted { XTestFakeKeyEvent(h, shift, 0, 0) }
            return
        }
        // No key produces it: map it onto a spare keycode for one press, as xdotool does.
        guard let spare = spareKeycode ?? findSpare() else { throw .cannotInput("\"\(character)\"") }
        spareKeycode = spare
        var syms = [sym, sym]
        XChangeKeyboardMapping(h, Int32(spare), 2, &syms, 1)
        display.sync()
        XTestFakeKeyEvent(h, UInt32(spare), 1, 0)
        XTestFakeKeyEvent(h, UInt32(spare), 0, 0)
        display.sync()
        var none = [KeySym(0), KeySym(0)]
        XChangeKeyboardMapping(h, Int32(spare), 2, &none, 1)
        display.sync()
    }

    /// The keycode producing `sym` at level 0 (no Shift) or 1 (Shift), in group 0.
    private func find(_ sym: KeySym) -> (KeyCode, Bool)? {
        var low: Int32 = 0
        var high: Int32 = 0
        XDisplayKeycodes(display.handle, &low, &high)
        for level in 0..<2 {
            for code in low...high where XkbKeycodeToKeysym(display.handle, KeyCode(code), 0, Int32(level)) == sym {
                return (KeyCode(code), level == 1)
            }
        }
        return nil
    }

    private func findSpare() -> KeyCode? {
        var low: Int32 = 0
        var high: Int32 = 0
        XDisplayKeycodes(display.handle, &low, &high)
        return (low...high).reversed().first { XkbKeycodeToKeysym(display.handle, KeyCode($0), 0, 0) == 0 }.map { KeyCode($0) }
    }

    /// Latin-1 characters are their own keysyms; other Unicode is 0x01000000 + its code point.
    static func keysym(_ character: Character) -> KeySym {
        switch character {
        case "\n", "\r\n": return KeySym(XK_Return)
        case "\t": return KeySym(XK_Tab)
        default:
            let value = character.unicodeScalars.first!.value
            return KeySym((0x20...0x7E).contains(value) || (0xA0...0xFF).contains(value) ? value : 0x0100_0000 | value)
        }
    }

    private static func number(_ button: PointerButton) -> UInt32 {
        switch button {
        case .left: 1
        case .middle: 2
        case .right: 3
        case .back: 8
        case .forward: 9
        }
    }
}

/// The whole screen of a display, as the recorder stores frames: 4 bytes a pixel (B, G, R, X), row by row.
public enum ScreenSnapshot {
    public static func take(display name: String?) throws(CaptureError) -> (width: Int, height: Int, pixels: [UInt8]) {
        let display = try X11Display(name: name)
        let screen = XDefaultScreen(display.handle)
        let width = Int(XDisplayWidth(display.handle, screen))
        let height = Int(XDisplayHeight(display.handle, screen))
        guard let image = XGetImage(display.handle, display.root, 0, 0, UInt32(width), UInt32(height), XAllPlanes(), ZPixmap) else {
            throw .recordFailed("the X server refused to return the screen's pixels")
        }
        defer { _ = image.pointee.f.destroy_image(image) }
        guard image.pointee.bits_per_pixel == 32 else {
            throw .recordFailed("screen depth \(image.pointee.bits_per_pixel) is not supported; use a 24-bit screen")
        }
        let stride = Int(image.pointee.bytes_per_line)
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        let source = UnsafeRawPointer(image.pointee.data)!
        pixels.withUnsafeMutableBytes { out in
            for row in 0..<height { out.baseAddress!.advanced(by: row * width * 4).copyMemory(from: source + row * stride, byteCount: width * 4) }
        }
        return (width, height, pixels)
    }
}
