import Foundation
import Logging
import Privacy
import ServiceLifecycle
import Sync
import Testing
import Vault

@testable import Collector
@testable import UnderstudyModel

/// The device and the collector decide by the clock they are given, not by the day the
/// suite runs: the same story plays out with that clock in 2019 and in 2031.
@Suite("Decisions follow the injected clock, in any year", .serialized)
struct CalendarTests {
    static let years = [Date(timeIntervalSince1970: 1_560_000_000), Date(timeIntervalSince1970: 1_940_000_000)]  // 2019-06-08, 2031-06-23

    @Test("Vault retention keeps what is younger than its period and deletes what is older, whatever the year", arguments: years)
    func retention(start: Date) async throws {
        let world = try World(start: start)
        defer { world.remove() }
        let vault = try world.vault()
        var settings = try vault.settings()
        settings.retentionSeconds = 30 * 86400
        try vault.save(settings)
        try await world.record(vault, startedAt: start.addingTimeInterval(-10 * 86400))
        try await world.record(vault, startedAt: start.addingTimeInterval(-3600))
        #expect(try vault.prune().isEmpty, "both are within thirty days")
        settings.retentionSeconds = 7 * 86400
        try vault.save(settings)
        #expect(try vault.prune().count == 1, "the session of ten days ago is past seven days")
        #expect(try vault.sessions().count == 1)
        world.clock.advance(by: 6 * 86400)
        #expect(try vault.prune().isEmpty, "six days on, the other is still within it")
        world.clock.advance(by: 2 * 86400)
        #expect(try vault.prune().count == 1)
        #expect(try vault.sessions().isEmpty)
    }

    @Test(
        "A collector and a device on the same clock: staff sessions and enrolment codes expire, signed requests pass the skew check, the review window holds a segment back, and the sweeper erases it after retention",
        arguments: years)
    func collectorAndDevice(start: Date) async throws {
        let world = try World(start: start)
        defer { world.remove() }
        let server = try world.collector()
        let adminKey = try #require(try await server.bootstrapAdmin()).key
        try await world.serving(server) { client in
            // Staff sessions last the configured 8 hours by this clock.
            var admin = try await client.login(user: "admin", key: adminKey)
            let officerKey = try await world.officer(client, admin: admin)
            let stale = try await world.code(client, admin: admin)
            world.clock.advance(by: 8 * 3600 + 1)
            #expect(await refusal { try await client.send("GET", "/v1/devices", as: admin) } == "session_expired")

            // Enrolment codes last a day by this clock.
            world.clock.advance(by: 16 * 3600)
            #expect(await refusal { try await client.enrol(code: stale, name: "laptop") } == "code_expired")
            admin = try await client.login(user: "admin", key: adminKey)
            let (credential, _, _) = try await client.enrol(code: try await world.code(client, admin: admin), name: "laptop")
            // The device signs with the clock the server checks against: accepted, whatever the year.
            _ = try await client.send("GET", "/v1/me/segments", as: .device(credential))

            // A policy with a review window of an hour and two days' retention.
            let policy = try await world.publishPolicy(client, as: try await client.login(user: "olivia", key: officerKey))
            let vault = try world.vault()
            let recordedAt = world.clock.now
            try await world.record(vault, startedAt: recordedAt, policyHash: policy)
            var settings = SegmentUploader.Settings()
            settings.reviewWindow = 3600
            let uploader = SegmentUploader(vault: vault, client: client, credential: credential, settings: settings)
            let consents = [(policyHash: policy, acceptedAt: recordedAt)]
            let early = try await uploader.run(consents: consents)
            #expect(early.uploaded.isEmpty && early.waiting == 1, "within its review window the segment stays on the device")
            world.clock.advance(by: 3600 + 60)
            let due = try await uploader.run(consents: consents)
            #expect(due.uploaded.count == 1 && due.waiting == 0, "\(due)")

            let sweeper = RetentionSweeper(state: server.state, interval: .seconds(3600))
            #expect(try await sweeper.sweep() == 0, "within retention: kept")
            #expect(try await server.state.metadata.segments(contributor: credential.contributor).count == 1)
            world.clock.advance(by: 2 * 86400)
            #expect(try await sweeper.sweep() == 1, "past retention: erased")
            #expect(try await server.state.metadata.segments(contributor: credential.contributor).isEmpty)
        }
    }
}

@Suite("One source of now")
struct WallClockTests {
    @Test("UNDERSTUDY_CLOCK_SHIFT moves the system clock by a duration, ahead or back; unset or not a duration, it moves nothing")
    func shift() {
        #expect(WallClock.shift("365d") == 365 * 86400)
        #expect(WallClock.shift("-2000d") == -2000 * 86400)
        #expect(WallClock.shift("90m") == 5400)
        for text in [nil, "", "a year", "365", "-"] { #expect(WallClock.shift(text) == 0, "\(text ?? "nil")") }
    }

    @Test("A manual clock moves only when told to, and every wall clock made from it moves with it")
    func manual() {
        let start = Date(timeIntervalSince1970: 1_560_000_000)
        let manual = ManualClock(start)
        let clock = manual.wallClock
        #expect(clock.now() == start)
        manual.advance(by: 86400)
        #expect(clock.now() == start.addingTimeInterval(86400) && manual.now == clock.now())
        manual.set(start)
        #expect(clock.now() == start)
        #expect(WallClock.fixed(start).now() == start)
    }

    @Test("No shipped code reads the system's wall clock but WallClock: every decision about now goes through the clock it was given")
    func oneSourceOfNow() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources").standardized
        let files =
            FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL }.filter {
                $0.pathExtension == "swift"
            } ?? []
        try #require(files.count > 50, "the sources were found at \(sources.path)")
        let readings = ["Date()", "Date.now", "Date(timeIntervalSinceNow", ".timeIntervalSinceNow"]
        var found: [String] = []
        for file in files where file.lastPathComponent != "WallClock.swift" {
            for (number, line) in try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") && readings.contains(where: line.contains) {
                found.append("\(file.path.dropFirst(sources.path.count + 1)):\(number + 1)")
            }
        }
        #expect(found.isEmpty, "read the time from a WallClock instead: \(found)")
    }
}

/// The error code of the collector's refusal, or nil when `body` succeeds or fails otherwise.
private func refusal(_ body: () async throws -> some Any) async -> String? {
    do {
        _ = try await body()
        return nil
    } catch let CollectorClient.Failure.refused(_, code, _) {
        return code
    } catch {
        return nil
    }
}

/// A temporary folder, one manual clock shared by everything in it, and helpers to make a
/// vault, a collector and its staff under that clock.
private struct World {
    let base: URL
    let clock: ManualClock

    init(start: Date) throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-clock-\(UUID().uuidString)")
        clock = ManualClock(start)
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: base) }

    func vault() throws -> Vault {
        try Vault(
            at: base.appendingPathComponent("vault"), create: true, keyStore: KeyFileStore(directory: base.appendingPathComponent("keys")),
            clock: clock.wallClock)
    }

    /// Two seconds of key presses in one sealed segment.
    func record(_ vault: Vault, startedAt: Date, policyHash: String? = nil) async throws {
        let session = Session(
            startedAt: startedAt, backend: "test", display: ":9", screen: ScreenGeometry(width: 640, height: 480, monitors: []),
            policyHash: policyHash, consentedAt: policyHash.map { _ in startedAt })
        let writer = try await VaultWriter(vault: vault, session: session)
        await writer.append((0..<20).map { CapturedEvent(tNs: UInt64($0) * 100_000_000, body: .keyDown(key: "a", keycode: 38, mods: [], text: "a")) })
        try await writer.close(endedAt: startedAt.addingTimeInterval(2))
    }

    /// Runs `server` on a free loopback port while `body` talks to it through a client on
    /// the world's clock; stops it afterwards, whatever happens.
    func serving(_ server: CollectorServer, _ body: (CollectorClient) async throws -> Void) async throws {
        let (addresses, ready) = AsyncStream<String>.makeStream()
        let group = ServiceGroup(configuration: .init(services: try server.services(onReady: { ready.yield($0) }), logger: server.state.logger))
        let running = Task {
            defer { ready.finish() }
            try await group.run()
        }
        do {
            guard let address = await addresses.first(where: { _ in true }), let url = URL(string: address) else {
                _ = try await running.value
                throw CancellationError()
            }
            try await CollectorClient.with(url, clock: clock.wallClock, body)
        } catch {
            await group.triggerGracefulShutdown()
            _ = await running.result
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running.value
    }

    func collector() throws -> CollectorServer {
        var config = CollectorConfig()
        config.port = 0
        config.data = base.appendingPathComponent("server", isDirectory: true)
        config.kekFile = base.appendingPathComponent("server.kek")
        config.policyKeys = [base.appendingPathComponent("org.pub").path]
        _ = try PolicySigning.generateKey(named: base.appendingPathComponent("org"))
        return try CollectorServer.embedded(config, environment: [:], logger: Logger(label: "test"), clock: clock.wallClock)
    }

    /// Creates the privacy officer; returns their key.
    func officer(_ client: CollectorClient, admin: CollectorClient.Identity) async throws -> String {
        try await client.createUser(name: "olivia", role: "privacy_officer", as: admin).key
    }

    func code(_ client: CollectorClient, admin: CollectorClient.Identity) async throws -> String {
        try await client.createEnrolmentCode(contributor: "alice", as: admin).code
    }

    /// Signs and publishes a policy with a one-hour review window and two days' retention; returns its hash.
    func publishPolicy(_ client: CollectorClient, as officer: CollectorClient.Identity) async throws -> String {
        let text = DefaultPolicy.text.replacingOccurrences(of: "review-window: 24h", with: "review-window: 1h")
            .replacingOccurrences(of: "retention: 7d", with: "retention: 2d")
        let file = base.appendingPathComponent("policy.yaml")
        try Data(text.utf8).write(to: file)
        let signature = try PolicySigning.sign(file, key: base.appendingPathComponent("org.key"))
        _ = try await client.publishPolicy(document: text, signature: try String(contentsOf: signature, encoding: .utf8), as: officer)
        return try PolicyDocument(text: text, source: "test").hash
    }
}
