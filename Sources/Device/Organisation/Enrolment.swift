import Foundation
import Privacy
import Sync

/// Enrols this device with the organisation's collector: a key pair is made here, the server
/// keeps only its public half, and the organisation's policy signing keys become trusted.
public enum Enrolment {
    /// What enrolment made: the saved credential, and the fingerprints of the keys now trusted.
    public struct Outcome: Sendable {
        public var credential: DeviceCredential
        public var trustedKeys: [String]
    }

    public static func enrol(server: URL, code: String, name: String) async throws -> Outcome {
        let (credential, policyKeys) = try await CollectorClient.with(server) { client in try await client.enrol(code: code, name: name) }
        try credential.save()
        return Outcome(credential: credential, trustedKeys: try policyKeys.map(trust))
    }

    /// Adds a public key (a .pub file's text) to the trusted keys; returns its fingerprint.
    private static func trust(_ text: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-key-\(UUID().uuidString).pub")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try PolicySigning.trust(file)
    }
}
