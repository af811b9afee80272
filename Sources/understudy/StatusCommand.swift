import ArgumentParser
import Device
import UnderstudyModel

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Say whether a recorder is running, and what the vault holds.")

    @OptionGroup var vaultOptions: VaultOptions
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        let report = try StatusReport.read(vault: vaultOptions.directory)
        print(json ? try ReportCoding.line(report) : report.text)
    }
}
