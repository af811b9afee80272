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
/// the capture order, and every event keeps the time it was captured at. Held events live only
/// in memory: a crash loses them, never writes them.
///
/// Secrets are typed in pieces: a card number, an IBAN or a phone number group by group while
/// it is read off a card or a letter, split across the fields of a form, an address or a key
/// with a pause in the middle; every piece alone passes the recognizers (too short, a bad
/// checksum), and what is stored cannot be taken back. So a pause, ``maxHeld`` or ``maxHoldNs``
/// commits only what is finished: the end of the text that may still be the start of a secret
/// (``TypedTail``: `4111 1111`, `DE89 3704`, `+44 20`, `jane.doe@exa`, `password=hunt`) stays
/// held, with everything after it, and is judged together with what is typed next. Tab and a
/// click (to the next field of a form) keep such a tail only when it is a number, and read the
/// field boundary as a space, as nothing and as a dash (`4111|1111|…`, `415|555|2671`); Return,
/// a focus change, a scroll and cursor movement end it: the next characters go elsewhere. A
/// tail that ends in a finding is complete at a field boundary, and at a pause unless it is a
/// number (a card has up to 19 digits); what a tail was found to hold stays found while it
/// grows (a longer run can hide a card from its recognizer). A tail is never longer than
/// ``TypedTail/maxLength`` (longer runs keep their last groups) and waits at most
/// ``maxTailNs`` from its first key; then it is judged on its own. The last ``contextLength``
/// characters committed since the last real boundary stay in memory for the recognizers to
/// read before the held text (`password: ` typed before a pause still marks the value).
///
/// Passwords: the line typed after a command that asks for one (`sudo`, `su`, `ssh`, `passwd`,
/// `mysql -p`, `gpg`, `doas`, `kinit`, …; the whole line, though a pause or a Tab completion
/// committed part of it before Return) and anything typed into a window whose title speaks of a
/// password, passphrase or PIN is removed whole, as `password`.
public final class KeystrokeRedactor: Sendable {
    public static let quietNs: UInt64 = 1_500_000_000
    public static let maxHeld = 512
    /// Nothing but a tail is held longer than this, even while typing goes on without a pause.
    public static let maxHoldNs: UInt64 = 10_000_000_000
    /// The longest a tail that may still be the start of a secret waits for the rest, from its
    /// first key: a card read off in groups, or fields filled one by one, take seconds, not minutes.
    public static let maxTailNs: UInt64 = 60_000_000_000
    /// Committed characters the recognizers read before the held text.
    static let contextLength = 80

    /// One typed character and the index of its key.down in `held`; no key for the separator
    /// a field boundary stands for.
    private struct Piece {
        var text: String
        var event: Int?
    }

    private struct State {
        var held: [CapturedEvent] = []
        /// The rebuilt text.
        var typed: [Piece] = []
        var lastKeyNs: UInt64 = 0
        var firstHeldNs: UInt64 = 0
        /// A pause left a tail: it is not judged again before this, unless typing goes on.
        var parkedUntilNs: UInt64?
        /// What was found in the tail when it was judged before: a number that grows can hide a
        /// finding from the recognizers (`4111 1111 1111 1111 12/27`), and that must not undo it.
        var seen: [Finding] = []
        /// The last characters committed since the last real boundary (memory only).
        var context = ""
        /// The line committed so far (its first ``maxHeld`` characters): the command a password
        /// prompt follows may have been typed with a pause or a Tab completion in it.
        var line = ""
        var passwordWindow = false
        var passwordLine = false
    }

    /// What ended a stretch of typing.
    private enum Boundary {
        /// Return, a focus change, a scroll, cursor movement, the end: everything is judged.
        case real
        /// A pause or a hold bound: a tail that may go on stays.
        case pause(nowNs: UInt64)
        /// Tab or a click, maybe to the next field of a form: a number stays.
        case field(nowNs: UInt64)
    }

    /// A finding, as the typed pieces it covers.
    private struct Finding {
        var what: RedactionKind
        var pieces: Range<Int>
        /// What stands for it in the text, when not `[KIND]` (``TextSpan/marker``).
        var token: String?
    }

    /// What a redaction removes: the key.downs of its characters, and what stands for them.
    typealias Removal = (what: RedactionKind, downs: [Int], token: String?)

    private let redactor: TextRedactor
    private let passwords: Bool
    private let state = Mutex(State())

    /// - Parameters:
    ///   - excludedSites: hosts whose names are redacted wherever they are typed.
    ///   - identity: the contributor's own identifiers, redacted wherever they are typed.
    ///   - people: the session's pseudonyms for other people's names (``WindowRules/people``).
    public init(
        kinds: Set<RedactionKind>, excludedSites: [String] = [], identity: SelfIdentity = .none, people: PersonPseudonyms = PersonPseudonyms()
    ) {
        redactor = TextRedactor(kinds: kinds, excludedSites: excludedSites, identity: identity, people: people)
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
            guard !s.held.isEmpty, Self.due(s, nowNs) else { return [] }
            return release(&s, at: .pause(nowNs: nowNs))
        }
    }

    /// Commits everything held (the session is ending).
    public func finish() -> [CapturedEvent] {
        state.withLock { s in release(&s, at: .real) }
    }

    /// A pause long enough or a hold too long; a tail a pause left waits for typing or its bound.
    private static func due(_ s: State, _ nowNs: UInt64) -> Bool {
        if let until = s.parkedUntilNs { return nowNs >= until }
        return nowNs &- s.lastKeyNs >= quietNs || nowNs &- s.firstHeldNs >= maxHoldNs
    }

    private func handle(_ event: CapturedEvent, _ s: inout State, into out: inout [CapturedEvent]) {
        switch event.body {
        case .focus(let window):
            out += release(&s, at: .real)
            s.passwordWindow = passwords && Self.passwordTitle(window.title)
            s.passwordLine = false
            s.line = ""
            out.append(event)
        case .keyDown(let key, _, let mods, let text):
            handleKey(event, key, mods, text, &s, into: &out)
        case .pointerDown, .pointerUp:
            out += release(&s, at: .field(nowNs: event.tNs))
            if s.held.isEmpty { out.append(event) } else { s.held.append(event) }
        case .scroll:
            out += release(&s, at: .real)
            out.append(event)
        default:
            if s.held.isEmpty { out.append(event) } else { s.held.append(event) }
        }
    }

    private func handleKey(
        _ event: CapturedEvent, _ key: String, _ mods: [Modifier], _ text: String?, _ s: inout State, into out: inout [CapturedEvent]
    ) {
        s.lastKeyNs = event.tNs
        let command = mods.contains(.ctrl) || mods.contains(.alt) || mods.contains(.super)
        if let text, !text.isEmpty, !command {
            if s.held.isEmpty { s.firstHeldNs = event.tNs }
            s.parkedUntilNs = nil
            s.held.append(event)
            s.typed.append(Piece(text: text, event: s.held.count - 1))
            if s.typed.count >= Self.maxHeld { out += release(&s, at: .pause(nowNs: event.tNs)) }
        } else if key == "BackSpace" {
            s.parkedUntilNs = nil
            s.held.append(event)
            if !s.typed.isEmpty { s.typed.removeLast() }
            s.seen.removeAll { $0.pieces.upperBound > s.typed.count }
        } else if key == "Return" || key == "KP_Enter" {
            s.held.append(event)
            out += release(&s, at: .real)
            // The line after a command that asks for a password is one.
            s.passwordLine = passwords && Self.asksForPassword(s.line)
            s.line = ""
        } else if Self.isModifier(key) {
            if s.held.isEmpty { out.append(event) } else { s.held.append(event) }
        } else {
            // Tab: maybe the next field. Arrows, Delete, shortcuts: the next characters go elsewhere.
            s.held.append(event)
            out += release(&s, at: key == "Tab" && !command ? .field(nowNs: event.tNs) : .real)
        }
    }

    /// The held events, scrubbed, up to the tail that stays held (all of them at a real
    /// boundary): spans found in the rebuilt text (or the whole text, in a password context)
    /// lose their key events to one `redacted` event each.
    private func release(_ s: inout State, at boundary: Boundary) -> [CapturedEvent] {
        guard !s.held.isEmpty else { return [] }
        if s.passwordLine || s.passwordWindow {
            s.context = ""
            return releaseAll(&s, Self.passwordRemovals(s.held))
        }
        let findings = Self.merged(findings(s), s.seen)
        guard let kept = tail(s, findings, boundary) else {
            // After a pause the same text goes on; after a field boundary it is another text.
            let continued = if case .pause = boundary { true } else { false }
            Self.commit(s.typed[...], &s, continued: continued)
            return releaseAll(&s, Self.removals(s.typed, findings, before: s.typed.count))
        }
        let out = releasePrefix(&s, before: kept.start, findings, nowNs: kept.nowNs)
        switch boundary {
        case .pause:
            let first = s.typed.lazy.compactMap(\.event).first.map { s.held[$0].tNs } ?? kept.nowNs
            s.parkedUntilNs = first &+ Self.maxTailNs
        case .field:
            // The field boundary: a separator no key typed, unless one ends the field.
            if let last = s.typed.last?.text, last != " ", last != "-" { s.typed.append(Piece(text: " ", event: nil)) }
        case .real:
            break
        }
        return out
    }

    /// Where the part that stays held begins in `typed`, and the boundary's time; nil when
    /// everything goes.
    private func tail(_ s: State, _ findings: [Finding], _ boundary: Boundary) -> (start: Int, nowNs: UInt64)? {
        let nowNs: UInt64
        switch boundary {
        case .real: return nil
        case .pause(let t), .field(let t): nowNs = t
        }
        let pieces = s.typed.map(\.text)
        guard var start = TypedTail.start(of: pieces) else { return nil }
        let field = if case .field = boundary { true } else { false }
        let number = TypedTail.isNumber(pieces[start...])
        if field, !number { return nil }
        // A field, or a word, with a secret found at its end is complete; a number typed on
        // after a pause can still grow (a card has up to 19 digits).
        let end = pieces.last == " " ? pieces.count - 1 : pieces.count
        if field || !number, findings.contains(where: { $0.pieces.upperBound >= end }) { return nil }
        // A finding that reaches into the tail stays held whole with it.
        if let across = findings.first(where: { $0.pieces.lowerBound < start && $0.pieces.contains(start) }) { start = across.pieces.lowerBound }
        start = TypedTail.bounded(start, pieces)
        guard let first = s.typed[start...].lazy.compactMap(\.event).first, nowNs &- s.held[first].tNs < Self.maxTailNs else { return nil }
        return (start, nowNs)
    }

    /// Commits the held events before the tail's first key; the tail and everything after it
    /// stay held, in order, less the key.ups of keys a redaction just removed.
    private func releasePrefix(_ s: inout State, before start: Int, _ findings: [Finding], nowNs: UInt64) -> [CapturedEvent] {
        let cut = s.typed[start...].lazy.compactMap(\.event).first ?? s.held.count
        let scrub = Scrub(s.held, Self.removals(s.typed, findings, before: start))
        let out = scrub.events(s.held, before: cut)
        var moved: [Int: Int] = [:]
        var kept: [CapturedEvent] = []
        for i in cut..<s.held.count where !scrub.dropped.contains(i) {
            moved[i] = kept.count
            kept.append(s.held[i])
        }
        Self.commit(s.typed[..<start], &s, continued: true)
        s.seen = findings.compactMap { finding in
            let held = finding.pieces.clamped(to: start..<s.typed.count)
            return held.isEmpty
                ? nil : Finding(what: finding.what, pieces: held.lowerBound - start..<held.upperBound - start, token: finding.token)
        }
        s.typed = s.typed[start...].map { Piece(text: $0.text, event: $0.event.flatMap { moved[$0] }) }
        s.held = kept
        // What is typed from now on is held no longer than ever; the tail has its own bound.
        s.firstHeldNs = nowNs
        return out
    }

    private func releaseAll(_ s: inout State, _ removals: [Removal]) -> [CapturedEvent] {
        defer {
            s.held.removeAll(keepingCapacity: true)
            s.typed.removeAll(keepingCapacity: true)
            s.parkedUntilNs = nil
            s.seen.removeAll()
        }
        return Scrub(s.held, removals).events(s.held, before: s.held.count)
    }

    /// The findings in the held text, read after the context. A field boundary is read as a
    /// space, as nothing and as a dash (forms split a card in fours, a phone number as
    /// 415|555|2671, and recognizers want their separators); the first reading wins where they overlap.
    private func findings(_ s: State) -> [Finding] {
        let readings = s.typed.contains { $0.event == nil } ? [" ", "", "-"] : [" "]
        var found: [Finding] = []
        for separator in readings {
            for finding in findings(s, reading: separator) where !found.contains(where: { $0.pieces.overlaps(finding.pieces) }) {
                found.append(finding)
            }
        }
        return found
    }

    /// `found`, and what was `seen` before where it does not overlap what is found now.
    private static func merged(_ found: [Finding], _ seen: [Finding]) -> [Finding] {
        let kept = seen.filter { old in !found.contains { $0.pieces.overlaps(old.pieces) } }
        return (found + kept).sorted { $0.pieces.lowerBound < $1.pieces.lowerBound }
    }

    private func findings(_ s: State, reading separator: String) -> [Finding] {
        let texts = s.typed.map { $0.event == nil ? separator : $0.text }
        var starts: [Int] = []
        var offset = s.context.unicodeScalars.count
        for text in texts {
            starts.append(offset)
            offset += text.unicodeScalars.count
        }
        return redactor.spans(in: s.context + texts.joined()).compactMap { span in
            let lower = starts.firstIndex { $0 >= span.start } ?? starts.count
            let upper = starts.firstIndex { $0 >= span.end } ?? starts.count
            return lower < upper ? Finding(what: span.what, pieces: lower..<upper, token: span.marker) : nil
        }
    }

    /// The key.downs of each finding's characters before `end`: a finding found in the
    /// context is already stored, and one running into the tail is redacted with it.
    private static func removals(_ typed: [Piece], _ findings: [Finding], before end: Int) -> [Removal] {
        findings.compactMap { finding in
            let downs = typed[finding.pieces.clamped(to: 0..<end)].compactMap(\.event)
            // A token stands for the whole finding; a finding cut at `end` keeps only its kind.
            let whole = finding.pieces.upperBound <= end
            return downs.isEmpty ? nil : (finding.what, downs, whole ? finding.token : nil)
        }
    }

    /// In a password context every character typed goes, and every BackSpace.
    private static func passwordRemovals(_ held: [CapturedEvent]) -> [Removal] {
        let downs = held.indices.filter { i in
            if case .keyDown(let key, _, _, let text) = held[i].body { text != nil || key == "BackSpace" } else { false }
        }
        return downs.isEmpty ? [] : [(.password, downs, nil)]
    }

    /// Notes `released` as committed: in the line, and in the context the next judgment reads
    /// (none after a boundary to another text).
    private static func commit(_ released: ArraySlice<Piece>, _ s: inout State, continued: Bool) {
        let text = released.map(\.text).joined()
        s.line = String(String.UnicodeScalarView((s.line + text).unicodeScalars.prefix(maxHeld)))
        s.context = continued ? String(String.UnicodeScalarView((s.context + text).unicodeScalars.suffix(contextLength))) : ""
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

/// Which held events a redaction removes, and the `redacted` events that stand in for them.
private struct Scrub {
    private(set) var dropped = Set<Int>()
    private var markers: [Int: CapturedEvent] = [:]

    init(_ held: [CapturedEvent], _ removals: [KeystrokeRedactor.Removal]) {
        for removal in removals {
            guard let first = removal.downs.min() else { continue }
            for down in removal.downs {
                dropped.insert(down)
                if let up = Self.release(of: down, in: held, skipping: dropped) { dropped.insert(up) }
            }
            markers[first] = CapturedEvent(
                tNs: held[first].tNs, body: .redacted(what: removal.what, count: removal.downs.count, token: removal.token))
        }
    }

    /// The held events before `end`, less the dropped ones, with the markers in their place.
    func events(_ held: [CapturedEvent], before end: Int) -> [CapturedEvent] {
        var out: [CapturedEvent] = []
        for i in 0..<end {
            if let marker = markers[i] { out.append(marker) }
            if !dropped.contains(i) { out.append(held[i]) }
        }
        return out
    }

    /// The key.up of the key pressed at `down`: the next one of its keycode, before that key is
    /// pressed again (a tail still held may hold the same key's next press and release).
    private static func release(of down: Int, in held: [CapturedEvent], skipping dropped: Set<Int>) -> Int? {
        guard case .keyDown(_, let keycode, _, _) = held[down].body else { return nil }
        for i in held.indices.dropFirst(down + 1) where !dropped.contains(i) {
            switch held[i].body {
            case .keyUp(_, let code, _) where code == keycode: return i
            case .keyDown(_, let code, _, _) where code == keycode: return nil
            default: continue
            }
        }
        return nil
    }
}
