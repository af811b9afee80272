import Foundation
import Testing
import UnderstudyModel

@Suite("The contributor's identity in a recording")
struct IdentityRecordingTests {
    @Test(
        "The contributor's name and address as git knows them, and their home folder, are stored nowhere: a window title keeps a token, typed text is redacted, frames have the name boxed"
    )
    func ownIdentity() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-home-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try Data("[user]\n\tname = Alice Martin\n\temail = alice.martin@acme.example\n".utf8).write(to: home.appendingPathComponent(".gitconfig"))
        let session = try await TypingSession(environment: ["HOME": home.path])
        try session.x.xdotool(
            """
            set_window --name "Notes of Alice Martin" \(session.term)
            sleep 0.6
            type --delay 30 "signed Alice Martin, mail alice.martin@acme.example in \(home.path)/notes"
            sleep 1.5
            key Return
            sleep 1.5
            """)
        let (events, recorderLog) = try session.stop(keepVault: true)
        defer { try? FileManager.default.removeItem(atPath: session.vault) }
        let stored = try session.me.run("log", "--vault", session.vault, "--json").stdout
        for planted in ["Alice", "Martin", "alice.martin", home.lastPathComponent] {
            #expect(!stored.contains(planted), "\(planted) is in the vault")
            #expect(!recorderLog.contains(planted), "\(planted) is in the recorder's log")
        }
        let titles = events.compactMap { if case .focus(let w) = $0.body { w.title } else { nil } }
        #expect(titles.contains("Notes of ⟨self:name⟩"), "\(titles)")
        #expect(typed(events).hasPrefix("absigned "), "\(typed(events))")
        let frames = try StoredFrame.all(session.me, session.vault, events)
        #expect(frames.contains { $0.redactions.contains { $0.what == .custom } }, "no frame has the name boxed")
    }

    @Test(
        "The name and address the organisation gives with the enrolment code reach the device, are kept sealed in the vault, and are redacted when typed; the collector forgets them at enrolment"
    )
    func organisationIdentity() async throws {
        let org = try Organisation()
        // Made-up words no name list holds, so only the organisation's identity can find them.
        let (name, address) = ("Zorbala Quenth", "zq@corp.example")
        let made = try org.me.run(
            ["admin", "enroll-code", "--contributor", "alice", "--display-name", name, "--email", address, "--json"] + org.admin)
        #expect(made.status == 0, "\(made.stderr)")
        let code = try JSONValue.parse(Data(made.stdout.utf8))["code"]?.stringValue ?? ""
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let enrolled = try org.me.run("enroll", "--server", org.collector.url, "--code", code, "--vault", vault)
        #expect(enrolled.status == 0, "\(enrolled.stderr)")
        func holds(_ folder: URL, _ planted: String) throws -> [String] {
            let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
            return try files.filter { url in
                guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { return false }
                return try Data(contentsOf: url).range(of: Data(planted.utf8)) != nil
            }.map(\.path)
        }
        for planted in ["Zorbala", "zq@corp"] {
            #expect(try holds(URL(fileURLWithPath: vault), planted).isEmpty, "\(planted) is in the vault in clear")
            let held = try holds(org.collector.data, planted)
            #expect(held.isEmpty, "the collector still holds \(planted) after enrolment, in \(held)")
        }
        _ = try await org.record(typing: "signed \(name) \(address)", into: vault)
        let stored = try org.me.run("log", "--vault", vault, "--json").stdout
        #expect(stored.contains("\"kind\":\"redacted\""), "nothing was redacted")
        for planted in ["Zorbala", "Quenth", "zq@corp"] { #expect(!stored.contains(planted), "\(planted) is in the vault") }
    }
}
