import Collector
import Foundation

/// `understudy serve` run as a child process, for benchmarks and tests that need the real
/// server over real sockets: started, and its address read from the line it prints once it
/// listens (``readyLine``).
public final class CollectorProcess: @unchecked Sendable {
    /// What `serve` prints, followed by the address and `, data in DIR`, once it listens.
    public static let readyLine = CollectorServer.readyLine

    public let process = Process()
    /// The address it listens on, e.g. `http://127.0.0.1:41234`.
    public let url: String
    /// Its standard output and error, merged.
    public let output = Pipe()
    private let lock = NSLock()
    private var said = ""

    /// Everything it has printed so far: the ready line, and its log.
    public var printed: String { lock.withLock { said } }

    public enum Failure: Error, CustomStringConvertible {
        case didNotStart(String)
        public var description: String {
            switch self {
            case .didNotStart(let output): "the collector did not start: \(output)"
            }
        }
    }

    /// Starts `executable serve ARGUMENTS` and waits (up to 30 s) until it listens.
    public init(executable: URL, arguments: [String], environment: [String: String]? = nil) throws {
        process.executableURL = executable
        process.arguments = ["serve"] + arguments
        if let environment { process.environment = environment }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        var text = ""
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, !text.contains(Self.readyLine) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty {
                if !process.isRunning { break }
                continue
            }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(Self.readyLine) }),
            let address = line.dropFirst(Self.readyLine.count).split(separator: ",").first
        else {
            if process.isRunning { process.terminate() }
            throw Failure.didNotStart(text)
        }
        url = String(address)
        said = text
        // Read on until it exits, so a talkative log never fills the pipe and stalls the server.
        let reading = output.fileHandleForReading
        Thread.detachNewThread { [self] in
            while case let chunk = reading.availableData, !chunk.isEmpty {
                lock.withLock { said += String(decoding: chunk, as: UTF8.self) }
            }
        }
    }

    /// The server's user and system CPU time so far.
    public func cpuSeconds() -> Double { Self.cpuSeconds(of: process.processIdentifier) }

    /// A process's user and system CPU time so far (/proc/PID/stat, fields 14 and 15).
    public static func cpuSeconds(of pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The server's peak resident memory so far (VmHWM), in MB.
    public func peakRSSMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kb / 1024
    }

    /// SIGTERM, as an init system stops it; returns its exit status.
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
