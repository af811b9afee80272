import Foundation
import UnderstudyModel

/// Erasing a contributor: their data key first (crypto-shredding: whatever copy of their
/// blobs survives, in backups too, no longer opens), then their blobs and segment rows. A
/// tombstone (their id and the time) and an audit record remain.
struct Erasure {
    let state: CollectorState

    /// Returns how many segments were deleted.
    func erase(_ contributor: String, by actor: String) async throws -> Int {
        let segments: [StoredSegment]
        do {
            segments = try await state.metadata.shredContributor(contributor, at: state.now())
        } catch StoreError.notFound {
            throw APIError.notFound("contributor \(contributor)")
        }
        for segment in segments {
            try await state.blobs.delete(segment.blob)
            try await state.metadata.deleteSegment(segment.id)
        }
        try await state.audit(actor, "contributor_erased", subject: contributor, .object([("segments", .int(Int64(segments.count)))]))
        state.logger.notice("contributor erased", metadata: ["segments": "\(segments.count)", "by": "\(actor)"])
        return segments.count
    }
}
