import Foundation
import Testing
import UnderstudyModel

@Suite("Event JSON contract")
struct EventJSONTests {
    static let wall = Date(timeIntervalSince1970: 1_795_000_000.125)

    static let samples: [EventBody] = [
        .pointerMove(x: 10, y: 20),
        .pointerDown(x: 1, y: 2, button: .back),
        .pointerUp(x: 1, y: 2, button: .forward),
        .scroll(x: 5, y: 6, dx: -1, dy: 2),
        .keyDown(key: "adiaeresis", keycode: 48, mods: [.shift], text: "Ä"),
        .keyUp(key: "Control_L", keycode: 37, mods: [.ctrl]),
        .focus(WindowContext(app: "XTerm", title: "vim — ünïcode \"quoted\"", pid: 42, window: 0x1c0000e, rect: [0, 0, 800, 600])),
        .frame(frame: "0123456789abcdef0123456789abcdef", w: 1920, h: 1080, reason: .periodic),
        .pause(until: wall, by: .user),
        .resume(by: .policy),
        .gap(reason: .excludedApp, fromNs: 1, toNs: 2),
        .redacted(what: .creditCard, count: 16),
        .redacted(what: .personName, count: 11, token: "⟨person:3⟩"),
        .target(
            ofNs: 7,
            element: AccessibleElement(
                role: "push button", name: "Send \"now\"", description: "Sends it", states: ["enabled", "focused"], bounds: [1, 2, 3, 4],
                app: "Chromium", ancestors: ["form", "document web", "frame"], id: "0/2/5")),
        .target(ofNs: 9, element: AccessibleElement(role: "entry", name: "", bounds: [0, 0, 0, 0], app: "", id: "")),
        .accessibilitySnapshot(
            frame: "0123456789abcdef0123456789abcdef", window: 0x1c0000e,
            snapshot: AccessibilitySnapshot(
                nodes: [
                    .init(role: "document web", name: "Notes", bounds: [0, 80, 1280, 700], parent: nil),
                    .init(role: "push button", name: "Send \"now\"", states: ["enabled", "focused"], bounds: [600, 180, 400, 300], parent: 0),
                ], truncated: true)),
        .accessibilitySnapshot(frame: "0123456789abcdef0123456789abcdef", window: 1, snapshot: AccessibilitySnapshot(nodes: [])),
    ]

    @Test("Every kind survives a round trip through its JSON line", arguments: samples)
    func roundTrip(body: EventBody) throws {
        let event = Event(seq: 7, tNs: 123_456_789, wall: Self.wall, body: body)
        let line = event.json.serialized
        let back = try Event(json: try JSONValue.parse(Data(line.utf8)))
        #expect(back == event)
    }

    @Test("A line starts with seq, t_ns, wall and kind, and uses the contract's field names")
    func fieldOrder() {
        let event = Event(seq: 3, tNs: 1_500_000, wall: Self.wall, body: .keyDown(key: "a", keycode: 38, mods: [], text: "a"))
        #expect(
            event.json.serialized
                == #"{"seq":3,"t_ns":1500000,"wall":"2026-11-18T11:06:40.125Z","kind":"key.down","key":"a","keycode":38,"mods":[],"text":"a"}"#)
    }

    @Test("Control characters and quotes in titles are escaped")
    func escaping() throws {
        let value = JSONValue.string("a\"b\\c\nd\u{1}")
        #expect(value.serialized == #""a\"b\\c\nd\u0001""#)
        #expect(try JSONValue.parse(Data(value.serialized.utf8)) == value)
    }

    @Test("An unknown kind or a missing field is refused with a message that names it")
    func badEvents() throws {
        #expect(throws: EventDecodingError.unknownKind("teleport")) {
            try EventBody(kind: "teleport", fields: .object([]))
        }
        #expect(throws: EventDecodingError.badField(kind: "pointer.down", field: "button")) {
            try EventBody(kind: "pointer.down", fields: .object([("x", .int(1)), ("y", .int(1)), ("button", .string("wheel"))]))
        }
    }

    @Test("A redaction's token is only ever a pseudonym or the contributor's own token: any other text there is refused")
    func redactedTokens() throws {
        func event(_ token: String) throws -> EventBody {
            try EventBody(kind: "redacted", fields: .object([("what", .string("person_name")), ("count", .int(5)), ("token", .string(token))]))
        }
        for token in ["⟨person:1⟩", "⟨person:42⟩", "⟨self:name⟩", "~"] {
            #expect(try event(token) == .redacted(what: .personName, count: 5, token: token))
        }
        for token in ["Maria", "⟨person:0⟩", "⟨person:1x⟩", "⟨person:⟩", "⟨self:maria⟩", "⟨person:١⟩"] {
            #expect(throws: EventDecodingError.badField(kind: "redacted", field: "token"), "\(token)") { try event(token) }
        }
    }

    @Test("RFC 3339 times print as Foundation's ISO 8601 formatter does, rounded to the millisecond, and read back exactly")
    func rfc3339() throws {
        var random = SystemRandomNumberGenerator()
        // Foundation's formatter truncates fractions, so compare the whole seconds with it and the milliseconds by hand.
        let reference = Date.ISO8601FormatStyle(timeZone: .gmt)
        // 1970, 2000-02-29, 2026, 2100, 2024-02-29
        let fixed: [Int64] = [0, 951_782_400_000, 1_795_000_000_123, 4_107_542_399_999, 1_709_164_800_000]
        for ms in fixed + (0..<2000).map({ _ in Int64.random(in: 0...4_102_444_800_000, using: &random) }) {
            let date = Date(timeIntervalSince1970: Double(ms) / 1000)
            let text = RFC3339.string(from: date)
            let expected = Date(timeIntervalSince1970: Double(ms / 1000)).formatted(reference).dropLast() + String(format: ".%03lldZ", ms % 1000)
            #expect(text == expected, "\(ms)")
            #expect(RFC3339.date(from: text).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } == ms)
        }
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1.2346)) == "1970-01-01T00:00:01.235Z")
        #expect(RFC3339.date(from: "2026-11-23T10:00:00Z") == Date(timeIntervalSince1970: 1_795_428_000))
        #expect(RFC3339.date(from: "2026-13-23T10:00:00.000Z") == nil)
    }

    @Test(
        "Durations read as people type them",
        arguments: [("90s", 90_000), ("15m", 900_000), ("2h", 7_200_000), ("7d", 604_800_000), ("500ms", 500), ("1.5s", 1500)])
    func durations(text: String, ms: Int64) {
        #expect(DurationText.parse(text) == .milliseconds(ms))
    }

    @Test(
        "Sizes read as people type them, decimal and binary",
        arguments: [
            ("2GB", 2_000_000_000), ("500MB", 500_000_000), ("64MiB", 67_108_864),
            ("1.5 GB", 1_500_000_000), ("4096", 4096), ("10kb", 10_000),
        ])
    func sizes(text: String, bytes: Int64) {
        #expect(ByteSizeText.parse(text) == bytes)
    }

    @Test("Sizes that are not sizes are refused", arguments: ["", "GB", "-1MB", "two GB", "1XB"])
    func badSizes(text: String) {
        #expect(ByteSizeText.parse(text) == nil)
    }

    @Test("Sizes and whole-second durations print as people read them")
    func printing() {
        #expect(ByteSizeText.string(2_000_000_000) == "2 GB")
        #expect(ByteSizeText.string(1_536_000) == "1.5 MB")
        #expect(ByteSizeText.string(512) == "512 bytes")
        #expect(DurationText.string(seconds: 604_800) == "7d")
        #expect(DurationText.string(seconds: 5400) == "90m")
        #expect(DurationText.string(seconds: 45) == "45s")
    }

    @Test("Durations without a unit or with a negative value are refused", arguments: ["90", "-1s", "s", "abc", "1w"])
    func badDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }
}
