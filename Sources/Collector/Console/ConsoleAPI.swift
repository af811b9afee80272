import CollectorAPI
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The console's only way to the collector's data: each page reads, and each form acts,
/// through the API's own router, in process, with the console session's token as its bearer
/// token. So a console action is the same route, role check and audit record as the command
/// that does it, and the console holds no rule of its own about who may do what.
struct ConsoleAPI: Sendable {
    /// The API's routes and middleware, without the console's.
    let responder: RouterResponder<CollectorContext>

    /// The API said no: its status and its error, shown to the member of staff as they are.
    struct Refusal: Error {
        var status: HTTPResponse.Status
        var error: ErrorBody
    }

    func get<Answer: Decodable>(_ path: String, as: Answer.Type, token: String, context: CollectorContext) async throws -> Answer {
        try APICoding.decode(Answer.self, from: try await call(.get, path, body: nil, token: token, context: context))
    }

    func post<Answer: Decodable>(
        _ path: String, _ body: some Encodable, as: Answer.Type, token: String?, context: CollectorContext
    ) async throws -> Answer {
        try APICoding.decode(Answer.self, from: try await call(.post, path, body: try APICoding.encode(body), token: token, context: context))
    }

    /// An answer's bytes as they are (a segment bundle, not JSON).
    func bytes(_ path: String, token: String, context: CollectorContext) async throws -> Data {
        try await call(.get, path, body: nil, token: token, context: context)
    }

    /// Every record of the audit log, read a page at a time as `admin audit` reads it.
    func auditLog(token: String, context: CollectorContext) async throws -> [AuditRecordListing] {
        var records: [AuditRecordListing] = []
        while true {
            let after = records.last?.seq ?? 0
            let page = try await get(
                "/v1/audit?after=\(after)&limit=\(AuditPage.maxLimit)", as: [AuditRecordListing].self, token: token, context: context)
            records += page
            if page.count < AuditPage.maxLimit { return records }
        }
    }

    /// One path segment of an API path, whatever it holds.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(
            withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")) ?? ""
    }

    private func call(_ method: HTTPRequest.Method, _ path: String, body: Data?, token: String?, context: CollectorContext) async throws -> Data {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        if body != nil { fields[.contentType] = "application/json" }
        let request = Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "console", path: path, headerFields: fields),
            body: RequestBody(buffer: ByteBuffer(bytes: body ?? Data())))
        // The console's own request was anonymous as far as the API knows: the API signs it in again.
        var inner = context
        (inner.staff, inner.device, inner.signedContentSHA256) = (nil, nil, nil)
        let response: Response
        do {
            response = try await responder.respond(to: request, context: inner)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: inner)
        }
        let data = try await Self.body(of: response)
        guard response.status.code < 400 else {
            throw Refusal(
                status: response.status,
                error: (try? APICoding.decode(ErrorBody.self, from: data)) ?? ErrorBody(code: "unknown", message: "the collector refused"))
        }
        return data
    }

    private static func body(of response: Response) async throws -> Data {
        let collected = Collected()
        try await response.body.write(CollectingWriter(into: collected))
        return Data(buffer: collected.buffer)
    }
}

/// What a response body wrote, for ``ConsoleAPI`` to read: only its own task touches it.
private final class Collected: @unchecked Sendable {
    var buffer = ByteBuffer()
}

private struct CollectingWriter: ResponseBodyWriter {
    let into: Collected

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        into.buffer.writeBuffer(&buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
