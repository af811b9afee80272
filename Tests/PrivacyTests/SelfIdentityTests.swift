import Foundation
import Testing
import UnderstudyModel

@testable import Privacy

@Suite("The contributor's own identifiers")
struct SelfIdentityTests {
    static let alice = SelfIdentity(
        logins: ["amartin"], names: ["Alice Martin"], emails: ["alice.martin@acme.example"], hosts: ["alice-laptop.acme.example"],
        homes: ["/home/amartin"])
    let redactor = TextRedactor(identity: alice)

    @Test(
        "Login, host, home folder, e-mail and the real name in its usual variants become tokens that say what they were",
        arguments: [
            ("cd /home/amartin/projects, then /home/amartin.", "cd ~/projects, then ~."),
            ("From: Alice Martin <alice.martin@acme.example>", "From: ⟨self:name⟩ <⟨self:email⟩>"),
            ("Martin, Alice wrote:", "⟨self:name⟩ wrote:"),
            ("ALICE  MARTIN, sales", "⟨self:name⟩, sales"),
            ("alice_martin.pdf and a.martin and martin.alice", "⟨self:name⟩.pdf and ⟨self:name⟩ and ⟨self:name⟩"),
            ("ssh alice-laptop; ping alice-laptop.acme.example", "ssh ⟨self:host⟩; ping ⟨self:host⟩"),
            ("-rw-r--r-- 1 amartin staff notes.txt", "-rw-r--r-- 1 ⟨self:user⟩ staff notes.txt"),
        ])
    func tokens(text: String, stored: String) {
        #expect(redactor.redact(text).text == stored)
    }

    @Test(
        "Other people's names (with name redaction off), and words that only contain the contributor's, are left as they are; an address holding the login is redacted whole",
        arguments: [
            ("Martina Alicea and Bob Martin", "Martina Alicea and Bob Martin"),
            ("malice in /home/amartinez/x", "malice in /home/amartinez/x"),
            ("mail bob.amartin@example.org", "mail [EMAIL]"),
            ("a.martin@other.example", "[EMAIL]"),
        ])
    func others(text: String, stored: String) {
        let redactor = TextRedactor(kinds: Set(RedactionKind.allCases).subtracting([.personName]), identity: Self.alice)
        #expect(redactor.redact(text).text == stored)
    }

    @Test("Values that name no one (root, localhost, a two-letter host) are not looked for; with no identity nothing changes")
    func generic() {
        let machine = TextRedactor(identity: SelfIdentity(logins: ["root"], hosts: ["vm", "localhost"], homes: ["/"]))
        #expect(machine.redact("root on vm at localhost in /etc").text == "root on vm at localhost in /etc")
        #expect(TextRedactor(kinds: [.email]).redact("Alice Martin in /home/amartin").text == "Alice Martin in /home/amartin")
    }

    @Test("The contributor's name read off the screen is boxed like any other finding")
    func inFrames() {
        func word(_ text: String, x: Int) -> TextRecognition.Word {
            TextRecognition.Word(text: text, box: [x, 10, text.count * 6, 13], confidence: 90)
        }
        let line = [word("From:", x: 0), word("Alice", x: 36), word("Martin", x: 72)]
        let boxes = ImageRedactor(kinds: [], identity: Self.alice).boxes(in: line, width: 400, height: 40)
        #expect(boxes.count == 1 && boxes[0].what == .custom, "\(boxes)")
        #expect(boxes.first.map { $0.box[0] <= 36 && $0.box[0] + $0.box[2] >= 72 + 36 } == true, "\(boxes)")
    }
}
