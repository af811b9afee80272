import Foundation
import UnderstudyModel

/// Segment bundles built by hand, shaped as the vault writes them (`segment.json`,
/// `events.jsonl`, a frame layout, a tile patch), for tests that upload without recording.
public enum TestBundle {
    /// A well-formed bundle; `padding` bytes of tile pixels make it as large as a test needs,
    /// and `note` (typed in its one key event) makes bundles of equal shape differ.
    public static func make(
        segment: String = UUID().uuidString.lowercased(), session: String = UUID().uuidString.lowercased(), policy: String? = nil,
        note: String = "a", padding: Int = 0
    ) -> Data {
        let wall = Date(timeIntervalSince1970: 1_795_000_000)
        let frame = String(repeating: "0", count: 16) + "00000000000000aa"
        let tile = TileHash(high: 1, low: 2)
        let header: JSONValue = .object([
            ("id", .string(segment)), ("index", .int(0)), ("from", .string(RFC3339.string(from: wall))),
            ("to", .string(RFC3339.string(from: wall.addingTimeInterval(1)))), ("events", .int(2)), ("frames", .int(1)),
            (
                "session",
                .object([
                    ("id", .string(session)), ("started_at", .string(RFC3339.string(from: wall))), ("ended_at", .null),
                    ("backend", .string("synthetic")), ("display", .string(":0")), ("screen", .array([.int(128), .int(128)])),
                    ("policy_hash", policy.map { .string($0) } ?? .null), ("policy_unsigned", .bool(false)), ("consented_at", .null),
                ])
            ),
        ])
        let events = [
            Event(seq: 1, tNs: 1_000, wall: wall, body: .keyDown(key: "a", keycode: 38, mods: [], text: note)),
            Event(seq: 2, tNs: 2_000, wall: wall, body: .frame(frame: frame, w: 128, h: 128, reason: .periodic)),
        ]
        let layout: JSONValue = .object([
            ("hash", .string(frame)), ("width", .int(128)), ("height", .int(128)), ("tile_size", .int(128)), ("grabbed_ns", .int(2_000)),
            ("reason", .string("periodic")), ("redactions", .array([])), ("withheld", .null),
        ])
        let patch: JSONValue = .object([("codec", .string("png")), ("tile_size", .int(128)), ("tiles", .array([.string(tile.hex)]))])
        return archive([
            ("segment.json", Data(header.serializedPretty.utf8)),
            ("events.jsonl", Data(events.map { $0.json.serialized + "\n" }.joined().utf8)),
            ("frames/000000.frame", Data((layout.serialized + "\n").utf8) + Data(tile.bytes)),
            ("patches/1.json", Data(patch.serialized.utf8)),
            ("patches/1.png", Data(repeating: 0x89, count: max(1, padding))),
        ])
    }

    /// A tar archive of these members, in order.
    public static func archive(_ members: [(String, Data)]) -> Data {
        // Names here are short: the archive cannot fail.
        (try? TarFormat.archive(members.map { TarFormat.Member(name: $0.0, data: $0.1) }, mtime: 0)) ?? Data()
    }

    /// `archive` with the size field of its first member replaced by `field` (and the header's
    /// checksum made right again, so only the size is wrong).
    public static func withSize(_ field: String, in archive: Data) -> Data {
        var bytes = [UInt8](archive)
        let text = Array(field.utf8.prefix(11)) + [0]
        for i in 124..<136 { bytes[i] = i - 124 < text.count ? text[i - 124] : 0 }
        for i in 148..<156 { bytes[i] = 0x20 }
        let sum = bytes[0..<512].reduce(0) { $0 + Int($1) }
        let digits = Array(String(sum, radix: 8).utf8)
        let checksum = [UInt8](repeating: UInt8(ascii: "0"), count: 6 - digits.count) + digits + [0, 0x20]
        bytes.replaceSubrange(148..<156, with: checksum)
        return Data(bytes)
    }
}
