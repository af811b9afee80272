import Crypto
import Foundation
import UnderstudyModel

/// A segment bundle as reviewers and scientists get it: every wall-clock time in it moved back
/// by an offset secret to the server, one per session (1 to 11 years, to the second), so the
/// steps keep their order, durations and gaps but not the date or time of day they happened:
/// no one but the contributor learns when they worked. The offset comes from the
/// contributor's data key, so it is stable across reads and gone when they are erased.
enum StaffBundle {
    /// The bundle with its times moved, and its segment named `handle` instead of its id; nil
    /// when it is not a well-formed bundle.
    static func shiftingTimes(of bundle: Data, key: SymmetricKey, naming handle: String) -> Data? {
        guard let members = TarFormat.members(of: bundle),
            let header = members.first(where: { $0.name == "segment.json" }).flatMap({ try? JSONValue.parse($0.data) }),
            let session = header["session"]?["id"]?.stringValue
        else { return nil }
        let offset = offset(session: session, key: key)
        func moved(_ date: Date) -> Date { date.addingTimeInterval(-offset) }
        var rewritten: [TarFormat.Member] = []
        for var member in members {
            if member.name == "segment.json" {
                member.data = Data(renamed(shift(header, by: moved), to: handle).serializedPretty.utf8)
            } else if member.name == "events.jsonl" {
                guard
                    let events = try? String(decoding: member.data, as: UTF8.self).split(separator: "\n")
                        .map({ try Event(json: try JSONValue.parse(Data($0.utf8))) })
                else { return nil }
                member.data = Data(events.map { shift($0, by: moved).json.serialized + "\n" }.joined().utf8)
            }
            rewritten.append(member)
        }
        return try? TarFormat.archive(rewritten, mtime: 0)
    }

    /// Seconds to move a session's times back by.
    static func offset(session: String, key: SymmetricKey) -> TimeInterval {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("understudy-time-offset-v1 \(session)".utf8), using: key)
        let value = mac.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let year: UInt64 = 365 * 86_400
        return TimeInterval(year + value % (10 * year))
    }

    private static func renamed(_ header: JSONValue, to handle: String) -> JSONValue {
        guard case .object(let fields) = header else { return header }
        return .object(fields.map { name, value in name == "id" ? (name, .string(handle)) : (name, value) })
    }

    private static func shift(_ event: Event, by moved: (Date) -> Date) -> Event {
        var event = event
        event.wall = moved(event.wall)
        if case .pause(let until, let by) = event.body { event.body = .pause(until: until.map(moved), by: by) }
        return event
    }

    /// `segment.json` with its times moved: `from`, `to`, and the session's start, end and consent.
    private static func shift(_ header: JSONValue, by moved: (Date) -> Date) -> JSONValue {
        func times(_ object: JSONValue, _ names: Set<String>) -> JSONValue {
            guard case .object(let fields) = object else { return object }
            return .object(
                fields.map { name, value in
                    guard names.contains(name), let date = value.stringValue.flatMap(RFC3339.date(from:)) else { return (name, value) }
                    return (name, .string(RFC3339.string(from: moved(date))))
                })
        }
        guard case .object(let fields) = times(header, ["from", "to"]) else { return header }
        return .object(
            fields.map { name, value in
                name == "session" ? (name, times(value, ["started_at", "ended_at", "consented_at"])) : (name, value)
            })
    }
}
