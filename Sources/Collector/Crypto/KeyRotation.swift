import Foundation
import UnderstudyModel

/// Replaces the key-encryption key: every contributor's data key is rewrapped with the new
/// key in one transaction, each checked to unwrap before anything is written. Content is not
/// re-encrypted. The collector must be stopped meanwhile.
public enum KeyRotation {
    /// What a rotation did.
    public struct Outcome: Sendable {
        public var keys: Int
        public var from: String
        public var to: String
    }

    /// Rotates the keys of the collector whose data directory is `data`; the new key file is
    /// created (owner-only) when absent.
    public static func rotate(data: URL, kek: URL, newKEK: URL, clock: WallClock = .system) async throws -> Outcome {
        let old = try LocalKeyEncryptionKey.load(file: kek, environment: [:], create: false)
        let new = try LocalKeyEncryptionKey.load(file: newKEK, environment: [:], create: true)
        let store = try SQLiteMetadataStore(path: data.appendingPathComponent("collector.sqlite").path)
        let count = try await store.rewrapDataKeys { contributor, wrapped in
            let rewrapped = try new.wrap(try old.unwrap(wrapped, contributor: contributor), contributor: contributor)
            _ = try new.unwrap(rewrapped, contributor: contributor)
            return rewrapped
        }
        let detail = JSONValue.object([("from", .string(old.fingerprint)), ("to", .string(new.fingerprint)), ("keys", .int(Int64(count)))])
        _ = try await store.appendAudit(AuditEntry(at: clock.now(), actor: "system", action: "kek_rotated", detail: detail.serialized))
        return Outcome(keys: count, from: old.fingerprint, to: new.fingerprint)
    }
}
