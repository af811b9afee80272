import ArgumentParser
import Device
import UnderstudyModel
import Vault

struct ForgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Delete recorded segments for good.",
        discussion: """
            A segment (about a minute of capture) is the unit you delete. Forgetting destroys \
            the segment's key and removes its files, and the database keeps no copy of either: \
            deleted rows are overwritten with zeros and the database log is emptied. \
            `understudy vault segments` lists the segments. The segment a running recorder is \
            writing is dropped by the recorder itself, with what it still buffers, and it goes on \
            recording into a new segment.

            TIME is RFC 3339 (2026-11-23T10:00:00Z), `now`, or a duration ago (15m, 2h, 7d). \
            --from/--to forget every segment with anything in that range.
            """
    )

    @OptionGroup var vaultOptions: VaultOptions
    @Option(help: ArgumentHelp("Forget this segment (repeat for more).", valueName: "id")) var segment: [String] = []
    @Option(help: ArgumentHelp("Forget segments with anything from this time on.", valueName: "time")) var from: TimeArgument?
    @Option(help: ArgumentHelp("…up to this time (default: now).", valueName: "time")) var to: TimeArgument?
    @Flag(help: "Forget everything in the vault.") var all = false

    func validate() throws {
        let chosen = [!segment.isEmpty, from != nil || to != nil, all].filter { $0 }.count
        guard chosen == 1 else { throw ValidationError("say what to forget: --segment ID, --from TIME [--to TIME], or --all (exactly one)") }
        if to != nil, from == nil { throw ValidationError("--to needs --from") }
    }

    func run() throws {
        let vault = try vaultOptions.open()
        let selection: Vault.ForgetSelection =
            all
            ? .all
            : segment.isEmpty ? .range(from: from!.date, to: to?.date ?? WallClock.system.now()) : .segments(segment)
        let outcome = try vault.forget(selection)
        print(outcome.text)
        for kept in outcome.beingRecorded {
            warn("\(kept.label) is being recorded and the recorder did not drop it within 5 s; stop the recorder and run forget again")
        }
        if !outcome.beingRecorded.isEmpty { throw ExitCode(2) }
    }
}
