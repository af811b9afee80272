import Foundation
import GRDB
import Testing
import UnderstudyModel
@testable import Vault

@Suite("Vault")
struct VaultTests {
    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("understudy-vault-\(UUID().uuidString)")
    }

    static func session() -> Session {
        Session(startedAt: Date(timeIntervalSince1970: 1_795_000_000), backend: "test", display: ":9",
                screen: ScreenGeometry(width: 1920, height: 1080, monitors: [Monitor(name: "VGA-1", x: 0, y: 0, width: 1920, height: 1080, primary: true)]))
    }

    @Test("Events written in batches come back in order, numbered from 0 without gaps, with their fields intact")
    func roundTrip() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let vault = try Vault(at: directory, create: true)
        let writer = try await VaultWriter(vault: vault, session: Self.session())
        let bodies: [EventBody] = (0..<1000).map { i in
            i % 3 == 0 ? .pointerMove(x: i, y: i * 2) : .keyDown(key: "a", keycode: 38, mods: [.shift], text: "A")
        }
        for (i, body) in bodies.enumerated() {
            await writer.append(tNs: UInt64(i) * 1_000_000, body: body)
            if i % 300 == 0 { try await writer.flush() }
        }
        try await writer.close(endedAt: Date(timeIntervalSince1970: 1_795_000_010))

        var read: [Event] = []
        try vault.forEachEvent { _, event in read.append(event) }
        #expect(read.map(\.seq) == Array(0..<1000))
        #expect(read.map(\.body) == bodies)
        #expect(read[10].wall == Date(timeIntervalSince1970: 1_795_000_000.010))
        let sessions = try vault.sessions()
        #expect(sessions.count == 1 && sessions[0].endedAt != nil && sessions[0].screen.monitors.first?.name == "VGA-1")
        #expect(try vault.summary().eventsByKind == ["pointer.move": 334, "key.down": 666])
    }

    @Test("The database runs in WAL mode so readers never wait for the recorder")
    func walMode() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let vault = try Vault(at: directory, create: true)
        let mode = try vault.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test("Opening a directory that holds no vault says so instead of creating one")
    func missingVault() throws {
        let directory = Self.temporaryDirectory()
        #expect(throws: VaultError.notAVault(directory.path)) { try Vault(at: directory, create: false) }
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }

    @Test("A vault written by a newer schema version is refused, not misread")
    func newerSchema() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try Vault(at: directory, create: true)
        let queue = try DatabaseQueue(path: directory.appendingPathComponent("vault.sqlite").path)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')") }
        try queue.close()
        #expect(throws: VaultError.newerSchema(directory.appendingPathComponent("vault.sqlite").path)) {
            try Vault(at: directory, create: false)
        }
    }

    @Test("Only one recorder can hold a vault, and the lock is free again once released")
    func recorderLock() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let vault = try Vault(at: directory, create: true)
        let first = try RecorderLock(vault: vault)
        try first.publish(.init(pid: getpid(), session: "s1", display: ":3", startedAt: Date()))
        #expect(throws: VaultError.self) { try RecorderLock(vault: vault) }
        first.release()
        #expect(RecorderLock.running(in: vault) == nil)
        _ = try RecorderLock(vault: vault)
    }

    @Test("A vault directory and its files are readable by their owner only")
    func permissions() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try Vault(at: directory, create: true)
        let mode = try FileManager.default.attributesOfItem(atPath: directory.path)[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }
}
