import CX11
import Foundation
import Synchronization
import UnderstudyModel

/// The capture thread's state and loop. Everything here runs on that one thread, except
/// ``Shared``, which the owning backend and the encoder queue also touch.
final class X11CaptureLoop {
    /// State shared with other threads.
    final class Shared: Sendable {
        let continuation: AsyncThrowingStream<CaptureRecord, Error>.Continuation
        let stopRequested = Atomic<Bool>(false)
        /// Set by the recorder when the vault lost tiles: the next stored frame carries all of its tiles.
        let keyframeRequested = Atomic<Bool>(false)
        /// Set when OCR failed on a frame: the next stored frame is read whole.
        let rescanRequested = Atomic<Bool>(false)
        let stats = Mutex(FramePipelineStats())
        let wake: (read: Int32, write: Int32)
        /// What the accessibility bus says of windows (URLs, password fields); nil when off.
        let accessibility: AccessibilityProbe?

        init(continuation: AsyncThrowingStream<CaptureRecord, Error>.Continuation, accessibility: AccessibilitySettings?) {
            self.continuation = continuation
            var fds: [Int32] = [-1, -1]
            pipe(&fds)
            wake = (fds[0], fds[1])
            let wakeUp = fds[1]
            self.accessibility = accessibility.map { settings in
                AccessibilityProbe(
                    interval: settings.interval, deadline: settings.deadline, enable: settings.enable, snapshotLimits: settings.snapshots
                ) {
                    var byte: UInt8 = 2
                    _ = write(wakeUp, &byte, 1)
                }
            }
        }

        /// `context` with what the accessibility bus knows of its window: the page's URL, a
        /// password field with the keyboard focus, and whether it is a private window (Firefox
        /// says so in its X title, Chromium only on the bus).
        func enriched(_ context: WindowContext) -> WindowContext {
            guard let state = accessibility?.state, let window = state.window(pid: context.pid, title: context.title) else { return context }
            var context = context
            context.url = window.url
            context.passwordField = window.active && state.passwordFocus
            context.privateWindow = window.privateWindow
            return context
        }

        deinit {
            accessibility?.stop()
            close(wake.read)
            close(wake.write)
        }

        /// Hands a record to the recorder. The stream holds at most
        /// ``X11Backend/recordBuffer`` records: when the recorder falls that far behind, newer
        /// records are dropped (and counted) rather than memory growing without end.
        func send(_ record: CaptureRecord) {
            if case .dropped = continuation.yield(record) { stats.withLock { $0.recordsDropped += 1 } }
        }

        func requestStop() {
            stopRequested.store(true, ordering: .sequentiallyConsistent)
            var byte: UInt8 = 1
            _ = write(wake.write, &byte, 1)
        }
    }

    let displayName: String
    let screen: ScreenGeometry
    let originNs: UInt64
    private let settings: X11CaptureSettings
    private let shared: Shared
    private let control: X11Display
    private let input: RecordInput
    private let keys: KeyTranslator
    private let windows: WindowTracker
    private let clock: ServerClock
    private let frames: FrameScheduler?
    private var ordering: EventOrdering
    private var lastPointer: (x: Int16, y: Int16)?
    private var lastRelease: UInt64 = 0
    private var lastFocusPoll: UInt64 = 0
    private var accessibilitySeen: UInt64 = 0
    /// Where the pointer button went down, to tell a drag's end.
    private var pressedAt: (x: Int, y: Int)?
    private let hotkey: HotkeyGrab?
    /// Keys of the hotkey's chord that are down: their releases are not stored either.
    private var swallowed: Set<UInt8> = []
    private var lastHotkeyPress: UInt64?

    init(settings: X11CaptureSettings, shared: Shared) throws(CaptureError) {
        self.settings = settings
        self.shared = shared
        control = try X11Display(name: settings.display)
        displayName = control.name
        for name in ["XKEYBOARD", "XTEST"] where !control.hasExtension(name) { throw .missingExtension(name) }
        screen = ScreenLayout.read(control)
        let keys = KeyTranslator(display: control)
        self.keys = keys
        hotkey = settings.hotkey.flatMap { [control] in HotkeyGrab($0, display: control, keys: keys) }
        windows = WindowTracker(display: control, shared: shared)
        clock = ServerClock(display: control)
        frames =
            settings.frames.enabled
            ? try FrameScheduler(
                display: control, settings: settings.frames, policy: settings.policy,
                redaction: settings.redaction, shared: shared) : nil
        input = try RecordInput(control: control, displayName: settings.display)
        originNs = MonotonicClock.nowNs()
        ordering = EventOrdering(window: settings.reorderWindow.ns)
        frames?.originNs = originNs
    }

    func run() {
        if let context = windows.refresh() {
            ordering.add(0, .focus(context))
            frames?.focused = context
        }
        frames?.start(ordering: &ordering)
        while !shared.stopRequested.load(ordering: .sequentiallyConsistent), !connectionLost {
            waitForActivity()
            step()
        }
        finish()
    }

    private func step() {
        for raw in input.drain() { handle(raw) }
        handleControlEvents()
        takeTargets()
        let now = relativeNow
        frames?.tick(now: now, ordering: &ordering)
        // Hand events over at most every 50 ms: one wake-up of the writer per batch, not per event.
        if now.since(lastRelease) >= 50_000_000 {
            lastRelease = now
            release(ordering.takeReady(now: now))
        }
    }

    private func finish() {
        if !connectionLost {
            for raw in input.drain() + input.close() { handle(raw) }
        }
        takeTargets()
        release(ordering.takeAll())
        frames?.finish()
        if connectionLost {
            shared.continuation.finish(throwing: CaptureError.recordFailed("the connection to the X server was lost"))
        } else {
            shared.continuation.finish()
        }
    }

    private var connectionLost: Bool { X11IOErrors.isLost(control) || input.isLost }

    private var relativeNow: UInt64 { MonotonicClock.nowNs() &- originNs }

    private func waitForActivity() {
        var fds = [
            pollfd(fd: input.fileDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: control.fileDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: shared.wake.read, events: Int16(POLLIN), revents: 0),
        ]
        // Sleep until something is due: held events, a frame deadline or a focus poll. An idle
        // recorder wakes once a second.
        var timeout = min(1000, frames?.nextDeadlineMs(now: relativeNow) ?? 1000)
        if !ordering.isEmpty { timeout = min(timeout, 50) }
        if windows.needsPolling { timeout = min(timeout, 100) }
        control.flush()
        // Xlib may already have read events off the socket during a round trip; poll would not see them.
        if XQLength(control.handle) > 0 { return }
        guard poll(&fds, 3, Int32(max(1, timeout))) > 0, fds[2].revents != 0 else { return }
        var scratch = [UInt8](repeating: 0, count: 16)
        _ = read(shared.wake.read, &scratch, scratch.count)
    }

    private func relative(serverMs: UInt32) -> UInt64 {
        let ns = clock.monotonicNs(serverMs: serverMs)
        return ns > originNs ? ns - originNs : 0
    }

    private func handle(_ raw: RawInput) {
        let t = relative(serverMs: raw.serverMs)
        let x = Int(raw.x)
        let y = Int(raw.y)
        switch raw.kind {
        case .motion:
            if let last = lastPointer, last == (raw.x, raw.y) { return }
            lastPointer = (raw.x, raw.y)
            ordering.add(t, .pointerMove(x: x, y: y))
        case .buttonPress:
            lastPointer = (raw.x, raw.y)
            if let scroll = Self.scroll(button: raw.detail) {
                // The first notch of a burst begins a step: keep the screen from before it.
                if let frames, !frames.isScrolling {
                    frames.beforeInput(at: t, ordering: &ordering)
                    lookUpTarget(atX: x, y: y, of: t)
                }
                ordering.add(t, .scroll(x: x, y: y, dx: scroll.dx, dy: scroll.dy))
                frames?.scrolled(now: relativeNow)
            } else if let button = Self.button(raw.detail) {
                frames?.beforeInput(at: t, ordering: &ordering)
                ordering.add(t, .pointerDown(x: x, y: y, button: button))
                lookUpTarget(atX: x, y: y, of: t)
                pressedAt = (x, y)
            }
        case .buttonRelease:
            guard let button = Self.button(raw.detail) else { return }
            ordering.add(t, .pointerUp(x: x, y: y, button: button))
            // A drag's end has a target of its own.
            if let from = pressedAt, abs(from.x - x) + abs(from.y - y) > 5 { lookUpTarget(atX: x, y: y, of: t) }
            pressedAt = nil
        case .keyPress:
            let key = keys.translate(keycode: raw.detail, state: raw.state)
            if let hotkey, hotkey.matches(keycode: raw.detail, modifiers: key.mods) {
                pressedHotkey(at: t)
                return
            }
            if let frames, Self.beginsStep(key.name, mods: key.mods, text: key.text, typing: frames.isTyping) {
                frames.beforeInput(at: t, ordering: &ordering)
                // The first key of a typing run: the field typed into.
                if key.text != nil { shared.accessibility?.lookUp(.focused, of: t) }
            }
            ordering.add(t, .keyDown(key: key.name, keycode: Int(raw.detail), mods: key.mods, text: key.text))
            frames?.typed(now: relativeNow)
        case .keyRelease:
            if swallowed.remove(raw.detail) != nil { return }
            let key = keys.translate(keycode: raw.detail, state: raw.state)
            ordering.add(t, .keyUp(key: key.name, keycode: Int(raw.detail), mods: key.mods))
        case .keymapChange:
            keys.remap(firstKeycode: raw.detail, keysyms: raw.keysyms)
        }
    }

    /// The hotkey: none of its chord is stored (its modifiers went down just before it and still
    /// wait in the ordering window), and the recorder is told. Held down, the key repeats: presses
    /// less than a second apart are one press.
    private func pressedHotkey(at t: UInt64) {
        guard let hotkey else { return }
        swallowed.insert(hotkey.keycode)
        for keycode in ordering.removeHeldModifierPresses() { swallowed.insert(keycode) }
        defer { lastHotkeyPress = t }
        if let last = lastHotkeyPress, t.since(last) < 1_000_000_000 { return }
        shared.send(.hotkey)
    }

    /// Asks the accessibility bus for the element under the pointer, when the window there is
    /// one the policy captures; the answer becomes a `target` event when it comes.
    private func lookUpTarget(atX x: Int, y: Int, of t: UInt64) {
        guard let probe = shared.accessibility, let window = frames?.capturedWindow(atX: x, y: y) else { return }
        probe.lookUp(.point(x: x, y: y, pid: window.pid ?? 0), of: t)
    }

    /// Adds the element lookups and snapshots answered since the last step, as `target` and
    /// `a11y` events.
    private func takeTargets() {
        for (of, element) in shared.accessibility?.takeTargets() ?? [] {
            ordering.add(max(of, relativeNow), .target(ofNs: of, element: element))
        }
        for (request, snapshot) in shared.accessibility?.takeSnapshots() ?? [] {
            ordering.add(
                max(request.ofNs, relativeNow), .accessibilitySnapshot(frame: request.frame, window: request.window, snapshot: snapshot))
        }
    }

    /// Whether a key press begins a training step and so needs the screen as it was before it:
    /// the first character of a typing run, a key such as Return or Tab, a chord. Characters
    /// and BackSpace inside a run, and modifiers pressed alone, continue what is under way.
    static func beginsStep(_ name: String, mods: [Modifier], text: String?, typing: Bool) -> Bool {
        if isModifier(name) || ["Caps_Lock", "Num_Lock"].contains(name) { return false }
        if mods.contains(where: { $0 != .shift }) { return true }
        if let text, !text.isEmpty, text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) { return !typing }
        return !(typing && name == "BackSpace")
    }

    /// Shift, Control, Alt, Meta, Super and Hyper, left or right, and the AltGr keys.
    static func isModifier(_ name: String) -> Bool {
        name.hasSuffix("_L") || name.hasSuffix("_R") || ["ISO_Level3_Shift", "Mode_switch"].contains(name)
    }

    private static func button(_ detail: UInt8) -> PointerButton? {
        switch detail {
        case 1: .left
        case 2: .middle
        case 3: .right
        case 8: .back
        case 9: .forward
        default: nil
        }
    }

    /// Wheel buttons: 4 up, 5 down, 6 left, 7 right, one notch per press.
    private static func scroll(button: UInt8) -> (dx: Int, dy: Int)? {
        switch button {
        case 4: (0, -1)
        case 5: (0, 1)
        case 6: (-1, 0)
        case 7: (1, 0)
        default: nil
        }
    }

    private func handleControlEvents() {
        var damaged = false
        var focusAt: UInt64?
        while !connectionLost, XPending(control.handle) > 0 {
            var event = XEvent()
            XNextEvent(control.handle, &event)
            switch event.type {
            case PropertyNotify:
                let p = event.xproperty
                if windows.isRelevant(window: p.window, atom: p.atom) { focusAt = relative(serverMs: UInt32(truncatingIfNeeded: p.time)) }
            case MappingNotify:
                keys.keymapChanged(&event)
            case CreateNotify, DestroyNotify, MapNotify, UnmapNotify, ConfigureNotify, ReparentNotify, CirculateNotify:
                frames?.windowsChanged()
            case _ where keys.isKeyboardEvent(event.type):
                keys.keymapChanged(&event)
            case _ where frames?.isDamageEvent(event.type) == true:
                damaged = true
            default:
                break
            }
        }
        if damaged { frames?.damaged(now: relativeNow) }
        // The accessibility bus saw a navigation, a tab switch or focus entering a password field.
        if let generation = shared.accessibility?.generation, generation != accessibilitySeen {
            accessibilitySeen = generation
            focusAt = focusAt ?? relativeNow
            frames?.windowsChanged()
        }
        // Without a window manager, the input focus is read at most every 100 ms.
        if focusAt == nil, windows.needsPolling, relativeNow.since(lastFocusPoll) >= 100_000_000 {
            lastFocusPoll = relativeNow
            focusAt = relativeNow
        }
        if let focusAt, let context = windows.refresh() {
            ordering.add(focusAt, .focus(context))
            frames?.focused = context
            frames?.windowsChanged()
            frames?.focusChanged(now: relativeNow)
        }
    }

    private func release(_ events: [(UInt64, EventBody)]) {
        guard !events.isEmpty else { return }
        shared.send(.events(events.map { CapturedEvent(tNs: $0.0, body: $0.1) }))
    }
}

/// Puts events from different connections back in time order. RECORD batches input, so an
/// event is held until nothing older can still arrive (the reorder window), then released.
/// An event older than one already released keeps its order by taking that time.
struct EventOrdering {
    private let window: UInt64
    private var pending: [(t: UInt64, order: Int, body: EventBody)] = []
    private var counter = 0
    private var released: UInt64 = 0

    init(window: UInt64) { self.window = window }

    mutating func add(_ t: UInt64, _ body: EventBody) {
        counter += 1
        pending.append((max(t, released), counter, body))
    }

    var isEmpty: Bool { pending.isEmpty }

    /// The latest time already released: a new event cannot be placed before it.
    var floor: UInt64 { released }

    mutating func takeReady(now: UInt64) -> [(UInt64, EventBody)] {
        guard now > window else { return [] }
        return take(upTo: now - window)
    }

    mutating func takeAll() -> [(UInt64, EventBody)] { take(upTo: .max) }

    /// Takes out the modifier presses still waiting whose key was not released after them: the
    /// chord a hotkey just completed. Their keycodes.
    mutating func removeHeldModifierPresses() -> [UInt8] {
        var released: Set<Int> = []
        var removed: [UInt8] = []
        for index in pending.indices.reversed() {
            switch pending[index].body {
            case .keyUp(_, let keycode, _):
                released.insert(keycode)
            case .keyDown(let key, let keycode, _, _) where X11CaptureLoop.isModifier(key) && !released.contains(keycode):
                removed.append(UInt8(truncatingIfNeeded: keycode))
                pending.remove(at: index)
            default:
                break
            }
        }
        return removed
    }

    private static func rank(_ body: EventBody) -> Int {
        if case .focus = body { 1 } else { 0 }
    }

    private mutating func take(upTo limit: UInt64) -> [(UInt64, EventBody)] {
        guard !pending.isEmpty else { return [] }
        // In one millisecond a focus change follows the input there: the click or key that
        // caused it was decided in the window before (server times are in milliseconds).
        pending.sort { ($0.t, Self.rank($0.body), $0.order) < ($1.t, Self.rank($1.body), $1.order) }
        let count = pending.firstIndex { $0.t > limit } ?? pending.count
        let ready = pending.prefix(count).map { ($0.t, $0.body) }
        pending.removeFirst(count)
        if let last = ready.last { released = max(released, last.0) }
        return ready
    }
}

/// Xlib ends the process when a connection breaks unless an exit handler says otherwise;
/// these handlers record which connection was lost, so capture on it can stop and the
/// recorder can flush what it has, while other connections carry on.
enum X11IOErrors {
    private static let lostDisplays = Mutex<Set<UInt>>([])

    static func isLost(_ display: X11Display) -> Bool {
        lostDisplays.withLock { $0.contains(UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(display.handle)))) }
    }

    static func install(on display: X11Display) {
        // The default I/O error handler exits by itself; this one only reports.
        _ = XSetIOErrorHandler { handle in
            X11IOErrors.markLost(handle)
            return 0
        }
        XSetIOErrorExitHandler(display.handle, { handle, _ in X11IOErrors.markLost(handle) }, nil)
    }

    /// Called when a connection closes, since its address may be reused by a later one.
    static func forget(_ display: X11Display) {
        _ = lostDisplays.withLock { $0.remove(UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(display.handle)))) }
    }

    private static func markLost(_ handle: OpaquePointer?) {
        guard let handle else { return }
        _ = lostDisplays.withLock { $0.insert(UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle)))) }
    }
}
