import Foundation
import GRDB
import UnderstudyModel

/// What `understudy vault check` found.
public struct VaultCheckReport: Sendable, Equatable {
    /// Damage, each naming what is damaged. Readers skip these parts and keep the rest.
    public var problems: [String] = []
    /// Not damage, but worth knowing (a killed recorder's unsealed segment, stray files).
    public var notes: [String] = []
    public var segments = 0
    public var events = 0
    public var frames = 0
    public var patches = 0
    public var isHealthy: Bool { problems.isEmpty }
}

extension Vault {
    /// Verifies the whole vault: the database's own structure, then each segment's key,
    /// digest, seal code, every sealed event, frame and patch file, and the seq numbering.
    /// Without the key only structure and digests can be verified, and the report says so.
    public func check() throws(VaultError) -> VaultCheckReport {
        var report = VaultCheckReport()
        let integrity = try read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        if integrity != ["ok"] { report.problems.append("the database is damaged: \(integrity.prefix(5).joined(separator: "; "))") }
        if encrypted && key == nil {
            report.problems.append(VaultError.keyMissing(keyLocation).description + "; only digests were checked")
        }
        let recording = RecorderLock.running(in: self)?.session
        for segment in try segments() {
            report.segments += 1
            try check(segment, recording: recording, into: &report)
        }
        let stray = try strayFiles()
        if !stray.isEmpty {
            report.notes.append(
                "\(stray.count) stray file(s) a killed recorder left uncommitted (removed by the next `understudy record` or `vault prune`)")
        }
        return report
    }

    private func check(_ segment: SegmentInfo, recording: String?, into report: inout VaultCheckReport) throws(VaultError) {
        let label = segment.label
        var keys: SegmentKeys?
        if key != nil || !encrypted {
            do {
                keys = try self.keys(of: segment.id)
            } catch {
                report.problems.append("\(label): its key does not unwrap; its \(segment.events) events and \(segment.frames) frames are unreadable")
            }
        }
        let stored = try read { db in try Row.fetchOne(db, sql: "SELECT digest, seal_code FROM segment WHERE id = ?", arguments: [segment.id]) }
        if segment.sealed, let stored {
            let digest = try read { db in try? SegmentDigest.compute(db, segment: segment.id, vault: self) }
            if digest != (stored["digest"] as Data?) {
                report.problems.append("\(label): its content no longer matches the digest recorded when it was sealed")
            } else if let keys, let digest, keys.encrypts, keys.sealCode(digest) != (stored["seal_code"] as Data?) {
                report.problems.append("\(label): its seal code is wrong (the digest was rewritten)")
            }
        } else if segment.session != recording {
            report.notes.append(
                "\(label) was never sealed: its recorder was interrupted; its contents were checked one by one and the next `understudy record` or `vault prune` seals it"
            )
        }
        guard let keys else { return }
        try checkEvents(segment, keys: keys, into: &report)
        try checkFrames(segment, keys: keys, into: &report)
    }

    private func checkEvents(_ segment: SegmentInfo, keys: SegmentKeys, into report: inout VaultCheckReport) throws(VaultError) {
        var bad: [String] = []
        var count = 0
        var holes = false
        var expected: Int64?
        // A hole in seq is allowed only right after the gap a step deletion left.
        var afterDeletion = false
        try read { db in
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT first_seq, last_seq, payload FROM event_chunk WHERE segment_id = ? ORDER BY first_seq",
                arguments: [segment.id])
            while let row = try cursor.next() {
                let first: Int64 = row["first_seq"]
                let last: Int64 = row["last_seq"]
                count += Int(last - first + 1)
                if let expected, expected != first, !afterDeletion { holes = true }
                expected = last + 1
                guard let events = Self.openEvents(row["payload"], keys: keys, session: segment.session, first: first, last: last) else {
                    bad.append(first == last ? "\(first)" : "\(first)-\(last)")
                    afterDeletion = false
                    continue
                }
                if case .gap(.deleted, _, _) = events.last?.body { afterDeletion = true } else { afterDeletion = false }
            }
        }
        report.events += count
        if !bad.isEmpty {
            report.problems.append("\(segment.label): events do not decrypt (seq \(bad.prefix(10).joined(separator: ", ")))")
        }
        if count != segment.events {
            report.problems.append("\(segment.label): holds \(count) events but recorded \(segment.events)")
        } else if holes {
            report.problems.append("\(segment.label): its seq numbers have holes")
        }
    }

    private func checkFrames(_ segment: SegmentInfo, keys: SegmentKeys, into report: inout VaultCheckReport) throws(VaultError) {
        let (frames, patches) = try read { db in
            (
                try Row.fetchAll(db, sql: "SELECT key, body FROM frame WHERE segment_id = ?", arguments: [segment.id]),
                try Row.fetchAll(db, sql: "SELECT name, bytes FROM patch WHERE segment_id = ? ORDER BY name", arguments: [segment.id])
            )
        }
        report.frames += frames.count
        report.patches += patches.count
        let badFrames = frames.count { row in
            let key: Data = row["key"]
            return keys.openFrame(row["body"], segment: segment.id, key: key) == nil
        }
        if badFrames > 0 { report.problems.append("\(segment.label): \(badFrames) frame layout(s) do not decrypt") }
        for row in patches {
            let name: Int = row["name"]
            let expected: Int = row["bytes"]
            let url = patchURL(segment: segment.id, name: name)
            guard let data = try? Data(contentsOf: url) else {
                report.problems.append("\(segment.label): patch file \(url.path) is missing")
                continue
            }
            if data.count != expected {
                report.problems.append("\(segment.label): patch file \(url.path) is truncated (\(data.count) of \(expected) bytes)")
            } else if (try? keys.open(data, context: OpenSegment.patchContext(segment: segment.id, name: name))) == nil {
                report.problems.append("\(segment.label): patch file \(url.path) does not decrypt (altered or damaged)")
            }
        }
    }
}
