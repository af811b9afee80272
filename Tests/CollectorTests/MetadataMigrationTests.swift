import Collector
import Foundation
import Logging
import Synchronization
import Testing

/// Keeps what is logged to it, for a test to read.
private struct RecordingLogHandler: LogHandler {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    /// Shared by the copies a `Logger` makes of its handler.
    final class Entries: Sendable {
        let list = Mutex<[Entry]>([])
    }

    let entries: Entries
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        entries.list.withLock {
            $0.append(Entry(level: event.level, message: "\(event.message)", metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
        }
    }
}

@Suite("Collector storage migrations")
struct MetadataMigrationTests {
    @Test("Opening the metadata database logs each migration it applies by id, and nothing of its path or rows; a second opening applies none")
    func migrationsLogged() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.sqlite").path

        func open() throws -> [RecordingLogHandler.Entry] {
            let entries = RecordingLogHandler.Entries()
            let handler = RecordingLogHandler(entries: entries)
            _ = try SQLiteMetadataStore(path: path, logger: Logger(label: "test", factory: { _ in handler }))
            return entries.list.withLock { $0 }
        }

        let first = try open()
        let applied = first.filter { $0.level == .info }.compactMap { $0.metadata["migration"].map { "\($0)" } }
        #expect(applied.map { String($0.prefix(3)) } == ["v1:", "v2:", "v3:", "v4:", "v5:", "v6:"])
        #expect(first.contains { $0.metadata["migrations_applied"] == "6" })
        #expect(!first.contains { entry in entry.metadata.values.contains { "\($0)".contains(dir.path) } }, "no path in the logs")

        let second = try open()
        #expect(second.filter { $0.level == .info }.isEmpty)
        #expect(second.contains { $0.metadata["migrations_applied"] == "0" })
    }
}
