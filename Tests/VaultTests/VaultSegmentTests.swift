import Capture
import Crypto
import Foundation
import GRDB
import TestSupport
import Testing
import UnderstudyModel

@testable import Vault

/// Events every `stepNs`, alternating key presses and pointer moves.
func sampleEvents(_ count: Int, from first: Int = 0, stepNs: UInt64 = 10_000_000) -> [CapturedEvent] {
    (first..<(first + count)).map { i in
        CapturedEvent(tNs: UInt64(i) * stepNs, body: i % 2 == 0 ? .keyDown(key: "a", keycode: 38, mods: [], text: "a") : .pointerMove(x: i, y: i))
    }
}

/// Writes events through one writer, flushing after every `perFlush`, as the recorder's timer does.
func recordFlushing(_ vault: Vault, session: Session = TestVault.session(), events: [CapturedEvent], perFlush: Int) async throws {
    let writer = try await VaultWriter(vault: vault, session: session)
    for start in stride(from: 0, to: events.count, by: perFlush) {
        await writer.append(Array(events[start..<min(events.count, start + perFlush)]))
        try await writer.flush()
    }
    try await writer.close(endedAt: session.startedAt.addingTimeInterval(Double(events.last?.tNs ?? 0) / 1e9))
}

/// A `size`-pixel square tile image of one colour, encoded as PNG.
func solidTile(_ value: UInt8, size: Int = 8) throws -> Data {
    let pixels = [UInt8](repeating: value, count: size * size * 4)
    return try pixels.withUnsafeBytes { try PixelCodec.encode($0.baseAddress!, width: size, height: size, stride: size * 4, codec: .png, level: 1) }
}

@Suite("Vault segments")
struct VaultSegmentTests {
    @Test("Capture is cut into segments by time; each is sealed with a digest of its content, and seq runs on across them")
    func segmentsByTime() async throws {
        let test = TestVault()
        let vault = try test.open()
        var settings = try vault.settings()
        settings.segmentSeconds = 1
        try vault.save(settings)
        try await recordFlushing(vault, events: sampleEvents(500), perFlush: 25)  // 5 s, flushed every 250 ms
        let segments = try vault.segments()
        #expect(segments.count >= 5 && segments.count <= 7, "\(segments.count) segments")
        #expect(segments.allSatisfy { $0.sealed })
        #expect(segments.allSatisfy { $0.to.timeIntervalSince($0.from) < 1.0 })
        #expect(segments.map(\.events).reduce(0, +) == 500)
        var seqs: [Int64] = []
        try vault.forEachEvent { _, event in seqs.append(event.seq) }
        #expect(seqs == Array(0..<500))
        for segment in segments {
            let (stored, recomputed) = try vault.read { db in
                (
                    try Data.fetchOne(db, sql: "SELECT digest FROM segment WHERE id = ?", arguments: [segment.id]),
                    try SegmentDigest.compute(db, segment: segment.id, vault: vault)
                )
            }
            #expect(stored == recomputed)
        }
        #expect(try vault.check().isHealthy)
    }

    @Test("A segment is also sealed once it holds segment-size bytes")
    func segmentsBySize() async throws {
        let test = TestVault()
        let vault = try test.open()
        var settings = try vault.settings()
        settings.segmentBytes = 100_000
        try vault.save(settings)
        let writer = try await VaultWriter(vault: vault, session: TestVault.session())
        for i in 0..<10 {
            let tile = TileHash(high: UInt64(i), low: 1)
            await writer.append(
                patch: TilePatch(hash: "\(i)", codec: .png, tileSize: 8, tiles: [tile], data: Data(repeating: UInt8(i), count: 40_000)))
            await writer.append(
                frame: FrameManifest(
                    hash: "f\(i)", width: 8, height: 8, tileSize: 8, grabbedNs: UInt64(i) * 1_000_000, reason: .periodic, tiles: [tile]))
            try await writer.flush()
        }
        try await writer.close(endedAt: test.clock.now)
        let segments = try vault.segments()
        #expect(segments.count >= 4, "\(segments.map(\.bytes))")
        #expect(segments.allSatisfy { $0.bytes < 100_000 + 40_100 })
        #expect(segments.map(\.frames).reduce(0, +) == 10)
    }

    @Test("A frame whose unchanged tiles were stored in the segment before still rebuilds after that segment is forgotten")
    func segmentsAreSelfContained() async throws {
        let test = TestVault()
        let vault = try test.open()
        var settings = try vault.settings()
        settings.segmentSeconds = 1
        try vault.save(settings)
        let session = TestVault.session()
        let writer = try await VaultWriter(vault: vault, session: session)
        let a = TileHash(high: 1, low: 1)
        let b = TileHash(high: 2, low: 2)
        let c = TileHash(high: 3, low: 3)
        // Frame 1 at 0 s stores tiles a and b; frame 2 at 1.5 s changes b into c only.
        await writer.append(patch: TilePatch(hash: "p1", codec: .png, tileSize: 8, tiles: [a], data: try solidTile(10)))
        await writer.append(patch: TilePatch(hash: "p2", codec: .png, tileSize: 8, tiles: [b], data: try solidTile(20)))
        await writer.append(frame: FrameManifest(hash: "frame-1", width: 16, height: 8, tileSize: 8, grabbedNs: 0, reason: .periodic, tiles: [a, b]))
        try await writer.flush()
        await writer.append(patch: TilePatch(hash: "p3", codec: .png, tileSize: 8, tiles: [c], data: try solidTile(30)))
        await writer.append(
            frame: FrameManifest(hash: "frame-2", width: 16, height: 8, tileSize: 8, grabbedNs: 1_500_000_000, reason: .periodic, tiles: [a, c]))
        try await writer.flush()
        try await writer.close(endedAt: test.clock.now)
        let segments = try vault.segments()
        try #require(segments.count == 2)

        _ = try vault.forget(.segments([segments[0].id]))
        #expect(try vault.frame(session: session.id, hash: "frame-1") == nil)
        let (segment, frame) = try #require(try vault.frame(session: session.id, hash: "frame-2"))
        let pixels = try FrameAssembler.pixels(of: frame) { tile in
            try vault.tilePatch(segment: segment, tile: tile).map { found in
                .init(patchID: found.patch, codec: found.codec, index: found.index) { found.data }
            }
        }
        #expect(pixels.count == 16 * 8 * 4)
        #expect(pixels[0] == 10 && pixels[8 * 4] == 30)
        #expect(try vault.check().isHealthy)
    }

    @Test(
        "A sealed segment's bundle is the same bytes each time it is written, hashed as written, and reads back as its session, events and frames, pixels and all"
    )
    func bundleRoundTrip() async throws {
        let test = TestVault()
        let vault = try test.open()
        let session = TestVault.session()
        let a = TileHash(high: 1, low: 1)
        let b = TileHash(high: 2, low: 2)
        try await record(
            vault, session: session, events: sampleEvents(50),
            patches: [
                (
                    TilePatch(hash: "p1", codec: .png, tileSize: 8, tiles: [a, b], data: try solidTile(10, size: 8)),
                    FrameManifest(hash: "frame-1", width: 16, height: 8, tileSize: 8, grabbedNs: 5, reason: .periodic, tiles: [a, a])
                )
            ])
        let segment = try #require(try vault.segments().first)
        let folder = test.directory.deletingLastPathComponent()
        let first = folder.appendingPathComponent("one.tar")
        let second = folder.appendingPathComponent("two.tar")
        let bundle = try vault.writeBundle(segment: segment.id, to: first)
        #expect(try vault.writeBundle(segment: segment.id, to: second) == bundle)
        let bytes = try Data(contentsOf: first)
        #expect(try Data(contentsOf: second) == bytes && Int64(bytes.count) == bundle.bytes)
        #expect(SHA256.hash(data: bytes).hexDigits == bundle.sha256)
        #expect(!FileManager.default.fileExists(atPath: first.path + ".tmp"), "no temporary file is left")

        let contents = try SegmentBundleContents(tar: bytes)
        #expect(contents.segmentID == segment.id && contents.session.id == session.id && contents.session.screen.width == 1920)
        var stored: [Event] = []
        try vault.forEachEvent(session: session.id, damaged: { _ in }) { _, event in stored.append(event) }
        #expect(contents.events.count == 50 && contents.events == stored)
        let frame = try #require(contents.frames.first)
        #expect(contents.frames.count == 1 && frame.hash == "frame-1")
        let pixels = try FrameAssembler.pixels(of: frame) { tile in
            contents.tilePatch(tile).map { found in .init(patchID: found.patch, codec: found.codec, index: found.index) { found.data } }
        }
        #expect(pixels.count == 16 * 8 * 4 && pixels[0] == 10 && pixels[8 * 4] == 10)
        #expect(throws: SegmentBundleContents.Failure.self) { try SegmentBundleContents(tar: Data("not a tar".utf8)) }
    }

    @Test(
        "A bundle whose ids are not what a device writes, or whose frame layout cannot be a frame's, is refused as damaged instead of read"
    )
    func hostileBundles() throws {
        let session = #"{"id":"%SESSION%","started_at":"2026-11-23T10:00:00.000Z","screen":[1920,1080]}"#
        func bundle(
            segment: String = "7d3c1c0e-59a4-4d4e-a1a4-9b7a3b0c2d11", session sessionID: String = UUID().uuidString.lowercased(), frame: Data? = nil
        )
            throws -> Data
        {
            let header = #"{"id":"\#(segment)","index":0,"session":\#(session.replacingOccurrences(of: "%SESSION%", with: sessionID))}"#
            var members = [TarFormat.Member(name: "segment.json", data: Data(header.utf8)), TarFormat.Member(name: "events.jsonl", data: Data())]
            if let frame { members.append(TarFormat.Member(name: "frames/0001.frame", data: frame)) }
            return try TarFormat.archive(members, mtime: 0)
        }
        let tile = TileHash(high: 1, low: 1)
        func layout(_ width: Int, _ height: Int, _ tileSize: Int) -> Data {
            FrameBody.encode(
                FrameManifest(hash: "f1", width: width, height: height, tileSize: tileSize, grabbedNs: 0, reason: .periodic, tiles: [tile]))
        }
        #expect(try SegmentBundleContents(tar: try bundle(frame: layout(8, 8, 8))).frames.count == 1)
        for hostile in [
            try bundle(segment: "../../etc"), try bundle(segment: "<img src=x onerror=alert(1)>"),
            try bundle(session: "<img src=x onerror=alert(1)>"),
            try bundle(frame: layout(8, 8, 0)), try bundle(frame: layout(0, 8, 8)), try bundle(frame: layout(100_000, 100_000, 8)),
            try bundle(frame: layout(16, 8, 8)),
        ] {
            #expect(throws: SegmentBundleContents.Failure.self) { try SegmentBundleContents(tar: hostile) }
        }
    }

    @Test("A bundle the collector's upload check accepts reads, its event lines ending in CRLF too")
    func acceptedBundlesRead() throws {
        let members = try #require(TarFormat.members(of: TestBundle.make()))
        let crlf = members.map { member in
            member.name == "events.jsonl"
                ? TarFormat.Member(
                    name: member.name, data: Data(String(decoding: member.data, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8))
                : member
        }
        let bundle = try TarFormat.archive(crlf, mtime: 0)
        try SegmentBundleCheck.check(bundle)
        #expect(try SegmentBundleContents(tar: bundle).events.count == 2)
    }

    @Test("A frame that arrives before its tiles waits for them instead of being stored incomplete")
    func frameWaitsForTiles() async throws {
        let test = TestVault()
        let vault = try test.open()
        let session = TestVault.session()
        let writer = try await VaultWriter(vault: vault, session: session)
        let tile = TileHash(high: 9, low: 9)
        await writer.append(frame: FrameManifest(hash: "early", width: 8, height: 8, tileSize: 8, grabbedNs: 0, reason: .action, tiles: [tile]))
        try await writer.flush()
        #expect(try vault.frame(session: session.id, hash: "early") == nil)
        await writer.append(patch: TilePatch(hash: "late", codec: .png, tileSize: 8, tiles: [tile], data: try solidTile(1)))
        try await writer.flush()
        try await writer.close(endedAt: test.clock.now)
        #expect(try vault.frame(session: session.id, hash: "early") != nil)
        #expect(await writer.framesDropped == 0)
    }

    @Test("Recovery seals the segment a killed recorder left open, ends its session, and removes files it never committed")
    func recovery() async throws {
        let test = TestVault()
        let vault = try test.open()
        let session = TestVault.session()
        let writer = try await VaultWriter(vault: vault, session: session)
        await writer.append(sampleEvents(50))
        try await writer.flush()
        // The writer is abandoned here, as a SIGKILL would leave it; plus a patch it wrote but never committed.
        let open = try #require(try vault.segments().first)
        #expect(!open.sealed)
        let stray = vault.segmentDirectory(open.id).appendingPathComponent("7.patch")
        try Data("half".utf8).write(to: stray)
        try FileManager.default.createDirectory(at: vault.segmentDirectory("orphan"), withIntermediateDirectories: true)
        let before = try vault.check()
        #expect(before.isHealthy && before.notes.count == 2, "\(before.notes)")

        let lock = try RecorderLock(vault: vault)
        let recovery = try vault.recover()
        lock.release()
        #expect(recovery.sealed == [open.id] && recovery.strayFiles == 2)
        #expect(!FileManager.default.fileExists(atPath: stray.path))
        #expect(try vault.segments().allSatisfy { $0.sealed })
        #expect(try vault.sessions().first?.endedAt != nil)
        let after = try vault.check()
        #expect(after.isHealthy && after.notes.isEmpty)
        #expect(try readAll(vault).events.count == 50)
    }
}
