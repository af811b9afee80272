import Crypto
import Foundation
import TestSupport
import Testing
import UnderstudyModel

@testable import Collector

@Suite("Segment bundles rewritten for staff as they stream")
struct StaffBundleTests {
    let key = SymmetricKey(size: .bits256)
    let session = UUID().uuidString.lowercased()

    /// One pass over `bundle`, fed `steps` bytes at a time (cycling), and what it wrote.
    func pass(
        _ bundle: Data, steps: [Int] = [1 << 20], eventsBytes: Int? = nil, keepingAtMost limit: Int = StaffBundle.bufferLimit
    ) throws -> (StaffBundle, Data) {
        var rewriter = StaffBundle(key: key, naming: "s-handle", eventsBytes: eventsBytes, keepingAtMost: limit)
        var out = Data()
        var offset = 0
        var n = 0
        while offset < bundle.count {
            let end = min(bundle.count, offset + steps[n % steps.count])
            out.append(try rewriter.feed(bundle[offset..<end]))
            (offset, n) = (end, n + 1)
        }
        out.append(try rewriter.finish())
        return (rewriter, out)
    }

    @Test(
        "A bundle fed in pieces of any size comes out the same: its times moved by the session's offset, its segment named by the handle, every other member unchanged, no header telling a time"
    )
    func rewritten() throws {
        let bundle = TestBundle.make(session: session, note: "x", padding: 300_000)
        let (_, whole) = try pass(bundle)
        for steps in [[1], [7, 511, 513], [512], [4096, 3]] {
            let piece = try pass(bundle, steps: steps).1
            let at = zip(piece, whole).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(piece == whole, "fed \(steps) bytes at a time: \(piece.count) vs \(whole.count), first difference at \(String(describing: at))")
        }
        let before = try #require(TarFormat.members(of: bundle))
        let after = try #require(TarFormat.members(of: whole))
        #expect(after.map(\.name) == before.map(\.name))
        let offset = StaffBundle.offset(session: session, key: key)
        let header = try JSONValue.parse(after[0].data)
        let original = try JSONValue.parse(before[0].data)
        #expect(header["id"]?.stringValue == "s-handle")
        let from = try #require(header["from"]?.stringValue.flatMap(RFC3339.date(from:)))
        let originalFrom = try #require(original["from"]?.stringValue.flatMap(RFC3339.date(from:)))
        #expect(abs(from.timeIntervalSince(originalFrom) + offset) < 0.001)
        let events = try String(decoding: after[1].data, as: UTF8.self).split(separator: "\n").map {
            try Event(json: try JSONValue.parse(Data($0.utf8)))
        }
        let originals = try String(decoding: before[1].data, as: UTF8.self).split(separator: "\n").map {
            try Event(json: try JSONValue.parse(Data($0.utf8)))
        }
        #expect(events.count == originals.count)
        for (event, original) in zip(events, originals) {
            #expect(abs(event.wall.timeIntervalSince(original.wall) + offset) < 0.001)
            #expect(event.body == original.body && event.tNs == original.tNs)
        }
        #expect(Array(after.dropFirst(2)) == Array(before.dropFirst(2)), "frames and patches pass through")
        for start in stride(from: 0, to: whole.count - 1024, by: 512) where Self.isHeader(whole, at: start) {
            #expect(TarFormat.octal(whole[(start + 136)..<(start + 148)]) == 0, "a header's mtime at \(start)")
        }
    }

    @Test(
        "A first pass keeps no more rewritten events than its limit: past it, it only counts them, and a pass told their size streams the same bundle without keeping any"
    )
    func eventsPastTheLimit() throws {
        let bundle = TestBundle.make(session: session, padding: 10_000)
        let (full, whole) = try pass(bundle)
        #expect(full.isComplete)
        let (counted, _) = try pass(bundle, steps: [100], keepingAtMost: 64)
        #expect(!counted.isComplete)
        #expect(counted.eventsBytes == full.eventsBytes)
        let (streamed, out) = try pass(bundle, steps: [100], eventsBytes: counted.eventsBytes, keepingAtMost: 0)
        #expect(streamed.isComplete)
        #expect(out == whole)
        let (_, uneven) = try pass(bundle, steps: [4096, 3], eventsBytes: counted.eventsBytes, keepingAtMost: 0)
        let at = zip(uneven, whole).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(uneven == whole, "\(uneven.count) vs \(whole.count), first difference at \(String(describing: at))")
    }

    @Test(
        "Every pass over one bundle writes the same bytes, though a parser hands segment.json's keys back in no fixed order: the length and hash a first pass announces are the body's"
    )
    func samePassesSameBytes() throws {
        let bundle = TestBundle.make(session: session)
        let first = try pass(bundle).1
        // Held, so that each pass's parse allocates its objects elsewhere.
        let passes = try (0..<20).map { _ in try pass(bundle).1 }
        #expect(passes.allSatisfy { $0 == first })
        var members = try #require(TarFormat.members(of: bundle)).map { ($0.name, $0.data) }
        guard case .object(let keys) = try JSONValue.parse(members[0].1) else {
            Issue.record("no segment.json")
            return
        }
        members[0].1 = Data(JSONValue.object(keys.reversed()).serializedPretty.utf8)
        #expect(try pass(TestBundle.archive(members)).1 == first, "segment.json's keys written in another order")
        let written = try #require(TarFormat.members(of: first))[0].data
        let text = String(decoding: written, as: UTF8.self)
        #expect(text == (try JSONValue.parse(written)).sortingKeys.serializedPretty, "its keys in ascending order")
    }

    @Test(
        "A stored blob that is not a segment bundle is refused, never half rewritten: events before segment.json, a member that is not a file, a cut, events of another size than the first pass counted"
    )
    func refused() throws {
        let good = TestBundle.make(session: session)
        let members = try #require(TarFormat.members(of: good)).map { ($0.name, $0.data) }
        var directory = [UInt8](TestBundle.archive(members))
        directory[156] = UInt8(ascii: "5")
        let cases: [(String, Data, Int?)] = [
            ("junk", Data("not a tar file at all".utf8) + Data(count: 1024), nil),
            ("events before segment.json", TestBundle.archive([members[1], members[0]] + members.dropFirst(2)), nil),
            ("frames before segment.json", TestBundle.archive(Array(members.dropFirst(2)) + members.prefix(2)), nil),
            ("segment.json without a session", TestBundle.archive([("segment.json", Data("{}".utf8))] + members.dropFirst()), nil),
            ("an event line that is not an event", TestBundle.archive([members[0], ("events.jsonl", Data("{\"kind\":1}\n".utf8))]), nil),
            ("a member that is not a file", Data(directory), nil),
            ("cut in a member", good.prefix(1500), nil),
            ("no end marker", good.prefix(good.count - 1024), nil),
            ("events of another size", good, 3),
        ]
        for (what, data, eventsBytes) in cases {
            #expect(throws: StaffBundle.Failure.self, "\(what)") { _ = try pass(data, eventsBytes: eventsBytes) }
        }
    }

    private static func isHeader(_ archive: Data, at start: Int) -> Bool {
        archive[(archive.startIndex + start + 257)..<(archive.startIndex + start + 262)] == Data("ustar".utf8)
    }
}
