import ArgumentParser
import Device

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Print the events in a vault, one per line, oldest first.",
        discussion: "With --json each line is one event in the event JSON contract (see DESIGN.md)."
    )

    @OptionGroup var vaultOptions: VaultOptions
    @Flag(help: "Print each event as one JSON object.") var json = false
    @Option(help: ArgumentHelp("Only this session's events.", valueName: "id")) var session: String?

    func run() throws {
        let vault = try vaultOptions.open()
        var output = BufferedOutput()
        try vault.forEachEvent(session: session, damaged: { warn("skipped a damaged event: \($0)") }) { _, event in
            output.write(json ? event.json.serialized : event.line)
        }
        output.flush()
    }
}
