import ArgumentParser
import Device
import Foundation

struct EnrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Enrol this device with your organisation's collector, using the one-time code you were given.",
        discussion:
            "A key pair is made here; the server keeps only its public half, and every request this device sends is signed with the private half (in $XDG_CONFIG_HOME/understudy/device, owner-only)."
    )

    @Option(help: ArgumentHelp("The collector.", valueName: "url")) var server: String
    @Option(help: ArgumentHelp("The enrolment code.", valueName: "code")) var code: String
    @Option(help: ArgumentHelp("A name for this device, for the admin's list (not your host name unless you choose it).", valueName: "name"))
    var name = "device"
    @Option(
        name: .customLong("policy-key"),
        help: ArgumentHelp("The fingerprint of your organisation's policy key, given with the code (repeatable).", valueName: "fingerprint"))
    var policyKeys: [String] = []
    @OptionGroup var vaultOptions: VaultOptions

    func run() async throws {
        guard let url = URL(string: server), url.scheme == "http" || url.scheme == "https" else {
            throw ValidationError("--server must be an http(s) URL")
        }
        let enrolled = try await Enrolment.enrol(server: url, code: code, name: name, expectedKeys: policyKeys, vault: vaultOptions.directory)
        if policyKeys.isEmpty && !enrolled.trustedKeys.isEmpty {
            warn(
                "trusted the policy keys the server named on first use: check \(enrolled.trustedKeys.joined(separator: ", ")) with your organisation")
        }
        let credential = enrolled.credential
        print("Enrolled as device \(credential.device) of contributor \(credential.contributor) with \(url.absoluteString).")
        for key in enrolled.trustedKeys { print("Trusting your organisation's policy signing key \(key).") }
    }
}
