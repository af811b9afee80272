import AsyncHTTPClient
import CollectorAPI
import Crypto
import Foundation
import NIOCore
import NIOSSL
import UnderstudyModel

/// Talks to a collector: JSON requests signed by the device or carrying a staff token, and
/// uploads streamed from a file. Errors carry the server's code and message.
public final class CollectorClient: Sendable {
    public let server: URL
    /// The time signed requests carry; the server refuses one too far from its own.
    public let clock: WallClock
    private let http: HTTPClient
    private let timeout: TimeAmount

    /// Names a PEM file of certificates to trust besides the system's: an organisation whose
    /// collector's certificate comes from its own CA sets it on its devices.
    public static let caFileVariable = "UNDERSTUDY_CA_FILE"

    public init(
        server: URL, timeout: TimeAmount = .seconds(60), environment: [String: String] = ProcessInfo.processInfo.environment,
        clock: WallClock = .system
    ) {
        self.server = server
        self.clock = clock
        self.timeout = timeout
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: timeout)
        if let caFile = environment[Self.caFileVariable], !caFile.isEmpty {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.file(caFile)]
            configuration.tlsConfiguration = tls
        }
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async { try? await http.shutdown() }

    /// Runs `body` with a client for `server`, shut down afterwards whatever happens.
    public static func with<T>(
        _ server: URL, timeout: Duration = .seconds(60), clock: WallClock = .system,
        _ body: (CollectorClient) async throws -> T
    ) async throws -> T {
        let (seconds, attoseconds) = timeout.components
        let client = CollectorClient(server: server, timeout: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000), clock: clock)
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Who a request is from.
    public enum Identity: Sendable {
        case anonymous
        case device(DeviceCredential)
        case staff(token: String)
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The server answered with an error.
        case refused(status: Int, code: String, message: String)
        /// No answer: connection refused, reset, timed out.
        case unreachable(String)
        /// An answer without what it should hold.
        case unexpected(String)

        public var description: String {
            switch self {
            case .refused(let status, let code, let message): "the server refused (\(status) \(code)): \(message)"
            case .unreachable(let reason): "cannot reach the server: \(reason)"
            case .unexpected(let reason): "the server's answer is not usable: \(reason)"
            }
        }

        /// Worth trying again later: no answer, or a server-side failure.
        public var isTransient: Bool {
            switch self {
            case .unreachable: true
            case .unexpected: false
            // A full quota stays full until the organisation raises it: asking again is no use.
            case .refused(let status, let code, _): (status >= 500 && code != "quota_exceeded") || status == 429
            }
        }
    }

    public struct Answer: Sendable {
        public var status: Int
        public var body: Data
        /// The body's SHA-256 as the server stated it (`X-Understudy-Content-SHA256`), on downloads.
        public var statedSHA256: String?

        /// The body as one of the API's types; an answer that is not one is `unexpected`.
        public func decoded<T: Decodable>(_ type: T.Type) throws(Failure) -> T {
            do {
                return try APICoding.decode(type, from: body)
            } catch {
                throw .unexpected("not a \(type): \(error)")
            }
        }

        /// The body, when the server stated its hash and the body matches it: a download cut
        /// short or damaged on the way is refused.
        public func verifiedBody() throws(Failure) -> Data {
            guard let statedSHA256, SHA256.hash(data: body).hexDigits == statedSHA256 else {
                throw .unreachable("the download arrived damaged or incomplete (its SHA-256 is not the one the server stated)")
            }
            return body
        }
    }

    /// A request without a body; fails on any status of 400 or more.
    public func send(_ method: String, _ path: String, as identity: Identity) async throws(Failure) -> Answer {
        try await send(method, path, encoded: nil, as: identity)
    }

    /// A request with one of the API's types as its JSON body; fails on any status of 400 or more.
    public func send(_ method: String, _ path: String, body: some Encodable, as identity: Identity) async throws(Failure) -> Answer {
        let encoded: Data
        do { encoded = try APICoding.encode(body) } catch { throw .unexpected("the request could not be encoded: \(error)") }
        return try await send(method, path, encoded: encoded, as: identity)
    }

    private func send(_ method: String, _ path: String, encoded: Data?, as identity: Identity) async throws(Failure) -> Answer {
        let body = encoded ?? Data()
        var request = HTTPClientRequest(url: server.absoluteString.trimmingSlash + path)
        request.method = .init(rawValue: method)
        if encoded != nil { request.headers.add(name: "Content-Type", value: "application/json") }
        try sign(&request, method: method, path: path, sha256: SHA256.hash(data: body).hexDigits, as: identity)
        if !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }
        return try await execute(request)
    }

    /// Uploads a file as the request body, streamed, with `sha256` (its hash) signed.
    public func upload(_ method: String, _ path: String, file: URL, sha256: String, headers: [(String, String)], as identity: Identity)
        async throws(Failure) -> Answer
    {
        var request = HTTPClientRequest(url: server.absoluteString.trimmingSlash + path)
        request.method = .init(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "Content-Type", value: "application/x-tar")
        try sign(&request, method: method, path: path, sha256: sha256, as: identity)
        guard let handle = FileHandle(forReadingAtPath: file.path) else { throw .unreachable("cannot read \(file.path)") }
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
        // Read a chunk at a time as the connection takes them: a large segment is never held whole.
        let chunks = AsyncStream<ByteBuffer>(unfolding: {
            guard let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty else {
                try? handle.close()
                return nil
            }
            return ByteBuffer(bytes: chunk)
        })
        request.body = .stream(chunks, length: .known(Int64(size)))
        return try await execute(request)
    }

    private func sign(_ request: inout HTTPClientRequest, method: String, path: String, sha256: String, as identity: Identity) throws(Failure) {
        switch identity {
        case .anonymous:
            break
        case .staff(let token):
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        case .device(let credential):
            do {
                for (name, value) in try credential.headers(method: method, target: path, contentSHA256: sha256, now: clock.now()) {
                    request.headers.add(name: name, value: value)
                }
            } catch {
                throw .unreachable("cannot sign the request: \(error)")
            }
        }
    }

    private func execute(_ request: HTTPClientRequest) async throws(Failure) -> Answer {
        do {
            let response = try await http.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 1 << 30)
            let answer = Answer(
                status: Int(response.status.code), body: Data(body.readableBytesView),
                statedSHA256: response.headers.first(name: "X-Understudy-Content-SHA256"))
            guard answer.status < 400 else {
                let refusal = try? APICoding.decode(ErrorBody.self, from: answer.body)
                throw Failure.refused(
                    status: answer.status, code: refusal?.code ?? "http_\(answer.status)",
                    message: refusal?.message ?? String(decoding: answer.body.prefix(300), as: UTF8.self))
            }
            return answer
        } catch let error as Failure {
            throw error
        } catch {
            throw .unreachable("\(error)")
        }
    }
}

extension String {
    fileprivate var trimmingSlash: String { hasSuffix("/") ? String(dropLast()) : self }
}
