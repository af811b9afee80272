import ArgumentParser
import CollectorAPI
import Foundation
import UnderstudyModel

/// A scientist's duty after an erasure: exports made from the collector name each session's
/// contributor by pseudonym in their manifest, so those holding erased contributors' data
/// can be found and deleted.
struct ErasuresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erasures",
        abstract: "The contributors erased from the collector, by pseudonym; with --check, which exports still hold their data.",
        discussion: "Exits 1 when a checked export holds data of an erased contributor: delete it (or export again) to honour the erasure."
    )

    @Option(name: .customLong("check"), help: ArgumentHelp("An export folder made with `export --server` (repeatable).", valueName: "dir"))
    var exports: [String] = []

    @OptionGroup var staff: StaffOptions

    func run() async throws {
        let listed = try await staff.session { client, me in try await client.erasures(as: me) }
        let erased = Dictionary(listed.map { ($0.contributor, $0.erasedOn) }, uniquingKeysWith: { first, _ in first })
        guard !exports.isEmpty else {
            for (pseudonym, day) in erased.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) { print("\(pseudonym)  erased \(day)") }
            return
        }
        var holding = 0
        for folder in exports {
            let affected = try contributors(in: folder).filter { erased[$0] != nil }
            if affected.isEmpty {
                print("\(folder): holds no erased contributor's data")
            } else {
                holding += 1
                print("\(folder): holds data of erased contributor(s) \(affected.sorted().joined(separator: ", ")): delete it, or export again")
            }
        }
        if holding > 0 { throw ExitCode.failure }
    }

    /// The pseudonyms an export's manifest names for its sessions.
    private func contributors(in folder: String) throws -> Set<String> {
        let file = URL(fileURLWithPath: folder).appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: file.path), let manifest = try? JSONValue.parse(data) else {
            throw CommandFailure("\(file.path) is not an export's manifest")
        }
        return Set((manifest["sessions"]?.arrayValue ?? []).compactMap { $0["contributor"]?.stringValue })
    }
}
