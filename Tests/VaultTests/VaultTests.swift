import Capture
import Foundation
import GRDB
import Testing
import UnderstudyModel

@testable import Vault

@Suite("Vault")
struct VaultTests {
    static func session() -> Session { TestVault.session() }

    @Test("Events written in batches come back in order, numbered from 0 without gaps, with their fields intact")
    func roundTrip() async throws {
        let test = TestVault()
        let vault = try test.open()
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
        let test = TestVault()
        let vault = try test.open()
        let mode = try vault.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test("Opening a directory that holds no vault says so instead of creating one")
    func missingVault() throws {
        let test = TestVault()
        #expect(throws: VaultError.notAVault(test.directory.path)) { try test.open(create: false) }
        #expect(!FileManager.default.fileExists(atPath: test.directory.path))
    }

    @Test("A vault written by a newer schema version is refused, not misread")
    func newerSchema() throws {
        let test = TestVault()
        let directory = test.directory
        _ = try test.open()
        let queue = try DatabaseQueue(path: directory.appendingPathComponent("vault.sqlite").path)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')") }
        try queue.close()
        #expect(throws: VaultError.newerSchema(directory.appendingPathComponent("vault.sqlite").path)) {
            try test.open(create: false)
        }
    }

    @Test("Only one recorder can hold a vault, and the lock is free again once released")
    func recorderLock() throws {
        let test = TestVault()
        let vault = try test.open()
        let first = try RecorderLock(vault: vault)
        try first.publish(.init(pid: getpid(), session: "s1", display: ":3", startedAt: Date()))
        #expect(throws: VaultError.self) { try RecorderLock(vault: vault) }
        first.release()
        #expect(RecorderLock.running(in: vault) == nil)
        _ = try RecorderLock(vault: vault)
    }

    @Test("A vault directory and its files are readable by their owner only")
    func permissions() throws {
        let test = TestVault()
        let directory = test.directory
        _ = try test.open()
        let mode = try FileManager.default.attributesOfItem(atPath: directory.path)[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }
}

@Suite("Vault frames")
struct VaultFrameTests {
    @Test("A frame written to the vault rebuilds exactly from its patch file", arguments: [TileCodec.webp, .png])
    func frameRoundTrip(codec: TileCodec) async throws {
        let test = TestVault()
        let vault = try test.open()
        let session = VaultTests.session()
        let writer = try await VaultWriter(vault: vault, session: session)
        // Two 4x4 tiles side by side: a gradient and a flat colour.
        let tileSize = 4
        var strip: [UInt8] = []
        for i in 0..<16 { strip += [UInt8(i * 15), UInt8(255 - i * 15), 7, 0xFF] }
        for _ in 0..<16 { strip += [200, 100, 50, 0xFF] }
        let data = try strip.withUnsafeBytes {
            try PixelCodec.encode($0.baseAddress!, width: tileSize, height: 2 * tileSize, stride: tileSize * 4, codec: codec, level: 1)
        }
        let tiles = [TileHash(high: 1, low: 2), TileHash(high: 3, low: 4)]
        let patch = TilePatch(hash: "patch-\(codec)", codec: codec, tileSize: tileSize, tiles: tiles, data: data)
        let manifest = FrameManifest(hash: "frame-1", width: 8, height: 3, tileSize: tileSize, grabbedNs: 5, reason: .action, tiles: tiles)
        await writer.append(frame: manifest)
        await writer.append(patch: patch)
        try await writer.close(endedAt: test.clock.now)

        let (segment, stored) = try #require(try vault.frame(session: session.id, hash: "frame-1"))
        #expect(stored == manifest)
        let pixels = try FrameAssembler.pixels(of: stored) { tile in
            try vault.tilePatch(segment: segment, tile: tile).map { found in
                .init(patchID: found.patch, codec: found.codec, index: found.index) { found.data }
            }
        }
        // The frame is 8x3: row y holds tile 0's row y then tile 1's row y.
        var expected: [UInt8] = []
        for y in 0..<3 {
            expected += strip[(y * 16)..<(y * 16 + 16)]
            expected += strip[(64 + y * 16)..<(64 + y * 16 + 16)]
        }
        #expect(pixels == expected)
    }
}

@Suite("Vault size")
struct VaultSizeTests {
    @Test("Bytes on disk count allocated blocks as du does")
    func diskUsage() throws {
        let test = TestVault()
        let directory = test.directory
        _ = try test.open()
        try Data(repeating: 7, count: 100_000).write(to: directory.appendingPathComponent("segments/blob"))
        let du = Process()
        du.executableURL = URL(fileURLWithPath: "/usr/bin/du")
        du.arguments = ["-s", "-B1", directory.path]
        let pipe = Pipe()
        du.standardOutput = pipe
        try du.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        du.waitUntilExit()
        let expected = Int(output.split(separator: "\t").first ?? "")
        #expect(Vault.diskUsage(of: directory) == expected)
    }
}
