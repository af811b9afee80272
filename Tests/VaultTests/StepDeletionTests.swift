import Capture
import Device
import Foundation
import GRDB
import Testing
import UnderstudyModel

@testable import Vault

/// Two tiles stacked (one strip), each `size` square and of one colour, encoded as PNG.
private func strip(_ top: UInt8, _ bottom: UInt8, size: Int = 8) throws -> Data {
    let pixels = [UInt8](repeating: top, count: size * size * 4) + [UInt8](repeating: bottom, count: size * size * 4)
    return try pixels.withUnsafeBytes {
        try PixelCodec.encode($0.baseAddress!, width: size, height: size * 2, stride: size * 4, codec: .png, level: 1)
    }
}

private let ms: UInt64 = 1_000_000

/// Frame `n`'s content hash, as capture writes them (32 hex digits).
private func frame(_ n: Int) -> String { String(repeating: String(n), count: 32) }

@Suite("Deleting steps")
struct StepDeletionTests {
    let a = TileHash(high: 1, low: 1)
    let b = TileHash(high: 2, low: 2)
    let c = TileHash(high: 3, low: 3)
    let d = TileHash(high: 4, low: 4)

    /// One sealed segment: frame-1 (tiles a b) at 100 ms, a key at 200 ms, frame-2 (a c) at 500 ms,
    /// a key at 600 ms, frame-3 (a d) at 900 ms, a key at 1 s. Tiles c and d share a patch.
    private func recordThreeScreens(_ vault: Vault) async throws -> Session {
        let session = TestVault.session()
        let writer = try await VaultWriter(vault: vault, session: session)
        await writer.append(patch: TilePatch(hash: "p1", codec: .png, tileSize: 8, tiles: [a, b], data: try strip(10, 20)))
        await writer.append(patch: TilePatch(hash: "p2", codec: .png, tileSize: 8, tiles: [c, d], data: try strip(30, 40)))
        for (n, tiles, at) in [(1, [a, b], 100 * ms), (2, [a, c], 500 * ms), (3, [a, d], 900 * ms)] {
            await writer.append(frame: FrameManifest(hash: frame(n), width: 16, height: 8, tileSize: 8, grabbedNs: at, reason: .action, tiles: tiles))
            await writer.append(tNs: at, body: .frame(frame: frame(n), w: 16, h: 8, reason: .action))
            await writer.append(tNs: at + 100 * ms, body: .keyDown(key: "x", keycode: 53, mods: [], text: "x"))
        }
        try await writer.close(endedAt: session.startedAt.addingTimeInterval(2))
        return session
    }

    private func events(_ vault: Vault) throws -> [Event] {
        var events: [Event] = []
        try vault.forEachEvent { _, event in events.append(event) }
        return events
    }

    private func pixels(_ vault: Vault, _ session: Session, frame hash: String) throws -> [UInt8]? {
        guard let (segment, manifest) = try vault.frame(session: session.id, hash: hash) else { return nil }
        return try vault.pixels(of: manifest, segment: segment)
    }

    @Test("Deleting steps removes their events, leaves one deleted gap at the first seq, and the segment is sealed again and checks healthy")
    func eventsGoAndAGapStays() async throws {
        let test = TestVault()
        let vault = try test.open()
        let session = try await recordThreeScreens(vault)
        let before = try events(vault)

        let deleted = try vault.forgetSteps(session: session.id, fromNs: 450 * ms, toNs: 700 * ms, recoder: TileStripRecoder())

        #expect(deleted.events == 2 && deleted.frames == 1 && deleted.segments.count == 1)
        let after = try events(vault)
        let gone = before.filter { (450 * ms...700 * ms).contains($0.tNs) }
        #expect(after.count == before.count - gone.count + 1)
        let gap = try #require(after.first { $0.kind == "gap" })
        #expect(gap.seq == gone.first?.seq)
        #expect(gap.body == .gap(reason: .deleted, fromNs: 500 * ms, toNs: 600 * ms))
        // Later events keep their numbers.
        #expect(after.last?.seq == before.last?.seq)
        #expect(!after.contains { $0.body == .frame(frame: frame(2), w: 16, h: 8, reason: .action) })
        let report = try vault.check()
        #expect(report.isHealthy, "\(report.problems)")
        #expect(try vault.segments().first?.events == after.count)
        // Its bundle, hole and all, passes the collector's upload check and reads back.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-steps-\(UUID().uuidString).tar")
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try vault.writeBundle(segment: try #require(try vault.segments().first).id, to: url)
        let bundle = try Data(contentsOf: url)
        try SegmentBundleCheck.check(bundle)
        #expect(try SegmentBundleContents(tar: bundle).events == after)
    }

    @Test("A frame only deleted steps showed goes, and a tile only it used leaves its patch: the patch is encoded anew without those pixels")
    func pixelsGo() async throws {
        let test = TestVault()
        let vault = try test.open()
        let session = try await recordThreeScreens(vault)
        let segment = try #require(try vault.segments().first)

        let deleted = try vault.forgetSteps(session: session.id, fromNs: 450 * ms, toNs: 700 * ms, recoder: TileStripRecoder())

        #expect(deleted.patchesRewritten == 1 && deleted.patchesDeleted == 0)
        #expect(try pixels(vault, session, frame: frame(2)) == nil)
        // Frames 1 and 3 still rebuild, tile d from its re-encoded patch.
        let first = try #require(try pixels(vault, session, frame: frame(1)))
        let third = try #require(try pixels(vault, session, frame: frame(3)))
        #expect(first[0] == 10 && first[8 * 4] == 20 && third[0] == 10 && third[8 * 4] == 40)
        // No stored patch holds the colour of tile c any more.
        let keys = try vault.keys(of: segment.id)
        let patches = try vault.read { db in try Row.fetchAll(db, sql: "SELECT name, codec FROM patch WHERE segment_id = ?", arguments: [segment.id])
        }
        #expect(patches.count == 2)
        for row in patches {
            let name: Int = row["name"]
            let sealed = try Data(contentsOf: vault.patchURL(segment: segment.id, name: name))
            let plain = try keys.open(sealed, context: OpenSegment.patchContext(segment: segment.id, name: name))
            let decoded = try PixelCodec.decode(plain, codec: .png)
            #expect(!decoded.pixels.contains(30))
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: vault.segmentDirectory(segment.id).path)
        #expect(files.count == 2, "the old patch file is gone: \(files)")
    }

    @Test("Deleting twice in one segment joins the two gaps into one when they meet, and a hole follows only a deletion gap")
    func twiceInOneSegment() async throws {
        let test = TestVault()
        let vault = try test.open()
        let session = try await recordThreeScreens(vault)
        _ = try vault.forgetSteps(session: session.id, fromNs: 450 * ms, toNs: 700 * ms, recoder: TileStripRecoder())
        _ = try vault.forgetSteps(session: session.id, fromNs: 500 * ms, toNs: 950 * ms, recoder: TileStripRecoder())

        let after = try events(vault)
        #expect(after.filter { $0.kind == "gap" }.map(\.body) == [.gap(reason: .deleted, fromNs: 500 * ms, toNs: 900 * ms)])
        #expect(try pixels(vault, session, frame: frame(3)) == nil)
        #expect(try pixels(vault, session, frame: frame(1)) != nil)
        #expect(try vault.check().isHealthy)
    }

    @Test("A segment still being recorded is refused whole, and nothing in the vault changes")
    func openSegmentRefused() async throws {
        let test = TestVault()
        let vault = try test.open()
        let session = TestVault.session()
        let writer = try await VaultWriter(vault: vault, session: session)
        await writer.append(sampleEvents(20))
        try await writer.flush()
        let before = try events(vault)

        #expect(throws: VaultError.self) { try vault.forgetSteps(session: session.id, fromNs: 0, toNs: 50 * ms, recoder: TileStripRecoder()) }

        #expect(try events(vault) == before)
        try await writer.close(endedAt: test.clock.now)
    }
}
