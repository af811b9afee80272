import Foundation
import GRDB
import Testing
import UnderstudyModel

@testable import Vault

/// A vault with three one-second segments of 100 events each, and one frame in the middle one.
func damageableVault(_ test: borrowing TestVault) async throws -> (Vault, [SegmentInfo]) {
    let vault = try test.open()
    var settings = try vault.settings()
    settings.segmentSeconds = 1
    try vault.save(settings)
    let writer = try await VaultWriter(vault: vault, session: TestVault.session())
    for (index, batch) in [
        sampleEvents(100, stepNs: 5_000_000), sampleEvents(100, from: 200, stepNs: 5_000_000), sampleEvents(100, from: 400, stepNs: 5_000_000),
    ].enumerated() {
        await writer.append(batch)
        if index == 1 {
            let tile = TileHash(high: 5, low: 5)
            await writer.append(patch: TilePatch(hash: "p", codec: .png, tileSize: 8, tiles: [tile], data: try solidTile(77)))
            await writer.append(
                frame: FrameManifest(hash: "middle", width: 8, height: 8, tileSize: 8, grabbedNs: 1_100_000_000, reason: .action, tiles: [tile]))
        }
        try await writer.flush()
    }
    try await writer.close(endedAt: test.clock.now)
    let segments = try vault.segments()
    try #require(segments.count == 3)
    return (vault, segments)
}

func readAll(_ vault: Vault) throws -> (events: [Event], warnings: [String]) {
    var events: [Event] = []
    var warnings: [String] = []
    try vault.forEachEvent(damaged: { warnings.append($0) }) { _, event in events.append(event) }
    return (events, warnings)
}

@Suite("Vault damage is reported, not spread")
struct VaultDamageTests {
    @Test("A flipped byte in sealed events: check names the segment and the seq range, the reader skips that chunk and keeps the rest")
    func flippedEventByte() async throws {
        let test = TestVault()
        let (vault, segments) = try await damageableVault(test)
        try vault.write { db in
            var payload = try Data.fetchOne(db, sql: "SELECT payload FROM event_chunk WHERE first_seq = 100")!
            payload[20] ^= 0x01
            try db.execute(sql: "UPDATE event_chunk SET payload = ? WHERE first_seq = 100", arguments: [payload])
        }
        let report = try vault.check()
        #expect(report.problems.contains { $0.contains(segments[1].id) && $0.contains("events do not decrypt (seq 100-199)") })
        #expect(report.problems.contains { $0.contains(segments[1].id) && $0.contains("no longer matches the digest") })
        #expect(!report.problems.contains { $0.contains(segments[0].id) || $0.contains(segments[2].id) })
        let (events, warnings) = try readAll(vault)
        #expect(events.map(\.seq) == Array(0..<100) + Array(200..<300))
        #expect(warnings.count == 1 && warnings[0].contains("events 100-199"))
    }

    @Test("A truncated patch file is named by check; reading that frame fails with the file's name; all events stay readable")
    func truncatedPatch() async throws {
        let test = TestVault()
        let (vault, segments) = try await damageableVault(test)
        let file = vault.patchURL(segment: segments[1].id, name: 0)
        let bytes = try Data(contentsOf: file)
        try bytes.prefix(bytes.count / 2).write(to: file)
        let report = try vault.check()
        #expect(report.problems.contains { $0.contains("\(file.path) is truncated (\(bytes.count / 2) of \(bytes.count) bytes)") })
        let (segment, frame) = try #require(try vault.frame(session: segments[1].session, hash: "middle"))
        #expect(throws: VaultError.damaged("tile patch \(file.path) is missing, truncated or altered")) {
            try vault.tilePatch(segment: segment, tile: frame.tiles[0])
        }
        #expect(try readAll(vault).events.count == 300)
    }

    @Test("A flipped byte in a patch file is named by check as altered")
    func flippedPatchByte() async throws {
        let test = TestVault()
        let (vault, segments) = try await damageableVault(test)
        let file = vault.patchURL(segment: segments[1].id, name: 0)
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0x80
        try bytes.write(to: file)
        let report = try vault.check()
        #expect(report.problems.contains { $0.contains("\(file.path) does not decrypt") })
    }

    @Test("A destroyed segment key loses that segment only: check names it, the reader warns once and returns the other segments")
    func destroyedSegmentKey() async throws {
        let test = TestVault()
        let (vault, segments) = try await damageableVault(test)
        try vault.write { db in
            try db.execute(sql: "UPDATE segment SET wrapped_key = randomblob(60) WHERE id = ?", arguments: [segments[0].id])
        }
        let report = try vault.check()
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.contains("\(segments[0].id)") == true && report.problems.first?.contains("key does not unwrap") == true)
        let (events, warnings) = try readAll(vault)
        #expect(events.map(\.seq) == Array(100..<300))
        #expect(warnings.count == 1 && warnings[0].contains(segments[0].id))
    }

    @Test("Rows removed from a sealed segment are caught by its digest and its event count")
    func removedRows() async throws {
        let test = TestVault()
        let (vault, segments) = try await damageableVault(test)
        try vault.write { db in try db.execute(sql: "DELETE FROM event_chunk WHERE first_seq = 100") }
        let report = try vault.check()
        #expect(report.problems.contains { $0.contains(segments[1].id) && $0.contains("holds 0 events but recorded 100") })
        #expect(report.problems.contains { $0.contains(segments[1].id) && $0.contains("no longer matches the digest") })
    }

    @Test("A healthy vault passes check with no problems")
    func healthy() async throws {
        let test = TestVault()
        let (vault, _) = try await damageableVault(test)
        let report = try vault.check()
        #expect(report.problems == [] && report.notes == [])
        #expect(report.segments == 3 && report.events == 300 && report.frames == 1 && report.patches == 1)
    }
}

@Suite("Forgetting and retention")
struct VaultForgetTests {
    @Test("Forgetting a segment removes its events, files and key, and leaves neither the key nor its ciphertext in the database files")
    func forgetSegment() async throws {
        let test = TestVault()
        let (vault, segments) = try await damageableVault(test)
        let (wrappedKey, payload) = try vault.read { db in
            (
                try Data.fetchOne(db, sql: "SELECT wrapped_key FROM segment WHERE id = ?", arguments: [segments[1].id])!,
                try Data.fetchOne(db, sql: "SELECT payload FROM event_chunk WHERE first_seq = 100")!
            )
        }
        #expect(try !test.filesContaining(wrappedKey).isEmpty, "the search must see the key before it is forgotten")
        let outcome = try vault.forget(.segments([segments[1].id]))
        #expect(outcome.forgotten.map(\.id) == [segments[1].id])
        #expect(try readAll(vault).events.map(\.seq) == Array(0..<100) + Array(200..<300))
        #expect(!FileManager.default.fileExists(atPath: vault.segmentDirectory(segments[1].id).path))
        #expect(try test.filesContaining(wrappedKey) == [])
        #expect(try test.filesContaining(payload.suffix(24)) == [])
        #expect(try vault.check().isHealthy)
    }

    @Test("Forgetting a time range takes every segment with anything in it; --all empties the vault")
    func forgetRangeAndAll() async throws {
        let test = TestVault()
        let (vault, segments) = try await damageableVault(test)
        let inside = segments[2].from.addingTimeInterval(0.1)
        let outcome = try vault.forget(.range(from: inside, to: inside.addingTimeInterval(60)))
        #expect(outcome.forgotten.map(\.id) == [segments[2].id])
        #expect(throws: VaultError.self) { try vault.forget(.range(from: inside, to: inside.addingTimeInterval(-1))) }
        #expect(throws: VaultError.self) { try vault.forget(.segments(["no-such-segment"])) }
        _ = try vault.forget(.all)
        #expect(try vault.segments().isEmpty && vault.sessions().isEmpty)
        #expect(try readAll(vault).events.isEmpty)
    }

    @Test("The segment a running recorder is writing is dropped by the recorder itself, which goes on recording into a new one")
    func forgetWhileRecording() async throws {
        let test = TestVault()
        let vault = try test.open()
        try await record(vault, events: sampleEvents(10))
        let session = TestVault.session(startedAt: test.clock.now.addingTimeInterval(-10))
        let writer = try await VaultWriter(vault: vault, session: session)
        let lock = try RecorderLock(vault: vault)
        try lock.publish(.init(pid: getpid(), session: session.id, display: ":9", startedAt: session.startedAt))
        await writer.append(sampleEvents(10, stepNs: 100_000_000))
        try await writer.flush()
        let open = try #require(try vault.segments(session: session.id).first)
        // Still in the writer's buffer when the owner asks: it goes too.
        await writer.append(sampleEvents(5, from: 10, stepNs: 100_000_000))

        let forgetting = Task.detached { try vault.forget(.all) }
        while try vault.segments(session: session.id).contains(where: { $0.id == open.id }) {
            try await writer.flush()
            try await Task.sleep(for: .milliseconds(20))
        }
        let outcome = try await forgetting.value
        #expect(outcome.beingRecorded.isEmpty)
        #expect(Set(outcome.forgotten.map(\.id)).contains(open.id) && outcome.forgotten.count == 2)
        #expect(await writer.forgotten == 1)

        // Captured before the request but arriving after it (held upstream): forgotten too.
        await writer.append(sampleEvents(3, from: 50, stepNs: 100_000_000))
        await writer.append(sampleEvents(5, from: 120, stepNs: 100_000_000))
        try await writer.close(endedAt: test.clock.now)
        lock.release()
        let (events, _) = try readAll(vault)
        #expect(events.count == 5 && events.allSatisfy { $0.tNs >= 12_000_000_000 })
        #expect(try vault.check().isHealthy)
    }

    @Test("A forget request the recorder does not answer in time is reported, and withdrawn")
    func forgetWhileRecordingTimesOut() async throws {
        let test = TestVault()
        let vault = try test.open()
        let session = TestVault.session(startedAt: test.clock.now)
        let writer = try await VaultWriter(vault: vault, session: session)
        let lock = try RecorderLock(vault: vault)
        try lock.publish(.init(pid: getpid(), session: session.id, display: ":9", startedAt: session.startedAt))
        await writer.append(sampleEvents(10))
        try await writer.flush()
        let outcome = try vault.forget(.all, waitForRecorder: .milliseconds(200))
        #expect(outcome.forgotten.isEmpty && outcome.beingRecorded.count == 1)
        try await writer.flush()
        #expect(try vault.segments().count == 1, "a withdrawn request must not fire later")
        try await writer.close(endedAt: test.clock.now)
        lock.release()
    }

    @Test("A writer keeps its own session while retention, applied at each seal, deletes every sealed segment of it, with no recorder lock held")
    func writerKeepsItsSession() async throws {
        let test = TestVault()
        let vault = try test.open()
        var settings = try vault.settings()
        settings.retentionSeconds = 86400
        settings.segmentSeconds = 1
        try vault.save(settings)
        let session = TestVault.session(startedAt: test.clock.now)
        let writer = try await VaultWriter(vault: vault, session: session)
        for round in 0..<4 {
            // Each round starts a segment (sealing the one before, which applies retention).
            await writer.append(sampleEvents(50, from: round * 200))
            try await writer.flush()
            #expect(try vault.segments(session: session.id).count == 1, "round \(round): only the open segment is left")
            // Two days pass: every sealed segment is past retention by the next round.
            test.clock.advance(by: 2 * 86400)
            #expect(try vault.sessions().map(\.id) == [session.id])
        }
        try await writer.close(endedAt: test.clock.now)
        #expect(await writer.written == 200)
        #expect(await writer.sealed == 4)
        #expect(try vault.check().isHealthy)
    }

    @Test("Without a recorder lock, forgetting everything leaves the segment a writer in this process has open to that writer, and its session stays")
    func forgetSparesOpenWriterWithoutLock() async throws {
        let test = TestVault()
        let vault = try test.open()
        let session = TestVault.session(startedAt: test.clock.now)
        let writer = try await VaultWriter(vault: vault, session: session)
        await writer.append(sampleEvents(10))
        try await writer.flush()
        let outcome = try test.open(create: false).forget(.all, waitForRecorder: .milliseconds(200))
        #expect(outcome.forgotten.isEmpty && outcome.beingRecorded.count == 1)
        await writer.append(sampleEvents(10, from: 10))
        try await writer.flush()
        try await writer.close(endedAt: test.clock.now)
        #expect(try readAll(vault).events.count == 20)
    }

    @Test("Retention deletes sealed segments older than its period, also when a new recording seals its first segment")
    func retention() async throws {
        let test = TestVault()
        let vault = try test.open()
        var settings = try vault.settings()
        settings.retentionSeconds = 30 * 86400
        settings.segmentSeconds = 1
        try vault.save(settings)
        try await record(vault, session: TestVault.session(startedAt: test.clock.now.addingTimeInterval(-3 * 86400)), events: sampleEvents(10))
        try await record(vault, session: TestVault.session(startedAt: test.clock.now.addingTimeInterval(-2 * 86400)), events: sampleEvents(10))
        try await record(vault, session: TestVault.session(startedAt: test.clock.now.addingTimeInterval(-3600)), events: sampleEvents(10))
        settings.retentionSeconds = Int64(2.5 * 86400)
        try vault.save(settings)
        #expect(try vault.prune().count == 1)
        #expect(try vault.segments().count == 2 && vault.sessions().count == 2)

        settings.retentionSeconds = 86400
        try vault.save(settings)
        // Sealing a segment applies retention without anyone running `vault prune`.
        try await recordFlushing(vault, session: TestVault.session(startedAt: test.clock.now), events: sampleEvents(300), perFlush: 30)
        #expect(try vault.sessions().count == 2)
    }
}
