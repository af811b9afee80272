import Foundation

/// The event JSON contract: one object per event, common fields first, then the kind's own.
extension Event {
    public var json: JSONValue {
        .object([
            ("seq", .int(seq)),
            ("t_ns", .int(Int64(clamping: tNs))),
            ("wall", .string(RFC3339.string(from: wall))),
            ("kind", .string(kind)),
        ] + body.fields)
    }

    public init(json: JSONValue) throws {
        guard let seq = json["seq"]?.intValue, let t = json["t_ns"]?.intValue, t >= 0,
              let wallText = json["wall"]?.stringValue, let wall = RFC3339.date(from: wallText),
              let kind = json["kind"]?.stringValue
        else { throw EventDecodingError.missingCommonFields }
        self.init(seq: seq, tNs: UInt64(t), wall: wall, body: try EventBody(kind: kind, fields: json))
    }
}

public enum EventDecodingError: Error, Equatable, CustomStringConvertible {
    case missingCommonFields
    case unknownKind(String)
    case badField(kind: String, field: String)

    public var description: String {
        switch self {
        case .missingCommonFields: "event is missing seq, t_ns, wall or kind"
        case let .unknownKind(kind): "unknown event kind '\(kind)'"
        case let .badField(kind, field): "\(kind) event has a missing or invalid '\(field)'"
        }
    }
}

extension EventBody {
    /// The kind-specific fields, in contract order.
    public var fields: [(String, JSONValue)] {
        switch self {
        case let .pointerMove(x, y):
            return [("x", .int(Int64(x))), ("y", .int(Int64(y)))]
        case let .pointerDown(x, y, button), let .pointerUp(x, y, button):
            return [("x", .int(Int64(x))), ("y", .int(Int64(y))), ("button", .string(button.rawValue))]
        case let .scroll(x, y, dx, dy):
            return [("x", .int(Int64(x))), ("y", .int(Int64(y))), ("dx", .int(Int64(dx))), ("dy", .int(Int64(dy)))]
        case let .keyDown(key, keycode, mods, text):
            var f = Self.keyFields(key, keycode, mods)
            if let text { f.append(("text", .string(text))) }
            return f
        case let .keyUp(key, keycode, mods):
            return Self.keyFields(key, keycode, mods)
        case let .focus(w):
            var f: [(String, JSONValue)] = [
                ("app", .string(w.app)), ("title", .string(w.title)),
                ("pid", w.pid.map { .int(Int64($0)) } ?? .null),
                ("window", .int(Int64(bitPattern: w.window))),
                ("rect", .array(w.rect.map { .int(Int64($0)) })),
            ]
            if let url = w.url { f.append(("url", .string(url))) }
            return f
        case let .frame(frame, w, h, reason):
            return [("frame", .string(frame)), ("w", .int(Int64(w))), ("h", .int(Int64(h))), ("reason", .string(reason.rawValue))]
        case let .pause(until, by):
            return [("until", until.map { .string(RFC3339.string(from: $0)) } ?? .null), ("by", .string(by.rawValue))]
        case let .resume(by):
            return [("by", .string(by.rawValue))]
        case let .gap(reason, from, to):
            return [("reason", .string(reason.rawValue)), ("from_ns", .int(Int64(clamping: from))), ("to_ns", .int(Int64(clamping: to)))]
        case let .redacted(what, count):
            return [("what", .string(what.rawValue)), ("count", .int(Int64(count)))]
        }
    }

    private static func keyFields(_ key: String, _ keycode: Int, _ mods: [Modifier]) -> [(String, JSONValue)] {
        [("key", .string(key)), ("keycode", .int(Int64(keycode))), ("mods", .array(mods.map { .string($0.rawValue) }))]
    }

    /// Rebuilds a body from its kind and an object holding its fields.
    public init(kind: String, fields f: JSONValue) throws {
        let r = FieldReader(kind: kind, object: f)
        switch kind {
        case "pointer.move": self = .pointerMove(x: try r.int("x"), y: try r.int("y"))
        case "pointer.down": self = .pointerDown(x: try r.int("x"), y: try r.int("y"), button: try r.enumValue("button"))
        case "pointer.up": self = .pointerUp(x: try r.int("x"), y: try r.int("y"), button: try r.enumValue("button"))
        case "scroll": self = .scroll(x: try r.int("x"), y: try r.int("y"), dx: try r.int("dx"), dy: try r.int("dy"))
        case "key.down":
            self = .keyDown(key: try r.string("key"), keycode: try r.int("keycode"), mods: try r.mods(), text: f["text"]?.stringValue)
        case "key.up": self = .keyUp(key: try r.string("key"), keycode: try r.int("keycode"), mods: try r.mods())
        case "focus":
            let rect = try (f["rect"]?.arrayValue ?? []).map { v in
                guard let i = v.intValue else { throw EventDecodingError.badField(kind: kind, field: "rect") }
                return Int(i)
            }
            self = .focus(WindowContext(
                app: try r.string("app"), title: try r.string("title"), pid: f["pid"]?.intValue.map(Int.init),
                window: UInt64(bitPattern: Int64(try r.int("window"))), rect: rect, url: f["url"]?.stringValue))
        case "frame":
            self = .frame(frame: try r.string("frame"), w: try r.int("w"), h: try r.int("h"), reason: try r.enumValue("reason"))
        case "pause": self = .pause(until: f["until"]?.stringValue.flatMap(RFC3339.date(from:)), by: try r.enumValue("by"))
        case "resume": self = .resume(by: try r.enumValue("by"))
        case "gap":
            self = .gap(reason: try r.enumValue("reason"), fromNs: UInt64(try r.int("from_ns")), toNs: UInt64(try r.int("to_ns")))
        case "redacted": self = .redacted(what: try r.enumValue("what"), count: try r.int("count"))
        default: throw EventDecodingError.unknownKind(kind)
        }
    }
}

private struct FieldReader {
    let kind: String
    let object: JSONValue

    func int(_ name: String) throws -> Int {
        guard let v = object[name]?.intValue else { throw EventDecodingError.badField(kind: kind, field: name) }
        return Int(v)
    }

    func string(_ name: String) throws -> String {
        guard let v = object[name]?.stringValue else { throw EventDecodingError.badField(kind: kind, field: name) }
        return v
    }

    func enumValue<E: RawRepresentable>(_ name: String) throws -> E where E.RawValue == String {
        guard let v = object[name]?.stringValue.flatMap(E.init(rawValue:)) else {
            throw EventDecodingError.badField(kind: kind, field: name)
        }
        return v
    }

    func mods() throws -> [Modifier] {
        try (object["mods"]?.arrayValue ?? []).map { v in
            guard let m = v.stringValue.flatMap(Modifier.init(rawValue:)) else {
                throw EventDecodingError.badField(kind: kind, field: "mods")
            }
            return m
        }
    }
}

/// RFC 3339 timestamps in UTC with milliseconds, e.g. `2026-11-23T01:02:03.456Z`.
public enum RFC3339 {
    public static func string(from date: Date) -> String {
        // Round to the millisecond ourselves: the formatter truncates, so .123 could print as .122.
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = Date(timeIntervalSince1970: Double(ms.quotientAndRemainder(dividingBy: 1000).quotient - (ms < 0 && ms % 1000 != 0 ? 1 : 0)))
        let fraction = ((ms % 1000) + 1000) % 1000
        let base = seconds.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
        return base.dropLast() + "." + String(format: "%03lld", fraction) + "Z"
    }

    public static func date(from text: String) -> Date? {
        if let d = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).parse(text) { return d }
        return try? Date.ISO8601FormatStyle(timeZone: .gmt).parse(text)
    }
}
