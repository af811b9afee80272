import ArgumentParser
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
            let answer = try await HeldCommand.device { client, me in try await client.send("GET", "/v1/me/segments", as: me) }
            for segment in answer.json?.arrayValue ?? [] {
                print(json ? segment.serialized : "\(segment["id"]?.stringValue ?? "")  \(segment["bytes"]?.intValue ?? 0) bytes  received \(segment["received_at"]?.stringValue ?? "")")
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
                let list = try await client.send("GET", "/v1/me/segments", as: me).json?.arrayValue ?? []
                for segment in list {
                    guard let id = segment["id"]?.stringValue else { continue }
                    let bundle = try await client.send("GET", "/v1/me/segments/\(id)", as: me)
                    try bundle.verifiedBody().write(to: folder.appendingPathComponent("\(id).tar"))
                }
                return list.count
            }
            print("Downloaded \(count) segment(s) to \(folder.path).")
        }
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase everything the collector holds about you, for good.",
            discussion: "Your data key is destroyed first, so no copy (backups included) opens again; then your segments are deleted and your devices revoked. What stays: your pseudonymous id with the time of erasure, and the audit records."
        )
        @Flag(help: "Confirm: nothing can be recovered afterwards.") var yes = false

        func run() async throws {
            guard yes else { throw ValidationError("erasure cannot be undone: add --yes to confirm") }
            let answer = try await HeldCommand.device { client, me in try await client.send("DELETE", "/v1/me", as: me) }
            print("Erased: \(answer.json?["segments"]?.intValue ?? 0) segment(s) deleted, your data key destroyed, your devices revoked.")
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The audit records about your data: every read, upload and enrolment.")

        func run() async throws {
            let answer = try await HeldCommand.device { client, me in try await client.send("GET", "/v1/me/audit", as: me) }
            for record in answer.json?.arrayValue ?? [] { print(record.serialized) }
        }
    }
}
