import Foundation
import UnderstudyModel

/// A contributor's own narrowing of capture: an app, site or title pattern that is excluded
/// for them, whatever the policy says. No one's approval is needed. An exemption the
/// organisation approved can also hold for a period only, and can cover all capture (`all`:
/// time away from capture longer than a pause may last).
public struct Exemption: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case app, site, title
        /// Every window: nothing is captured while it is in force.
        case all
    }

    public var id: String
    public var kind: Kind
    public var value: String
    public var addedAt: Date
    /// When it starts to hold (at once when nil).
    public var from: Date?
    /// When it stops holding (never when nil).
    public var until: Date?

    public init(
        id: String = String(UUID().uuidString.prefix(8)).lowercased(), kind: Kind, value: String, addedAt: Date = WallClock.system.now(),
        from: Date? = nil, until: Date? = nil
    ) {
        self.id = id
        self.kind = kind
        self.value = kind == .site ? value.lowercased() : value
        self.addedAt = addedAt
        self.from = from
        self.until = until
    }

    /// Whether it holds at `date`.
    public func isActive(at date: Date) -> Bool {
        (from.map { date >= $0 } ?? true) && (until.map { date < $0 } ?? true)
    }

    /// What it covers, in words: `app Gimp`, `all capture`, with its period when it has one.
    public var summary: String {
        let what = kind == .all ? "all capture" : "\(kind.rawValue) \(value)"
        switch (from, until) {
        case (nil, nil): return what
        case (let from, let until):
            return what + " from " + (from.map { RFC3339.string(from: $0) } ?? "now") + (until.map { " until " + RFC3339.string(from: $0) } ?? "")
        }
    }

    /// `app` is the `WM_CLASS` (case-insensitive); `site` a host and its subdomains; `title`
    /// a pattern with `*`/`?`, or else a substring, case-insensitive.
    public func matches(_ window: WindowContext) -> Bool {
        switch kind {
        case .all: true
        case .app: window.app.caseInsensitiveCompare(value) == .orderedSame
        case .site: WindowHosts.hosts(of: window).contains { WindowHosts.host($0, isWithin: value) }
        case .title:
            value.contains("*") || value.contains("?")
                ? Glob.matches(value, window.title)
                : window.title.lowercased().contains(value.lowercased())
        }
    }
}

/// A request for an exemption that needs an officer's approval (for everyone in the
/// organisation, say), kept on the device until it can be sent to the collector.
public struct ExemptionRequest: Sendable, Equatable, Codable {
    public var id: String
    public var kind: Exemption.Kind
    public var value: String
    public var reason: String
    public var requestedAt: Date
    /// Set once the collector has it.
    public var sentAt: Date?
    /// The period asked for, when it is one.
    public var from: Date?
    public var until: Date?

    public init(
        id: String, kind: Exemption.Kind, value: String, reason: String, requestedAt: Date, sentAt: Date?, from: Date? = nil, until: Date? = nil
    ) {
        self.id = id
        self.kind = kind
        self.value = value
        self.reason = reason
        self.requestedAt = requestedAt
        self.sentAt = sentAt
        self.from = from
        self.until = until
    }
}

/// The exemptions file: `$XDG_CONFIG_HOME/understudy/exemptions.json`, owner-only. The
/// running recorder reloads it when it changes, so an exemption applies within a moment.
public struct ExemptionStore: Sendable {
    public struct Contents: Sendable, Equatable, Codable {
        public var exemptions: [Exemption] = []
        public var requests: [ExemptionRequest] = []
    }

    public let url: URL

    public init(directory: URL = UserDirectories.config) {
        url = directory.appendingPathComponent("exemptions.json")
    }

    public func load() throws(PrivacyStoreError) -> Contents {
        try JSONStore.load(Contents.self, from: url) ?? Contents()
    }

    public func save(_ contents: Contents) throws(PrivacyStoreError) {
        try JSONStore.save(contents, to: url)
    }

    /// When the file last changed, for cheap reload checks.
    public var modified: Date? { JSONStore.modified(url) }
}

extension ExemptionStore {
    /// Why a change to the exemptions could not be made.
    public enum ChangeError: Error, CustomStringConvertible {
        case unknownExemption(String)
        case badPeriod(String)

        public var description: String {
            switch self {
            case .unknownExemption(let id): "no exemption with id \(id) (see `understudy exempt list`)"
            case .badPeriod(let why): why
            }
        }
    }

    /// Adds an exemption, in force at once.
    @discardableResult
    public func add(_ kind: Exemption.Kind, _ value: String) throws -> Exemption {
        var contents = try load()
        let exemption = Exemption(kind: kind, value: value)
        contents.exemptions.append(exemption)
        try save(contents)
        return exemption
    }

    /// Removes the exemption `id` and returns it.
    @discardableResult
    public func remove(id: String) throws -> Exemption {
        var contents = try load()
        guard let index = contents.exemptions.firstIndex(where: { $0.id == id }) else { throw ChangeError.unknownExemption(id) }
        let removed = contents.exemptions.remove(at: index)
        try save(contents)
        return removed
    }

    /// Keeps a request for the officer until the device next syncs.
    @discardableResult
    public func request(
        _ kind: Exemption.Kind, _ value: String, reason: String, period: (from: Date?, until: Date?), now: Date = WallClock.system.now()
    ) throws -> ExemptionRequest {
        var contents = try load()
        let request = ExemptionRequest(
            id: String(UUID().uuidString.prefix(8)).lowercased(), kind: kind, value: value, reason: reason, requestedAt: now, sentAt: nil,
            from: period.from, until: period.until)
        contents.requests.append(request)
        try save(contents)
        return request
    }

    /// A requested period as typed: `from` an RFC 3339 time (nil for now), `until` an RFC 3339
    /// time or a duration after the start such as `3d`.
    public static func period(from: String?, until: String?, now: Date = WallClock.system.now()) throws(ChangeError) -> (from: Date?, until: Date?) {
        var start: Date?
        if let from {
            guard let date = RFC3339.date(from: from) else { throw .badPeriod("--from must be an RFC 3339 time, e.g. 2026-12-01T09:00:00Z") }
            start = date
        }
        guard let until else { return (start, nil) }
        var end = RFC3339.date(from: until)
        if end == nil {
            guard let length = DurationText.parse(until) else { throw .badPeriod("--until must be an RFC 3339 time or a duration such as 3d") }
            end = (start ?? now).addingTimeInterval(Double(length.components.seconds))
        }
        guard let end, end > (start ?? now) else { throw .badPeriod("--until must come after the period's start") }
        return (start, end)
    }
}
