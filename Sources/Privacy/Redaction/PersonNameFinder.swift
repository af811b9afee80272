import Foundation

/// Finds the names of people in text: the colleagues, customers and friends on a screen of
/// mail or chat, who never agreed to be recorded.
///
/// A capitalised word is a person only with evidence, so common words, products and places
/// stay (`Will`, `Jasmine tests`, `Paris office`):
/// - a full name: a known given name, then a known family name or one shaped like one
///   (`-son`, `-ski`, `-opoulos`, `-ов`), with middle names, initials and particles between
///   (`Anna Maria de la Cruz`, `John F. Kennedy`). A given name that is also a word (`Mark`)
///   needs a family name that is not (`Mark Johnson`, not `Mark White`);
/// - context, which makes a single or unknown name one: a greeting (`Hi Maria,`, `Liebe
///   Anna`, `Привет, Олег`), a title (`Dr. Okafor`, `Frau Weber`), a mail header
///   (`From:`, `To:`, `Cc:`, `Von:`, `De :`, `От:`), a signature after a sign-off (`Best
///   regards,⏎Maria Rossi`), an @-mention (`@maria.rossi`), a name before an address in
///   angle brackets (`Maria Rossi <m.rossi@…>`), a chat speaker (`[10:42] Tom:`, `<tom>`);
/// - once a name is found, its parts elsewhere in the same text (`Rossi` later on), and the
///   parts of names found earlier in the session (``PersonPseudonyms/knows(_:)``).
///
/// Each finding carries a key (the name folded, given name first) so one person gets one
/// pseudonym however the name is written (``PersonPseudonyms``).
struct PersonNameFinder: Sendable {
    let lists: NameLists

    struct Finding: Equatable {
        /// UTF-16 offsets into the text.
        var range: Range<Int>
        /// The name's parts, folded, given name first.
        var parts: [String]
    }

    /// The names in `text`, in order; `knows` says whether a part was a name earlier on.
    func find(in text: String, knows: (String) -> Bool = { _ in false }) -> [Finding] {
        let tokens = Token.split(text)
        guard !tokens.isEmpty else { return [] }
        var marked = [Bool](repeating: false, count: tokens.count)
        var found: [(first: Int, last: Int, parts: [String])] = []
        func take(_ first: Int, _ last: Int, order: [Int]? = nil) {
            guard first <= last, !(first...last).contains(where: { marked[$0] }) else { return }
            for i in first...last { marked[i] = true }
            let names = (order ?? Array(first...last)).filter { !Self.particles.contains(tokens[$0].key) && !tokens[$0].isInitial }
            let parts = names.flatMap { i in
                tokens[i].isMention ? tokens[i].key.split(whereSeparator: { ".-_".contains($0) }).map(String.init) : [tokens[i].key]
            }
            found.append((first, last, parts))
        }
        for (first, last, order) in contextNames(tokens, text) { take(first, last, order: order) }
        for (first, last) in fullNames(tokens) { take(first, last) }
        // The parts of what was found, and of names known from before, wherever else they stand.
        let parts = Set(found.flatMap(\.parts).filter { $0.count >= 3 && !isCommon($0) })
        for (i, token) in tokens.enumerated() where !marked[i] && token.isCapitalized && token.key.count >= 3 {
            if parts.contains(token.key) || (token.key.count >= 4 && !isCommon(token.key) && isName(token) && knows(token.key)) { take(i, i) }
        }
        return found.sorted { $0.first < $1.first }.map {
            Finding(range: tokens[$0.first].range.lowerBound..<tokens[$0.last].range.upperBound, parts: $0.parts)
        }
    }

    // MARK: - Full names, found without context

    private func fullNames(_ t: [Token]) -> [(Int, Int)] {
        var names: [(Int, Int)] = []
        var i = 0
        while i < t.count {
            if let end = fullName(startingAt: i, t) {
                names.append((i, end))
                i = end + 1
            } else {
                i += 1
            }
        }
        return names
    }

    /// The last token of a full name starting at `i`, if one does.
    private func fullName(startingAt i: Int, _ t: [Token]) -> Int? {
        guard t[i].isCapitalized || t[i].isAllCaps, let givenCommon = lists.given[t[i].key] else { return nil }
        var j = i + 1
        // Further given names and initials: `Anna Maria`, `John F.`.
        while j < t.count, j - i < 3, t[j].followsOnLine,
            t[j].isInitial || (t[j].isCapitalized && lists.given[t[j].key] == false && lists.family[t[j].key] == nil)
        {
            j += 1
        }
        var particle = false
        while j < t.count, t[j].followsOnLine, Self.particles.contains(t[j].key) {
            particle = true
            j += 1
        }
        guard j < t.count, t[j].followsOnLine, t[j].isCapitalized || (t[i].isAllCaps && t[j].isAllCaps) else {
            // Two given names and nothing after (`Anna Maria`) are a name when neither is a word.
            let last = j - 1
            return last > i && !givenCommon && !t[last].isInitial && lists.given[t[last].key] == false ? last : nil
        }
        let familyCommon = lists.family[t[j].key]
        let known = familyCommon != nil || lists.given[t[j].key] == false
        let shaped = Self.surnameShaped(t[j].key)
        if t[i].isAllCaps {
            guard t[j].isAllCaps, givenCommon == false, familyCommon == false else { return nil }
        } else if givenCommon {
            guard familyCommon == false || (shaped && familyCommon == nil) else { return nil }
        } else {
            guard known || shaped || particle else { return nil }
        }
        // A second family name: `García Márquez`, `Müller Lüdenscheidt`.
        if j + 1 < t.count, t[j + 1].followsOnLine, t[j + 1].isCapitalized, lists.family[t[j + 1].key] == false { return j + 1 }
        return j
    }

    // MARK: - Names that context makes names

    /// (first, last, order of parts) of each name context shows.
    private func contextNames(_ t: [Token], _ text: String) -> [(Int, Int, [Int]?)] {
        var found: [(Int, Int, [Int]?)] = []
        var i = 0
        while i < t.count {
            let key = t[i].key
            var next: Int?
            if t[i].atLineStart, Self.headers.contains(key), t[i].followedBy(":", in: text) {
                found += headerNames(after: i, t, text)
                next = t.firstIndex(where: { $0.range.lowerBound > t[i].range.lowerBound && $0.atLineStart }) ?? t.count
            } else if Self.honorifics.contains(key), i + 1 < t.count, t[i + 1].followsOnLine || t[i + 1].followsAfter(".", in: text),
                let end = run(from: i + 1, t, maxLength: 3)
            {
                found.append((i + 1, end, nil))
                next = end + 1
            } else if let start = greetingEnd(at: i, t), start < t.count {
                for (first, last) in listedNames(from: start, t, text) { found.append((first, last, nil)) }
            } else if let start = signOffEnd(at: i, t, text), start < t.count, let end = signature(from: start, t, text) {
                found.append((start, end, nil))
                next = end + 1
            } else if t[i].isMention, let end = mention(at: i, t) {
                found.append((i, end, nil))
                next = end + 1
            } else if t[i].lead != nil, let end = speaker(at: i, t, text) {
                found.append((i, end, nil))
                next = end + 1
            }
            i = next ?? i + 1
        }
        // A name just before an address in angle brackets: `Maria Rossi <maria@example.org>`.
        for (i, token) in t.enumerated() where token.isCapitalized && token.followedBy("<", in: text) && token.angleAddressFollows(in: text) {
            var first = i
            while first > 0, i - first < 3, t[first - 1].isCapitalized, t[first].followsOnLine { first -= 1 }
            found.append((first, i, nil))
        }
        return found
    }

    /// The names in a header's line, each item of its list: `Maria Rossi <…>, "Weber, Anna" <…>; Tom`.
    private func headerNames(after h: Int, _ t: [Token], _ text: String) -> [(Int, Int, [Int]?)] {
        var found: [(Int, Int, [Int]?)] = []
        var i = h + 1
        while i < t.count, !t[i].atLineStart {
            guard t[i].isCapitalized || t[i].isAllCaps, let end = run(from: i, t, maxLength: 4, allCaps: true) else {
                i += 1
                continue
            }
            // `Weber, Anna`: family name, a comma, given name, as one name (in quotes, whatever the names).
            let quoted = t[i].followsAfter("\"", in: text) || t[i].followsAfter(":\"", in: text)
            if end + 1 < t.count, !t[end + 1].atLineStart, t[end + 1].followsAfter(",", in: text),
                quoted || lists.given[t[end + 1].key] != nil && (lists.given[t[i].key] == nil || lists.family[t[i].key] != nil),
                let last = run(from: end + 1, t, maxLength: 2)
            {
                found.append((i, last, Array(end + 1...last) + Array(i...end)))
                i = last + 1
                continue
            }
            let named = (i...end).contains { isName(t[$0]) } || t[end].followedBy("<", in: text) || t[end].followedBy("\"", in: text)
            if named { found.append((i, end, nil)) }
            i = end + 1
        }
        return found
    }

    /// After a greeting: one name, or several joined by `and`, `&` or commas (`Hi Maria and Tom,`).
    private func listedNames(from start: Int, _ t: [Token], _ text: String) -> [(Int, Int)] {
        var names: [(Int, Int)] = []
        var i = start
        while i < t.count, i == start || t[i].followsOnLine || (t[i].followsAfter(",", in: text) && !t[i].atLineStart) {
            guard !Self.addressees.contains(t[i].key), t[i].isCapitalized || (t[i].isAllCaps && isName(t[i])),
                let end = run(from: i, t, maxLength: 3), isName(t[i]) || unknownAlone(i, end, t, text)
            else { break }
            names.append((i, end))
            i = end + 1
            guard i < t.count, Self.conjunctions.contains(t[i].key) || t[i].followsAfter(",", in: text) else { break }
            if Self.conjunctions.contains(t[i].key) { i += 1 }
        }
        return names
    }

    /// The token after a greeting that starts at `i` (`Hi`, `Good morning`, `Thank you`), if one does.
    private func greetingEnd(at i: Int, _ t: [Token]) -> Int? {
        let key = t[i].key
        let next = i + 1 < t.count && t[i + 1].followsOnLine ? t[i + 1].key : nil
        if key == "γεια", let next, ["σου", "σασ"].contains(next) { return i + 2 }
        if Self.greetings.contains(key) { return i + 1 }
        guard next != nil else { return nil }
        if key == "good", ["morning", "afternoon", "evening", "day"].contains(t[i + 1].key) { return i + 2 }
        if key == "thank", t[i + 1].key == "you" { return i + 2 }
        if ["buenos", "buenas", "guten", "bom", "boa", "добрый", "доброе", "καλημέρα"].contains(key) { return i + 2 }
        return nil
    }

    /// The first token of the signature after a sign-off at `i` (`Best regards,` `Thanks,`), if one does.
    private func signOffEnd(at i: Int, _ t: [Token], _ text: String) -> Int? {
        var j = i
        while j < t.count, j - i < 4, Self.signOffs.contains(t[j].key), j == i || t[j].followsOnLine { j += 1 }
        guard j > i, j < t.count else { return nil }
        // The sign-off ends its line or is followed by a comma or a dash: `Thanks, Tom`.
        guard t[j].atLineStart || t[j].followsAfter(",", in: text) || t[j].followsAfter("-", in: text) else { return nil }
        return j
    }

    /// A signature: one to three capitalised words, alone on their line or ending the text.
    private func signature(from i: Int, _ t: [Token], _ text: String) -> Int? {
        guard t[i].isCapitalized, let end = run(from: i, t, maxLength: 3) else { return nil }
        guard (i...end).contains(where: { isName(t[$0]) }) || unknownAlone(i, end, t, text) else { return nil }
        return end + 1 == t.count || t[end + 1].atLineStart ? end : nil
    }

    /// `@maria`, `@maria.rossi`, `@Maria Rossi`: a handle whose first part is a known name, or
    /// that is shaped `given.family`.
    private func mention(at i: Int, _ t: [Token]) -> Int? {
        let parts = t[i].key.split(whereSeparator: { $0 == "." || $0 == "_" || $0 == "-" }).map(String.init)
        guard let first = parts.first, !Self.addressees.contains(first) else { return nil }
        let shaped = parts.count == 2 && t[i].key.contains(".") && parts.allSatisfy { $0.count >= 2 && $0.allSatisfy(\.isLetter) }
        guard shaped || lists.given[first] != nil || lists.family[first] != nil else { return nil }
        if i + 1 < t.count, t[i + 1].followsOnLine, t[i].isCapitalized, t[i + 1].isCapitalized, lists.family[t[i + 1].key] != nil { return i + 1 }
        return i
    }

    /// A chat speaker at the start of a line: `Tom:`, `Maria Rossi:`, `<tom>`, `Maria Rossi  10:42`.
    private func speaker(at i: Int, _ t: [Token], _ text: String) -> Int? {
        // An IRC nick: `<olga> hi`, any nick but markup's (`<div>`).
        if t[i].lead == Array("<".utf16), t[i].after.starts(with: Array("> ".utf16)), !Self.markup.contains(t[i].key), t[i].key.count >= 3 {
            return i
        }
        guard t[i].isCapitalized, let end = run(from: i, t, maxLength: 3) else { return nil }
        // A log's or a config's `Jenkins:` is not a speaker: one word must be a name and not a
        // word too, unless a chat's timestamp stands before (`[10:42] Keoni:`).
        let timed = t[i].afterTimestamp(in: text)
        let named = (i...end).contains { isName(t[$0]) && !isCommon(t[$0].key) } || (timed && i == end && !isWord(t[i]))
        guard named, !Self.headers.contains(t[i].key) else { return nil }
        return t[end].followedBy(":", in: text) && !t[end].followedBy("://", in: text) || t[end].followedByTime(in: text) ? end : nil
    }

    /// The last of up to `maxLength` capitalised tokens on one line from `i`, particles and
    /// initials allowed between.
    private func run(from i: Int, _ t: [Token], maxLength: Int, allCaps: Bool = false) -> Int? {
        func fits(_ k: Int) -> Bool { t[k].isCapitalized || t[k].isInitial || (allCaps && t[k].isAllCaps) }
        guard i < t.count, fits(i), !t[i].isInitial else { return nil }
        var end = i
        var k = i + 1
        while k < t.count, k - i < maxLength + 2, t[k].followsOnLine {
            if Self.particles.contains(t[k].key), k + 1 < t.count, t[k + 1].followsOnLine, fits(k + 1) {
                k += 1
                continue
            }
            guard fits(k) else { break }
            end = k
            k += 1
        }
        return t[end].isInitial ? (end > i ? end - 1 : nil) : end
    }

    /// A word no list knows, alone where a name goes and ended by punctuation or the line
    /// (`Hi Zygmunt,`): a name; two unknown words (`Dear Hiring Manager`) are not.
    private func unknownAlone(_ i: Int, _ end: Int, _ t: [Token], _ text: String) -> Bool {
        guard i == end, !isWord(t[i]), t[i].key.count >= 3 else { return false }
        let a = t[i].after.first
        return a == nil || a == 0x2C || a == 0x21 || a == 0x0A || a == 0x0D || a == 0x2E
    }

    // MARK: - What a word is

    private func isName(_ token: Token) -> Bool {
        lists.given[token.key] != nil || lists.family[token.key] != nil || Self.surnameShaped(token.key)
    }

    private func isCommon(_ key: String) -> Bool { lists.given[key] == true || lists.family[key] == true }

    /// An ordinary word in a list of names' place: greeting objects, and the common-word names.
    private func isWord(_ token: Token) -> Bool { Self.addressees.contains(token.key) || isCommon(token.key) }

    /// Family names by their ending, in the languages of the lists (folded, so `-ов`, `-ski`).
    static func surnameShaped(_ key: String) -> Bool {
        guard key.count >= 5 else { return false }
        return surnameEndings.contains { key.hasSuffix($0) }
    }

    static let surnameEndings = [
        "sson", "ssen", "ovic", "evic", "owski", "ewski", "inski", "ynski", "wicz", "czyk", "opoulos", "opoulou", "idis", "akis",
        "escu", "enko", "raman", "nathan", "swamy", "krishnan", "esan", "appan", "ovich", "ovna", "ova", "eva", "yan", "yants", "ishvili", "adze",
        "oglu", "ов", "ова", "ев", "ева", "ин",
        "ина", "ский", "ская", "енко", "ович", "евич", "опулос", "ιδης", "ακης", "οπουλος", "οπουλου",
    ]

    /// Words as the tokens' keys have them.
    private static func folded(_ words: [String]) -> Set<String> { Set(words.map(fold)) }

    /// Folded like the lists: lower case, accents dropped (OCR and keyboards drop them).
    static func fold<S: StringProtocol>(_ name: S) -> String {
        let lower = name.lowercased()
        guard lower.utf8.contains(where: { $0 >= 0x80 }) else { return lower }
        return lower.folding(options: [.diacriticInsensitive], locale: nil).replacingOccurrences(of: "ς", with: "σ")
    }

    static let particles = folded([
        "de", "del", "della", "der", "den", "van", "von", "la", "le", "da", "di", "dos", "das", "du", "el", "al", "bin", "ibn", "ter", "ten",
    ])
    static let honorifics = folded([
        "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "herr", "frau", "mme", "mlle", "monsieur", "madame", "senor", "senora", "sr", "sra",
        "srta", "sig", "sigra", "dott", "dottoressa", "pan", "pani", "господин", "госпожа", "κυριε", "κυρια", "κ",
    ])
    static let greetings = folded([
        "hi", "hello", "hey", "dear", "hallo", "liebe", "lieber", "hola", "ciao", "salut", "bonjour", "bonsoir", "ola", "oi", "querida",
        "querido", "caro", "cara", "estimado", "estimada", "gentile", "hej", "hei", "moin", "servus", "czesc", "witam", "witaj", "merhaba", "selam",
        "hoi", "dag", "bom", "thanks", "cheers", "congrats",
        "привет", "здравствуйте", "уважаемый", "уважаемая", "дорогой", "дорогая", "спасибо", "γεια", "αγαπητε", "αγαπητη",
    ])
    static let signOffs = folded([
        "best", "regards", "kind", "warm", "wishes", "cheers", "thanks", "thank", "you", "sincerely", "yours", "truly", "cordialement",
        "amities", "bien", "a", "vous", "grusse", "gruße", "gruss", "gruß", "viele", "freundlichen", "mit", "lg", "vg", "mfg", "saludos",
        "atentamente", "cordiali", "saluti", "un", "saluto", "abracos", "cumprimentos", "atenciosamente", "groeten", "halsningar",
        "уважением", "с", "спасибо", "εκτιμηση", "με", "ευχαριστω",
    ])
    static let headers = folded([
        "from", "to", "cc", "bcc", "sender", "reply-to", "von", "an", "kopie", "de", "a", "para", "da", "od", "do", "от", "кому", "копия",
        "απο", "προς", "κοιν", "dw", "kimden", "kime", "bilgi", "aan", "van", "fran", "till", "kopia", "author", "assignee", "reviewer", "reviewers",
        "owner", "attendees", "organizer", "signed-off-by", "co-authored-by",
    ])
    /// Who a greeting addresses when it is not a person.
    static let addressees = folded([
        "all", "team", "everyone", "everybody", "folks", "guys", "there", "world", "sir", "madam", "customer", "colleagues", "friends",
        "user", "admin", "support", "here", "channel", "kollegen", "zusammen", "tous", "todos", "tutti", "alle", "коллеги", "всем",
        "друзья", "again", "both", "you", "y'all", "again", "and",
    ])
    /// Markup and type parameters that stand in angle brackets at the start of a line.
    static let markup = folded([
        "html", "head", "body", "div", "span", "table", "thead", "tbody", "tr", "td", "th", "ul", "ol", "li", "script", "style", "meta",
        "link", "title", "form", "input", "button", "label", "section", "header", "footer", "nav", "main", "article", "aside", "template",
        "svg", "path", "img", "br", "hr", "pre", "code", "strong", "em", "dependency", "project", "string", "int", "bool", "void", "file",
    ])
    static let conjunctions = folded(["and", "und", "et", "y", "e", "en", "och", "og", "и", "και"])
}

/// A word of the text, with what the finder asks of it worked out once.
struct Token {
    var key: String
    /// UTF-16 offsets.
    var range: Range<Int>
    var isCapitalized: Bool
    var isAllCaps: Bool
    /// A capital letter alone, followed by a full stop: `F.`
    var isInitial: Bool
    var isMention: Bool
    /// Only spaces or tabs since the token before (the same line, nothing between).
    var followsOnLine: Bool
    var atLineStart: Bool
    /// The UTF-16 text between the token before and this one (at most 16 units).
    var gap: ArraySlice<UInt16>
    /// What stands before the token on its line, spaces left out, when it is the line's first
    /// word (`<`, `[10:42]`); nil when a word comes before it on the line.
    var lead: [UInt16]?
    /// What follows the token (at most 8 UTF-16 units).
    var after: ArraySlice<UInt16>

    /// Only `mark` and white space since the token before.
    func followsAfter(_ mark: String, in text: String) -> Bool {
        gap.lazy.filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }.elementsEqual(mark.utf16)
    }

    func followedBy(_ mark: String, in text: String) -> Bool {
        let m = Array(mark.utf16)
        let a = after.drop { $0 == 0x20 || $0 == 0x09 }
        return a.starts(with: m)
    }

    /// `<name@host>` follows.
    func angleAddressFollows(in text: String) -> Bool {
        let a = Array(after.drop { $0 == 0x20 })
        guard a.first == 0x3C, let at = a.firstIndex(of: 0x40) else { return false }
        return !a[..<at].contains(0x3E)
    }

    /// A time follows on the line: `Maria Rossi  10:42`, `Tom 9:05 AM`.
    func followedByTime(in text: String) -> Bool {
        let a = Array(after.drop { $0 == 0x20 || $0 == 0x09 })
        guard after.first == 0x20 || after.first == 0x09, a.count >= 4 else { return false }
        func digit(_ u: UInt16) -> Bool { u >= 0x30 && u <= 0x39 }
        return digit(a[0]) && (a[1] == 0x3A && digit(a[2]) && digit(a[3]) || digit(a[1]) && a[2] == 0x3A && digit(a[3]))
    }

    /// The token stands after a chat timestamp at the start of its line: `[10:42] Tom:`.
    func afterTimestamp(in text: String) -> Bool {
        guard let lead, lead.count >= 4, lead.contains(0x3A) else { return false }
        let timeChars: Set<UInt16> = [0x5B, 0x5D, 0x28, 0x29, 0x3A, 0x2E, 0x2D, 0x2F, 0x41, 0x50, 0x4D]
        return lead.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || timeChars.contains($0) }
    }

    /// The words of `text`: letters, with apostrophes and hyphens inside (`O'Brien`, `Jean-Luc`),
    /// and `@` before a mention's handle (with `.`, `_` and `-` inside it). E-mail addresses,
    /// URLs and words run into digits or underscores (`get_Maria`, `Maria2`) hold no token.
    static func split(_ text: String) -> [Token] {
        let units = Array(text.utf16)
        var scalars: [(scalar: Unicode.Scalar, at: Int)] = []
        scalars.reserveCapacity(units.count)
        var offset = 0
        for s in text.unicodeScalars {
            scalars.append((s, offset))
            offset += s.utf16.count
        }
        let masked = maskedRanges(text)
        // ASCII first: Unicode property lookups are most of the cost otherwise.
        func isLetter(_ s: Unicode.Scalar) -> Bool {
            if s.isASCII { return (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") }
            return s.properties.isAlphabetic || s.properties.generalCategory == .nonspacingMark
        }
        func isUpper(_ s: Unicode.Scalar) -> Bool { s.isASCII ? s >= "A" && s <= "Z" : s.properties.isUppercase }
        func isLower(_ s: Unicode.Scalar) -> Bool { s.isASCII ? s >= "a" && s <= "z" : s.properties.isLowercase }
        func inMask(_ at: Int) -> Range<Int>? { masked.first { $0.contains(at) } }
        func isSpace(_ u: UInt16) -> Bool { u == 0x20 || u == 0x09 }
        var tokens: [Token] = []
        var lastEnd = 0
        var i = 0
        while i < scalars.count {
            let (s, start) = scalars[i]
            if let mask = inMask(start) {
                while i < scalars.count, scalars[i].at < mask.upperBound { i += 1 }
                continue
            }
            let previous: Unicode.Scalar? = i > 0 ? scalars[i - 1].scalar : nil
            let mention = s == "@" && i + 1 < scalars.count && isLetter(scalars[i + 1].scalar) && !(previous.map(isLetter) ?? false)
            guard mention || isLetter(s) else {
                i += 1
                continue
            }
            var j = i + 1
            while j < scalars.count {
                let c = scalars[j].scalar
                let joiner = c == "'" || c == "’" || c == "-" || (mention && (c == "." || c == "_" || c.properties.numericType != nil))
                if isLetter(c) {
                    j += 1
                } else if joiner, j + 1 < scalars.count,
                    isLetter(scalars[j + 1].scalar) || (mention && scalars[j + 1].scalar.properties.numericType != nil)
                {
                    j += 2
                } else {
                    break
                }
            }
            let end = j < scalars.count ? scalars[j].at : units.count
            let next = end < units.count ? units[end] : 0
            let prev = start > 0 ? units[start - 1] : 0
            func glue(_ u: UInt16) -> Bool { u == 0x5F || (u >= 0x30 && u <= 0x39) }
            if mention || !(glue(next) || glue(prev)) {
                let between = units[lastEnd..<start]
                // Counted in one pass, without building strings: this runs for every word of every text.
                let first = i + (mention ? 1 : 0)
                var (upper, lower, count) = (0, 0, 0)
                for k in first..<j {
                    let scalar = scalars[k].scalar
                    if isUpper(scalar) { upper += 1 } else if isLower(scalar) { lower += 1 }
                    count += 1
                }
                let initial = isUpper(scalars[first].scalar)
                let afterInitial = tokens.last?.isInitial == true && between.allSatisfy { isSpace($0) || $0 == 0x2E }
                let onLine = between.lastIndex(of: 0x0A).map { between[($0 + 1)...] } ?? (tokens.isEmpty ? between : nil)
                let lead = onLine.map { $0.filter { !isSpace($0) && $0 != 0x0D } }
                let key = PersonNameFinder.fold(String(decoding: units[scalars[first].at..<end], as: UTF16.self))
                tokens.append(
                    Token(
                        key: key, range: start..<end,
                        isCapitalized: initial && lower > 0, isAllCaps: lower == 0 && upper >= 2,
                        isInitial: upper == 1 && lower == 0 && count == 1 && next == 0x2E, isMention: mention,
                        followsOnLine: !tokens.isEmpty && (between.allSatisfy(isSpace) || afterInitial),
                        atLineStart: between.contains(0x0A) || (tokens.isEmpty && between.allSatisfy { isSpace($0) || $0 == 0x0D || $0 == 0x3C }),
                        gap: between.suffix(16), lead: lead, after: units[end..<min(units.count, end + 64)]))
            }
            lastEnd = end
            i = j
        }
        return tokens
    }

    /// E-mail addresses and URLs, whose words are not names (the e-mail recognizer has them).
    private static func maskedRanges(_ text: String) -> [Range<Int>] {
        guard text.contains("@") || text.contains("://") else { return [] }
        return addressPattern.matches(in: text, range: NSRange(location: 0, length: text.utf16.count)).map {
            $0.range.location..<NSMaxRange($0.range)
        }
    }

    private static let addressPattern = try! NSRegularExpression(
        pattern: #"[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+|\b[a-zA-Z][a-zA-Z0-9+.-]*://\S+"#)
}
