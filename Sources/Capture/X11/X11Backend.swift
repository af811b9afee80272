import CX11
import Foundation
import Synchronization
import UnderstudyModel

/// Captures an X11 display: input through RECORD, window context through property changes,
/// frames through DAMAGE + MIT-SHM. All X work happens on one dedicated thread; what it
/// captures comes out of ``records``.
public final class X11Backend: CaptureBackend {
    public let name = "x11-record"
    public let display: String
    public let screen: ScreenGeometry
    public let originNs: UInt64
    public let records: AsyncThrowingStream<CaptureRecord, Error>
    private let shared: X11CaptureLoop.Shared

    /// Records (event batches, frames, tile patches) waiting for the recorder, at most: about
    /// a minute of heavy work, and a few hundred MB at worst.
    public static let recordBuffer = 4096
    private let settingsAskedForAccessibility: Bool

    /// Connects to the display and starts capturing. Fails at once, with a message a user
    /// can act on, when the display or an extension is missing.
    public init(settings: X11CaptureSettings = X11CaptureSettings()) throws(CaptureError) {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: CaptureRecord.self, bufferingPolicy: .bufferingOldest(Self.recordBuffer))
        records = stream
        // Without a session bus, libatspi would start one of its own (D-Bus autolaunch): not ours to do.
        let bus = ProcessInfo.processInfo.environment["DBUS_SESSION_BUS_ADDRESS"] != nil
        settingsAskedForAccessibility = settings.accessibility != nil
        shared = X11CaptureLoop.Shared(continuation: continuation, accessibility: bus ? settings.accessibility : nil)
        let loop = try X11CaptureLoop(settings: settings, shared: shared)
        display = loop.displayName
        screen = loop.screen
        originNs = loop.originNs
        // The loop and its X connections belong to the capture thread from here on.
        let handoff = UncheckedHandoff(loop)
        let thread = Thread { handoff.value.run() }
        thread.name = "understudy.capture"
        thread.start()
    }

    public func stop() { shared.requestStop() }

    public func requestKeyframe() { shared.keyframeRequested.store(true, ordering: .sequentiallyConsistent) }

    public func pipelineStats() -> FramePipelineStats { shared.stats.withLock { $0 } }

    public func accessibilityState() -> AccessibilityState? {
        guard settingsAskedForAccessibility else { return nil }
        return shared.accessibility.map { probe in
            var state = probe.state
            (state.lookupMilliseconds, state.lookupsDropped) = probe.lookupStats
            (state.snapshotMilliseconds, state.snapshotsSkipped, state.snapshotsTruncated) = probe.snapshotStats
            return state
        }
            ?? AccessibilityState(problem: "no session bus (DBUS_SESSION_BUS_ADDRESS is not set), so no accessibility bus")
    }
}

/// Moves a value that is not `Sendable` to another thread which becomes its only user.
struct UncheckedHandoff<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
