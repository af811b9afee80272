import Capture
import Foundation
import Prometheus
import Synchronization
import UnderstudyModel

/// The recorder's counters since it started: what `understudy status --json` shows under
/// `counters`, and what `record --metrics-file` writes for node-exporter's textfile collector.
/// Counts only: never a title, a typed character or a pixel.
public struct RecorderCounters: Codable, Sendable, Equatable {
    /// Events handed to the vault, by kind (`key_down`, `focus`, …).
    public var eventsCaptured: [String: Int] = [:]
    public var framesStored = 0
    /// Frames kept without pixels (redaction withheld them).
    public var framesWithheld = 0
    /// Frames OCR read for redaction, and how long each took.
    public var framesOcrd = 0
    public var ocrMilliseconds = FramePipelineStats.summarize([])
    /// Values redacted, by kind (`email`, `credit_card`, …): in typed text and in frames.
    public var redactions: [String: Int] = [:]
    /// Bytes the vault wrote (sealed events, frame layouts, tile patches).
    public var bytesWritten: Int64 = 0
    /// What was lost, by cause: `frames_busy` (the frame queue was full), `frames_lost_in_gap`
    /// (a tile they use was not stored), `records_overflow` (capture outran the writer),
    /// `targets_busy` (element lookups dropped: too many were waiting on the accessibility bus),
    /// `snapshots_busy` (a frame's snapshot replaced by a newer frame's before the bus answered,
    /// or discarded because the page changed while it was read).
    public var drops: [String: Int] = [:]
    /// Whether capture reads the accessibility bus (page URLs, password fields): `on`, `off`,
    /// or why it cannot; and the calls to it that gave no answer in time.
    public var accessibility = "off"
    public var accessibilityTimeouts = 0
    /// Focus on a browser window whose page's address could not be read (kept as the
    /// policy's `unknown-site` says): the browser was started without accessibility.
    public var unreadablePages = 0
    /// Element lookups for step targets, and how long they took.
    public var targetLookupMilliseconds = FramePipelineStats.summarize([])
    /// Snapshots of the focused window taken with frames, how long each took, and how many
    /// were cut short at their limits (skipped ones are under `drops`, `snapshots_busy`).
    public var snapshotMilliseconds = FramePipelineStats.summarize([])
    public var snapshotsTruncated = 0

    public init() {}

    /// The counters in Prometheus text format, through swift-prometheus, with help text.
    public var prometheusText: String {
        let registry = PrometheusCollectorRegistry()
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "understudy", subsystem: "recorder", metricName: metric, unitName: unit, helpText: help)
        }
        func counter(_ metric: String, _ help: String, _ value: Int, labels: [(String, String)] = []) {
            registry.makeCounter(descriptor: name(metric, "total", help), labels: labels).increment(by: Int64(value))
        }
        for (kind, n) in eventsCaptured.sorted(by: { $0.key < $1.key }) {
            counter("events_captured", "Events handed to the vault, by kind.", n, labels: [("kind", kind)])
        }
        counter("frames_stored", "Frames stored with their pixels.", framesStored)
        counter("frames_withheld", "Frames kept without pixels: redaction withheld them.", framesWithheld)
        counter("frames_ocr", "Frames OCR read for redaction.", framesOcrd)
        for (quantile, ms) in [("0.5", ocrMilliseconds.median), ("0.95", ocrMilliseconds.p95)] {
            registry.makeGauge(
                descriptor: name("ocr_latency", "seconds", "OCR and filling time per frame, by quantile."), labels: [("quantile", quantile)]
            )
            .set(ms / 1000)
        }
        for (kind, n) in redactions.sorted(by: { $0.key < $1.key }) {
            counter("redactions", "Values redacted, by kind.", n, labels: [("kind", kind)])
        }
        registry.makeCounter(descriptor: name("written", "bytes_total", "Bytes the vault wrote.")).increment(by: bytesWritten)
        counter("accessibility_timeouts", "Accessibility calls that gave no answer in time.", accessibilityTimeouts)
        func latency(_ metric: String, _ help: String, _ summary: FramePipelineStats.Summary) {
            for (quantile, ms) in [("0.5", summary.median), ("0.95", summary.p95)] {
                registry.makeGauge(descriptor: name(metric, "seconds", help), labels: [("quantile", quantile)]).set(ms / 1000)
            }
        }
        latency("target_lookup_latency", "Accessibility element lookup time per action, by quantile.", targetLookupMilliseconds)
        counter("target_lookups", "Accessibility element lookups for step targets.", targetLookupMilliseconds.count)
        latency("snapshot_latency", "Accessibility snapshot time per stored frame, by quantile.", snapshotMilliseconds)
        counter("snapshots", "Accessibility snapshots of the focused window taken with stored frames.", snapshotMilliseconds.count)
        counter("snapshots_truncated", "Accessibility snapshots cut short at their node limit or time budget.", snapshotsTruncated)
        counter("unreadable_pages", "Times focus stayed 2 s or more on browser windows whose page address could not be read.", unreadablePages)
        for (cause, n) in drops.sorted(by: { $0.key < $1.key }) { counter("drops", "What was lost, by cause.", n, labels: [("cause", cause)]) }
        return registry.emitToString()
    }

    /// Writes ``prometheusText`` to `path` whole (temporary file, rename), readable by the
    /// node-exporter that collects it.
    public func writePrometheusFile(_ path: String) throws {
        try DurableFile.replace(path, contents: Data(prometheusText.utf8), mode: 0o644)
    }
}

/// Counts what the recorder hands the writer, from the capture task and the flusher alike.
final class RecorderTally: Sendable {
    private struct Counts {
        var events: [String: Int] = [:]
        var redactions: [String: Int] = [:]
        var framesStored = 0
        var framesWithheld = 0
        // The writer's figures, as of its last flush.
        var bytesWritten: Int64 = 0
        var framesLostInGap = 0
        var unreadablePages = 0
        /// When the present run of focus on browser windows with no known URL began, until it
        /// counts (``RecorderTally/unreadableAfterNs``) or a readable focus ends it.
        var unreadableSince: UInt64?
        /// The present run has been counted.
        var unreadableCounted = false
    }

    /// How long a browser window's page must stay unreadable to count: a page being loaded, a
    /// tab being opened, a window the bus has not read yet have no URL for a moment.
    static let unreadableAfterNs: UInt64 = 2_000_000_000

    private let counts = Mutex(Counts())

    /// Counts `events` (and the redactions among them) and returns them.
    func count(_ events: [CapturedEvent]) -> [CapturedEvent] {
        counts.withLock {
            for event in events {
                $0.events[event.body.kind, default: 0] += 1
                if case .redacted(let what, _, _) = event.body { $0.redactions[what.rawValue, default: 0] += 1 }
            }
        }
        return events
    }

    /// Counts, before the policy gate cuts them, the times focus stayed on browser windows with
    /// no known URL for ``unreadableAfterNs`` or longer (by the events' own clock); returns `events`.
    func countUnreadablePages(_ events: [CapturedEvent]) -> [CapturedEvent] {
        counts.withLock { c in
            for event in events {
                if case .focus(let window) = event.body {
                    if !(window.isBrowser && window.url == nil) {
                        (c.unreadableSince, c.unreadableCounted) = (nil, false)
                    } else if c.unreadableSince == nil, !c.unreadableCounted {
                        c.unreadableSince = event.tNs
                    }
                }
                if let since = c.unreadableSince, event.tNs >= since + Self.unreadableAfterNs {
                    c.unreadablePages += 1
                    (c.unreadableSince, c.unreadableCounted) = (nil, true)
                }
            }
        }
        return events
    }

    /// Counts a frame handed to the writer.
    func count(frame: FrameManifest) {
        counts.withLock {
            if frame.withheld == nil { $0.framesStored += 1 } else { $0.framesWithheld += 1 }
            for box in frame.redactions { $0.redactions[box.what.rawValue, default: 0] += 1 }
        }
    }

    var eventsByKind: [String: Int] { counts.withLock { $0.events } }

    /// The writer's figures after a flush.
    func note(bytesWritten: Int64, framesLostInGap: Int) {
        counts.withLock { ($0.bytesWritten, $0.framesLostInGap) = (bytesWritten, framesLostInGap) }
    }

    /// The counters, with the frame pipeline's figures and the writer's last noted.
    func counters(pipeline: FramePipelineStats, accessibility: AccessibilityState?) -> RecorderCounters {
        var counters = RecorderCounters()
        var framesLostInGap = 0
        counts.withLock {
            (counters.eventsCaptured, counters.redactions) = ($0.events, $0.redactions)
            (counters.framesStored, counters.framesWithheld) = ($0.framesStored, $0.framesWithheld)
            (counters.bytesWritten, framesLostInGap) = ($0.bytesWritten, $0.framesLostInGap)
            counters.unreadablePages = $0.unreadablePages
        }
        counters.framesOcrd = pipeline.redactMs.count
        counters.ocrMilliseconds = FramePipelineStats.summarize(pipeline.redactMs)
        counters.accessibility = accessibility.map { $0.problem ?? "on" } ?? "off"
        counters.accessibilityTimeouts = accessibility?.timeouts ?? 0
        counters.targetLookupMilliseconds = FramePipelineStats.summarize(accessibility?.lookupMilliseconds ?? [])
        counters.snapshotMilliseconds = FramePipelineStats.summarize(accessibility?.snapshotMilliseconds ?? [])
        counters.snapshotsTruncated = accessibility?.snapshotsTruncated ?? 0
        counters.drops = [
            "frames_busy": pipeline.busySkipped, "frames_lost_in_gap": framesLostInGap, "records_overflow": pipeline.recordsDropped,
            "targets_busy": accessibility?.lookupsDropped ?? 0, "snapshots_busy": accessibility?.snapshotsSkipped ?? 0,
        ]
        return counters
    }
}
