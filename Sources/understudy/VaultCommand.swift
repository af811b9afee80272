import ArgumentParser
import Capture
import Device
import Foundation
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
            for problem in report.problems { print("DAMAGED: \(problem)") }
            for note in report.notes { print("note: \(note)") }
            print(
                "\(report.isHealthy ? "OK" : "DAMAGED"): \(count(report.segments, "segment")), \(count(report.events, "event")), \(count(report.frames, "frame")), \(count(report.patches, "patch file")) checked in \(vault.directory.path)"
            )
            if !report.isHealthy { throw ExitCode.failure }
        }
    }

    struct Segments: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the segments, the unit you review and forget.")

        @OptionGroup var vaultOptions: VaultOptions

        @Flag(help: "Print one JSON object per segment.")
        var json = false

        func run() throws {
            let vault = try vaultOptions.open()
            var output = BufferedOutput()
            for s in try vault.segments() {
                if json {
                    output.write(
                        JSONValue.object([
                            ("id", .string(s.id)), ("session", .string(s.session)), ("sealed", .bool(s.sealed)),
                            ("from", .string(RFC3339.string(from: s.from))), ("to", .string(RFC3339.string(from: s.to))),
                            ("events", .int(Int64(s.events))), ("frames", .int(Int64(s.frames))), ("bytes", .int(s.bytes)),
                        ]).serialized)
                } else {
                    output.write(
                        "\(s.id)  \(RFC3339.string(from: s.from)) to \(RFC3339.string(from: s.to))  \(s.events) events  \(s.frames) frames  \(ByteSizeText.string(s.bytes))\(s.sealed ? "" : "  (open)")"
                    )
                }
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

        @Option(help: ArgumentHelp("The frame's content hash, as `understudy log` shows it.", valueName: "hash"))
        var hash: String?

        @Option(help: ArgumentHelp("The PNG file to write (a binary PPM when the name ends in .ppm).", valueName: "file"))
        var out: String

        @Flag(help: "Print the frame's record as JSON: its size, why it was taken, and the boxes redaction filled.")
        var json = false

        func run() throws {
            let vault = try vaultOptions.open()
            let (session, frames) = try vault.newestSessionFrames()
            let wanted = hash ?? frames.last
            guard let wanted, let (segment, manifest) = try vault.frame(session: session.id, hash: wanted) else {
                throw CommandFailure("no such frame in session \(session.id)")
            }
            if let withheld = manifest.withheld {
                throw CommandFailure("frame \(wanted) was withheld (\(withheld)): its pixels were never stored")
            }
            let pixels = try vault.pixels(of: manifest, segment: segment)
            try ImageFile.write(pixels, width: manifest.width, height: manifest.height, to: out)
            if json {
                print(
                    JSONValue.object([
                        ("frame", .string(wanted)), ("width", .int(Int64(manifest.width))), ("height", .int(Int64(manifest.height))),
                        ("reason", .string(manifest.reason.rawValue)), ("redactions", .array(manifest.redactions.map(\.json))),
                    ]).serialized)
                return
            }
            let kinds = Set(manifest.redactions.map(\.what.rawValue)).sorted()
            if !kinds.isEmpty { print("Redaction filled \(manifest.redactions.count) box(es) in it: \(kinds.joined(separator: ", ")).") }
            print("Wrote frame \(wanted) (\(manifest.width)x\(manifest.height), \(manifest.reason.rawValue)) to \(out).")
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete segments older than the vault's retention period, and finish what a killed recorder left.",
            discussion: "The recorder also does this when it starts and each time it seals a segment."
        )

        @OptionGroup var vaultOptions: VaultOptions

        func run() throws {
            let vault = try vaultOptions.open()
            if let lock = RecorderLock.ifFree(vault: vault) {
                let recovery = try vault.recover()
                lock.release()
                if !recovery.sealed.isEmpty { print("Sealed \(recovery.sealed.count) segment(s) an interrupted recorder left open.") }
                if recovery.strayFiles > 0 { print("Removed \(recovery.strayFiles) uncommitted file(s) it left.") }
            }
            let pruned = try vault.prune()
            let retention = try vault.settings().retentionSeconds
            print("Deleted \(pruned.count) segment\(pruned.count == 1 ? "" : "s") older than \(DurationText.string(seconds: retention)).")
        }
    }

    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or change the vault's limits.",
            discussion: "Sizes: 2GB, 500MB, 64MiB. Durations: 90s, 15m, 2h, 7d. A running recorder picks changes up when it next starts."
        )

        @OptionGroup var vaultOptions: VaultOptions

        @Option(help: ArgumentHelp("The most the vault may occupy on disk.", valueName: "size"))
        var quota: ByteSizeArgument?

        @Option(help: ArgumentHelp("Stop storing when the disk has less than this free.", valueName: "size"))
        var minFree: ByteSizeArgument?

        @Option(help: ArgumentHelp("Delete segments older than this.", valueName: "duration"))
        var retention: DurationArgument?

        @Option(help: ArgumentHelp("Seal a segment after this much capture.", valueName: "duration"))
        var segmentDuration: DurationArgument?

        @Option(help: ArgumentHelp("…or once it holds this much.", valueName: "size"))
        var segmentSize: ByteSizeArgument?

        func validate() throws {
            if let d = segmentDuration, d.duration < .seconds(1) { throw ValidationError("--segment-duration must be at least 1s") }
            if let s = segmentSize, s.bytes < 65536 { throw ValidationError("--segment-size must be at least 64KiB") }
        }

        func run() throws {
            let vault = try vaultOptions.open()
            var settings = try vault.settings()
            if let quota { settings.quotaBytes = quota.bytes }
            if let minFree { settings.minFreeBytes = minFree.bytes }
            if let retention { settings.retentionSeconds = retention.duration.components.seconds }
            if let segmentDuration { settings.segmentSeconds = segmentDuration.duration.components.seconds }
            if let segmentSize { settings.segmentBytes = segmentSize.bytes }
            if settings != (try vault.settings()) { try vault.save(settings) }
            print(
                """
                quota:            \(ByteSizeText.string(settings.quotaBytes))
                min-free:         \(ByteSizeText.string(settings.minFreeBytes))
                retention:        \(DurationText.string(seconds: settings.retentionSeconds))
                segment-duration: \(DurationText.string(seconds: settings.segmentSeconds))
                segment-size:     \(ByteSizeText.string(settings.segmentBytes))
                key:              \(vault.keyLocation)
                """)
        }
    }
}
