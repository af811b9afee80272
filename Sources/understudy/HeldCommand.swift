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
        subcommands: [List.self, Download.self, Delete.self, Audit.self, Enrolments.self, Approve.self, Refuse.self, Erase.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Your segments on the server.")
        @Flag(help: "One JSON object per segment.") var json = false

        func run() async throws {
            for segment in try await DeviceCredential.session({ client, me in try await client.mySegments(as: me) }) {
                if json { try printJSON(segment) } else { print(segment.text) }
            }
        }
    }

    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download every segment the server holds about you, as the bundles uploaded (tar).")
        @Option(help: ArgumentHelp("The folder to write {segment}.tar into.", valueName: "dir")) var out: String

        func run() async throws {
            let folder = URL(fileURLWithPath: out)
            let count = try await DeviceCredential.session { client, me in try await client.downloadMySegments(into: folder, as: me) }
            print("Downloaded \(count) segment(s) to \(folder.path).")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete one of your segments from the collector, with any verdicts on it.")
        @Argument(help: ArgumentHelp("The segment's id, as `held list` shows it.", valueName: "id")) var id: String

        func run() async throws {
            guard UUID(uuidString: id) != nil else { throw ValidationError("\(id) is not a segment id (`held list` shows them)") }
            let deleted = try await DeviceCredential.session { client, me in try await client.deleteMySegment(id, as: me) }
            print("Deleted segment \(deleted.segment) from the collector.")
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
            let erased = try await DeviceCredential.session { client, me in try await client.eraseMe(as: me) }
            print("Erased: \(erased.segments) segment(s) deleted, your data key destroyed, your devices revoked.")
        }
    }

    struct Enrolments: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Codes someone made to enrol another device as you: none enrols until you (or a privacy officer) approve it.")

        func run() async throws {
            let codes = try await DeviceCredential.session { client, me in try await client.myEnrolmentCodes(as: me) }
            if codes.isEmpty { print("No enrolment codes are waiting.") }
            for code in codes { print(code.text) }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a code enrol a new device of yours.")
        @Argument(help: ArgumentHelp("The code's id, as `held enrolments` shows it.", valueName: "id")) var id: String
        @Flag(help: "Let the new device read what you uploaded before it (otherwise it reads only what comes after).") var history = false

        func run() async throws {
            let approved = try await DeviceCredential.session { client, me in
                try await client.approveMyEnrolmentCode(id, allowHistory: history, as: me)
            }
            print(
                "Approved code \(approved.id): the device it enrols reads \(approved.allowsHistory ? "all your data" : "only what arrives after it")."
            )
        }
    }

    struct Refuse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refuse a code you did not ask for: it enrols nothing.")
        @Argument(help: ArgumentHelp("The code's id, as `held enrolments` shows it.", valueName: "id")) var id: String

        func run() async throws {
            _ = try await DeviceCredential.session { client, me in try await client.refuseMyEnrolmentCode(id, as: me) }
            print("Refused code \(id): it enrols nothing.")
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The audit records about your data: every read, upload and enrolment.")

        func run() async throws {
            for record in try await DeviceCredential.session({ client, me in try await client.myAudit(as: me) }) { try printJSON(record) }
        }
    }
}
