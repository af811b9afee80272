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
        .frame(frame: "abcd", w: 1920, h: 1080, reason: .periodic),
        .pause(until: wall, by: .user),
        .resume(by: .policy),
        .gap(reason: .excludedApp, fromNs: 1, toNs: 2),
        .redacted(what: .creditCard, count: 16),
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
        #expect(event.json.serialized == #"{"seq":3,"t_ns":1500000,"wall":"2026-11-18T11:06:40.125Z","kind":"key.down","key":"a","keycode":38,"mods":[],"text":"a"}"#)
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

    @Test("Durations read as people type them", arguments: [("90s", 90_000), ("15m", 900_000), ("2h", 7_200_000), ("500ms", 500), ("1.5s", 1500)])
    func durations(text: String, ms: Int64) {
        #expect(DurationText.parse(text) == .milliseconds(ms))
    }

    @Test("Durations without a unit or with a negative value are refused", arguments: ["90", "-1s", "s", "abc", "1d"])
    func badDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }
}
