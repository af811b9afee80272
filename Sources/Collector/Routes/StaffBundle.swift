import Crypto
import Foundation
import UnderstudyModel

/// A segment bundle as reviewers and scientists get it: every wall-clock time in it moved back
/// by an offset secret to the server, one per session (1 to 11 years, to the second), so the
/// steps keep their order, durations and gaps but not the date or time of day they happened:
/// no one but the contributor learns when they worked. The offset comes from the
/// contributor's data key, so it is stable across reads and gone when they are erased.
///
/// Rewritten as its bytes stream past, so a staff read holds a few chunks, never the bundle
/// (a segment may be a gigabyte): `segment.json` (small, and first) is rewritten whole with the
/// segment named by its handle instead of its id; `events.jsonl` line by line; every other
/// member passes through unchanged. Every header is written anew with a zero mtime (the
/// device's says when the segment ended).
///
/// A tar header states its member's size before the data, and the events' size changes
/// when their times are rewritten. So a first pass (``eventsBytes`` nil) keeps the rewritten
/// events until they end, up to ``bufferLimit`` bytes; past it, the pass only counts them
/// (``isComplete`` false), and a pass that knows ``eventsBytes`` streams them without holding any.
public struct StaffBundle {
    /// Why a stored blob cannot be rewritten: it is not a segment bundle.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// The rewritten events this pass keeps at most, when it does not yet know their size.
    public static let bufferLimit = 8 << 20

    private enum State {
        case memberHeader
        case segmentJSON(Data, remaining: Int, padding: Int)
        case events(remaining: Int, padding: Int)
        case passing(remaining: Int, padding: Int)
        case padding(Int)
        case end
    }

    private let key: SymmetricKey
    private let handle: String
    private let knownEventsBytes: Int?
    private let limit: Int
    private var state = State.memberHeader
    private var pending = Data()
    private var offset: TimeInterval?
    private var line = Data()
    private var kept: Data? = Data()
    /// The rewritten `events.jsonl`'s size, once it has streamed past.
    public private(set) var eventsBytes = 0
    private var sawEvents = false

    /// `eventsBytes`: the rewritten events' size a previous pass counted; nil on a first pass,
    /// which keeps them up to `limit` bytes.
    public init(key: SymmetricKey, naming handle: String, eventsBytes: Int? = nil, keepingAtMost limit: Int = bufferLimit) {
        self.key = key
        self.handle = handle
        self.knownEventsBytes = eventsBytes
        self.limit = limit
    }

    /// Whether this pass's output is the whole rewritten bundle: false when it did not know
    /// the events' size and they were more than ``bufferLimit`` (it then only counted them).
    public var isComplete: Bool { knownEventsBytes != nil || kept != nil }

    /// Takes bundle bytes; returns the rewritten bytes they complete.
    public mutating func feed(_ chunk: Data) throws(Failure) -> Data {
        var out = Data()
        var rest = chunk[...]
        while !rest.isEmpty {
            switch state {
            case .memberHeader:
                let take = min(512 - pending.count, rest.count)
                pending.append(rest.prefix(take))
                rest = rest.dropFirst(take)
                if pending.count == 512 { try begin(into: &out) }
            case .segmentJSON(var json, let remaining, let padding):
                let take = min(remaining, rest.count)
                json.append(rest.prefix(take))
                rest = rest.dropFirst(take)
                state = .segmentJSON(json, remaining: remaining - take, padding: padding)
                if remaining == take { try rewriteSegmentJSON(json, padding: padding, into: &out) }
            case .events(let remaining, let padding):
                let take = min(remaining, rest.count)
                try events(rest.prefix(take), into: &out)
                rest = rest.dropFirst(take)
                state = .events(remaining: remaining - take, padding: padding)
                if remaining == take { try endEvents(padding: padding, into: &out) }
            case .passing(let remaining, let padding):
                let take = min(remaining, rest.count)
                out.append(rest.prefix(take))
                rest = rest.dropFirst(take)
                state = remaining == take ? .padding(padding) : .passing(remaining: remaining - take, padding: padding)
                // The member keeps its size, so its padding too.
                if remaining == take { out.append(Data(count: padding)) }
            case .padding(let count):
                let take = min(count, rest.count)
                rest = rest.dropFirst(take)
                state = count == take ? .memberHeader : .padding(count - take)
            case .end:
                return out
            }
        }
        return out
    }

    /// After the last byte: the end-of-archive marker, once the archive has ended.
    public func finish() throws(Failure) -> Data {
        guard case .end = state else { throw Failure("the bundle ends in the middle of a member") }
        return TarFormat.end
    }

    /// Reads a member's header from `pending` and writes what it can of the member's new header.
    private mutating func begin(into out: inout Data) throws(Failure) {
        let block = pending
        pending = Data()
        if block.allSatisfy({ $0 == 0 }) {
            guard offset != nil else { throw Failure("the bundle has no segment.json") }
            state = .end
            return
        }
        guard let size = TarFormat.size(of: block), size <= Int.max - 511 else { throw Failure("a member's size is not an octal number") }
        guard block[block.startIndex + 156] == UInt8(ascii: "0") || block[block.startIndex + 156] == 0 else {
            throw Failure("a member is not a regular file")
        }
        let name = Self.name(in: block)
        let padding = (512 - size % 512) % 512
        switch name {
        case "segment.json":
            guard offset == nil, size <= SegmentBundleCheck.maxHeaderBytes else { throw Failure("segment.json is not the bundle's one small header") }
            state = .segmentJSON(Data(), remaining: size, padding: padding)
            if size == 0 { try rewriteSegmentJSON(Data(), padding: padding, into: &out) }
        case "events.jsonl":
            guard offset != nil, !sawEvents else { throw Failure("events.jsonl comes before segment.json, or twice") }
            sawEvents = true
            if let knownEventsBytes { out.append(try Self.header("events.jsonl", size: knownEventsBytes)) }
            state = .events(remaining: size, padding: padding)
            if size == 0 { try endEvents(padding: padding, into: &out) }
        default:
            guard offset != nil else { throw Failure("the bundle does not begin with segment.json") }
            out.append(try Self.header(name, size: size))
            state = size == 0 ? .memberHeader : .passing(remaining: size, padding: padding)
        }
    }

    /// `segment.json` whole: its times moved, its id replaced by the handle, its keys sorted so
    /// that every pass writes the same bytes (the first pass's hash and length announce them).
    private mutating func rewriteSegmentJSON(_ json: Data, padding: Int, into out: inout Data) throws(Failure) {
        guard let parsed = try? JSONValue.parse(json), var header = try? SegmentBundleHeader(json: parsed) else {
            throw Failure("segment.json names no session")
        }
        let offset = Self.offset(session: header.session.id, key: key)
        self.offset = offset
        header = header.shifted { $0.addingTimeInterval(-offset) }
        header.id = handle
        let rewritten = Data(header.json.sortingKeys.serializedPretty.utf8)
        out.append(try Self.header("segment.json", size: rewritten.count))
        out.append(rewritten)
        out.append(TarFormat.padding(rewritten.count))
        state = .padding(padding)
    }

    /// Rewrites the complete event lines in `part`; a line cut by the chunk waits for its end.
    private mutating func events(_ part: Data.SubSequence, into out: inout Data) throws(Failure) {
        var rest = part
        while let newline = rest.firstIndex(of: 0x0A) {
            line.append(rest[..<newline])
            rest = rest[(newline + 1)...]
            try event(into: &out)
        }
        line.append(rest)
        guard line.count <= SegmentBundleCheck.maxEventLineBytes else {
            throw Failure("an event line is longer than \(SegmentBundleCheck.maxEventLineBytes) bytes")
        }
    }

    /// The event in `line`, its times moved; an empty line is dropped, as readers skip it.
    private mutating func event(into out: inout Data) throws(Failure) {
        defer { line = Data() }
        guard !line.isEmpty, let offset else { return }
        guard let parsed = try? Event(json: try JSONValue.parse(line)) else { throw Failure("an event line is not an event") }
        let rewritten = Data((Self.shift(parsed) { $0.addingTimeInterval(-offset) }.json.serialized + "\n").utf8)
        eventsBytes += rewritten.count
        guard knownEventsBytes == nil else {
            out.append(rewritten)
            return
        }
        kept?.append(rewritten)
        if let count = kept?.count, count > limit { kept = nil }
    }

    /// After the last event: the kept events with their header, or the padding of the streamed ones.
    private mutating func endEvents(padding: Int, into out: inout Data) throws(Failure) {
        try event(into: &out)
        state = .padding(padding)
        if let knownEventsBytes {
            guard eventsBytes == knownEventsBytes else { throw Failure("the events are not the ones the first pass counted") }
        } else if let kept {
            out.append(try Self.header("events.jsonl", size: kept.count))
            out.append(kept)
            self.kept = Data()
        }
        out.append(TarFormat.padding(eventsBytes))
    }

    private static func name(in block: Data) -> String {
        func text(_ range: Range<Int>) -> String {
            String(decoding: block[(block.startIndex + range.lowerBound)..<(block.startIndex + range.upperBound)].prefix { $0 != 0 }, as: UTF8.self)
        }
        let prefix = text(345..<500)
        return prefix.isEmpty ? text(0..<100) : prefix + "/" + text(0..<100)
    }

    private static func header(_ name: String, size: Int) throws(Failure) -> Data {
        do { return try TarFormat.header(name, size: size, mtime: 0) } catch { throw Failure("\(error)") }
    }

    /// Seconds to move a session's times back by.
    static func offset(session: String, key: SymmetricKey) -> TimeInterval {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("understudy-time-offset-v1 \(session)".utf8), using: key)
        let value = mac.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let year: UInt64 = 365 * 86_400
        return TimeInterval(year + value % (10 * year))
    }

    private static func shift(_ event: Event, by moved: (Date) -> Date) -> Event {
        var event = event
        event.wall = moved(event.wall)
        if case .pause(let until, let by) = event.body { event.body = .pause(until: until.map(moved), by: by) }
        return event
    }
}
