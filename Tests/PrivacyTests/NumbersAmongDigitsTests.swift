import Foundation
import Testing
import UnderstudyModel

@testable import Privacy

/// A number is rarely alone: a card is followed by its expiry date, an order number comes
/// before it, a phone number runs on into an extension. A pattern that takes the longest run of
/// digits, whose checksum then fails, must not hide the card or the number inside the run.
@Suite("Numbers among other digits")
struct NumbersAmongDigitsTests {
    let redactor = TextRedactor()

    func redacted(_ text: String) -> String { redactor.redact(text).text }

    @Test("A card number followed by its expiry date and security code is redacted; the date and code stay")
    func cardThenExpiry() {
        #expect(redacted("card 4111 1111 1111 1111 12/27 cvc 123") == "card [CREDIT_CARD] 12/27 cvc 123")
        #expect(redacted("card 4111111111111111 12/27") == "card [CREDIT_CARD] 12/27")
        #expect(redacted("amex 3782 822463 10005 0127") == "amex [CREDIT_CARD] 0127")
    }

    @Test("A card number followed directly by more digits is redacted, with a separator before them or without one")
    func cardThenDigits() {
        #expect(redacted("pay 4111 1111 1111 1111 1234") == "pay [CREDIT_CARD] 1234")
        #expect(redacted("pay 5500-0000-0000-0004-99") == "pay [CREDIT_CARD]-99")
        #expect(redacted("pay 4111 1111 1111 111112") == "pay [CREDIT_CARD]12")
    }

    @Test("A card number after unrelated digits in the same run is redacted; the digits before it stay")
    func digitsThenCard() {
        #expect(redacted("order 12 4111 1111 1111 1111") == "order 12 [CREDIT_CARD]")
        #expect(redacted("on 2026-11-23 5500-0000-0000-0004") == "on 2026-11-23 [CREDIT_CARD]")
        #expect(redacted("ref 7 4111111111111111 12/27") == "ref 7 [CREDIT_CARD] 12/27")
        #expect(redacted("cards 4111 1111 1111 1111 5500 0000 0000 0004") == "cards [CREDIT_CARD] [CREDIT_CARD]")
    }

    @Test("An IBAN followed by digits, after a look-alike, or right after another IBAN is redacted")
    func ibans() {
        #expect(redacted("iban DE89 3704 0044 0532 0130 00 1234 5678") == "iban [IBAN] 1234 5678")
        #expect(redacted("flight LH12 DE89 3704 0044 0532 0130 00") == "flight LH12 [IBAN]")
        #expect(redacted("DE89 3704 0044 0532 0130 00 GB82 WEST 1234 5698 7654 32") == "[IBAN] [IBAN]")
    }

    @Test("An international phone number followed by more digit groups is redacted; the digits after it stay")
    func phoneThenDigits() {
        #expect(redacted("call +1 415 555 2671 12345678") == "call [PHONE] 12345678")
        #expect(redacted("call +44 20 7946 0958 2024 1234") == "call [PHONE] 2024 1234")
    }

    @Test(
        "Runs with no card, IBAN or phone number in them stay: bad checksums, plain ids, dates, amounts, times",
        arguments: [
            "ref 4111 1111 1111 1112 345",  // 19 digits, Luhn-invalid, and no 13-19 digits inside are a card
            "id 4111111111111111123",  // one plain run of 19 digits is an id: it is a card whole or not at all
            "days 2026-11-23 2026-11-24 2026-11-25",
            "years 2019 2020 2021 2022 2023 2024",
            "total 1 234 567 890 123 456,78 EUR on 12/27/2026 at 10:04:05",
            "tx 17000000000000000000001 at 1700000000123",
            "iban-like DE00 3704 0044 0532 0130 00 1234",
            "SEPA ref AT53 6598 1651 6431 2882 rejected",  // a bad IBAN; its last 16 digits pass Luhn as a Discover card would
        ])
    func negatives(text: String) {
        #expect(redactor.spans(in: text) == [], "\(text)")
    }

    @Test("Typed, a card number then its expiry date on one line is one redacted event; the date stays")
    func typedCardThenExpiry() {
        let keys = KeystrokeRedactor(kinds: Set(RedactionKind.allCases))
        let out = keys.process(
            KeystrokeRedactionTests.typing("card 4111 1111 1111 1111 12/27") + KeystrokeRedactionTests.key("Return", at: 2_600_000_000))
        #expect(KeystrokeRedactionTests.text(out) == "card  12/27")
        #expect(out.map(\.body).filter { $0.kind == "redacted" } == [.redacted(what: .creditCard, count: 19)])
    }

    @Test(
        "Long runs of groups are read in linear time: 10,000 groups of card digits, IBAN-like groups or single digits take well under a second",
        arguments: ["4111 ", "DE12 ", "1 "])
    func longRun(group: String) {
        let run = String(repeating: group, count: 10_000)
        let elapsed = ContinuousClock().measure { _ = redactor.spans(in: run) }
        #expect(elapsed < .seconds(1), "\(elapsed)")
    }
}
