import Foundation
import TestSupport
import Testing
import UnderstudyModel

@testable import Vault

/// Feeds a writer 64 KB frames with a few events each until it stops storing (or `limit` rounds pass).
/// Returns every event appended and how many rounds it took.
func feedUntilStopped(_ writer: VaultWriter, startNs: UInt64 = 0, limit: Int = 400) async throws -> (events: [CapturedEvent], rounds: Int) {
    var appended: [CapturedEvent] = []
    for round in 0..<limit {
        let t = startNs + UInt64(round) * 50_000_000
        let tile = TileHash(high: t, low: 7)
        let events = (0..<5).map { CapturedEvent(tNs: t + UInt64($0) * 1_000_000, body: .pointerMove(x: round, y: $0)) }
        await writer.append(events)
        appended += events
        await writer.append(
            patch: TilePatch(
                hash: "\(t)", codec: .png, tileSize: 8, tiles: [tile], data: Data((0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ round) })))
        await writer.append(frame: FrameManifest(hash: "f\(t)", width: 8, height: 8, tileSize: 8, grabbedNs: t, reason: .periodic, tiles: [tile]))
        try await writer.flush()
        if await writer.storageState != .storing { return (appended, round + 1) }
    }
    return (appended, limit)
}

/// Every appended event is either stored or inside a `gap` event with reason `quota`; seq has no holes.
func expectNothingSilentlyDropped(_ vault: Vault, appended: [CapturedEvent]) throws -> [Event] {
    let (events, warnings) = try readAll(vault)
    #expect(warnings.isEmpty)
    #expect(events.map(\.seq) == Array(0..<Int64(events.count)))
    let gaps = events.compactMap { event -> (UInt64, UInt64)? in
        if case .gap(.quota, let from, let to) = event.body { return (from, to) }
        return nil
    }
    let stored = Set(events.map(\.tNs))
    let lost = appended.filter { !stored.contains($0.tNs) }
    #expect(lost.allSatisfy { event in gaps.contains { $0.0 <= event.tNs && event.tNs <= $0.1 } }, "\(lost.count) events lost outside any gap")
    return events
}

@Suite("Vault quota and disk space", .serialized)
struct VaultQuotaTests {
    @Test("At the quota the writer stops storing, says why, and resumes by itself when the quota is raised, leaving a quota gap event")
    func quota() async throws {
        let test = TestVault()
        let vault = try test.open()
        var settings = try vault.settings()
        settings.quotaBytes = StorageBudget(settings: settings, vault: vault).usedBytes + 600_000
        settings.minFreeBytes = 0
        try vault.save(settings)
        let writer = try await VaultWriter(vault: vault, session: TestVault.session())
        var (appended, rounds) = try await feedUntilStopped(writer)
        #expect(rounds < 20)
        guard case .stopped(.quota(settings.quotaBytes), _) = await writer.storageState else {
            Issue.record("expected a quota stop, got \(await writer.storageState)")
            return
        }
        // Still full: more capture is dropped, and accounted for.
        let during = sampleEvents(20, from: 10_000, stepNs: 1_000_000)
        await writer.append(during)
        appended += during
        try await writer.flush()
        #expect(await writer.storageState != .storing)

        settings.quotaBytes = 2_000_000_000
        try vault.save(settings)
        try await Task.sleep(for: .milliseconds(1100))
        try await writer.flush()
        #expect(await writer.storageState == .storing)
        let after = sampleEvents(10, from: 20_000, stepNs: 1_000_000)
        await writer.append(after)
        appended += after
        try await writer.close(endedAt: test.clock.now)

        let events = try expectNothingSilentlyDropped(vault, appended: appended)
        let gap = try #require(events.first { $0.kind == "gap" })
        guard case .gap(.quota, let from, let to) = gap.body else {
            Issue.record("not a quota gap")
            return
        }
        #expect(to >= during.last!.tNs && from <= during.first!.tNs)
        #expect(events.filter { $0.tNs >= after.first!.tNs && $0.kind == "pointer.move" }.count == 5)
        #expect(try vault.check().isHealthy)
    }

    /// The two ways a file system runs out: under the vault's floor, or full with no floor
    /// at all, so that the writes themselves fail with ENOSPC in the middle of a flush.
    enum FullDisk: String, CaseIterable, CustomTestStringConvertible {
        case underTheFloor, fullWithoutAFloor
        var testDescription: String { rawValue }
        var minFree: Int64 { self == .underTheFloor ? 4_000_000 : -1_000_000_000 }
        var leaving: Int64 { self == .underTheFloor ? 6_000_000 : 1_500_000 }

        func matches(_ state: VaultWriter.StorageState) -> Bool {
            switch (self, state) {
            case (.underTheFloor, .stopped(.diskFloor(_, 4_000_000), _)), (.fullWithoutAFloor, .stopped(.diskFull, _)): true
            default: false
            }
        }
    }

    @Test(
        "On a nearly full file system (under the floor, or full with real ENOSPC mid-write) storing stops without corrupting anything, and resumes once space is freed",
        .enabled(if: SmallFileSystem.available, "needs root to mount a small tmpfs"), arguments: FullDisk.allCases)
    func fullDisk(_ disk: FullDisk) async throws {
        let fs = try SmallFileSystem(megabytes: 16)
        let test = TestVault(directory: fs.directory)
        let vault = try test.open()
        var settings = try vault.settings()
        settings.minFreeBytes = disk.minFree
        try vault.save(settings)
        let filler = try fs.fill(leaving: disk.leaving)
        let writer = try await VaultWriter(vault: vault, session: TestVault.session())
        var (appended, _) = try await feedUntilStopped(writer)
        let stopped = await writer.storageState
        #expect(disk.matches(stopped), "stopped with \(stopped)")
        #expect(try test.open(create: false).check().isHealthy, "the vault must be consistent while storing is stopped")
        // Still full a second later (the budget looks again): the same stop, since the same time, no write tried meanwhile.
        try await Task.sleep(for: .milliseconds(1100))
        try await writer.flush()
        #expect(await writer.storageState == stopped)

        try FileManager.default.removeItem(at: filler)
        try await Task.sleep(for: .milliseconds(1100))
        try await writer.flush()
        #expect(await writer.storageState == .storing)
        let after = sampleEvents(10, from: 90_000, stepNs: 1_000_000)
        await writer.append(after)
        appended += after
        try await writer.close(endedAt: test.clock.now)
        let events = try expectNothingSilentlyDropped(vault, appended: appended)
        #expect(events.contains { $0.kind == "gap" })
        #expect(try vault.check().isHealthy)
    }
}
