import Foundation
import Privacy
import Sync
import Vault

/// Enrols this device with the organisation's collector: a key pair is made here, the server
/// keeps only its public half, and the organisation's policy signing keys become trusted.
public enum Enrolment {
    /// What enrolment made: the saved credential, and the fingerprints of the keys now trusted.
    public struct Outcome: Sendable {
        public var credential: DeviceCredential
        public var trustedKeys: [String]
    }

    /// What stops an enrolment before anything is saved or trusted.
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    /// Enrols with the collector at `server` and trusts the policy keys it names. With
    /// `expectedKeys` (fingerprints the organisation gave with the code, as `admin enroll-code`
    /// prints them), a server offering none of them is refused, so an enrolment link pointed
    /// elsewhere cannot plant a policy key; without, the keys are trusted on first use.
    /// Plain HTTP is refused off loopback: the code and the bundles would cross the network in clear.
    /// The name and address the organisation gave with the code are kept, sealed, in the vault
    /// at `vault` (created if need be) for the recorder to redact.
    public static func enrol(server: URL, code: String, name: String, expectedKeys: [String] = [], vault: URL) async throws -> Outcome {
        guard server.scheme == "https" || (server.scheme == "http" && (server.host ?? "").isLoopbackHost) else {
            throw Refusal(description: "--server must be https:// (plain http only on this machine, 127.0.0.1 or localhost)")
        }
        let (credential, policyKeys, identity) = try await CollectorClient.with(server) { client in
            try await client.enrol(code: code, name: name, expectedKeys: expectedKeys)
        }
        let offered = try policyKeys.map { text in (text, try PolicySigning.fingerprint(publicKeyText: text)) }
        let kept = expectedKeys.isEmpty ? offered : offered.filter { expectedKeys.contains($0.1) }
        guard !kept.isEmpty || offered.isEmpty else {
            throw Refusal(
                description:
                    "the server offers policy keys \(offered.map(\.1).joined(separator: ", ")), none of them the \(expectedKeys.joined(separator: ", ")) you were given: not enrolled"
            )
        }
        try credential.save()
        let opened = try Vault(at: vault, create: true)
        defer { opened.close() }
        try OrganisationIdentity.save(identity, in: opened)
        return Outcome(credential: credential, trustedKeys: try kept.map { try trust($0.0) })
    }

    /// Adds a public key (a .pub file's text) to the trusted keys; returns its fingerprint.
    private static func trust(_ text: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-key-\(UUID().uuidString).pub")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try PolicySigning.trust(file)
    }
}
