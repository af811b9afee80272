/// A key chord the contributor presses anywhere to pause recording, and again to resume (the
/// policy's `pause-hotkey`; `ctrl+alt+Pause` unless it says otherwise). Its own key presses are
/// never stored.
public struct Hotkey: Sendable, Equatable, CustomStringConvertible {
    public var modifiers: Set<Modifier>
    /// The key's X keysym name: `Pause`, `F12`, `p`.
    public var key: String

    public init(modifiers: Set<Modifier>, key: String) {
        self.modifiers = modifiers
        self.key = key
    }

    /// The default: a chord no application binds.
    public static let standard = Hotkey(modifiers: [.ctrl, .alt], key: "Pause")

    /// `ctrl+alt+Pause`: modifiers (`ctrl`, `alt`, `shift`, `super`), then one key, joined by `+`.
    public init?(_ text: String) {
        let parts = text.split(separator: "+", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let key = parts.last, !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else { return nil }
        var modifiers: Set<Modifier> = []
        for part in parts.dropLast() {
            let name = part.lowercased() == "control" ? "ctrl" : part.lowercased()
            guard let modifier = Modifier(rawValue: name), modifiers.insert(modifier).inserted else { return nil }
        }
        self.init(modifiers: modifiers, key: key)
    }

    public var description: String { (modifiers.sorted().map(\.rawValue) + [key]).joined(separator: "+") }
}
