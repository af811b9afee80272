import ArgumentParser
import Device
import Foundation

struct ReviewPageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Your review page, in the browser: whether you are being recorded and why, pause and resume, what is kept.",
        discussion: """
            Served by this computer on 127.0.0.1 only. The first line printed is the address to open, with a \
            one-time token: `Review page: http://127.0.0.1:PORT/?token=TOKEN`. Opening it once gives this browser \
            a session; the address then no longer works. Ctrl-C stops the page.
            """
    )

    @Option(help: ArgumentHelp("The port (0: any free one).", valueName: "n")) var port = 0
    @Flag(help: "Print the address; do not open a browser.") var noBrowser = false
    @OptionGroup var vaultOptions: VaultOptions

    func run() async throws {
        let open = !noBrowser
        try await ReviewPageServer(vault: vaultOptions.directory, port: port).run { address in
            // Unbuffered: a script reads this line while the page serves.
            FileHandle.standardOutput.write(Data("Review page: \(address)\n".utf8))
            if open { BrowserOpener.open(address) }
        }
    }
}
