import Foundation
import GRDB
import UnderstudyModel

extension Vault {
    /// What ``recover()`` repaired after a recorder was killed.
    public struct Recovery: Sendable, Equatable {
        /// Segments a killed recorder left open, now sealed.
        public var sealed: [String] = []
        /// Files a killed recorder wrote but never committed (no row names them).
        public var strayFiles = 0
        public var isEmpty: Bool { sealed.isEmpty && strayFiles == 0 }
    }

    /// Finishes what a killed recorder left: seals its open segments, ends its session, and
    /// removes files no committed row names. Call it only while holding the vault's
    /// ``RecorderLock``, so no writer is at work.
    public func recover() throws(VaultError) -> Recovery {
        var recovery = Recovery()
        for segment in try segments() where !segment.sealed {
            guard let keys = try? keys(of: segment.id) else { continue }  // no key: `vault check` names it
            try seal(segment: segment.id, keys: keys)
            recovery.sealed.append(segment.id)
        }
        try write { db in
            try db.execute(
                sql: """
                    UPDATE session SET ended_at = coalesce(
                        (SELECT strftime('%Y-%m-%dT%H:%M:%fZ', max(wall_to_ms) / 1000.0, 'unixepoch') FROM segment WHERE session_id = session.id),
                        started_at)
                    WHERE ended_at IS NULL
                    """)
        }
        recovery.strayFiles = try removeStrayFiles()
        return recovery
    }

    /// Segment folders without a segment row, patch files without a patch row, and
    /// half-written temporary files.
    func strayFiles() throws(VaultError) -> [URL] {
        let fm = FileManager.default
        let known = try read { db in
            Set(try Row.fetchAll(db, sql: "SELECT segment_id, name FROM patch").map { "\($0["segment_id"] as String)/\($0["name"] as Int).patch" })
        }
        let segmentIDs = try Set(segments().map(\.id))
        var stray: [URL] = []
        for folder in (try? fm.contentsOfDirectory(atPath: segmentsDirectory.path)) ?? [] {
            let url = segmentDirectory(folder)
            guard segmentIDs.contains(folder) else {
                stray.append(url)
                continue
            }
            for file in (try? fm.contentsOfDirectory(atPath: url.path)) ?? [] where !known.contains("\(folder)/\(file)") {
                stray.append(url.appendingPathComponent(file))
            }
        }
        return stray
    }

    private func removeStrayFiles() throws(VaultError) -> Int {
        let stray = try strayFiles()
        for url in stray { try? FileManager.default.removeItem(at: url) }
        return stray.count
    }
}
