import Foundation
import Testing
import UnderstudyModel

@testable import Privacy

@Suite("Text recognizers")
struct RecognizerTests {
    let redactor = TextRedactor()

    func found(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return redactor.spans(in: text).map { "\($0.what.rawValue):" + String(String.UnicodeScalarView(scalars[$0.start..<$0.end])) }
    }

    @Test(
        "Each recognizer finds its kind",
        arguments: [
            ("write to jane.doe+news@example.co.uk today", "email:jane.doe+news@example.co.uk"),
            ("alice@alice-laptop: ~/payslips", "email:alice@alice-laptop"),
            ("ssh deploy_bot@build-07 -p 22", "email:deploy_bot@build-07"),
            ("call +1 415 555 2671 now", "phone:+1 415 555 2671"),
            ("call +442079460958", "phone:+442079460958"),
            ("office (415) 555-2671", "phone:(415) 555-2671"),
            ("office 415-555-2671.", "phone:415-555-2671"),
            ("london 020 7946 0958", "phone:020 7946 0958"),
            ("paris 06 12 34 56 78", "phone:06 12 34 56 78"),
            ("visa 4111 1111 1111 1111 ok", "credit_card:4111 1111 1111 1111"),
            ("mc 5500-0000-0000-0004", "credit_card:5500-0000-0000-0004"),
            ("amex 378282246310005", "credit_card:378282246310005"),
            ("iban DE89 3704 0044 0532 0130 00 please", "iban:DE89 3704 0044 0532 0130 00"),
            ("iban GB82WEST12345698765432", "iban:GB82WEST12345698765432"),
            ("ssn 123-45-6789", "ssn:123-45-6789"),
            ("nino AB 12 34 56 C", "ssn:AB 12 34 56 C"),
            ("host 192.168.1.20 down", "custom:192.168.1.20"),
            ("v6 2001:db8::8a2e:370:7334 up", "custom:2001:db8::8a2e:370:7334"),
            ("AKIAIOSFODNN7EXAMPLE", "secret:AKIAIOSFODNN7EXAMPLE"),
            ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "secret:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "secret:ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
            ("glpat-Ab3dEf6hIj9kLm2nOp5q", "secret:glpat-Ab3dEf6hIj9kLm2nOp5q"),
            ("xoxb-123456789012-abcdefABCDEF", "secret:xoxb-123456789012-abcdefABCDEF"),
            ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "secret:sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
            ("OPENAI_API_KEY=sk-proj-abcDEF1234567890ghijkl", "secret:sk-proj-abcDEF1234567890ghijkl"),
            (
                "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "secret:eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
                "secret:-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"
            ),
            ("clone https://bob:s3cr3t@git.example.com/repo.git", "secret:https://bob:s3cr3t@git.example.com/repo.git"),
            ("password: Tr0ub4dor&3xq", "secret:Tr0ub4dor&3xq"),
            ("password=@-!2%92T@~J3CBeL", "secret:@-!2%92T@~J3CBeL"),
            ("key: 86a258320390c610bb424ae94206d772", "secret:86a258320390c610bb424ae94206d772"),
            ("SSN (no dashes): 274514050", "ssn:274514050"),
            ("call back 1-619-796-8680 today", "phone:1-619-796-8680"),
            ("Handy 0171 30900496", "phone:0171 30900496"),
            ("Handy 0151 1234 5678 bitte", "phone:0151 1234 5678"),
            ("Tel. (030) 1234 5678", "phone:(030) 1234 5678"),
            ("Büro 089/12345678", "phone:089/12345678"),
            ("call (020) 7946 0958", "phone:(020) 7946 0958"),
            ("mobile 07700 900 123", "phone:07700 900 123"),
            ("appelle 06-12-34-56-78", "phone:06-12-34-56-78"),
            ("bel 06-12345678", "phone:06-12345678"),
            ("kantoor 020 123 4567", "phone:020 123 4567"),
            ("ufficio 02 1234 5678", "phone:02 1234 5678"),
            ("llámame al 612 34 56 78", "phone:612 34 56 78"),
            ("oficina 91 123 45 67", "phone:91 123 45 67"),
            ("chiamami 347 123 4567", "phone:347 123 4567"),
            (
                "push to https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r.git now",
                "secret:https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r.git"
            ),
            ("cache redis://:s3cretPass@cache.internal:6379/0", "secret:redis://:s3cretPass@cache.internal:6379/0"),
            ("IBAN DE89370400440532013000 STRIPE_PAYOUT", "iban:DE89370400440532013000"),
        ])
    func positives(text: String, expected: String) {
        #expect(found(text) == [expected])
        #expect(Self.found(onScreen: text) == [expected], "on screen, the whole value, no more")
    }

    @Test(
        "Look-alikes and near misses are left alone",
        arguments: [
            "card 4111 1111 1111 1112",  // bad Luhn checksum
            "order 2024-11-23-000417",
            "at 2026-11-23 10:04:05 (1700000000)",
            "version 1.2.3.4.5 and v10.0.19045",
            "commit 3f2a9c1d5e7b9a0c2e4f6a8b0c1d2e3f4a5b6c7d",
            "id 123e4567-e89b-12d3-a456-426614174000",
            "ssn-like 000-12-3456 and 666-12-3456 and 912-34-5678",
            "iban-like DE00 3704 0044 0532 0130 00",  // wrong check digits
            "isbn 978-3-16-148410-0 and build 2024.11.23.1",
            "price 1,234,567.89 USD",
            "the password reset link expired",
            "our task-list is risk-free",
            "see example.com or user at host",
            "999.1.1.1 is not an address",
            "password: ********",
            "meeting at 10:04:05, mac 00:1a:2b:3c:4d:5e",
            "logo icon@2x.png and sprite@3x.webp",
            "api_key=${API_KEY} token: os.environ['TOKEN'] password=get_token(client)",
            "clone ssh://git@github.com/org/repo.git",
            "docker pull nginx@sha256:2865860c824f1f8183ce9e66a7f71ebdaa4dc29a",
            "order 274514050 shipped",
            "invoice 0123 4567 89, ref 0042 1234 5678",
            "due 01.02.2024 10:00, build 0.12.3, serial 010.120.130.1400",
            "population 300 400 5000 and 612345678 items",
            "dated 03/12/2025 or 2025-12-03",
        ])
    func negatives(text: String) {
        #expect(found(text) == [], "\(text)")
        // On screen a card with a wrong digit is filled: it may be one with a typo, or half typed.
        #expect(Self.found(onScreen: text) == (text.hasPrefix("card 4111") ? ["credit_card:4111 1111 1111 1112"] : []), "\(text)")
    }

    @Test("The last groups of a longer number (a card's with a bad checksum, an account's) are not a national phone number")
    func groupsOfLongerNumbers() {
        #expect(found("Loyalty number 4085 0881 0960 0942, ref ES67 8125 3543 0303 0712 4240") == [])
    }

    @Test("Redacted text keeps everything else, offsets are Unicode scalars as Python counts them")
    func offsets() {
        let (text, spans) = redactor.redact("é 👩‍💻 mail a@b.io ok")
        #expect(text == "é 👩‍💻 mail [EMAIL] ok")
        #expect(spans.map(\.start) == [11] && spans.map(\.end) == [17])  // len("é 👩‍💻 mail ") == 11 in Python
    }

    @Test("An excluded site's host, or a subdomain of it, is found wherever it is named, in any case; a longer name is not it")
    func excludedSites() throws {
        let sites = TextRedactor(kinds: [], excludedSites: ["bank-demo.example", "chase.com"])
        #expect(
            sites.redact("go to http://www.Bank-Demo.example:8080/x, CHASE.COM and mybank-demo.example or chase.community").text
                == "go to http://[CUSTOM]:8080/x, [CUSTOM] and mybank-demo.example or chase.community")
        let rules = WindowRules(
            policy: try policy(basePolicy.replacingOccurrences(of: "rules:\n", with: "rules:\n  - site: intranet.example.org\n    action: exclude\n"))
        )
        #expect(rules.excludedSites.contains("intranet.example.org"))
        #expect(rules.excludedSites.contains { Catalog.shared.entries.first { $0.category == "banking" }?.sites.contains($0) == true })
    }

    /// The redactor of text read off the screen, which finds beginnings of values too.
    static let screen = TextRedactor(beginnings: true)

    static func found(onScreen text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return screen.spans(in: text).map { "\($0.what.rawValue):" + String(String.UnicodeScalarView(scalars[$0.start..<$0.end])) }
    }

    @Test(
        "On screen, what may be the beginning of a value being typed is found with the value's kind, once it shows more than names no one",
        arguments: [
            ("card 4111 1111 1111 111", "credit_card:4111 1111 1111 111"),
            ("card 4111 111", "credit_card:4111 111"),
            ("card 4111-1111-11", "credit_card:4111-1111-11"),
            ("card 4111 1111 1ff", "credit_card:4111 1111 1"),  // the cursor block, as OCR reads it
            ("card 41111111 and", "credit_card:41111111"),
            ("amex 3782 822463 1", "credit_card:3782 822463 1"),
            ("mc 5500 0000 00 exp", "credit_card:5500 0000 00"),
            ("order 12 4111 1111 1", "credit_card:4111 1111 1"),
            ("card 4111 1111 1111 1112", "credit_card:4111 1111 1111 1112"),  // a typo is still a card
            ("mail alice.w@exa", "email:alice.w@exa"),
            ("to jane.doe@", "email:jane.doe@"),
            ("iban DE89 3704", "iban:DE89 3704"),
            ("iban GB82WEST1234", "iban:GB82WEST1234"),
            ("call +1 415 555", "phone:+1 415 555"),
            ("call +44 20 794", "phone:+44 20 794"),
            ("office (415) 555-2", "phone:(415) 555-2"),
            ("office 415-555-26", "phone:415-555-26"),
            ("ssn 123-45-6", "ssn:123-45-6"),
            ("nino AB 12 34", "ssn:AB 12 34"),
            ("nino AB12345", "ssn:AB12345"),
            ("AKIAIOSF", "secret:AKIAIOSF"),
            ("export GITHUB=ghp_abc", "secret:ghp_abc"),
            ("glpat-Ab3", "secret:glpat-Ab3"),
            ("xoxb-1234", "secret:xoxb-1234"),
            ("sk_live_4eC3", "secret:sk_live_4eC3"),
            ("OPENAI=sk-proj-ab", "secret:sk-proj-ab"),
            ("Bearer eyJhbGciOi", "secret:eyJhbGciOi"),
            ("clone https://bob:s3c", "secret:https://bob:s3c"),
            ("password: Tr0u", "secret:Tr0u"),
            ("aws_secret_access_key = wJalrXU", "secret:wJalrXU"),
        ])
    func beginningsOnScreen(text: String, expected: String) {
        #expect(Self.found(onScreen: text) == [expected], "\(text)")
        #expect(found(text) == [], "typed text waits for the value to end: \(text)")
    }

    @Test(
        "On screen, ordinary numbers and words stay: too few digits, dates, times, prices, years, ports, words",
        arguments: [
            "card 4111 11",  // six digits: the issuer's, and what a receipt prints
            "Total 12.50 on 2026-12-04 at 10:31",
            "order 2024-11-23-000417",
            "at 2026-11-23 10:04:05 (1700000000)",
            "years 2019 2020 2021 2022 2023 2024",
            "season 2024-2025, page 12 of 340",
            "price 1,234,567.89 USD and 1 234 567 EUR",
            "pid 1234567 ref 7700000123 build 20261204",
            "iban-like DE00 3704 0044 0532 0130 00",
            "flight LH12 DE89 and BA1234",
            "see https://example.com:8443/x and http://localhost:3000",
            "logo icon@2x.png and @handle",
            "| , rif@[s]ol and fe@] or pf@|",
            "ASIAN markets, ACCA members",
            "pip install sk-learn",
            "key: value, Sort key: Name, password: ********",
            "call +1 415",
            "ssn-like 123-45",
            "version 1.2.3 and 10.0.19045",
            "commit 39087d8be8a1cf3cc47250976d3ead6e5e523d50",
            "commit 242408306696646c493d79e41780e8fd204422c3, digest sha256:4505279095360a31342411a2c8a",
            "OID 660.221.200.145",
        ])
    func ordinaryScreens(text: String) {
        #expect(Self.found(onScreen: text) == [], "\(text)")
    }

    @Test("On screen, a whole value is still found whole and by its own recognizer")
    func wholeValuesOnScreen() {
        #expect(Self.screen.spans(in: "visa 4111 1111 1111 1111 ok").map(\.recognizer) == ["credit_card"])
        #expect(Self.screen.spans(in: "write to jane.doe@example.org").map(\.recognizer) == ["email"])
        #expect(Self.found(onScreen: "card 4111 1111 1111 1111 12/27 cvc 123") == ["credit_card:4111 1111 1111 1111"])
        #expect(Self.found(onScreen: "mail alice@exa") == ["email:alice@exa"], "a login at a host, or an address begun")
    }

    @Test("A policy's recognizer list switches kinds off")
    func kinds() {
        let emailOnly = TextRedactor(kinds: [.email])
        #expect(emailOnly.redact("a@b.io 4111 1111 1111 1111").text == "[EMAIL] 4111 1111 1111 1111")
    }
}

@Suite("Keystroke redaction")
struct KeystrokeRedactionTests {
    static func typing(_ text: String, from t: UInt64 = 1_000_000_000) -> [CapturedEvent] {
        var events: [CapturedEvent] = []
        var now = t
        for ch in text {
            let s = String(ch)
            let key = s == " " ? "space" : s
            events.append(CapturedEvent(tNs: now, body: .keyDown(key: key, keycode: 38, mods: [], text: s)))
            events.append(CapturedEvent(tNs: now + 5_000_000, body: .keyUp(key: key, keycode: 38, mods: [])))
            now += 50_000_000
        }
        return events
    }

    static func key(_ name: String, at t: UInt64) -> [CapturedEvent] {
        [
            CapturedEvent(tNs: t, body: .keyDown(key: name, keycode: 36, mods: [], text: nil)),
            CapturedEvent(tNs: t + 5_000_000, body: .keyUp(key: name, keycode: 36, mods: [])),
        ]
    }

    static func text(_ events: [CapturedEvent]) -> String {
        events.compactMap { if case .keyDown(_, _, _, let text) = $0.body { text } else { nil } }.joined()
    }

    @Test("A card number typed with spaces is held until the boundary, then replaced by one redacted event; the words around it stay")
    func card() {
        let redactor = KeystrokeRedactor(kinds: Set(RedactionKind.allCases))
        let typed = Self.typing("pay 4111 1111 1111 1111 now")
        #expect(redactor.process(typed).isEmpty, "nothing may leave before a boundary")
        let out = redactor.process(Self.key("Return", at: 5_000_000_000))
        #expect(Self.text(out) == "pay  now")
        #expect(out.filter { $0.body.kind == "redacted" }.map(\.body) == [.redacted(what: .creditCard, count: 19)])
        #expect(out.filter { $0.body.kind == "key.up" }.count == "pay  now".count + 1)
        #expect(out.map(\.tNs) == out.map(\.tNs).sorted())
    }

    @Test("Held keys go out after a pause in typing, scrubbed; backspaced characters do not hide a secret")
    func pauseAndBackspace() {
        let redactor = KeystrokeRedactor(kinds: Set(RedactionKind.allCases))
        var events = Self.typing("me@exx")
        events += Self.key("BackSpace", at: 1_400_000_000)
        events += Self.typing("ample.org", from: 1_500_000_000)
        #expect(redactor.process(events).isEmpty)
        #expect(redactor.tick(nowNs: 2_000_000_000).isEmpty, "still typing")
        let out = redactor.tick(nowNs: 4_000_000_000)
        #expect(Self.text(out) == "x", "only the erased character's own key event remains")
        #expect(out.contains { $0.body == .redacted(what: .email, count: 14) })
    }

    @Test("The line typed after sudo is a password, removed whole; the command itself stays")
    func sudoPassword() {
        let redactor = KeystrokeRedactor(kinds: Set(RedactionKind.allCases))
        var out = redactor.process(Self.typing("sudo apt update") + Self.key("Return", at: 2_000_000_000))
        #expect(Self.text(out) == "sudo apt update")
        out = redactor.process(Self.typing("plain words", from: 3_000_000_000) + Self.key("Return", at: 4_000_000_000))
        #expect(Self.text(out) == "")
        #expect(out.contains { $0.body == .redacted(what: .password, count: 11) })
        out = redactor.process(Self.typing("ls", from: 5_000_000_000) + Self.key("Return", at: 6_000_000_000))
        #expect(Self.text(out) == "ls")
    }

    @Test("A click in the middle of typing commits what was typed before it, and order is kept")
    func clickIsBoundary() {
        let redactor = KeystrokeRedactor(kinds: Set(RedactionKind.allCases))
        let click = CapturedEvent(tNs: 2_000_000_000, body: .pointerDown(x: 1, y: 2, button: .left))
        let out = redactor.process(Self.typing("hello") + [click] + Self.typing("world", from: 2_100_000_000))
        #expect(Self.text(out) == "hello" && out.last == click)
        #expect(Self.text(redactor.finish()) == "world")
    }
}

@Suite("Reading OCR lines")
struct OCRReadingTests {
    private func word(_ text: String, x: Int, charWidth: Int = 6) -> TextRecognition.Word {
        TextRecognition.Word(text: text, box: [x, 10, text.count * charWidth, 13], confidence: 90)
    }

    @Test("Words whose boxes nearly touch are joined in the tight reading; a real space is kept")
    func tightReading() {
        // `postgresql ://admin:` as OCR splits it: a 2-pixel gap, then a whole cell of space.
        let line = [word("postgresql", x: 0), word("://admin:", x: 62), word("origin", x: 122)]
        #expect(ImageRedactor.text(of: line, joiningClose: false).0 == "postgresql ://admin: origin")
        let (tight, starts) = ImageRedactor.text(of: line, joiningClose: true)
        #expect(tight == "postgresql://admin: origin")
        #expect(starts == [0, 10, 20])
    }

    @Test(
        "A card number half typed is filled across the words OCR splits it into, also where OCR splits a group; the words before it and six digits stay"
    )
    func beginningAcrossWords() {
        let redactor = ImageRedactor()
        func filled(_ line: [TextRecognition.Word]) -> [Int]? {
            let boxes = redactor.boxes(in: line, width: 1000, height: 100)
            guard !boxes.isEmpty else { return nil }
            return [boxes.map { $0.box[0] }.min()!, boxes.map { $0.box[0] + $0.box[2] }.max()!]
        }
        // `card 4111 1111 11`, a cell of space between groups.
        let grouped = [word("card", x: 0), word("4111", x: 30), word("1111", x: 60), word("11", x: 90)]
        let box = filled(grouped)
        #expect(box.map { $0[0] <= 30 && $0[0] > 24 && $0[1] >= 102 } == true, "\(String(describing: box))")
        // `41111111` read as two words two pixels apart.
        let split = [word("card", x: 0), word("4111", x: 30), word("1111", x: 56)]
        #expect(filled(split).map { $0[0] <= 30 && $0[1] >= 80 } == true, "\(String(describing: filled(split)))")
        // `alice.w@` and `exa` split at the `@`.
        #expect(filled([word("to", x: 0), word("alice.w@", x: 18), word("exa", x: 66)]) != nil)
        #expect(filled([word("card", x: 0), word("4111", x: 30), word("11", x: 60)]) == nil, "six digits stay")
    }

    @Test("Look-alike characters are read as their run suggests, one for one; other runs are left alone")
    func lookalikes() {
        let cases = [
            ("nino=Hx996580C", "nino=HX996580C"),
            ("card 4111 11l1 1lll 1111", "card 4111 1111 1lll 1111"),
            ("ssn 123-45-67B9", "ssn 123-45-6789"),
            ("the DEBUG log in README lab0", "the DEBUG log in README lab0"),
            ("café 2O24", "café 2024"),
        ]
        for (ocr, read) in cases {
            #expect(ImageRedactor.lookalikes(ocr) == read, "\(ocr)")
            #expect(ImageRedactor.lookalikes(ocr).unicodeScalars.count == ocr.unicodeScalars.count)
        }
    }
}
