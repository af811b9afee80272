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
            Prints the text with each finding replaced by [KIND]. With --json prints \
            {"text": ..., "spans": [{"start": S, "end": E, "what": KIND, "recognizer": ID}]}, offsets in \
            Unicode scalars of the input (as Python indexes strings). With --jsonl each input line is \
            {"text": ...} and each output line is that document's --json answer.
            """
    )

    @Flag(help: "Print the redacted text and the spans as one JSON object.") var json = false
    @Flag(help: "One JSON document per line in, one JSON answer per line out.") var jsonl = false
    @Flag(help: "List the recognizers and exit.") var list = false

    func run() throws {
        let redactor = TextRedactor()
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
