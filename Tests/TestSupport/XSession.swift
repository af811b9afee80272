import Foundation

/// A private X server for one test: Xvfb on a display it picks itself (`-displayfd`), the
/// openbox window manager, and two real applications, xterm running `cat` and xcalc.
/// Tests drive it with xdotool and know exactly what they sent.
public final class XSession: @unchecked Sendable {
    public let display: String
    private var processes: [Process] = []
    public let environment: [String: String]

    public init(width: Int = 1920, height: Int = 1080, windowManager: Bool = true) throws {
        let xvfb = Process()
        xvfb.executableURL = URL(fileURLWithPath: "/usr/bin/Xvfb")
        let pipe = Pipe()
        xvfb.arguments = ["-displayfd", "1", "-screen", "0", "\(width)x\(height)x24", "-nolisten", "tcp"]
        xvfb.standardOutput = pipe
        xvfb.standardError = FileHandle.nullDevice
        try xvfb.run()
        processes.append(xvfb)
        var number = ""
        while let byte = try pipe.fileHandleForReading.read(upToCount: 1), let c = byte.first, c != UInt8(ascii: "\n") {
            number.append(Character(Unicode.Scalar(c)))
        }
        guard !number.isEmpty else { throw XSessionError.serverDidNotStart }
        display = ":\(number)"
        var env = ProcessInfo.processInfo.environment
        env["DISPLAY"] = display
        environment = env
        guard windowManager else { return }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-openbox-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        var last = ""
        // Rarely openbox exits at once, silently, on a fresh server; a second start has always worked.
        for attempt in 1...2 {
            try launch("/usr/bin/openbox", errors: log)
            do {
                try waitFor {
                    last = (try? self.output("xprop", "-root", "_NET_SUPPORTING_WM_CHECK")) ?? "xprop failed"
                    return last.contains("window id") || !(self.processes.last?.isRunning ?? false)
                }
                if last.contains("window id") { return }
            } catch {}
            guard attempt == 2 else { continue }
            let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw XSessionError.windowManagerDidNotStart(display: display, running: processes.last?.isRunning ?? false, xprop: last, openbox: said)
        }
    }

    /// Starts xterm (class `UnderstudyTerm`) and xcalc and waits until both are mapped.
    public func startApps() throws {
        try launch("/usr/bin/xterm", "-class", "UnderstudyTerm", "-title", "terminal", "-geometry", "100x30+40+40", "-e", "cat")
        try launch("/usr/bin/xcalc", "-geometry", "+1100+100")
        for cls in ["UnderstudyTerm", "XCalc"] { try waitForWindow(class: cls) }
    }

    /// Starts another program on the display; it is stopped with the session.
    public func launch(_ path: String, _ arguments: String..., errors: URL? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        if let errors, FileManager.default.createFile(atPath: errors.path, contents: nil) {
            process.standardError = try FileHandle(forWritingTo: errors)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        processes.append(process)
    }

    public func waitForWindow(class cls: String) throws {
        _ = try output("timeout", "20", "xdotool", "search", "--sync", "--onlyvisible", "--class", cls)
    }

    public func window(class cls: String) throws -> String {
        try output("xdotool", "search", "--onlyvisible", "--class", cls).split(separator: "\n").first.map(String.init) ?? ""
    }

    /// Runs an xdotool script (one command per line) in one xdotool process.
    public func xdotool(_ script: String) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-\(UUID().uuidString).xdo")
        // xdotool misreads a script whose last line has no newline.
        try (script + "\n").write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try output("xdotool", url.path)
    }

    @discardableResult
    public func output(_ arguments: String...) throws -> String { try run(arguments) }

    @discardableResult
    public func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = environment
        let pipe = Pipe()
        let errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw XSessionError.commandFailed(
                arguments.joined(separator: " ") + ": " + String(decoding: message, as: UTF8.self), process.terminationStatus)
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Waits up to 20 s: suites run side by side on two cores, so a window manager can be slow to start.
    private func waitFor(_ condition: () throws -> Bool) throws {
        for _ in 0..<400 {
            if (try? condition()) == true { return }
            usleep(50_000)
        }
        throw XSessionError.serverDidNotStart
    }

    /// Kills the X server at once, as a crash would.
    public func killServer() {
        if let server = processes.first { kill(server.processIdentifier, SIGKILL) }
    }

    deinit {
        // SIGTERM lets Xvfb remove its lock file. Foundation's waitUntilExit can spin on a
        // thread that did not launch the process, so poll instead.
        for process in processes.reversed() where process.isRunning { process.terminate() }
        for _ in 0..<100 where processes.contains(where: \.isRunning) { usleep(20_000) }
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

public enum XSessionError: Error {
    case serverDidNotStart
    case windowManagerDidNotStart(display: String, running: Bool, xprop: String, openbox: String)
    case commandFailed(String, Int32)
}
