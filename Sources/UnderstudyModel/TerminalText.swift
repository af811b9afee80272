extension Unicode.Scalar {
    /// Whether the scalar can end a line or steer what shows it: control characters (C0, DEL,
    /// C1, escape sequences start with one) and Unicode's line and paragraph separators.
    public var breaksLineOrControls: Bool {
        properties.generalCategory == .control || self == "\u{2028}" || self == "\u{2029}"
    }

    /// Bidirectional overrides and isolates, which reorder what a terminal shows.
    var reordersText: Bool { (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) }
}

extension String {
    /// The text as it may be printed to a person's terminal: every control character, line
    /// separator and bidirectional override shown as `\u{1B}` instead of acting. Devices decide
    /// many of the strings staff commands print (device names, exemption reasons), and an
    /// escape sequence among them could rewrite the screen or set the clipboard.
    public var terminalSafe: String {
        guard unicodeScalars.contains(where: { $0.breaksLineOrControls || $0.reordersText }) else { return self }
        var out = ""
        for scalar in unicodeScalars {
            if scalar.breaksLineOrControls || scalar.reordersText {
                out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
