import CollectorAPI
import Foundation
import Sync

/// What the organisation's collector holds about the contributor, as the review page shows it
/// when this device is enrolled: the segments there and the audit records about their data
/// (the `held` command's two lists), asked for each time the page is shown.
enum HeldByCollector: Sendable {
    case notEnrolled
    case unreachable(String)
    case held(server: String, segments: [SegmentListing], audit: [AuditRecordListing])

    /// How long the page waits for the collector before saying it could not reach it.
    static let patience: Duration = .seconds(4)

    /// Asks the collector to delete one of the contributor's segments there; what it said.
    static func delete(_ segment: String) async -> String {
        guard UUID(uuidString: segment) != nil else { return "Say which segment to delete." }
        do {
            _ = try await DeviceCredential.session { client, me in try await client.deleteMySegment(segment, as: me) }
            return "Your organisation's collector deleted segment \(segment.prefix(8)): its copy and its review verdicts are gone."
        } catch {
            return "\(error)"
        }
    }

    static func read() async -> HeldByCollector {
        guard let credential = try? DeviceCredential.load() else { return .notEnrolled }
        let server = credential.server.absoluteString
        return await withTaskGroup(of: HeldByCollector?.self) { group in
            group.addTask {
                do {
                    let (segments, audit) = try await DeviceCredential.session { client, me in
                        (try await client.mySegments(as: me), try await client.myAudit(as: me))
                    }
                    return .held(server: server, segments: segments, audit: audit)
                } catch {
                    return .unreachable("\(error)")
                }
            }
            group.addTask {
                try? await Task.sleep(for: patience)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .unreachable("no answer within \(patience)")
        }
    }
}
