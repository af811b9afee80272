import Foundation
import UnderstudyModel

/// Finds personal data and secrets in text and removes them.
///
/// Every recognizer (``TextRecognizers``) runs over the whole text; overlapping findings are
/// merged (the longer one wins, then the earlier recognizer, the contributor's own
/// identifiers first; a whole value wins over a beginning), and each finding is replaced by
/// a marker such as `[EMAIL]`, the contributor's identifiers by their tokens (``SelfIdentity``),
/// other people's names by their pseudonyms (``PersonNameFinder``, ``PersonPseudonyms``).
/// Offsets are in Unicode scalars, as Python indexes strings.
public struct TextRedactor: Sendable {
    /// The kinds a policy turned on.
    public let kinds: Set<RedactionKind>
    private let recognizers: [TextRecognizer]
    private let beginnings: [TextRecognizer]
    private let identity: [TextRecognizer]
    private let names: PersonNameFinder?
    private let people: PersonPseudonyms

    /// - Parameters:
    ///   - excludedSites: hosts kept out of capture (``WindowRules/excludedSites``): each, and
    ///     its subdomains, is found as `custom` wherever it is typed or named.
    ///   - beginnings: also find what may be the beginning of a value (``TextRecognizers/beginnings``),
    ///     for text read off the screen, which may show a value half typed.
    ///   - identity: the contributor's own identifiers, found whatever the policy's kinds
    ///     (they are the contributor's protection, not the organisation's choice).
    ///   - people: the session's pseudonyms for other people's names (`person_name`); a
    ///     redactor of its own numbers them by itself. The names come from
    ///     ``NameLists/shipped()``, which whoever runs under a policy asking for `person_name`
    ///     checks first: without them this redactor finds no names.
    public init(
        kinds: Set<RedactionKind> = Set(RedactionKind.allCases), excludedSites: [String] = [], beginnings: Bool = false,
        identity: SelfIdentity = .none, people: PersonPseudonyms = PersonPseudonyms()
    ) {
        self.kinds = kinds
        self.people = people
        names = kinds.contains(.personName) ? (try? NameLists.shipped()).map { PersonNameFinder(lists: $0) } : nil
        self.identity = identity.recognizers
        recognizers = TextRecognizers.all.filter { kinds.contains($0.what) } + (TextRecognizers.sites(excludedSites).map { [$0] } ?? [])
        self.beginnings = beginnings ? TextRecognizers.beginnings.filter { kinds.contains($0.what) } : []
    }

    /// The ids of the recognizers in use, for `understudy redact --list`.
    public var recognizerIDs: [String] { (identity + recognizers).map(\.id) + (names == nil ? [] : [Self.personID]) + beginnings.map(\.id) }

    static let personID = "person-name"

    public func spans(in text: String) -> [TextSpan] {
        let whole = NSRange(text.startIndex..., in: text)
        let trigger = TriggerText(text)
        func findings(_ recognizers: [TextRecognizer], people: [PersonNameFinder.Finding] = []) -> [Finding] {
            var found: [Finding] = []
            for recognizer in recognizers where recognizer.trigger.fires(trigger) {
                for range in recognizer.find(in: text, utf16: whole) {
                    found.append(Finding(range, recognizer.what, recognizer.id, recognizer.marker))
                }
            }
            for person in people {
                let range = NSRange(location: person.range.lowerBound, length: person.range.count)
                found.append(Finding(range, .personName, Self.personID, nil, person: person.parts))
            }
            // Longest first, then in recognizer order.
            return found.enumerated().sorted { ($1.element.range.length, $0.offset) < ($0.element.range.length, $1.offset) }.map(\.element)
        }
        // Whole values (the contributor's identifiers among them, first where as long), then
        // beginnings (a card's run may go on into its expiry date, which stays); drop what
        // overlaps something already kept. A longer value holding an identifier wins whole:
        // `bob.alice@example.org` is Bob's address, not `bob.⟨self:user⟩@…`.
        let named = names?.find(in: text, knows: people.knows) ?? []
        let found = Self.ownPromptsKept(findings(identity + recognizers, people: named) + findings(beginnings), in: text)
        var taken = [Bool](repeating: false, count: text.utf16.count)
        var kept: [Finding] = []
        for candidate in found {
            let indices = candidate.range.location..<NSMaxRange(candidate.range)
            guard !indices.contains(where: { taken[$0] }) else { continue }
            for i in indices { taken[i] = true }
            kept.append(candidate)
        }
        kept.sort { $0.range.location < $1.range.location }
        let scalars = ScalarOffsets(text)
        return kept.map {
            TextSpan(
                start: scalars.offset(utf16: $0.range.location), end: scalars.offset(utf16: NSMaxRange($0.range)),
                what: $0.what, recognizer: $0.id, marker: $0.person.map(people.token) ?? $0.marker)
        }
    }

    /// A login at a host that are both the contributor's (`amartin@alice-laptop`, a shell
    /// prompt) keeps its two tokens, `⟨self:user⟩@⟨self:host⟩`, rather than one `[EMAIL]`:
    /// the prompt stays readable and names no one either way.
    private static func ownPromptsKept(_ found: [Finding], in text: String) -> [Finding] {
        let own = found.filter { $0.id.hasPrefix("self-") }
        guard !own.isEmpty else { return found }
        let units = Array(text.utf16)
        var covered = Set<Int>()
        for f in own { covered.formUnion(f.range.location..<NSMaxRange(f.range)) }
        return found.filter { f in
            f.what != .email || f.id.hasPrefix("self-")
                || !(f.range.location..<NSMaxRange(f.range)).allSatisfy { covered.contains($0) || units[$0] == 0x40 }
        }
    }

    private struct Finding {
        var range: NSRange
        var what: RedactionKind
        var id: String
        var marker: String?
        /// A person's name, by its parts: its marker is the person's pseudonym.
        var person: [String]?

        init(_ range: NSRange, _ what: RedactionKind, _ id: String, _ marker: String?, person: [String]? = nil) {
            (self.range, self.what, self.id, self.marker, self.person) = (range, what, id, marker, person)
        }
    }

    /// The text with every finding replaced by `[KIND]` (or its token), and the findings (offsets into the original).
    public func redact(_ text: String) -> (text: String, spans: [TextSpan]) {
        let spans = spans(in: text)
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var position = 0
        for span in spans {
            out.append(contentsOf: scalars[position..<span.start])
            out.append(contentsOf: span.replacement.unicodeScalars)
            position = span.end
        }
        out.append(contentsOf: scalars[position...])
        return (String(out), spans)
    }
}

/// Converts UTF-16 offsets (NSRange) to Unicode scalar offsets.
struct ScalarOffsets {
    private var utf16ToScalar: [Int]

    init(_ text: String) {
        utf16ToScalar = []
        utf16ToScalar.reserveCapacity(text.utf16.count + 1)
        var index = 0
        for scalar in text.unicodeScalars {
            for _ in 0..<scalar.utf16.count { utf16ToScalar.append(index) }
            index += 1
        }
        utf16ToScalar.append(index)
    }

    func offset(utf16: Int) -> Int { utf16ToScalar[min(utf16, utf16ToScalar.count - 1)] }
}
