import ArgumentParser
import Device
import Foundation
import Privacy
import UnderstudyModel

struct RedactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact",
        abstract: "Redact text read on standard input, to audit the recognizers.",
        discussion: """
            Prints the text with each finding replaced by [KIND], other people's names by pseudonyms \
            numbered for the run (⟨person:1⟩). With --json prints \
            {"text": ..., "spans": [{"start": S, "end": E, "what": KIND, "recognizer": ID}]}, offsets in \
            Unicode scalars of the input (as Python indexes strings). With --jsonl each input line is \
            {"text": ...} and each output line is that document's --json answer.
            """
    )

    @Flag(help: "Print the redacted text and the spans as one JSON object.") var json = false
    @Flag(help: "One JSON document per line in, one JSON answer per line out.") var jsonl = false
    @Flag(help: "List the recognizers and exit.") var list = false
    @Option(help: ArgumentHelp("Only these kinds, comma-separated (all by default).", valueName: "kinds")) var kinds: String?
    @OptionGroup var own: OwnIdentityOptions

    func validate() throws {
        for kind in kinds?.split(separator: ",") ?? [] where RedactionKind(rawValue: String(kind)) == nil {
            throw ValidationError("unknown kind \(kind) (known: \(RedactionKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    func run() throws {
        let kinds = kinds.map { Set($0.split(separator: ",").compactMap { RedactionKind(rawValue: String($0)) }) } ?? Set(RedactionKind.allCases)
        if kinds.contains(.personName) { _ = try NameLists.shipped() }  // a missing or damaged list is an error, not names let through
        let redactor = TextRedactor(kinds: kinds, identity: own.identity)
        if list { return print(redactor.recognizerIDs.joined(separator: "\n")) }
        let input = FileHandle.standardInput.readDataToEndOfFile()
        guard let text = String(data: input, encoding: .utf8) else { throw CommandFailure("standard input is not UTF-8 text") }
        guard jsonl else {
            let answer = RedactionAnswer(redacting: text, with: redactor)
            if json { try printJSON(answer) } else { FileHandle.standardOutput.write(Data(answer.text.utf8)) }
            return
        }
        var output = BufferedOutput()
        for answer in try redactor.answers(toLines: text) { output.write(try ReportCoding.line(answer)) }
        output.flush()
    }
}

/// Whose own identifiers `redact` looks for, as the recorder does for the contributor.
struct OwnIdentityOptions: ParsableArguments {
    @Option(name: .customLong("self-name"), help: ArgumentHelp("A real name that is yours (repeatable).", valueName: "name")) var names: [String] = []
    @Option(name: .customLong("self-login"), help: ArgumentHelp("A login name (repeatable).", valueName: "login")) var logins: [String] = []
    @Option(name: .customLong("self-email"), help: ArgumentHelp("An e-mail address (repeatable).", valueName: "address")) var emails: [String] = []
    @Option(name: .customLong("self-host"), help: ArgumentHelp("A host name (repeatable).", valueName: "host")) var hosts: [String] = []
    @Option(name: .customLong("self-home"), help: ArgumentHelp("A home folder (repeatable).", valueName: "dir")) var homes: [String] = []

    var identity: SelfIdentity { SelfIdentity(logins: logins, names: names, emails: emails, hosts: hosts, homes: homes) }
}
