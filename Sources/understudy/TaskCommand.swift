import ArgumentParser
import Device
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
        static let configuration = CommandConfiguration(
            abstract: "Begin a task, e.g. `understudy task start \"Rename the Q3 report and email it to Ana\"`.")

        @Argument(help: ArgumentHelp("What the task is, in the words you would give an assistant.", valueName: "instruction")) var instruction: String
        @OptionGroup var vaultOptions: VaultOptions

        func run() throws {
            try TaskCommand.send(ControlRequest(.taskStart, instruction: instruction), vault: vaultOptions)
        }
    }

    struct End: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End the open task.")

        @Flag(help: "The task was not achieved: its episode ends with `fail` instead of `done`.") var failed = false
        @OptionGroup var vaultOptions: VaultOptions

        func run() throws {
            try TaskCommand.send(ControlRequest(.taskEnd, failed: failed), vault: vaultOptions)
        }
    }

    /// Sends one request to the recorder; a refusal is the command's error.
    static func send(_ request: ControlRequest, vault: VaultOptions) throws {
        let answer = try ControlSocket.send(request, vault: vault.directory)
        let message = answer.message ?? ""
        guard answer.ok else { throw CommandFailure(message) }
        print(message)
    }
}
