import Foundation
import Testing
import UnderstudyModel

@testable import Privacy

@Suite("Other people's names")
struct PersonNameTests {
    /// A redactor for names alone, with a session of its own.
    static func names() -> TextRedactor { TextRedactor(kinds: [.personName, .email]) }

    @Test(
        "A full name is a person without any context: given name, then a family name known or shaped like one, in any of the lists' scripts",
        arguments: [
            ("Can you send the report to Tom Weber before Friday?", "Can you send the report to ⟨person:1⟩ before Friday?"),
            ("Meeting with Anna Maria de la Cruz and John F. Kennedy", "Meeting with ⟨person:1⟩ and ⟨person:2⟩"),
            ("Jean-Pierre Dupont a écrit", "⟨person:1⟩ a écrit"),
            ("Ответ от Иван Петров", "Ответ от ⟨person:1⟩"),
            ("Γιώργος Παπαδόπουλος έγραψε", "⟨person:1⟩ έγραψε"),
            ("Reviewed by Priya Venkataraman and Mark Johnson", "Reviewed by ⟨person:1⟩ and ⟨person:2⟩"),
            ("Gabriel García Márquez", "⟨person:1⟩"),
            ("MARIA ROSSI, Sales", "⟨person:1⟩, Sales"),
        ])
    func fullNames(text: String, stored: String) {
        #expect(Self.names().redact(text).text == stored)
    }

    @Test(
        "Context makes a single or unknown name a person: greetings, titles, mail headers, signatures, mentions, addresses and chat speakers",
        arguments: [
            ("Hi Maria,", "Hi ⟨person:1⟩,"),
            ("Hello Will, thanks!", "Hello ⟨person:1⟩, thanks!"),
            ("Hi Maria and Tom,", "Hi ⟨person:1⟩ and ⟨person:2⟩,"),
            ("Dear Zygmunt,", "Dear ⟨person:1⟩,"),
            ("Liebe Anna, danke", "Liebe ⟨person:1⟩, danke"),
            ("Привет, Олег!", "Привет, ⟨person:1⟩!"),
            ("Dr. Okafor will join", "Dr. ⟨person:1⟩ will join"),
            ("Frau Weber ist im Urlaub", "Frau ⟨person:1⟩ ist im Urlaub"),
            ("From: Rossi <r@example.org>", "From: ⟨person:1⟩ <[EMAIL]>"),
            ("To: \"Weber, Anna\" <a@example.de>; Tom", "To: \"⟨person:1⟩\" <[EMAIL]>; ⟨person:2⟩"),
            ("Cc: Zygmunt Wąsowski", "Cc: ⟨person:1⟩"),
            ("Best regards,\nMaria", "Best regards,\n⟨person:1⟩"),
            ("Thanks, Tom", "Thanks, ⟨person:1⟩"),
            ("@maria.rossi can you check?", "⟨person:1⟩ can you check?"),
            ("ping @will", "ping ⟨person:1⟩"),
            ("Okafor Chidi <chidi@example.ng> wrote:", "⟨person:1⟩ <[EMAIL]> wrote:"),
            ("[10:42] Tom: did it ship?", "[10:42] ⟨person:1⟩: did it ship?"),
            ("<olga> привет", "<⟨person:1⟩> привет"),
            ("Maria Rossi  10:42 AM\nlunch?", "⟨person:1⟩  10:42 AM\nlunch?"),
        ])
    func context(text: String, stored: String) {
        #expect(Self.names().redact(text).text == stored)
    }

    @Test(
        "Common words, products, places, headings and code that look like names are left as they are",
        arguments: [
            "Will the May release include Ruby Gems support?",
            "Mark as read. Grace period ends. Victoria Station. Jordan release notes.",
            "Hello World. Dear Hiring Manager, Hi team, hi all",
            "2026-12-07 10:42:01 INFO Jenkins: build #42 started by scheduler",
            "Warning: Grant Access failed for user admin",
            "export default { name: \"Victoria\", color: \"Rose\" }",
            "def get_maria(): return MariaRossi2",
            "The Paris office uses Jasmine tests and Apache Tomcat.",
            "Max Width, Min Height, Rich Text Editor, Frank Discussion",
            "Summary: Total: 42 items. Next: Page 2. Status: OK",
            "Deploy to Georgia and Virginia regions; Austin and Dallas offices",
        ])
    func wordsStay(text: String) {
        #expect(Self.names().redact(text).text == text)
    }

    @Test("Once a name is found, its parts elsewhere in the text are that person too")
    func partsLater() {
        let text = "From: Maria Rossi\nRossi said Maria would call."
        #expect(Self.names().redact(text).text == "From: ⟨person:1⟩\n⟨person:1⟩ said ⟨person:1⟩ would call.")
    }

    @Test("One person keeps one pseudonym all session, however the name is written; another person gets another")
    func stablePseudonyms() {
        let redactor = Self.names()
        #expect(redactor.redact("Hi Maria,").text == "Hi ⟨person:1⟩,")
        #expect(redactor.redact("Maria Rossi <m@example.org>").text == "⟨person:1⟩ <[EMAIL]>")
        #expect(redactor.redact("To: \"Rossi, Maria\"").text == "To: \"⟨person:1⟩\"")
        #expect(redactor.redact("@maria.rossi").text == "⟨person:1⟩")
        #expect(redactor.redact("Tom Weber replied").text == "⟨person:2⟩ replied")
        // A second Maria is another person, and a lone Rossi later is the one known by that name.
        #expect(redactor.redact("Maria Bianchi").text == "⟨person:3⟩")
        #expect(redactor.redact("Ask Rossi about it").text == "Ask ⟨person:1⟩ about it")
        // Another session numbers from 1 again: the numbers say nothing across sessions.
        #expect(Self.names().redact("Tom Weber").text == "⟨person:1⟩")
    }

    @Test("The contributor's own name is their token, not a pseudonym, in the same text as a colleague's")
    func selfBeforeOthers() {
        let identity = SelfIdentity(names: ["Alice Martin"])
        let redactor = TextRedactor(kinds: [.personName], identity: identity)
        #expect(redactor.redact("From: Alice Martin, To: Maria Rossi").text == "From: ⟨self:name⟩, To: ⟨person:1⟩")
    }

    @Test("A finding is reported as person_name, and a policy without it leaves names alone")
    func kindAndPolicy() {
        let found = Self.names().redact("Hi Maria,").spans
        #expect(found.map(\.what) == [.personName])
        #expect(found.map(\.recognizer) == ["person-name"])
        let off = TextRedactor(kinds: [.email])
        #expect(off.redact("Hi Maria, mail tom@example.org").text == "Hi Maria, mail [EMAIL]")
        #expect(!off.recognizerIDs.contains("person-name"))
    }

    @Test("A very long line is read whole: names at its start and its end are found")
    func longLine() {
        let filler = String(repeating: "lorem ipsum dolor sit amet, ", count: 8_000)
        let text = "Hi Maria, " + filler + " Best regards, Tom Weber"
        let stored = Self.names().redact(text).text
        #expect(stored.hasPrefix("Hi ⟨person:1⟩, "))
        #expect(stored.hasSuffix("Best regards, ⟨person:2⟩"))
    }

    @Test("The shipped lists hold several languages, Cyrillic and Greek scripts among them, and mark names that are also words")
    func shippedLists() throws {
        let lists = try NameLists.shipped()
        #expect(lists.count > 10_000)
        for name in ["maria", "rossi", "müller", "иван", "петров", "γιωργοσ", "παπαδοπουλοσ", "kowalczyk", "yılmaz", "nguyen"] {
            let key = PersonNameFinder.fold(name)
            #expect(lists.given[key] != nil || lists.family[key] != nil, "\(name)")
        }
        #expect(lists.given["will"] == true && lists.given["maria"] == false)
    }

    @Test(
        "A name list file that is missing, cut short or malformed is refused with one line saying where",
        arguments: [
            (nil, "are missing"),
            ("not the header\ng\t0\tMaria\nend\t1\n", "line 1: the first line is not"),
            ("understudy-names 1\ng\t0\tMaria\nf\t0\tRossi\n", "no end line: the file is cut short"),
            ("understudy-names 1\ng\t0\tMaria\nf\t0\tRossi\nend\t5\n", "the end line counts 5 names, the file holds 2"),
            ("understudy-names 1\ng\t0\tMaria\nf\tRossi\nend\t2\n", "line 3: expected KIND<TAB>0|1<TAB>NAME"),
        ] as [(String?, String)])
    func damagedLists(contents: String?, problem: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("names-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        if let contents { try Data(contents.utf8).write(to: file) }
        #expect {
            try NameLists(contentsOf: file)
        } throws: { error in
            "\(error)".contains(problem) && "\(error)".contains("person_name")
        }
    }

    @Test("The built-in policy redacts names, and its explanation says so in plain words")
    func defaultPolicy() {
        #expect(DefaultPolicy.document.policy.redaction.contains(.personName))
        #expect(PolicyExplanation.text(DefaultPolicy.document).contains("other people's names"))
    }
}
