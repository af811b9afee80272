import Foundation
import Sync
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP connection to a collector on loopback driven by hand: heads never finished, bodies
/// sent slowly or cut off, answers read as bytes.
final class RawConnection {
    struct Failure: Error { var reason: String }

    private var fd: Int32

    /// `readTimeout`: how long ``read()`` waits before it says nothing came.
    init(port: Int, readTimeout: Duration = .seconds(6)) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = FaultProxy.address(port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw Failure(reason: "cannot connect to 127.0.0.1:\(port): errno \(errno)")
        }
        let (seconds, attoseconds) = readTimeout.components
        var wait = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close() }

    /// Closes the connection from this side (again is nothing).
    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    func send(_ data: Data) { _ = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }

    /// Sends the head of a signed upload of `body` (its signature and policy header included),
    /// and none of the body.
    func sendUploadHead(_ segment: String, body: Data, device: RawDevice) throws {
        let headers = try RawClient.signed(device.credential, "PUT", "/v1/segments/\(segment)", body: body) + [("X-Understudy-Policy", device.policy)]
        let head =
            "PUT /v1/segments/\(segment) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\nContent-Type: application/x-tar\r\n"
            + headers.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"
        send(Data(head.utf8))
    }

    /// What the server sent next (up to 4 KB): nil when nothing came within the read timeout,
    /// empty when it closed the connection.
    func read() -> String? {
        var bytes = [UInt8](repeating: 0, count: 4096)
        let n = Glibc.read(fd, &bytes, bytes.count)
        return n < 0 ? nil : String(decoding: bytes.prefix(n), as: UTF8.self)
    }
}

/// The organisation's enrolled device, consented to its policy, sending by hand what the
/// command line never would.
struct RawDevice {
    let raw: RawClient
    let credential: DeviceCredential
    /// The hash of the policy it consented to.
    let policy: String

    init(_ org: Organisation) async throws {
        raw = RawClient(server: org.collector.url, contract: try await OpenAPIContract(server: org.collector.url))
        credential = try DeviceCredential.load(from: org.me.config.appendingPathComponent("understudy/device"))
        policy = try Data(contentsOf: URL(fileURLWithPath: org.policy)).sha256Hex
        let consent = Data("{\"policy_hash\":\"\(policy)\",\"accepted_at\":\"2026-11-23T00:00:00.000Z\"}".utf8)
        let answer = try await raw.send(
            "POST", "/v1/consents", body: consent, headers: RawClient.signed(credential, "POST", "/v1/consents", body: consent))
        try #require(answer.status == 200, "the device's consent: \(answer.status)")
    }

    /// A signed request of this device's.
    @discardableResult
    func send(_ method: String, _ path: String, template: String? = nil, body: Data = Data()) async throws -> RawClient.Answer {
        try await raw.send(method, path, template: template, body: body, headers: RawClient.signed(credential, method, path, body: body))
    }

    /// Uploads `body` as segment `segment` in one request.
    @discardableResult
    func upload(_ segment: String, _ body: Data) async throws -> RawClient.Answer {
        let headers = try RawClient.signed(credential, "PUT", "/v1/segments/\(segment)", body: body) + [("X-Understudy-Policy", policy)]
        return try await raw.send("PUT", "/v1/segments/\(segment)", template: "/v1/segments/{id}", body: body, headers: headers)
    }
}
