import ArgumentParser

@main
struct Understudy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "understudy",
        abstract: "Record how you use your computer, with your consent, as training data for computer-use agents.",
        discussion: """
            Capture is visible and under your control: `understudy status` shows whether a \
            recorder is running, and everything it captured stays in your vault until you decide.
            """,
        version: "0.1.0",
        subcommands: [
            RecordCommand.self, LogCommand.self, StatusCommand.self, ForgetCommand.self, VaultCommand.self, PolicyCommand.self, ConsentCommand.self,
            PauseCommand.self, ResumeCommand.self, TaskCommand.self, EpisodesCommand.self, ExportCommand.self, ReplayCommand.self, ServeCommand.self,
            RotateKEKCommand.self, AdminCommand.self, EnrollCommand.self, SyncCommand.self, HeldCommand.self, ExemptCommand.self, RedactCommand.self,
            RedactImageCommand.self, ReviewPageCommand.self,
        ]
    )
}
