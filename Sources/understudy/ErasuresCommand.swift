import ArgumentParser
import Device

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
        let check = try await ErasureCheck.fetch(as: staff.signIn)
        guard !exports.isEmpty else {
            for line in check.lines { print(line) }
            return
        }
        var holding = 0
        for folder in exports {
            let affected = try check.erasedContributors(inExport: folder)
            holding += affected.isEmpty ? 0 : 1
            print(
                affected.isEmpty
                    ? "\(folder): holds no erased contributor's data"
                    : "\(folder): holds data of erased contributor(s) \(affected.joined(separator: ", ")): delete it, or export again")
        }
        if holding > 0 { throw ExitCode.failure }
    }
}
