import ArgumentParser
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

    @Flag(help: "Print the redacted text and the spans as one JSON object.")
    var json = false

    @Flag(help: "One JSON document per line in, one JSON answer per line out.")
    var jsonl = false

    @Flag(help: "List the recognizers and exit.")
    var list = false

    func run() throws {
        let redactor = TextRedactor()
        if list {
            print(redactor.recognizerIDs.joined(separator: "\n"))
            return
        }
        let input = FileHandle.standardInput.readDataToEndOfFile()
        guard let text = String(data: input, encoding: .utf8) else { throw CommandFailure("standard input is not UTF-8 text") }
        guard jsonl else {
            let (redacted, spans) = redactor.redact(text)
            if json { print(Self.answer(redacted, spans).serialized) } else { FileHandle.standardOutput.write(Data(redacted.utf8)) }
            return
        }
        var output = BufferedOutput()
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let document = try? JSONValue.parse(Data(line.utf8)), let body = document["text"]?.stringValue else {
                throw CommandFailure("line \(number + 1) of standard input is not a JSON object with a \"text\" string")
            }
            let (redacted, spans) = redactor.redact(body)
            output.write(Self.answer(redacted, spans).serialized)
        }
        output.flush()
    }

    static func answer(_ text: String, _ spans: [TextSpan]) -> JSONValue {
        .object([
            ("text", .string(text)),
            (
                "spans",
                .array(
                    spans.map { span in
                        .object([
                            ("start", .int(Int64(span.start))), ("end", .int(Int64(span.end))), ("what", .string(span.what.rawValue)),
                            ("recognizer", .string(span.recognizer)),
                        ])
                    })
            ),
        ])
    }
}
