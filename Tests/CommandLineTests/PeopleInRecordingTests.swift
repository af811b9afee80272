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

    @Test(
        "Through the collector, a reviewer's steps and pages, a scientist's export and the contributor's own download hold a colleague only as a pseudonym and the contributor's name only as its token"
    )
    func throughTheCollector() async throws {
        let org = try Organisation()
        let made = try org.me.run(["admin", "enroll-code", "--contributor", "alice", "--display-name", "Zorbala Quenth", "--json"] + org.admin)
        let code = try JSONValue.parse(Data(made.stdout.utf8))["code"]?.stringValue ?? ""
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        #expect(try org.me.run("enroll", "--server", org.collector.url, "--code", code, "--vault", vault).status == 0)
        _ = try await org.record(typing: "Hi Maria Rossi, Zorbala Quenth here", into: vault)
        let synced = try org.me.run("sync", "--vault", vault)
        #expect(synced.status == 0, "\(synced.stderr)")
        let rita = try org.staff("rita", role: "reviewer")
        let sam = try org.staff("sam", role: "scientist")

        var seen: [(String, String)] = []  // (where, what it held)
        let listed = try org.me.run(["admin", "review", "list", "--json"] + rita).stdout
        for segment in listed.split(separator: "\n").compactMap({ try? JSONValue.parse(Data($0.utf8))["id"]?.stringValue }) {
            let pages = org.me.config.appendingPathComponent("pages-\(segment)")
            let opened = try org.me.run(["admin", "review", "open", segment, "--json", "--out", pages.path] + rita)
            #expect(opened.status == 0, "\(opened.stderr)")
            seen.append(("the reviewer's steps", opened.stdout))
            seen += try Self.texts(under: pages).map { ("the reviewer's page \($0.0)", $0.1) }
        }
        let export = org.me.config.appendingPathComponent("export")
        let exported = try org.me.run(["export", "--format", "jsonl", "--out", export.path] + sam)
        #expect(exported.status == 0, "\(exported.stderr)")
        seen += try Self.texts(under: export).map { ("the scientist's \($0.0)", $0.1) }
        seen.append(("the contributor's download", try org.downloadedEvents().joined(separator: "\n")))
        for (place, text) in seen {
            for planted in ["Maria", "Rossi", "Zorbala", "Quenth"] { #expect(!text.contains(planted), "\(planted) is in \(place)") }
        }
        let steps = seen.filter { $0.0.hasSuffix("steps.jsonl") }.map(\.1).joined()
        #expect(steps.contains("Hi ⟨person:1⟩, ⟨self:name⟩ here"), "\(steps)")
    }

    /// The text files under `folder` (JSON, HTML), by name.
    static func texts(under folder: URL) throws -> [(String, String)] {
        let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        return try files.filter { ["json", "jsonl", "html"].contains($0.pathExtension) }.map {
            ($0.lastPathComponent, String(decoding: try Data(contentsOf: $0), as: UTF8.self))
        }
    }
}
