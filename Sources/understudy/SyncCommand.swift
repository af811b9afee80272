import ArgumentParser
import Device
import Foundation
import Privacy
import Sync
import UnderstudyModel

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

    func run() async throws {
        let credential = try DeviceCredential.load()
        let vault = try vaultOptions.open()
        let consents = try ConsentRecords.all()
        var settings = SegmentUploader.Settings()
        settings.reviewWindow = reviewWindow.map { Double($0.duration.ns) / 1e9 } ?? consents.reviewWindow
        let report = try await CollectorClient.with(credential.server, timeout: timeout.duration) { client in
            let organisation = OrganisationSync(client: client, credential: credential)
            let sent = try await organisation.sendRequests()
            if sent > 0 { print("Sent \(sent) exemption request(s) to your organisation.") }
            var uploader = SegmentUploader(vault: vault, client: client, credential: credential, settings: settings)
            uploader.progress = { print($0) }
            let report = try await uploader.run(consents: consents.records)
            for message in try await organisation.applyDecisions() { print(message) }
            if let notice = try await organisation.fetchPolicy() { print(notice) }
            return report
        }
        print(
            "Uploaded \(report.uploaded.count) segment(s)\(report.alreadyHeld.isEmpty ? "" : ", \(report.alreadyHeld.count) already held")"
                + "\(report.waiting > 0 ? "; \(report.waiting) still in their review window" : "").")
        for (segment, reason) in report.refused { warn("\(segment) not uploaded: \(reason)") }
        if !report.refused.isEmpty { throw ExitCode.failure }
    }
}
