import Foundation
import Logging
import Privacy
import ServiceLifecycle
import UnderstudyModel

/// Deletes segments older than their policy's retention (counted from when their recording
/// ended), every `interval`, until the server shuts down.
struct RetentionSweeper: Service {
    let state: CollectorState
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let deleted = try await sweep()
                    CollectorMetrics.sweeperRan(deleted: deleted, failed: false)
                    state.logger.log(level: deleted > 0 ? .info : .debug, "retention sweep", metadata: ["deleted": "\(deleted)"])
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
