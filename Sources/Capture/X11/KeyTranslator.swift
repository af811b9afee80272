import CX11
import CXKBCommon
import UnderstudyModel

/// Turns a keycode and the modifier state of a key event into what the contract records:
/// the keysym name, the modifier set and the text the key produced under the active layout.
///
/// Lookup goes through XKB with the event's own state (its group bits select the layout), so
/// Shift, Caps Lock, AltGr and non-US layouts give the character the application saw.
final class KeyTranslator {
    private let display: X11Display
    private var modifierBits: [Modifier: UInt32] = [:]
    private var eventBase: Int32 = -1
    /// Keycodes whose meaning a recorded `ChangeKeyboardMapping` gave, ahead of Xlib's copy
    /// of the keymap (which may already show a later mapping).
    private var remapped: [UInt8: [UInt32]] = [:]

    init(display: X11Display) {
        self.display = display
        var major = Int32(XkbMajorVersion)
        var minor = Int32(XkbMinorVersion)
        _ = XkbLibraryVersion(&major, &minor)
        var opcode: Int32 = 0
        var event: Int32 = 0
        var error: Int32 = 0
        if XkbQueryExtension(display.handle, &opcode, &event, &error, &major, &minor) != 0 { eventBase = event }
        // Keep Xlib's copy of the keymap fresh when layouts change (setxkbmap, xmodmap).
        let mask = UInt32(XkbMapNotifyMask | XkbNewKeyboardNotifyMask)
        _ = XkbSelectEvents(display.handle, UInt32(XkbUseCoreKbd), mask, mask)
        refreshModifierMap()
    }

    /// Whether an event of this type is an XKB event (keymap or keyboard changed).
    func isKeyboardEvent(_ type: Int32) -> Bool { eventBase >= 0 && type == eventBase }

    /// Call when the server says the keyboard mapping changed.
    func keymapChanged(_ event: inout XEvent) {
        if event.type == MappingNotify {
            XRefreshKeyboardMapping(&event.xmapping)
        } else {
            withUnsafeMutablePointer(to: &event) { pointer in
                pointer.withMemoryRebound(to: XkbMapNotifyEvent.self, capacity: 1) { _ = XkbRefreshKeyboardMapping($0) }
            }
        }
        refreshModifierMap()
    }

    /// Applies a keyboard mapping change seen in the input stream, in stream order.
    func remap(firstKeycode: UInt8, keysyms: [[UInt32]]) {
        for (offset, symbols) in keysyms.enumerated() {
            let keycode = Int(firstKeycode) + offset
            guard keycode < 256 else { break }
            remapped[UInt8(keycode)] = symbols.allSatisfy { $0 == 0 } ? nil : symbols
        }
    }

    struct Key {
        var name: String
        var mods: [Modifier]
        var text: String?
    }

    func translate(keycode: UInt8, state: UInt16) -> Key {
        var keysym: KeySym = 0
        if let symbols = remapped[keycode] {
            // Core keymap levels: 0 plain, 1 shifted.
            let shifted = state & UInt16(ShiftMask) != 0 && symbols.count > 1 && symbols[1] != 0
            keysym = KeySym(symbols[shifted ? 1 : 0])
        } else {
            var consumed: UInt32 = 0
            _ = XkbLookupKeySym(display.handle, KeyCode(keycode), UInt32(state), &consumed, &keysym)
        }
        let mods = modifiers(in: UInt32(state))
        let name = Self.name(of: keysym, keycode: keycode)
        let commandHeld = mods.contains(.ctrl) || mods.contains(.alt) || mods.contains(.super)
        return Key(name: name, mods: mods, text: commandHeld ? nil : Self.text(of: keysym))
    }

    /// The state bits that carry `modifiers` under the current keymap (Alt and Super move between Mod1…Mod5).
    func mask(of modifiers: Set<Modifier>) -> UInt32 {
        modifiers.reduce(0) { $0 | (modifierBits[$1] ?? 0) }
    }

    /// The modifiers held in an event's state field.
    func modifiers(in state: UInt32) -> [Modifier] {
        Modifier.allCases.filter { modifierBits[$0].map { state & $0 != 0 } ?? false }
    }

    static func name(of keysym: KeySym, keycode: UInt8) -> String {
        if keysym != 0, let cName = XKeysymToString(keysym) { return String(cString: cName) }
        if keysym != 0 {
            var buffer = [CChar](repeating: 0, count: 64)
            if xkb_keysym_get_name(xkb_keysym_t(keysym), &buffer, buffer.count) > 0 {
                return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
        return "keycode-\(keycode)"
    }

    /// The printable text a keysym produces; control characters (Return, Tab, BackSpace) are keys, not text.
    static func text(of keysym: KeySym) -> String? {
        let code = xkb_keysym_to_utf32(xkb_keysym_t(keysym))
        guard code >= 0x20, code != 0x7F, !(0x80..<0xA0).contains(code), let scalar = Unicode.Scalar(code) else { return nil }
        return String(Character(scalar))
    }

    /// Which of Mod1…Mod5 carry Alt and Super depends on the keymap, so read it from the server.
    private func refreshModifierMap() {
        var bits: [Modifier: UInt32] = [.shift: UInt32(ShiftMask), .ctrl: UInt32(ControlMask)]
        guard let map = XGetModifierMapping(display.handle) else { return }
        defer { XFreeModifiermap(map) }
        let perModifier = Int(map.pointee.max_keypermod)
        for index in 3..<8 {  // Mod1…Mod5
            for slot in 0..<perModifier {
                let keycode = map.pointee.modifiermap[index * perModifier + slot]
                guard keycode != 0 else { continue }
                let sym = XkbKeycodeToKeysym(display.handle, keycode, 0, 0)
                let bit = UInt32(1) << UInt32(index)
                switch Int32(sym) {
                case XK_Alt_L, XK_Alt_R, XK_Meta_L, XK_Meta_R: bits[.alt, default: 0] |= bit
                case XK_Super_L, XK_Super_R, XK_Hyper_L, XK_Hyper_R: bits[.super, default: 0] |= bit
                default: break
                }
            }
        }
        modifierBits = bits
    }
}
