import Capture
import Foundation
import TestSupport
import Testing
import UnderstudyModel

/// Pages served on 127.0.0.1 under made-up host names, which resolve to loopback inside the
/// browser only (Chromium's `--host-resolver-rules`): nothing leaves the machine.
final class LocalSite {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-site-\(UUID().uuidString)")
    let port: Int
    private let server = Process()

    init(pages: [String: String]) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, html) in pages { try Data(html.utf8).write(to: folder.appendingPathComponent(name)) }
        port = Int.random(in: 20_000...40_000)
        server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        server.arguments = ["-m", "http.server", "--bind", "127.0.0.1", "--directory", folder.path, "\(port)"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        for _ in 0..<100 {
            if (try? Data(contentsOf: URL(string: "http://127.0.0.1:\(port)/")!)) != nil { return }
            usleep(50_000)
        }
    }

    deinit {
        // Polled: Foundation's waitUntilExit can hang on a thread that did not launch the process.
        kill(server.processIdentifier, SIGKILL)
        for _ in 0..<100 where server.isRunning { usleep(20_000) }
        try? FileManager.default.removeItem(at: folder)
    }
}

/// A browser the tests drive, started with accessibility on (or, for the fail-closed case,
/// as a browser is started by default), on a fresh profile in which the made-up hosts
/// resolve to loopback.
struct BrowserUnderTest: CustomTestStringConvertible, Sendable {
    let name: String
    let windowClass: String
    let accessible: Bool

    static let chromium = BrowserUnderTest(name: "Chromium", windowClass: "Chromium", accessible: true)
    static let firefox = BrowserUnderTest(name: "Firefox ESR", windowClass: "firefox", accessible: true)
    static let chromiumWithoutAccessibility = BrowserUnderTest(name: "Chromium without accessibility", windowClass: "Chromium", accessible: false)

    var testDescription: String { name }

    /// Starts it on `url`, in a private window (incognito) when `privateWindow`.
    func start(in x: XSession, profile: URL, at url: String, privateWindow: Bool = false) throws {
        if windowClass == "Chromium" {
            let accessibility = (accessible ? ["--force-renderer-accessibility"] : []) + (privateWindow ? ["--incognito"] : [])
            try x.launch(
                "/usr/bin/chromium",
                accessibility + [
                    "--no-sandbox", "--user-data-dir=\(profile.path)", "--no-first-run", "--no-default-browser-check", "--disable-gpu",
                    "--disable-features=Translate", "--password-store=basic", "--host-resolver-rules=MAP *.example 127.0.0.1",
                    "--window-position=0,0", "--window-size=1200,800", url,
                ], environment: accessible ? ["ACCESSIBILITY_ENABLED": "1"] : [:])
        } else {
            try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
            try Data(Self.firefoxPreferences.utf8).write(to: profile.appendingPathComponent("user.js"))
            try x.launch(
                "/usr/bin/firefox-esr", ["--no-remote", "--profile", profile.path] + (privateWindow ? ["--private-window"] : []) + [url],
                environment: ["GNOME_ACCESSIBILITY": "1"])
        }
        try x.waitForWindow(class: windowClass, retrying: true)
        try x.xdotool("search --onlyvisible --class \(windowClass) windowmove %@ 0 0 windowsize %@ 1200 800")
    }

    /// A quiet first start: no welcome pages, no update or telemetry traffic, HTTP kept as typed.
    static let firefoxPreferences = """
        user_pref("network.dns.localDomains", "notes-probe.example,bank-probe.example,diary-probe.example");
        user_pref("browser.aboutwelcome.enabled", false);
        user_pref("browser.startup.homepage_override.mstone", "ignore");
        user_pref("startup.homepage_welcome_url", "");
        user_pref("browser.shell.checkDefaultBrowser", false);
        user_pref("datareporting.policy.dataSubmissionEnabled", false);
        user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
        user_pref("app.update.enabled", false);
        user_pref("dom.security.https_first", false);
        user_pref("dom.security.https_first_schemeless", false);
        user_pref("browser.safebrowsing.malware.enabled", false);
        user_pref("browser.safebrowsing.phishing.enabled", false);
        user_pref("signon.rememberSignons", false);
        user_pref("accessibility.force_disabled", 0);
        """
}

/// One recording of a browser on the notes page (typing, then a password), then on the
/// excluded bank page (typing): what was stored, and where the browser's window was.
struct BrowserSession {
    static let pages = [
        "notes.html": """
        <html><head><title>Notes</title></head><body style="margin:0">
        <input id="note" autofocus style="position:absolute;left:40px;top:40px;width:300px;height:30px">
        <input id="secret" type="password" style="position:absolute;left:200px;top:300px;width:300px;height:30px">
        <button id="send" onclick="document.getElementById('note').focus()"
          style="position:absolute;left:600px;top:100px;width:400px;height:300px">Send</button>
        <div role="note" aria-label="Card on file 4111 1111 1111 1111" style="position:absolute;left:40px;top:500px;width:20px;height:20px"></div>
        </body></html>
        """,
        "signin.html": """
        <html><head><title>Sign in to Probebank</title></head><body><input id="user" autofocus></body></html>
        """,
    ]
    /// Never to be stored: the URL's query, the password, what was typed on the excluded site,
    /// its host and title (Chromium's own "Sign in to Chromium?" button is not the page's), and the card number only an element's name (`aria-label`) holds.
    static let planted = ["planted-Token-5521", "Sekr1t-Pass-99", "alice-bank-user", "bank-probe", "Probebank", "4111 1111 1111 1111"]

    let me: Contributor
    let events: [Event]
    let frames: [StoredFrame]
    let recorderLog: String
    let vaultLog: String
    let status: String
    /// The review page (headers and HTML) while the recorder ran.
    let reviewPage: String
    let window: [Int]
    let notesURL: String
    /// Where the test clicked the Send button.
    let click: (x: Int, y: Int)
    /// The steps of a JSON lines export of the recording, and a pyautogui export's scripts.
    let steps: [JSONValue]
    let scripts: String
    /// The `a11y.json` members of a WebDataset export.
    let sampleSnapshots: [AccessibilitySnapshot]

    init(_ browser: BrowserUnderTest) async throws {
        let site = try LocalSite(pages: Self.pages)
        defer { withExtendedLifetime(site) {} }  // serving until the recording ends, not until its last mention
        let x = try XSession(accessibility: true)
        me = Contributor(extraEnvironment: ["DBUS_SESSION_BUS_ADDRESS": x.environment["DBUS_SESSION_BUS_ADDRESS"] ?? ""])
        let policy = try me.signedPolicy(policyText(rules: "  - site: bank-probe.example\n    action: exclude"))
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let recorder = try me.start(["record", "--display", x.display, "--vault", vault, "--policy", policy, "--log-level", "trace"])
        try await me.waitUntilRecording(vault, recorder)
        // A terminal beside the browser, to look at the browser while another window has focus.
        try x.launch("/usr/bin/xterm", "-class", "UnderstudyTerm", "-geometry", "40x20+1300+100", "-e", "cat")
        try x.waitForWindow(class: "UnderstudyTerm")
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-browser-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        notesURL = "http://notes-probe.example:\(site.port)/notes.html"
        try browser.start(in: x, profile: profile, at: notesURL + "?token=planted-Token-5521#top")
        try await Task.sleep(for: .seconds(5))  // the page loads and reaches the bus
        // The client area's top left; the page starts below the browser's toolbars (under 230 px),
        // so this point is inside the button (page 600-1000 x 100-400) whatever their height.
        let client = try x.geometry(of: x.window(class: browser.windowClass))
        click = (client[0] + 800, client[1] + 330)
        // The pause after switching to the terminal: the recorder learns of a focus change from the
        // window manager's property change, which can come a few ms after the next key press, and
        // a key that soon is judged by the window before (the excluded bank: dropped).
        try x.xdotool(
            """
            mousemove \(click.x) \(click.y)
            sleep 0.3
            click 1
            sleep 0.8
            type --delay 40 "hello notes"
            key Tab
            sleep 0.8
            type --delay 40 "Sekr1t-Pass-99"
            sleep 0.5
            key ctrl+l
            sleep 0.3
            type --delay 20 "http://bank-probe.example:\(site.port)/signin.html"
            key Return
            sleep 3
            type --delay 40 "alice-bank-user"
            sleep 1
            windowactivate --sync \(try x.window(class: "UnderstudyTerm"))
            sleep 0.3
            type --delay 40 "beside"
            sleep 1.5
            """)
        status = try me.run("status", "--vault", vault).stdout
        // The review page, as the contributor's browser would get it, while the recorder runs.
        let page = try ReviewPage(me, vault: vault)
        let jar = me.config.appendingPathComponent("review-cookies").path
        _ = try ReviewPage.curl("-c", jar, page.address)
        reviewPage = try ReviewPage.curl("-b", jar, page.origin + "/")
        page.stop()
        window = try x.geometry(of: x.window(class: browser.windowClass))
        kill(recorder.0.processIdentifier, SIGINT)
        let result = Understudy.finish(recorder)
        #expect(result.status == 0, "\(result.stderr.suffix(3000))")
        recorderLog = result.stderr
        events = try logEvents(me, vault)
        vaultLog = try me.run("log", "--vault", vault, "--json").stdout
        frames = try StoredFrame.all(me, vault, events)
        let out = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let keepAll = ["--min-actions", "1", "--max-redacted-share", "1", "--max-interrupted-share", "1"]
        let exported = try me.run(["export", "--vault", vault, "--format", "jsonl", "--out", out + "/jsonl"] + keepAll)
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(try me.run(["export", "--vault", vault, "--format", "pyautogui", "--out", out + "/py"] + keepAll).status == 0)
        var steps: [JSONValue] = []
        var scripts = ""
        for folder in (try? FileManager.default.contentsOfDirectory(atPath: out + "/jsonl")) ?? [] {
            let lines = (try? String(contentsOfFile: "\(out)/jsonl/\(folder)/steps.jsonl", encoding: .utf8)) ?? ""
            steps += try lines.split(separator: "\n").map { try JSONValue.parse(Data($0.utf8)) }
        }
        for file in (try? FileManager.default.contentsOfDirectory(atPath: out + "/py")) ?? [] where file.hasSuffix(".py") {
            scripts += (try? String(contentsOfFile: "\(out)/py/\(file)", encoding: .utf8)) ?? ""
        }
        (self.steps, self.scripts) = (steps, scripts)
        #expect(try me.run(["export", "--vault", vault, "--format", "webdataset", "--out", out + "/wds"] + keepAll).status == 0)
        sampleSnapshots = try Self.snapshots(inShards: out + "/wds")
    }

    /// Every `.a11y.json` member of the shards in `folder` that holds a snapshot, read as one.
    static func snapshots(inShards folder: String) throws -> [AccessibilitySnapshot] {
        var found: [AccessibilitySnapshot] = []
        for shard in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where shard.hasSuffix(".tar") {
            let members = try tool("/usr/bin/tar", "-tf", "\(folder)/\(shard)").split(separator: "\n").filter { $0.hasSuffix(".a11y.json") }
            for member in members {
                let json = try JSONValue.parse(Data(try tool("/usr/bin/tar", "-xOf", "\(folder)/\(shard)", String(member)).utf8))
                guard json["available"] == .bool(true) else { continue }
                let nodes = try JSONValue.parse(Data((json["nodes"]?.stringValue ?? "").utf8))
                let snapshot = AccessibilitySnapshot(json: .object([("truncated", json["truncated"] ?? .null), ("nodes", nodes)]))
                found.append(try #require(snapshot, "\(member) is not a snapshot"))
            }
        }
        return found
    }

    /// What a program prints; it must succeed.
    private static func tool(_ arguments: String...) throws -> String {
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CommandFailureForTests("\(arguments) failed") }
        return String(decoding: data, as: UTF8.self)
    }

    /// The snapshots stored between `from` and `to`.
    func snapshots(from: UInt64 = 0, to: UInt64 = .max) -> [AccessibilitySnapshot] {
        events.compactMap { event in
            guard event.tNs >= from, event.tNs < to, case .accessibilitySnapshot(_, _, let snapshot) = event.body else { return nil }
            return snapshot
        }
    }

    var focusURLs: [String] { events.compactMap { if case .focus(let w) = $0.body { w.url } else { nil } } }

    /// The start of the gap the excluded site left.
    var gapStart: UInt64? {
        events.lazy.compactMap { if case .gap(.excludedApp, let from, _) = $0.body { from } else { nil } }.first
    }

    /// When the terminal beside the browser took focus, after the excluded site was shown.
    var besideFocus: UInt64? {
        events.lazy.filter { event in
            if case .focus(let w) = event.body { w.app == "UnderstudyTerm" && event.tNs > (gapStart ?? 0) } else { false }
        }.first?.tNs
    }

    /// When focus entered the password field, and when it next moved.
    var passwordFocus: (from: UInt64, to: UInt64)? {
        let focus = events.filter { $0.kind == "focus" }
        guard let index = focus.firstIndex(where: { if case .focus(let w) = $0.body { w.passwordField } else { false } }) else { return nil }
        return (focus[index].tNs, index + 1 < focus.count ? focus[index + 1].tNs : .max)
    }

    /// The browser's window on the screen, cut to the screen.
    var windowOnScreen: [Int] {
        let (x, y) = (max(0, window[0]), max(0, window[1]))
        return [x, y, min(window[2], 1920 - x), min(window[3], 1080 - y)]
    }
}

/// A recorder under the default policy (consented) on a fresh X session with its own session
/// and accessibility buses, logging at trace level, into a fresh vault removed with it.
final class BusRecording {
    let x: XSession
    let me: Contributor
    let vault = temporaryVault()
    private let recorder: (Process, Pipe, Pipe)

    init() async throws {
        x = try XSession(accessibility: true)
        me = Contributor(extraEnvironment: ["DBUS_SESSION_BUS_ADDRESS": x.environment["DBUS_SESSION_BUS_ADDRESS"] ?? ""])
        #expect(try me.run("consent", "accept", "--quiet").status == 0)
        recorder = try me.start(["record", "--display", x.display, "--vault", vault, "--log-level", "trace"])
        try await me.waitUntilRecording(vault, recorder)
    }

    deinit { try? FileManager.default.removeItem(atPath: vault) }

    /// Stops the recorder as Ctrl-C does; what it said.
    func stop() -> Understudy.Result {
        kill(recorder.0.processIdentifier, SIGINT)
        return Understudy.finish(recorder)
    }
}

@Suite("Browsers through the accessibility bus", .serialized)
struct BrowserTests {
    @Test(
        "A browser's focus events carry the page's URL without its query; a password field keeps timing only and is filled in frames; a navigation to an excluded site stores no key typed there, only a gap, and blanks the window",
        arguments: [BrowserUnderTest.chromium, .firefox])
    func browser(_ browser: BrowserUnderTest) async throws {
        let session = try await BrowserSession(browser)
        let events = session.events
        #expect(
            session.focusURLs.contains(session.notesURL), "focus URLs: \(session.focusURLs); the recorder said: \(session.recorderLog.suffix(2000))")
        // The policy explained on the page names the site it excludes, as policy explain does: that is the rule, not a capture.
        let explained = session.reviewPage.firstRange(of: #/<details id="policy-explained">.*?</details>/#.dotMatchesNewlines())
        let page = explained.map { session.reviewPage.replacingCharacters(in: $0, with: "") } ?? session.reviewPage
        #expect(explained != nil, "the review page explains the policy")
        for planted in BrowserSession.planted {
            #expect(!session.vaultLog.contains(planted), "\(planted) is in the vault")
            #expect(!session.recorderLog.contains(planted), "\(planted) is in the recorder's log")
            #expect(!page.contains(planted), "\(planted) is on the review page")
        }
        #expect(ReviewPage.status(session.reviewPage) == 200 && session.reviewPage.contains("Recording since"))
        // The timeline says where each segment was: the browser, and the site read through the bus.
        let sites = session.reviewPage.matches(of: #/class="segment-sites">([^<]*)</#).map { String($0.output.1) }.joined(separator: ", ")
        #expect(sites.contains("notes-probe.example"), "the timeline's sites: \(sites)")
        #expect(session.reviewPage.contains("class=\"segment-apps\">"), "the timeline names no app")
        #expect(typed(events).contains("hello notes"), "what was typed on the notes page is kept: \(typed(events))")
        #expect(!typed(events).contains("Sekr1t") && !typed(events).contains("alice"), "\(typed(events))")
        let password = try #require(session.passwordFocus, "focus entering the password field is told")
        let gapStart = try #require(session.gapStart, "the excluded site leaves a gap")

        // The click on Send names the button, with its role and its bounds around the click.
        let clickStep = try #require(session.steps.first { $0["action"]?["type"]?.stringValue == "click" }, "no click step")
        let target = try #require(clickStep["target"].flatMap(AccessibleElement.init(json:)), "the click has no target: \(clickStep)")
        #expect(target.role.contains("button") && target.name == "Send", "\(target)")
        let b = target.bounds
        #expect(session.click.x >= b[0] && session.click.x < b[0] + b[2] && session.click.y >= b[1] && session.click.y < b[1] + b[3], "\(b)")
        #expect(abs(b[2] - 400) <= 4 && abs(b[3] - 300) <= 4, "the button is 400x300 on the page: \(b)")
        #expect(!target.ancestors.isEmpty && !target.id.isEmpty, "\(target)")
        #expect(session.scripts.contains("# target: \(target.role) \"Send\""), "the pyautogui script names the target")
        let typeStep = session.steps.first { $0["action"]?["type"]?.stringValue == "type" }
        let typedInto = typeStep?["target"].flatMap(AccessibleElement.init(json:))
        #expect(typedInto?.role == "entry", "typing's target is the field: \(String(describing: typedInto))")

        let rect = session.windowOnScreen
        let field = 300 * 30
        let beforePassword = session.frames.filter { $0.tNs < password.from && $0.tNs > password.from - 3_000_000_000 }
        let inPassword = session.frames.filter { $0.tNs > password.from && $0.tNs < password.to && $0.tNs < gapStart }
        #expect(!inPassword.isEmpty, "frames were stored while typing the password")
        for frame in beforePassword { #expect(frame.filled(rect) < field / 2, "frame \(frame.hash) before the password field is masked") }
        for frame in inPassword { #expect(frame.filled(rect) >= field, "frame \(frame.hash): the password field is not filled") }
        let beside = try #require(session.besideFocus, "the terminal beside took focus")
        #expect(typed(events).hasSuffix("beside"), "\(typed(events))")
        let onBank = session.frames.filter { $0.tNs > gapStart }
        #expect(onBank.contains { $0.tNs > beside }, "frames were stored while the excluded site was shown beside the terminal")
        for frame in onBank {
            #expect(frame.filled(rect) == rect[2] * rect[3], "frame \(frame.hash) on the excluded site does not blank the browser")
        }

        // Snapshots of the notes page name its button where it is, and its card number only as a marker.
        let onNotes = session.snapshots(to: gapStart)
        let send = onNotes.flatMap(\.nodes).filter { $0.role.contains("button") && $0.name == "Send" }
        #expect(!send.isEmpty, "no snapshot before the excluded site holds the Send button: \(onNotes.count) snapshots")
        #expect(send.allSatisfy { abs($0.bounds[2] - 400) <= 4 && abs($0.bounds[3] - 300) <= 4 }, "\(send.map(\.bounds))")
        #expect(onNotes.flatMap(\.nodes).contains { $0.name.contains("[CREDIT_CARD]") }, "the card number in an element's name is a marker")
        #expect(session.snapshots(from: gapStart, to: beside).isEmpty, "no snapshot while the excluded site had focus")
        #expect(session.sampleSnapshots.contains { $0.nodes.contains { $0.name == "Send" } }, "WebDataset samples carry a11y.json")
    }

    @Test(
        "A private window, Chromium's incognito (which only the bus marks) or Firefox's, is excluded by default: no key or click kept there, no title or address, a gap, and the window blanked in every frame",
        arguments: [BrowserUnderTest.chromium, .firefox])
    func privateWindow(browser: BrowserUnderTest) async throws {
        let site = try LocalSite(pages: [
            "diary.html": "<html><head><title>Private diary</title></head><body><input autofocus style=\"margin:40px\"></body></html>"
        ])
        let recording = try await BusRecording()
        let (x, me, vault) = (recording.x, recording.me, recording.vault)
        try x.launch("/usr/bin/xterm", "-class", "UnderstudyTerm", "-geometry", "40x20+1300+100", "-e", "cat")
        try x.waitForWindow(class: "UnderstudyTerm")
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-browser-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        try browser.start(in: x, profile: profile, at: "http://diary-probe.example:\(site.port)/diary.html", privateWindow: true)
        try await Task.sleep(for: .seconds(5))  // the page loads and reaches the bus
        let client = try x.geometry(of: x.window(class: browser.windowClass))
        try x.xdotool(
            """
            mousemove \(client[0] + 200) \(client[1] + 400)
            click 1
            sleep 0.5
            type --delay 40 "Diary-Entry-4471"
            sleep 1
            windowactivate --sync \(try x.window(class: "UnderstudyTerm"))
            sleep 0.3
            type --delay 40 "beside"
            sleep 1.5
            """)
        let window = try x.geometry(of: x.window(class: browser.windowClass))
        let result = recording.stop()
        #expect(result.status == 0, "\(result.stderr.suffix(3000))")
        let events = try logEvents(me, vault)
        let log = try me.run("log", "--vault", vault, "--json").stdout
        for planted in ["Diary-Entry-4471", "Private diary", "diary-probe"] {
            #expect(!log.contains(planted), "\(planted) is in the vault")
            #expect(!result.stderr.contains(planted), "\(planted) is in the recorder's log")
        }
        // Excluded, not kept as timing only: the only keys are those typed beside, and no click is kept.
        #expect(typed(events) == "beside", "\(typed(events))")
        #expect(events.filter { $0.kind == "key.down" }.count == "beside".count)
        #expect(!events.contains { $0.kind == "pointer.down" })
        let gapStart = try #require(
            events.lazy.compactMap { if case .gap(.excludedApp, let from, _) = $0.body { from } else { nil } }.first, "a gap")
        let rect = [max(0, window[0]), max(0, window[1]), min(window[2], 1920 - max(0, window[0])), min(window[3], 1080 - max(0, window[1]))]
        let frames = try StoredFrame.all(me, vault, events).filter { $0.tNs > gapStart }
        #expect(!frames.isEmpty, "frames were stored after the private window showed")
        for frame in frames { #expect(frame.filled(rect) == rect[2] * rect[3], "frame \(frame.hash) shows the private window") }
    }

    @Test(
        "A Chromium started without accessibility is the policy's unknown-site: no key, title or address stored, its window blanked, and status and the review page say why and how to fix it"
    )
    func chromiumWithoutAccessibility() async throws {
        let session = try await BrowserSession(.chromiumWithoutAccessibility)
        let events = session.events
        #expect(session.focusURLs.isEmpty, "\(session.focusURLs)")
        #expect(!events.contains { $0.kind == "target" }, "an element of the unreadable page was named")
        for planted in BrowserSession.planted + ["hello notes", "Notes"] {
            #expect(!session.vaultLog.contains(planted), "\(planted) is in the vault")
        }
        #expect(typed(events) == "beside", "\(typed(events))")
        let chromiumFocus = events.filter { if case .focus(let w) = $0.body { w.app == "Chromium" } else { false } }
        #expect(!chromiumFocus.isEmpty)
        let rect = session.windowOnScreen
        let afterFocus = session.frames.filter { $0.tNs > (chromiumFocus.first?.tNs ?? .max) }
        #expect(!afterFocus.isEmpty)
        for frame in afterFocus { #expect(frame.filled(rect) == rect[2] * rect[3], "frame \(frame.hash) shows the unreadable page") }
        #expect(session.status.contains("page could not be read"), "\(session.status)")
        #expect(session.status.contains("see the README"), "\(session.status)")
        // The review page says so too, and how to fix it step by step.
        #expect(session.reviewPage.contains("page could not be read"), "\(session.reviewPage.suffix(2000))")
        #expect(session.reviewPage.contains("id=\"accessibility-fix\"") && session.reviewPage.contains("enable-browser-accessibility.sh"))
    }

    @Test("GTK: a password entry is a password field: what is typed there is kept as timing only, what is typed beside it is kept")
    func gtkPasswordEntry() async throws {
        let recording = try await BusRecording()
        let (x, me, vault) = (recording.x, recording.me, recording.vault)
        let program = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-unlock-\(UUID().uuidString).py")
        defer { try? FileManager.default.removeItem(at: program) }
        try Data(Self.unlockProgram.utf8).write(to: program)
        try x.launch("/usr/bin/python3", [program.path], environment: [:])
        try x.waitForWindow(class: "UnderstudyUnlock")
        try await Task.sleep(for: .seconds(1))
        try x.xdotool("type --delay 40 \"gtk visible\"\nkey Tab\nsleep 0.8\ntype --delay 40 \"gtk-Secret-773\"\nsleep 0.8")
        let result = recording.stop()
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        let events = try logEvents(me, vault)
        #expect(typed(events).contains("gtk visible"), "\(typed(events))")
        #expect(!typed(events).contains("Secret"), "\(typed(events))")
        #expect(!(try me.run("log", "--vault", vault, "--json").stdout.contains("gtk-Secret-773")))
        #expect(events.contains { if case .focus(let w) = $0.body { w.passwordField && w.app == "UnderstudyUnlock" } else { false } })
    }

    @Test(
        "Faults: an application that stops answering the bus, or no bus at all, never stalls capture: typing elsewhere is kept, and status says why and counts the timeouts"
    )
    func accessibilityFaults() async throws {
        // An application on the bus whose main loop blocks a second after its window shows.
        let x = try XSession(accessibility: true)
        let me = Contributor(extraEnvironment: ["DBUS_SESSION_BUS_ADDRESS": x.environment["DBUS_SESSION_BUS_ADDRESS"] ?? ""])
        #expect(try me.run("consent", "accept", "--quiet").status == 0)
        let program = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-hung-\(UUID().uuidString).py")
        defer { try? FileManager.default.removeItem(at: program) }
        try Data(Self.hungProgram.utf8).write(to: program)
        try x.launch("/usr/bin/python3", [program.path], environment: [:])
        try x.waitForWindow(class: "UnderstudyHung")
        try await Task.sleep(for: .seconds(2))  // it is hung from now on
        try x.launch("/usr/bin/xterm", "-class", "UnderstudyTerm", "-geometry", "60x20+900+100", "-e", "cat")
        try x.waitForWindow(class: "UnderstudyTerm")
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let recorder = try me.start(["record", "--display", x.display, "--vault", vault, "--log-level", "trace"])
        try await me.waitUntilRecording(vault, recorder)
        try x.xdotool("windowactivate --sync \(try x.window(class: "UnderstudyTerm"))\ntype --delay 40 \"still recording\"\nsleep 2")
        let status = try me.run("status", "--vault", vault).stdout
        kill(recorder.0.processIdentifier, SIGINT)
        let result = Understudy.finish(recorder)
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        #expect(typed(try logEvents(me, vault)) == "still recording")
        #expect(status.contains("calls timed out"), "\(status)")

        // A session bus address with nothing behind it.
        let y = try XSession()
        let alone = Contributor(extraEnvironment: ["DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/understudy-bus"])
        #expect(try alone.run("consent", "accept", "--quiet").status == 0)
        try y.launch("/usr/bin/xterm", "-class", "UnderstudyTerm", "-geometry", "60x20+100+100", "-e", "cat")
        try y.waitForWindow(class: "UnderstudyTerm")
        let second = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: second) }
        let lone = try alone.start(["record", "--display", y.display, "--vault", second])
        try await alone.waitUntilRecording(second, lone)
        // Past 3 s: the recorder once tried the bus again then, and libatspi aborted it.
        try y.xdotool("windowactivate --sync \(try y.window(class: "UnderstudyTerm"))\ntype --delay 40 \"no bus\"\nsleep 4")
        let noBus = try alone.run("status", "--vault", second).stdout
        kill(lone.0.processIdentifier, SIGINT)
        let loneResult = Understudy.finish(lone)
        #expect(loneResult.status == 0, "\(loneResult.stderr.prefix(3000))")
        #expect(typed(try logEvents(alone, second)) == "no bus")
        #expect(noBus.contains("Accessibility: no accessibility bus") && noBus.contains("structure only"), "\(noBus)")
    }

    @Test(
        "A page of 100,000 elements never slows capture: every key press and click there is stored (as text, or as timing only while the page cannot be read in time), and a snapshot of it stays within its node limit, marked cut short when it reaches it"
    )
    func hugePage() async throws {
        // Under this page Chromium, rarely, destroys the window xdotool is typing into (BadWindow from
        // X_GetWindowAttributes, CI of 2e54904): the drive, not capture, failed, so the session is run
        // once more from the start. Any other failure, or a second one, fails the test.
        do {
            try await hugePageSession()
        } catch XSessionError.commandFailed(let message, _) where message.contains("BadWindow") {
            try await hugePageSession()
        }
    }

    private func hugePageSession() async throws {
        let site = try LocalSite(pages: ["huge.html": Self.hugePage])
        defer { withExtendedLifetime(site) {} }
        let recording = try await BusRecording()
        let (x, me, vault) = (recording.x, recording.me, recording.vault)
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-browser-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        try BrowserUnderTest.chromium.start(in: x, profile: profile, at: "http://huge-probe.example:\(site.port)/huge.html")
        try await Task.sleep(for: .seconds(8))  // 100,000 elements reach the bus
        let client = try x.geometry(of: x.window(class: "Chromium"))
        do {
            try drive(x, client)
        } catch {
            _ = recording.stop()
            throw error
        }
        let status = try me.run("status", "--vault", vault, "--json").stdout
        let result = recording.stop()
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        let events = try logEvents(me, vault)
        // The page may be read late, or not at all (its readings run into the deadline): it is then
        // unknown-site, and its keys are timing only. Either way every key press and click is stored.
        #expect(events.filter { $0.kind == "key.down" }.count >= 9, "\(events.filter { $0.kind == "key.down" }.count) key presses")
        #expect(events.filter { $0.kind == "pointer.down" }.count == 2)
        let kept = typed(events)
        #expect(kept.allSatisfy { "huge page".contains($0) } && kept.count <= 9, "only what was typed: \(kept)")
        let snapshots = events.compactMap { if case .accessibilitySnapshot(_, _, let s) = $0.body { s } else { nil } }
        let limit = SnapshotLimits().maxNodes
        #expect(snapshots.allSatisfy { $0.nodes.count <= limit })
        let atLimit = snapshots.filter { $0.nodes.count == limit }
        #expect(atLimit.allSatisfy { $0.truncated }, "a snapshot at the node limit says it was cut short")
        #expect(status.contains("\"counters\""), "status answered while the page was loaded: \(status)")
    }

    /// Clicks the page, then the entry at its top, and types there.
    private func drive(_ x: XSession, _ client: [Int]) throws {
        try x.xdotool(
            """
            mousemove \(client[0] + 600) \(client[1] + 500)
            click 1
            sleep 0.5
            mousemove \(client[0] + 150) \(client[1] + 150)
            click 1
            sleep 0.5
            type --delay 40 "huge page"
            sleep 2
            """)
    }

    /// An entry at the top, then 100,000 elements in rows.
    static let hugePage = """
        <html><head><title>Huge</title></head><body style="margin:0">
        <input id="top" style="position:absolute;left:40px;top:40px;width:300px;height:30px">
        <div id="rows" style="position:absolute;left:0;top:100px"></div>
        <script>
        const rows = document.getElementById("rows");
        for (let r = 0; r < 1000; r++) {
          const row = document.createElement("div");
          for (let c = 0; c < 99; c++) { const cell = document.createElement("span"); cell.textContent = "c" + c + " "; row.appendChild(cell); }
          rows.appendChild(row);
        }
        </script></body></html>
        """

    /// A GTK 3 window that stops answering: a second after it shows, its main loop blocks.
    static let hungProgram = """
        import time
        import gi
        gi.require_version("Gtk", "3.0")
        from gi.repository import Gdk, GLib, Gtk
        GLib.set_prgname("UnderstudyHung")
        Gdk.set_program_class("UnderstudyHung")
        window = Gtk.Window(title="Hung")
        window.add(Gtk.Entry())
        window.set_default_size(300, 80)
        window.show_all()
        GLib.timeout_add(1000, lambda: time.sleep(3600))
        Gtk.main()
        """

    /// A GTK 3 window with an ordinary entry (focused) and a password entry below it.
    static let unlockProgram = """
        import gi
        gi.require_version("Gtk", "3.0")
        from gi.repository import Gdk, GLib, Gtk
        GLib.set_prgname("UnderstudyUnlock")
        Gdk.set_program_class("UnderstudyUnlock")
        window = Gtk.Window(title="Account")
        box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL)
        name, secret = Gtk.Entry(), Gtk.Entry(visibility=False)
        box.pack_start(name, False, False, 4)
        box.pack_start(secret, False, False, 4)
        window.add(box)
        window.set_default_size(400, 120)
        window.connect("destroy", Gtk.main_quit)
        window.show_all()
        name.grab_focus()
        Gtk.main()
        """
}
