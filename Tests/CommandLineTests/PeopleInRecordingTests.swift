import Foundation
import Testing
import UnderstudyModel

@Suite("Other people in a recording")
struct PeopleInRecordingTests {
    @Test(
        "Colleagues' names listed in a terminal, typed and in a window title are stored only as pseudonyms: the title keeps ⟨person:N⟩, typed names are redacted, frames have them boxed"
    )
    func colleagues() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-people-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let list = folder.appendingPathComponent("team.txt")
        try Data("From: Maria Rossi\nTo: Priya Sharma, Olga Petrova\n\nHi Maria,\nBest regards,\nTom Weber\n".utf8).write(to: list)
        let session = try await TypingSession()
        try session.x.xdotool(
            """
            set_window --name "Reply to Maria Rossi" \(session.term)
            sleep 0.6
            type --delay 30 "cat \(list.path)"
            key Return
            sleep 1.5
            type --delay 30 "echo thanks Olga Petrova"
            sleep 1.5
            key Return
            sleep 1.5
            """)
        let (events, recorderLog) = try session.stop(keepVault: true)
        defer { try? FileManager.default.removeItem(atPath: session.vault) }
        let stored = try session.me.run("log", "--vault", session.vault, "--json").stdout
        for planted in ["Maria", "Rossi", "Priya", "Sharma", "Olga", "Petrova", "Weber"] {
            #expect(!stored.contains(planted), "\(planted) is in the vault")
            #expect(!recorderLog.contains(planted), "\(planted) is in the recorder's log")
        }
        let titles = events.compactMap { if case .focus(let w) = $0.body { w.title } else { nil } }
        #expect(titles.contains("Reply to ⟨person:1⟩"), "\(titles)")
        #expect(typed(events).contains("echo thanks "), "\(typed(events))")
        #expect(
            events.contains { if case .redacted(.personName, 12, "⟨person:2⟩") = $0.body { true } else { false } }, "the typed name is not redacted")
        let frames = try StoredFrame.all(session.me, session.vault, events)
        #expect(frames.contains { $0.redactions.filter { $0.what == .personName }.count >= 3 }, "no frame has the listed names boxed")
    }

    @Test(
        "Under a policy that asks for person_name the recorder refuses to start without its name lists, with one line; a policy without it records"
    )
    func nameListsRequired() throws {
        let me = Contributor(extraEnvironment: ["UNDERSTUDY_NAME_LISTS": "/nonexistent/person-names.txt"])
        #expect(try me.run("consent", "accept", "--quiet").status == 0)
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let refused = try me.run("record", "--vault", vault, "--synthetic-events", "10", "--for", "1s")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("the name lists (/nonexistent/person-names.txt) are missing"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        let policy = try me.signedPolicy(policyText(rules: "  - app: nothing-here\n    action: exclude", extra: "redaction: [email, credit_card]"))
        let recorded = try me.run("record", "--vault", vault, "--policy", policy, "--synthetic-events", "10", "--for", "1s")
        #expect(recorded.status == 0, "\(recorded.stderr)")
    }
}
