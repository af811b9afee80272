import Foundation

/// `segment.json`, a segment bundle's first member: the segment's id, place in its session,
/// times and counts, and the session it belongs to. One type for every side that touches it:
/// the vault writes it, the collector's upload check reads and checks it, the collector moves
/// its times and renames it for staff, and readers of bundles turn it back into a session.
///
/// Like events, it is written field by field (``json``) rather than by an encoder, so the same
/// segment gives the same bytes in every version: a bundle's hash is its upload's identity.
public struct SegmentBundleHeader: Sendable, Equatable {
    /// The segment's session, as much of it as leaves the device (the screen's size, no monitor layout).
    public struct SessionPart: Sendable, Equatable {
        public var id: String
        public var startedAt: Date
        public var endedAt: Date?
        public var backend: String
        public var display: String
        public var width: Int
        public var height: Int
        public var policyHash: String?
        public var policyUnsigned: Bool
        public var consentedAt: Date?

        public init(_ session: Session) {
            (id, startedAt, endedAt, backend, display) = (session.id, session.startedAt, session.endedAt, session.backend, session.display)
            (width, height, policyHash) = (session.screen.width, session.screen.height, session.policyHash)
            (policyUnsigned, consentedAt) = (session.policyUnsigned, session.consentedAt)
        }

        /// The session it describes.
        public var session: Session {
            Session(
                id: id, startedAt: startedAt, endedAt: endedAt, backend: backend, display: display,
                screen: ScreenGeometry(width: width, height: height, monitors: []), policyHash: policyHash, policyUnsigned: policyUnsigned,
                consentedAt: consentedAt)
        }
    }

    /// Why a `segment.json` is not one; says which field, never what it held.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public var id: String
    public var index: Int
    public var from: Date?
    public var to: Date?
    public var events: Int?
    public var frames: Int?
    public var session: SessionPart

    public init(id: String, index: Int, from: Date?, to: Date?, events: Int?, frames: Int?, session: SessionPart) {
        (self.id, self.index, self.from, self.to, self.events, self.frames, self.session) = (id, index, from, to, events, frames, session)
    }

    /// Its JSON, field by field in a fixed order (absent times as `null`).
    public var json: JSONValue {
        func time(_ date: Date?) -> JSONValue { date.map { .string(RFC3339.string(from: $0)) } ?? .null }
        let s = session
        let sessionJSON: JSONValue = .object([
            ("id", .string(s.id)), ("started_at", time(s.startedAt)), ("ended_at", time(s.endedAt)), ("backend", .string(s.backend)),
            ("display", .string(s.display)), ("screen", .array([.int(Int64(s.width)), .int(Int64(s.height))])),
            ("policy_hash", s.policyHash.map { .string($0) } ?? .null), ("policy_unsigned", .bool(s.policyUnsigned)),
            ("consented_at", time(s.consentedAt)),
        ])
        var fields: [(String, JSONValue)] = [("id", .string(id)), ("index", .int(Int64(index))), ("from", time(from)), ("to", time(to))]
        if let events { fields.append(("events", .int(Int64(events)))) }
        if let frames { fields.append(("frames", .int(Int64(frames)))) }
        fields.append(("session", sessionJSON))
        return .object(fields)
    }

    /// Reads and checks `segment.json`: the id a segment id (``isSegmentID(_:)``), the session's a
    /// UUID, times RFC 3339, the screen a width and
    /// height of at most `maxSide`, the policy hash 64 hex digits. Other fields are not kept.
    public init(json: JSONValue, maxSide: Int = SegmentBundleCheck.maxSide) throws(Failure) {
        guard case .object = json else { throw Failure("segment.json is not a JSON object") }
        guard let id = json["id"]?.stringValue, Self.isSegmentID(id) else { throw Failure("segment.json's id is not a segment id") }
        let index = json["index"].map { $0.intValue ?? -1 } ?? 0
        guard index >= 0 else { throw Failure("segment.json's index is not a count") }
        let from = try Self.time(json["from"], "segment.json's from")
        let to = try Self.time(json["to"], "segment.json's to")
        guard let session = json["session"], case .object = session else { throw Failure("segment.json has no session") }
        guard let sessionID = session["id"]?.stringValue, UUID(uuidString: sessionID) != nil else { throw Failure("the session id is not a UUID") }
        guard let started = try Self.time(session["started_at"], "the session's started_at") else {
            throw Failure("the session's started_at is not a time")
        }
        guard let screen = session["screen"]?.arrayValue?.compactMap(\.intValue), screen.count == 2,
            screen.allSatisfy({ (0...Int64(maxSide)).contains($0) })
        else { throw Failure("the session's screen is not a width and height") }
        var policyHash: String?
        if let policy = session["policy_hash"], policy != .null {
            guard let hash = policy.stringValue, SegmentBundleCheck.isHash(hash, digits: 64) else {
                throw Failure("the session's policy_hash is not 64 hex digits")
            }
            policyHash = hash
        }
        var part = SessionPart(
            Session(id: sessionID, startedAt: started, backend: "", display: "", screen: ScreenGeometry(width: 0, height: 0, monitors: [])))
        (part.width, part.height, part.policyHash) = (Int(screen[0]), Int(screen[1]), policyHash)
        (part.backend, part.display) = (session["backend"]?.stringValue ?? "", session["display"]?.stringValue ?? "")
        part.endedAt = try Self.time(session["ended_at"], "the session's ended_at")
        part.consentedAt = try Self.time(session["consented_at"], "the session's consented_at")
        part.policyUnsigned = session["policy_unsigned"]?.boolValue ?? false
        self.init(
            id: id, index: Int(clamping: index), from: from, to: to, events: json["events"]?.intValue.map { Int($0) },
            frames: json["frames"]?.intValue.map { Int($0) }, session: part)
    }

    /// A segment id as devices make them (a UUID) or as staff see them (a handle): letters,
    /// digits and dashes. It reaches file names, pages and terminals downstream.
    public static func isSegmentID(_ id: String) -> Bool {
        (1...80).contains(id.utf8.count) && id.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") }
    }

    /// A time field: absent or `null` is nil; anything but an RFC 3339 string is refused.
    private static func time(_ value: JSONValue?, _ name: String) throws(Failure) -> Date? {
        guard let value, value != .null else { return nil }
        guard let date = value.stringValue.flatMap(RFC3339.date(from:)) else { throw Failure("\(name) is not a time") }
        return date
    }

    /// The same header with every time moved by `moved` (the collector's shift for staff).
    public func shifted(by moved: (Date) -> Date) -> SegmentBundleHeader {
        var copy = self
        (copy.from, copy.to) = (from.map(moved), to.map(moved))
        (copy.session.startedAt, copy.session.endedAt) = (moved(session.startedAt), session.endedAt.map(moved))
        copy.session.consentedAt = session.consentedAt.map(moved)
        return copy
    }
}
