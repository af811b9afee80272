import ArgumentParser
import Privacy

struct ConsentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent",
        abstract: "Accept a policy, see what you accepted, or withdraw.",
        discussion: """
            Capture needs your consent to the policy it runs under, or to a policy it only \
            narrows. A policy that widens capture in any way needs consent again.
            """,
        subcommands: [Accept.self, Show.self, Withdraw.self]
    )

    struct Accept: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Consent to a policy after reading its explanation (for scripts; `record` asks interactively).")

        @OptionGroup var policyOptions: PolicyOptions
        @Flag(help: "Do not print the explanation (you have read it with `understudy policy explain`).") var quiet = false

        func run() throws {
            let (document, _) = try policyOptions.load()
            if !quiet { print(PolicyExplanation.text(document) + "\n") }
            let record = try ConsentStore().accept(document)
            print(record.text)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the consent in force.")

        func run() throws {
            guard let record = try ConsentStore().current() else {
                print("No consent in force: recording is off until you accept a policy (`understudy consent accept`).")
                return
            }
            print(record.text)
        }
    }

    struct Withdraw: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Withdraw consent: a running recorder stops within a second, and none starts until you accept again.")

        func run() throws {
            try ConsentStore().withdraw()
            print("Consent withdrawn. Nothing more is recorded; what was recorded stays in your vault until you forget it.")
        }
    }
}
