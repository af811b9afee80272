import Foundation
import UnderstudyModel

/// A piece of text a recognizer found: where (in Unicode scalars, as Python indexes
/// strings), what kind (the `redacted` event's `what`), and which recognizer.
public struct TextSpan: Sendable, Equatable, Codable {
    public var start: Int
    public var end: Int
    public var what: RedactionKind
    public var recognizer: String
    /// What replaces it in stored text, when not `[KIND]` (the contributor's own identifiers
    /// keep a token that says what they were: ``SelfIdentity``).
    public var marker: String?

    public init(start: Int, end: Int, what: RedactionKind, recognizer: String, marker: String? = nil) {
        self.start = start
        self.end = end
        self.what = what
        self.recognizer = recognizer
        self.marker = marker
    }

    /// What replaces it in stored text.
    public var replacement: String { marker ?? "[\(what.rawValue.uppercased())]" }
}

/// One recognizer: a pattern that proposes candidates, and a validator that keeps only real
/// ones (a checksum, a range check, entropy), so precision stays high.
struct TextRecognizer: @unchecked Sendable {
    let id: String
    let what: RedactionKind
    let pattern: NSRegularExpression
    /// The capture group that is the sensitive part (0: the whole match).
    let group: Int
    let validate: @Sendable (String) -> Bool
    /// The parts of a match that may be the finding, as UTF-16 ranges within it, by start and
    /// best first at each start (``Candidates``); by default the whole match. The match is a
    /// slice of the text, so what comes before it can be read.
    let candidates: @Sendable (Substring) -> [Range<Int>]
    /// Something the text must contain for the pattern to be worth running (most text has no `@`).
    let trigger: Trigger
    /// What replaces a finding, when not `[KIND]`.
    let marker: String?

    enum Trigger: Sendable {
        case always
        case digit
        /// Any of these, exactly.
        case any([String])
        /// Any of these, ignoring case (lowercase here).
        case anyIgnoringCase([String])

        func fires(_ text: TriggerText) -> Bool {
            switch self {
            case .always: true
            case .digit: text.hasDigit
            case .any(let words): words.contains { text.text.contains($0) }
            case .anyIgnoringCase(let words): words.contains { text.lowercased.contains($0) }
            }
        }
    }

    init(
        _ id: String, _ what: RedactionKind, _ pattern: String, trigger: Trigger = .always, group: Int = 0,
        options: NSRegularExpression.Options = [],
        validate: @escaping @Sendable (String) -> Bool = { _ in true }, candidates: (@Sendable (Substring) -> [Range<Int>])? = nil,
        marker: String? = nil
    ) {
        self.id = id
        self.what = what
        self.pattern = try! NSRegularExpression(pattern: pattern, options: options)  // literals below; a test compiles every one
        self.group = group
        self.validate = validate
        self.candidates = candidates ?? { [0..<$0.utf16.count] }
        self.trigger = trigger
        self.marker = marker
    }

    /// Findings as UTF-16 ranges of `text`.
    func find(in text: String, utf16 range: NSRange) -> [NSRange] {
        pattern.matches(in: text, range: range).flatMap { match -> [NSRange] in
            let found = match.range(at: group)
            guard found.location != NSNotFound, let r = Range(found, in: text) else { return [] }
            return valid(in: text[r]).map { NSRange(location: found.location + $0.lowerBound, length: $0.count) }
        }
    }

    /// The valid candidates of one match: the first valid one at each start, none starting
    /// inside one kept (a card's own groups are not the start of another).
    private func valid(in match: Substring) -> [Range<Int>] {
        var kept: [Range<Int>] = []
        for candidate in candidates(match) where !candidate.isEmpty && candidate.lowerBound >= (kept.last?.upperBound ?? 0) {
            let lower = String.Index(utf16Offset: candidate.lowerBound, in: match)
            let upper = String.Index(utf16Offset: candidate.upperBound, in: match)
            if validate(String(match[lower..<upper])) { kept.append(candidate) }
        }
        return kept
    }
}

/// The text a recognizer's trigger looks at, with what every trigger needs worked out once.
struct TriggerText {
    let text: String
    let lowercased: String
    let hasDigit: Bool

    init(_ text: String) {
        self.text = text
        lowercased = text.lowercased()
        hasDigit = text.utf8.contains { $0 >= 48 && $0 <= 57 }
    }
}

/// The recognizers, documented one by one: what each matches and what it deliberately does not.
enum TextRecognizers {
    /// One recognizer for a list of hosts: each, or a subdomain of it, as a whole name (not
    /// inside a longer one), in any case. Nil for no hosts.
    static func sites(_ hosts: [String]) -> TextRecognizer? {
        guard !hosts.isEmpty else { return nil }
        let names = hosts.sorted { $0.count > $1.count }.map(NSRegularExpression.escapedPattern(for:)).joined(separator: "|")
        return TextRecognizer(
            "excluded-site", .custom, #"(?<![A-Za-z0-9.-])(?:[A-Za-z0-9-]+\.)*(?:"# + names + #")(?![A-Za-z0-9-])"#,
            trigger: .anyIgnoringCase(hosts), options: [.caseInsensitive])
    }

    static let all: [TextRecognizer] = [
        // Email: local@domain.tld. Not: "user@localhost", "@handles", a dot at either end of the local part.
        TextRecognizer(
            "email", .email,
            #"(?<![\w.+/-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"#,
            trigger: .any(["@"]),
            validate: Validators.email),
        // A login at a host, as terminals title themselves (`alice@alice-laptop: ~`) and as ssh is
        // typed: it names the person as surely as an address. Not: addresses (their host has a dot,
        // which the email recognizer takes), `@handles`, an image's digest (`nginx@sha256:2865…`).
        TextRecognizer(
            "login_at_host", .email,
            #"(?<![\w.+%/@-])[a-z_][a-z0-9_-]{0,31}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?![\w.@-]|:[0-9a-f]{8})"#,
            trigger: .any(["@"])),
        // Payment cards: 13-19 digits, optionally in groups split by one space or dash, Luhn-valid,
        // with a known issuer prefix and length. Not: order numbers, bad checksums, unknown prefixes.
        // The pattern takes the whole run of digits and groups, so that a card with an expiry date
        // or an order number beside it is still found inside it (``Candidates/cards(_:)``).
        TextRecognizer(
            "credit_card", .creditCard, #"(?<![\d-])\d(?:[ -]?\d){12,}"#, trigger: .digit, validate: Validators.paymentCard,
            candidates: Candidates.cards),
        // IBAN: country code, two check digits, then the country's length; mod-97 must give 1. The
        // pattern takes the whole run of groups: the IBAN may begin at a later one (``Candidates/ibans(_:)``).
        TextRecognizer(
            "iban", .iban, #"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,}"#, trigger: .digit, validate: Validators.iban,
            candidates: Candidates.ibans),
        // US SSN, dashed or spaced: not area 000, 666 or 900-999, group 00, serial 0000.
        TextRecognizer("us_ssn", .ssn, #"(?<![\d-])(\d{3})[- ](\d{2})[- ](\d{4})(?![\d-])"#, trigger: .digit, validate: Validators.ssn),
        // Bare nine digits only right after "SSN" or "social security (number)": elsewhere they are ids.
        TextRecognizer(
            "us_ssn_context", .ssn, #"(?i)\b(?:ssn|social security(?: number| no\.?)?)\b[^\d\n]{0,24}?(?<!\d)(\d{9})(?!\d)"#,
            trigger: .anyIgnoringCase(["ssn", "social security"]), group: 1, validate: Validators.ssn),
        // UK National Insurance number: two letters (not D, F, I, Q, U, V; second not O; not BG, GB,
        // NK, KN, TN, NT, ZZ), six digits, a suffix A-D; optionally spaced.
        TextRecognizer(
            "uk_nino", .ssn,
            ninoLetters + #" ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])"#,
            trigger: .digit),
        // Phones: E.164 (+ and 8-15 digits, groups allowed) and national forms: US (415) 555-2671,
        // 415-555-2671, 415.555.2671; UK 020 7946 0958, 07700 900123; FR 06 12 34 56 78. Not: dates,
        // ISBNs, version or build numbers, prices (the validator checks digit counts and shapes). An
        // E.164 number followed by more groups is cut at a group's end (``Candidates/phones(_:)``).
        TextRecognizer(
            "phone_e164", .phone, #"(?<![\w+])\+[1-9](?:[ .-]?\(?\d{1,4}\)?){2,6}(?![\w-])"#, trigger: .any(["+"]), validate: Validators.e164,
            candidates: Candidates.phones),
        TextRecognizer(
            "phone_us", .phone, #"(?<![\w.-])(?:1[-. ])?(?:\(\d{3}\) ?|\d{3}[-.])\d{3}[-.]\d{4}(?![\w-]|\.\d)"#, trigger: .digit,
            validate: Validators.nanp),
        // German national numbers: trunk 0, area or mobile prefix, a space, the subscriber number.
        TextRecognizer(
            "phone_de", .phone, #"(?<![\w.-])0[1-9]\d{1,4} \d{5,8}(?![\w-]|\.\d)"#, trigger: .digit,
            validate: { (10...12).contains(Validators.digits($0).count) }),
        TextRecognizer(
            "phone_uk", .phone, #"(?<![\w.-])0(?:\d{2} \d{4} \d{4}|\d{3} \d{3} \d{4}|\d{4} ?\d{6}|\d{4} \d{3} \d{3})(?![\w-]|\.\d)"#, trigger: .digit),
        TextRecognizer("phone_fr", .phone, #"(?<![\w.-])0[1-9](?:[ .]\d{2}){4}(?![\w-]|\.\d)"#, trigger: .digit),
        // European national numbers as people write them: trunk 0, the area or mobile code
        // (in parentheses, or followed by a space, dot, dash or slash), then the subscriber
        // number in groups — German `0151 1234 5678`, `(030) 1234 5678`, `089/12345678`; British
        // `(020) 7946 0958`, `07700 900 123`; French `06-12-34-56-78`; Dutch `06-12345678`,
        // `020 123 4567`; Italian `02 1234 5678`. Kept only where the digits and their grouping
        // fit a country's numbering plan (``Validators/nationalPhone(_:)``): not dates, order or
        // version numbers, IP addresses, nor a run of groups inside a longer one (a card's or an
        // account's digits).
        TextRecognizer(
            "phone_national", .phone,
            #"(?<![\w.+/:-])(?<!\d[ .-])(?:\(0\d{1,4}\) ?|0\d{1,4}(?: ?/ ?|[ .-]))\d{2,8}(?:[ .-]\d{2,4}){0,3}(?![\w-]|[ .,/:-]\d)"#,
            trigger: .digit, validate: Validators.nationalPhone),
        // Spanish numbers (`612 34 56 78`, `612 345 678`, `91 123 45 67`) and Italian mobiles
        // (`347 123 4567`), which have no trunk 0: only in their own groupings.
        TextRecognizer(
            "phone_es_it", .phone, #"(?<![\w.+/:-])(?<!\d[ .-])[3679]\d{1,2}(?:[ .-]\d{2,7}){1,3}(?![\w-]|[ .,/:-]\d)"#, trigger: .digit,
            validate: Validators.spanishOrItalianPhone),
        // IP addresses (reported as `custom`): dotted quads 0-255, not inside longer dotted numbers
        // (1.2.3.4.5, version strings); IPv6 when the system's parser accepts it.
        TextRecognizer(
            "ipv4", .custom, #"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)"#,
            trigger: .digit),
        TextRecognizer(
            "ipv6", .custom, #"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])"#, trigger: .any([":"]), validate: Validators.ipv6),
        // Secrets with a recognisable shape.
        TextRecognizer(
            "aws_access_key_id", .secret, #"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])"#,
            trigger: .any(awsKeyPrefixes)),
        TextRecognizer(
            "aws_secret_access_key", .secret,
            awsSecretBefore + #"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"#,
            trigger: .anyIgnoringCase(["aws"]), group: 1),
        TextRecognizer(
            "github_token", .secret, #"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])"#,
            trigger: .any(["gh", "github_pat_"])),
        TextRecognizer("gitlab_token", .secret, #"(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,}"#, trigger: .any(["glpat-"])),
        TextRecognizer("slack_token", .secret, #"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}"#, trigger: .any(["xox"])),
        TextRecognizer(
            "stripe_key", .secret, #"(?<![A-Za-z0-9_])(?:sk|rk|pk|whsec)_(?:live|test)_[A-Za-z0-9]{16,}"#, trigger: .any(["_live_", "_test_"])),
        TextRecognizer(
            "openai_key", .secret, #"(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}"#, trigger: .any(["sk-"]),
            validate: Validators.mixed),
        TextRecognizer("jwt", .secret, #"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"#, trigger: .any(["eyJ"])),
        TextRecognizer(
            "pem_private_key", .secret, #"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)"#,
            trigger: .any(["-----BEGIN"])),
        // URLs with a password (`user:pass@`, `:pass@`) or a token as the user name (`ghp_…@`); the
        // whole URL goes. Not: `ssh://git@host` (a plain user name).
        TextRecognizer(
            "url_credentials", .secret, #"(?<![\w+.-])[A-Za-z][A-Za-z0-9+.-]{1,15}://(?:[^\s/:@]*:[^\s/@]+|[^\s/:@]{16,})@[^\s/?#]+[^\s"'<>)\]]*"#,
            trigger: .any(["://"]),
            validate: Validators.credentialURL),
        // Generic: a high-entropy value right after key/token/secret/password-like words and = or :.
        // Not: "the password reset link expired" (no = or :), short or dictionary-like values.
        TextRecognizer(
            "keyword_secret", .secret,
            secretBefore + #"([^\s"',;]{8,})"#,
            trigger: .any(["=", ":"]),
            group: 1, validate: { Validators.highEntropy($0) && !Validators.placeholder($0) }),
    ]

    /// What comes before a National Insurance number's digits: two letters (not D, F, I, Q, U,
    /// V; second not O; not BG, GB, NK, KN, TN, NT, ZZ).
    private static let ninoLetters = #"(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"#
    private static let awsKeyPrefixes = ["AKIA", "ASIA", "ABIA", "ACCA"]
    /// An AWS secret key's name and `=` or `:`, before its value.
    private static let awsSecretBefore = #"(?i:aws)[\w .-]{0,30}?(?i:secret|key)[\w .-]{0,20}?["']?\s*[:=]\s*["']?"#
    /// A word like key, token or password and `=` or `:`, before a value.
    private static let secretBefore =
        #"(?i)(?:\bkey|api[_-]?key|apikey|secret(?:[_-]?key)?|access[_-]?key|auth[_-]?token|token|passwd|password|pwd|private[_-]?key|client[_-]?secret)["']?\s*[:=]\s*["']?"#

    /// The beginnings of values, for text on screen only. A frame may show a value while it is
    /// typed, a character at a time, and a frame once stored stays so: its tiles are not filled
    /// when the value is whole, frames later. So each of these finds what may be the beginning of
    /// a value a recognizer of ``all`` finds, with that one's kind, as soon as it shows more than
    /// names no one (a card's issuer, six digits; a phone's country and area; an address's local
    /// part before its `@`) and less than the whole (which is ``all``'s). Typed text is not
    /// judged by these: it waits for the value to end (``TypedTail``). Left out: IP addresses,
    /// German, British and French national phone numbers, excluded sites' names (no beginning
    /// of them tells them from ordinary numbers and words).
    static let beginnings: [TextRecognizer] = [
        // An address from its `@` on: `alice@`, `alice@exa`. Not: `@handles`, `icon@2x.png`, and
        // not a word with an `@` run straight into a bracket, pipe or quote: an address being
        // typed ends where the typing does, and OCR of buttons and icons reads so (`rif@[s]ol`);
        // nor an image's digest (`nginx@sha256:2865…`).
        TextRecognizer(
            "email_beginning", .email,
            #"(?<![\w.+/-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9.-]*+(?![\[\](){}|<>=!?*#$^~`'"]|:[0-9a-f]{8})"#, trigger: .any(["@"]),
            validate: Validators.email),
        // Seven digits or more in a card's grouping, beginning as an issuer's cards do
        // (``Validators/cardBeginning(_:)``). Not: dates, years, times, prices, ids beginning 0,
        // 1, 7-9, digits of a word (a hash's `…c47250976d…`, `242408306696646c49…`). One or two
        // letters may follow: OCR reads a cursor block beside the last digit so (`4111 1ff`).
        TextRecognizer(
            "credit_card_beginning", .creditCard,
            #"(?<![\w-])\d(?:[ -]?\d){"# + String(Validators.cardBeginningDigits - 1) + #",}(?!\d|[A-Za-z][A-Za-z0-9]{2})"#,
            trigger: .digit, validate: Validators.cardBeginning, candidates: Candidates.cardBeginnings),
        // A country code, check digits and four letters or digits of the account.
        TextRecognizer(
            "iban_beginning", .iban, #"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){4,}"#, trigger: .digit, validate: Validators.ibanBeginning,
            candidates: Candidates.ibanBeginnings),
        // Area and group, dashed, and a digit of the serial (`123-45-6`).
        TextRecognizer("us_ssn_beginning", .ssn, #"(?<![\d-])\d{3}-\d{2}-\d{1,3}(?![\d-])"#, trigger: .digit, validate: Validators.ssnBeginning),
        // Letters and four digits spaced as these numbers are (`AB 12 34`), or five unspaced
        // (`AB12345`; four are a flight's, `BA1234`).
        TextRecognizer("uk_nino_beginning", .ssn, ninoLetters + #"(?: \d{2} \d{2}(?: \d{1,2})?|\d{5,6})(?![A-Za-z0-9])"#, trigger: .digit),
        TextRecognizer(
            "phone_e164_beginning", .phone, #"(?<![\w+])\+[1-9](?:[ .-]?\(?\d{1,4}\)?){1,6}"#, trigger: .any(["+"]),
            validate: Validators.e164Beginning, candidates: Candidates.phones),
        TextRecognizer(
            "phone_us_beginning", .phone, #"(?<![\w.-])(?:1[-. ])?(?:\(\d{3}\) ?|\d{3}[-.])\d{3}[-.]\d{1,3}(?!\d|\.\d)"#, trigger: .digit,
            validate: Validators.nanpBeginning),
        // A key id's prefix and four characters (`ASIAN` is a word).
        TextRecognizer(
            "aws_access_key_id_beginning", .secret, #"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{4,15}(?![A-Z0-9])"#,
            trigger: .any(awsKeyPrefixes)),
        TextRecognizer(
            "aws_secret_access_key_beginning", .secret, awsSecretBefore + #"([A-Za-z0-9/+]{1,39})(?![A-Za-z0-9/+=])"#,
            trigger: .anyIgnoringCase(["aws"]), group: 1),
        // Tokens from their prefix on: it says what follows is one.
        TextRecognizer(
            "github_token_beginning", .secret, #"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]*|github_pat_[A-Za-z0-9_]*)"#,
            trigger: .any(["gh", "github_pat_"])),
        TextRecognizer("gitlab_token_beginning", .secret, #"(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]*"#, trigger: .any(["glpat-"])),
        TextRecognizer("slack_token_beginning", .secret, #"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]*"#, trigger: .any(["xox"])),
        TextRecognizer(
            "stripe_key_beginning", .secret, #"(?<![A-Za-z0-9_])(?:sk|rk|pk|whsec)_(?:live|test)_[A-Za-z0-9]*"#,
            trigger: .any(["_live_", "_test_"])),
        // `sk-proj-` and its kin; a bare `sk-` once letters and digits follow (`sk-learn` is a package).
        TextRecognizer(
            "openai_key_beginning", .secret, #"(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin|ant)-[A-Za-z0-9_-]*|[A-Za-z0-9_-]+)"#,
            trigger: .any(["sk-"]), validate: Validators.openAIBeginning),
        TextRecognizer("jwt_beginning", .secret, #"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}"#, trigger: .any(["eyJ"])),
        // A URL's user name and the password being typed, before its `@`. Not: a port (`host:8443`).
        TextRecognizer(
            "url_credentials_beginning", .secret, #"(?<![\w+.-])[A-Za-z][A-Za-z0-9+.-]{1,15}://[^\s/:@]*:[^\s/@]+"#, trigger: .any(["://"]),
            validate: Validators.credentialURLBeginning),
        TextRecognizer(
            "keyword_secret_beginning", .secret, secretBefore + #"([^\s"',;]+)"#, trigger: .any(["=", ":"]), group: 1,
            validate: Validators.secretBeginning),
    ]
}

/// Checksums and ranges that turn pattern matches into findings.
enum Validators {
    static func digits(_ s: String) -> [Int] { s.compactMap(\.wholeNumberValue) }

    static func luhn(_ d: [Int]) -> Bool {
        var sum = 0
        for (i, digit) in d.reversed().enumerated() {
            let v = i % 2 == 1 ? digit * 2 : digit
            sum += v > 9 ? v - 9 : v
        }
        return sum % 10 == 0
    }

    @Sendable static func paymentCard(_ s: String) -> Bool {
        // One kind of separator, in groups of 4 (or 4-6-5 for Amex), or none.
        let separators = Set(s.filter { $0 == " " || $0 == "-" })
        guard separators.count <= 1 else { return false }
        if let sep = separators.first {
            let groups = s.split(separator: sep).map(\.count)
            guard groups.allSatisfy({ $0 >= 4 }), groups == [4, 6, 5] || groups.dropLast().allSatisfy({ $0 == 4 }) else { return false }
        }
        let d = digits(s)
        guard luhn(d), Set(d).count > 1 else { return false }
        return cardLengths(d).contains(d.count)
    }

    /// The lengths a card whose number begins with these digits (six at least) may have: none
    /// for a prefix no issuer uses.
    static func cardLengths(_ d: [Int]) -> Set<Int> {
        guard d.count >= 6 else { return [] }
        let p2 = d[0] * 10 + d[1]
        let p4 = d.prefix(4).reduce(0) { $0 * 10 + $1 }
        let p6 = d.prefix(6).reduce(0) { $0 * 10 + $1 }
        var lengths: Set<Int> = []
        switch d[0] {
        case 4: lengths = [13, 16, 19]  // Visa
        case 5 where (51...55).contains(p2): lengths = [16]  // Mastercard
        case 2 where (222_100...272_099).contains(p6): lengths = [16]  // Mastercard 2-series
        case 3:
            if [34, 37].contains(p2) { lengths.insert(15) }  // Amex
            if (3528...3589).contains(p4) { lengths.formUnion(16...19) }  // JCB
            if [36, 38, 39].contains(p2) || (300...305).contains(p4 / 10) { lengths.formUnion(14...19) }  // Diners
        case 6 where p4 == 6011 || p2 == 65 || (644...649).contains(p4 / 10) || p2 == 62: lengths = Set(16...19)  // Discover, UnionPay
        default: break
        }
        return lengths
    }

    /// How many digits of a card number a frame may show: six, the issuer's prefix, which
    /// identifies a bank, not an account (and is what PCI DSS lets a receipt print besides the
    /// last four). One more and the beginning of a card is filled.
    static let cardBeginningDigits = 7

    /// The beginning of a card number, as it is being typed: ``cardBeginningDigits`` digits or
    /// more, in one run or in a card's groups (``Candidates/cardBeginnings(_:)``), beginning as
    /// an issuer's cards do. A whole card with a right checksum is the card recognizer's; one
    /// with a wrong digit is filled too. Not: dates, years (`2024-2025`, `2019 2020 2021`),
    /// numbers no issuer begins with (0, 1, 7-9, `2026…`). Ids that do (`Order #2418519`) are
    /// filled: on screen, a fragment of a card weighs more than an order number's legibility.
    @Sendable static func cardBeginning(_ s: String) -> Bool {
        guard Set(s.filter { $0 == " " || $0 == "-" }).count <= 1 else { return false }
        let d = digits(s)
        return d.count >= cardBeginningDigits && Set(d).count > 1 && cardLengths(d).contains { $0 >= d.count }
    }

    /// The beginning of an IBAN: a country's code, check digits that can be right (02-98), and
    /// four letters or digits of the account at least, no more than the country's IBAN has.
    /// Not: `LH12 DE89` (no country LH), `DE00 3704` (no IBAN has check digits 00).
    @Sendable static func ibanBeginning(_ s: String) -> Bool {
        let compact = s.filter { $0 != " " }
        guard let length = ibanLengths[String(compact.prefix(2))], let check = Int(compact.dropFirst(2).prefix(2)) else { return false }
        return (2...98).contains(check) && (8...length).contains(compact.count)
    }

    static let ibanLengths: [String: Int] = [
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21, "CR": 22,
        "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22,
        "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30,
        "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27,
        "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
        "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
    ]

    @Sendable static func iban(_ s: String) -> Bool {
        let compact = s.filter { $0 != " " }
        guard let length = ibanLengths[String(compact.prefix(2))], compact.count == length else { return false }
        let rearranged = compact.dropFirst(4) + compact.prefix(4)
        var remainder = 0
        for ch in rearranged {
            guard let v = ch.isNumber ? ch.wholeNumberValue : (ch.isUppercase ? Int(ch.asciiValue! - 55) : nil) else { return false }
            for digit in String(v) { remainder = (remainder * 10 + digit.wholeNumberValue!) % 97 }
        }
        return remainder == 1
    }

    /// Not file names (`icon@2x.png`) or code (`obj@attr.name`): the top-level domain is not a file type.
    @Sendable static func email(_ s: String) -> Bool {
        guard !s.contains(".."), let tld = s.split(separator: ".").last?.lowercased() else { return false }
        let fileTypes: Set<String> = [
            "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "js", "ts", "css", "py", "rb", "go", "rs",
            "swift", "java", "json", "yaml", "yml", "txt", "md", "html", "htm", "xml", "pdf", "zip", "gz", "tar",
            "so", "dll", "exe", "sh", "c", "h", "cpp", "kt", "php", "lock", "log", "csv",
        ]
        return !fileTypes.contains(tld)
    }

    /// The number of UTF-16 units of an IBAN at the start of `s`: the country's length in letters and digits.
    static func ibanLength(_ s: Substring) -> Int? {
        guard let length = ibanLengths[String(s.prefix(2))] else { return nil }
        var count = 0
        var units = 0
        for ch in s {
            if ch != " " { count += 1 }
            units += ch.utf16.count
            if count == length { return units }
        }
        return nil
    }

    /// A user name that is a token (prefix or letters and digits mixed), or any password.
    @Sendable static func credentialURL(_ s: String) -> Bool {
        guard let scheme = s.range(of: "://"), let at = s.range(of: "@", range: scheme.upperBound..<s.endIndex) else { return false }
        let userinfo = s[scheme.upperBound..<at.lowerBound]
        return userinfo.contains(":") || mixed(String(userinfo))
    }

    /// The beginning of a URL's password: what follows the last `:` after the scheme is not a
    /// port (digits only), as in `https://example.com:8443`.
    @Sendable static func credentialURLBeginning(_ s: String) -> Bool {
        guard let scheme = s.range(of: "://"), let colon = s[scheme.upperBound...].lastIndex(of: ":") else { return false }
        let rest = s[s.index(after: colon)...]
        return !rest.isEmpty && !rest.allSatisfy(\.isNumber)
    }

    /// The beginning of a value after a word like password or token: not the name of a secret
    /// (``placeholder(_:)``), and of two kinds of characters, one of them a digit or a symbol, as
    /// the values ``highEntropy(_:)`` accepts are. Not: `key: value`, `Sort key: Name`, `password: ****`.
    @Sendable static func secretBeginning(_ s: String) -> Bool {
        let kinds = [
            s.contains(where: \.isLowercase), s.contains(where: \.isUppercase), s.contains(where: \.isNumber),
            s.contains { !$0.isLetter && !$0.isNumber },
        ]
        return kinds.filter { $0 }.count >= 2 && (kinds[2] || kinds[3]) && !placeholder(s)
    }

    /// `${API_KEY}`, `$TOKEN`, `{{ secret }}`, `<your-key-here>`, `%(password)s`, `os.environ[...]`,
    /// `get_token(client)`: names of secrets, not secrets. Real passwords with `$`, `%` or `@` inside are kept.
    @Sendable static func placeholder(_ s: String) -> Bool {
        let patterns = [
            #"^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$"#, #"^\{\{.*\}\}$"#, #"^<[^>]*>$"#, #"^%\(?[A-Za-z_]+\)?s?%?$"#,
            #"^[A-Za-z_][\w.]*\(.*\)?$"#, #"^[A-Za-z_][\w.]*\["#, #"^(?:os\.environ|process\.env|ENV\[|getenv)"#,
        ]
        return patterns.contains { s.range(of: $0, options: .regularExpression) != nil }
    }

    @Sendable static func ssn(_ s: String) -> Bool {
        let d = digits(s)
        guard d.count == 9 else { return false }
        let area = d[0] * 100 + d[1] * 10 + d[2]
        let group = d[3] * 10 + d[4]
        let serial = d[5...].reduce(0) { $0 * 10 + $1 }
        // Also not the same separator missing on one side only: "123-45 6789" is odd but harmless to accept.
        return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
    }

    /// The beginning of a US Social Security number: area and group as ``ssn(_:)`` allows, and
    /// a digit of the serial at least.
    @Sendable static func ssnBeginning(_ s: String) -> Bool {
        let d = digits(s)
        guard d.count >= 6 else { return false }
        let area = d[0] * 100 + d[1] * 10 + d[2]
        return area != 0 && area != 666 && area < 900 && d[3] * 10 + d[4] != 0
    }

    /// The beginning of an international number: seven digits are the country and area codes
    /// and the first digits of the line; fewer name a place, not a person.
    @Sendable static func e164Beginning(_ s: String) -> Bool {
        (7...15).contains(digits(s).count)
    }

    /// The beginning of a North American number: area and exchange codes as ``nanp(_:)``
    /// allows, and a digit of the line at least.
    @Sendable static func nanpBeginning(_ s: String) -> Bool {
        var d = digits(s)
        if s.first == "1", s.dropFirst().first.map({ " .-".contains($0) }) == true { d.removeFirst() }
        return d.count >= 7 && d[0] >= 2 && d[3] >= 2
    }

    @Sendable static func e164(_ s: String) -> Bool {
        let n = digits(s).count
        return (8...15).contains(n)
    }

    /// North American numbers: area and exchange codes start with 2-9 (after an optional country code 1).
    /// The lengths of the runs of digits in `s`, in order.
    static func digitGroups(_ s: String) -> [Int] {
        s.split(whereSeparator: { !$0.isNumber }).map(\.count)
    }

    /// A national number with trunk 0 whose digits and grouping fit Germany's, the UK's,
    /// France's, the Netherlands' or Italy's plan. The area code never begins with 0.
    @Sendable static func nationalPhone(_ s: String) -> Bool {
        let d = digits(s)
        let groups = digitGroups(s)
        guard d.count >= 9, d[0] == 0, d[1] != 0, let area = groups.first else { return false }
        let prefix = d.prefix(3).map(String.init).joined()
        let germanMobile = ["015", "016", "017"].contains(prefix) && (11...12).contains(d.count)
        let germanLandline = d[1] >= 2 && (10...12).contains(d.count) && (3...6).contains(area) && groups.dropFirst().allSatisfy { $0 >= 2 }
        let british =
            d.count == 11 && [1, 2, 3, 7, 8].contains(d[1]) && [[3, 4, 4], [4, 3, 4], [5, 6], [5, 3, 3], [4, 7], [3, 8]].contains(groups)
        let french = d.count == 10 && groups == [2, 2, 2, 2, 2]
        let dutch = d.count == 10 && [[2, 8], [3, 7], [3, 3, 4], [4, 6], [2, 4, 4]].contains(groups)
        let italian = (9...11).contains(d.count) && [[2, 4, 4], [3, 3, 4], [3, 7], [2, 8], [2, 3, 4], [3, 3, 3]].contains(groups)
        return germanMobile || germanLandline || british || french || dutch || italian
    }

    /// Spanish numbers (nine digits from 6, 7 or 9, as `612 34 56 78`, `612 345 678`, `91 123
    /// 45 67`) and Italian mobiles (ten digits from 31-39, as `347 123 4567`, `347 1234567`).
    @Sendable static func spanishOrItalianPhone(_ s: String) -> Bool {
        let d = digits(s)
        let groups = digitGroups(s)
        let spanish = d.count == 9 && [6, 7, 9].contains(d[0]) && [[3, 2, 2, 2], [3, 3, 3], [2, 3, 2, 2]].contains(groups)
        let italian = d.count == 10 && d[0] == 3 && d[1] != 0 && [[3, 3, 4], [3, 7], [3, 4, 3]].contains(groups)
        return spanish || italian
    }

    @Sendable static func nanp(_ s: String) -> Bool {
        var d = digits(s)
        if d.count == 11, d[0] == 1 { d.removeFirst() }
        return d.count == 10 && d[0] >= 2 && d[3] >= 2
    }

    @Sendable static func ipv6(_ s: String) -> Bool {
        // inet_pton rejects times (10:04:05) and MAC addresses (six groups, no ::).
        var address = in6_addr()
        return inet_pton(AF_INET6, s, &address) == 1 && s.contains(where: \.isHexDigit) && s != "::"
    }

    /// `sk-proj-` and its kin, or `sk-` and letters and digits both.
    @Sendable static func openAIBeginning(_ s: String) -> Bool {
        ["sk-proj-", "sk-svcacct-", "sk-admin-", "sk-ant-"].contains { s.hasPrefix($0) } || mixed(String(s.dropFirst(3)))
    }

    /// Letters and digits both present, as real keys have; words like "task-list-items" do not.
    @Sendable static func mixed(_ s: String) -> Bool {
        s.contains(where: \.isNumber) && s.contains(where: \.isLetter)
    }

    /// At least 3 bits of entropy per character, and two kinds of characters.
    @Sendable static func highEntropy(_ s: String) -> Bool {
        let classes = [
            s.contains(where: \.isLowercase), s.contains(where: \.isUppercase), s.contains(where: \.isNumber),
            s.contains { !$0.isLetter && !$0.isNumber },
        ].filter { $0 }.count
        guard classes >= 2, !s.allSatisfy({ $0 == "*" || $0 == "•" }) else { return false }
        var counts: [Character: Int] = [:]
        for ch in s { counts[ch, default: 0] += 1 }
        let n = Double(s.count)
        let entropy = counts.values.reduce(0.0) { $0 - Double($1) / n * log2(Double($1) / n) }
        return entropy >= 3.0
    }
}
