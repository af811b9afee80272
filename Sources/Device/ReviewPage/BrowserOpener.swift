import Foundation

/// Opens an address in the contributor's default browser, as the desktop does (`xdg-open`).
/// Where there is none, the printed address is all there is.
public enum BrowserOpener {
    public static func open(_ address: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/xdg-open")
        process.arguments = [address]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
    }
}
