import ArgumentParser
import Foundation
import Logging
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

/// Prints a report or one of the collector API's values as a line of JSON.
func printJSON(_ value: some Encodable) throws { print(try ReportCoding.line(value)) }

/// A command that cannot go on, with one line saying why (no usage text: the input was well formed).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A swift-log level by its name: `trace` … `critical`.
struct LogLevelArgument: ExpressibleByArgument, Sendable {
    let level: Logger.Level

    init?(argument: String) {
        guard let level = Logger.Level(rawValue: argument) else { return nil }
        self.level = level
    }

    static var allValueStrings: [String] { Logger.Level.allCases.map(\.rawValue) }
}

/// `--log-level`, for the commands that run a while (record, sync, serve). Logs go to
/// standard error and hold ids, counts and reasons, never content.
struct LoggingOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "How much to log to standard error: trace, debug, info, notice, warning, error or critical.",
            discussion: "Defaults to $LOG_LEVEL, else error for the device's commands and warning for serve.", valueName: "level"))
    var logLevel: LogLevelArgument?

    /// A logger for `label`, at the level asked for, else `$LOG_LEVEL`, else `fallback`.
    func logger(_ label: String, fallback: Logger.Level = .error) throws -> Logger {
        var logger = Logger(label: label)
        let environment = ProcessInfo.processInfo.environment["LOG_LEVEL"]
        guard let level = logLevel?.level ?? environment.map({ Logger.Level(rawValue: $0) }) ?? fallback else {
            throw ValidationError("LOG_LEVEL must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        logger.logLevel = level
        return logger
    }
}
