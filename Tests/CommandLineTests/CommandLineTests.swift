import Foundation
import TestSupport
import Testing
import UnderstudyModel
import Vault

/// Runs the `understudy` binary built next to the tests, as a user would.
struct Understudy {
    static let binary: URL = {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [here, here.deletingLastPathComponent()].map { $0.appendingPathComponent("understudy") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Vault keys of the tests' vaults go here, not into the user's config directory.
    static let configHome = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-cli-config-\(UUID().uuidString)")

    static var keyStore: KeyFileStore { KeyFileStore(directory: configHome.appendingPathComponent("understudy/keys")) }

    /// Recording needs consent: the tests consent to the default policy once, as a contributor would.
    static let consentedToDefault: Bool = {
        let started = try? start(["consent", "accept", "--quiet"], consenting: false)
        return started.map { finish($0).status == 0 } ?? false
    }()

    static func start(_ arguments: [String], environment: [String: String]? = nil, consenting: Bool = true) throws -> (Process, Pipe, Pipe) {
        if consenting, arguments.first == "record", !arguments.contains("--policy") { _ = consentedToDefault }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = environment ?? ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = environment["XDG_CONFIG_HOME"] ?? configHome.path
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    static func finish(_ started: (Process, Pipe, Pipe)) -> Result {
        let (process, out, err) = started
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func run(_ arguments: String..., environment: [String: String]? = nil) throws -> Result {
        finish(try start(arguments, environment: environment))
    }
}

func temporaryVault() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("understudy-cli-\(UUID().uuidString)").path
}

@Suite("understudy command line", .serialized)
struct CommandLineTests {
    @Test("Recording a display that does not exist fails with one clear line on stderr")
    func noDisplay() throws {
        let result = try Understudy.run("record", "--display", ":987", "--vault", temporaryVault())
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot open X display ':987'"))
        #expect(result.stderr.split(separator: "\n").count == 1, "one line, got: \(result.stderr)")
    }

    @Test("A duration without a unit is refused before anything starts")
    func badDuration() throws {
        let vault = temporaryVault()
        let result = try Understudy.run("record", "--display", ":987", "--vault", vault, "--for", "10")
        #expect(result.status != 0)
        #expect(result.stderr.contains("--for"))
        #expect(!FileManager.default.fileExists(atPath: vault))
    }

    @Test("Reading a vault that does not exist fails with one clear line and creates nothing")
    func logMissingVault() throws {
        let vault = temporaryVault()
        let result = try Understudy.run("log", "--vault", vault)
        #expect(result.status != 0)
        #expect(result.stderr.contains("no vault at \(vault)"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: vault))
    }

    @Test(
        "record shows in status while it runs, stops on SIGINT with everything flushed, and log --json prints the contract",
        arguments: [SIGINT, SIGTERM])
    func recordLogStatus(signal: Int32) async throws {
        let x = try XSession()
        try x.startApps()
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let recorder = try Understudy.start(["record", "--display", x.display, "--vault", vault])
        try await waitUntilRecording(vault)
        let status = try Understudy.run("status", "--vault", vault, "--json")
        let state = try JSONValue.parse(Data(status.stdout.utf8))
        #expect(state["state"]?.stringValue == "recording")
        #expect(state["display"]?.stringValue == x.display)

        try x.xdotool("mousemove 200 200\nclick 1\ntype \"hi\"\nmousemove 250 260")
        // Send the signal at once: events still in flight must be flushed, not lost.
        kill(recorder.0.processIdentifier, signal)
        let result = Understudy.finish(recorder)
        #expect(result.status == 0, "\(result.stderr)")

        let log = try Understudy.run("log", "--vault", vault, "--json")
        let events = try log.stdout.split(separator: "\n").map { try Event(json: try JSONValue.parse(Data($0.utf8))) }
        #expect(events.map(\.seq) == Array(0..<Int64(events.count)))
        let input = events.map(\.body).filter { ["pointer.move", "pointer.down", "pointer.up", "key.down"].contains($0.kind) }
        #expect(
            input == [
                .pointerMove(x: 200, y: 200), .pointerDown(x: 200, y: 200, button: .left), .pointerUp(x: 200, y: 200, button: .left),
                .keyDown(key: "h", keycode: 43, mods: [], text: "h"), .keyDown(key: "i", keycode: 31, mods: [], text: "i"),
                .pointerMove(x: 250, y: 260),
            ])
        #expect(events.contains { $0.kind == "frame" })
        let idle = try JSONValue.parse(Data(try Understudy.run("status", "--vault", vault, "--json").stdout.utf8))
        #expect(idle["state"]?.stringValue == "idle")
        // What the vault holds, by kind: each part there, and together no more than is on disk.
        let parts = ["event_bytes", "frame_layout_bytes", "patch_bytes"].map { idle[$0]?.intValue ?? 0 }
        #expect(parts.allSatisfy { $0 > 0 }, "\(idle.serialized)")
        #expect(parts.reduce(0, +) <= idle["bytes_on_disk"]?.intValue ?? 0, "\(idle.serialized)")
        #expect(try Understudy.run("status", "--vault", vault).stdout.contains("events "))
    }

    @Test(
        "While it records, status --json shows the recorder's counters, which only grow; at the end its Prometheus text file agrees with the vault"
    )
    func recorderCounters() async throws {
        let vault = temporaryVault()
        let metrics = vault + ".prom"
        defer {
            try? FileManager.default.removeItem(atPath: vault)
            try? FileManager.default.removeItem(atPath: metrics)
        }
        let recorder = try Understudy.start([
            "record", "--vault", vault, "--for", "4s", "--synthetic-events", "300", "--synthetic-frames", "2", "--metrics-file", metrics,
        ])
        try await waitUntilRecording(vault)
        func counters() throws -> JSONValue? {
            try JSONValue.parse(Data(try Understudy.run("status", "--vault", vault, "--json").stdout.utf8))["counters"]
        }
        try await Task.sleep(for: .milliseconds(1200))
        let first = try counters()
        try await Task.sleep(for: .milliseconds(1000))
        let second = try counters()
        #expect(first?["frames_stored"]?.intValue ?? 0 >= 1 && first?["bytes_written"]?.intValue ?? 0 > 0, "\(first?.serialized ?? "no counters")")
        for key in ["frames_stored", "bytes_written"] {
            #expect(second?[key]?.intValue ?? 0 >= first?[key]?.intValue ?? .max, "\(key) went down")
        }
        #expect(Understudy.finish(recorder).status == 0)

        let samples = try Python.run(
            """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            print(json.dumps({s.name + json.dumps(s.labels, sort_keys=True): s.value
                              for f in text_string_to_metric_families(open(sys.argv[1]).read()) for s in f.samples}))
            """, [metrics])
        let vaultStatus = try JSONValue.parse(Data(try Understudy.run("status", "--vault", vault, "--json").stdout.utf8))
        #expect(vaultStatus["counters"] == .null, "an idle vault has no recorder counters")
        #expect(samples["understudy_recorder_frames_stored_total{}"]?.doubleValue == vaultStatus["frames"]?.doubleValue, "\(samples.serialized)")
        let logged = try Understudy.run("log", "--vault", vault).stdout.split(separator: "\n").count
        let captured = ["key.down", "pointer.move"].compactMap {
            samples["understudy_recorder_events_captured_total{\"kind\": \"\($0)\"}"]?.doubleValue
        }
        #expect(captured.count == 2, "both kinds counted: \(samples.serialized)")
        #expect(captured.reduce(0, +) > 0 && Int(captured.reduce(0, +)) <= logged, "\(captured) captured, \(logged) in the log")
        #expect(samples["understudy_recorder_written_bytes_total{}"]?.doubleValue ?? 0 > 0)
        #expect(samples["understudy_recorder_drops_total{\"cause\": \"records_overflow\"}"]?.doubleValue == 0)
    }

    @Test("--for stops the recorder by itself, and a second recorder on the same vault is refused")
    func timeLimitAndLock() async throws {
        let x = try XSession()
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let first = try Understudy.start(["record", "--display", x.display, "--vault", vault, "--for", "3s"])
        try await waitUntilRecording(vault)
        let second = try Understudy.run("record", "--display", x.display, "--vault", vault)
        #expect(second.status != 0)
        #expect(second.stderr.contains("another recorder"))
        let result = Understudy.finish(first)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test("When the X server dies, the recorder keeps what it captured and exits with a clear error")
    func serverDies() async throws {
        let x = try XSession()
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let recorder = try Understudy.start(["record", "--display", x.display, "--vault", vault])
        try await waitUntilRecording(vault)
        try x.xdotool("mousemove 10 20\nmousemove 30 40")
        try await Task.sleep(for: .milliseconds(500))
        x.killServer()
        let result = Understudy.finish(recorder)
        #expect(result.status != 0)
        #expect(result.stderr.contains("connection to the X server was lost"))
        let log = try Understudy.run("log", "--vault", vault, "--json")
        #expect(log.stdout.contains(#""kind":"pointer.move","x":30,"y":40"#))
    }

    /// Until status says recording and a first frame is stored (on X, capture grabs it once the
    /// server's recording context is on): the lock is taken before capture starts, so input sent
    /// before that could precede the context (on a loaded machine it did).
    func waitUntilRecording(_ vault: String) async throws {
        for _ in 0..<100 {
            let status = try JSONValue.parse(Data(try Understudy.run("status", "--vault", vault, "--json").stdout.utf8))
            if status["state"]?.stringValue == "recording", (status["counters"]?["frames_stored"]?.intValue ?? 0) >= 1 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the recorder never said it was recording")
    }
}
