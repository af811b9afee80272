import ArgumentParser
import Capture
import Device
import Foundation
import UnderstudyModel

struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record pointer, keyboard, window context and screen frames into a vault.",
        discussion: """
            Records until --for elapses or until interrupted (Ctrl-C, SIGINT or SIGTERM); \
            everything captured up to then is written before it exits.
            """
    )

    @Option(help: ArgumentHelp("The X display to record, e.g. :1.", discussion: "Defaults to $DISPLAY.", valueName: "display")) var display: String?
    @OptionGroup var vaultOptions: VaultOptions
    @OptionGroup var policyOptions: PolicyOptions
    @Option(name: .customLong("for"), help: ArgumentHelp("Stop after this long, e.g. 90s, 15m, 2h.", valueName: "duration"))
    var duration: DurationArgument?
    @Option(help: ArgumentHelp("Take a periodic frame at most this often when the screen changed.", valueName: "duration"))
    var framePeriod: DurationArgument = DurationArgument(argument: "5s")!
    @Flag(help: "Capture input and window context but no frames.") var noFrames = false
    @Flag(help: "Show no recording indicator in the desktop's tray.") var noTray = false
    @Option(help: ArgumentHelp("How frame tiles are stored, both lossless: webp (the default, chosen by `make bench`) or png.", valueName: "codec"))
    var codec: TileCodec = .webp
    @Option(
        help: ArgumentHelp(
            "Keep the recorder's counters in this Prometheus text file (rewritten every 15 s), for node-exporter's textfile collector.",
            valueName: "file"))
    var metricsFile: String?
    @OptionGroup var logging: LoggingOptions
    @Option(help: ArgumentHelp("Write capture and frame-pipeline figures as JSON to this file at exit (for benchmarks).", valueName: "file"))
    var stats: String?

    // Load generation for crash tests and benchmarks: no X server, a known stream.
    @Option(help: .hidden) var syntheticEvents: Int?
    @Option(help: .hidden) var syntheticFrames: Int = 0
    @Option(help: .hidden) var syntheticFrameBytes: Int = 65536

    func run() async throws {
        var session = RecordingSession(vault: vaultOptions.directory)
        (session.display, session.policyFile, session.allowUnsignedPolicy) = (display, policyOptions.policy, policyOptions.unsignedPolicy)
        (session.limit, session.framePeriod, session.frames, session.codec) = (duration?.duration, framePeriod.duration, !noFrames, codec)
        session.syntheticLoad = syntheticEvents.map { .init(eventsPerSecond: $0, framesPerSecond: syntheticFrames, frameBytes: syntheticFrameBytes) }
        (session.logger, session.metricsFile, session.trayIcon) = (try logging.logger("understudy.recorder"), metricsFile, !noTray)
        let report = try await session.run()
        if let stats { try report.json.write(to: URL(fileURLWithPath: stats)) }
        if let error = report.captureError { throw error }
        // Everything is written, synced and closed. Leave without running global destructors:
        // on Linux they can race with a runtime worker thread still winding down, and crash an
        // exit that has nothing left to do (seen once in eight runs of the exemption test).
        fflush(nil)  // every open output stream
        _exit(report.consentWithdrawn ? 3 : 0)
    }
}

extension TileCodec: ExpressibleByArgument {}
