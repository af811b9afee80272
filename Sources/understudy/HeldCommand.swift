import ArgumentParser
import CollectorAPI
import Foundation
import Privacy
import Sync
import UnderstudyModel

struct HeldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "held",
        abstract: "What your organisation's collector holds about you: list it, download it, read its audit records.",
        subcommands: [List.self, Download.self, Audit.self, Erase.self],
        defaultSubcommand: List.self
    )

    /// Runs `body` with a client signing as this device.
    static func device<T>(_ body: (CollectorClient, CollectorClient.Identity) async throws -> T) async throws -> T {
        let credential = try DeviceCredential.load()
        return try await CollectorClient.with(credential.server) { client in try await body(client, .device(credential)) }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Your segments on the server.")
        @Flag(help: "One JSON object per segment.") var json = false

        func run() async throws {
            for segment in try await HeldCommand.device({ client, me in try await client.mySegments(as: me) }) {
                if json {
                    try printJSON(segment)
                } else {
                    print("\(segment.id)  \(segment.bytes) bytes  received \(RFC3339.string(from: segment.receivedAt))")
                }
            }
        }
    }

    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download every segment the server holds about you, as the bundles uploaded (tar).")
        @Option(help: ArgumentHelp("The folder to write {segment}.tar into.", valueName: "dir")) var out: String

        func run() async throws {
            let folder = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let count = try await HeldCommand.device { client, me in
                let list = try await client.mySegments(as: me)
                for segment in list {
                    let bundle = try await client.send("GET", "/v1/me/segments/\(segment.id)", as: me)
                    try bundle.verifiedBody().write(to: folder.appendingPathComponent("\(segment.id).tar"))
                }
                return list.count
            }
            print("Downloaded \(count) segment(s) to \(folder.path).")
        }
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase everything the collector holds about you, for good.",
            discussion:
                "Your data key is destroyed first, so no copy (backups included) opens again; then your segments are deleted and your devices revoked. What stays: your pseudonymous id with the time of erasure, and the audit records."
        )
        @Flag(help: "Confirm: nothing can be recovered afterwards.") var yes = false

        func run() async throws {
            guard yes else { throw ValidationError("erasure cannot be undone: add --yes to confirm") }
            let erased = try await HeldCommand.device { client, me in try await client.eraseMe(as: me) }
            print("Erased: \(erased.segments) segment(s) deleted, your data key destroyed, your devices revoked.")
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The audit records about your data: every read, upload and enrolment.")

        func run() async throws {
            for record in try await HeldCommand.device({ client, me in try await client.myAudit(as: me) }) { try printJSON(record) }
        }
    }
}
