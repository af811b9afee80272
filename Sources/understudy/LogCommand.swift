import ArgumentParser
import Device
import Foundation
import UnderstudyModel
import Vault

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Print the events in a vault, one per line, oldest first.",
        discussion: "With --json each line is one event in the event JSON contract (see DESIGN.md)."
    )

    @OptionGroup var vaultOptions: VaultOptions

    @Flag(help: "Print each event as one JSON object.")
    var json = false

    @Option(help: ArgumentHelp("Only this session's events.", valueName: "id"))
    var session: String?

    func run() throws {
        let vault = try vaultOptions.open()
        var output = BufferedOutput()
        try vault.forEachEvent(session: session, damaged: { warn("skipped a damaged event: \($0)") }) { _, event in
            output.write(json ? event.json.serialized : Self.line(for: event))
        }
        output.flush()
    }

    /// A compact human line: seq, seconds since the session started, kind, fields.
    static func line(for event: Event) -> String {
        let fields = event.body.fields.map { key, value in "\(key)=\(value.serialized)" }.joined(separator: " ")
        let seconds = String(format: "%.3f", Double(event.tNs) / 1e9)
        let seq = String(event.seq)
        return
            "\(String(repeating: " ", count: max(0, 6 - seq.count)))\(seq)  +\(seconds)s  \(event.kind.padding(toLength: 12, withPad: " ", startingAt: 0)) \(fields)"
    }
}

/// Collects lines and writes them to standard output in large chunks.
struct BufferedOutput {
    private var buffer = ""

    mutating func write(_ line: String) {
        buffer += line
        buffer += "\n"
        if buffer.utf8.count > 1 << 16 { flush() }
    }

    mutating func flush() {
        FileHandle.standardOutput.write(Data(buffer.utf8))
        buffer = ""
    }
}
