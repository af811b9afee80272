import Foundation
import GRDB
import UnderstudyModel

/// Where a segment's recording was: the apps (their `WM_CLASS`) and sites (the hosts of the
/// page addresses) its stored focus events name, so the review page's timeline can say it
/// without opening the segment's events. Sealed with the segment's key like everything else in
/// it: the index on disk holds times and counts, never a name.
public struct SegmentPlaces: Codable, Sendable, Equatable {
    public var apps: [String]
    public var sites: [String]

    public init(apps: [String] = [], sites: [String] = []) {
        self.apps = apps
        self.sites = sites
    }

    /// At most this many of each are kept: a segment is a minute or so of work.
    static let limit = 20

    /// Notes the app and site of a focus event; anything else leaves them as they are.
    mutating func note(_ body: EventBody) {
        guard case .focus(let window) = body else { return }
        Self.add(window.app, to: &apps)
        if let url = window.url, let host = URL(string: url)?.host(), !host.isEmpty { Self.add(host, to: &sites) }
    }

    private static func add(_ name: String, to list: inout [String]) {
        guard !name.isEmpty, list.count < limit, !list.contains(name) else { return }
        list.append(name)
    }

    static func context(segment: String) -> Data { Data("places \(segment)".utf8) }
}

extension Vault {
    /// The apps and sites of each of `segments`, by segment id; a segment written before
    /// segments kept them has none.
    public func places(of segments: [SegmentInfo]) throws(VaultError) -> [String: SegmentPlaces] {
        guard !segments.isEmpty else { return [:] }
        let rows = try read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT id, wrapped_key, places FROM segment WHERE places IS NOT NULL AND id IN (\(segments.map { _ in "?" }.joined(separator: ",")))",
                arguments: StatementArguments(segments.map(\.id)))
        }
        var places: [String: SegmentPlaces] = [:]
        for row in rows {
            let id: String = row["id"]
            let keys = try segmentKeys(segment: id, wrapped: row["wrapped_key"])
            guard let sealed: Data = row["places"],
                let opened = try? keys.open(sealed, context: SegmentPlaces.context(segment: id)),
                let decoded = try? JSONDecoder().decode(SegmentPlaces.self, from: opened)
            else { throw .damaged("segment \(id): its apps and sites do not open (the row was altered or damaged)") }
            places[id] = decoded
        }
        return places
    }
}
