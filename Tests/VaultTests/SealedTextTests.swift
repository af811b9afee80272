import Foundation
import GRDB
import Testing
import UnderstudyModel

@testable import Vault

@Suite("Event chunks and frame layouts are deflated before they are sealed")
struct SealedTextTests {
    @Test("A minute of pointer moves and keys is stored in under a third of its JSON lines and reads back event for event")
    func deflatedAndReadBack() async throws {
        let test = TestVault()
        let vault = try test.open()
        // A minute at 100 events a second, flushed four times a second as the recorder does.
        let events = sampleEvents(6000, stepNs: 10_000_000)
        try await recordFlushing(vault, events: events, perFlush: 25)
        let stored = try vault.read { db in try Int.fetchOne(db, sql: "SELECT sum(length(payload)) FROM event_chunk") ?? 0 }
        var lines = 0
        var read: [Event] = []
        try vault.forEachEvent { _, event in
            lines += event.json.serialized.utf8.count + 1
            read.append(event)
        }
        #expect(read.map(\.seq) == Array(0..<6000))
        #expect(read.map(\.body) == events.map(\.body))
        #expect(stored * 3 < lines, "\(stored) bytes stored for \(lines) bytes of JSON lines")
        #expect(try vault.check().problems.isEmpty)
    }

    @Test("A 1080p frame layout of mostly blank tiles is stored in under a third of its size and reads back the same")
    func frameLayoutsDeflated() async throws {
        let test = TestVault()
        let vault = try test.open()
        let blank = TileHash(high: 1, low: 1)
        let tiles = (0..<135).map { $0 % 9 == 4 ? TileHash(high: UInt64($0), low: 7) : blank }
        let frame = FrameManifest(hash: "desk", width: 1920, height: 1080, tileSize: 128, grabbedNs: 1_000_000, reason: .action, tiles: tiles)
        let writer = try await VaultWriter(vault: vault, session: TestVault.session())
        await writer.append(sampleEvents(10))
        for tile in Set(tiles) {
            await writer.append(
                patch: TilePatch(hash: "p\(tile.high)", codec: .png, tileSize: 8, tiles: [tile], data: try solidTile(UInt8(tile.high % 200))))
        }
        await writer.append(frame: frame)
        try await writer.close(endedAt: test.clock.now)
        let stored = try vault.read { db in try Int.fetchOne(db, sql: "SELECT sum(length(body)) FROM frame") ?? 0 }
        #expect(stored * 3 < FrameBody.encode(frame).count, "\(stored) bytes stored for a layout of \(FrameBody.encode(frame).count)")
        let session = try #require(try vault.sessions().first)
        #expect(try vault.frame(session: session.id, hash: "desk")?.1 == frame)
        #expect(try vault.check().problems.isEmpty)
    }

    @Test("A chunk sealed as plain JSON lines, as vaults before deflating hold them, still reads")
    func plainChunksStillRead() {
        let lines = Data(#"{"seq":0,"t":0,"kind":"key.down"}"#.utf8 + [0x0A])
        #expect(SealedText.unpacked(lines) == lines)
        #expect(SealedText.unpacked(SealedText.packed(lines)) == lines)
        #expect(SealedText.packed(lines).first == 0x01)
    }

    @Test("Deflated lines that do not inflate to the length they give, or give more than any chunk holds, are refused, not read")
    func damagedChunksRefused() {
        let packed = SealedText.packed(Data(String(repeating: #"{"kind":"pointer.move","x":1,"y":2}"# + "\n", count: 50).utf8))
        var truncated = packed
        truncated.removeLast(5)
        #expect(SealedText.unpacked(truncated) == nil)
        var longer = packed
        longer[1] &+= 1
        #expect(SealedText.unpacked(longer) == nil)
        var huge = packed
        huge.replaceSubrange(1..<5, with: [0xFF, 0xFF, 0xFF, 0x7F])
        #expect(SealedText.unpacked(huge) == nil)
    }
}
