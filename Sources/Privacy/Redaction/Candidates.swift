import Foundation

/// Where a finding may lie inside a pattern's match, when the match can hold more than the
/// finding. Numbers are rarely alone: a card is followed by its expiry date or preceded by an
/// order number, an IBAN follows a flight number or another IBAN, a phone number runs on into
/// more digits. A pattern cannot tell where one ends, and a checksum over the whole run fails,
/// so each function here proposes the parts worth validating.
///
/// Ranges are in UTF-16 units within the match, ordered by start, best first at each start
/// (``TextRecognizer/find(in:utf16:)`` keeps the first valid one at a start and skips the
/// starts inside it). Each function proposes a bounded number per start, so a long run costs
/// time in proportion to its length.
enum Candidates {
    /// Payment cards in a run of digits split into groups by single spaces or dashes.
    ///
    /// From each group a card can begin with (four digits, or a whole group of 13-19), every
    /// length 13-19, longest first; the card may end inside its last group when it has four
    /// digits of it at least (a card typed straight on into its expiry date). A group alone
    /// is taken whole or not at all: the first 16 digits of a longer plain number are an id's,
    /// not a card's. A run glued to a word (`AT53 6598 1651 6431 2882`, an IBAN with a bad
    /// checksum; a reference) is that word's code: a card may only begin at its start. At most
    /// 7 per group.
    static func cards(_ match: Substring) -> [Range<Int>] {
        let run = DigitRun(match)
        let glued = match.base[..<match.startIndex].last?.isLetter == true
        var found: [Range<Int>] = []
        for group in run.groups where group.count == 4 || (13...19).contains(group.count) {
            let remaining = run.count - group.first
            guard remaining >= 13, !glued || group.first == 0 else { break }
            for length in stride(from: min(19, remaining), through: 13, by: -1) {
                let last = group.first + length - 1
                let lastGroup = run.groups[run.group[last]]
                // Ending inside a group: only inside the card's own last group, with four of its digits.
                let inside = last < lastGroup.first + lastGroup.count - 1
                if inside && (lastGroup.first == group.first || last - lastGroup.first < 3) { continue }
                found.append(run.start[group.first]..<run.end[last])
            }
        }
        return found
    }

    /// The beginnings of payment cards in a run of digits, for text on screen that may be a card
    /// being typed. From the run's first group, and from each group of four after it (not in a
    /// run glued to a word, as ``cards(_:)``), the longest part in a card's grouping: a plain run
    /// of digits, taken whole (at most 18: longer is an id); or groups of four, the last of them
    /// shorter when it is still being typed (`4111 1111 11`), or Amex's 4-6-5; at most 18 digits.
    /// One per group.
    static func cardBeginnings(_ match: Substring) -> [Range<Int>] {
        let run = DigitRun(match)
        let glued = match.base[..<match.startIndex].last?.isLetter == true
        var found: [Range<Int>] = []
        for (index, group) in run.groups.enumerated() where index == 0 || (!glued && group.count == 4) {
            let groups = run.groups[index...].map(\.count)
            let digits = group.count == 4 ? grouped(groups) : group.count
            guard digits <= 18 else { continue }
            found.append(run.start[group.first]..<run.end[group.first + digits - 1])
        }
        return found
    }

    /// How many digits of a card's grouping the groups begin with: the first has four.
    private static func grouped(_ groups: [Int]) -> Int {
        let amex = groups.count > 1 && (5...6).contains(groups[1])
        var digits = 0
        for (i, count) in groups.enumerated() {
            let full = amex ? [4, 6, 5][min(i, 2)] : 4
            guard count <= full, !amex || i < 3, digits + count <= 18 else { break }
            digits += count
            if count < full { break }
        }
        return digits
    }

    /// The beginnings of IBANs in a run of capitals and digits: from the run's start and from
    /// each group after a space that begins like one, up to the country's length or the run's end.
    static func ibanBeginnings(_ run: Substring) -> [Range<Int>] {
        var found: [Range<Int>] = []
        var offset = 0
        var previous: Character?
        for index in run.indices {
            if previous == nil || previous == " ", beginsLikeIBAN(run[index...]) {
                let rest = run[index...]
                found.append(offset..<offset + (Validators.ibanLength(rest) ?? rest.utf16.count))
            }
            previous = run[index]
            offset += run[index].utf16.count
        }
        return found
    }

    /// IBANs in a run of capitals and digits: from the run's start and from each group after a
    /// space that begins like one (two capitals, two digits), the country's length. One per group.
    static func ibans(_ run: Substring) -> [Range<Int>] {
        var found: [Range<Int>] = []
        var offset = 0
        var previous: Character?
        for index in run.indices {
            if previous == nil || previous == " ", beginsLikeIBAN(run[index...]), let length = Validators.ibanLength(run[index...]) {
                found.append(offset..<offset + length)
            }
            previous = run[index]
            offset += run[index].utf16.count
        }
        return found
    }

    /// An international number followed by more digit groups: the run cut at each break
    /// between groups (a space, dot, dash or parenthesis after a digit), longest first.
    static func phones(_ run: Substring) -> [Range<Int>] {
        var ends: [Int] = []
        var offset = 0
        var previous: Character?
        for ch in run {
            if let previous, previous.isNumber || previous == ")", " .-(".contains(ch) { ends.append(offset) }
            offset += ch.utf16.count
            previous = ch
        }
        ends.append(offset)
        return ends.reversed().map { 0..<$0 }
    }

    private static func beginsLikeIBAN(_ s: Substring) -> Bool {
        let head = Array(s.prefix(4))
        return head.count == 4 && head[..<2].allSatisfy { $0.isASCII && $0.isUppercase } && head[2...].allSatisfy(\.isNumber)
    }
}

/// The digits of a run such as `4111 1111-22`, with their UTF-16 offsets and their groups.
/// Anything that is not a digit is a separator: the card pattern allows one space or dash.
private struct DigitRun {
    struct Group {
        /// The index of its first digit.
        var first: Int
        var count: Int
    }

    /// Per digit: where it starts and ends in the run, and the index of its group.
    private(set) var start: [Int] = []
    private(set) var end: [Int] = []
    private(set) var group: [Int] = []
    private(set) var groups: [Group] = []
    var count: Int { start.count }

    init(_ run: Substring) {
        var offset = 0
        var inGroup = false
        for ch in run {
            let width = ch.utf16.count
            defer { offset += width }
            guard ch.isNumber else {
                inGroup = false
                continue
            }
            if !inGroup { groups.append(Group(first: start.count, count: 0)) }
            inGroup = true
            groups[groups.count - 1].count += 1
            start.append(offset)
            end.append(offset + width)
            group.append(groups.count - 1)
        }
    }
}
