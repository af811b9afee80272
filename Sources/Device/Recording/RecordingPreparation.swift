import Foundation
import UnderstudyModel
import Vault

extension Recorder {
    /// The vault keeps data no longer than the policy allows.
    public static func limitRetention(to policy: Policy, in vault: Vault) throws {
        var settings = try vault.settings()
        let retention = Int64(policy.retentionSeconds)
        guard settings.retentionSeconds > retention else { return }
        settings.retentionSeconds = retention
        try vault.save(settings)
    }

    /// Before recording: finish what a killed recorder left, and apply retention.
    public static func tidy(_ vault: Vault) throws {
        let recovery = try vault.recover()
        if !recovery.sealed.isEmpty {
            warn("sealed \(recovery.sealed.count) segment(s) an interrupted recorder left open")
        }
        let pruned = try vault.prune()
        if !pruned.isEmpty { warn("deleted \(pruned.count) segment(s) older than the vault's retention period") }
    }
}
