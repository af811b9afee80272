import CollectorAPI
import Datasets
import Foundation
import Sync
import UnderstudyModel
import Vault

/// A collector as a scientist exports from it: every held segment, downloaded into a folder
/// and checked against the hash the server states, read back into sessions (their times moved
/// by the server, so no one learns when a contributor worked); the steps
/// reviewers judged bad; and the lineage (the collector, each session's contributor by
/// pseudonym, the policies they consented to).
public struct CollectorDataset {
    public var source: BundleRecordingSource
    public var rejectedSteps: [String: Set<UInt64>]
    public var lineage: Lineage
    /// Each session's segments, by their handles.
    public var segments: [String: [String]] = [:]

    /// Downloads into `folder` (the caller removes it once the export is written); `generator`
    /// names the program in the lineage, and `progress` hears of each download (done, of total).
    public static func fetch(
        from server: String, client: CollectorClient, as me: CollectorClient.Identity, into folder: URL, generator: String,
        progress: (Int, Int) -> Void = { _, _ in }
    ) async throws -> CollectorDataset {
        let listed = try await client.datasetSegments(as: me)
        guard !listed.isEmpty else { throw DeviceFailure("the collector holds no segment yet: there is nothing to export") }
        let policies = try await client.policies(as: me)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var files: [URL] = []
        var rejected: [String: Set<UInt64>] = [:]
        var contributors: [String: String] = [:]
        var segments: [String: DatasetListing] = [:]
        for (n, item) in listed.enumerated() {
            let id = item.id
            let answer: CollectorClient.Answer
            do {
                answer = try await client.send("GET", "/v1/dataset/segments/\(id)", as: me)
            } catch {
                // A device can upload something that is not a bundle; one such segment does not stop the export.
                guard case .refused(_, let code, let message) = error, code == "not_a_bundle" else { throw error }
                warn("segment \(id) left out: \(message)")
                continue
            }
            let file = folder.appendingPathComponent("\(files.count).tar")
            try answer.verifiedBody().write(to: file)
            files.append(file)
            segments[id] = item
            progress(n + 1, listed.count)
        }
        guard !files.isEmpty else { throw DeviceFailure("no segment the collector holds is a readable bundle: there is nothing to export") }
        let source = try BundleRecordingSource(files: files)
        var handles: [String: [String]] = [:]
        for session in source.sessions() {
            // A session's segments all belong to one contributor; the listing names them by pseudonym.
            let items = source.segmentIDs(of: session).compactMap { segments[$0] }
            handles[session.id] = items.map(\.id)
            contributors[session.id] = items.first?.contributor
            let bad = items.flatMap(\.rejectedSteps).map { UInt64(max(0, $0)) }
            if !bad.isEmpty { rejected[session.id] = Set(bad) }
        }
        let consents = consents(of: source.sessions(), policies: policies)
        let lineage = Lineage(vault: server, generator: generator, consents: consents, contributors: contributors)
        return CollectorDataset(source: source, rejectedSteps: rejected, lineage: lineage, segments: handles)
    }

    /// Each session's consent, as its bundle records it, named after the published policy.
    private static func consents(of sessions: [Session], policies: [PolicyListing]) -> [Lineage.Consent] {
        var seen: Set<String> = []
        return sessions.compactMap { session in
            guard let hash = session.policyHash, let at = session.consentedAt, seen.insert("\(hash) \(at.timeIntervalSince1970)").inserted else {
                return nil
            }
            let published = policies.first { $0.hash == hash }
            return Lineage.Consent(policyHash: hash, name: published?.name ?? "?", version: published?.version ?? 0, acceptedAt: at)
        }
    }
}
