import Foundation
import UnderstudyModel

/// What `understudy redact --json` answers for one text: the redacted text and where each
/// finding was, in Unicode scalars of the input (as Python indexes strings).
public struct RedactionAnswer: Codable, Sendable, Equatable {
    public var text: String
    public var spans: [TextSpan]

    public init(redacting input: String, with redactor: TextRedactor) {
        (text, spans) = redactor.redact(input)
    }
}

extension TextRedactor {
    /// One input document of `redact --jsonl`: `{"text": ...}`.
    private struct Document: Decodable { var text: String }

    /// Why a line of `--jsonl` input could not be read.
    public struct LineError: Error, CustomStringConvertible {
        public let line: Int
        public var description: String { "line \(line) of standard input is not a JSON object with a \"text\" string" }
    }

    /// Redacts each `{"text": ...}` line of `input` (empty lines skipped), answering each with
    /// its ``RedactionAnswer``; a line that is not such a document stops it, naming the line.
    public func answers(toLines input: String) throws(LineError) -> [RedactionAnswer] {
        var answers: [RedactionAnswer] = []
        for (number, line) in input.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let document = try? JSONDecoder().decode(Document.self, from: Data(line.utf8)) else { throw LineError(line: number + 1) }
            answers.append(RedactionAnswer(redacting: document.text, with: self))
        }
        return answers
    }
}
