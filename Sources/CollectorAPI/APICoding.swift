import Foundation
import UnderstudyModel

/// How the collector's JSON is written and read, on both sides: keys in snake_case
/// (`expiresAt` is `expires_at` on the wire), times in RFC 3339 with milliseconds, keys sorted.
public enum APICoding {
    public static func encoder() -> JSONEncoder { ReportCoding.encoder() }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .rfc3339
        return decoder
    }

    public static func encode(_ value: some Encodable) throws -> Data { try encoder().encode(value) }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T { try decoder().decode(type, from: data) }
}
