import Foundation
import Privacy

/// The consent a recording runs under: to its policy, or to one it only narrows. When
/// consent is needed it asks on the terminal, or, with no terminal, says how to consent.
public enum ConsentPrompt {
    public static func consent(to policy: PolicyDocument, store: ConsentStore = ConsentStore()) throws -> ConsentRecord {
        switch try store.decision(for: policy) {
        case .consented(let record), .narrows(let record):
            return record
        case .needed(let reasons):
            guard isatty(STDIN_FILENO) == 1, isatty(STDERR_FILENO) == 1 else { throw DeviceFailure(howToConsent(policy, reasons: reasons)) }
            let question =
                PolicyExplanation.text(policy)
                + "\n\nConsent is needed: \(reasons.joined(separator: "; ")).\nType yes to consent and start recording: "
            FileHandle.standardError.write(Data(question.utf8))
            guard readLine()?.trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
                throw DeviceFailure("no consent given; nothing was recorded")
            }
            return try store.accept(policy)
        }
    }

    private static func howToConsent(_ policy: PolicyDocument, reasons: [String]) -> String {
        let builtIn = policy.source.hasPrefix("built-in")
        return "consent is needed before recording under \(policy.source): \(reasons.joined(separator: "; ")); read `understudy policy explain"
            + "\(builtIn ? " --default" : " " + policy.source)`, then run `understudy consent accept\(builtIn ? "" : " --policy \(policy.source)")`"
    }
}
