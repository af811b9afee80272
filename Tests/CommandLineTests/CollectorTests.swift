import Foundation
import Testing
import UnderstudyModel
import XTestSupport

/// A collector started as a user would (`understudy serve`), on a free loopback port, with its
/// own data directory and key-encryption key file.
final class RunningCollector: @unchecked Sendable {
    let data: URL
    let kek: URL
    let process: Process
    let url: String
    private let output: Pipe

    init(config: String = "") throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-collector-\(UUID().uuidString)")
        data = base.appendingPathComponent("data")
        kek = base.appendingPathComponent("server.kek")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let configFile = base.appendingPathComponent("collector.yaml")
        try Data(config.utf8).write(to: configFile)
        process = Process()
        process.executableURL = Understudy.binary
        process.arguments = ["serve", "--port", "0", "--data", data.path] + (config.isEmpty ? [] : ["--config", configFile.path])
        var environment = ProcessInfo.processInfo.environment
        environment["UNDERSTUDY_KEK_FILE"] = kek.path
        environment["XDG_CONFIG_HOME"] = base.appendingPathComponent("config").path
        process.environment = environment
        output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // The port is chosen by the system: read it from the "listening" line.
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !text.contains("Collector listening on ") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { if !process.isRunning { break }; continue }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Collector listening on ") }),
              let address = line.dropFirst("Collector listening on ".count).split(separator: ",").first
        else { throw CommandFailureForTests("the collector did not start: \(text)") }
        url = String(address)
    }

    var adminKey: String { data.appendingPathComponent("admin.key").path }

    /// SIGTERM, as an init system stops it; returns its exit status.
    func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Every file under the data directory, bytes and all.
    func storedBytes() throws -> [(String, Data)] {
        let files = FileManager.default.enumerator(at: data, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        return try files.filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }.map { ($0.path, try Data(contentsOf: $0)) }
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: data.deletingLastPathComponent())
    }
}

@Suite("The collector, over real HTTP", .serialized)
struct CollectorCommandTests {
    @Test("Enrol, record under Xvfb, sync, and download exactly what was recorded; a repeat upload is held once; content is unreadable on the server's disk; a revoked device is refused")
    func enrolRecordSyncDownload() async throws {
        let me = Contributor()
        let policy = try me.signedPolicy(policyText(rules: "  - app: NoSuchApp\n    action: exclude", extra: "review-window: 0s"))
        let orgKey = URL(fileURLWithPath: policy).deletingLastPathComponent().appendingPathComponent("org.pub").path
        let collector = try RunningCollector(config: "policy_keys: [\(orgKey)]\n")

        // The organisation: a privacy officer publishes the policy; the admin makes an enrolment code.
        let admin = ["--server", collector.url, "--key-file", collector.adminKey]
        let officerKey = try me.run(["admin", "add-user", "olivia", "--role", "privacy_officer"] + admin)
        #expect(officerKey.status == 0, "\(officerKey.stderr)")
        let officerFile = me.config.appendingPathComponent("olivia.key")
        try Data(officerKey.stdout.utf8).write(to: officerFile)
        let published = try me.run(["admin", "publish-policy", policy, "--server", collector.url, "--user", "olivia", "--key-file", officerFile.path])
        #expect(published.status == 0, "\(published.stderr)")
        let code = try me.run(["admin", "enroll-code", "--contributor", "alice", "--json"] + admin)
        let codeValue = try JSONValue.parse(Data(code.stdout.utf8))["code"]?.stringValue ?? ""
        #expect(!codeValue.isEmpty, "\(code.stderr)")

        // The contributor enrols, records a session, and syncs.
        let enrolled = try me.run("enroll", "--server", collector.url, "--code", codeValue)
        #expect(enrolled.status == 0 && enrolled.stdout.contains("contributor alice"), "\(enrolled.stderr)")
        let reused = try me.run("enroll", "--server", collector.url, "--code", codeValue)
        #expect(reused.status != 0 && reused.stderr.contains("code_used"), "\(reused.stderr)")

        let x = try XSession()
        defer { x.killServer() }
        try x.startApps()
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let recorder = try me.start(["record", "--display", x.display, "--vault", vault, "--policy", policy])
        try await me.waitUntilRecording(vault, recorder)
        try x.xdotool("windowactivate --sync \(try x.window(class: "UnderstudyTerm"))\ntype --delay 30 \"zebra quokka marmalade\"\nkey Return\nsleep 1.5")
        kill(recorder.0.processIdentifier, SIGINT)
        #expect(Understudy.finish(recorder).status == 0)
        let recorded = try me.run("log", "--vault", vault, "--json").stdout
        #expect(recorded.contains("\"text\":\"z\""))
        let copy = vault + "-copy"
        try FileManager.default.copyItem(atPath: vault, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }

        let synced = try me.run("sync", "--vault", vault)
        #expect(synced.status == 0, "\(synced.stdout)\(synced.stderr)")
        #expect(synced.stdout.contains("Uploaded "), "\(synced.stdout)")
        #expect(try me.run("vault", "segments", "--vault", vault, "--json").stdout.isEmpty, "the local copies are deleted once acknowledged")
        // The same segments again (a copy of the vault from before): acknowledged, not stored twice.
        let repeatSync = try me.run("sync", "--vault", copy)
        #expect(repeatSync.status == 0 && repeatSync.stdout.contains("already held"), "\(repeatSync.stdout) / \(repeatSync.stderr)")

        // The contributor downloads what the server holds: exactly the events recorded.
        let downloads = me.config.appendingPathComponent("downloads")
        let downloaded = try me.run("held", "download", "--out", downloads.path)
        #expect(downloaded.status == 0, "\(downloaded.stderr)")
        let bundles = try FileManager.default.contentsOfDirectory(atPath: downloads.path).sorted()
        var events: [String] = []
        for bundle in bundles {
            let members = TarFormat.members(of: try Data(contentsOf: downloads.appendingPathComponent(bundle))) ?? []
            let lines = members.first { $0.name == "events.jsonl" }.map { String(decoding: $0.data, as: UTF8.self) } ?? ""
            events += lines.split(separator: "\n").map(String.init)
        }
        let recordedEvents = recorded.split(separator: "\n").map(String.init)
        let sortKey: (String) -> Int64 = { (try? JSONValue.parse(Data($0.utf8)))?["seq"]?.intValue ?? -1 }
        #expect(events.sorted { sortKey($0) < sortKey($1) } == recordedEvents, "\(events.count) events downloaded, \(recordedEvents.count) recorded")

        // On the server's disk, what was typed is nowhere in clear.
        for (path, bytes) in try collector.storedBytes() {
            #expect(bytes.range(of: Data("quokka".utf8)) == nil && bytes.range(of: Data("\"text\":\"q\"".utf8)) == nil, "plaintext in \(path)")
        }

        // The audit log holds together, and the contributor sees the records about their data.
        let verified = try me.run(["admin", "audit", "verify"] + admin)
        #expect(verified.status == 0 && verified.stdout.hasPrefix("OK:"), "\(verified.stdout)\(verified.stderr)")
        let mine = try me.run("held", "audit").stdout
        #expect(mine.contains("\"segment_stored\"") && mine.contains("\"segment_read\"") && mine.contains("\"device_enrolled\""))
        #expect(!mine.contains("\"login\""), "records about staff are not the contributor's")

        // A revoked device is refused.
        let device = try JSONValue.parse(Data(contentsOf: me.config.appendingPathComponent("understudy/device/device.json")))["device"]?.stringValue ?? ""
        #expect(try me.run(["admin", "revoke", device] + admin).status == 0)
        let refused = try me.run("held", "list")
        #expect(refused.status != 0 && refused.stderr.contains("device_revoked"), "\(refused.stderr)")

        #expect(collector.stop() == 0, "SIGTERM stops the collector cleanly")
    }
}
