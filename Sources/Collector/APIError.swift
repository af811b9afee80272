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

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(.object([("code", .string(code)), ("message", .string(message))]), status: status)
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }
    static let unauthenticated = APIError(.unauthorized, "unauthenticated", "sign in (POST /v1/login) or sign the request with an enrolled device's key")
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
        case .full: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
        case .io: .serviceUnavailable
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let (code, message): (String, String) = switch self {
        case .duplicate: ("exists", description)
        case .notFound: ("not_found", description)
        case .full: ("storage_full", "the collector's storage is full (\(description)): nothing was stored; try again later")
        case .io: ("storage_unavailable", "the collector's storage is failing: nothing was stored; try again later")
        }
        return JSONResponse.make(.object([("code", .string(code)), ("message", .string(message))]), status: status)
    }
}

enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.serialized + "\n")))
    }
}

extension Request {
    /// The body parsed as a JSON object, at most `limit` bytes. A device's request must carry
    /// the body whose hash it signed.
    func jsonObject(_ context: CollectorContext, limit: Int = 64 * 1024) async throws -> JSONValue {
        let buffer: ByteBuffer
        do { buffer = try await body.collect(upTo: limit) } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "too_large", "the request body is larger than \(limit) bytes")
        }
        let data = Data(buffer.readableBytesView)
        if let signed = context.signedContentSHA256, Secret.hash(data) != signed {
            throw APIError(.badRequest, "hash_mismatch", "the body is not the one whose hash was signed")
        }
        guard let value = try? JSONValue.parse(data), case .object = value else {
            throw APIError.badRequest("the body must be a JSON object")
        }
        return value
    }
}

extension JSONValue {
    /// A required string field of a request body.
    func required(_ name: String) throws -> String {
        guard let value = self[name]?.stringValue, !value.isEmpty else { throw APIError.badRequest("'\(name)' is required and must be text") }
        return value
    }
}
