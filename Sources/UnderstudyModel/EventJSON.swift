import Foundation

/// The event JSON contract: one object per event, common fields first, then the kind's own.
extension Event {
    public var json: JSONValue {
        .object(
            [
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
        case .unknownKind(let kind): "unknown event kind '\(kind)'"
        case .badField(let kind, let field): "\(kind) event has a missing or invalid '\(field)'"
        }
    }
}

extension EventBody {
    /// The kind-specific fields, in contract order.
    public var fields: [(String, JSONValue)] {
        switch self {
        case .pointerMove(let x, let y):
            return [("x", .int(Int64(x))), ("y", .int(Int64(y)))]
        case .pointerDown(let x, let y, let button), .pointerUp(let x, let y, let button):
            return [("x", .int(Int64(x))), ("y", .int(Int64(y))), ("button", .string(button.rawValue))]
        case .scroll(let x, let y, let dx, let dy):
            return [("x", .int(Int64(x))), ("y", .int(Int64(y))), ("dx", .int(Int64(dx))), ("dy", .int(Int64(dy)))]
        case .keyDown(let key, let keycode, let mods, let text):
            var f = Self.keyFields(key, keycode, mods)
            if let text { f.append(("text", .string(text))) }
            return f
        case .keyUp(let key, let keycode, let mods):
            return Self.keyFields(key, keycode, mods)
        case .focus(let w):
            var f: [(String, JSONValue)] = [
                ("app", .string(w.app)), ("title", .string(w.title)),
                ("pid", w.pid.map { .int(Int64($0)) } ?? .null),
                ("window", .int(Int64(bitPattern: w.window))),
                ("rect", .array(w.rect.map { .int(Int64($0)) })),
            ]
            if let url = w.url { f.append(("url", .string(url))) }
            if w.passwordField { f.append(("password_field", .bool(true))) }
            if w.privateWindow { f.append(("private_window", .bool(true))) }
            return f
        case .frame(let frame, let w, let h, let reason):
            return [("frame", .string(frame)), ("w", .int(Int64(w))), ("h", .int(Int64(h))), ("reason", .string(reason.rawValue))]
        case .pause(let until, let by):
            return [("until", until.map { .string(RFC3339.string(from: $0)) } ?? .null), ("by", .string(by.rawValue))]
        case .resume(let by):
            return [("by", .string(by.rawValue))]
        case .gap(let reason, let from, let to):
            return [("reason", .string(reason.rawValue)), ("from_ns", .int(Int64(clamping: from))), ("to_ns", .int(Int64(clamping: to)))]
        case .redacted(let what, let count, let token):
            return [("what", .string(what.rawValue)), ("count", .int(Int64(count)))] + (token.map { [("token", .string($0))] } ?? [])
        case .taskStart(let instruction):
            return [("instruction", .string(instruction))]
        case .taskEnd(let outcome):
            return [("outcome", .string(outcome.rawValue))]
        case .target(let of, let element):
            return [("of_t_ns", .int(Int64(clamping: of)))] + element.fields
        case .accessibilitySnapshot(let frame, let window, let snapshot):
            return [("frame", .string(frame)), ("window", .int(Int64(bitPattern: window)))] + snapshot.fields
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
            self = .focus(
                WindowContext(
                    app: try r.string("app"), title: try r.string("title"), pid: f["pid"]?.intValue.map(Int.init),
                    window: UInt64(bitPattern: Int64(try r.int("window"))), rect: rect, url: f["url"]?.stringValue,
                    passwordField: f["password_field"] == .bool(true), privateWindow: f["private_window"] == .bool(true)))
        case "frame":
            self = .frame(frame: try r.hash("frame"), w: try r.int("w"), h: try r.int("h"), reason: try r.enumValue("reason"))
        case "pause": self = .pause(until: f["until"]?.stringValue.flatMap(RFC3339.date(from:)), by: try r.enumValue("by"))
        case "resume": self = .resume(by: try r.enumValue("by"))
        case "gap":
            self = .gap(reason: try r.enumValue("reason"), fromNs: try r.ns("from_ns"), toNs: try r.ns("to_ns"))
        case "redacted":
            let token = f["token"]?.stringValue
            // Only the shapes a redactor writes: a token is never a way to smuggle text past redaction.
            guard token.map(RedactedToken.isValid) ?? true else { throw EventDecodingError.badField(kind: kind, field: "token") }
            self = .redacted(what: try r.enumValue("what"), count: try r.int("count"), token: token)
        case "task.start": self = .taskStart(instruction: try r.string("instruction"))
        case "task.end": self = .taskEnd(outcome: try r.enumValue("outcome"))
        case "target":
            let of = try r.ns("of_t_ns")
            guard let element = AccessibleElement(json: f) else { throw EventDecodingError.badField(kind: kind, field: "role") }
            self = .target(ofNs: of, element: element)
        case "a11y":
            let frame = try r.hash("frame")
            let window = UInt64(bitPattern: Int64(try r.int("window")))
            guard let snapshot = AccessibilitySnapshot(json: f) else { throw EventDecodingError.badField(kind: kind, field: "nodes") }
            self = .accessibilitySnapshot(frame: frame, window: window, snapshot: snapshot)
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

    /// A time on the session's clock: never negative.
    func ns(_ name: String) throws -> UInt64 {
        guard let v = UInt64(exactly: try int(name)) else { throw EventDecodingError.badField(kind: kind, field: name) }
        return v
    }

    /// A frame's content hash, which later names a file and an HTML attribute.
    func hash(_ name: String) throws -> String {
        let v = try string(name)
        guard v.isFrameHash else { throw EventDecodingError.badField(kind: kind, field: name) }
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
///
/// Formatting is plain arithmetic on the proleptic Gregorian calendar (days from civil, as
/// in Howard Hinnant's date algorithms): every event printed by `log --json` needs one, and
/// Foundation's formatter costs tens of microseconds each.
public enum RFC3339 {
    public static func string(from date: Date) -> String {
        // Round to the millisecond: truncating would print .123 as .122.
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (days, msOfDay) = floorDivide(ms, 86_400_000)
        let (year, month, day) = civil(fromDays: days)
        var out = [UInt8]()
        out.reserveCapacity(24)
        func digits(_ value: Int64, _ count: Int) {
            var divisor: Int64 = 1
            for _ in 1..<count { divisor *= 10 }
            var v = value
            while divisor > 0 {
                out.append(UInt8(48 + (v / divisor) % 10))
                v %= divisor
                divisor /= 10
            }
        }
        digits(year, 4)
        out.append(45)
        digits(month, 2)
        out.append(45)
        digits(day, 2)
        out.append(84)
        digits(msOfDay / 3_600_000, 2)
        out.append(58)
        digits(msOfDay / 60000 % 60, 2)
        out.append(58)
        digits(msOfDay / 1000 % 60, 2)
        out.append(46)
        digits(msOfDay % 1000, 3)
        out.append(90)
        return String(decoding: out, as: UTF8.self)
    }

    public static func date(from text: String) -> Date? {
        if let ms = fastParse(text) { return Date(timeIntervalSince1970: Double(ms) / 1000) }
        if let d = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).parse(text) { return d }
        return try? Date.ISO8601FormatStyle(timeZone: .gmt).parse(text)
    }

    /// Milliseconds since 1970 for exactly `YYYY-MM-DDTHH:MM:SS.mmmZ`, the form `string(from:)` writes.
    private static func fastParse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 24, b[4] == 45, b[7] == 45, b[10] == 84, b[13] == 58, b[16] == 58, b[19] == 46, b[23] == 90 else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for i in range {
                guard (48...57).contains(b[i]) else { return nil }
                v = v * 10 + Int64(b[i] - 48)
            }
            return v
        }
        guard let y = number(0..<4), let mo = number(5..<7), let d = number(8..<10), let h = number(11..<13),
            let mi = number(14..<16), let s = number(17..<19), let ms = number(20..<23),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 60
        else { return nil }
        return days(fromCivil: y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60000 + s * 1000 + ms
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a >= 0 ? a / b : (a - b + 1) / b
        return (q, a - q * b)
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
