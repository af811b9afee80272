import Foundation

/// The end of typed text that may still be the beginning of a secret, and so must not be
/// judged yet: card numbers, IBANs and phone numbers are typed in groups while they are read
/// off a card or a letter, addresses and keys a piece at a time, and every piece alone passes
/// the recognizers (too short, a bad checksum).
///
/// Text is given as pieces, one per key; `" "` is a separator (a typed space, or the one a
/// field boundary stands for). A *group* is a word with a digit, or of one to four capitals
/// (an IBAN's `WEST`, a National Insurance number's `AB`): the stuff numbers are typed in.
enum TypedTail {
    /// No recognizable secret is longer (an IBAN: 34 characters and 8 spaces; a card: 19
    /// digits and their separators; keys: 40): a longer run is cut to its last groups.
    static let maxLength = 64

    /// Where the tail begins, or nil when the text ends in a finished word. The tail is the
    /// last word when it has a digit, an `@` or a symbol of addresses and keys in it, or is a
    /// group followed by one space (`4111 ` may go on), together with the groups before it,
    /// one space apart (`4111 1111`, `DE89 3704`, `+1 415 555`). ``bounded(_:_:)`` then keeps it short.
    static func start(of pieces: [String]) -> Int? {
        let spaced = pieces.last == " "
        let end = spaced ? pieces.count - 1 : pieces.count
        var start = wordStart(pieces, end)
        guard start < end else { return nil }
        let last = pieces[start..<end].joined()
        guard isGroup(last) || (!spaced && mayBegin(last)) else { return nil }
        if isGroup(last) {
            while start >= 2, pieces[start - 1] == " ", pieces[start - 2] != " " {
                let earlier = wordStart(pieces, start - 1)
                guard isGroup(pieces[earlier..<start - 1].joined()) else { break }
                start = earlier
            }
        }
        return start
    }

    /// A tail made of groups only, with a digit: a number, which a form may split across fields.
    static func isNumber(_ pieces: ArraySlice<String>) -> Bool {
        let words = pieces.joined().split(separator: " ").map(String.init)
        return !words.isEmpty && words.allSatisfy(isGroup) && words.contains { $0.contains(where: \.isNumber) }
    }

    static func isGroup(_ word: String) -> Bool {
        word.contains(where: \.isNumber) || ((1...4).contains(word.count) && word.allSatisfy { $0.isASCII && $0.isUppercase })
    }

    /// A word that a secret may begin with: a group, or one with an `@` or a symbol of
    /// addresses, URLs and keys (`jane.doe`, `ghp_`, `sk-`, `https:`, `password=`). A plain word,
    /// or one ending a sentence, is finished: it goes out after the pause.
    static func mayBegin(_ word: String) -> Bool {
        isGroup(word) || word.contains { "@_+-:/%=#~".contains($0) } || word.dropLast().contains(".")
    }

    private static func wordStart(_ pieces: [String], _ end: Int) -> Int {
        var start = end
        while start > 0, pieces[start - 1] != " " { start -= 1 }
        return start
    }

    /// `start`, or later when the run is longer than ``maxLength``: at the first group that
    /// begins within the last ``maxLength`` pieces.
    static func bounded(_ start: Int, _ pieces: [String]) -> Int {
        let earliest = pieces.count - maxLength
        guard start < earliest else { return start }
        return (earliest..<pieces.count).first { $0 > 0 && pieces[$0 - 1] == " " && pieces[$0] != " " } ?? earliest
    }
}
