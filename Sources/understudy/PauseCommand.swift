import ArgumentParser
import Device
import UnderstudyModel

struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Pause the running recorder: nothing is stored until it resumes.",
        discussion:
            "It resumes by itself after DURATION, or after the policy's pause cap (30 minutes by default) if that is sooner or no DURATION is given."
    )

    @Argument(help: ArgumentHelp("How long, e.g. 10m.", valueName: "duration")) var duration: DurationArgument?
    @OptionGroup var vaultOptions: VaultOptions

    func run() throws {
        let answer = try ControlSocket.send(ControlRequest(.pause, seconds: duration?.duration.seconds), vault: vaultOptions.directory)
        print(answer.message ?? "paused")
    }
}

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume the running recorder after a pause.")

    @OptionGroup var vaultOptions: VaultOptions

    func run() throws {
        let answer = try ControlSocket.send(ControlRequest(.resume), vault: vaultOptions.directory)
        print(answer.message ?? "resumed")
    }
}
