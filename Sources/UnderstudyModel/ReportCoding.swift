import Foundation

/// How Understudy writes JSON for people's scripts and for its own collector alike: keys in
/// snake_case (`pausedUntil` is `paused_until`), sorted, slashes unescaped, times in RFC 3339
/// with milliseconds. One line per value, so the output reads as JSON lines.
public enum ReportCoding {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .rfc3339
        return encoder
    }

    /// `value` as one line of JSON.
    public static func line(_ value: some Encodable) throws -> String {
        String(decoding: try encoder().encode(value), as: UTF8.self)
    }
}

/// An optional that is written as `null` when absent instead of being left out, so a
/// script reading a report finds every key of it on every line.
@propertyWrapper
public struct Nullable<Value: Encodable & Sendable>: Encodable, Sendable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension Nullable: Equatable where Value: Equatable {}
