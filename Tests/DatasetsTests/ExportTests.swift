import Datasets
import Foundation
import Testing
import UnderstudyModel

/// A recording with one marked task and one unmarked episode, a redacted frame and a drag.
private func sampleRecording() -> MemoryRecording {
    var r = MemoryRecording()
    r.frames["f1"] = FrameRecord(redactions: [FrameRedaction(what: .email, box: [40, 50, 200, 16])])
    r.script.at(0, MemoryRecording.focus("XTerm"))
    r.script.at(10, MemoryRecording.frame("f0"))
    r.script.at(1_000, .taskStart(instruction: "Say \"hi\"; then leave"))
    r.script.click(100, 100, at: 1_200)
    r.script.at(1_400, MemoryRecording.frame("f1"))
    let send = AccessibilitySnapshot.Node(role: "push button", name: "Send", states: ["enabled"], bounds: [580, 280, 60, 30], parent: nil)
    r.script.at(1_450, .accessibilitySnapshot(frame: "f1", window: 1, snapshot: AccessibilitySnapshot(nodes: [send])))
    r.script.type("hi; there", from: 1_500)  // until 2.17 s
    r.script.at(2_400, .pointerDown(x: 10, y: 10, button: .left))
    r.script.at(2_450, .pointerMove(x: 60, y: 40))
    r.script.at(2_500, .pointerUp(x: 90, y: 70, button: .left))
    r.script.at(2_900, .scroll(x: 500, y: 250, dx: 0, dy: 2))
    r.script.at(3_200, .taskEnd(outcome: .done))
    r.script.click(600, 300, at: 400_000)
    r.script.at(400_200, MemoryRecording.frame("f2"))
    r.script.key("e", at: 400_500, mods: [.ctrl])
    return r
}

private func temporaryFolder() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("understudy-export-\(UUID().uuidString)")
}

private let lineage = Lineage(
    vault: "vault-1", generator: "understudy test",
    consents: [
        .init(policyHash: "ab12", name: "org-policy", version: 3, acceptedAt: Date(timeIntervalSince1970: 1_799_999_000)),
        .init(policyHash: "other", name: "unrelated", version: 1, acceptedAt: Date()),
    ])

private func lines(_ url: URL) throws -> [JSONValue] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { try JSONValue.parse(Data($0.utf8)) }
}

@Suite("Exports")
struct ExportTests {
    @Test("jsonl: a folder per episode with episode.json, steps.jsonl in the contract's fields and each frame once; the manifest says what went in")
    func jsonl() throws {
        let out = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let summary = try Exporter(options: ExportOptions(format: .jsonl)).run(source: sampleRecording(), to: out, lineage: lineage)
        #expect(summary.episodes == 2 && summary.steps == 8)
        let episode = out.appendingPathComponent("0a1b2c3d-001")
        let info = try JSONValue.parse(Data(contentsOf: episode.appendingPathComponent("episode.json")))
        #expect(info["instruction"]?.stringValue == "Say \"hi\"; then leave")
        #expect(info["screen"] == .array([.int(1000), .int(500)]) && info["policy_hash"]?.stringValue == "ab12")
        #expect(info["step_count"]?.intValue == 5 && info["apps"] == .array([.string("XTerm")]))
        let steps = try lines(episode.appendingPathComponent("steps.jsonl"))
        #expect(steps.map { $0["action"]?["type"]?.stringValue } == ["click", "type", "drag", "scroll", "done"])
        #expect(steps.map { $0["step"]?.intValue } == [0, 1, 2, 3, 4])
        let click = steps[0]
        #expect(click["action"]?["nx"]?.doubleValue == 0.1 && click["pyautogui"]?.stringValue == "pyautogui.click(x=100, y=100)")
        #expect(click["observation"]?.stringValue == "frames/f0.png" && click["app"]?.stringValue == "XTerm")
        #expect(steps[1]["redactions"] == .array([FrameRedaction(what: .email, box: [40, 50, 200, 16]).json]))
        #expect(steps[2]["action"]?["from"] == .array([.int(10), .int(10)]) && steps[2]["action"]?["to"] == .array([.int(90), .int(70)]))
        for step in steps { #expect(step["t_ns"]?.intValue ?? 0 > 0 && step["episode"]?.stringValue == "0a1b2c3d-001") }
        let frames = try FileManager.default.contentsOfDirectory(atPath: episode.appendingPathComponent("frames").path).sorted()
        #expect(frames == ["f0.png", "f1.png"])

        let manifest = try JSONValue.parse(Data(contentsOf: out.appendingPathComponent("manifest.json")))
        #expect(manifest["format"]?.stringValue == "jsonl" && manifest["vault"]?.stringValue == "vault-1")
        #expect(manifest["episodes"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["0a1b2c3d-001", "0a1b2c3d-002"])
        #expect(manifest["sessions"]?.arrayValue?.first?["id"]?.stringValue == MemoryRecording().session.id)
        #expect(manifest["policies"] == .array([.string("ab12")]))
        #expect(manifest["consents"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["org-policy"])
        #expect(manifest["filters"]?["min_actions"]?.intValue == 2 && manifest["counts"]?["steps"]?.intValue == 8)
    }

    @Test("The manifest a collector keeps of an export is the export's own, without the episodes' instructions; the summary names the sessions")
    func manifestForTheCollector() throws {
        let out = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let summary = try Exporter(options: ExportOptions(format: .jsonl)).run(source: sampleRecording(), to: out, lineage: lineage)
        let written = try JSONValue.parse(Data(contentsOf: out.appendingPathComponent("manifest.json")))
        let kept = try JSONValue.parse(Data(summary.manifestWithoutInstructions.utf8))
        #expect(written["episodes"]?.arrayValue?.first?["instruction"]?.stringValue == "Say \"hi\"; then leave")
        #expect(!summary.manifestWithoutInstructions.contains("Say"), "the instruction's text left the export")
        #expect(kept["episodes"]?.arrayValue?.map { $0["instruction"] } == [.null, .null])
        #expect(kept["episodes"]?.arrayValue?.map { $0["id"] } == written["episodes"]?.arrayValue?.map { $0["id"] })
        #expect(kept["sessions"] == written["sessions"] && kept["counts"] == written["counts"] && kept["consents"] == written["consents"])
        #expect(summary.sessions == [MemoryRecording().session.id])
    }

    @Test(
        "webdataset: samples {episode}/{step:05d} with a .png, a .json of one fixed shape and an .a11y.json with the observation frame's snapshot, in shards closed before the size limit"
    )
    func webdataset() throws {
        let out = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        var options = ExportOptions(format: .webdataset)
        options.shardSize = 6_000
        let summary = try Exporter(options: options).run(source: sampleRecording(), to: out, lineage: lineage)
        #expect(summary.files.count > 1 && summary.files.first == "shard-000000.tar")
        var members: [String] = []
        for shard in summary.files {
            let url = out.appendingPathComponent(shard)
            #expect(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? .max <= 6_000)
            members += try TarListing.names(url)
        }
        let keys = stride(from: 0, to: members.count, by: 3).map { String(members[$0].dropLast(4)) }
        #expect(keys == (0..<5).map { String(format: "0a1b2c3d-001/%05d", $0) } + (0..<3).map { String(format: "0a1b2c3d-002/%05d", $0) })
        #expect(members.enumerated().allSatisfy { $0.element.hasSuffix([".png", ".json", ".a11y.json"][$0.offset % 3]) })
        // Every sample's JSON has the same fields in the same types: Hugging Face datasets fixes its schema from the first five.
        let all = try summary.files.flatMap { try TarListing.jsonMembers(out.appendingPathComponent($0)) }
        let samples = stride(from: 0, to: all.count, by: 2).map { all[$0] }
        let snapshots = stride(from: 1, to: all.count, by: 2).map { all[$0] }
        #expect(Set(samples.map(TarListing.shape)).count == 1 && Set(snapshots.map(TarListing.shape)).count == 1)
        // The steps decided on frame f1 carry its snapshot; the others say there is none.
        #expect(samples.contains { $0["frame"] == .string("f1") } && samples.contains { $0["frame"] != .string("f1") })
        #expect(zip(samples, snapshots).allSatisfy { ($0["frame"] == .string("f1")) == ($1["available"] == .bool(true)) }, "\(snapshots)")
        let nodes = try JSONValue.parse(Data(snapshots[2]["nodes"]!.stringValue!.utf8))
        #expect(nodes.arrayValue?.first?["name"] == .string("Send") && nodes.arrayValue?.first?["parent"] == .null)
        let action = try JSONValue.parse(Data(samples[2]["action"]!.stringValue!.utf8))
        #expect(action["type"]?.stringValue == "drag" && samples[2]["observation"]?.stringValue == "0a1b2c3d-001/00002.png")
    }

    @Test("pyautogui: one script per episode that Python compiles, with the recorded pauses between steps")
    func pyautogui() throws {
        let out = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        _ = try Exporter(options: ExportOptions(format: .pyautogui)).run(source: sampleRecording(), to: out, lineage: lineage)
        let script = out.appendingPathComponent("0a1b2c3d-001.py")
        let text = try String(contentsOf: script, encoding: .utf8)
        #expect(text.contains("pyautogui.write(\"hi; there\")"))
        #expect(text.contains("pyautogui.moveTo(10, 10)\npyautogui.dragTo(90, 70, button=\"left\")"))
        #expect(text.contains("pyautogui.scroll(-2, x=500, y=250)"))
        #expect(text.contains("time.sleep(0.24)"))  // click released at 1.26 s, typing began at 1.5 s
        let compile = Process()
        compile.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compile.arguments = ["python3", "-m", "py_compile", script.path, out.appendingPathComponent("0a1b2c3d-002.py").path]
        try compile.run()
        compile.waitUntilExit()
        #expect(compile.terminationStatus == 0)
    }

    @Test("pyautogui: names from a device (apps, titles, instructions, targets) with line breaks or control characters never become code")
    func pyautoguiInjection() throws {
        let payload = "XTerm\nimport os; os.system('touch /tmp/pwned')\r#\u{0B}\u{0C}\u{85}\u{2028}x"
        var r = MemoryRecording()
        r.script.at(0, .focus(WindowContext(app: payload, title: payload, pid: 1, window: 2, rect: [0, 0, 10, 10])))
        r.script.at(10, MemoryRecording.frame("f0"))
        r.script.at(1_000, .taskStart(instruction: payload))
        r.script.click(100, 100, at: 1_200)
        r.script.at(
            1_230,
            .target(ofNs: 1_200_000_000, element: AccessibleElement(role: "push button", name: payload, bounds: [0, 0, 1, 1], app: "", id: "0")))
        r.script.at(3_200, .taskEnd(outcome: .done))
        let out = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        var options = ExportOptions(format: .pyautogui)
        options.filter.minActions = 1
        _ = try Exporter(options: options).run(source: r, to: out, lineage: lineage)
        let text = try String(contentsOf: out.appendingPathComponent("0a1b2c3d-001.py"), encoding: .utf8)
        let lines = text.components(separatedBy: .newlines)
        #expect(!lines.contains { $0.hasPrefix("import os") }, "\(text)")
        // Python ends a line at these too (str.splitlines' set): none may appear in a comment.
        for separator in ["\r", "\u{0B}", "\u{0C}", "\u{1C}", "\u{1D}", "\u{1E}", "\u{85}", "\u{2028}", "\u{2029}"] {
            #expect(!text.contains(separator), "a line separator is left in the script")
        }
    }

    @Test("html: a session id or frame hash a device chose is escaped in the page; a hash that would leave the export folder is refused")
    func hostileNames() throws {
        var r = MemoryRecording()
        r.session.id = "0a1b2c3d<script>alert(1)</script>"
        r.script.at(0, MemoryRecording.focus("XTerm"))
        r.script.at(10, MemoryRecording.frame("x' onerror='alert(1)"))
        r.script.click(100, 100, at: 1_200)
        let out = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        var options = ExportOptions(format: .html)
        options.filter.minActions = 1
        _ = try Exporter(options: options).run(source: r, to: out, lineage: lineage)
        let page = try String(contentsOf: out.appendingPathComponent("0a1b2c3d-001/index.html"), encoding: .utf8)
        #expect(!page.contains("<script>alert") && page.contains("&lt;script&gt;"))
        #expect(!page.contains("' onerror='") && page.contains("&#39; onerror=&#39;"))
        // Decrypted recordings: the folder is the owner's alone, whatever the umask.
        let mode = try FileManager.default.attributesOfItem(atPath: out.path)[.posixPermissions] as? Int
        #expect(mode == 0o700)

        var escaping = MemoryRecording()
        escaping.script.at(0, MemoryRecording.focus("XTerm"))
        escaping.script.at(10, MemoryRecording.frame("../../../understudy-planted"))
        escaping.script.click(100, 100, at: 1_200)
        let second = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: second) }
        #expect {
            _ = try Exporter(options: options).run(source: escaping, to: second, lineage: lineage)
        } throws: { error in
            (error as? DatasetError).map { "\($0)".contains("would leave the export folder") } ?? false
        }
        let planted = second.appendingPathComponent("0a1b2c3d-001/frames/../../../understudy-planted.png").standardizedFileURL
        #expect(!FileManager.default.fileExists(atPath: planted.path))
        #expect(!FileManager.default.fileExists(atPath: second.path), "a failed export leaves nothing that looks finished")
    }

    @Test("html: a page per episode draws each action on its observation, with redaction boxes outlined, and an index links them")
    func html() throws {
        let out = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        _ = try Exporter(options: ExportOptions(format: .html)).run(source: sampleRecording(), to: out, lineage: lineage)
        let index = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(index.contains("href=\"0a1b2c3d-001/index.html\"") && index.contains("Say &quot;hi&quot;; then leave"))
        let page = try String(contentsOf: out.appendingPathComponent("0a1b2c3d-001/index.html"), encoding: .utf8)
        #expect(page.contains("<img src=\"frames/f0.png\""))
        #expect(page.contains("<circle class=\"click\" cx=\"100\" cy=\"100\" r=\"18\"/>"))
        #expect(page.contains("<line class=\"drag\" x1=\"10\" y1=\"10\" x2=\"90\" y2=\"70\" marker-end=\"url(#arrow)\"/>"))
        #expect(page.contains(">scroll 2 down</text>"))
        #expect(page.contains("<div class=\"banner\">type “hi; there”</div>"))
        #expect(page.contains("<rect class=\"redaction\" x=\"40\" y=\"50\" width=\"200\" height=\"16\">"))
        let second = try String(contentsOf: out.appendingPathComponent("0a1b2c3d-002/index.html"), encoding: .utf8)
        #expect(second.contains("<div class=\"banner\">hotkey ctrl+e</div>"))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("0a1b2c3d-001/frames/f1.png").path))
    }

    @Test("Quality filters leave episodes out and the manifest counts them; an unknown episode or nothing left is one error, with nothing written")
    func filtersAndErrors() throws {
        let out = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        var options = ExportOptions(format: .jsonl)
        options.filter.minActions = 3
        let summary = try Exporter(options: options).run(source: sampleRecording(), to: out, lineage: lineage)
        #expect(summary.episodes == 1 && summary.dropped == ["fewer than 3 actions": 1])
        let manifest = try JSONValue.parse(Data(contentsOf: out.appendingPathComponent("manifest.json")))
        #expect(manifest["counts"]?["dropped"]?["fewer than 3 actions"]?.intValue == 1)

        let other = temporaryFolder()
        options.episodes = ["0a1b2c3d-777"]
        #expect(throws: DatasetError.unknownEpisode("0a1b2c3d-777")) {
            try Exporter(options: options).run(source: sampleRecording(), to: other, lineage: lineage)
        }
        options.episodes = nil
        options.filter.minActions = 50
        #expect(throws: DatasetError.noEpisodes("all 2 episode(s) were left out by the quality filters (fewer than 50 actions)")) {
            try Exporter(options: options).run(source: sampleRecording(), to: other, lineage: lineage)
        }
        #expect(!FileManager.default.fileExists(atPath: other.path))
    }

    @Test("An output folder that is not empty, or is a file, is refused before anything is written; a failing source leaves no partial export")
    func outputFolder() throws {
        let out = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: out.appendingPathComponent("notes.txt"))
        #expect(throws: DatasetError.outputNotEmpty(out.path)) {
            try Exporter(options: ExportOptions(format: .jsonl)).run(source: sampleRecording(), to: out, lineage: lineage)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["notes.txt"])
        let file = out.appendingPathComponent("notes.txt")
        #expect(throws: DatasetError.cannotWrite(file.path, "it is a file, not a folder")) {
            try Exporter(options: ExportOptions(format: .jsonl)).run(source: sampleRecording(), to: file, lineage: lineage)
        }

        struct Unreadable: Error {}
        struct BrokenFrames: RecordingSource {
            var inner = sampleRecording()
            func sessions() throws -> [Session] { try inner.sessions() }
            func events(of session: Session) throws -> [Event] { try inner.events(of: session) }
            func frame(_ hash: String, of session: Session) throws -> FrameRecord? { try inner.frame(hash, of: session) }
            func png(_ hash: String, of session: Session) throws -> Data {
                if hash == "f2" { throw Unreadable() } else { try inner.png(hash, of: session) }
            }
        }
        let fresh = out.appendingPathComponent("fresh")
        #expect(throws: DatasetError.self) {
            try Exporter(options: ExportOptions(format: .jsonl)).run(source: BrokenFrames(), to: fresh, lineage: lineage)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["notes.txt"])
    }
}

/// Reads tar files with the system's `tar`, so the writer is checked against a real reader.
enum TarListing {
    static func names(_ url: URL) throws -> [String] {
        try run(["tar", "-tf", url.path]).split(separator: "\n").map(String.init)
    }

    static func jsonMembers(_ url: URL) throws -> [JSONValue] {
        try names(url).filter { $0.hasSuffix(".json") }.map { try JSONValue.parse(Data(run(["tar", "-xOf", url.path, $0]).utf8)) }
    }

    /// Field names and value kinds, nested.
    static func shape(_ value: JSONValue) -> String {
        switch value {
        case .object(let members): "{" + members.map { "\($0.0):\(shape($0.1))" }.sorted().joined(separator: ",") + "}"
        case .array(let items): "[" + (items.first.map(shape) ?? "?") + "]"
        case .string: "s"
        case .int: "i"
        case .double: "d"
        case .bool: "b"
        case .null: "null"
        }
    }

    private static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
