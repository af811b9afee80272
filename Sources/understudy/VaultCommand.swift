import ArgumentParser
import Device
import UnderstudyModel
import Vault

struct VaultCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault",
        abstract: "Check, list, prune and configure a vault.",
        subcommands: [Check.self, Segments.self, Frame.self, Prune.self, Config.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify every segment: its key, its seal, and every event, frame and patch file.",
            discussion:
                "Exits 0 when nothing is damaged, 1 when something is, naming each damaged part. Readers skip damaged parts and keep the rest."
        )
        @OptionGroup var vaultOptions: VaultOptions

        func run() throws {
            let vault = try vaultOptions.open()
            let report = try vault.check()
            print(report.text(vault: vault))
            if !report.isHealthy { throw ExitCode.failure }
        }
    }

    struct Segments: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the segments, the unit you review and forget.")
        @OptionGroup var vaultOptions: VaultOptions
        @Flag(help: "Print one JSON object per segment.") var json = false

        func run() throws {
            var output = BufferedOutput()
            for segment in try vaultOptions.open().segments().map(VaultSegmentLine.init) {
                output.write(json ? try ReportCoding.line(segment) : segment.text)
            }
            output.flush()
        }
    }

    struct Frame: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a stored frame as a PNG, to see exactly what was kept (masked windows included).",
            discussion: "Without --hash, the newest frame of the newest session."
        )
        @OptionGroup var vaultOptions: VaultOptions
        @Option(help: ArgumentHelp("The frame's content hash, as `understudy log` shows it.", valueName: "hash")) var hash: String?
        @Option(help: ArgumentHelp("The PNG file to write (a binary PPM when the name ends in .ppm).", valueName: "file")) var out: String
        @Flag(help: "Print the frame's record as JSON: its size, why it was taken, and the boxes redaction filled.") var json = false

        func run() throws {
            let written = try StoredFrameImage.write(from: try vaultOptions.open(), hash: hash, to: out)
            print(json ? try ReportCoding.line(written) : written.text(file: out))
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete segments older than the vault's retention period, and finish what a killed recorder left.",
            discussion: "The recorder also does this when it starts and each time it seals a segment."
        )
        @OptionGroup var vaultOptions: VaultOptions

        func run() throws { print(try VaultPruning.run(try vaultOptions.open()).text) }
    }

    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or change the vault's limits.",
            discussion: "Sizes: 2GB, 500MB, 64MiB. Durations: 90s, 15m, 2h, 7d. A running recorder picks changes up when it next starts."
        )
        @OptionGroup var vaultOptions: VaultOptions
        @Option(help: ArgumentHelp("The most the vault may occupy on disk.", valueName: "size")) var quota: ByteSizeArgument?
        @Option(help: ArgumentHelp("Stop storing when the disk has less than this free.", valueName: "size")) var minFree: ByteSizeArgument?
        @Option(help: ArgumentHelp("Delete segments older than this.", valueName: "duration")) var retention: DurationArgument?
        @Option(help: ArgumentHelp("Seal a segment after this much capture.", valueName: "duration")) var segmentDuration: DurationArgument?
        @Option(help: ArgumentHelp("…or once it holds this much.", valueName: "size")) var segmentSize: ByteSizeArgument?

        func validate() throws {
            if let d = segmentDuration, d.duration < .seconds(1) { throw ValidationError("--segment-duration must be at least 1s") }
            if let s = segmentSize, s.bytes < 65536 { throw ValidationError("--segment-size must be at least 64KiB") }
        }

        func run() throws {
            let vault = try vaultOptions.open()
            var change = VaultLimitsChange()
            (change.quotaBytes, change.minFreeBytes, change.segmentBytes) = (quota?.bytes, minFree?.bytes, segmentSize?.bytes)
            (change.retention, change.segmentDuration) = (retention?.duration, segmentDuration?.duration)
            print(try change.apply(to: vault).text(key: vault.keyLocation))
        }
    }
}
