import ArgumentParser
import Device
import Foundation
import Privacy
import Sync
import UnderstudyModel

struct EnrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Enrol this device with your organisation's collector, using the one-time code you were given.",
        discussion:
            "A key pair is made here; the server keeps only its public half, and every request this device sends is signed with the private half (in $XDG_CONFIG_HOME/understudy/device, owner-only)."
    )

    @Option(help: ArgumentHelp("The collector.", valueName: "url")) var server: String
    @Option(help: ArgumentHelp("The enrolment code.", valueName: "code")) var code: String
    @Option(help: ArgumentHelp("A name for this device, for the admin's list.", valueName: "name")) var name = ProcessInfo.processInfo.hostName

    func run() async throws {
        guard let url = URL(string: server), url.scheme == "http" || url.scheme == "https" else {
            throw ValidationError("--server must be an http(s) URL")
        }
        let (credential, policyKeys) = try await CollectorClient.with(url) { client in try await client.enrol(code: code, name: name) }
        try credential.save()
        print("Enrolled as device \(credential.device) of contributor \(credential.contributor) with \(url.absoluteString).")
        for key in policyKeys {
            print("Trusting your organisation's policy signing key \(try Self.trust(key)).")
        }
    }

    /// Adds a public key (a .pub file's text) to the trusted keys; returns its fingerprint.
    private static func trust(_ text: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-key-\(UUID().uuidString).pub")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try PolicySigning.trust(file)
    }
}
