import Foundation
import TestSupport
import Testing
import UnderstudyModel
import Vault

/// The Python that tests load exports with: `scripts/setup.sh` (run by `make test`) makes it.
enum Python {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let executable = root.appendingPathComponent(".build-py/bin/python")

    /// Runs `code` with `arguments`; returns its standard output parsed as JSON.
    static func run(_ code: String, _ arguments: [String]) throws -> JSONValue {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw CommandFailureForTests("no \(executable.path): run scripts/setup.sh (make test does) to install webdataset and datasets")
        }
        let process = Process()
        let out = Pipe()
        let err = Pipe()
        process.executableURL = executable
        process.arguments = ["-c", code] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HF_DATASETS_OFFLINE"] = "1"
        environment["HF_HOME"] = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-hf-\(UUID().uuidString)").path
        process.environment = environment
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailureForTests("python failed: \(String(decoding: stderr, as: UTF8.self).suffix(3000))")
        }
        return try JSONValue.parse(stdout)
    }
}

struct CommandFailureForTests: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Loads WebDataset shards with both libraries and prints what each saw.
private let loadShards = """
    import glob, json, sys
    import webdataset as wds
    from datasets import load_dataset

    shards = sorted(glob.glob(sys.argv[1] + "/shard-*.tar"))
    seen = [{"key": s["__key__"], "size": list(s["png"].size), "action": json.loads(s["json"]["action"]), "step": s["json"]["step"]}
            for s in wds.WebDataset(shards, shardshuffle=False).decode("pil")]
    hf = load_dataset("webdataset", data_files={"train": shards}, split="train")
    print(json.dumps({"webdataset": seen, "datasets": {"count": len(hf), "columns": sorted(hf.column_names),
                      "keys": list(hf["__key__"]), "types": [j["action_type"] for j in hf["json"]], "size": list(hf[0]["png"].size)}}))
    """

/// Reads an AgentNet export and an OSWorld export back as those projects' tools do (a JSON
/// object per line, images opened with PIL, pyautogui code parsed) and prints what it saw.
private let loadTrajectories = """
    import ast, json, os, sys
    from PIL import Image

    agentnet, osworld, episode = sys.argv[1:4]
    records = [json.loads(line) for line in open(os.path.join(agentnet, "agentnet.jsonl"))]
    record = next(r for r in records if r["task_id"] == episode)
    codes, fractions = [], []
    for step in record["traj"]:
        Image.open(os.path.join(agentnet, "images", step["image"])).verify()
        code = step["value"]["code"]
        codes.append(code)
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.keyword) and node.arg in ("x", "y"):
                fractions.append(node.value.value)
    steps = [json.loads(line) for line in open(os.path.join(osworld, episode, "traj.jsonl"))]
    sizes = [list(Image.open(os.path.join(osworld, episode, s["screenshot_file"])).size) for s in steps]
    for s in steps:
        if s["action"] not in ("WAIT", "DONE", "FAIL"):
            ast.parse(s["action"])
    task = json.load(open(os.path.join(osworld, episode, "task.json")))
    print(json.dumps({"instruction": record["instruction"], "completed": record["task_completed"], "codes": codes,
                      "fractions": fractions, "actions": [s["action"] for s in steps], "numbers": [s["step_num"] for s in steps],
                      "done": [s["done"] for s in steps], "sizes": sizes, "task": task["instruction"]}))
    """

@Suite("Episodes, exports and replay of real recordings", .serialized)
struct ExportCommandTests {
    @Test(
        "A session with task markers becomes episodes; its exports load in Python (webdataset and datasets; AgentNet and OSWorld trajectories as their tools read them) with the episode's samples, keys and actions"
    )
    func exportsLoadInPython() async throws {
        let session = try await TypingSession()  // "ab" typed first: an episode without markers
        let vault = session.vault
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let started = try session.me.run("task", "start", "Add 12 and 3, then note it for ana@example.com", "--vault", vault)
        #expect(started.stdout.contains("Task started: Add 12 and 3, then note it for [EMAIL]"), "\(started.stderr)")
        let again = try session.me.run("task", "start", "Another", "--vault", vault)
        #expect(again.status != 0 && again.stderr.contains("A task is already open"))
        try session.x.xdotool(
            """
            mousemove 1200 200
            click 1
            sleep 0.6
            type --delay 60 "12+3="
            sleep 0.8
            mousemove 300 300
            click 1
            sleep 0.6
            type --delay 60 "sum 15"
            key Return
            sleep 0.8
            """)
        #expect(try session.me.run("task", "end", "--vault", vault).status == 0)
        try await Task.sleep(for: .milliseconds(600))
        _ = try session.stop(keepVault: true)

        let listed = try session.me.run("episodes", "--vault", vault, "--json").stdout.split(separator: "\n").map {
            try JSONValue.parse(Data($0.utf8))
        }
        guard let task = listed.first(where: { $0["outcome"]?.stringValue == "done" }), let id = task["id"]?.stringValue else {
            Issue.record("no marked episode in \(listed)")
            return
        }
        #expect(task["instruction"]?.stringValue == "Add 12 and 3, then note it for [EMAIL]")
        // A step's app is the window focused when it began: the click into xcalc was decided in the terminal.
        #expect(task["apps"] == .array([.string("UnderstudyTerm"), .string("XCalc")]))

        // jsonl: the steps, exactly the actions performed.
        let jsonl = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: jsonl) }
        let exported = try session.me.run("export", "--vault", vault, "--format", "jsonl", "--out", jsonl, "--episode", id)
        #expect(exported.status == 0, "\(exported.stderr)")
        let steps = try String(contentsOfFile: "\(jsonl)/\(id)/steps.jsonl", encoding: .utf8).split(separator: "\n").map {
            try JSONValue.parse(Data($0.utf8))
        }
        #expect(
            steps.map { $0["pyautogui"]?.stringValue ?? "" } == [
                "pyautogui.click(x=1200, y=200)", "pyautogui.write(\"12+3=\")", "pyautogui.click(x=300, y=300)",
                "pyautogui.write(\"sum 15\")", "pyautogui.press(\"enter\")", "pass  # done",
            ])
        for step in steps { #expect(step["observation"]?.stringValue?.hasPrefix("frames/") == true, "\(step)") }

        // webdataset: both loaders see one sample per step, keyed {episode}/{step:05d}, with the actions.
        let shards = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: shards) }
        #expect(try session.me.run("export", "--vault", vault, "--format", "webdataset", "--out", shards, "--episode", id).status == 0)
        let loaded = try Python.run(loadShards, [shards])
        let keys = (0..<steps.count).map { JSONValue.string(String(format: "\(id)/%05d", $0)) }
        #expect(loaded["webdataset"]?.arrayValue?.map { $0["key"] ?? .null } == keys)
        #expect(loaded["webdataset"]?.arrayValue?.map { $0["action"]?["type"] ?? .null } == steps.map { $0["action"]?["type"] ?? .null })
        #expect(loaded["webdataset"]?.arrayValue?.map { $0["action"]?["x"] ?? .null } == steps.map { $0["action"]?["x"] ?? .null })
        #expect(loaded["webdataset"]?.arrayValue?.first?["size"] == .array([.int(1920), .int(1080)]))
        #expect(loaded["datasets"]?["count"]?.intValue == Int64(steps.count))
        #expect(loaded["datasets"]?["keys"] == .array(keys))
        #expect(loaded["datasets"]?["types"] == .array(steps.map { $0["action"]?["type"] ?? .null }))
        #expect(loaded["datasets"]?["columns"] == .array(["__key__", "__url__", "a11y.json", "json", "png"].map { .string($0) }))

        // agentnet and osworld: the same steps, read back as OpenCUA's and OSWorld's tools read them.
        let agentnet = temporaryVault()
        let osworld = temporaryVault()
        defer { for folder in [agentnet, osworld] { try? FileManager.default.removeItem(atPath: folder) } }
        #expect(try session.me.run("export", "--vault", vault, "--format", "agentnet", "--out", agentnet, "--episode", id).status == 0)
        #expect(try session.me.run("export", "--vault", vault, "--format", "osworld", "--out", osworld, "--episode", id).status == 0)
        let trajectories = try Python.run(loadTrajectories, [agentnet, osworld, id])
        let pixelCode = steps.map { $0["pyautogui"]?.stringValue ?? "" }
        #expect(trajectories["instruction"]?.stringValue == "Add 12 and 3, then note it for [EMAIL]")
        #expect(trajectories["task"] == trajectories["instruction"] && trajectories["completed"] == .bool(true))
        let codes = trajectories["codes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(codes.first == "pyautogui.click(x=0.6250, y=0.1852)" && codes.last == "computer.terminate(status=\"success\")", "\(codes)")
        try #require(codes.count == steps.count, "\(codes)")
        #expect([1, 3, 4].allSatisfy { codes[$0] == pixelCode[$0] } && codes[2].hasPrefix("pyautogui.click(x=0.156"), "\(codes)")
        let fractions = trajectories["fractions"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        #expect(fractions.count == 4 && fractions.allSatisfy { (0...1).contains($0) }, "\(fractions)")
        #expect(trajectories["actions"] == .array((pixelCode.dropLast() + ["DONE"]).map { .string($0) }))
        #expect(trajectories["numbers"] == .array((1...steps.count).map { .int(Int64($0)) }))
        #expect(trajectories["done"] == .array((0..<steps.count).map { .bool($0 == steps.count - 1) }))
        #expect(trajectories["sizes"]?.arrayValue?.allSatisfy { $0 == .array([.int(1920), .int(1080)]) } == true)

        // pyautogui and html: one script and one page for the episode.
        for format in ["pyautogui", "html"] {
            let out = temporaryVault()
            defer { try? FileManager.default.removeItem(atPath: out) }
            #expect(try session.me.run("export", "--vault", vault, "--format", format, "--out", out, "--episode", id).status == 0)
            #expect(FileManager.default.fileExists(atPath: format == "html" ? "\(out)/\(id)/index.html" : "\(out)/\(id).py"))
            let manifest = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: "\(out)/manifest.json")))
            #expect(manifest["episodes"]?.arrayValue?.count == 1 && manifest["consents"]?.arrayValue?.count == 1)
        }

        // Bad input: an episode that does not exist, an output that is a file or cannot be created.
        let unknown = try session.me.run("export", "--vault", vault, "--format", "jsonl", "--out", temporaryVault(), "--episode", "ffffffff-009")
        #expect(unknown.status != 0 && unknown.stderr.contains("no episode ffffffff-009 in the vault"))
        let replayUnknown = try session.me.run("replay", "--vault", vault, "--episode", "ffffffff-009", "--display", session.x.display)
        #expect(replayUnknown.status != 0 && replayUnknown.stderr.contains("no episode ffffffff-009 in the vault"))
        let file = "\(jsonl)/manifest.json"
        let onFile = try session.me.run("export", "--vault", vault, "--format", "jsonl", "--out", file)
        #expect(onFile.status != 0 && onFile.stderr.contains("cannot write to \(file): it is a file, not a folder (nothing was written)"))
        let unwritable = try session.me.run("export", "--vault", vault, "--format", "jsonl", "--out", "/proc/understudy-export")
        #expect(unwritable.status != 0 && unwritable.stderr.contains("cannot write to /proc/understudy-export:"))
        let notEmpty = try session.me.run("export", "--vault", vault, "--format", "html", "--out", jsonl)
        #expect(notEmpty.status != 0 && notEmpty.stderr.contains("\(jsonl) exists and is not empty"))
        for result in [unknown, replayUnknown, onFile, unwritable, notEmpty] {
            #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        }
    }

    @Test("A vault with no session: episodes, export and replay each say so in one line")
    func emptyVault() throws {
        let me = Contributor()
        let path = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try Vault(
            at: URL(fileURLWithPath: path), create: true, keyStore: KeyFileStore(directory: me.config.appendingPathComponent("understudy/keys")))
        for arguments in [
            ["episodes"], ["export", "--format", "jsonl", "--out", temporaryVault()], ["replay", "--episode", "x-001", "--display", ":987"],
        ] {
            let result = try me.run(arguments + ["--vault", path])
            #expect(result.status != 0)
            #expect(result.stderr == "Error: the vault holds no recorded session yet (record one with `understudy record`)\n", "\(arguments)")
        }
    }

    @Test("Replaying an episode on a fresh X server with the same apps ends on the recorded final screen, pixel for pixel")
    func replayReproducesTheFinalScreen() async throws {
        let first = try XSession()
        try first.startApps()
        let me = Contributor()
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        #expect(try me.run("consent", "accept", "--quiet").status == 0)
        let recorder = try me.start(["record", "--display", first.display, "--vault", vault])
        try await me.waitUntilRecording(vault, recorder)
        // xcalc computes, the terminal (running cat) echoes: both deterministic.
        try first.xdotool(
            """
            mousemove 1200 200
            click 1
            sleep 0.5
            type --delay 80 "7*6="
            sleep 0.6
            mousemove 200 150
            click 1
            sleep 0.5
            type --delay 80 "replayed by understudy"
            key Return
            sleep 0.4
            mousemove 400 300
            click --repeat 2 --delay 100 1
            sleep 2.5
            """)
        kill(recorder.0.processIdentifier, SIGINT)
        #expect(Understudy.finish(recorder).status == 0)
        first.killServer()

        let listed = try me.run("episodes", "--vault", vault, "--json").stdout.split(separator: "\n").map { try JSONValue.parse(Data($0.utf8)) }
        #expect(listed.count == 1)
        guard let id = listed.first?["id"]?.stringValue else { return }
        let out = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(try me.run("export", "--vault", vault, "--format", "jsonl", "--out", out).status == 0)
        let episode = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: "\(out)/\(id)/episode.json")))
        #expect(episode["final_observation"]?.stringValue != nil)

        let second = try XSession()
        defer { second.killServer() }
        try second.startApps()
        let replay = try me.run(
            "replay", "--vault", vault, "--episode", id, "--display", second.display, "--json",
            "--screenshot", "\(out)/replayed.png")
        #expect(replay.status == 0, "\(replay.stderr)")
        let outcome = try JSONValue.parse(Data(replay.stdout.utf8))
        #expect(outcome["pixels"]?.intValue == Int64(1920 * 1080))
        #expect(outcome["differing_pixels"]?.intValue == 0, "\(replay.stdout) (screens in \(out))")
        // And a replay that does something else does not match: the comparison can fail.
        let third = try XSession()
        defer { third.killServer() }
        try third.startApps()
        try third.xdotool("windowactivate --sync \(try third.window(class: "UnderstudyTerm"))\ntype --delay 50 zzz\nkey Return\nsleep 0.3")
        let skewed = try JSONValue.parse(
            Data(try me.run("replay", "--vault", vault, "--episode", id, "--display", third.display, "--json").stdout.utf8))
        #expect(skewed["differing_pixels"]?.intValue ?? 0 > 0)
    }
}
