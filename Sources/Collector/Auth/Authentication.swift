import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import UnderstudyModel

/// Who is asking: a signed-in member of staff, an enrolled device, or nobody yet.
public struct CollectorContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var staff: StaffUser?
    public var device: Device?
    /// The body hash the device signed (hex), checked against the body that arrives.
    public var signedContentSHA256: String?
    /// The hash of the staff session's token, so the session can end itself (logout).
    var sessionTokenHash: String?

    /// Who is at the other end of the connection: what rate limits count by.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as rate limits key it.
    var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }

    /// JSON bodies are small; uploads stream past this limit on their own.
    public var maxUploadSize: Int { 1 << 20 }

    /// Who acted, for the audit log.
    var actor: String {
        if let staff { return "user:\(staff.name)" }
        if let device { return "device:\(device.id)" }
        return "anonymous"
    }

    /// The signed-in member of staff, if their role is one of `roles`.
    func requireStaff(_ roles: Set<StaffRole>, to what: String) throws -> StaffUser {
        guard let staff else { throw device == nil ? APIError.unauthenticated : APIError.forbidden(what) }
        guard roles.contains(staff.role) else { throw APIError.forbidden(what) }
        return staff
    }

    /// The enrolled device making the request.
    func requireDevice() throws -> Device {
        guard let device else {
            throw staff == nil ? APIError.unauthenticated : APIError(.forbidden, "forbidden", "only a contributor's enrolled device may do this")
        }
        return device
    }
}

/// Reads the `Authorization` header: `Bearer TOKEN` for staff (from `POST /v1/login`), or
/// `Understudy-Device ID` with the signature headers of ``RequestSigning`` for a device.
/// A request with neither goes on anonymous; routes decide whether that is enough.
struct Authentication: RouterMiddleware {
    typealias Context = CollectorContext
    let state: CollectorState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            if let wait = await state.limits.take(
                "anonymous \(context.clientAddress)", .anonymous(perMinute: state.config.anonymousRequestsPerMinute), now: state.now())
            {
                throw APIError.rateLimited(wait)
            }
            return try await next(request, context)
        }
        var context = context
        if header.hasPrefix("Bearer ") {
            let token = String(header.dropFirst("Bearer ".count))
            guard let user = try await state.metadata.sessionUser(tokenHash: Secret.hash(token), now: state.now()) else {
                throw APIError(.unauthorized, "session_expired", "the session token is unknown or expired: sign in again")
            }
            context.staff = user
            context.sessionTokenHash = Secret.hash(token)
        } else if header.hasPrefix(RequestSigning.scheme + " ") {
            let (device, content) = try await verifyDevice(String(header.dropFirst(RequestSigning.scheme.count + 1)), request)
            context.device = device
            context.signedContentSHA256 = content
        } else {
            throw APIError(.unauthorized, "unauthenticated", "unknown Authorization scheme")
        }
        return try await next(request, context)
    }

    private func field(_ request: Request, _ name: String) throws -> String {
        guard let field = HTTPField.Name(name), let value = request.headers[field], !value.isEmpty else {
            throw APIError(.unauthorized, "bad_signature", "the signed request has no \(name) header")
        }
        return value
    }

    private func verifyDevice(_ id: String, _ request: Request) async throws -> (Device, String) {
        guard let device = try await state.metadata.device(id) else {
            throw APIError(.unauthorized, "unknown_device", "device \(id) is not enrolled")
        }
        guard device.revokedAt == nil else { throw APIError(.forbidden, "device_revoked", "device \(id) was revoked: enrol again") }
        guard let date = Int64(try field(request, RequestSigning.dateHeader)) else {
            throw APIError(.unauthorized, "bad_signature", "\(RequestSigning.dateHeader) must be Unix seconds")
        }
        let now = state.now()
        guard abs(now.timeIntervalSince1970 - Double(date)) <= RequestSigning.maxSkew else {
            throw APIError(.unauthorized, "clock_skew", "the request's date is more than \(Int(RequestSigning.maxSkew)) s from the server's clock")
        }
        let nonce = try field(request, RequestSigning.nonceHeader)
        let content = try field(request, RequestSigning.contentHeader).lowercased()
        guard let signature = Data(base64Encoded: try field(request, RequestSigning.signatureHeader)),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: device.publicKey)
        else { throw APIError(.unauthorized, "bad_signature", "the signature is not base64") }
        let message = RequestSigning.message(
            method: request.method.rawValue, target: request.uri.description, date: date, nonce: nonce, contentSHA256: content)
        guard key.isValidSignature(signature, for: message) else {
            throw APIError(.unauthorized, "bad_signature", "the signature does not match the request and the device's key")
        }
        // Checked last, so a forged request cannot use up a real device's nonce.
        let expires = Date(timeIntervalSince1970: Double(date) + RequestSigning.maxSkew * 2)
        guard try await state.metadata.useNonce(device: device.id, nonce: nonce, expiresAt: expires, now: now) else {
            throw APIError(.unauthorized, "replayed_request", "this request was already received (its nonce is used)")
        }
        return (device, content)
    }
}
