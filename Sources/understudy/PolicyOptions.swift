import ArgumentParser
import Foundation
import Privacy
import UnderstudyModel

/// `--policy FILE` and `--unsigned-policy`, shared by `record` and `consent accept`.
struct PolicyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The organisation's signed policy (YAML, with FILE.sig beside it).", discussion: "Without it, your organisation's policy as `understudy sync` last saved it, or else the built-in default policy (`understudy policy explain --default`).", valueName: "file"))
    var policy: String?

    @Flag(help: "Accept a policy that is not signed, or whose signature does not verify (while developing one). Recorded in the session.")
    var unsignedPolicy = false

    /// The policy in force and whether it runs unsigned.
    func load() throws -> (document: PolicyDocument, unsigned: Bool) {
        let saved = OrganisationSync.policyFile
        guard let policy = policy ?? (FileManager.default.fileExists(atPath: saved.path) ? saved.path : nil) else { return (DefaultPolicy.document, false) }
        let url = URL(fileURLWithPath: policy)
        let document = try PolicyDocument(contentsOf: url)
        do {
            _ = try PolicySigning.verify(Data(document.text.utf8), of: url, trusted: PolicySigning.trustedKeys())
            return (document, false)
        } catch {
            guard unsignedPolicy else { throw error }
            warn("running an UNSIGNED policy (\(error)); this is recorded in the session")
            return (document, true)
        }
    }
}
