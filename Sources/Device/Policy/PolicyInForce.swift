import Foundation
import Privacy
import UnderstudyModel

/// Which policy a recording runs under: the file given, else the organisation's policy as
/// sync last saved it, else the built-in default; signed by a trusted key unless running
/// unsigned is allowed (while an organisation develops a policy), which the session records.
public enum PolicyInForce {
    /// The policy in force and whether it runs unsigned.
    public static func load(file: String?, allowUnsigned: Bool) throws -> (document: PolicyDocument, unsigned: Bool) {
        let saved = OrganisationSync.policyFile
        guard let policy = file ?? (FileManager.default.fileExists(atPath: saved.path) ? saved.path : nil) else {
            return (DefaultPolicy.document, false)
        }
        let url = URL(fileURLWithPath: policy)
        let document = try PolicyDocument(contentsOf: url)
        do {
            _ = try PolicySigning.verify(Data(document.text.utf8), of: url, trusted: PolicySigning.trustedKeys())
            return (document, false)
        } catch {
            guard allowUnsigned else { throw error }
            warn("running an UNSIGNED policy (\(error)); this is recorded in the session")
            return (document, true)
        }
    }
}
