import ArgumentParser
import Device

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Upload sealed segments whose review window has passed, then delete them here.",
        discussion: """
            Until the window passes you can review and forget segments (`understudy forget`). The window is \
            your policy's review-window (24 h by default). Each upload is acknowledged by the server before \
            the local copy is deleted; uploading one twice stores it once. Without an answer, sync tries \
            again with growing pauses.
            """
    )

    @OptionGroup var vaultOptions: VaultOptions
    @Option(help: ArgumentHelp("Override the review window (0s uploads every sealed segment now).", valueName: "duration"))
    var reviewWindow: DurationArgument?
    @Option(help: ArgumentHelp("Give up on a request that gets no answer for this long (it is then tried again).", valueName: "duration"))
    var timeout = DurationArgument(argument: "60s")!

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let report = try await OrganisationSync.run(
            vault: vaultOptions.directory, reviewWindow: reviewWindow?.duration, timeout: timeout.duration,
            logger: try logging.logger("understudy.uploader")
        ) { print($0) }
        print(report.text)
        for (segment, reason) in report.refused { warn("\(segment) not uploaded: \(reason)") }
        if !report.refused.isEmpty { throw ExitCode.failure }
    }
}
