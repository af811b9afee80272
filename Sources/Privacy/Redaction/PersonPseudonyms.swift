import Synchronization

/// Stable pseudonyms for the people named on screen, `⟨person:1⟩`, `⟨person:2⟩`, …, numbered
/// in the order they first appear in a recording session.
///
/// A trajectory must stay readable — "reply to ⟨person:3⟩" has to mean the person the mail
/// came from — so one person keeps one number however the name is written: `Maria Rossi`,
/// `Rossi, Maria`, `maria rossi`, `Hi Maria,` (when only one Maria is known) and `@maria.rossi`
/// all get the same. The table lives in memory for the session only and is never written:
/// the numbers say nothing across sessions, and the names are nowhere to be read back.
public final class PersonPseudonyms: Sendable {
    private struct State {
        var numbers: [String: Int] = [:]
        /// Which people a single part (`maria`, `rossi`) may stand for.
        var owners: [String: Set<Int>] = [:]
        /// People first seen by one part who have since been seen by their full name.
        var completed: Set<Int> = []
        var next = 1
    }

    /// Beyond this many names, new ones still get numbers but are not remembered: the table's
    /// memory stays bounded however long a session runs.
    public static let capacity = 20_000

    private let state = Mutex(State())

    public init() {}

    /// The token for a person whose name has these parts (folded, given name first).
    public func token(for parts: [String]) -> String { "⟨person:\(number(for: parts))⟩" }

    /// Whether `part` was part of a longer name earlier in the session: a later `Rossi` alone
    /// is then that person too (``PersonNameFinder``).
    public func knows(_ part: String) -> Bool { state.withLock { ($0.owners[part]?.isEmpty == false) } }

    func number(for parts: [String]) -> Int {
        let key = parts.joined(separator: " ")
        return state.withLock { s in
            if let known = s.numbers[key] { return known }
            // One part alone: the one person known by it, if only one is.
            if parts.count == 1, let owners = s.owners[key], owners.count == 1 { return owners.first! }
            // A full name whose given or family name was seen alone before (`Hi Maria,` then
            // `Maria Rossi`): that person, unless another full name already claimed them.
            let ends = parts.count > 1 ? Set([parts[0], parts[parts.count - 1]].compactMap { s.numbers[$0] }) : []
            let number: Int
            if ends.count == 1, let alone = ends.first, !s.completed.contains(alone) {
                number = alone
                s.completed.insert(alone)
            } else {
                number = s.next
                s.next += 1
            }
            guard s.numbers.count < Self.capacity else { return number }
            s.numbers[key] = number
            if parts.count > 1 { for part in parts where part.count >= 3 { s.owners[part, default: []].insert(number) } }
            return number
        }
    }
}
