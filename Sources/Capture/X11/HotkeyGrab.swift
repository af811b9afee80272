import CX11
import UnderstudyModel

/// The pause hotkey, grabbed on the root window so the application under it never gets it,
/// whatever Caps Lock and Num Lock are doing. Capture still sees its key presses through RECORD;
/// ``matches(keycode:modifiers:)`` tells them apart so they are never stored.
final class HotkeyGrab {
    let hotkey: Hotkey
    let keycode: UInt8
    private let display: X11Display
    private let mask: UInt32

    /// Nil when no key of this keyboard makes the hotkey's keysym.
    init?(_ hotkey: Hotkey, display: X11Display, keys: KeyTranslator) {
        let keysym = XStringToKeysym(hotkey.key)
        guard keysym != 0 else { return nil }
        let code = XKeysymToKeycode(display.handle, keysym)
        guard code != 0 else { return nil }
        self.hotkey = hotkey
        self.display = display
        keycode = code
        mask = keys.mask(of: hotkey.modifiers)
        for locks in Self.lockCombinations { XGrabKey(display.handle, Int32(code), mask | locks, display.root, 0, GrabModeAsync, GrabModeAsync) }
        display.flush()
    }

    deinit {
        for locks in Self.lockCombinations { XUngrabKey(display.handle, Int32(keycode), mask | locks, display.root) }
        display.flush()
    }

    /// Whether a key press is the hotkey: its key, with exactly its modifiers held.
    func matches(keycode: UInt8, modifiers: [Modifier]) -> Bool {
        keycode == self.keycode && Set(modifiers) == hotkey.modifiers
    }

    /// Caps Lock and Num Lock (Mod2 on every keymap we know) change the state a grab matches.
    private static let lockCombinations: [UInt32] = [0, UInt32(LockMask), UInt32(Mod2Mask), UInt32(LockMask | Mod2Mask)]
}
