import Foundation
import UnderstudyModel

/// A request on the recorder's control socket: one JSON line, e.g.
/// `{"version":1,"command":"pause","seconds":900}`.
///
/// Versioned, so a command line newer than the running recorder is answered with a clear
/// refusal instead of being misread.
public struct ControlRequest: Codable, Sendable, Equatable {
    /// The protocol's version; a recorder answers other versions with `ok: false`.
    public static let currentVersion = 1

    public enum Command: String, Codable, Sendable {
        case pause, resume, status
        case taskStart = "task.start"
        case taskEnd = "task.end"
    }

    public var version: Int
    public var command: Command
    /// `pause`: how long; the policy's cap when nil or longer.
    public var seconds: Double?
    /// `task.start`: what the task is.
    public var instruction: String?
    /// `task.end`: whether the task was not achieved.
    public var failed: Bool?

    public init(_ command: Command, seconds: Double? = nil, instruction: String? = nil, failed: Bool? = nil) {
        version = Self.currentVersion
        self.command = command
        self.seconds = seconds
        self.instruction = instruction
        self.failed = failed
    }
}

/// The recorder's answer to a ``ControlRequest``: one JSON line.
public struct ControlAnswer: Codable, Sendable, Equatable {
    public var ok: Bool
    /// What to tell the person who asked, in words.
    public var message: String?
    /// `pause` and `status`: when the pause ends (nil when not paused).
    public var pausedUntil: Date?
    /// `status`: the open task's (redacted) instruction.
    public var task: String?
    /// `status`: the recorder's counters so far.
    public var counters: RecorderCounters?

    public init(ok: Bool, message: String? = nil, pausedUntil: Date? = nil, task: String? = nil) {
        self.ok = ok
        self.message = message
        self.pausedUntil = pausedUntil
        self.task = task
    }

    enum CodingKeys: String, CodingKey {
        case ok, message, task, counters
        case pausedUntil = "paused_until"
    }
}

/// The control socket's JSON: RFC 3339 times, as everywhere else in Understudy.
enum ControlJSON {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .rfc3339
        return try encoder.encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .rfc3339
        return try decoder.decode(type, from: data)
    }
}
