import ArgumentParser
import Device
import Privacy
import UnderstudyModel

/// `--policy FILE` and `--unsigned-policy`, shared by `record` and `consent accept`.
struct PolicyOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The organisation's signed policy (YAML, with FILE.sig beside it).",
            discussion:
                "Without it, your organisation's policy as `understudy sync` last saved it, or else the built-in default policy (`understudy policy explain --default`).",
            valueName: "file"))
    var policy: String?
    @Flag(help: "Accept a policy that is not signed, or whose signature does not verify (while developing one). Recorded in the session.")
    var unsignedPolicy = false

    /// The policy in force and whether it runs unsigned.
    func load() throws -> (document: PolicyDocument, unsigned: Bool) {
        try PolicyInForce.load(file: policy, allowUnsigned: unsignedPolicy)
    }
}
