import Capture
import Foundation
import UnderstudyModel
import Vault

/// What `understudy status` says: whether a recorder is running, in which state, and what
/// the vault holds. Encoded, it is the `--json` answer: one flat object, the recorder's keys
/// present while one runs (`policy`, `paused_until` and `task` as `null` when unset).
public struct StatusReport: Encodable, Sendable {
    /// `recording` or `idle`.
    public var state: String
    public var vault: String
    public var exists: Bool
    // The running recorder, as its lock file and its control socket describe it.
    public var pid: Int32?
    public var session: String?
    public var display: String?
    public var since: Date?
    public var storing: Bool?
    @Nullable public var policy: String?
    @Nullable public var pausedUntil: Date?
    @Nullable public var task: String?
    public var notStoring: String?
    public var notStoringSince: Date?
    /// What the running recorder has captured, stored, redacted and dropped so far.
    @Nullable public var counters: RecorderCounters?
    // The vault's key and what it holds; absent when there is no vault yet.
    public var key: String?
    public var keyPresent: Bool?
    public var encrypted: Bool?
    public var sessions: Int?
    public var segments: Int?
    public var openSegments: Int?
    public var events: [String: Int]?
    public var frames: Int?
    public var patches: Int?
    public var patchBytes: Int?
    /// What the vault stores, by kind: sealed event chunks and frame layouts (the rest of
    /// `bytesOnDisk`, past them and `patchBytes`, is the database's index and free pages).
    public var eventBytes: Int?
    public var frameLayoutBytes: Int?
    public var bytesOnDisk: Int?

    init(state: String, vault: String, exists: Bool) {
        self.state = state
        self.vault = vault
        self.exists = exists
    }

    /// Reads the vault at `directory` without creating it, and asks a running recorder how it is.
    public static func read(vault directory: URL) throws -> StatusReport {
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("vault.sqlite").path) else {
            return StatusReport(state: "idle", vault: directory.path, exists: false)
        }
        let vault = try Vault(at: directory, create: false)
        var report = StatusReport(state: "idle", vault: directory.path, exists: true)
        if let lock = RecorderLock.running(in: vault) {
            // The recorder itself knows best whether it is paused (its state file lags by up to 250 ms).
            let live = try? ControlSocket.send(ControlRequest(.status), vault: directory)
            report.state = "recording"
            (report.pid, report.session, report.display, report.since) = (lock.pid, lock.session, lock.display, lock.startedAt)
            (report.storing, report.policy, report.notStoring) = (lock.notStoring == nil, lock.policy, lock.notStoring)
            (report.pausedUntil, report.task, report.counters) = (live.map(\.pausedUntil) ?? lock.pausedUntil, live?.task, live?.counters)
            report.notStoringSince = lock.notStoring.map { _ in lock.notStoringSince ?? lock.startedAt }
        }
        let s = try vault.summary()
        (report.key, report.keyPresent, report.encrypted) = (vault.keyLocation, vault.canDecrypt, vault.encrypted)
        (report.sessions, report.segments, report.openSegments) = (s.sessions, s.segments, s.openSegments)
        (report.events, report.frames, report.patches) = (s.eventsByKind, s.frames, s.patches)
        (report.patchBytes, report.bytesOnDisk) = (s.patchBytes, s.bytesOnDisk)
        (report.eventBytes, report.frameLayoutBytes) = (s.eventBytes, s.frameLayoutBytes)
        return report
    }

    /// The report in sentences, for a person at a terminal.
    public var text: String {
        guard exists else { return "Not recording. No vault at \(vault) yet." }
        var lines = ["Not recording."]
        if let display, let since, let pid, let session {
            lines = ["Recording display \(display) since \(RFC3339.string(from: since)) (pid \(pid), session \(session))."]
        }
        // Right under the first line: a recorder that captures but cannot keep it must say so first.
        if let notStoring, let notStoringSince {
            lines.append(
                "NOT STORING since \(clockTime(notStoringSince)) (\(RFC3339.string(from: notStoringSince))): \(notStoring). "
                    + "Until then what is captured is dropped, and one gap event marks the time lost.")
        }
        if let task { lines.append("Task: \(task)") }
        if let policy { lines.append("Policy: \(policy).") }
        if let until = pausedUntil {
            lines.append("PAUSED until \(clockTime(until)) (\(RFC3339.string(from: until))): nothing is recorded; `understudy resume` resumes now.")
        }
        if let c = counters {
            let redacted = c.redactions.values.reduce(0, +)
            let dropped = c.drops.values.reduce(0, +)
            lines.append(
                "So far: \(c.eventsCaptured.values.reduce(0, +)) events, \(c.framesStored) frames stored, \(redacted) value(s) redacted, "
                    + "\(Self.bytes(Int(c.bytesWritten))) written\(dropped > 0 ? ", \(dropped) dropped" : "").")
            lines.append(Self.accessibilityLine(c))
        }
        let (key, encrypted, events) = (key ?? "", encrypted ?? false, events ?? [:])
        if encrypted && keyPresent != true { lines.append("The vault key is missing (expected at \(key)): nothing in this vault can be read.") }
        let kinds = EventBody.allKinds.compactMap { kind in events[kind].map { "\(kind) \($0)" } }.joined(separator: ", ")
        lines += [
            "Vault: \(vault) (\(count(sessions ?? 0, "session")), \(count(segments ?? 0, "segment")))",
            "Encrypted: \(encrypted ? "yes, key at \(key)" : "no")",
            "Events: \(events.values.reduce(0, +))\(kinds.isEmpty ? "" : " (\(kinds))")",
            "Frames: \(frames ?? 0), their pixels \(Self.bytes(patchBytes ?? 0)) in \(patches ?? 0) tile patches",
            "On disk: \(Self.bytes(bytesOnDisk ?? 0)): events \(Self.bytes(eventBytes ?? 0)), frame layouts \(Self.bytes(frameLayoutBytes ?? 0)), "
                + "frame pixels \(Self.bytes(patchBytes ?? 0)), index and free pages \(Self.bytes(indexBytes))",
        ]
        return lines.joined(separator: "\n")
    }

    /// What is on disk past events, frame layouts and pixels: the database's index, its free pages, the folders.
    private var indexBytes: Int { max(0, (bytesOnDisk ?? 0) - (eventBytes ?? 0) - (frameLayoutBytes ?? 0) - (patchBytes ?? 0)) }

    /// Whether browser pages cannot be read now or could not be at times: then the
    /// accessibility line says what that means, and ``accessibilityFix`` how to fix it.
    static func pagesUnreadable(_ c: RecorderCounters) -> Bool {
        (c.accessibility != "on" && c.accessibility != "off") || (c.accessibility == "on" && c.unreadablePages > 0)
    }

    /// How to make browsers' pages readable, step by step, for the review page.
    static let accessibilityFix = [
        "Chromium: run `sudo scripts/enable-browser-accessibility.sh` once (it makes Chromium start with accessibility on), then close every Chromium window and start it again.",
        "Google Chrome: add --force-renderer-accessibility to the Exec= line of its .desktop file, then start it again.",
        "Firefox needs nothing: it follows the session's accessibility status.",
    ]

    /// Whether pages can be read, and when they cannot, what that means and how to fix it.
    static func accessibilityLine(_ c: RecorderCounters) -> String {
        let timeouts = c.accessibilityTimeouts > 0 ? " (\(c.accessibilityTimeouts) calls timed out)" : ""
        let fix =
            "browser pages are kept as structure only (no text, title or address), as the policy's unknown-site says. "
            + "Start browsers with accessibility on: see the README."
        if c.accessibility != "on" && c.accessibility != "off" { return "Accessibility: \(c.accessibility): \(fix)" }
        if c.accessibility == "on", c.unreadablePages > 0 {
            return "Accessibility: on\(timeouts), but \(c.unreadablePages) time(s) a browser window's page could not be read for 2 s or more: \(fix)"
        }
        let lookups = c.targetLookupMilliseconds
        let targets = lookups.count > 0 ? ", \(lookups.count) element lookups (\(Self.latency(lookups)))" : ""
        let shots = c.snapshotMilliseconds
        let cut = c.snapshotsTruncated > 0 ? ", \(c.snapshotsTruncated) cut short at their limits" : ""
        let snapshots = shots.count > 0 ? ", \(count(shots.count, "window snapshot")) (\(Self.latency(shots))\(cut))" : ""
        return "Accessibility: \(c.accessibility)\(timeouts)\(targets)\(snapshots)."
    }

    private static func latency(_ s: FramePipelineStats.Summary) -> String {
        "median \(String(format: "%.1f", s.median)) ms, p95 \(String(format: "%.1f", s.p95)) ms"
    }

    private static func bytes(_ n: Int) -> String { ByteCountFormatter.string(fromByteCount: Int64(n), countStyle: .file) }
}

/// `1 segment`, `3 segments`.
public func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
