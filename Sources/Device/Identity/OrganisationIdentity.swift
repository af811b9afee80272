import CollectorAPI
import Foundation
import Privacy
import Vault

/// What the organisation knows the contributor by — the display name and address it gave
/// with the enrolment code — kept on the device for redaction, sealed in the vault's settings
/// (never in clear), and added to what ``AccountIdentity`` gathers when recording starts.
///
/// The collector forgets them once the code is redeemed, so the device is the only place they
/// stay, and only to be found and replaced by tokens.
public enum OrganisationIdentity {
    static let setting = "organisation-identity"

    /// Keeps `identity` in the vault (removes what was kept when nil).
    public static func save(_ identity: ContributorIdentity?, in vault: Vault) throws {
        try vault.saveSealedSetting(setting, try identity.map { try JSONEncoder().encode($0) })
    }

    /// What the vault keeps, if anything.
    public static func load(from vault: Vault) throws -> ContributorIdentity? {
        guard let data = try vault.sealedSetting(setting) else { return nil }
        return try JSONDecoder().decode(ContributorIdentity.self, from: data)
    }

    /// `identity` with what the organisation supplied added to it.
    public static func adding(_ organisation: ContributorIdentity?, to identity: SelfIdentity) -> SelfIdentity {
        var merged = identity
        if let name = organisation?.displayName, !merged.names.contains(name) { merged.names.append(name) }
        if let email = organisation?.email?.lowercased(), !merged.emails.contains(email) { merged.emails.append(email) }
        return merged
    }
}
