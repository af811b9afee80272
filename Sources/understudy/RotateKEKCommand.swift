import ArgumentParser
import Collector
import Foundation

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
        let rotated = try await KeyRotation.rotate(
            data: URL(fileURLWithPath: data), kek: URL(fileURLWithPath: kekFile), newKEK: URL(fileURLWithPath: newKekFile))
        print(
            "Rewrapped \(rotated.keys) data key(s): key-encryption key \(rotated.from) replaced by \(rotated.to). Start the collector with \(newKekFile)."
        )
    }
}
