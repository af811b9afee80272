import Foundation

/// Checks, as its bytes stream past, that an archive is a well-formed segment bundle: the tar
/// file `understudy sync` uploads (written by the vault's `SegmentBundle`; its members are
/// described there). The collector runs it over every upload before anything is stored, so what
/// reviewers, scientists and their tools later read is a bundle their parsers take.
///
/// Checked: every header (checksum, an octal size, a regular file), the member names the bundle
/// format knows and each one's size bound, no name twice, `segment.json` first, with its segment and
/// session ids as UUIDs and its policy hash as hex, every event line an event (frame hashes as
/// hex), every frame layout's geometry and hashes, every patch layout's codec and tile hashes,
/// every patch layout's pixels present, and the end-of-archive marker with nothing but zeros
/// after it. What it accepts, `SegmentBundleContents` reads: frame layouts are held to the
/// bounds of ``FrameManifest/problem``, and event lines are split at the same bytes.
public struct SegmentBundleCheck: Sendable {
    /// Why an archive is not a segment bundle; `description` says where, never what it held.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Size bounds per member: the small JSON members are parsed whole, so they stay small.
    public static let maxHeaderBytes = 64 * 1024
    public static let maxLayoutBytes = 1 << 20
    public static let maxEventLineBytes = 1 << 20
    /// A screen side, in pixels, and a patch's tile side (frames have ``FrameManifest``'s bounds).
    public static let maxSide = 1 << 15
    public static let maxTileSide = 4096

    private enum Kind: Equatable {
        case header, events, frame, patchLayout, patchPixels
    }

    private enum State {
        case header
        case data(name: String, kind: Kind, remaining: Int, padding: Int)
        case padding(Int)
        case end
    }

    private var state = State.header
    private var pending: [UInt8] = []
    private var names: Set<String> = []
    private var eventLine: [UInt8] = []
    private var events = 0
    /// The pixel members the patch layouts so far name (`patches/N.png`), which must all come.
    private var patchPixels: Set<String> = []

    /// What `segment.json` says, once it has streamed past: the collector holds an upload's
    /// signed body to these rather than to the request's unsigned headers.
    public struct Declared: Sendable, Equatable {
        public var segment: String
        /// The session's policy hash; nil for a session recorded without one.
        public var policyHash: String?
        /// When the segment's recording ended, if it says.
        public var recordedUntil: Date?
    }
    public private(set) var declared: Declared?

    public init() {}

    /// Takes the next bytes of the archive.
    public mutating func feed(_ chunk: some Collection<UInt8>) throws(Failure) {
        var rest = chunk[...]
        while !rest.isEmpty {
            switch state {
            case .header:
                let take = min(512 - pending.count, rest.count)
                pending.append(contentsOf: rest.prefix(take))
                rest = rest.dropFirst(take)
                if pending.count == 512 { try header() }
            case .data(let name, let kind, let remaining, let padding):
                let take = min(remaining, rest.count)
                let part = rest.prefix(take)
                rest = rest.dropFirst(take)
                if kind == .events {
                    try eventBytes(part)
                } else if kind != .patchPixels {
                    pending.append(contentsOf: part)
                }
                if remaining - take == 0 {
                    try finished(name, kind)
                    state = padding > 0 ? .padding(padding) : .header
                } else {
                    state = .data(name: name, kind: kind, remaining: remaining - take, padding: padding)
                }
            case .padding(let count):
                let take = min(count, rest.count)
                rest = rest.dropFirst(take)
                state = count - take == 0 ? .header : .padding(count - take)
            case .end:
                guard rest.allSatisfy({ $0 == 0 }) else { throw Failure("bytes follow the end of the archive") }
                rest = rest.dropFirst(rest.count)
            }
        }
    }

    /// After the last byte: the archive must have ended, and held a `segment.json` and an `events.jsonl`.
    public func finish() throws(Failure) {
        guard case .end = state else { throw Failure("the archive ends without its end marker") }
        guard names.contains("segment.json") else { throw Failure("the bundle has no segment.json") }
        guard names.contains("events.jsonl") else { throw Failure("the bundle has no events.jsonl") }
        // Readers open a patch's pixels by its layout's codec: without them no reader opens the bundle.
        guard let missing = patchPixels.subtracting(names).min() else { return }
        throw Failure("\(missing) is missing (its layout names it)")
    }

    /// Checks a whole bundle held in memory.
    public static func check(_ archive: some Collection<UInt8>) throws(Failure) {
        var check = SegmentBundleCheck()
        try check.feed(archive)
        try check.finish()
    }

    private mutating func header() throws(Failure) {
        let block = pending
        pending = []
        if block.allSatisfy({ $0 == 0 }) {
            state = .end
            return
        }
        let stored = block[148..<156]
        let sum = block[..<148].reduce(0) { $0 + Int($1) } + 8 * 0x20 + block[156...].reduce(0) { $0 + Int($1) }
        guard TarFormat.octal(stored) == sum else { throw Failure("a member header's checksum is wrong") }
        guard let size = TarFormat.size(of: block) else { throw Failure("a member's size is not an octal number") }
        guard block[156] == UInt8(ascii: "0") || block[156] == 0 else { throw Failure("a member is not a regular file") }
        func text(_ range: Range<Int>) -> String { String(decoding: block[range].prefix { $0 != 0 }, as: UTF8.self) }
        let prefix = text(345..<500)
        let name = prefix.isEmpty ? text(0..<100) : prefix + "/" + text(0..<100)
        guard let (kind, limit) = Self.kind(of: name) else { throw Failure("a member's name is not one the bundle format has") }
        // Staff reads rewrite the events with the session's offset as they stream, so they need
        // the session first (the vault writes it first).
        guard !names.isEmpty || kind == .header else { throw Failure("the bundle does not begin with segment.json") }
        guard names.insert(name).inserted else { throw Failure("\(name) appears twice") }
        guard size <= limit else { throw Failure("\(name) is larger than \(limit) bytes") }
        let padding = (512 - size % 512) % 512
        if size == 0 {
            try finished(name, kind)
            state = .header
        } else {
            state = .data(name: name, kind: kind, remaining: size, padding: padding)
        }
    }

    /// What a member name is, and how large it may be; nil for names the format does not have.
    private static func kind(of name: String) -> (Kind, Int)? {
        func digits(_ text: Substring, count: ClosedRange<Int>) -> Bool {
            count.contains(text.count) && text.allSatisfy { $0.isASCII && $0.isNumber }
        }
        if name == "segment.json" { return (.header, maxHeaderBytes) }
        if name == "events.jsonl" { return (.events, Int.max) }
        if name.hasPrefix("frames/"), name.hasSuffix(".frame"), digits(name.dropFirst(7).dropLast(6), count: 1...9) {
            return (.frame, maxLayoutBytes)
        }
        if name.hasPrefix("patches/") {
            let file = name.dropFirst(8)
            guard let dot = file.firstIndex(of: "."), digits(file[..<dot], count: 1...9) else { return nil }
            let ext = file[file.index(after: dot)...]
            if ext == "json" { return (.patchLayout, maxLayoutBytes) }
            if TileCodec(rawValue: String(ext)) != nil { return (.patchPixels, Int.max) }
        }
        return nil
    }

    private mutating func finished(_ name: String, _ kind: Kind) throws(Failure) {
        let data = Data(pending)
        pending = []
        switch kind {
        case .header: declared = try Self.segmentHeader(data)
        case .events:
            if !eventLine.isEmpty { try event(eventLine) }
            eventLine = []
        case .frame: try Self.frame(data, name)
        case .patchLayout: patchPixels.insert(name.dropLast("json".count) + (try Self.patchLayout(data, name)).rawValue)
        case .patchPixels: break
        }
    }

    private mutating func eventBytes(_ bytes: some Collection<UInt8>) throws(Failure) {
        var rest = bytes[...]
        while let newline = rest.firstIndex(of: 0x0A) {
            eventLine.append(contentsOf: rest[..<newline])
            rest = rest[rest.index(after: newline)...]
            if !eventLine.isEmpty { try event(eventLine) }
            eventLine = []
        }
        eventLine.append(contentsOf: rest)
        guard eventLine.count <= Self.maxEventLineBytes else {
            throw Failure("event line \(events + 1) is longer than \(Self.maxEventLineBytes) bytes")
        }
    }

    private mutating func event(_ line: [UInt8]) throws(Failure) {
        events += 1
        guard let json = try? JSONValue.parse(Data(line)), let event = try? Event(json: json) else {
            throw Failure("line \(events) of events.jsonl is not an event")
        }
        if case .frame(let frame, _, _, _) = event.body, !Self.isHash(frame, digits: 32) {
            throw Failure("the frame hash of event line \(events) is not 32 hex digits")
        }
    }

    private static func segmentHeader(_ data: Data) throws(Failure) -> Declared {
        guard let json = try? JSONValue.parse(data) else { throw Failure("segment.json is not a JSON object") }
        let header: SegmentBundleHeader
        do { header = try SegmentBundleHeader(json: json, maxSide: maxSide) } catch { throw Failure(error.description) }
        // Uploads come from devices, which name segments by UUID (staff's handles are the collector's).
        guard isUUID(header.id) else { throw Failure("segment.json's id is not a UUID") }
        guard isUUID(header.session.id) else { throw Failure("the session id is not a UUID") }
        return Declared(segment: header.id, policyHash: header.session.policyHash, recordedUntil: header.to)
    }

    private static func frame(_ data: Data, _ name: String) throws(Failure) {
        guard let newline = data.firstIndex(of: 0x0A), let json = try? JSONValue.parse(data[data.startIndex..<newline]) else {
            throw Failure("\(name) has no layout line")
        }
        guard let hash = json["hash"]?.stringValue, isHash(hash, digits: 32) else { throw Failure("\(name)'s hash is not 32 hex digits") }
        guard let width = json["width"]?.intValue, let height = json["height"]?.intValue, let tile = json["tile_size"]?.intValue,
            (1...Int64(FrameManifest.maxSide)).contains(width), (1...Int64(FrameManifest.maxSide)).contains(height),
            (1...Int64(FrameManifest.maxTileSize)).contains(tile),
            (json["grabbed_ns"]?.intValue ?? -1) >= 0, json["reason"]?.stringValue.flatMap(FrameReason.init(rawValue:)) != nil
        else { throw Failure("\(name)'s geometry, time or reason is not valid") }
        let tiles = data.count - (newline - data.startIndex) - 1
        let grid = Int((width + tile - 1) / tile * ((height + tile - 1) / tile))
        guard tiles % 16 == 0, tiles == 0 || tiles / 16 == grid else { throw Failure("\(name)'s tiles do not fill its grid") }
    }

    /// The layout's codec, which names its pixels member.
    private static func patchLayout(_ data: Data, _ name: String) throws(Failure) -> TileCodec {
        guard let json = try? JSONValue.parse(data) else { throw Failure("\(name) is not a patch layout") }
        do { return try TilePatchLayout(json: json, maxTileSide: maxTileSide).codec } catch { throw Failure("\(name) \(error.description)") }
    }

    static func isHash(_ text: String, digits: Int) -> Bool {
        text.utf8.count == digits && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    static func isUUID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        return bytes.indices.allSatisfy { i in
            [8, 13, 18, 23].contains(i) ? bytes[i] == UInt8(ascii: "-") : (0x30...0x39).contains(bytes[i]) || (0x61...0x66).contains(bytes[i])
        }
    }
}
