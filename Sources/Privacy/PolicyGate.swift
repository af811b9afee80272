import Foundation
import Synchronization
import UnderstudyModel

/// Where the policy is enforced, between capture and the vault: what is not allowed is
/// dropped here, before anything is stored, and marked with `gap`, `pause` and `resume` events.
///
/// - While the focused window is excluded, no input, focus or frame event passes; one `gap`
///   (reason `excluded-app`) covers the span. Capture asks ``treatment(of:)`` to mask windows
///   in frames and stores no frame meanwhile.
/// - A structure-only window keeps pointer and key timing; key names, text and its title go.
/// - A pause drops everything from the moment it is asked until it ends (the policy caps it).
///
/// Decisions go by event time (`t_ns`), so events captured before a pause or focus change
/// but delivered after it are still kept, and the markers are emitted in time order.
public final class PolicyGate: CapturePolicy, Sendable {
    private struct State {
        var rules: WindowRules
        var revision: UInt64 = 1
        var pause: (fromNs: UInt64, untilNs: UInt64)?
        var stopped = false
        var focus: WindowContext?
        var focusRevision: UInt64 = 0
        var focusTreatment: WindowTreatment = .capture
        var excludedSince: UInt64?
        var lastNs: UInt64 = 0
        /// Markers waiting for their time to come in the stream, oldest first.
        var markers: [CapturedEvent] = []
        /// The exemptions in force when last looked at (some hold for a period only), and
        /// whether one of them covers all capture.
        var activeExemptions: Set<String> = []
        var exemptsAll = false
    }

    /// How late an event may still arrive after its time (capture's reorder window and batching).
    static let latenessNs: UInt64 = 600_000_000

    public let policy: Policy
    /// The text recognizers, for what the gate stores as text of its own: titles, URL paths, element names.
    private let textRedactor: TextRedactor
    private let clock: @Sendable () -> UInt64
    private let origin: Mutex<(ns: UInt64, wall: Date)>
    private let state: Mutex<State>

    /// - Parameter clock: monotonic nanoseconds, the clock `t_ns` counts on. Wall-clock time
    ///   (whether an exemption's period holds) comes from the rules' ``WindowRules/clock``.
    public init(rules: WindowRules, clock: @escaping @Sendable () -> UInt64) {
        policy = rules.policy
        textRedactor = TextRedactor(
            kinds: rules.policy.redaction, excludedSites: rules.excludedSites, identity: rules.identity, people: rules.people)
        self.clock = clock
        origin = Mutex((0, rules.clock.now()))
        var initial = State(rules: rules)
        Self.noteExemptionsInForce(&initial)
        state = Mutex(initial)
    }

    /// Sets where `t_ns` 0 is: the clock reading and wall-clock time at the session's start.
    public func begin(originNs: UInt64, originWall: Date) {
        origin.withLock { $0 = (originNs, originWall) }
    }

    /// The current `t_ns`.
    private func now() -> UInt64 {
        let start = origin.withLock { $0.ns }
        let t = clock()
        return t > start ? t - start : 0
    }

    // MARK: Asked by capture, on its thread

    public func treatment(of window: WindowContext) -> WindowTreatment {
        state.withLock { $0.rules.treatment(of: window) }
    }

    public var framesAllowed: Bool {
        let t = now()
        return state.withLock { s in !s.stopped && !(s.pause.map { t >= $0.fromNs && t < $0.untilNs } ?? false) && !s.exemptsAll }
    }

    public var revision: UInt64 { state.withLock { $0.revision } }

    /// Whether nothing of the focused window is kept now: it is excluded, or all capture is exempted.
    public var excludingFocus: Bool { state.withLock { $0.excludedSince != nil || $0.exemptsAll } }

    // MARK: Control

    /// Pauses from now for `seconds` (or the policy's cap when nil or longer). Returns when it ends.
    @discardableResult
    public func pause(seconds: Double?) -> Date {
        let cap = policy.pauseCapSeconds
        // NaN and negative lengths (the control socket refuses them) count as no pause at all.
        let length = seconds.map { $0.isFinite ? min(max(0, $0), cap) : 0 } ?? cap
        let t = now()
        guard length > 0 else { return wall(t) }
        let until = t + UInt64(min(length, 3e9) * 1e9)  // a cap past 95 years is no cap
        state.withLock { s in
            s.markers.removeAll { if case .resume = $0.body { true } else { false } }
            if s.pause == nil || s.pause!.untilNs <= t {
                s.markers.append(CapturedEvent(tNs: t, body: .pause(until: wall(until), by: .user)))
                s.pause = (t, until)
            } else {
                s.pause!.untilNs = until
            }
            let by: PauseCause = (seconds ?? .infinity) > cap ? .policy : .user
            s.markers.append(CapturedEvent(tNs: until, body: .resume(by: by)))
            s.markers.sort { $0.tNs < $1.tNs }
            s.revision += 1
        }
        return wall(until)
    }

    /// Ends a pause now. Returns false when none was on.
    @discardableResult
    public func resume() -> Bool {
        let t = now()
        return state.withLock { s in
            guard let pause = s.pause, pause.untilNs > t else { return false }
            s.pause = (pause.fromNs, t)
            s.markers.removeAll { if case .resume = $0.body { true } else { false } }
            s.markers.append(CapturedEvent(tNs: t, body: .resume(by: .user)))
            s.markers.sort { $0.tNs < $1.tNs }
            s.revision += 1
            return true
        }
    }

    /// When the current pause ends, if one is on.
    public var pausedUntil: Date? {
        let t = now()
        return state.withLock { s in s.pause.flatMap { $0.untilNs > t && $0.fromNs <= t ? wall($0.untilNs) : nil } }
    }

    /// New exemptions apply at once, to masks and to the focused window.
    public func update(exemptions: [Exemption]) {
        state.withLock { s in
            guard s.rules.exemptions != exemptions else { return }
            s.rules.exemptions = exemptions
            Self.noteExemptionsInForce(&s)
            s.revision += 1
        }
    }

    /// Looks at which exemptions hold now; true when that changed since the last look.
    @discardableResult
    private static func noteExemptionsInForce(_ s: inout State) -> Bool {
        let now = s.rules.clock.now()
        let active = Set(s.rules.exemptions.filter { $0.isActive(at: now) }.map(\.id))
        guard active != s.activeExemptions else { return false }
        s.activeExemptions = active
        s.exemptsAll = s.rules.exemptsAll(at: now)
        return true
    }

    /// Consent is gone: nothing more is stored.
    public func stop() {
        state.withLock { s in
            s.stopped = true
            s.revision += 1
        }
    }

    // MARK: Events, on the recorder's task

    /// The events that may be stored, with markers in place.
    public func filter(_ events: [CapturedEvent]) -> [CapturedEvent] {
        state.withLock { s in
            var out: [CapturedEvent] = []
            for event in events {
                emitMarkers(upTo: event.tNs, &s, into: &out)
                s.lastNs = max(s.lastNs, event.tNs)
                if s.focusRevision != s.revision { refocus(s.focus, at: event.tNs, &s, into: &out) }
                if case .focus(let context) = event.body {
                    refocus(context, at: event.tNs, &s, into: &out)
                    if s.focusTreatment != .exclude, !isPaused(event.tNs, s) {
                        out.append(CapturedEvent(tNs: event.tNs, body: .focus(scrubbed(context, s.focusTreatment))))
                    }
                    continue
                }
                if case .target(let of, let element) = event.body {
                    // Names only from windows captured in full (capture checked the window under the pointer too).
                    guard !isPaused(event.tNs, s), s.focusTreatment == .capture, !s.stopped else { continue }
                    out.append(CapturedEvent(tNs: event.tNs, body: .target(ofNs: of, element: scrubbed(element))))
                    continue
                }
                if case .accessibilitySnapshot(let frame, let window, let snapshot) = event.body {
                    // Only of the focused window, and only while it is captured in full: a snapshot asked
                    // for before focus moved to another window is not that window's.
                    guard !isPaused(event.tNs, s), s.focusTreatment == .capture, !s.stopped, s.focus?.window == window,
                        policy.capture.takesSnapshots
                    else { continue }
                    let body = EventBody.accessibilitySnapshot(frame: frame, window: window, snapshot: scrubbed(snapshot))
                    out.append(CapturedEvent(tNs: event.tNs, body: body))
                    continue
                }
                // In a password field keys are timing only, whatever the window's treatment.
                let keys = s.focus?.passwordField == true ? max(s.focusTreatment, .structureOnly) : s.focusTreatment
                guard !isPaused(event.tNs, s), s.focusTreatment != .exclude, !s.stopped,
                    let allowed = allowed(event, treatment: keys)
                else { continue }
                out.append(allowed)
            }
            return out
        }
    }

    /// Markers whose time has passed (a pause running out), for the recorder's timer. Also
    /// where an exemption's period starting or ending takes effect.
    public func tick() -> [CapturedEvent] {
        state.withLock { s in
            if Self.noteExemptionsInForce(&s) { s.revision += 1 }
        }
        let t = now()
        guard t > Self.latenessNs else { return [] }
        return state.withLock { s in
            var out: [CapturedEvent] = []
            emitMarkers(upTo: t - Self.latenessNs, &s, into: &out)
            return out
        }
    }

    /// At the end of a session: closes an open gap and an open pause.
    public func finish() -> [CapturedEvent] {
        let t = max(now(), state.withLock { $0.lastNs })
        return state.withLock { s in
            var out: [CapturedEvent] = []
            emitMarkers(upTo: t, &s, into: &out)
            if let since = s.excludedSince {
                out.append(CapturedEvent(tNs: since, body: .gap(reason: .excludedApp, fromNs: since, toNs: t)))
                s.excludedSince = nil
            }
            if let pause = s.pause, pause.untilNs > t {
                out.append(CapturedEvent(tNs: t, body: .resume(by: .user)))
                s.pause = nil
                s.markers.removeAll()
            }
            return out.enumerated().sorted { ($0.element.tNs, $0.offset) < ($1.element.tNs, $1.offset) }.map(\.element)
        }
    }

    // MARK: Rules

    /// `context` nil: no window is known to have focus; only an exemption of all capture excludes then.
    private func refocus(_ context: WindowContext?, at t: UInt64, _ s: inout State, into out: inout [CapturedEvent]) {
        let treatment = context.map { s.rules.treatment(of: $0) } ?? (s.exemptsAll ? .exclude : .capture)
        s.focus = context
        s.focusRevision = s.revision
        if treatment == .exclude, s.excludedSince == nil { s.excludedSince = t }
        if treatment != .exclude, let since = s.excludedSince {
            out.append(CapturedEvent(tNs: since, body: .gap(reason: .excludedApp, fromNs: since, toNs: t)))
            s.excludedSince = nil
        }
        s.focusTreatment = treatment
    }

    private func emitMarkers(upTo t: UInt64, _ s: inout State, into out: inout [CapturedEvent]) {
        while let first = s.markers.first, first.tNs <= t {
            out.append(s.markers.removeFirst())
        }
    }

    private func isPaused(_ t: UInt64, _ s: State) -> Bool {
        s.pause.map { t >= $0.fromNs && t < $0.untilNs } ?? false
    }

    /// The event as it may be stored under the focused window's treatment and the policy's
    /// capture switches, or nil.
    private func allowed(_ event: CapturedEvent, treatment: WindowTreatment) -> CapturedEvent? {
        let capture = policy.capture
        switch event.body {
        case .pointerMove, .pointerDown, .pointerUp, .scroll:
            return capture.pointer ? event : nil
        case .keyDown(let key, _, let mods, let text):
            guard capture.keys else { return nil }
            if treatment == .structureOnly || (!capture.text && (text != nil || key.count == 1)) {
                return CapturedEvent(tNs: event.tNs, body: .keyDown(key: "", keycode: 0, mods: mods, text: nil))
            }
            return event
        case .keyUp(let key, _, let mods):
            guard capture.keys else { return nil }
            if treatment == .structureOnly || (!capture.text && key.count == 1) {
                return CapturedEvent(tNs: event.tNs, body: .keyUp(key: "", keycode: 0, mods: mods))
            }
            return event
        case .frame:
            return capture.frames ? event : nil
        default:
            return event
        }
    }

    /// The window as it may be stored: titles hold what typed text would (addresses, names in
    /// a terminal's `user@host`, card numbers), so the same recognizers run over them.
    private func scrubbed(_ context: WindowContext, _ treatment: WindowTreatment) -> WindowContext {
        var copy = context
        copy.title = textRedactor.redact(context.title).text
        copy.url = context.url.flatMap { StoredURL.cut($0, keepPath: policy.capture.urlPaths, redactor: textRedactor) }
        guard treatment == .structureOnly else { return copy }
        copy.title = ""
        copy.url = nil
        return copy
    }

    /// The element with the text recognizers run over its name and description.
    private func scrubbed(_ element: AccessibleElement) -> AccessibleElement {
        var copy = element
        copy.name = textRedactor.redact(element.name).text
        copy.description = element.description.map { textRedactor.redact($0).text }
        return copy
    }

    /// The snapshot with the text recognizers run over every name.
    private func scrubbed(_ snapshot: AccessibilitySnapshot) -> AccessibilitySnapshot {
        var copy = snapshot
        for i in copy.nodes.indices { copy.nodes[i].name = textRedactor.redact(copy.nodes[i].name).text }
        return copy
    }

    private func wall(_ t: UInt64) -> Date { origin.withLock { $0.wall }.addingTimeInterval(Double(t) / 1e9) }
}
