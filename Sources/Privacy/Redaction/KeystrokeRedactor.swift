import Foundation
import Synchronization
import UnderstudyModel

/// Removes personal data and secrets from what is typed, before any key event is stored.
///
/// Key events are held in memory while a piece of text is being typed, and the text is
/// rebuilt from them (characters, BackSpace). The held events are committed — scrubbed — at a
/// boundary: Return or Tab, a pause in typing of ``quietNs``, a click or scroll, a focus change,
/// cursor movement (arrows, Home, End, Delete, shortcuts: where the next characters go is then
/// unknown, so the text so far is judged on its own), ``maxHeld`` characters, or ``maxHoldNs``. The key events
/// that typed a detected span are replaced by one `redacted` event (`what`, `count` =
/// characters). Everything else that happened meanwhile is held too, so the stored order stays
/// the capture order. Held events live only in memory: a crash loses them, never writes them.
///
/// Passwords: the line typed after a command that asks for one (`sudo`, `su`, `ssh`, `passwd`,
/// `mysql -p`, `gpg`, `doas`, `kinit`, …) and anything typed into a window whose title speaks of a
/// password, passphrase or PIN is removed whole, as `password`.
public final class KeystrokeRedactor: Sendable {
    public static let quietNs: UInt64 = 1_500_000_000
    public static let maxHeld = 512
    /// Nothing is held longer than this, even while typing goes on without a pause.
    public static let maxHoldNs: UInt64 = 10_000_000_000

    private struct State {
        var held: [CapturedEvent] = []
        /// The rebuilt text: each character with the index of its key.down in `held`.
        var typed: [(text: String, event: Int)] = []
        var lastKeyNs: UInt64 = 0
        var firstHeldNs: UInt64 = 0
        var passwordWindow = false
        var passwordLine = false
    }

    private let redactor: TextRedactor
    private let passwords: Bool
    private let state = Mutex(State())

    /// - Parameter excludedSites: hosts whose names are redacted wherever they are typed.
    public init(kinds: Set<RedactionKind>, excludedSites: [String] = []) {
        redactor = TextRedactor(kinds: kinds, excludedSites: excludedSites)
        passwords = kinds.contains(.password)
    }

    /// The events that may go on now, in order; the rest wait for a boundary.
    public func process(_ events: [CapturedEvent]) -> [CapturedEvent] {
        state.withLock { s in
            var out: [CapturedEvent] = []
            for event in events { handle(event, &s, into: &out) }
            return out
        }
    }

    /// Commits what is held once typing has paused long enough.
    public func tick(nowNs: UInt64) -> [CapturedEvent] {
        state.withLock { s in
            guard !s.held.isEmpty, nowNs &- s.lastKeyNs >= Self.quietNs || nowNs &- s.firstHeldNs >= Self.maxHoldNs else { return [] }
            return release(&s)
        }
    }

    /// Commits everything held (the session is ending).
    public func finish() -> [CapturedEvent] {
        state.withLock { s in release(&s) }
    }

    private func handle(_ event: CapturedEvent, _ s: inout State, into out: inout [CapturedEvent]) {
        switch event.body {
        case .focus(let window):
            out += release(&s)
            s.passwordWindow = passwords && Self.passwordTitle(window.title)
            s.passwordLine = false
            out.append(event)
        case .keyDown(let key, _, let mods, let text):
            s.lastKeyNs = event.tNs
            if let text, !text.isEmpty, !mods.contains(.ctrl), !mods.contains(.alt), !mods.contains(.super) {
                if s.held.isEmpty { s.firstHeldNs = event.tNs }
                s.held.append(event)
                s.typed.append((text, s.held.count - 1))
                if s.typed.count >= Self.maxHeld { out += release(&s) }
            } else if key == "BackSpace" {
                s.held.append(event)
                if !s.typed.isEmpty { s.typed.removeLast() }
            } else if key == "Return" || key == "KP_Enter" {
                let line = s.typed.map(\.text).joined()
                s.held.append(event)
                out += release(&s)
                // The line after a command that asks for a password is one.
                s.passwordLine = passwords && Self.asksForPassword(line)
            } else if Self.isModifier(key) {
                if s.held.isEmpty { out.append(event) } else { s.held.append(event) }
            } else {
                // Tab, arrows, Delete, shortcuts: a boundary.
                s.held.append(event)
                out += release(&s)
            }
        case .keyUp:
            if s.held.isEmpty { out.append(event) } else { s.held.append(event) }
        case .pointerDown, .pointerUp, .scroll:
            out += release(&s)
            out.append(event)
        default:
            if s.held.isEmpty { out.append(event) } else { s.held.append(event) }
        }
    }

    /// The held events, scrubbed: spans found in the rebuilt text (or the whole text, in a
    /// password context) lose their key events to one `redacted` event each.
    private func release(_ s: inout State) -> [CapturedEvent] {
        defer {
            s.held.removeAll(keepingCapacity: true)
            s.typed.removeAll(keepingCapacity: true)
        }
        guard !s.held.isEmpty else { return [] }
        var removals: [(what: RedactionKind, downs: [Int])] = []
        if s.passwordLine || s.passwordWindow {
            let downs = s.held.indices.filter { i in
                if case .keyDown(let key, _, _, let text) = s.held[i].body { text != nil || key == "BackSpace" } else { false }
            }
            if !downs.isEmpty { removals.append((.password, downs)) }
        } else if !s.typed.isEmpty {
            let text = s.typed.map(\.text).joined()
            let starts = Self.scalarStarts(s.typed)
            for span in redactor.spans(in: text) {
                let chars = s.typed.indices.filter { starts[$0] >= span.start && starts[$0] < span.end }
                removals.append((span.what, chars.map { s.typed[$0].event }))
            }
        }
        guard !removals.isEmpty else { return s.held }
        return scrub(s.held, removals)
    }

    private func scrub(_ held: [CapturedEvent], _ removals: [(what: RedactionKind, downs: [Int])]) -> [CapturedEvent] {
        var drop = Set<Int>()
        var markers: [Int: CapturedEvent] = [:]
        for removal in removals {
            guard let first = removal.downs.min() else { continue }
            for down in removal.downs {
                drop.insert(down)
                guard case .keyDown(_, let keycode, _, _) = held[down].body else { continue }
                // Its release: the next key.up of the same key.
                if let up = held.indices.first(where: { i in
                    i > down && !drop.contains(i) && { if case .keyUp(_, let code, _) = held[i].body { code == keycode } else { false } }()
                }) {
                    drop.insert(up)
                }
            }
            markers[first] = CapturedEvent(tNs: held[first].tNs, body: .redacted(what: removal.what, count: removal.downs.count))
        }
        var out: [CapturedEvent] = []
        for (i, event) in held.enumerated() {
            if let marker = markers[i] { out.append(marker) }
            if !drop.contains(i) { out.append(event) }
        }
        return out
    }

    /// The scalar offset at which each typed piece starts in the joined text.
    private static func scalarStarts(_ typed: [(text: String, event: Int)]) -> [Int] {
        var offset = 0
        return typed.map { piece in
            defer { offset += piece.text.unicodeScalars.count }
            return offset
        }
    }

    static func isModifier(_ key: String) -> Bool {
        [
            "Shift_L", "Shift_R", "Control_L", "Control_R", "Alt_L", "Alt_R", "Super_L", "Super_R", "Meta_L", "Meta_R",
            "ISO_Level3_Shift", "Caps_Lock", "Num_Lock", "Mode_switch",
        ].contains(key)
    }

    /// A command line that makes the program ask for a password next.
    static func asksForPassword(_ line: String) -> Bool {
        let words = line.split(separator: " ").map(String.init)
        guard let command = words.first else { return false }
        if ["sudo", "su", "ssh", "passwd", "doas", "kinit", "gpg", "ssh-add", "ssh-keygen", "scp", "sftp", "login", "htpasswd"].contains(command) {
            return true
        }
        if ["mysql", "psql", "mariadb"].contains(command) { return words.contains { $0 == "-p" || $0 == "-W" || $0 == "--password" } }
        return line.lowercased().contains("passphrase") || line.lowercased().contains("password:")
    }

    static func passwordTitle(_ title: String) -> Bool {
        let lower = title.lowercased()
        return ["password", "passphrase", "passcode", "pin code", "enter pin", "unlock"].contains { lower.contains($0) }
    }
}
