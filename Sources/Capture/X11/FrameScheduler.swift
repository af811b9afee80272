import CX11
import UnderstudyModel

/// Decides when the screen is grabbed and when a grab becomes a stored frame.
///
/// Grabs follow damage: after the screen changed and settled, it is grabbed into the older
/// of two shared-memory slots, so a recent grab always exists. A pointer-down takes the
/// newest grab finished before the press (server time), never one that may show the
/// application's reaction. Typing pauses, scroll ends, focus changes and a periodic timer
/// take a fresh grab instead.
final class FrameScheduler {
    private let settings: FrameSettings
    private let shared: X11CaptureLoop.Shared
    private let grabber: ScreenGrabber
    private let damage: DamageWatcher
    private let differ: FrameDiffer
    private let output: FrameOutput
    private let redaction: FrameRedactionSettings?
    private let policy: (any CapturePolicy)?
    private let masks: WindowMasks?
    var originNs: UInt64 = 0
    /// The focused window, kept by the capture loop: no frame is stored while the policy excludes it.
    var focused: WindowContext?

    private var lastDamageNs: UInt64 = 0
    private var damagePendingSince: UInt64?
    private var lastStoredNs: UInt64 = 0
    private var keyframeStartedNs: UInt64 = 0
    private var typingDue: UInt64?
    private var scrollDue: UInt64?
    private var focusDue: UInt64?

    init(
        display: X11Display, settings: FrameSettings, policy: (any CapturePolicy)?, redaction: FrameRedactionSettings?,
        shared: X11CaptureLoop.Shared
    ) throws(CaptureError) {
        self.settings = settings
        self.redaction = redaction
        self.shared = shared
        self.policy = policy
        let grabber = try ScreenGrabber(display: display)
        self.grabber = grabber
        damage = try DamageWatcher(display: display)
        differ = FrameDiffer(width: grabber.width, height: grabber.height, tileSize: settings.tileSize)
        output = FrameOutput(
            codec: settings.codec, level: settings.codecLevel,
            redaction: redaction.map { FrameRedactionStage(scanner: $0.scanner, dropFrames: $0.dropFrames) }, shared: shared)
        masks = policy.map { WindowMasks(display: display, policy: $0, width: grabber.width, height: grabber.height, shared: shared) }
    }

    /// The window structure, focus or a title changed: masks are worked out again before the next grab.
    func windowsChanged() { masks?.invalidate() }

    /// The window on top at (x, y) when the policy captures it (see ``WindowMasks``).
    func capturedWindow(atX x: Int, y: Int) -> WindowContext? { masks?.capturedWindow(atX: x, y: y) }

    func isDamageEvent(_ type: Int32) -> Bool { damage.isDamageNotify(type) }

    func start(ordering: inout EventOrdering) {
        _ = damage.takeRectangles()
        store(grab(), reason: .focus, ordering: &ordering)
    }

    func finish() { output.drain() }

    // MARK: What happened

    func damaged(now: UInt64) {
        differ.markDamaged(damage.takeRectangles())
        lastDamageNs = now
        if damagePendingSince == nil { damagePendingSince = now }
    }

    func typed(now: UInt64) { typingDue = now + settings.typingPause.ns }
    /// Keys were typed and the typing pause has not come yet.
    var isTyping: Bool { typingDue != nil }
    /// Scroll notches came and the scroll end has not come yet.
    var isScrolling: Bool { scrollDue != nil }
    func scrolled(now: UInt64) { scrollDue = now + settings.scrollEnd.ns }
    func focusChanged(now: UInt64) { focusDue = now + settings.focusSettle.ns }

    /// Stores the screen as it was before an input at `t` (ns since origin), from the newest
    /// grab that finished before the input's millisecond began.
    func beforeInput(at t: UInt64, ordering: inout EventOrdering) {
        let candidates = grabber.slots.filter { !$0.isEmpty && $0.grabbedNs &- originNs < t }
        guard let slot = candidates.max(by: { $0.grabbedNs < $1.grabbedNs }) else {
            shared.stats.withLock { $0.missedObservations += 1 }
            return
        }
        guard !slot.grabbedWhileWithheld else {
            if mayStore { shared.stats.withLock { $0.missedObservations += 1 } }
            return
        }
        store(slot, reason: .action, ordering: &ordering)
    }

    // MARK: Time passing

    func tick(now: UInt64, ordering: inout EventOrdering) {
        if let since = damagePendingSince,
            now.since(lastDamageNs) >= settings.grabSettle.ns || now.since(since) >= settings.grabMaxDelay.ns
        {
            _ = grab()
        }
        if let due = focusDue, now >= due {
            focusDue = nil
            storeFresh(reason: .focus, ordering: &ordering)
        }
        if let due = typingDue, now >= due {
            typingDue = nil
            storeFresh(reason: .action, ordering: &ordering)
        }
        if let due = scrollDue, now >= due {
            scrollDue = nil
            storeFresh(reason: .action, ordering: &ordering)
        }
        if now.since(lastStoredNs) >= settings.periodic.ns, differ.changedSinceStored {
            storeFresh(reason: .periodic, ordering: &ordering)
        }
    }

    /// Milliseconds until something is due, for the loop's poll timeout.
    func nextDeadlineMs(now: UInt64) -> Int {
        var deadlines = [typingDue, scrollDue, focusDue].compactMap { $0 }
        if let since = damagePendingSince {
            deadlines.append(min(lastDamageNs + settings.grabSettle.ns, since + settings.grabMaxDelay.ns))
        }
        if differ.changedSinceStored { deadlines.append(lastStoredNs + settings.periodic.ns) }
        guard let next = deadlines.min() else { return 1000 }
        return next > now ? Int((next - now) / 1_000_000) + 1 : 0
    }

    // MARK: Grabbing and storing

    private var newest: ScreenGrabber.Slot? {
        grabber.slots.filter { !$0.isEmpty }.max { $0.grabbedNs < $1.grabbedNs }
    }

    /// Grabs into the older slot; the newer one stays as the observation for inputs in flight.
    @discardableResult
    private func grab() -> ScreenGrabber.Slot {
        let slot = grabber.slots.min { ($0.isEmpty ? 0 : $0.grabbedNs) < ($1.isEmpty ? 0 : $1.grabbedNs) }!
        // Regions that start or stop being masked must be hashed again, as if damaged.
        if let masks, let changed = masks.update(now: MonotonicClock.nowNs()) {
            differ.markDamaged(changed.map { ($0.x, $0.y, $0.w, $0.h) })
        }
        let start = MonotonicClock.nowNs()
        if grabber.grab(into: slot, generation: differ.generation) {
            slot.grabbedWhileWithheld = !mayStore
            masks?.apply(to: slot.mutablePixels, stride: slot.stride)
            let ms = Double(slot.grabbedNs - start) / 1e6
            shared.stats.withLock { $0.grabMs.append(ms) }
        }
        damagePendingSince = nil
        return slot
    }

    private func storeFresh(reason: FrameReason, ordering: inout EventOrdering) {
        guard let latest = newest, !latest.grabbedWhileWithheld, !differ.hasDamage(after: latest.generation) else {
            store(grab(), reason: reason, ordering: &ordering)
            return
        }
        store(latest, reason: reason, ordering: &ordering)
    }

    private func store(_ slot: ScreenGrabber.Slot, reason: FrameReason, ordering: inout EventOrdering) {
        guard !slot.isEmpty, !slot.grabbedWhileWithheld, mayStore else { return }
        // OCR is slow; while it is behind, the next frame taken covers what changed meanwhile.
        if let redaction, output.backlog >= redaction.maxBacklog {
            shared.stats.withLock { $0.busySkipped += 1 }
            return
        }
        let now = MonotonicClock.nowNs() &- originNs
        let requested = shared.keyframeRequested.exchange(false, ordering: .sequentiallyConsistent)
        let keyframe = requested || now.since(keyframeStartedNs) >= settings.keyframeInterval.ns || keyframeStartedNs == 0
        if keyframe {
            differ.startKeyframe()
            keyframeStartedNs = max(now, 1)
        }
        let start = MonotonicClock.nowNs()
        guard let result = differ.diff(slot) else {
            // Nothing new to store; the damage up to this grab is accounted for.
            differ.acceptUnchanged(slot)
            if reason == .periodic { lastStoredNs = now }
            shared.stats.withLock { $0.identicalSkipped += 1 }
            return
        }
        let scan = redaction.map { _ in
            let everything = shared.rescanRequested.exchange(false, ordering: .sequentiallyConsistent)
            return ScanArea(
                changed: everything ? Array(result.tiles.indices) : result.changed, damage: everything ? nil : result.damage, of: slot,
                width: differ.width, height: differ.height, tileSize: differ.tileSize, windows: masks?.textAreas ?? [])
        }
        let diffMs = Double(MonotonicClock.nowNs() - start) / 1e6
        lastStoredNs = now
        let grabbed = slot.grabbedNs &- originNs
        let manifest = FrameManifest(
            hash: result.frameHash, width: differ.width, height: differ.height, tileSize: differ.tileSize,
            grabbedNs: grabbed, reason: reason, tiles: result.tiles)
        shared.stats.withLock {
            $0.diffMs.append(diffMs)
            $0.framesStored += 1
        }
        ordering.add(max(grabbed, ordering.floor), .frame(frame: manifest.hash, w: manifest.width, h: manifest.height, reason: reason))
        requestSnapshot(frame: manifest.hash, at: max(grabbed, ordering.floor))
        output.submit(
            FrameJob(
                manifest: manifest, keyframe: keyframe,
                strip: TileStrip(tiles: result.newTiles, pixels: result.newPixels, tileSize: differ.tileSize), scan: scan))
    }
}

extension FrameScheduler {
    /// Asks the accessibility bus for a snapshot of the focused window, when the policy
    /// captures that window in full: an excluded or structure-only window gives none.
    fileprivate func requestSnapshot(frame: String, at t: UInt64) {
        guard let probe = shared.accessibility, let window = focused, let pid = window.pid else { return }
        if let policy, policy.treatment(of: window) != .capture { return }
        probe.snapshot(SnapshotRequest(frame: frame, ofNs: t, window: window.window, pid: pid, title: window.title, url: window.url))
    }

    /// No frame while paused, or while the focused window is excluded.
    private var mayStore: Bool {
        guard let policy else { return true }
        guard policy.framesAllowed else { return false }
        return focused.map { policy.treatment(of: $0) != .exclude } ?? true
    }
}

extension UInt64 {
    /// Nanoseconds from `earlier` to this time; zero when `earlier` is not earlier.
    func since(_ earlier: UInt64) -> UInt64 { self > earlier ? self - earlier : 0 }
}
