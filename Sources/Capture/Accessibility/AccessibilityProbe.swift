import CAccessibility
import Foundation
import Synchronization
import UnderstudyModel

/// A top-level window as the accessibility bus describes it.
public struct AccessibleWindow: Sendable, Equatable {
    public var pid: Int
    public var title: String
    public var active: Bool
    /// Whether it shows a web document (a browser tab, a web view).
    public var showsDocument: Bool
    /// The shown document's URL, as the browser reports it (query and fragment included:
    /// the policy gate cuts them before anything is stored). Nil when not known.
    public var url: String?
}

/// What the accessibility bus said on its latest reading.
public struct AccessibilityState: Sendable, Equatable {
    public var windows: [AccessibleWindow] = []
    /// The element with keyboard focus in the active window is a password field.
    public var passwordFocus = false
    /// Its bounds (x, y, w, h on the screen), when known.
    public var focusBounds: [Int]?
    /// Nil while the bus answers; otherwise why nothing can be known.
    public var problem: String?
    /// Calls that gave no answer within the deadline, since capture started.
    public var timeouts = 0

    public init(problem: String? = "the accessibility bus has not been read yet") { self.problem = problem }

    /// The window of process `pid` titled `title`, preferring the active one of that process.
    public func window(pid: Int?, title: String) -> AccessibleWindow? {
        guard let pid else { return nil }
        let candidates = windows.filter { $0.pid == pid }
        return candidates.first { $0.title == title } ?? (candidates.count == 1 ? candidates[0] : nil)
    }
}

/// Reads the accessibility bus (AT-SPI 2) on a thread of its own, so a slow or hung
/// application never holds up capture: every call gives up after a deadline (the answer is
/// then unknown, and counted), and capture only ever reads the latest ``state``.
///
/// It polls rather than listens: a reading costs a few milliseconds (see
/// shared/notes/atspi.md), and polling needs no GLib main loop in the recorder.
final class AccessibilityProbe: Sendable {
    private let latest = Mutex(AccessibilityState())
    private let changes = Atomic<UInt64>(0)
    private let stopped = Atomic<Bool>(false)
    private let interval: Duration
    private let deadline: Duration

    /// - Parameters:
    ///   - enable: set the session's accessibility status on, as assistive tools do, so
    ///     toolkits that start from now on expose their widgets.
    ///   - changed: called on the probe's thread after each reading that differs from the last.
    init(interval: Duration = .milliseconds(150), deadline: Duration = .milliseconds(250), enable: Bool, changed: @escaping @Sendable () -> Void) {
        self.interval = interval
        self.deadline = deadline
        Thread.detachNewThread { [self] in self.run(enable: enable, changed: changed) }
    }

    var state: AccessibilityState { latest.withLock { $0 } }

    /// Goes up by one with every reading that differs from the one before.
    var generation: UInt64 { changes.load(ordering: .acquiring) }

    func stop() { stopped.store(true, ordering: .releasing) }

    private func run(enable: Bool, changed: @Sendable () -> Void) {
        var opened = false
        var timeouts = 0
        while !stopped.load(ordering: .acquiring) {
            if !opened {
                opened = a11y_open(Int32(deadline.ns / 1_000_000)) == 0
                if opened, enable { _ = a11y_enable(1) }
            }
            var next = AccessibilityState(problem: nil)
            if opened {
                var desktop = a11y_desktop()
                if a11y_read(&desktop) == 0 {
                    next = Self.state(of: &desktop)
                    timeouts += Int(desktop.timeouts)
                } else {
                    next.problem = "the accessibility bus does not answer"
                }
            } else {
                next.problem = "no accessibility bus (is at-spi2-core running in this session?)"
            }
            next.timeouts = timeouts
            let differs = latest.withLock { current in
                defer { current = next }
                return current != next
            }
            if differs {
                changes.add(1, ordering: .releasing)
                changed()
            }
            Thread.sleep(forTimeInterval: Double(interval.ns) / 1e9 * (opened ? 1 : 20))
        }
    }

    private static func state(of desktop: inout a11y_desktop) -> AccessibilityState {
        var state = AccessibilityState(problem: nil)
        let count = Int(desktop.frame_count)
        withUnsafeBytes(of: &desktop.frames) { raw in
            let frames = raw.bindMemory(to: a11y_frame.self)
            for frame in frames.prefix(count) {
                var frame = frame
                let title = text(&frame.title)
                let url = text(&frame.url)
                state.windows.append(
                    AccessibleWindow(
                        pid: Int(frame.pid), title: title, active: frame.active != 0, showsDocument: frame.has_document != 0,
                        url: url.isEmpty || url.hasPrefix("chrome:") || url == "about:blank" ? nil : url))
            }
        }
        if desktop.focus_known != 0, desktop.focus_password != 0 {
            state.passwordFocus = true
            state.focusBounds = [Int(desktop.focus_x), Int(desktop.focus_y), Int(desktop.focus_w), Int(desktop.focus_h)]
        }
        return state
    }

    private static func text<T>(_ tuple: inout T) -> String {
        withUnsafeBytes(of: &tuple) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
