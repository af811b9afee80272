import Foundation
import Testing
import UnderstudyModel

@testable import Privacy

/// Review finding M6: secrets typed in groups, with pauses or across the fields of a form,
/// must be judged whole; what a pause commits cannot be taken back.
@Suite("Secrets typed in pieces")
struct SecretsTypedInPiecesTests {
    let redactor = KeystrokeRedactor(kinds: Set(RedactionKind.allCases))

    static let s: UInt64 = 1_000_000_000

    func typing(_ text: String, from t: UInt64) -> [CapturedEvent] { KeystrokeRedactionTests.typing(text, from: t) }
    func key(_ name: String, at t: UInt64) -> [CapturedEvent] { KeystrokeRedactionTests.key(name, at: t) }
    func text(_ events: [CapturedEvent]) -> String { KeystrokeRedactionTests.text(events) }
    func redacted(_ events: [CapturedEvent]) -> [EventBody] { events.map(\.body).filter { $0.kind == "redacted" } }

    /// The key names of the key events that were stored.
    func keys(_ events: [CapturedEvent]) -> String {
        events.compactMap { e -> String? in
            switch e.body {
            case .keyDown(let key, _, _, _), .keyUp(let key, _, _): key.count == 1 ? key : nil
            default: nil
            }
        }.joined()
    }

    @Test("A card number typed as 4111 1111, a 2 s pause, then 1111 1111 is redacted whole; the pause commits only the word before it")
    func cardWithPause() {
        let first = typing("pay 4111 1111", from: 1 * Self.s)  // the last key at 1.6 s
        var out = redactor.process(first)
        out += redactor.tick(nowNs: 3_600_000_000)
        #expect(text(out) == "pay ", "the finished word goes out after the pause, the digits wait")
        let second = typing(" 1111 1111", from: 3_700_000_000) + key("Return", at: 5 * Self.s)
        out += redactor.process(second)
        #expect(text(out) == "pay ")
        #expect(redacted(out) == [.redacted(what: .creditCard, count: 19)])
        #expect(!keys(out).contains("1"), "no key event of a digit is stored: \(keys(out))")
        // Nothing was moved in time: every stored event is a captured one, with its capture time, in order.
        let captured = first + second
        #expect(out.filter { $0.body.kind != "redacted" }.allSatisfy { captured.contains($0) })
        #expect(out.map(\.tNs) == out.map(\.tNs).sorted())
        #expect(out.first { $0.body.kind == "redacted" }?.tNs == first[8].tNs, "the marker has the first digit's time")
    }

    @Test("A card number, then after a pause its expiry date, is still found: holding the digits for more never loses a finding")
    func cardThenExpiry() {
        var out = redactor.process(typing("4111 1111 1111 1111", from: 1 * Self.s))
        out += redactor.tick(nowNs: 4 * Self.s)
        // What the pause found stays found, whatever the line read whole gives (read whole, the
        // card is found inside the run of digits too: NumbersAmongDigitsTests).
        out += redactor.process(typing(" 12/27", from: 5 * Self.s) + key("Return", at: 6 * Self.s))
        #expect(redacted(out) == [.redacted(what: .creditCard, count: 19)])
        #expect(text(out) == " 12/27")
    }

    @Test("A typed name is removed and stands as the person's pseudonym, the same each time it is typed; the contributor's own as their token")
    func typedNames() {
        let identity = SelfIdentity(names: ["Alice Martin"])
        let redactor = KeystrokeRedactor(kinds: Set(RedactionKind.allCases), identity: identity)
        var out = redactor.process(typing("Hi Maria Rossi,", from: 1 * Self.s) + key("Return", at: 2 * Self.s))
        out += redactor.process(typing("ask Maria Rossi", from: 3 * Self.s) + key("Return", at: 4 * Self.s))
        out += redactor.process(typing("by Alice Martin", from: 5 * Self.s) + key("Return", at: 6 * Self.s))
        #expect(text(out) == "Hi ,ask by ")
        #expect(
            redacted(out) == [
                .redacted(what: .personName, count: 11, token: "⟨person:1⟩"), .redacted(what: .personName, count: 11, token: "⟨person:1⟩"),
                .redacted(what: .custom, count: 12, token: "⟨self:name⟩"),
            ])
    }

    @Test("A card number split across a Tab into two fields of eight digits is redacted whole; the Tab and what follows stay")
    func cardAcrossTab() {
        var out = redactor.process(typing("41111111", from: 1 * Self.s) + key("Tab", at: 1_500_000_000))
        #expect(out.isEmpty, "the first field waits for the second")
        out += redactor.process(typing("11111111", from: 1_600_000_000) + key("Tab", at: 2_100_000_000))
        out += redactor.process(typing("Oak Lane", from: 2_200_000_000) + key("Return", at: 3 * Self.s))
        #expect(text(out) == "Oak Lane")
        #expect(redacted(out) == [.redacted(what: .creditCard, count: 16)])
        #expect(out.filter { if case .keyDown("Tab", _, _, _) = $0.body { true } else { false } }.count == 2)
        #expect(out.map(\.tNs) == out.map(\.tNs).sorted())
    }

    @Test("A card number in four fields of four, and a phone number in three fields (415, 555, 2671), are each redacted whole")
    func numbersInFields() {
        var events: [CapturedEvent] = []
        var t = 1 * Self.s
        for group in ["4111", "1111", "1111", "1111", "415", "555", "2671"] {
            events += typing(group, from: t) + key("Tab", at: t + 300_000_000)
            t += 400_000_000
        }
        // A click on "send": the number is complete.
        let click = CapturedEvent(tNs: t, body: .pointerDown(x: 1, y: 2, button: .left))
        let out = redactor.process(events + [click] + typing("ok", from: t + 100_000_000)) + redactor.finish()
        #expect(redacted(out) == [.redacted(what: .creditCard, count: 16), .redacted(what: .phone, count: 10)])
        #expect(text(out) == "ok")
        #expect(out.map(\.tNs) == out.map(\.tNs).sorted())
    }

    @Test("An IBAN typed in groups, with a pause after each few, is redacted whole")
    func ibanWithPauses() {
        var out = redactor.process(typing("iban DE89 3704", from: 1 * Self.s))
        out += redactor.tick(nowNs: 4 * Self.s)
        out += redactor.process(typing(" 0044 0532", from: 5 * Self.s))
        out += redactor.tick(nowNs: 8 * Self.s)
        out += redactor.process(typing(" 0130 00", from: 9 * Self.s))
        out += redactor.tick(nowNs: 12 * Self.s)
        #expect(text(out) == "iban ")
        out += redactor.process(typing(" thanks", from: 13 * Self.s)) + redactor.tick(nowNs: 16 * Self.s)
        #expect(text(out) == "iban  thanks", "a finished word after it lets it go")
        #expect(redacted(out) == [.redacted(what: .iban, count: 27)])
    }

    @Test("A phone number typed in groups with a pause is redacted whole, though its first eight digits already look like one")
    func phoneWithPause() {
        var out = redactor.process(typing("call +44 20 7946", from: 1 * Self.s))
        out += redactor.tick(nowNs: 4 * Self.s)
        #expect(text(out) == "call ")
        out += redactor.process(typing(" 0958", from: 5 * Self.s) + key("Return", at: 6 * Self.s))
        #expect(text(out) == "call ")
        #expect(redacted(out) == [.redacted(what: .phone, count: 16)])
    }

    @Test("An address typed with a pause after its local part, and a password typed after a pause that follows `password:`, are redacted")
    func wordsWithPauses() {
        var out = redactor.process(typing("mail jane.doe", from: 1 * Self.s))
        out += redactor.tick(nowNs: 4 * Self.s)
        out += redactor.process(typing("@example.org", from: 5 * Self.s) + key("Return", at: 6 * Self.s))
        #expect(text(out) == "mail ")
        #expect(redacted(out) == [.redacted(what: .email, count: 20)])
        out = redactor.process(typing("password: ", from: 7 * Self.s))
        out += redactor.tick(nowNs: 10 * Self.s)
        #expect(text(out) == "password: ", "nothing in it may be a secret: it goes")
        out += redactor.process(typing("Tr0ub4dor&3xq", from: 11 * Self.s) + key("Return", at: 12 * Self.s))
        #expect(text(out) == "password: ")
        #expect(redacted(out) == [.redacted(what: .secret, count: 13)])
    }

    @Test("The line after sudo typed with a pause, or ssh with a Tab completion, is still a command that asks for a password")
    func commandWithPause() {
        var out = redactor.process(typing("sudo", from: 1 * Self.s))
        out += redactor.tick(nowNs: 4 * Self.s)
        out += redactor.process(typing(" apt update", from: 5 * Self.s) + key("Return", at: 6 * Self.s))
        out += redactor.process(typing("hunter2 plain", from: 7 * Self.s) + key("Return", at: 8 * Self.s))
        #expect(text(out) == "sudo apt update")
        #expect(redacted(out) == [.redacted(what: .password, count: 13)])
        out = redactor.process(typing("ssh build-", from: 9 * Self.s) + key("Tab", at: 10 * Self.s) + key("Return", at: 11 * Self.s))
        out += redactor.process(typing("correct horse", from: 12 * Self.s) + key("Return", at: 13 * Self.s))
        #expect(text(out) == "ssh build-")
        #expect(redacted(out) == [.redacted(what: .password, count: 13)])
    }

    @Test("Ordinary text typed with pauses still goes out after the quiet time, each part in full, numbers in finished words too")
    func ordinaryText() {
        var out = redactor.process(typing("see you at the station", from: 1 * Self.s))
        #expect(redactor.tick(nowNs: 2_500_000_000).isEmpty, "still typing")
        out += redactor.tick(nowNs: 3_800_000_000)
        #expect(text(out) == "see you at the station")
        out += redactor.process(typing(", it costs 40 euros.", from: 5 * Self.s))
        out += redactor.tick(nowNs: 8 * Self.s)
        #expect(text(out) == "see you at the station, it costs 40 euros.")
        out = redactor.process(typing("hello notes", from: 9 * Self.s) + key("Tab", at: 10 * Self.s))
        #expect(text(out) == "hello notes", "Tab after words is a boundary, as before")
    }

    @Test("A held tail waits at most maxTailNs from its first key, then is judged on its own; a long run keeps only its last groups")
    func bounds() {
        var out = redactor.process(typing("pay 4111 1111", from: 1 * Self.s))
        out += redactor.tick(nowNs: 4 * Self.s)
        #expect(text(out) == "pay ")
        let firstDigit = 1 * Self.s + 4 * 50_000_000
        #expect(redactor.tick(nowNs: 30 * Self.s).isEmpty, "waiting for the rest")
        #expect(redactor.tick(nowNs: firstDigit + KeystrokeRedactor.maxTailNs - 1).isEmpty)
        out += redactor.tick(nowNs: firstDigit + KeystrokeRedactor.maxTailNs)
        #expect(text(out) == "pay 4111 1111", "half a card is no card: judged on its own, it is kept")

        let groups = String(repeating: "1234 ", count: 30) + "5678"  // 154 characters, no secret
        let long = KeystrokeRedactor(kinds: Set(RedactionKind.allCases))
        let committed = text(long.process(typing(groups, from: 1 * Self.s)) + long.tick(nowNs: 20 * Self.s))
        let tail = text(long.finish())
        #expect(committed + tail == groups)
        #expect(tail.count <= TypedTail.maxLength && tail.hasPrefix("1234 "), "\(tail)")
    }

    @Test("The tail of typed text: groups of a number, words a secret may begin with; not finished words")
    func tails() {
        func tail(_ text: String) -> String? {
            let pieces = text.map(String.init)
            return TypedTail.start(of: pieces).map { pieces[$0...].joined() }
        }
        #expect(tail("pay 4111 1111") == "4111 1111")
        #expect(tail("pay 4111 ") == "4111 ")
        #expect(tail("iban GB82 WEST 1234") == "GB82 WEST 1234")
        #expect(tail("nino AB 12 34 56 C") == "AB 12 34 56 C")
        #expect(tail("call +1 (415) 555-26") == "+1 (415) 555-26")
        #expect(tail("mail jane.doe@exa") == "jane.doe@exa")
        #expect(tail("export TOKEN=ghp_abc") == "TOKEN=ghp_abc")
        #expect(tail("hello world") == nil)
        #expect(tail("it costs 40 euros.") == nil)
        #expect(tail("jane.doe@example.org ") == nil)
        #expect(tail("4111  ") == nil)
    }
}
