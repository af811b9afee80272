import Capture
import Foundation
import Privacy
import TestSupport
import Testing
import UnderstudyModel
import Vault

/// A contributor's own config folder (keys, consent, exemptions, trusted policy keys), so a
/// test's consent or exemption never leaks into another test.
struct Contributor {
    let config = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-contributor-\(UUID().uuidString)")
    /// Set on top of the test's own environment.
    var extraEnvironment: [String: String] = [:]
    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["XDG_CONFIG_HOME"] = config.path
        env.merge(extraEnvironment) { $1 }
        return env
    }

    func run(_ arguments: String...) throws -> Understudy.Result { try run(arguments) }

    func run(_ arguments: [String]) throws -> Understudy.Result {
        Understudy.finish(try Understudy.start(arguments, environment: environment))
    }

    func start(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        try Understudy.start(arguments, environment: environment)
    }

    /// Writes `yaml`, signs it with a new organisation key this contributor trusts, and consents to it.
    func signedPolicy(_ yaml: String, consent: Bool = true) throws -> String {
        let folder = config.appendingPathComponent("org-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("policy.yaml").path
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: file))
        let key = folder.appendingPathComponent("org").path
        #expect(try run("policy", "keygen", key).status == 0)
        #expect(try run("policy", "trust", key + ".pub").status == 0)
        #expect(try run("policy", "sign", "--key", key + ".key", file).status == 0)
        if consent { #expect(try run("consent", "accept", "--quiet", "--policy", file).status == 0) }
        return file
    }

    func openVault(_ path: String) throws -> Vault {
        try Vault(at: URL(fileURLWithPath: path), create: false, keyStore: KeyFileStore(directory: config.appendingPathComponent("understudy/keys")))
    }

    func waitUntilRecording(_ vault: String, _ recorder: (Process, Pipe, Pipe)) async throws {
        try await waitForRecorder(vault, process: recorder.0)
        try await Task.sleep(for: .milliseconds(300))  // the first frame and focus event
    }
}

/// An X session with the terminal and xcalc, and a recorder (consented; the default policy
/// unless `policy` gives YAML to sign) into a fresh vault, with "ab" already typed in the terminal.
struct TypingSession {
    let x: XSession
    let me: Contributor
    let vault = temporaryVault()
    let recorder: (Process, Pipe, Pipe)
    let term: String

    /// `arguments` are added to `record`'s; every recorder here logs at trace level, so the
    /// tests can check that no log line holds content.
    init(policy: String? = nil, environment: [String: String] = [:], arguments extra: [String] = []) async throws {
        x = try XSession()
        try x.startApps()
        me = Contributor(extraEnvironment: environment)
        var arguments = ["record", "--display", x.display, "--vault", vault, "--log-level", "trace"] + extra
        if let policy {
            arguments += ["--policy", try me.signedPolicy(policy)]
        } else {
            #expect(try me.run("consent", "accept", "--quiet").status == 0)
        }
        recorder = try me.start(arguments)
        try await me.waitUntilRecording(vault, recorder)
        term = try x.window(class: "UnderstudyTerm")
        try x.xdotool("windowactivate --sync \(term)\ntype ab\nsleep 0.6")
    }

    /// Stops the recorder and returns what the vault holds (the vault is then removed).
    func stop() throws -> [Event] {
        try stop(keepVault: false).events
    }

    /// Stops the recorder; returns what the vault holds and what the recorder said.
    func stop(keepVault: Bool) throws -> (events: [Event], stderr: String) {
        kill(recorder.0.processIdentifier, SIGINT)
        let result = Understudy.finish(recorder)
        #expect(result.status == 0, "the recorder failed: \(result.stderr.suffix(4000))")
        defer { if !keepVault { try? FileManager.default.removeItem(atPath: vault) } }
        return (try logEvents(me, vault), result.stderr)
    }
}

func policyText(rules: String, extra: String = "") -> String {
    """
    understudy-policy: 1
    name: test-policy
    version: 1
    organisation: Test Org
    audience: the test team
    contact: test@example.com
    rules:
    \(rules)
    \(extra)
    """
}

/// The typed text of a session, from `understudy log --json`.
func typed(_ events: [Event]) -> String {
    events.compactMap { if case .keyDown(_, _, _, let text) = $0.body { text } else { nil } }.joined()
}

func logEvents(_ contributor: Contributor, _ vault: String) throws -> [Event] {
    try contributor.run("log", "--vault", vault, "--json").stdout.split(separator: "\n").map { try Event(json: try JSONValue.parse(Data($0.utf8))) }
}

@Suite("Contributor control on a real X server", .serialized)
struct ControlTests {
    @Test(
        "Typing into an excluded app stores no key, focus or frame, only a gap; its window is blanked in every frame, focused or not, and the window beside it is not"
    )
    func excludedApp() async throws {
        let x = try XSession()
        try x.startApps()
        let me = Contributor()
        let policy = try me.signedPolicy(policyText(rules: "  - app: XCalc\n    action: exclude"))
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let recorder = try me.start(["record", "--display", x.display, "--vault", vault, "--policy", policy])
        try await me.waitUntilRecording(vault, recorder)
        let term = try x.window(class: "UnderstudyTerm")
        let calc = try x.window(class: "XCalc")
        try x.xdotool(
            "windowactivate --sync \(term)\ntype ab\nsleep 0.6\nwindowactivate --sync \(calc)\ntype 12\nsleep 0.6\nwindowactivate --sync \(term)\ntype cd\nsleep 0.8"
        )
        kill(recorder.0.processIdentifier, SIGINT)
        #expect(Understudy.finish(recorder).status == 0)

        let events = try logEvents(me, vault)
        #expect(typed(events) == "abcd")
        let gaps = events.compactMap { e -> (UInt64, UInt64)? in if case .gap(.excludedApp, let from, let to) = e.body { (from, to) } else { nil } }
        #expect(gaps.count == 1)
        #expect(!events.contains { if case .focus(let w) = $0.body { w.app == "XCalc" } else { false } })
        if let (from, to) = gaps.first {
            #expect(!events.contains { $0.tNs > from && $0.tNs < to && $0.kind != "gap" }, "something was stored while XCalc had focus")
        }

        // Every stored frame has XCalc's client area filled and the terminal's not.
        let calcRect = try x.geometry(of: calc)
        let termRect = try x.geometry(of: term)
        let frames = try StoredFrame.all(me, vault, events)
        #expect(frames.count >= 2)
        for frame in frames {
            #expect(frame.filled(calcRect) == calcRect[2] * calcRect[3], "frame \(frame.hash): XCalc is not fully blanked")
            #expect(frame.filled(termRect) < termRect[2] * termRect[3] / 2, "frame \(frame.hash): the terminal is blanked")
        }
    }

    @Test("During a pause nothing typed is stored; a pause longer than the cap is capped; status says paused until when; resume resumes")
    func pause() async throws {
        let session = try await TypingSession()
        let (me, vault, x) = (session.me, session.vault, session.x)
        let paused = try me.run("pause", "2h", "--vault", vault)
        #expect(paused.status == 0 && paused.stdout.contains("caps a pause at 30m"), "\(paused.stdout)\(paused.stderr)")
        let status = try me.run("status", "--vault", vault)
        #expect(status.stdout.contains("PAUSED until"), "\(status.stdout)")
        try x.xdotool("type zz\nsleep 0.6")
        #expect(try me.run("resume", "--vault", vault).stdout.contains("Recording again"))
        try x.xdotool("type cd\nsleep 0.8")
        let events = try session.stop()

        #expect(typed(events) == "abcd")
        let pause = try #require(events.first { $0.kind == "pause" })
        guard case .pause(let until?, .user) = pause.body else {
            Issue.record("\(pause)")
            return
        }
        #expect(abs(until.timeIntervalSince(pause.wall) - 1800) < 1)
        #expect(events.contains { $0.kind == "resume" && $0.tNs > pause.tNs })
        #expect(try me.run("pause", "--vault", vault).stderr.contains("no recorder is running"))
    }

    @Test(
        "The pause hotkey (ctrl+alt+Pause) pauses recording from any window and pressing it again resumes; none of its chord's key presses or releases is stored, nor what is typed while paused; a modifier tapped alone and another chord are stored as ever"
    )
    func pauseHotkey() async throws {
        let session = try await TypingSession()
        let (me, vault, x) = (session.me, session.vault, session.x)
        try x.xdotool("key ctrl+alt+Pause\nsleep 0.8")
        let paused = try me.run("status", "--vault", vault).stdout
        try x.xdotool("type zz\nsleep 0.6\nkey ctrl+alt+Pause\nsleep 0.8")
        let resumed = try me.run("status", "--vault", vault).stdout
        // A modifier tapped alone, and a chord that is not the hotkey, are stored as ever.
        try x.xdotool("type cd\nkey ctrl\nkey ctrl+alt+p\nsleep 0.8")
        let (events, said) = try session.stop(keepVault: false)
        #expect(paused.contains("PAUSED until"), "\(paused)")
        #expect(!resumed.contains("PAUSED"), "\(resumed)")
        #expect(said.contains("the pause hotkey"), "\(said)")
        #expect(typed(events) == "abcd")
        #expect(events.contains { $0.kind == "pause" } && events.contains { $0.kind == "resume" })
        let keys = events.compactMap { event -> String? in
            switch event.body {
            case .keyDown(let key, _, _, _): "down \(key)"
            case .keyUp(let key, _, _): "up \(key)"
            default: nil
            }
        }
        #expect(!keys.contains { $0.hasSuffix(" Pause") }, "\(keys)")
        let beforeC = keys.prefix { $0 != "down c" }
        #expect(!beforeC.contains { $0.contains("Control") || $0.contains("Alt") }, "the chord's modifiers were stored: \(keys)")
        #expect(keys.filter { $0 == "down Control_L" }.count == 2 && keys.contains("down p"), "\(keys)")
    }

    @Test(
        "Under a tray host (trayer) the recording indicator docks showing a red dot; its menu pauses for 5 minutes, as status agrees, and the picture turns to blue bars; the hotkey resumes and the dot is red again; its menu's Resume resumes a pause, and its Open the review page gives the desktop's default browser the page's address, on the recorded display, with a token that signs in once; a click outside the menu closes it"
    )
    func trayIcon() async throws {
        // The desktop's default browser, as xdg-open finds it: a script noting the address it is given.
        let desktop = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-desktop-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: desktop) }
        let applications = desktop.appendingPathComponent("applications")
        try FileManager.default.createDirectory(at: applications, withIntermediateDirectories: true)
        let opened = desktop.appendingPathComponent("opened.txt")
        let browser = desktop.appendingPathComponent("browser.sh")
        try Data("#!/bin/sh\necho \"$1\" >> '\(opened.path)'\n".utf8).write(to: browser)
        chmod(browser.path, 0o755)
        try Data("[Desktop Entry]\nType=Application\nName=Test browser\nExec=\(browser.path) %u\n".utf8)
            .write(to: applications.appendingPathComponent("understudy-test-browser.desktop"))
        try Data("[Default Applications]\nx-scheme-handler/http=understudy-test-browser.desktop\n".utf8)
            .write(to: applications.appendingPathComponent("mimeapps.list"))
        let session = try await TypingSession(environment: ["XDG_DATA_HOME": desktop.path])
        let (me, vault, x) = (session.me, session.vault, session.x)
        try x.launch("/usr/bin/trayer", "--edge", "top", "--align", "right", "--widthtype", "request", "--height", "32", "--transparent", "false")
        try x.waitForWindow(class: "UnderstudyTray", retrying: true)
        let icon = try x.window(class: "UnderstudyTray")
        let (red, blue) = (UInt32(0xE5_3935), UInt32(0x42_A5F5))
        func shows(_ colour: UInt32) async throws -> Bool {
            for _ in 0..<20 {
                if try x.colours(of: icon)[colour, default: 0] > 4 { return true }
                try await Task.sleep(for: .milliseconds(150))
            }
            return false
        }
        #expect(try await shows(red), "recording: \((try? x.colours(of: icon)) ?? [:])")
        func choose(_ item: Int) throws {
            let at = try x.geometry(of: icon)
            try x.xdotool("mousemove \(at[0] + at[2] / 2) \(at[1] + at[3] / 2)\nclick 1\nsleep 0.5")
            try x.waitForWindow(class: "UnderstudyTrayMenu", retrying: true)
            let menu = try x.geometry(of: x.window(class: "UnderstudyTrayMenu"))
            try x.xdotool("mousemove \(menu[0] + 60) \(menu[1] + 24 * item + 12)\nclick 1\nsleep 0.8")
        }
        try choose(0)  // Pause 5 minutes
        let paused = try me.run("status", "--vault", vault).stdout
        #expect(paused.contains("PAUSED until"), "\(paused)")
        #expect(try await shows(blue), "paused: \((try? x.colours(of: icon)) ?? [:])")
        #expect(try x.colours(of: icon)[red, default: 0] == 0)
        try x.xdotool("key ctrl+alt+Pause\nsleep 0.8")
        #expect(try await shows(red), "resumed by the hotkey: \((try? x.colours(of: icon)) ?? [:])")
        try choose(1)  // Pause 15 minutes
        try choose(3)  // Resume
        #expect(!(try me.run("status", "--vault", vault).stdout.contains("PAUSED")))
        try choose(4)  // Open the review page: the browser gets its address, with a token that works once.
        var address = ""
        for _ in 0..<40 where address.isEmpty {
            try await Task.sleep(for: .milliseconds(250))
            address = (try? String(contentsOf: opened, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        }
        defer { _ = try? x.output("pkill", "-f", "review --vault \(vault)") }
        #expect(address.hasPrefix("http://127.0.0.1:") && address.contains("/?token="), "the browser was given \(address)")
        #expect(ReviewPage.status(try ReviewPage.curl(address)) == 303, "the page's token did not sign in")
        // Opened, then a click elsewhere: the menu goes and nothing is chosen.
        let at = try x.geometry(of: icon)
        try x.xdotool("mousemove \(at[0] + at[2] / 2) \(at[1] + at[3] / 2)\nclick 1\nsleep 0.5\nmousemove 20 600\nclick 1\nsleep 0.5")
        // xdotool search fails when it finds nothing.
        #expect((try? x.output("xdotool", "search", "--onlyvisible", "--class", "UnderstudyTrayMenu"))?.isEmpty ?? true, "the menu is still open")
        #expect(!(try me.run("status", "--vault", vault).stdout.contains("PAUSED")))
        let events = try session.stop()
        #expect(events.filter { $0.kind == "pause" }.count == 2 && events.filter { $0.kind == "resume" }.count == 2, "\(events.map(\.kind))")
    }

    @Test("An exemption added while recording applies at once, and removing it brings capture back")
    func exemptionWhileRecording() async throws {
        let session = try await TypingSession()
        let added = try session.me.run("exempt", "add", "--app", "UnderstudyTerm")
        let id = try #require(added.stdout.split(separator: "id ").last?.prefix(8)).description
        try await Task.sleep(for: .milliseconds(600))
        try session.x.xdotool("type cd\nsleep 0.6")
        #expect(try session.me.run("exempt", "remove", id).status == 0)
        try await Task.sleep(for: .milliseconds(600))
        try session.x.xdotool("type ef\nsleep 0.8")
        let events = try session.stop()
        #expect(typed(events) == "abef")
        #expect(events.contains { if case .gap(.excludedApp, _, _) = $0.body { true } else { false } })
    }
}

@Suite("Typed text is redacted before storage", .serialized)
struct TypedRedactionTests {
    @Test(
        "A card number, an email and an AWS key typed in a real terminal leave no trace in the log, only redacted events; so does a password typed after sudo"
    )
    func typedSecrets() async throws {
        let metrics = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-\(UUID().uuidString).prom").path
        defer { try? FileManager.default.removeItem(atPath: metrics) }
        let session = try await TypingSession(arguments: ["--metrics-file", metrics])
        let planted = ["4111 1111 1111 1111", "jane.doe@example.org", "AKIAIOSFODNN7EXAMPLE", "Wh1sper-Quiet-77"]
        try session.x.xdotool(
            """
            type --delay 20 "card \(planted[0]) mail \(planted[1]) key \(planted[2])"
            key Return
            sleep 0.3
            type --delay 20 "sudo true"
            key Return
            sleep 0.3
            type --delay 20 "\(planted[3])"
            key Return
            sleep 0.3
            type --delay 20 "done"
            key Return
            sleep 2
            """)
        let (events, stderr) = try session.stop(keepVault: false)
        let log = events.map(\.json.serialized).joined(separator: "\n")  // exactly `understudy log --json`
        #expect(typed(events).hasPrefix("abcard  mail  key sudo truedone"), "\(typed(events))")
        let redacted = events.compactMap { e -> RedactionKind? in if case .redacted(let what, _, _) = e.body { what } else { nil } }
        #expect(redacted == [.creditCard, .email, .secret, .password])
        // No planted value anywhere in the log, and no run of its digits or letters in anything
        // typed: key names and text, in order (hashes and times elsewhere in the log hold digit runs by chance).
        let keys = events.compactMap { e -> String? in
            switch e.body {
            case .keyDown(let key, _, _, let text): text ?? (key.count == 1 ? key : " ")
            default: nil
            }
        }.joined()
        for value in planted {
            #expect(!log.contains(value))
            for run in value.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) where run.count >= 4 {
                #expect(!keys.contains(String(run)), "\(run) leaked in what was typed: \(keys)")
            }
        }
        // The recorder logged at trace level, and no log line holds a planted value or a word of one
        // (digit runs alone are left out: ids and times hold them by chance).
        #expect(stderr.contains("recording started") && stderr.contains("recording stopped"), "\(stderr.suffix(2000))")
        for value in planted {
            #expect(!stderr.contains(value), "\(value) in the recorder's log")
            for run in value.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) where run.count >= 4 && run.contains(where: \.isLetter) {
                #expect(!stderr.contains(String(run)), "\(run) in the recorder's log: \(stderr.suffix(2000))")
            }
        }
        // Its counters, as node-exporter's textfile collector reads them: redactions of each kind (frames of the terminal add their own).
        let families = try Python.run(
            """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            print(json.dumps({s.name + json.dumps(s.labels, sort_keys=True): s.value
                              for f in text_string_to_metric_families(open(sys.argv[1]).read()) for s in f.samples}))
            """, [metrics])
        for kind in ["credit_card", "email", "secret", "password"] {
            #expect(families["understudy_recorder_redactions_total{\"kind\": \"\(kind)\"}"]?.doubleValue ?? 0 >= 1, "\(families.serialized)")
        }
        let keyDowns = events.filter { if case .keyDown = $0.body { true } else { false } }.count
        #expect(families["understudy_recorder_events_captured_total{\"kind\": \"key.down\"}"]?.doubleValue == Double(keyDowns))
        #expect(!(try String(contentsOfFile: metrics, encoding: .utf8)).contains("jane"))
    }

    @Test("A card number typed in a real terminal as 4111 1111, a 2 s pause (longer than the quiet time), then 1111 1111 is redacted whole")
    func cardTypedWithPause() async throws {
        let session = try await TypingSession()
        try session.x.xdotool(
            """
            type --delay 20 "card 4111 1111"
            sleep 2
            type --delay 20 " 1111 1111"
            key Return
            sleep 0.5
            """)
        let events = try session.stop()
        #expect(typed(events) == "abcard ", "\(typed(events))")
        let redacted = events.compactMap { e -> EventBody? in if case .redacted = e.body { e.body } else { nil } }
        #expect(redacted == [.redacted(what: .creditCard, count: 19)])
        let keys = events.compactMap { e -> String? in
            switch e.body {
            case .keyDown(let key, _, _, _), .keyUp(let key, _, _): key
            default: nil
            }
        }
        #expect(!keys.contains("1") && !keys.contains("4"), "a digit's key event was stored: \(keys)")
    }
}

/// `understudy vault frame` on the newest frame, asked again each second (up to 15 s) until
/// `done` says the frame wanted has arrived.
func newestFrame(_ me: Contributor, _ vault: String, out: String, until done: (Understudy.Result) -> Bool) async throws -> Understudy.Result {
    func ask() throws -> Understudy.Result {
        try? FileManager.default.removeItem(atPath: out)  // what is left is the answer's own
        return try me.run("vault", "frame", "--vault", vault, "--out", out, "--json")
    }
    var result = try ask()
    for _ in 0..<15 where !done(result) {
        try await Task.sleep(for: .seconds(1))
        result = try ask()
    }
    return result
}

@Suite("Screen text is redacted by OCR", .serialized)
struct ImageRedactionTests {
    private static let plantedScreen = """
        type --delay 5 "hello world, write to jane.doe@example.org about invoice 4411"
        key Return
        type --delay 5 "card 4111 1111 1111 1111 and the quarterly report"
        key Return
        sleep 2
        """

    private func array(_ value: JSONValue?) -> [JSONValue] { if case .array(let items)? = value { items } else { [] } }

    @Test(
        "A frame the recorder stores of a screen showing a planted email and card has their words filled and records the boxes; its other words are still readable by OCR"
    )
    func storedFrame() async throws {
        let session = try await TypingSession()
        try session.x.xdotool(Self.plantedScreen)
        let me = session.me
        try FileManager.default.createDirectory(at: me.config, withIntermediateDirectories: true)
        let frame = me.config.appendingPathComponent("frame.png").path
        // The frame at the typing pause reaches the vault once OCR has read it: wait for it.
        let stored = try await newestFrame(me, session.vault, out: frame) { $0.stdout.contains("credit_card") }
        #expect(stored.status == 0, "\(stored.stderr)")
        let recorderLog = try session.stop(keepVault: false).stderr
        let record = try JSONValue.parse(Data(stored.stdout.utf8))
        let kinds = Set(array(record["redactions"]).compactMap { $0["what"]?.stringValue })
        #expect(kinds == ["email", "credit_card"], "\(stored.stdout)")

        // Reading the stored frame again: the values are gone, everything around them is not.
        let again = try JSONValue.parse(
            Data(try me.run("redact-image", frame, me.config.appendingPathComponent("again.png").path, "--json").stdout.utf8))
        #expect(array(again["boxes"]).isEmpty, "OCR still finds something to redact in the stored frame: \(again.serialized)")
        let lines = array(again["lines"]).compactMap(\.stringValue).joined(separator: "\n")
        // xcalc's buttons read as noise that can hold an "@" of their own: the typed lines are judged for it.
        let typed = lines.split(separator: "\n").filter { $0.contains("invoice") || $0.contains("quarterly") }
        #expect(!typed.contains { $0.contains("@") }, "\(lines)")
        #expect(!lines.contains("4111") && !lines.contains("jane") && !lines.contains("example.org"), "\(lines)")
        // Reading the words beside the boxes again is OCR's best effort on a stored frame: under a
        // loaded CI machine it sometimes garbles a line. That the values are gone (above) stays strict.
        withKnownIssue("OCR sometimes misreads the words beside the boxes", isIntermittent: true) {
            #expect(lines.contains("hello world") && lines.contains("quarterly report") && lines.contains("invoice 4411"), "\(lines)")
        }
        // What OCR read is content: none of it is in the recorder's log, at trace level.
        for word in ["jane", "example.org", "4111", "quarterly", "invoice", "hello world"] {
            #expect(!recorderLog.contains(word), "\(word) in the recorder's log: \(recorderLog.suffix(2000))")
        }
    }

    @Test(
        "A card number typed digit by digit into a real terminal while recording: no stored frame, read again by OCR, shows seven of its digits in a row"
    )
    func cardTypedDigitByDigit() async throws {
        let session = try await TypingSession()
        // A pause after each digit, longer than the typing pause: each digit typed is a stored frame.
        var script = "type --delay 20 \"card \"\nsleep 0.8\n"
        for ch in "4111 1111 1111 1111" { script += "type \"\(ch)\"\nsleep \(ch == " " ? 0.3 : 0.8)\n" }
        try session.x.xdotool(script + "key Return\nsleep 1.5\n")
        let terminal = try session.x.geometry(of: session.term)
        let (events, _) = try session.stop(keepVault: true)
        defer { try? FileManager.default.removeItem(atPath: session.vault) }
        let frames = try StoredFrame.all(session.me, session.vault, events)
        // Read as the recorder reads (2x) and larger (3x): the most digits either reading shows counts.
        let readers = try [TextRecognition(), TextRecognition(scale: 3)]
        var shown: [Int] = []
        for frame in frames {
            let height = frame.pixels.count / 4 / frame.width
            let text = try readers.flatMap { ocr in
                try frame.pixels.withUnsafeBytes {
                    try ocr.lines(
                        in: $0, width: frame.width, height: height, stride: frame.width * 4,
                        region: (terminal[0], terminal[1], min(terminal[2], frame.width - terminal[0]), min(terminal[3], height - terminal[1])))
                }.map { $0.map(\.text).joined(separator: " ") }
            }
            let digits = text.map(Self.longestDigitRun).max() ?? 0
            shown.append(digits)
            #expect(digits < 7, "frame \(frame.hash) shows \(digits) digits in a row: \(text)")
        }
        // Without beginnings, only the frames after the last digit have a card filled.
        let filled = frames.filter { $0.redactions.contains { $0.what == .creditCard } }.count
        #expect(filled >= 5, "frames with a card filled: \(filled) of \(frames.count); digits shown: \(shown)")
        // The frames before the seventh digit show what was typed: what is filled is not everything.
        withKnownIssue("OCR sometimes misreads a digit of the stored frames", isIntermittent: true) {
            #expect(shown.contains(6), "digits shown: \(shown)")
        }
    }

    @Test(
        "Each box stays on its own line: a card and an address typed into a terminal under nine ordinary lines leave the lines above and below unfilled"
    )
    func boxesKeepToTheirLine() async throws {
        var script = ""
        for n in 1...9 { script += "type --delay 5 \"line \(n) of some ordinary text above\"\nkey Return\n" }
        script += "type --delay 5 \"mail jane.doe@example.org card 4111 1111 1111 1111 thanks\"\nkey Return\n"
        script += "type --delay 5 \"after the card line\"\nkey Return\nsleep 2\n"
        // The same screen recorded twice: without frame redaction (where its lines are), then with it.
        func newestFrame(_ session: TypingSession) throws -> StoredFrame {
            try session.x.xdotool(script)
            let (events, _) = try session.stop(keepVault: true)
            defer { try? FileManager.default.removeItem(atPath: session.vault) }
            return try #require(try StoredFrame.all(session.me, session.vault, events).last, "no frame was stored")
        }
        let plainSession = try await TypingSession(policy: policyText(rules: "  - app: NoSuchApp\n    action: exclude", extra: "redaction: []"))
        let terminal = try plainSession.x.geometry(of: plainSession.term)
        let plain = try newestFrame(plainSession)
        let frame = try newestFrame(try await TypingSession())
        let boxes = frame.redactions.map(\.box)
        #expect(Set(frame.redactions.map(\.what)) == [.email, .creditCard], "\(frame.redactions)")
        // The screen's lines, top to bottom, as bands of ink in their first word's columns. `cat`
        // echoes each line: 9 ordinary lines twice, the value line twice, the last line twice,
        // then the cursor's.
        let lines = inkBands(plain, x: terminal[0], to: terminal[0] + 26, y: terminal[1], to: terminal[1] + terminal[3])
        try #require(lines.count >= 22, "expected the terminal's 23 lines as bands of ink, found \(lines.count): \(lines)")
        func shared(_ box: [Int], _ line: Range<Int>) -> Int { min(box[1] + box[3], line.upperBound) - max(box[1], line.lowerBound) }
        // The last ordinary line, above the values.
        for box in boxes { #expect(shared(box, lines[17]) <= 1, "box \(box) covers rows of the line at \(lines[17]) (lines: \(lines))") }
        // The line after the values. Now and then OCR reads the value line's echo and this line
        // as one word starting at the terminal's edge, and the part on this line is not cut back.
        withKnownIssue("OCR sometimes reads two lines at the terminal's left edge as one word", isIntermittent: true) {
            for box in boxes { #expect(shared(box, lines[20]) <= 1, "box \(box) covers rows of the line at \(lines[20]) (lines: \(lines))") }
        }
    }

    /// Rows `y0..<y1` with ink (dark pixels) in columns `x0..<x1`, as bands of consecutive rows.
    private func inkBands(_ frame: StoredFrame, x x0: Int, to x1: Int, y y0: Int, to y1: Int) -> [Range<Int>] {
        let height = frame.pixels.count / 4 / frame.width
        var bands: [Range<Int>] = []
        var start: Int?
        for y in max(0, y0)..<min(height, y1) {
            let ink = (max(0, x0)..<min(frame.width, x1)).contains { x in
                let i = (y * frame.width + x) * 4
                return Int(frame.pixels[i]) + Int(frame.pixels[i + 1]) + Int(frame.pixels[i + 2]) < 384
            }
            if ink, start == nil { start = y }
            if !ink, let s = start {
                bands.append(s..<y)
                start = nil
            }
        }
        if let s = start { bands.append(s..<min(height, y1)) }
        return bands
    }

    /// The most digits in a row in `text`, a single space or dash allowed between them (as cards are grouped).
    private static func longestDigitRun(_ text: String) -> Int {
        text.matches(of: #/\d(?:[ -]?\d)*/#).map { $0.output.count { $0.isNumber } }.max() ?? 0
    }

    @Test("redact-image fills exactly the planted words of an unredacted screenshot, and leaves the rest readable")
    func redactImage() async throws {
        // Frame redaction off, so the stored frame is the screen as it was.
        let session = try await TypingSession(policy: policyText(rules: "  - app: NoSuchApp\n    action: exclude", extra: "redaction: []"))
        try session.x.xdotool(Self.plantedScreen)
        let me = session.me
        let frame = me.config.appendingPathComponent("frame.png").path
        let redacted = me.config.appendingPathComponent("redacted.png").path
        #expect(try me.run("vault", "frame", "--vault", session.vault, "--out", frame).status == 0)
        _ = try session.stop()

        let first = try me.run("redact-image", frame, redacted, "--json")
        #expect(first.status == 0, "\(first.stderr)")
        let answer = try JSONValue.parse(Data(first.stdout.utf8))
        let kinds = Set(array(answer["boxes"]).compactMap { $0["what"]?.stringValue })
        #expect(kinds == ["email", "credit_card"])
        let before = array(answer["lines"]).compactMap(\.stringValue)
        #expect(before.contains { $0.contains("quarterly report") }, "OCR must read the planted screen: \(before)")

        let second = try JSONValue.parse(
            Data(try me.run("redact-image", redacted, me.config.appendingPathComponent("again.png").path, "--json").stdout.utf8))
        let after = array(second["lines"]).compactMap(\.stringValue).joined(separator: "\n")
        #expect(!after.contains("@") && !after.contains("4111") && !after.contains("jane"), "\(after)")
        #expect(after.contains("hello world") && after.contains("quarterly report") && after.contains("invoice 4411"), "\(after)")
    }

    @Test("With card numbers set to drop-frame, a screen showing one is withheld whole: its frame event stays, its pixels were never stored")
    func dropFrame() async throws {
        let yaml = policyText(rules: "  - app: NoSuchApp\n    action: exclude", extra: "redaction:\n  email: redact\n  credit_card: drop-frame")
        let session = try await TypingSession(policy: yaml)
        try session.x.xdotool(Self.plantedScreen)
        let me = session.me
        let frame = me.config.appendingPathComponent("frame.png").path
        let newest = try await newestFrame(me, session.vault, out: frame) { $0.stderr.contains("withheld") }
        let (events, _) = try session.stop(keepVault: true)
        defer { try? FileManager.default.removeItem(atPath: session.vault) }
        #expect(newest.status != 0)
        #expect(newest.stderr.contains("withheld (credit_card)"), "\(newest.stderr)")
        #expect(!FileManager.default.fileExists(atPath: frame))
        let frames = events.compactMap { e -> String? in if case .frame(let hash, _, _, _) = e.body { hash } else { nil } }
        #expect(frames.count >= 2)
        // The frame before the card was typed is stored, with the email filled.
        let first = try me.run("vault", "frame", "--vault", session.vault, "--hash", frames[0], "--out", frame, "--json")
        #expect(first.status == 0, "\(first.stderr)")
    }

    @Test("When Tesseract cannot start, the recorder says so and stores no frame's pixels, only withheld frames")
    func noOCR() async throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-tessdata-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let session = try await TypingSession(environment: ["TESSDATA_PREFIX": empty.path])
        let me = session.me
        let newest = try me.run("vault", "frame", "--vault", session.vault, "--out", me.config.appendingPathComponent("f.png").path)
        let (events, stderr) = try session.stop(keepVault: false)
        #expect(stderr.contains("cannot start Tesseract OCR") && stderr.contains("no frame will be stored"), "\(stderr)")
        #expect(newest.stderr.contains("withheld (ocr-failed)"), "\(newest.stderr)")
        #expect(events.contains { if case .frame = $0.body { true } else { false } })
    }
}

@Suite("Policy commands", .serialized)
struct PolicyCommandTests {
    @Test("A tampered policy is refused; a wider one needs fresh consent; a narrower one applies at once and the session records its hash")
    func signaturesAndConsent() async throws {
        let me = Contributor()
        let base = policyText(rules: "  - app: XCalc\n    action: exclude")
        let policy = try me.signedPolicy(base)
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        func record(_ file: String, _ extra: String...) throws -> Understudy.Result {
            try me.run(["record", "--vault", vault, "--policy", file, "--synthetic-events", "20", "--for", "500ms"] + extra)
        }
        #expect(try record(policy).status == 0)

        try Data((base + "retention: 5d\n").utf8).write(to: URL(fileURLWithPath: policy))  // changed after signing
        let tampered = try record(policy)
        #expect(tampered.status != 0 && tampered.stderr.contains("does not match its signature"))
        #expect(try record(policy, "--unsigned-policy").status == 0, "development override")

        let wider = try me.signedPolicy(base + "retention: 30d\n", consent: false)
        let refused = try record(wider)
        #expect(
            refused.status != 0 && refused.stderr.contains("consent is needed") && refused.stderr.contains("data is kept longer (30d instead of 7d)"))

        let narrower = try me.signedPolicy(
            base.replacingOccurrences(of: "action: exclude", with: "action: exclude\n  - category: social\n    action: exclude") + "retention: 3d\n",
            consent: false)
        #expect(try record(narrower).status == 0)
        let sessions = try me.openVault(vault).sessions()
        let checked = try me.run("policy", "check", narrower).stdout
        let narrowerHash = try #require(checked.range(of: "sha256 ").map { String(checked[$0.upperBound...].prefix(64)) })
        #expect(sessions.last?.policyHash == narrowerHash)
        #expect(sessions.count == 3 && sessions[1].policyUnsigned && !sessions[2].policyUnsigned)
        #expect(try me.openVault(vault).settings().retentionSeconds == 3 * 86400, "the vault keeps data no longer than the policy allows")
    }

    @Test("policy check names the line of each mistake; explain reads as plain words")
    func checkAndExplain() throws {
        let me = Contributor()
        let file = me.config.appendingPathComponent("bad.yaml")
        try FileManager.default.createDirectory(at: me.config, withIntermediateDirectories: true)
        try Data(policyText(rules: "  - app: XCalc\n    action: exclued").utf8).write(to: file)
        let check = try me.run("policy", "check", file.path)
        #expect(check.status != 0 && check.stderr.contains("\(file.path):9: 'action': 'exclued' is not an action"), "\(check.stderr)")
        #expect(check.stderr.split(separator: "\n").count == 1)
        let explain = try me.run("policy", "explain", "--default")
        #expect(explain.status == 0 && explain.stdout.contains("It never records") && explain.stdout.contains("understudy pause"))
        let noConsent = try me.run("record", "--vault", temporaryVault(), "--synthetic-events", "10", "--for", "1s")
        #expect(noConsent.status != 0 && noConsent.stderr.contains("consent is needed"))
    }

    @Test("Withdrawing consent stops a running recorder within a second")
    func withdraw() async throws {
        let me = Contributor()
        #expect(try me.run("consent", "accept", "--quiet").status == 0)
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let recorder = try me.start(["record", "--vault", vault, "--synthetic-events", "100"])
        try await waitForRecorder(vault, process: recorder.0)
        let withdrawnAt = WallClock.system.now()
        #expect(try me.run("consent", "withdraw").status == 0)
        let result = Understudy.finish(recorder)
        #expect(WallClock.system.now().timeIntervalSince(withdrawnAt) < 2.5)
        #expect(result.status == 3 && result.stderr.contains("consent was withdrawn"))
        let newest = try #require(try logEvents(me, vault).last)
        #expect(newest.wall < withdrawnAt.addingTimeInterval(1))
    }
}
