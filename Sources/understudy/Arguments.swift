import ArgumentParser
import CollectorAPI
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

    /// Opens the vault, which must exist: reading commands never create one.
    func open() throws -> Vault { try Vault(at: directory, create: false) }
}

/// A point in time: RFC 3339 (`2026-11-23T10:00:00Z`), `now`, or a duration ago (`15m`, `2h`, `7d`).
struct TimeArgument: ExpressibleByArgument, Sendable {
    let date: Date

    init?(argument: String) {
        if argument == "now" {
            date = WallClock.system.now()
        } else if let date = RFC3339.date(from: argument) ?? Self.secondsPrecision(argument) {
            self.date = date
        } else if let ago = DurationText.parse(argument) {
            date = WallClock.system.now().addingTimeInterval(-Double(ago.components.seconds) - Double(ago.components.attoseconds) / 1e18)
        } else {
            return nil
        }
    }

    private static func secondsPrecision(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// A size: `2GB`, `500MB`, `64MiB`, or bytes.
struct ByteSizeArgument: ExpressibleByArgument, Sendable {
    let bytes: Int64

    init?(argument: String) {
        guard let bytes = ByteSizeText.parse(argument) else { return nil }
        self.bytes = bytes
    }
}

/// Prints one of the collector API's values as a line of JSON, as the server wrote it.
func printJSON(_ value: some Encodable) throws {
    print(String(decoding: try APICoding.encode(value), as: UTF8.self))
}

/// `1 segment`, `3 segments`.
func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

/// A command that cannot go on, with one line saying why (no usage text: the input was well formed).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
