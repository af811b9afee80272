import Foundation
import UnderstudyModel

/// The catalog of common apps and sites by category (`catalog.yaml`, shipped with Understudy),
/// so a policy can say "exclude banking" instead of listing every bank.
///
/// An entry matches a window by `WM_CLASS` (case-insensitive, equal), by site (the window's
/// host, from its URL or any host name in its title, equal to or a subdomain of a listed
/// host), or by a title substring (case-insensitive).
public struct Catalog: Sendable {
    public struct Category: Sendable, Equatable {
        public var title: String
        /// Excluded by the default policy.
        public var sensitive: Bool
    }

    public struct Entry: Sendable, Equatable {
        public var name: String
        public var category: String
        public var apps: [String]
        public var sites: [String]
        public var titles: [String]
    }

    public let categories: [String: Category]
    public let entries: [Entry]
    private let byApp: [String: Int]

    /// The catalog shipped with Understudy. Without it category rules would match nothing,
    /// so its absence stops the program rather than capture more than the policy allows.
    public static let shared: Catalog = {
        guard let url = Bundle.module.url(forResource: "catalog", withExtension: "yaml") else {
            fatalError("understudy: the app catalog (catalog.yaml) is missing from this installation; reinstall Understudy")
        }
        do {
            return try Catalog(contentsOf: url)
        } catch {
            fatalError("understudy: the app catalog is damaged: \(error)")
        }
    }()

    public init(contentsOf url: URL) throws(DocumentError) {
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            throw DocumentError(file: url.path, line: 0, reason: "cannot read the catalog")
        }
        try self.init(text: text, file: url.lastPathComponent)
    }

    public init(text: String, file: String) throws(DocumentError) {
        let doc = try YAMLFields.document(text, file: file)
        try doc.rejectUnknown(["version", "categories", "entries"], in: "the catalog")
        var categories: [String: Category] = [:]
        guard let categoryFields = try doc.mapping("categories") else { throw DocumentError(file: file, line: 1, reason: "'categories' is missing") }
        for id in categoryFields.keys {
            let fields = try categoryFields.mapping(id)!
            try fields.rejectUnknown(["title", "sensitive"], in: "a category")
            categories[id] = Category(title: try fields.requiredString("title"), sensitive: try fields.bool("sensitive") ?? false)
        }
        var entries: [Entry] = []
        for fields in try doc.mappings("entries") ?? [] {
            try fields.rejectUnknown(["name", "category", "apps", "sites", "titles"], in: "a catalog entry")
            let category = try fields.requiredString("category")
            guard categories[category] != nil else { throw fields.error("category", "unknown category '\(category)'") }
            let entry = Entry(
                name: try fields.requiredString("name"), category: category, apps: try fields.strings("apps") ?? [],
                sites: (try fields.strings("sites") ?? []).map { $0.lowercased() },
                titles: (try fields.strings("titles") ?? []).map { $0.lowercased() })
            guard !(entry.apps.isEmpty && entry.sites.isEmpty && entry.titles.isEmpty) else {
                throw DocumentError(file: file, line: fields.line, reason: "entry '\(entry.name)' needs apps, sites or titles")
            }
            entries.append(entry)
        }
        self.categories = categories
        self.entries = entries
        var byApp: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            for app in entry.apps { byApp[app.lowercased()] = byApp[app.lowercased()] ?? index }
        }
        self.byApp = byApp
    }

    /// Every entry that matches the window.
    public func entries(matching window: WindowContext) -> [Entry] {
        let hosts = WindowHosts.hosts(of: window)
        let title = window.title.lowercased()
        var found: [Entry] = []
        if let index = byApp[window.app.lowercased()] { found.append(entries[index]) }
        for entry in entries where !found.contains(entry) {
            if entry.sites.contains(where: { site in hosts.contains { WindowHosts.host($0, isWithin: site) } })
                || entry.titles.contains(where: { title.contains($0) })
            {
                found.append(entry)
            }
        }
        return found
    }

    /// The categories the window belongs to.
    /// The categories the window belongs to: a private window, by its title or as the
    /// accessibility bus tells it, is in `private-browsing`.
    public func categories(of window: WindowContext) -> Set<String> {
        Set(entries(matching: window).map(\.category) + (window.privateWindow ? [Self.privateBrowsing] : []))
    }

    /// The category of private and incognito browsing windows, which the policy's
    /// `private-windows` decides.
    public static let privateBrowsing = "private-browsing"

    /// Categories the default policy excludes.
    public var sensitiveCategories: [String] { categories.filter(\.value.sensitive).keys.sorted() }
}

/// Site hosts a window shows: its URL's host when known, and every host name in its title.
enum WindowHosts {
    static func hosts(of window: WindowContext) -> [String] {
        // The page's address names its site; the title is only looked at when no address is known.
        if let url = window.url, let host = URL(string: url)?.host { return [host.lowercased()] }
        return hostNames(in: window.title)
    }

    /// Host-like words: labels of letters, digits and hyphens joined by dots, ending in a
    /// letters-only label of two or more (`mail.google.com`, not `v1.2.3`).
    static func hostNames(in text: String) -> [String] {
        var result: [String] = []
        var word = ""
        func flush() {
            defer { word = "" }
            while word.hasSuffix(".") { word.removeLast() }
            let labels = word.split(separator: ".", omittingEmptySubsequences: false)
            guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }), let last = labels.last,
                last.count >= 2, last.allSatisfy(\.isLetter)
            else { return }
            result.append(word.lowercased())
        }
        for ch in text {
            if ch.isLetter && ch.isASCII || ch.isNumber && ch.isASCII || ch == "-" || ch == "." {
                word.append(ch)
            } else {
                flush()
            }
        }
        flush()
        return result
    }

    static func host(_ host: String, isWithin site: String) -> Bool {
        host == site || host.hasSuffix("." + site)
    }
}
