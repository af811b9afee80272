import Foundation

/// The given names and family names the person-name recognizer knows (``PersonNameFinder``),
/// each marked when it is also an ordinary word, a place or a product (`Will`, `Rose`, `Paris`,
/// `Jasmine`), which names a person only with context.
///
/// They ship as `person-names.txt` beside the program, built by `scripts/build-name-lists.py`
/// from public-domain sources (the U.S. Census Bureau's 1990 name files and the project's own
/// lists of 16 more locales, Cyrillic and Greek among them). A policy that asks for
/// `person_name` cannot be kept without them, so a missing or damaged file is an error the
/// recorder stops on, never a recognizer that quietly finds nothing.
public struct NameLists: Sendable {
    /// Folded name (``PersonNameFinder/fold(_:)``) → whether it is also an ordinary word.
    let given: [String: Bool]
    let family: [String: Bool]

    /// How many names are known, of both kinds.
    public var count: Int { given.count + family.count }

    /// The first line of a list file, naming its format.
    static let header = "understudy-names 1"

    /// Reads a list file: the header line, `g|f<TAB>0|1<TAB>name` lines (comments start with
    /// `#`), and `end<TAB>N` last, N the number of names, so a file cut short is found.
    public init(contentsOf url: URL) throws(NameListError) {
        guard FileManager.default.fileExists(atPath: url.path) else { throw .missing(url.path) }
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            throw .damaged(url.path, line: 0, "not readable as UTF-8 text")
        }
        try self.init(text: text, source: url.path)
    }

    init(text: String, source: String) throws(NameListError) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
        guard lines.first == Substring(Self.header) else { throw .damaged(source, line: 1, "the first line is not \"\(Self.header)\"") }
        var given: [String: Bool] = [:]
        var family: [String: Bool] = [:]
        var number = 1
        var ended: Int?
        lines = lines.dropFirst()
        for line in lines {
            number += 1
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            guard ended == nil else { throw .damaged(source, line: number, "text after the end line") }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            if fields.count == 2, fields[0] == "end", let n = Int(fields[1]) {
                ended = n
                continue
            }
            guard fields.count == 3, fields[0] == "g" || fields[0] == "f", fields[1] == "0" || fields[1] == "1", !fields[2].isEmpty else {
                throw .damaged(source, line: number, "expected KIND<TAB>0|1<TAB>NAME")
            }
            let key = PersonNameFinder.fold(fields[2])
            if fields[0] == "g" {
                given[key] = (given[key] ?? false) || fields[1] == "1"
            } else {
                family[key] = (family[key] ?? false) || fields[1] == "1"
            }
        }
        guard let ended else { throw .damaged(source, line: number, "no end line: the file is cut short") }
        let count = lines.filter { $0.hasPrefix("g\t") || $0.hasPrefix("f\t") }.count
        guard ended == count else { throw .damaged(source, line: number, "the end line counts \(ended) names, the file holds \(count)") }
        guard !given.isEmpty, !family.isEmpty else { throw .damaged(source, line: number, "no given or no family names") }
        (self.given, self.family) = (given, family)
    }

    /// The lists shipped with Understudy, or the file `$UNDERSTUDY_NAME_LISTS` names; read once.
    public static func shipped() throws(NameListError) -> NameLists { try loaded.get() }

    private static let loaded: Result<NameLists, NameListError> = {
        let override = ProcessInfo.processInfo.environment["UNDERSTUDY_NAME_LISTS"]
        guard let url = override.map(URL.init(fileURLWithPath:)) ?? Bundle.module.url(forResource: "person-names", withExtension: "txt") else {
            return .failure(.missing("person-names.txt beside the program"))
        }
        do throws(NameListError) { return .success(try NameLists(contentsOf: url)) } catch { return .failure(error) }
    }()
}

/// Why the name lists cannot be used, in one line a user can act on.
public enum NameListError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case damaged(String, line: Int, String)

    public var description: String {
        switch self {
        case .missing(let path):
            "the name lists (\(path)) are missing, and the policy asks for person_name redaction: reinstall Understudy"
        case .damaged(let path, let line, let reason):
            "the name lists (\(path)) are damaged at line \(line): \(reason); the policy asks for person_name redaction: reinstall Understudy"
        }
    }
}
