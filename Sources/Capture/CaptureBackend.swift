import Foundation
import UnderstudyModel

/// A source of captured input, window context and frames for one session.
///
/// A backend owns the platform's capture APIs and turns them into ``CaptureRecord`` values on
/// one stream, so nothing above it sees callbacks, pointers or platform types. X11 is the first
/// backend; Wayland (portal + libei) and macOS (CGEventTap + ScreenCaptureKit) fit the same shape.
public protocol CaptureBackend: Sendable {
    /// A short name recorded in the session, e.g. `x11-record`.
    var name: String { get }
    /// The display being recorded, e.g. `:1`.
    var display: String { get }
    /// The screen at the start of the session.
    var screen: ScreenGeometry { get }
    /// Monotonic nanoseconds (`CLOCK_MONOTONIC`) at which `t_ns` is zero.
    var originNs: UInt64 { get }
    /// Everything captured, in time order, until ``stop()`` or a failure ends the stream.
    var records: AsyncThrowingStream<CaptureRecord, Error> { get }
    /// Stops capturing; the stream finishes after every record taken so far was yielded.
    func stop()
    /// Makes the next stored frame carry all of its tiles, as if a keyframe interval began:
    /// the recorder asks for this when the vault could not store some tiles.
    func requestKeyframe()
    /// Figures for benchmarks: how long the frame pipeline took per frame.
    func pipelineStats() -> FramePipelineStats
    /// What the accessibility bus said last; nil when the backend does not read it.
    func accessibilityState() -> AccessibilityState?
}

extension CaptureBackend {
    public func accessibilityState() -> AccessibilityState? { nil }
}

/// One item from a backend. Events carry `t_ns` but no `seq`: the recorder numbers them.
public enum CaptureRecord: Sendable {
    /// Events in time order, in batches so a burst costs one hand-over, not one per event.
    case events([CapturedEvent])
    /// A stored frame's layout; its `frame` event comes on the same stream, no later than this.
    case frame(FrameManifest)
    /// Encoded pixels of tiles that no earlier frame of the keyframe interval held.
    case tiles(TilePatch)
    /// The contributor pressed the pause hotkey (``X11CaptureSettings/hotkey``): pause, or
    /// resume when paused. Its key presses are not among the events.
    case hotkey
}

/// Why capture could not start or had to stop, in words a user can act on.
public enum CaptureError: Error, Equatable, CustomStringConvertible {
    case noDisplay(String)
    case missingExtension(String)
    case recordFailed(String)
    case badScript(line: Int, reason: String)
    /// Replay asked for a key or character no key of the display's keyboard can produce.
    case cannotInput(String)

    public var description: String {
        switch self {
        case .noDisplay(let name):
            "cannot open X display '\(name)': is an X server running there, and is DISPLAY or --display right?"
        case .missingExtension(let name):
            "the X server has no \(name) extension, which capture needs"
        case .recordFailed(let reason):
            "X RECORD failed: \(reason)"
        case .badScript(let line, let reason):
            "capture script line \(line): \(reason)"
        case .cannotInput(let what):
            "cannot input \(what) on this display: no key produces it"
        }
    }
}

/// Monotonic clock readings in nanoseconds, the clock `t_ns` counts on.
public enum MonotonicClock {
    public static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
