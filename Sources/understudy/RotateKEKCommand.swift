import ArgumentParser
import Collector
import Foundation
import UnderstudyModel

struct RotateKEKCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-kek",
        abstract: "Rewrap every contributor's data key with a new key-encryption key (stop the collector first).",
        discussion: """
            Content is not re-encrypted: only the wrapped data keys change, in one transaction, and each is \
            checked to unwrap with the new key before anything is written. The new key file is created \
            (owner-only) when absent. Afterwards start the collector with the new key, and destroy the old \
            one together with the backups made under it.
            """
    )

    @Option(help: ArgumentHelp("The collector's data directory.", valueName: "dir")) var data: String
    @Option(help: ArgumentHelp("The key-encryption key in use.", valueName: "file")) var kekFile: String
    @Option(help: ArgumentHelp("The new key-encryption key (created when absent).", valueName: "file")) var newKekFile: String

    func run() async throws {
        guard kekFile != newKekFile else { throw ValidationError("--new-kek-file must differ from --kek-file") }
        let old = try LocalKeyEncryptionKey.load(file: URL(fileURLWithPath: kekFile), environment: [:], create: false)
        let new = try LocalKeyEncryptionKey.load(file: URL(fileURLWithPath: newKekFile), environment: [:], create: true)
        let store = try SQLiteMetadataStore(path: URL(fileURLWithPath: data).appendingPathComponent("collector.sqlite").path)
        let count = try await store.rewrapDataKeys { contributor, wrapped in
            let key = try old.unwrap(wrapped, contributor: contributor)
            let rewrapped = try new.wrap(key, contributor: contributor)
            _ = try new.unwrap(rewrapped, contributor: contributor)
            return rewrapped
        }
        _ = try await store.appendAudit(
            AuditEntry(
                at: WallClock.system.now(), actor: "system", action: "kek_rotated",
                detail: JSONValue.object([
                    ("from", .string(old.fingerprint)), ("to", .string(new.fingerprint)),
                    ("keys", .int(Int64(count))),
                ]).serialized))
        print(
            "Rewrapped \(count) data key(s): key-encryption key \(old.fingerprint) replaced by \(new.fingerprint). Start the collector with \(newKekFile)."
        )
    }
}
