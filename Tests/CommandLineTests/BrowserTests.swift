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

@Suite("Browsers through the accessibility bus", .serialized)
struct BrowserTests {
    static let pages = [
        "notes.html": """
        <html><head><title>Notes</title></head><body>
        <input id="note" autofocus><br><input id="secret" type="password">
        </body></html>
        """,
        "signin.html": """
        <html><head><title>Sign in</title></head><body><input id="user" autofocus></body></html>
        """,
    ]

    @Test(
        "Chromium: focus events carry the page's URL without its query; a navigation to an excluded site stores no key typed there, only a gap; a password field keeps timing only"
    )
    func chromium() async throws {
        let site = try LocalSite(pages: Self.pages)
        defer { withExtendedLifetime(site) {} }  // serving until the test ends, not until its last mention
        let x = try XSession(accessibility: true)
        let me = Contributor(extraEnvironment: ["DBUS_SESSION_BUS_ADDRESS": x.environment["DBUS_SESSION_BUS_ADDRESS"] ?? ""])
        let policy = try me.signedPolicy(policyText(rules: "  - site: bank-probe.example\n    action: exclude"))
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let recorder = try me.start(["record", "--display", x.display, "--vault", vault, "--policy", policy, "--log-level", "trace"])
        try await me.waitUntilRecording(vault, recorder)
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let notes = "http://notes-probe.example:\(site.port)/notes.html"
        try x.launch(
            "/usr/bin/chromium",
            [
                "--no-sandbox", "--force-renderer-accessibility", "--user-data-dir=\(profile.path)", "--no-first-run",
                "--no-default-browser-check", "--disable-gpu", "--disable-features=Translate", "--password-store=basic",
                "--host-resolver-rules=MAP *.example 127.0.0.1", "--window-position=0,0", "--window-size=1200,800",
                notes + "?token=planted-Token-5521#top",
            ], environment: ["ACCESSIBILITY_ENABLED": "1"])
        try x.waitForWindow(class: "Chromium", retrying: true)
        try await Task.sleep(for: .seconds(4))  // the page loads and reaches the bus
        try x.xdotool(
            """
            type --delay 40 "hello notes"
            key Tab
            sleep 0.8
            type --delay 40 "Sekr1t-Pass-99"
            sleep 0.5
            key ctrl+l
            type --delay 20 "http://bank-probe.example:\(site.port)/signin.html"
            key Return
            sleep 3
            type --delay 40 "alice-bank-user"
            sleep 1
            """)
        kill(recorder.0.processIdentifier, SIGINT)
        let result = Understudy.finish(recorder)
        #expect(result.status == 0, "\(result.stderr.suffix(3000))")
        let events = try logEvents(me, vault)
        let urls = events.compactMap { if case .focus(let w) = $0.body { w.url } else { nil } }
        #expect(urls.contains(notes), "focus URLs: \(urls); the recorder said: \(result.stderr.suffix(2000))")
        let log = try me.run("log", "--vault", vault, "--json").stdout
        for planted in ["planted-Token-5521", "Sekr1t-Pass-99", "alice-bank-user", "bank-probe", "Sign in"] {
            #expect(!log.contains(planted), "\(planted) is in the vault")
            #expect(!result.stderr.contains(planted), "\(planted) is in the recorder's log")
        }
        #expect(typed(events).contains("hello notes"), "what was typed on the notes page is kept: \(typed(events))")
        #expect(!typed(events).contains("Sekr1t") && !typed(events).contains("alice"), "\(typed(events))")
        let gaps = events.filter { if case .gap(.excludedApp, _, _) = $0.body { true } else { false } }
        #expect(gaps.count >= 1, "the excluded site leaves a gap")
        let passwordFocus = events.contains { if case .focus(let w) = $0.body { w.passwordField } else { false } }
        #expect(passwordFocus, "focus entering the password field is told")
    }
}
