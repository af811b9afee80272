import ArgumentParser
import Foundation
import Privacy
import UnderstudyModel

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check, explain, sign and verify capture policies.",
        discussion: "A policy is a YAML document an organisation writes once and signs with Ed25519; see the README for its fields.",
        subcommands: [Check.self, Explain.self, Keygen.self, Sign.self, Verify.self, Trust.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate a policy: every problem is named with its line.")

        @Argument(help: ArgumentHelp("The policy file.", valueName: "file")) var file: String

        func run() throws {
            let document = try PolicyDocument(contentsOf: URL(fileURLWithPath: file))
            print("\(file): valid policy \"\(document.policy.name)\" version \(document.policy.version) (sha256 \(document.hash))")
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say in plain words what a policy captures, what it never does, who sees it, for how long, and how to pause.")

        @Argument(help: ArgumentHelp("The policy file.", valueName: "file")) var file: String?
        @Flag(help: "Explain the built-in default policy.") var `default` = false

        func validate() throws {
            guard (file == nil) != !`default` else { throw ValidationError("give a policy file or --default (one of them)") }
        }

        func run() throws {
            let document = `default` ? DefaultPolicy.document : try PolicyDocument(contentsOf: URL(fileURLWithPath: file!))
            print(PolicyExplanation.text(document))
        }
    }

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an Ed25519 key pair for signing policies: NAME.key (keep it secret) and NAME.pub.")

        @Argument(help: ArgumentHelp("Where to write the keys, without extension.", valueName: "name")) var name: String

        func run() throws {
            let (privateKey, publicKey) = try PolicySigning.generateKey(named: URL(fileURLWithPath: name))
            print(
                "Wrote \(privateKey.path) (secret, owner-only) and \(publicKey.path) (give it to contributors: `understudy policy trust \(publicKey.lastPathComponent)`)."
            )
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a policy (after checking it): writes FILE.sig.")

        @Option(help: ArgumentHelp("The private key from `policy keygen`.", valueName: "key")) var key: String
        @Argument(help: ArgumentHelp("The policy file.", valueName: "file")) var file: String

        func run() throws {
            _ = try PolicyDocument(contentsOf: URL(fileURLWithPath: file))
            let signature = try PolicySigning.sign(URL(fileURLWithPath: file), key: URL(fileURLWithPath: key))
            print("Wrote \(signature.path).")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a policy's signature against your trusted keys (or --key).")

        @Option(help: ArgumentHelp("Verify against this public key instead of the trusted ones.", valueName: "pub")) var key: String?
        @Argument(help: ArgumentHelp("The policy file.", valueName: "file")) var file: String

        func run() throws {
            let url = URL(fileURLWithPath: file)
            let document = try PolicyDocument(contentsOf: url)
            let trusted = try key.map { [try PolicySigning.publicKey(URL(fileURLWithPath: $0))] } ?? PolicySigning.trustedKeys()
            let signer = try PolicySigning.verify(Data(document.text.utf8), of: url, trusted: trusted)
            print("\(file): signature good, by key \(signer).")
        }
    }

    struct Trust: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Trust an organisation's public key for policy signatures.")

        @Argument(help: ArgumentHelp("The public key (NAME.pub).", valueName: "pub")) var key: String

        func run() throws {
            let fingerprint = try PolicySigning.trust(URL(fileURLWithPath: key))
            print("Trusted policy key \(fingerprint).")
        }
    }
}
