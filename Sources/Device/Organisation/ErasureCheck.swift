import Foundation
import Sync

/// A scientist's duty after an erasure: exports made from the collector name each session's
/// contributor by pseudonym in their manifest, so the exports holding erased contributors'
/// data can be found and deleted.
public struct ErasureCheck: Sendable {
    /// Erased contributors by pseudonym, with the day of erasure.
    public let erased: [String: String]

    /// The collector's list of erasures.
    public static func fetch(as staff: StaffSignIn) async throws -> ErasureCheck {
        let listed = try await staff.session { client, me in try await client.erasures(as: me) }
        return ErasureCheck(erased: Dictionary(listed.map { ($0.contributor, $0.erasedOn) }, uniquingKeysWith: { first, _ in first }))
    }

    /// `pseudonym  erased day` lines, oldest erasure first.
    public var lines: [String] {
        erased.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map { "\($0.key)  erased \($0.value)" }
    }

    /// The erased contributors whose data the export in `folder` holds.
    public func erasedContributors(inExport folder: String) throws -> [String] {
        try Self.contributors(inExport: folder).filter { erased[$0] != nil }.sorted()
    }

    /// The part of an export's manifest that names contributors.
    private struct Manifest: Decodable {
        struct Session: Decodable { var contributor: String? }
        var sessions: [Session]
    }

    private static func contributors(inExport folder: String) throws -> Set<String> {
        let file = URL(fileURLWithPath: folder).appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: file.path), let manifest = try? JSONDecoder().decode(Manifest.self, from: data) else {
            throw DeviceFailure("\(file.path) is not an export's manifest")
        }
        return Set(manifest.sessions.compactMap(\.contributor))
    }
}
