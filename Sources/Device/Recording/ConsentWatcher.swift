import Foundation
import Privacy

/// Notices, from their files' modification times, when the contributor changes exemptions
/// or withdraws consent while recording.
final class ConsentWatcher: @unchecked Sendable {
    private let policy: PolicyDocument
    private let consents = ConsentStore()
    private let exemptions = ExemptionStore()
    private var consentModified: Date?
    private var exemptionsModified: Date?

    init(policy: PolicyDocument) {
        self.policy = policy
        consentModified = consents.modified
        exemptionsModified = exemptions.modified
    }

    /// The exemptions, when their file changed since the last call.
    func changedExemptions() -> [Exemption]? {
        let modified = exemptions.modified
        guard modified != exemptionsModified else { return nil }
        exemptionsModified = modified
        do {
            return try exemptions.load().exemptions
        } catch {
            warn("\(error); the exemptions in force stay as they were")
            return nil
        }
    }

    /// True when the consent this recording runs under is gone.
    func consentGone() -> Bool {
        let modified = consents.modified
        guard modified != consentModified else { return false }
        consentModified = modified
        switch try? consents.decision(for: policy) {
        case .consented, .narrows: return false
        default: return true
        }
    }
}
