import Foundation
import GRDB
import UnderstudyModel

/// A vault's limits, stored in the vault so they hold whichever process opens it.
public struct VaultSettings: Sendable, Equatable {
    /// The most the vault directory may occupy on disk.
    public var quotaBytes: Int64 = 2_000_000_000
    /// Capture stops storing when the file system has less than this free.
    public var minFreeBytes: Int64 = 500_000_000
    /// Sealed segments older than this are deleted.
    public var retentionSeconds: Int64 = 7 * 86400
    /// A segment is sealed after this much capture time…
    public var segmentSeconds: Int64 = 60
    /// …or once it holds this many bytes, whichever comes first.
    public var segmentBytes: Int64 = 64_000_000

    public init() {}

    static var names: [(String, WritableKeyPath<VaultSettings, Int64>)] {
        [
            ("quota_bytes", \.quotaBytes), ("min_free_bytes", \.minFreeBytes), ("retention_seconds", \.retentionSeconds),
            ("segment_seconds", \.segmentSeconds), ("segment_bytes", \.segmentBytes),
        ]
    }
}

extension Vault {
    /// The stored settings, defaults where none was set.
    public func settings() throws(VaultError) -> VaultSettings {
        try read { db in
            var settings = VaultSettings()
            let stored = Dictionary(
                try Row.fetchAll(db, sql: "SELECT name, value FROM setting").map { ($0["name"] as String, $0["value"] as String) },
                uniquingKeysWith: { a, _ in a })
            for (name, path) in VaultSettings.names {
                if let value = stored[name].flatMap({ Int64($0) }) { settings[keyPath: path] = value }
            }
            return settings
        }
    }

    public func save(_ settings: VaultSettings) throws(VaultError) {
        try write { db in
            for (name, path) in VaultSettings.names {
                try db.execute(sql: "INSERT OR REPLACE INTO setting (name, value) VALUES (?, ?)", arguments: [name, String(settings[keyPath: path])])
            }
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(VaultError) -> T {
        do {
            return try database.write(body)
        } catch let error as VaultError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            // Told apart from other failures: sealing a segment on a full disk must stop storing, not fail every flush.
            throw .diskFull("\(error)")
        } catch {
            throw .writeFailed("\(error)")
        }
    }
}

extension Vault {
    /// Stores a setting that names the contributor (their name and address as the organisation
    /// gave them), sealed under the vault key, so the vault's database never holds it in clear;
    /// nil removes it. Without encryption (benchmarks) nothing is stored.
    public func saveSealedSetting(_ name: String, _ value: Data?) throws(VaultError) {
        guard encrypted else { return }
        let stored = try value.map { value throws(VaultError) in
            do { return try requireKey().sealSetting(value, name: name).base64EncodedString() } catch let error as VaultError {
                throw error
            } catch { throw .writeFailed("cannot seal the setting \(name): \(error)") }
        }
        try write { db in
            if let stored {
                try db.execute(sql: "INSERT OR REPLACE INTO setting (name, value) VALUES (?, ?)", arguments: ["sealed:\(name)", stored])
            } else {
                try db.execute(sql: "DELETE FROM setting WHERE name = ?", arguments: ["sealed:\(name)"])
            }
        }
    }

    /// A sealed setting, or nil when none is stored; one that does not open is damage.
    public func sealedSetting(_ name: String) throws(VaultError) -> Data? {
        guard encrypted else { return nil }
        let stored = try read { db in try String.fetchOne(db, sql: "SELECT value FROM setting WHERE name = ?", arguments: ["sealed:\(name)"]) }
        guard let stored else { return nil }
        guard let sealed = Data(base64Encoded: stored), let value = try? requireKey().openSetting(sealed, name: name) else {
            throw .damaged("the setting \(name) does not open with the vault key (it was altered or damaged)")
        }
        return value
    }
}
