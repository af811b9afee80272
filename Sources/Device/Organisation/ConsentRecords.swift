import Foundation
import Privacy

/// The consents to send before uploading, the review window of the policy in force, and when
/// consent was withdrawn (nil unless it was, and not given again since).
public enum ConsentRecords {
    public static func all() throws -> (records: [(policyHash: String, acceptedAt: Date)], reviewWindow: TimeInterval, withdrawnAt: Date?) {
        let store = ConsentStore()
        let contents = try store.load()
        let current = try store.current()
        let window = current.flatMap { try? PolicyDocument(text: $0.document, source: "consent") }?.policy.reviewWindowSeconds ?? 86400
        return (contents.withdrawnAt == nil ? contents.accepted.map { ($0.policyHash, $0.acceptedAt) } : [], window, contents.withdrawnAt)
    }
}
