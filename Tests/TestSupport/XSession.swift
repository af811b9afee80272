import Foundation

/// A private X server for one test: Xvfb on a display it picks itself (`-displayfd`), the
/// openbox window manager, and two real applications, xterm running `cat` and xcalc.
/// Tests drive it with xdotool and know exactly what they sent.
public final class XSession: @unchecked Sendable {
    public let display: String
    private var processes: [Process] = []
    public private(set) var environment: [String: String]

    /// - Parameter accessibility: also start a private D-Bus session bus and the accessibility
    ///   bus on it, as a desktop session does (`DBUS_SESSION_BUS_ADDRESS` in ``environment``).
    public init(width: Int = 1920, height: Int = 1080, windowManager: Bool = true, accessibility: Bool = false) throws {
        let xvfb = Process()
        xvfb.executableURL = URL(fileURLWithPath: "/usr/bin/Xvfb")
        let pipe = Pipe()
        xvfb.arguments = ["-displayfd", "1", "-screen", "0", "\(width)x\(height)x24", "-nolisten", "tcp"]
        xvfb.standardOutput = pipe
        xvfb.standardError = FileHandle.nullDevice
        try xvfb.run()
        processes.append(xvfb)
        let number = try Self.firstLine(of: pipe)
        guard !number.isEmpty else { throw XSessionError.serverDidNotStart }
        display = ":\(number)"
        var env = ProcessInfo.processInfo.environment
        env["DISPLAY"] = display
        env["DBUS_SESSION_BUS_ADDRESS"] = nil
        environment = env
        if accessibility { try startAccessibilityBus() }
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

    /// A session bus of this session's own, and the accessibility bus launcher on it (the
    /// registry daemon starts by D-Bus activation when first asked).
    private func startAccessibilityBus() throws {
        let bus = Process()
        bus.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-daemon")
        bus.arguments = ["--session", "--nofork", "--print-address=1"]
        bus.environment = environment
        let out = Pipe()
        bus.standardOutput = out
        bus.standardError = FileHandle.nullDevice
        try bus.run()
        processes.append(bus)
        let address = try Self.firstLine(of: out)
        guard !address.isEmpty else { throw XSessionError.serverDidNotStart }
        environment["DBUS_SESSION_BUS_ADDRESS"] = address
        // In a process group of its own, so its bus daemon and registry go with it.
        try launch("/usr/bin/setsid", "/usr/libexec/at-spi-bus-launcher", "--launch-immediately")
        try waitFor {
            (try? self.output(
                "gdbus", "call", "--session", "--dest", "org.a11y.Bus", "--object-path", "/org/a11y/bus", "--method", "org.a11y.Bus.GetAddress"))
                != nil
        }
    }

    /// What a child prints first, read a byte at a time so nothing after the line is taken.
    private static func firstLine(of pipe: Pipe) throws -> String {
        var line = ""
        while let byte = try pipe.fileHandleForReading.read(upToCount: 1), let c = byte.first, c != UInt8(ascii: "\n") {
            line.append(Character(Unicode.Scalar(c)))
        }
        return line
    }

    /// Starts xterm (class `UnderstudyTerm`) and xcalc and waits until both are mapped.
    public func startApps() throws {
        try launch("/usr/bin/xterm", "-class", "UnderstudyTerm", "-title", "terminal", "-geometry", "100x30+40+40", "-e", "cat")
        try launch("/usr/bin/xcalc", "-geometry", "+1100+100")
        for cls in ["UnderstudyTerm", "XCalc"] { try waitForWindow(class: cls) }
    }

    /// Starts another program on the display; it is stopped with the session.
    public func launch(_ path: String, _ arguments: String..., errors: URL? = nil) throws {
        try launch(path, arguments, environment: [:], errors: errors)
    }

    /// Starts another program with `extra` variables added to the session's environment.
    public func launch(_ path: String, _ arguments: [String], environment extra: [String: String], errors: URL? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = environment.merging(extra) { $1 }
        process.standardOutput = FileHandle.nullDevice
        if let errors, FileManager.default.createFile(atPath: errors.path, contents: nil) {
            process.standardError = try FileHandle(forWritingTo: errors)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        processes.append(process)
    }

    /// `retrying`: for an application that makes and destroys windows while it starts (a
    /// browser), where one search can fail on a window that just went away.
    public func waitForWindow(class cls: String, retrying: Bool = false) throws {
        guard retrying else {
            _ = try output("timeout", "-s", "KILL", "20", "xdotool", "search", "--sync", "--onlyvisible", "--class", cls)
            return
        }
        try waitFor { !(try self.output("xdotool", "search", "--onlyvisible", "--class", cls)).isEmpty }
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
        for process in processes.reversed() where process.isRunning {
            kill(-process.processIdentifier, SIGTERM)  // the group, when it leads one (setsid)
            process.terminate()
        }
        for _ in 0..<100 where processes.contains(where: \.isRunning) { usleep(20_000) }
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        // The accessibility bus launcher leaves its bus daemon behind, detached: it is found by
        // the socket it was given, which names this display.
        let socket = "at-spi/bus_\(display.dropFirst())"
        for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(pid) != nil {
            guard let line = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            let command = String(decoding: line.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            if command.contains("accessibility.conf"), command.contains(socket + " ") { kill(Int32(pid)!, SIGKILL) }
        }
    }
}

public enum XSessionError: Error {
    case serverDidNotStart
    case windowManagerDidNotStart(display: String, running: Bool, xprop: String, openbox: String)
    case commandFailed(String, Int32)
}
