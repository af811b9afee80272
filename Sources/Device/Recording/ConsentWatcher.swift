import Foundation
import Privacy
import Synchronization

/// Notices, from their files' modification times, when the contributor changes exemptions
/// or withdraws consent while recording.
final class ConsentWatcher: Sendable {
    private let policy: PolicyDocument
    private let consents = ConsentStore()
    private let exemptions = ExemptionStore()
    private let consentModified: Mutex<Date?>
    private let exemptionsModified: Mutex<Date?>

    init(policy: PolicyDocument) {
        self.policy = policy
        consentModified = Mutex(consents.modified)
        exemptionsModified = Mutex(exemptions.modified)
    }

    /// The exemptions, when their file changed since the last call.
    func changedExemptions() -> [Exemption]? {
        let modified = exemptions.modified
        guard Self.changed(exemptionsModified, to: modified) else { return nil }
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
        guard Self.changed(consentModified, to: modified) else { return false }
        switch try? consents.decision(for: policy) {
        case .consented, .narrows: return false
        default: return true
        }
    }

    /// Whether `modified` differs from the time last seen, which it then becomes.
    private static func changed(_ seen: borrowing Mutex<Date?>, to modified: Date?) -> Bool {
        seen.withLock { last in
            guard last != modified else { return false }
            last = modified
            return true
        }
    }
}
