import ArgumentParser
import Foundation
import UnderstudyModel
import Vault

/// A duration typed as `90s`, `15m`, `2h` or `500ms`.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let duration: Duration
    let text: String

    init?(argument: String) {
        guard let duration = DurationText.parse(argument) else { return nil }
        self.duration = duration
        text = argument
    }

    var defaultValueDescription: String { text }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// The `--vault` option every vault command shares.
struct VaultOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The vault directory.", discussion: "Defaults to $XDG_DATA_HOME/understudy/vault.", valueName: "dir"))
    var vault: String?

    var directory: URL { vault.map { URL(fileURLWithPath: $0) } ?? Vault.defaultDirectory }
}

/// Writes one line to standard error.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("understudy: \(message)\n".utf8))
}
