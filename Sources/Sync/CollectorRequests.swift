import Foundation
import UnderstudyModel

/// Requests that more than one command makes (the staff commands, enrolment, sync and the
/// ingest bench), each written once.
extension CollectorClient {
    /// Signs a member of staff in: the identity their next requests go under.
    public func login(user: String, key: String) async throws(Failure) -> Identity {
        let answer = try await send("POST", "/v1/login", json: .object([("user", .string(user)), ("key", .string(key))]), as: .anonymous)
        guard let token = answer.json?["token"]?.stringValue else { throw .unexpected("the server gave no session token") }
        return .staff(token: token)
    }

    /// Turns a one-time code into a credential for a new key pair (not saved yet), and the
    /// public keys (.pub files' text) the organisation signs its policies with.
    public func enrol(code: String, name: String) async throws(Failure) -> (credential: DeviceCredential, policyKeys: [String]) {
        let (fresh, publicKey) = DeviceCredential.generate()
        let answer = try await send("POST", "/v1/enrol", json: .object([
            ("code", .string(code)), ("public_key", .string(publicKey)), ("name", .string(name)),
        ]), as: .anonymous)
        guard let device = answer.json?["device"]?.stringValue, let contributor = answer.json?["contributor"]?.stringValue else {
            throw .unexpected("the server's answer names no device")
        }
        return (DeviceCredential(server: server, device: device, contributor: contributor, key: fresh.key),
                answer.json?["policy_keys"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    /// Publishes a policy and its signature (a privacy officer's act).
    public func publishPolicy(document: String, signature: String, as identity: Identity) async throws(Failure) -> Answer {
        try await send("POST", "/v1/policies", json: .object([("document", .string(document)), ("signature", .string(signature))]), as: identity)
    }

    /// Records the device's consent to a policy, so uploads under it (or one it only narrows) are taken.
    public func recordConsent(policyHash: String, acceptedAt: Date, as identity: Identity) async throws(Failure) -> Answer {
        try await send("POST", "/v1/consents", json: .object([
            ("policy_hash", .string(policyHash)), ("accepted_at", .string(RFC3339.string(from: acceptedAt))),
        ]), as: identity)
    }
}
