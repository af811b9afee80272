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
}
