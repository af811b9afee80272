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
    @Option(help: ArgumentHelp("A name for this device, for the admin's list.", valueName: "name")) var name = ProcessInfo.processInfo.hostName

    func run() async throws {
        guard let url = URL(string: server), url.scheme == "http" || url.scheme == "https" else {
            throw ValidationError("--server must be an http(s) URL")
        }
        let enrolled = try await Enrolment.enrol(server: url, code: code, name: name)
        let credential = enrolled.credential
        print("Enrolled as device \(credential.device) of contributor \(credential.contributor) with \(url.absoluteString).")
        for key in enrolled.trustedKeys { print("Trusting your organisation's policy signing key \(key).") }
    }
}
