import Foundation
import TestSupport
import Testing
import UnderstudyModel
import Vault

/// Issue 17: the device's disk fills while `understudy record` runs on a real X server.
@Suite("The device's disk fills while recording", .serialized)
struct DiskFullTests {
    /// The two ways the disk under a recorder runs out: below the vault's free-space floor
    /// (`vault config --min-free`), or full for real with no floor at all, so that the
    /// writes themselves fail with ENOSPC (as when another program fills the disk between
    /// two of the writer's looks at the free space).
    enum Fill: String, CaseIterable, CustomTestStringConvertible {
        case underTheFloor, fullWithoutAFloor
        var testDescription: String { rawValue }
        /// What `status` gives as the reason.
        var reason: String { self == .underTheFloor ? "under the vault's 4 MB floor" : "the disk is full" }
    }

    @Test(
        "When the disk fills while recording, status says it is not storing, why and since when; what is typed then is lost in one gap, the recorder lives on, and once space is freed it stores again by itself into a healthy vault",
        .enabled(if: SmallFileSystem.available, "needs root to mount a small tmpfs"), arguments: Fill.allCases)
    func diskFillsWhileRecording(_ fill: Fill) async throws {
        let disk = try SmallFileSystem(megabytes: 32)
        let vault = disk.directory.appendingPathComponent("vault").path
        let x = try XSession()
        try x.startApps()
        let me = Contributor()
        #expect(try me.run("consent", "accept", "--quiet").status == 0)
        // The vault's limits fit a 32 MB disk (the default floor is 500 MB); segments are
        // sealed every 2 s, so some are sealed while the disk is full.
        do {
            let created = try Vault(
                at: URL(fileURLWithPath: vault), create: true, keyStore: KeyFileStore(directory: me.config.appendingPathComponent("understudy/keys")))
            var settings = try created.settings()
            if fill == .fullWithoutAFloor { settings.minFreeBytes = -1_000_000_000_000 }
            try created.save(settings)
        }
        let minFree = fill == .underTheFloor ? ["--min-free", "4MB"] : []
        #expect(try me.run(["vault", "config", "--vault", vault, "--segment-duration", "2s"] + minFree).status == 0)

        let recorder = try me.start(["record", "--display", x.display, "--vault", vault, "--log-level", "trace"])
        // The recorder must be gone before the file system is unmounted, whatever happens here.
        defer {
            if recorder.0.isRunning { kill(recorder.0.processIdentifier, SIGKILL) }
            recorder.0.waitUntilExit()
        }
        let calc = try x.window(class: "XCalc")
        let term = try x.window(class: "UnderstudyTerm")
        func status() throws -> JSONValue { try JSONValue.parse(Data(try me.run("status", "--vault", vault, "--json").stdout.utf8)) }
        func until(_ what: String, _ done: (JSONValue) -> Bool, poking: Bool = false) async throws -> JSONValue {
            for round in 0..<100 {
                let now = try status()
                if done(now) { return now }
                // Only a write finds the disk full: clicking xcalc's keys changes the screen, so frames are stored.
                if poking { try x.xdotool("mousemove --window \(calc) \(round % 2 == 0 ? 40 : 120) 200\nclick 1") }
                try await Task.sleep(for: .milliseconds(200))
            }
            Issue.record("status never said \(what): \(try status().serialized)")
            return try status()
        }
        _ = try await until("recording") { $0["state"]?.stringValue == "recording" && ($0["counters"]?["frames_stored"]?.intValue ?? 0) >= 1 }
        try x.xdotool("windowactivate --sync \(term)\ntype ab")
        _ = try await until("ab is stored") { ($0["events"]?["key.down"]?.intValue ?? 0) >= 2 }

        let filledAt = WallClock.system.now()
        let filler = fill == .underTheFloor ? try disk.fill(leaving: 2_000_000) : try disk.fillUp()
        let full = try await until("not storing", { $0["storing"] == .bool(false) }, poking: true)
        #expect(full["state"]?.stringValue == "recording")
        let reason = full["not_storing"]?.stringValue ?? ""
        #expect(reason.contains(fill.reason) && reason.contains("resumes by itself once space is freed"), "\(reason)")
        let since = try #require(full["not_storing_since"]?.stringValue.flatMap(RFC3339.date(from:)))
        #expect(since >= filledAt.addingTimeInterval(-1) && since <= WallClock.system.now(), "not storing since \(since), filled at \(filledAt)")
        let text = try me.run("status", "--vault", vault).stdout
        #expect(text.contains("NOT STORING since \(Self.clockTime(since)) (\(RFC3339.string(from: since))): \(reason)"), "\(text)")

        // Typed while full: it reaches the writer (counted) and is dropped; storing stays stopped, since the same time.
        let typingAt = WallClock.system.now()
        try x.xdotool("windowactivate --sync \(term)\ntype zz")
        let typedAt = WallClock.system.now()
        let dropped = try await until("zz reached the writer") { ($0["counters"]?["events_captured"]?["key.down"]?.intValue ?? 0) >= 4 }
        #expect(dropped["storing"] == .bool(false) && dropped["not_storing_since"]?.stringValue == RFC3339.string(from: since))
        #expect(dropped["events"]?["key.down"]?.intValue == 2, "only ab is stored")
        #expect(recorder.0.isRunning)

        try FileManager.default.removeItem(at: filler)
        _ = try await until("storing again", { $0["storing"] == .bool(true) && $0["not_storing"] == nil }, poking: true)
        #expect(!(try me.run("status", "--vault", vault).stdout.contains("NOT STORING")))
        try x.xdotool("windowactivate --sync \(term)\ntype cd")
        _ = try await until("cd is stored") { ($0["events"]?["key.down"]?.intValue ?? 0) >= 4 }
        kill(recorder.0.processIdentifier, SIGTERM)
        let result = Understudy.finish(recorder)
        #expect(result.status == 0, "the recorder failed: \(result.stderr.suffix(4000))")
        #expect(result.stderr.contains("not storing: \(reason)") && result.stderr.contains("storing again"))

        let check = try me.run("vault", "check", "--vault", vault)
        #expect(check.status == 0 && check.stdout.hasPrefix("OK"), "\(check.stdout)")
        let events = try logEvents(me, vault)
        #expect(events.map(\.seq) == Array(0..<Int64(events.count)))
        #expect(typed(events) == "abcd")
        let gaps = events.filter { $0.kind == "gap" }
        #expect(gaps.count == 1, "one gap for the one full period: \(gaps)")
        let gap = try #require(gaps.first)
        guard case .gap(.quota, let fromNs, let toNs) = gap.body else {
            Issue.record("not a quota gap: \(gap)")
            return
        }
        // Wall times of the session's monotonic times: the gap covers the whole time typed while full.
        let startedAt = gap.wall.addingTimeInterval(-Double(gap.tNs) / 1e9)
        let (from, to) = (startedAt.addingTimeInterval(Double(fromNs) / 1e9), startedAt.addingTimeInterval(Double(toNs) / 1e9))
        #expect(from <= typingAt && to >= typedAt.addingTimeInterval(-0.2), "gap \(from)…\(to), typed \(typingAt)…\(typedAt)")
        #expect(!events.contains { $0.tNs > fromNs && $0.tNs < toNs }, "something was stored while storing was stopped")
        let keys = events.filter { $0.kind == "key.down" }
        #expect(keys.prefix(2).allSatisfy { $0.tNs < fromNs } && keys.suffix(2).allSatisfy { $0.tNs > toNs })
    }

    /// `HH:mm:ss` in local time, as `status` writes a time of day.
    static func clockTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }
}
