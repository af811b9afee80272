import Foundation
import Logging

/// Opens the contributor's review page from the recording indicator: starts `understudy
/// review` on the vault (this very program, so the same version answers), which opens the
/// default browser. The page runs on until the contributor's session ends or it is stopped.
enum ReviewPageLauncher {
    /// The browser opens on `display`, the one recorded (and showing the indicator), whatever
    /// `$DISPLAY` the recorder was started with.
    static func open(vault: URL, display: String, logger: Logger) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = ["review", "--vault", vault.path]
        var environment = ProcessInfo.processInfo.environment
        environment["DISPLAY"] = display
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            logger.info("review page opened", metadata: ["pid": "\(process.processIdentifier)"])
        } catch {
            logger.error("cannot start the review page", metadata: ["error": "\(error)"])
        }
    }
}
