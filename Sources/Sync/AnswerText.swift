import CollectorAPI
import Foundation
import UnderstudyModel

// How the command line shows the collector's answers to a person: one line each, safe for a
// terminal (devices choose names, values and reasons).

extension EnrolmentCodeIssued {
    public var text: String {
        let approval = awaitingApproval ? "; \(contributor) has a device: it enrols once they or a privacy officer approve \(id)" : ""
        let keys = policyKeys.map { "; give with it --policy-key \($0)" }.joined()
        return "\(code) (for \(contributor), until \(RFC3339.string(from: expiresAt))\(keys)\(approval))".terminalSafe
    }
}

extension EnrolmentCodeListing {
    public var text: String {
        let approval = approvedBy.map { "approved by \($0)\(allowsHistory ? ", with history" : "")" } ?? "not approved"
        return "\(id)  \(contributor)  made by \(createdBy)  until \(RFC3339.string(from: expiresAt))  \(approval)".terminalSafe
    }
}

extension StaffUserListing {
    public var text: String {
        "\(name)  \(role)  created \(RFC3339.string(from: createdAt))\(awaitingApproval ? "  awaiting a privacy officer's approval" : "")"
            .terminalSafe
    }
}

extension DeviceListing {
    public var text: String {
        ("\(id)  \(contributor)  \(name)  enrolled \(RFC3339.string(from: enrolledAt))"
            + (revokedAt.map { "  revoked \(RFC3339.string(from: $0))" } ?? "")).terminalSafe
    }
}

extension ExemptionListing {
    public var text: String {
        let period = [("from", from), ("until", until)].compactMap { name, date in date.map { " \(name) \(RFC3339.string(from: $0))" } }.joined()
        return "\(contributor) \(id)  \(kind) \(value)\(period)  \(status) — \(reason)".terminalSafe
    }
}

extension ReviewListing {
    public var text: String { "\(id)  \(contributor)  \(stepsJudged) judged, \(stepsBad) bad".terminalSafe }
}

extension SegmentListing {
    public var text: String { "\(id)  \(bytes) bytes  received \(RFC3339.string(from: receivedAt))".terminalSafe }
}

extension CollectorClient {
    /// Publishes the signed policy in `file` (its signature in `file.sig`); a privacy officer's act.
    public func publishPolicy(file: String, as identity: Identity) async throws -> PolicyPublished {
        guard let document = try? String(contentsOfFile: file, encoding: .utf8) else { throw StaffSignIn.Problem(description: "cannot read \(file)") }
        guard let signature = try? String(contentsOfFile: file + ".sig", encoding: .utf8) else {
            throw StaffSignIn.Problem(description: "\(file) is not signed (no \(file).sig)")
        }
        return try await publishPolicy(document: document, signature: signature, as: identity)
    }
}
