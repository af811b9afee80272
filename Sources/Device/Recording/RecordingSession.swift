import Capture
import Foundation
import Logging
import Privacy
import UnderstudyModel
import Vault

/// What the contributor asked `understudy record` for. ``run()`` is the whole of the command:
/// the policy in force and consent to it, the gate, capture settings, the vault, the recorder.
public struct RecordingSession: Sendable {
    /// The X display; `$DISPLAY` when nil.
    public var display: String?
    public var vault: URL
    /// The policy file; the saved organisation policy or the built-in default when nil.
    public var policyFile: String?
    public var allowUnsignedPolicy = false
    /// Stop after this long; record until a signal when nil.
    public var limit: Duration?
    /// A periodic frame at most this often; the policy's cadence when that is rarer.
    public var framePeriod: Duration = .seconds(5)
    public var frames = true
    public var codec: TileCodec = .webp
    /// A known stream with no X server, for crash tests and benchmarks.
    public var syntheticLoad: SyntheticBackend.Load?
    public var logger = Logger(label: "understudy.recorder")
    /// Where to keep the counters as a Prometheus text file, if anywhere.
    public var metricsFile: String?
    /// Show the recording indicator in the desktop's tray (it docks when a tray starts).
    public var trayIcon = true

    public init(vault: URL) { self.vault = vault }

    /// Records until the limit, a signal, withdrawn consent or a capture failure; everything
    /// captured is written before it returns.
    public func run() async throws -> Recorder.Report {
        // Everything the recorder creates (database, WAL, frames) is for its owner only.
        umask(0o077)
        let (policy, unsigned) = try PolicyInForce.load(file: policyFile, allowUnsigned: allowUnsignedPolicy)
        let consent = try ConsentPrompt.consent(to: policy)
        // Names are redacted from the first event or not recorded at all: without the lists, stop here.
        if policy.policy.redaction.contains(.personName) { _ = try NameLists.shipped() }
        let vault = try Vault(at: vault, create: true)
        let identity = OrganisationIdentity.adding(try OrganisationIdentity.load(from: vault), to: AccountIdentity.gather())
        let rules = WindowRules(policy: policy.policy, exemptions: try ExemptionStore().load().exemptions, identity: identity)
        let gate = PolicyGate(rules: rules, clock: { MonotonicClock.nowNs() })
        let lock = try RecorderLock(vault: vault)
        try Recorder.limitRetention(to: policy.policy, in: vault)
        try Recorder.tidy(vault)
        let backend: any CaptureBackend =
            try syntheticLoad.map { SyntheticBackend(load: $0) } ?? X11Backend(settings: settings(policy, gate, identity))
        var recorder = Recorder(
            backend: backend, vault: vault, lock: lock, policy: policy, policyUnsigned: unsigned, consent: consent, gate: gate,
            keystrokes: KeystrokeRedactor(
                kinds: policy.policy.redaction, excludedSites: rules.excludedSites, identity: identity, people: rules.people))
        (recorder.logger, recorder.metricsFile, recorder.identity, recorder.people) = (logger, metricsFile, identity, rules.people)
        // An indicator that cannot connect is no reason not to record: status and the review page say the same.
        if trayIcon, syntheticLoad == nil { recorder.indicator = try? TrayIcon(display: display) }
        let report = try await recorder.run(limit: limit)
        let withheld = report.framesWithheld > 0 ? " (and \(report.framesWithheld) withheld by redaction)" : ""
        warn("recorded \(report.events) events and \(report.framesStored) frames\(withheld) from \(backend.display) into \(vault.directory.path)")
        vault.close()
        return report
    }

    /// Capture settings: the policy sets the cadence and what is redacted; the contributor can
    /// only make frames rarer or turn them off.
    private func settings(_ policy: PolicyDocument, _ gate: PolicyGate, _ identity: SelfIdentity) -> X11CaptureSettings {
        var settings = X11CaptureSettings(display: display, policy: gate)
        settings.frames.periodic = max(framePeriod, .milliseconds(Int64(policy.policy.capture.framePeriodSeconds * 1000)))
        settings.frames.enabled = frames && policy.policy.capture.frames
        settings.frames.codec = codec
        settings.hotkey = policy.policy.pauseHotkey
        settings.frames.codecLevel = 1  // zlib level 1 for PNG, method 1 for WebP: the README has the figures
        if policy.policy.capture.accessibility {
            var accessibility = AccessibilitySettings()
            if !policy.policy.capture.accessibilitySnapshots || !settings.frames.enabled { accessibility.snapshots = nil }
            settings.accessibility = accessibility
        }
        // The contributor's own identifiers are boxed in frames whatever the policy's recognizers.
        guard settings.frames.enabled, !policy.policy.redaction.isEmpty || !identity.isEmpty else { return settings }
        let scanner = ScreenTextScanner(kinds: policy.policy.redaction, identity: identity)
        if let problem = scanner.startupProblem { warn("\(problem): no frame will be stored (frames are never stored unchecked)") }
        settings.redaction = FrameRedactionSettings(scanner: scanner, dropFrames: policy.policy.dropFrames)
        return settings
    }
}
