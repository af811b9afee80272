import Foundation
import Logging
import Privacy
import ServiceLifecycle
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
        return segments.count
    }
}

/// Deletes segments older than their policy's retention (counted from when their recording
/// ended), every `interval`, until the server shuts down.
struct RetentionSweeper: Service {
    let state: CollectorState
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    CollectorMetrics.sweeperRan(deleted: try await sweep(), failed: false)
                } catch {
                    CollectorMetrics.sweeperRan(deleted: 0, failed: true)
                    state.logger.error("retention sweep failed", metadata: ["error": "\(error)"])
                }
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }

    /// One pass; returns the segments deleted.
    @discardableResult
    func sweep() async throws -> Int {
        var deleted = 0
        for policy in try await state.metadata.policies() {
            guard let document = try? PolicyDocument(text: String(decoding: policy.document, as: UTF8.self), source: "policy \(policy.hash)") else {
                continue
            }
            let cutoff = state.now().addingTimeInterval(-document.policy.retentionSeconds)
            for segment in try await state.metadata.segments(policyHash: policy.hash, recordedBefore: cutoff) {
                try await state.blobs.delete(segment.blob)
                try await state.metadata.deleteSegment(segment.id)
                try await state.audit(
                    "system", "retention_erased", subject: segment.contributor,
                    .object([("segment", .string(segment.id)), ("policy", .string(policy.hash))]))
                deleted += 1
            }
        }
        return deleted
    }
}
