import Foundation
import TestSupport
import Testing
import UnderstudyModel

@Suite("Tar archives and segment bundles from untrusted bytes")
struct SegmentBundleTests {
    @Test(
        "A member whose size field is negative, signed, not octal or larger than the archive is refused, never a trap",
        arguments: ["-1", "-0000000001", "+17", "0x10", "9", "77777777777", "", "   "])
    func badSizeField(field: String) {
        let archive = TestBundle.withSize(field, in: TestBundle.archive([("segment.json", Data("{}".utf8))]))
        #expect(TarFormat.members(of: archive) == nil)
        #expect(throws: SegmentBundleCheck.Failure.self) { try SegmentBundleCheck.check(archive) }
    }

    @Test("A size field padded with spaces and NULs, as other tar writers write it, still reads")
    func paddedSizeField() {
        let archive = TestBundle.withSize(" 0000000002 ", in: TestBundle.archive([("segment.json", Data("{}".utf8))]))
        #expect(TarFormat.members(of: archive) == [TarFormat.Member(name: "segment.json", data: Data("{}".utf8))])
    }

    @Test("A bundle as the vault writes it passes the check, fed whole or a few bytes at a time")
    func wellFormed() throws {
        let bundle = TestBundle.make(policy: String(repeating: "ab", count: 32), padding: 3000)
        try SegmentBundleCheck.check(bundle)
        var check = SegmentBundleCheck()
        var offset = 0
        while offset < bundle.count {
            let step = [1, 7, 511, 513, 4096][offset % 5]
            try check.feed(bundle[offset..<min(bundle.count, offset + step)])
            offset += step
        }
        try check.finish()
    }

    @Test(
        "What is not a well-formed segment bundle is refused: junk, unknown or repeated members, segment.json not first, ids that are not UUIDs, hashes that are not hex, a bad checksum, a missing end, what no reader would open"
    )
    func refused() throws {
        let good = TestBundle.make()
        let members = try #require(TarFormat.members(of: good)).map { ($0.name, $0.data) }
        func replacing(_ name: String, _ data: Data) -> Data { TestBundle.archive(members.map { $0.0 == name ? (name, data) : $0 }) }
        var checksum = [UInt8](good)
        checksum[0] ^= 1
        // One side past what a frame may have, its grid of tiles complete: readers refuse it.
        let wide = FrameManifest.maxSide + 1
        let wideLayout =
            #"{"hash":"\#(String(repeating: "a", count: 32))","width":\#(wide),"height":128,"tile_size":128,"grabbed_ns":0,"reason":"action"}"#
        let cases: [(String, Data)] = [
            ("junk", Data("not a tar file".utf8)),
            ("empty", Data()),
            ("an unknown member", TestBundle.archive(members + [("../../etc/passwd", Data("x".utf8))])),
            ("a member twice", TestBundle.archive(members + [members[1]])),
            ("no segment.json", TestBundle.archive(Array(members.dropFirst()))),
            ("events before segment.json", TestBundle.archive([members[1], members[0]] + members.dropFirst(2))),
            ("a segment id that is not a UUID", TestBundle.make(segment: "<img src=x onerror=alert(1)>")),
            ("a session id that is not a UUID", TestBundle.make(session: "../../x")),
            ("a policy hash that is not hex", TestBundle.make(policy: "zz")),
            ("an event line that is not an event", replacing("events.jsonl", members[1].1 + Data("{\"kind\":\"nope\"}\n".utf8))),
            ("a frame hash that is not hex", replacing("frames/000000.frame", Data("{\"hash\":\"x\\\" onerror=\\\"\"}\n".utf8))),
            ("a tile hash that is not hex", replacing("patches/1.json", Data("{\"codec\":\"png\",\"tile_size\":128,\"tiles\":[\"../x\"]}".utf8))),
            ("a tile size of zero", replacing("patches/1.json", Data("{\"codec\":\"png\",\"tile_size\":0,\"tiles\":[]}".utf8))),
            (
                "a frame wider than a frame may be",
                replacing("frames/000000.frame", Data((wideLayout + "\n").utf8) + Data(count: (wide + 127) / 128 * 16))
            ),
            ("a patch layout without its pixels", TestBundle.archive(members.filter { $0.0 != "patches/1.png" })),
            ("a wrong checksum", Data(checksum)),
            ("no end marker", good.prefix(good.count - 1024)),
            ("bytes after the end", good + Data("trailing".utf8)),
        ]
        for (what, data) in cases {
            #expect(throws: SegmentBundleCheck.Failure.self, "\(what)") { try SegmentBundleCheck.check(data) }
        }
    }
}
