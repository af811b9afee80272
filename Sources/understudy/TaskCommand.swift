import ArgumentParser
import Foundation
import UnderstudyModel

struct TaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Mark where a task begins and ends: each marked task becomes one episode with its instruction.",
        discussion: """
            The running recorder stores the markers with the session. The instruction is redacted \
            like typed text (an email address in it becomes [EMAIL]). Without markers, `understudy \
            episodes` splits sessions at long idle gaps and app switches instead.
            """,
        subcommands: [Start.self, End.self]
    )

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Begin a task, e.g. `understudy task start \"Rename the Q3 report and email it to Ana\"`.")

        @Argument(help: ArgumentHelp("What the task is, in the words you would give an assistant.", valueName: "instruction"))
        var instruction: String

        @OptionGroup var vaultOptions: VaultOptions

        func run() throws {
            try TaskCommand.send([("command", .string("task.start")), ("instruction", .string(instruction))], vault: vaultOptions)
        }
    }

    struct End: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End the open task.")

        @Flag(help: "The task was not achieved: its episode ends with `fail` instead of `done`.")
        var failed = false

        @OptionGroup var vaultOptions: VaultOptions

        func run() throws {
            try TaskCommand.send([("command", .string("task.end")), ("failed", .bool(failed))], vault: vaultOptions)
        }
    }

    /// Sends one request to the recorder; a refusal is the command's error.
    static func send(_ request: [(String, JSONValue)], vault: VaultOptions) throws {
        let answer = try ControlSocket.send(.object(request), vault: vault.directory)
        let message = answer["message"]?.stringValue ?? ""
        guard answer["ok"]?.boolValue == true else { throw CommandFailure(message) }
        print(message)
    }
}
