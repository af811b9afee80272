import Foundation
import UnderstudyModel

/// What names the contributor on their own screen: login, real name, e-mail addresses, host
/// names and home folder.
///
/// Reviewers and scientists know contributors only by pseudonym, and one frame of a prompt
/// (`alice@alice-laptop:~$`), a path (`/home/alice/…`) or a mail header (`From: Alice
/// Martin`) would undo it. So each is found wherever text is stored (titles, URL paths,
/// element names, typed text, text read off frames) and replaced by a token that keeps the
/// text readable — `⟨self:user⟩`, `⟨self:name⟩`, `⟨self:email⟩`, `⟨self:host⟩`, and `~`
/// for the home folder — or boxed in frames. It is gathered on the device when recording
/// starts and never written anywhere.
public struct SelfIdentity: Sendable, Equatable {
    public var logins: [String]
    /// Real names as written (`Alice Martin`): their usual variants are found too.
    public var names: [String]
    public var emails: [String]
    public var hosts: [String]
    public var homes: [String]

    public init(logins: [String] = [], names: [String] = [], emails: [String] = [], hosts: [String] = [], homes: [String] = []) {
        self.logins = logins
        self.names = names
        self.emails = emails
        self.hosts = hosts
        self.homes = homes
    }

    /// Nobody: no recognizer.
    public static let none = SelfIdentity()

    /// Whether nothing here names anyone (every value too short or too common).
    public var isEmpty: Bool { recognizers.isEmpty }

    /// Logins and host names that name no one (every machine has them), and are ordinary words.
    static let generic: Set<String> = [
        "root", "admin", "administrator", "user", "guest", "test", "demo", "ubuntu", "debian", "fedora", "kali", "pi",
        "raspberrypi", "localhost", "vm", "dev", "build", "runner", "docker", "default", "home", "local", "server", "desktop",
        "laptop", "nobody", "daemon",
    ]

    /// What is looked for, each with its token: e-mail addresses and home folders first (they
    /// hold the others), then hosts, logins and names (a login that is also a form of the
    /// name, `amartin`, is the login). Values too short or too common to name
    /// anyone (``generic``, under three letters) are left out.
    var recognizers: [TextRecognizer] {
        func usable(_ value: String) -> Bool { value.count >= 3 && !Self.generic.contains(value.lowercased()) }
        var found: [TextRecognizer] = []
        let emails = Set(emails.map { $0.lowercased() }.filter { $0.contains("@") })
        if let r = Self.recognizer("self-email", "⟨self:email⟩", words: emails, before: #"(?<![\w.+%-])"#, after: #"(?![\w-]|\.\w)"#) {
            found.append(r)
        }
        let homes = Set(homes.filter { $0.count >= 3 && $0 != "/" }.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 })
        if let r = Self.recognizer("self-home", "~", words: homes, before: #"(?<![\w.-])"#, after: #"(?![\w-]|\.\w)"#, caseless: false) {
            found.append(r)
        }
        let hosts = Set(
            hosts.filter(usable).flatMap { host in [host] + (host.contains(".") ? [String(host.prefix { $0 != "." })] : []) }.filter(usable))
        if let r = Self.recognizer("self-host", "⟨self:host⟩", words: hosts, before: #"(?<![\p{L}\p{N}_-])"#, after: #"(?![\p{L}\p{N}_-])"#) {
            found.append(r)
        }
        if let r = Self.recognizer(
            "self-user", "⟨self:user⟩", words: Set(logins.filter(usable)), before: #"(?<![\p{L}\p{N}_-])"#, after: #"(?![\p{L}\p{N}_-])"#)
        {
            found.append(r)
        }
        let names = Set(names.flatMap(Self.variants).filter(usable))
        if let r = Self.recognizer("self-name", "⟨self:name⟩", words: names, before: #"(?<![\p{L}\p{N}_])"#, after: #"(?![\p{L}\p{N}_])"#) {
            found.append(r)
        }
        return found
    }

    /// The ways a real name is written: as given, family name first with a comma, joined
    /// (`alice.martin`, `alice_martin`, `alice-martin`, `alicemartin`, `martin.alice`), and
    /// initial and family name (`amartin`, `a.martin`), as e-mail local parts and logins are.
    static func variants(of name: String) -> [String] {
        let words = name.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init).filter { !$0.isEmpty }
        guard words.count >= 2, let given = words.first, let family = words.last else { return words }
        let g = given.lowercased()
        let f = family.lowercased()
        var forms = [words.joined(separator: " "), "\(family), \(given)", "\(given) \(family)"]
        forms += [".", "_", "-", ""].map { g + $0 + f } + ["\(f).\(g)", "\(f)_\(g)"]
        if let initial = g.first { forms += ["\(initial)\(f)", "\(initial).\(f)", "\(initial)_\(f)"] }
        return forms
    }

    /// One recognizer for `words`, longest first, each between `before` and `after`; spaces
    /// in a word match any run of spaces (OCR and layout widen them). Nil for no words.
    private static func recognizer(
        _ id: String, _ marker: String, words: Set<String>, before: String, after: String, caseless: Bool = true
    ) -> TextRecognizer? {
        guard !words.isEmpty else { return nil }
        let alternatives = words.sorted { ($0.count, $0) > ($1.count, $1) }.map {
            NSRegularExpression.escapedPattern(for: $0).replacingOccurrences(of: " ", with: #"\s+"#)
        }
        return TextRecognizer(
            id, .custom, before + "(?:" + alternatives.joined(separator: "|") + ")" + after,
            options: caseless ? [.caseInsensitive] : [], marker: marker)
    }
}
