import CollectorAPI
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import UnderstudyModel

/// An error the API answers with: a status, a stable machine-readable code and a message a
/// person can act on, as `{"code": "...", "message": "..."}`. Bad input is always a 4xx.
public struct APIError: HTTPResponseError, Equatable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Seconds after which a refused request may be tried again (`Retry-After`), for 429.
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONResponse.make(ErrorBody(code: code, message: message), status: status)
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }
    static let unauthenticated = APIError(
        .unauthorized, "unauthenticated", "sign in (POST /v1/login) or sign the request with an enrolled device's key")
    static func forbidden(_ what: String) -> APIError { APIError(.forbidden, "forbidden", "your role may not \(what)") }
    static func notFound(_ what: String) -> APIError { APIError(.notFound, "not_found", "\(what) does not exist") }
}

/// Storage failures answer as errors of their own: a full disk is 507 (the device keeps its
/// copy and tries again later), a failing one 503; neither is a bare 500.
extension StoreError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch self {
        case .duplicate: .conflict
        case .notFound: .notFound
        case .full: .insufficientStorage
        case .io: .serviceUnavailable
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let (code, message): (String, String) =
            switch self {
            case .duplicate: ("exists", description)
            case .notFound: ("not_found", description)
            case .full: ("storage_full", "the collector's storage is full (\(description)): nothing was stored; try again later")
            case .io: ("storage_unavailable", "the collector's storage is failing: nothing was stored; try again later")
            }
        return JSONResponse.make(ErrorBody(code: code, message: message), status: status)
    }
}

/// Answers with one of the API's types (``CollectorAPI``), as JSON.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        // The API's types encode without fail (strings, numbers, dates): a failure is a bug, answered as one.
        let data = (try? APICoding.encode(value)) ?? Data(#"{"code":"internal","message":"the answer could not be encoded"}"#.utf8)
        var buffer = ByteBuffer(bytes: data)
        buffer.writeString("\n")
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }
}

extension Request {
    /// The body as one of the API's request types (``CollectorAPI``), at most `limit` bytes.
    /// A device's request must carry the body whose hash it signed. A missing or mistyped field
    /// is a 400 that names it; so is a body that is not JSON.
    func decode<T: Decodable>(_ type: T.Type, _ context: CollectorContext, limit: Int = 64 * 1024) async throws -> T {
        let buffer: ByteBuffer
        do { buffer = try await body.collect(upTo: limit) } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "too_large", "the request body is larger than \(limit) bytes")
        }
        let data = Data(buffer.readableBytesView)
        if let signed = context.signedContentSHA256, Secret.hash(data) != signed {
            throw APIError(.badRequest, "hash_mismatch", "the body is not the one whose hash was signed")
        }
        do {
            return try APICoding.decode(type, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError.badRequest("'\(Self.wireName(key))' is required")
        } catch let DecodingError.typeMismatch(_, at), let DecodingError.valueNotFound(_, at) {
            throw APIError.badRequest("'\(at.codingPath.map(Self.wireName).joined(separator: "."))' has the wrong type")
        } catch let DecodingError.dataCorrupted(at) where !at.codingPath.isEmpty {
            throw APIError.badRequest("'\(at.codingPath.map(Self.wireName).joined(separator: "."))': \(at.debugDescription)")
        } catch {
            throw APIError.badRequest("the body must be a JSON object of the documented fields")
        }
    }

    /// A field's name as the wire spells it (`publicKey` is `public_key`; an array index is its number).
    private static func wireName(_ key: any CodingKey) -> String {
        if let index = key.intValue { return String(index) }
        return key.stringValue.reduce(into: "") { name, c in name += c.isUppercase ? "_" + c.lowercased() : String(c) }
    }
}

/// A required text field of a request: present (the type says so) and not empty.
func nonEmpty(_ value: String, _ name: String) throws -> String {
    guard !value.isEmpty else { throw APIError.badRequest("'\(name)' is required and must be text") }
    return value
}

extension HTTPResponse.Status {
    /// 507: the collector's disk, or a contributor's quota, has no room for what was sent.
    static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
}
