import ArgumentParser
import Capture
import Device
import Foundation
import Privacy
import UnderstudyModel
import Vault

struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record pointer, keyboard, window context and screen frames into a vault.",
        discussion: """
            Records until --for elapses or until interrupted (Ctrl-C, SIGINT or SIGTERM); \
            everything captured up to then is written before it exits.
            """
    )

    @Option(help: ArgumentHelp("The X display to record, e.g. :1.", discussion: "Defaults to $DISPLAY.", valueName: "display"))
    var display: String?

    @OptionGroup var vaultOptions: VaultOptions

    @OptionGroup var policyOptions: PolicyOptions

    @Option(name: .customLong("for"), help: ArgumentHelp("Stop after this long, e.g. 90s, 15m, 2h.", valueName: "duration"))
    var duration: DurationArgument?

    @Option(help: ArgumentHelp("Take a periodic frame at most this often when the screen changed.", valueName: "duration"))
    var framePeriod: DurationArgument = DurationArgument(argument: "5s")!

    @Flag(help: "Capture input and window context but no frames.")
    var noFrames = false

    @Option(help: ArgumentHelp("How frame tiles are stored, both lossless: webp (the default, chosen by `make bench`) or png.", valueName: "codec"))
    var codec: TileCodec = .webp

    @Option(help: ArgumentHelp("Write capture and frame-pipeline figures as JSON to this file at exit (for benchmarks).", valueName: "file"))
    var stats: String?

    // Load generation for crash tests and benchmarks: no X server, a known stream.
    @Option(help: .hidden) var syntheticEvents: Int?
    @Option(help: .hidden) var syntheticFrames: Int = 0
    @Option(help: .hidden) var syntheticFrameBytes: Int = 65536

    func run() async throws {
        // Everything the recorder creates (database, WAL, frames) is for its owner only.
        umask(0o077)
        let (policy, unsigned) = try policyOptions.load()
        let consent = try Self.consent(to: policy)
        let rules = WindowRules(policy: policy.policy, exemptions: try ExemptionStore().load().exemptions)
        let gate = PolicyGate(rules: rules, clock: { MonotonicClock.nowNs() })
        var settings = X11CaptureSettings(display: display, policy: gate)
        // The policy sets the cadence; --frame-period can only make frames rarer.
        settings.frames.periodic = max(framePeriod.duration, .milliseconds(Int64(policy.policy.capture.framePeriodSeconds * 1000)))
        settings.frames.enabled = !noFrames && policy.policy.capture.frames
        settings.frames.codec = codec
        settings.frames.codecLevel = 1  // zlib level 1 for PNG, method 1 for WebP: the README has the figures
        if settings.frames.enabled, !policy.policy.redaction.isEmpty {
            let scanner = ScreenTextScanner(kinds: policy.policy.redaction)
            if let problem = scanner.startupProblem {
                warn("\(problem): no frame will be stored (frames are never stored unchecked)")
            }
            settings.redaction = FrameRedactionSettings(scanner: scanner, dropFrames: policy.policy.dropFrames)
        }
        let vault = try Vault(at: vaultOptions.directory, create: true)
        let lock = try RecorderLock(vault: vault)
        try Recorder.limitRetention(to: policy.policy, in: vault)
        try Recorder.tidy(vault)
        let backend: any CaptureBackend =
            try syntheticEvents.map {
                SyntheticBackend(load: .init(eventsPerSecond: $0, framesPerSecond: syntheticFrames, frameBytes: syntheticFrameBytes))
            } ?? X11Backend(settings: settings)
        let recorder = Recorder(
            backend: backend, vault: vault, lock: lock, policy: policy, policyUnsigned: unsigned, consent: consent, gate: gate,
            keystrokes: KeystrokeRedactor(kinds: policy.policy.redaction))
        let report = try await recorder.run(limit: duration?.duration)
        let withheld = report.framesWithheld > 0 ? " (and \(report.framesWithheld) withheld by redaction)" : ""
        warn("recorded \(report.events) events and \(report.framesStored) frames\(withheld) from \(backend.display) into \(vault.directory.path)")
        if let stats { try report.json.write(to: URL(fileURLWithPath: stats)) }
        if let error = report.captureError { throw error }
        // Everything is written, synced and closed. Leave without running global destructors:
        // on Linux they can race with a runtime worker thread still winding down, and crash an
        // exit that has nothing left to do (seen once in eight runs of the exemption test).
        vault.close()
        fflush(nil)  // every open output stream
        _exit(report.consentWithdrawn ? 3 : 0)
    }
}

extension RecordCommand {
    /// The consent this recording runs under: to this policy, or to one it only narrows.
    /// Asks on the terminal when there is one; otherwise says how to consent.
    static func consent(to policy: PolicyDocument) throws -> ConsentRecord {
        let store = ConsentStore()
        switch try store.decision(for: policy) {
        case .consented(let record), .narrows(let record):
            return record
        case .needed(let reasons):
            guard isatty(STDIN_FILENO) == 1, isatty(STDERR_FILENO) == 1 else {
                let option = policy.source.hasPrefix("built-in") ? "" : " --policy \(policy.source)"
                throw CommandFailure(
                    "consent is needed before recording under \(policy.source): \(reasons.joined(separator: "; ")); read `understudy policy explain\(policy.source.hasPrefix("built-in") ? " --default" : " " + policy.source)`, then run `understudy consent accept\(option)`"
                )
            }
            FileHandle.standardError.write(
                Data(
                    (PolicyExplanation.text(policy)
                        + "\n\nConsent is needed: \(reasons.joined(separator: "; ")).\nType yes to consent and start recording: ").utf8))
            guard readLine()?.trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
                throw CommandFailure("no consent given; nothing was recorded")
            }
            return try store.accept(policy)
        }
    }
}

extension TileCodec: ExpressibleByArgument {}
