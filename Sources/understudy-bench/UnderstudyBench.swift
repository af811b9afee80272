import ArgumentParser
import Foundation

/// The benchmarks `make bench` runs besides whole recordings: built with it, never installed
/// with `understudy` or listed in its help.
@main
struct UnderstudyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "understudy-bench",
        abstract: "Understudy's benchmarks (for make bench): the vault's write rate, OCR on stored frames, the collector's ingest.",
        subcommands: [VaultBenchCommand.self, OCRBenchCommand.self, IngestBenchCommand.self, ReviewPageBenchCommand.self]
    )

    /// The `understudy` binary beside this one, which the ingest bench starts as its collector.
    static var understudy: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("understudy")
    }
}
