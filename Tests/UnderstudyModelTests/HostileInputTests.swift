import Foundation
import Testing
import UnderstudyModel

/// What a device sends reaches the collector, reviewers' and scientists' tools: a reader turns
/// anything malformed into a typed error, never a crash, and refuses names that would later
/// become paths, markup or terminal control.
@Suite("Input from a device")
struct HostileInputTests {
    static func event(_ kind: String, _ fields: String) throws -> Event {
        try Event(json: try JSONValue.parse(Data(#"{"seq":1,"t_ns":5,"wall":"2026-11-23T10:00:00.000Z","kind":"\#(kind)",\#(fields)}"#.utf8)))
    }

    @Test(
        "An event with a negative time, or a frame named with characters no hash has, is refused with the field named",
        arguments: [
            ("gap", #""reason":"excluded-app","from_ns":-1,"to_ns":2"#, "from_ns"),
            ("gap", #""reason":"excluded-app","from_ns":1,"to_ns":-9223372036854775808"#, "to_ns"),
            ("target", #""of_t_ns":-5,"role":"entry","name":"","bounds":[0,0,1,1],"app":"","id":"0""#, "of_t_ns"),
            ("frame", #""frame":"../../../../home/sci/x","w":1,"h":1,"reason":"periodic""#, "frame"),
            ("frame", #""frame":"x\" onerror=\"alert(1)","w":1,"h":1,"reason":"periodic""#, "frame"),
            ("frame", #""frame":"","w":1,"h":1,"reason":"periodic""#, "frame"),
            ("a11y", #""frame":"../x","window":1,"truncated":false,"nodes":[]"#, "frame"),
            (
                "a11y",
                #""frame":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","window":1,"truncated":false,"nodes":[{"role":"r","name":"","bounds":[0,0,1,1],"parent":0}]"#,
                "nodes"
            ),
            (
                "a11y",
                #""frame":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","window":1,"truncated":false,"nodes":[{"role":"r","name":"","bounds":[0,0,1],"parent":null}]"#,
                "nodes"
            ),
        ])
    func refusedEvents(kind: String, fields: String, field: String) {
        #expect(throws: EventDecodingError.badField(kind: kind, field: field)) { try Self.event(kind, fields) }
    }

    @Test("A frame layout whose geometry cannot be a frame's is named as such: zero or huge sizes, zero tiles, a tile count off its grid")
    func frameGeometry() {
        let tiles = (0..<4).map { TileHash(high: 0, low: UInt64($0)) }
        func frame(_ width: Int, _ height: Int, _ tileSize: Int, _ tiles: [TileHash], hash: String = String(repeating: "a", count: 32))
            -> FrameManifest
        {
            FrameManifest(hash: hash, width: width, height: height, tileSize: tileSize, grabbedNs: 0, reason: .periodic, tiles: tiles)
        }
        #expect(frame(256, 256, 128, tiles).problem == nil)
        #expect(frame(256, 256, 128, []).problem == nil, "a withheld frame lists no tiles")
        #expect(frame(256, 256, 0, tiles).problem != nil)
        #expect(frame(0, 256, 128, tiles).problem != nil)
        #expect(frame(-256, 256, 128, tiles).problem != nil)
        #expect(frame(1 << 40, 256, 128, tiles).problem != nil)
        #expect(frame(256, 256, 128, Array(tiles.prefix(3))).problem != nil)
        #expect(frame(256, 256, 128, tiles, hash: "../x").problem != nil)
    }

    @Test("A tile hash is 32 hex digits and nothing else: no sign, no other length")
    func tileHashes() {
        #expect(TileHash(hex: "0123456789abcdef0123456789abcdef") != nil)
        #expect(TileHash(hex: "+123456789abcdef0123456789abcdef") == nil)
        #expect(TileHash(hex: "0123456789abcdef0123456789abcde") == nil)
    }

    @Test("Durations too long for the clocks are refused when typed and saturate in arithmetic, instead of trapping")
    func hugeDurations() {
        #expect(DurationText.parse("1e20d") == nil)
        #expect(DurationText.parse("300000000000d") == nil)
        #expect(DurationText.parse("7d") == .seconds(604_800))
        #expect(Duration.seconds(Int64.max).ns == .max)
        #expect(Duration.seconds(-5).ns == 0)
    }

    @Test("Text printed to a terminal shows escape sequences, line breaks and bidirectional overrides instead of obeying them")
    func terminalText() {
        let hostile = "laptop\u{1B}]52;c;ZWNobyBoaQ==\u{07}\r\n\u{202E}fdp.exe\u{9B}2J"
        let shown = hostile.terminalSafe
        #expect(!shown.unicodeScalars.contains { $0.properties.generalCategory == .control || $0 == "\u{202E}" })
        #expect(shown == #"laptop\u{1B}]52;c;ZWNobyBoaQ==\u{7}\u{D}\u{A}\u{202E}fdp.exe\u{9B}2J"#)
        #expect("Ünïcode — fine".terminalSafe == "Ünïcode — fine")
    }
}
