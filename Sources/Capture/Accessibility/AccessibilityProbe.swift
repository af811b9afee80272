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
    /// A private (incognito) window, as its accessible name tells where its X title does not.
    public var privateWindow = false

    public init(pid: Int, title: String, active: Bool, showsDocument: Bool, url: String? = nil) {
        self.pid = pid
        self.title = title
        self.active = active
        self.showsDocument = showsDocument
        self.url = url
    }
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
    /// Element lookups (the target of a click, a scroll, typing): how long each took, in
    /// milliseconds, and how many were dropped because too many were waiting. Filled when the
    /// state is asked for from outside capture, not on every reading.
    public var lookupMilliseconds: [Double] = []
    public var lookupsDropped = 0
    /// Snapshots of the focused window with stored frames: how long each took, how many were
    /// skipped because a newer frame's replaced them before the bus answered or the page changed
    /// while it was read (its window renamed, or another document's URL), and how many were
    /// cut short at their limits. Filled as the lookups' figures are.
    public var snapshotMilliseconds: [Double] = []
    public var snapshotsSkipped = 0
    public var snapshotsTruncated = 0

    public init(problem: String? = "the accessibility bus has not been read yet") { self.problem = problem }

    /// The window of process `pid` titled `title`. The title must match: after a navigation
    /// the X title changes before the bus is read again, and the old page's URL must not be
    /// given to the new page (which would then be judged by the old page's site). A browser's
    /// accessible name may add a mark in parentheses to the X title, as Chromium's incognito
    /// and guest windows do (`Notes - Chromium (Incognito)` for the X title `Notes -
    /// Chromium`): such a window matches, and is private.
    public func window(pid: Int?, title: String) -> AccessibleWindow? {
        guard let pid else { return nil }
        if let same = windows.first(where: { $0.pid == pid && $0.title == title }) { return same }
        return windows.first { $0.pid == pid && Self.marksPrivate($0.title, title) }.map { window in
            var window = window
            window.privateWindow = true
            return window
        }
    }

    /// Whether `accessibleName` is `title` and a mark in parentheses.
    static func marksPrivate(_ accessibleName: String, _ title: String) -> Bool {
        guard !title.isEmpty, accessibleName.hasPrefix(title + " ("), accessibleName.hasSuffix(")") else { return false }
        return !accessibleName.dropFirst(title.count + 2).dropLast().contains(")")
    }
}

/// What an element lookup asks for: the element under a point in a window of a process, or
/// the one with keyboard focus.
enum TargetQuery: Sendable, Equatable {
    case point(x: Int, y: Int, pid: Int)
    case focused
}

/// A snapshot capture asks for: of the window process `pid` shows under `title` (X window
/// `window`), for the frame `frame` stored at `ofNs`.
struct SnapshotRequest: Sendable, Equatable {
    var frame: String
    var ofNs: UInt64
    var window: UInt64
    var pid: Int
    var title: String
    /// The page's URL as the window's policy was decided by, nil for none.
    var url: String?
}

/// Reads the accessibility bus (AT-SPI 2) on a thread of its own, so a slow or hung
/// application never holds up capture: every call gives up after a deadline (the answer is
/// then unknown, and counted), and capture only ever reads the latest ``state``.
///
/// It polls rather than listens: a reading costs a few milliseconds (see
/// shared/notes/atspi.md), and polling needs no GLib main loop in the recorder.
///
/// It also looks up the element an input was aimed at (``lookUp(_:of:)``): capture asks and
/// goes on at once, and takes the answers later (``takeTargets()``), so a slow application
/// delays only its own targets, never an event or a frame. At most ``pendingLimit`` lookups
/// wait; beyond that new ones are dropped and counted.
///
/// Snapshots of the focused window (``snapshot(_:)``) are answered the same way, after the
/// lookups waiting: one waits at a time, and a newer frame's replaces it (counted), so a slow
/// bus costs older frames their snapshot, never capture its pace.
final class AccessibilityProbe: Sendable {
    static let pendingLimit = 32

    private struct Lookups {
        var pending: [(ofNs: UInt64, query: TargetQuery)] = []
        var answered: [(ofNs: UInt64, element: AccessibleElement)] = []
        var dropped = 0
        /// Milliseconds per lookup, the latest ``latencyLimit``.
        var latencies: [Double] = []
    }

    private struct Snapshots {
        var waiting: SnapshotRequest?
        var answered: [(request: SnapshotRequest, snapshot: AccessibilitySnapshot)] = []
        var skipped = 0
        var truncated = 0
        var latencies: [Double] = []
    }

    private static let latencyLimit = 4096

    /// Adds a latency, keeping the newest ``latencyLimit`` at most (the older half goes when full).
    private static func note(_ ms: Double, in latencies: inout [Double]) {
        if latencies.count >= latencyLimit { latencies.removeFirst(latencies.count / 2) }
        latencies.append(ms)
    }
    private let lookups = Mutex(Lookups())
    private let snapshots = Mutex(Snapshots())
    private let snapshotLimits: SnapshotLimits?
    private let wakeUp = DispatchSemaphore(value: 0)
    private let latest = Mutex(AccessibilityState())
    private let changes = Atomic<UInt64>(0)
    private let stopped = Atomic<Bool>(false)
    private let lookupTimeouts = Atomic<Int>(0)
    private let interval: Duration
    private let deadline: Duration

    /// - Parameters:
    ///   - enable: set the session's accessibility status on, as assistive tools do, so
    ///     toolkits that start from now on expose their widgets.
    ///   - changed: called on the probe's thread after each reading that differs from the last.
    ///   - snapshotLimits: the bounds of a snapshot; nil, when snapshots are off.
    init(
        interval: Duration = .milliseconds(150), deadline: Duration = .milliseconds(250), enable: Bool, snapshotLimits: SnapshotLimits? = nil,
        changed: @escaping @Sendable () -> Void
    ) {
        self.interval = interval
        self.deadline = deadline
        self.snapshotLimits = snapshotLimits
        Thread.detachNewThread { [self] in self.run(enable: enable, changed: changed) }
    }

    var state: AccessibilityState { latest.withLock { $0 } }

    /// Goes up by one with every reading that differs from the one before.
    var generation: UInt64 { changes.load(ordering: .acquiring) }

    func stop() {
        stopped.store(true, ordering: .releasing)
        wakeUp.signal()
    }

    /// Asks for the element the input at `ofNs` was aimed at; the answer comes through
    /// ``takeTargets()`` (none when nothing answers, or no element is there).
    func lookUp(_ query: TargetQuery, of ofNs: UInt64) {
        let queued = lookups.withLock { l in
            guard l.pending.count < Self.pendingLimit else {
                l.dropped += 1
                return false
            }
            l.pending.append((ofNs, query))
            return true
        }
        if queued { wakeUp.signal() }
    }

    /// The lookups answered since the last call, oldest first.
    func takeTargets() -> [(ofNs: UInt64, element: AccessibleElement)] {
        lookups.withLock { l in
            defer { l.answered.removeAll() }
            return l.answered
        }
    }

    /// Lookups answered, their latency, and those dropped because too many were waiting.
    var lookupStats: (latencies: [Double], dropped: Int) { lookups.withLock { ($0.latencies, $0.dropped) } }

    /// Asks for a snapshot of a window for a stored frame; the answer comes through
    /// ``takeSnapshots()`` (none when snapshots are off, the window is not on the bus, or a
    /// newer request replaced this one first).
    func snapshot(_ request: SnapshotRequest) {
        guard snapshotLimits != nil else { return }
        snapshots.withLock { s in
            if s.waiting != nil { s.skipped += 1 }
            s.waiting = request
        }
        wakeUp.signal()
    }

    /// The snapshots answered since the last call, oldest first.
    func takeSnapshots() -> [(request: SnapshotRequest, snapshot: AccessibilitySnapshot)] {
        snapshots.withLock { s in
            defer { s.answered.removeAll() }
            return s.answered
        }
    }

    /// Snapshot latencies, and those skipped or cut short.
    var snapshotStats: (latencies: [Double], skipped: Int, truncated: Int) { snapshots.withLock { ($0.latencies, $0.skipped, $0.truncated) } }

    /// The probe's thread's name, so its CPU time can be told apart (`make bench` reads it).
    static let threadName = "understudy-a11y"

    private func run(enable: Bool, changed: @Sendable () -> Void) {
        Thread.current.name = Self.threadName
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
                let started = DispatchTime.now().uptimeNanoseconds
                if a11y_read(&desktop) == 0 {
                    next = Self.state(of: &desktop)
                    timeouts += max(Int(desktop.timeouts), ranIntoDeadline(since: started) ? 1 : 0)
                } else {
                    next.problem = "the accessibility bus does not answer"
                }
            } else {
                next.problem = "no accessibility bus (is at-spi2-core running in this session?)"
            }
            next.timeouts = timeouts + lookupTimeouts.load(ordering: .relaxed)
            let differs = latest.withLock { current in
                defer { current = next }
                return current != next
            }
            if differs {
                changes.add(1, ordering: .releasing)
                changed()
            }
            guard opened else {
                // No bus, for good (libatspi cannot try again): wait for the end, taking the wake-ups lookups send.
                while !stopped.load(ordering: .acquiring) { wakeUp.wait() }
                return
            }
            let nextReading = DispatchTime.now() + .nanoseconds(Int(interval.ns))
            // Lookups are served as they come, between readings.
            while wakeUp.wait(timeout: nextReading) == .success, !stopped.load(ordering: .acquiring) {
                if answerLookups() { changed() }  // wakes capture to take the answers
            }
        }
    }

    /// Answers every waiting lookup; returns whether any was answered.
    private func answerLookups() -> Bool {
        var answeredAny = false
        while let next = lookups.withLock({ $0.pending.isEmpty ? nil : $0.pending.removeFirst() }) {
            let started = DispatchTime.now().uptimeNanoseconds
            var element = a11y_element()
            let status: Int32
            switch next.query {
            case .point(let x, let y, let pid): status = a11y_element_at(Int32(pid), Int32(x), Int32(y), &element)
            case .focused: status = a11y_focused_element(&element)
            }
            let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            let found = status == 0 && element.found != 0 ? Self.element(of: &element) : nil
            lookups.withLock { l in
                if let found { l.answered.append((next.ofNs, found)) }
                Self.note(ms, in: &l.latencies)
            }
            lookupTimeouts.add(max(Int(element.timeouts), ranIntoDeadline(since: started) ? 1 : 0), ordering: .relaxed)
            answeredAny = true
        }
        return answerSnapshot() || answeredAny
    }

    /// Answers the waiting snapshot request, if any; returns whether one was answered.
    private func answerSnapshot() -> Bool {
        guard let limits = snapshotLimits,
            let request = snapshots.withLock({ s in
                defer { s.waiting = nil }
                return s.waiting
            })
        else {
            return false
        }
        let started = DispatchTime.now().uptimeNanoseconds
        let nodes = UnsafeMutablePointer<a11y_node>.allocate(capacity: limits.maxNodes)
        defer { nodes.deallocate() }
        var info = a11y_snapshot_info()
        let status = a11y_snapshot(
            Int32(request.pid), request.title, Int32(limits.maxNodes), Int32(limits.maxDepth), Int32(limits.budget.ns / 1_000_000), nodes, &info)
        let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        lookupTimeouts.add(Int(info.timeouts), ordering: .relaxed)
        guard status == 0, info.found != 0 else { return false }
        // The page may change while it is read (a navigation to an excluded site): a snapshot is
        // kept only when the window kept its name and shows the page its policy was decided for.
        guard info.renamed == 0, Self.pageURL(Self.text(&info.url)) == request.url else {
            snapshots.withLock { $0.skipped += 1 }
            return false
        }
        let snapshot = AccessibilitySnapshot(
            nodes: (0..<Int(info.count)).map { Self.node(of: &nodes[$0]) }, truncated: info.truncated != 0)
        snapshots.withLock { s in
            s.answered.append((request, snapshot))
            if snapshot.truncated { s.truncated += 1 }
            Self.note(ms, in: &s.latencies)
        }
        return true
    }

    private static func node(of raw: inout a11y_node) -> AccessibilitySnapshot.Node {
        AccessibilitySnapshot.Node(
            role: text(&raw.role), name: text(&raw.name), states: states(raw.states),
            bounds: [Int(raw.x), Int(raw.y), Int(raw.w), Int(raw.h)], parent: raw.parent >= 0 ? Int(raw.parent) : nil)
    }

    private static func states(_ bits: UInt32) -> [String] {
        stateNames.enumerated().filter { bits & (1 << UInt32($0.offset)) != 0 }.map(\.element)
    }

    /// Some libatspi calls report no error when the application does not answer: a reading or
    /// lookup that took as long as the deadline had at least one call that ran into it.
    private func ranIntoDeadline(since started: UInt64) -> Bool {
        DispatchTime.now().uptimeNanoseconds - started >= deadline.ns * 9 / 10
    }

    private static let stateNames = ["focused", "checked", "selected", "editable", "enabled", "pressed", "expanded"]

    private static func element(of raw: inout a11y_element) -> AccessibleElement {
        let states = raw.states
        var ancestors: [String] = []
        withUnsafeBytes(of: &raw.ancestors) { bytes in
            let size = Int(A11Y_ROLE_MAX)
            for i in 0..<Int(raw.ancestor_count) {
                ancestors.append(String(decoding: bytes[(i * size)..<((i + 1) * size)].prefix { $0 != 0 }, as: UTF8.self))
            }
        }
        let description = String(text(&raw.description).prefix(AccessibleElement.descriptionLimit))
        return AccessibleElement(
            role: text(&raw.role), name: text(&raw.name),
            description: description.isEmpty ? nil : description,
            states: Self.states(states),
            bounds: [Int(raw.x), Int(raw.y), Int(raw.w), Int(raw.h)], app: text(&raw.app), ancestors: ancestors, id: text(&raw.id))
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
                        url: Self.pageURL(url)))
            }
        }
        if desktop.focus_known != 0, desktop.focus_password != 0 {
            state.passwordFocus = true
            state.focusBounds = [Int(desktop.focus_x), Int(desktop.focus_y), Int(desktop.focus_w), Int(desktop.focus_h)]
        }
        return state
    }

    /// A document's URL as the bus reports it, nil for none or for the browser's own pages.
    private static func pageURL(_ url: String) -> String? {
        url.isEmpty || url.hasPrefix("chrome:") || url == "about:blank" ? nil : url
    }

    private static func text<T>(_ tuple: inout T) -> String {
        withUnsafeBytes(of: &tuple) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
