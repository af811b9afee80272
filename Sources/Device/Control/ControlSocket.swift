import Foundation
import UnderstudyModel

/// The running recorder's control socket, `<vault>/control.sock`: `pause`, `resume`, `status`
/// and `task` talk to it. One JSON line in (``ControlRequest``), one JSON line out
/// (``ControlAnswer``). The socket file is owner-only,
/// and the recorder also checks each caller's uid (SO_PEERCRED), so only the same user can
/// pause or resume.
public enum ControlSocket {
    static func path(vault: URL) -> String { vault.appendingPathComponent("control.sock").path }

    /// The longest socket path Linux binds (`sun_path` holds 108 bytes with its terminating zero).
    static let longestPath = 107

    public enum Failure: Error, CustomStringConvertible {
        case notRunning(String)
        case failed(String)
        case pathTooLong(String)

        public var description: String {
            switch self {
            case .notRunning(let vault): "no recorder is running on \(vault) (start one with `understudy record`)"
            case .failed(let reason): "the recorder did not answer: \(reason)"
            case .pathTooLong(let path):
                "the control socket \(path) is longer than the \(ControlSocket.longestPath) bytes a socket path may have: give the vault a shorter path"
            }
        }
    }

    /// Sends one request to the recorder of `vault` and returns its answer.
    public static func send(_ request: ControlRequest, vault: URL) throws(Failure) -> ControlAnswer {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .failed(String(cString: strerror(errno))) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let path = path(vault: vault)
        guard path.utf8.count <= longestPath else { throw .pathTooLong(path) }
        guard connect(fd, path) == 0 else { throw .notRunning(vault.path) }
        // Whoever answers must be this user's own recorder, not a socket someone else put there.
        guard sameUser(fd) else { throw .failed("the socket at \(path) belongs to another user") }
        guard let encoded = try? ControlJSON.encode(request) else { throw .failed("could not encode the request") }
        let line = encoded + Data("\n".utf8)
        guard line.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == line.count else { throw .failed("could not send") }
        guard let line = readLine(fd) else { throw .failed("no answer") }
        guard let answer = try? ControlJSON.decode(ControlAnswer.self, from: line) else {
            throw .failed("an answer that is not one (a recorder of another version?)")
        }
        return answer
    }

    /// Accepts requests on a thread of its own until ``Server/close()``.
    final class Server: @unchecked Sendable {
        private let fd: Int32
        private let path: String
        private let handle: @Sendable (ControlRequest) -> ControlAnswer

        init(vault: URL, handle: @escaping @Sendable (ControlRequest) -> ControlAnswer) throws {
            path = ControlSocket.path(vault: vault)
            guard path.utf8.count <= ControlSocket.longestPath else { throw Failure.pathTooLong(path) }
            self.handle = handle
            unlink(path)  // a killed recorder's socket; the recorder lock says no other one runs
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0, ControlSocket.bind(fd, path) == 0, listen(fd, 8) == 0 else {
                throw Failure.failed("cannot listen on \(path): \(String(cString: strerror(errno)))")
            }
            chmod(path, 0o600)
            let thread = Thread { [self] in serve() }
            thread.name = "understudy control socket"
            thread.start()
        }

        func close() {
            shutdown(fd, Int32(SHUT_RDWR))
            unlink(path)
        }

        private func serve() {
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else {
                    if errno == EINTR { continue }
                    return
                }
                defer { Foundation.close(client) }
                guard ControlSocket.sameUser(client) else { continue }
                var timeout = timeval(tv_sec: 2, tv_usec: 0)
                setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                let answer = (try? ControlJSON.encode(Self.answer(to: ControlSocket.readLine(client), handle: handle))) ?? Data()
                let line = answer + Data("\n".utf8)
                _ = line.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            }
        }

        /// The handler's answer to a well-formed request of this version; a refusal otherwise.
        /// Static, so the fuzz target can feed it lines without a socket.
        static func answer(to line: Data?, handle: (ControlRequest) -> ControlAnswer) -> ControlAnswer {
            guard let line else { return ControlAnswer(ok: false, message: "no request") }
            guard let request = try? ControlJSON.decode(ControlRequest.self, from: line) else {
                return ControlAnswer(ok: false, message: "not a control request")
            }
            guard request.version == ControlRequest.currentVersion else {
                return ControlAnswer(
                    ok: false,
                    message:
                        "this recorder speaks control protocol \(ControlRequest.currentVersion), not \(request.version): restart it with this version of understudy"
                )
            }
            if request.command == .pause, let seconds = request.seconds, !(seconds.isFinite && seconds >= 0) {
                return ControlAnswer(ok: false, message: "a pause lasts zero or more seconds, not \(seconds)")
            }
            return handle(request)
        }
    }

    /// Whether the process at the other end of `socket` runs as this user.
    static func sameUser(_ socket: Int32) -> Bool {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } (glibc hides the type without _GNU_SOURCE)
        var credentials = [Int32](repeating: -1, count: 3)
        var length = socklen_t(MemoryLayout<Int32>.size * 3)
        guard getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { return false }
        return UInt32(bitPattern: credentials[1]) == getuid()
    }

    private static func readLine(_ fd: Int32) -> Data? {
        var data = Data()
        var byte: UInt8 = 0
        while data.count < 65536 {
            let n = read(fd, &byte, 1)
            guard n == 1 else { return data.isEmpty ? nil : data }
            if byte == 0x0A { return data }
            data.append(byte)
        }
        return data
    }

    private static func withAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // Callers refuse longer paths first: cut short, the path would name another socket.
        let bytes = Array(path.utf8.prefix(longestPath)) + [0]
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    fileprivate static func bind(_ fd: Int32, _ path: String) -> Int32 {
        withAddress(path) { Glibc.bind(fd, $0, $1) }
    }

    fileprivate static func connect(_ fd: Int32, _ path: String) -> Int32 {
        withAddress(path) { Glibc.connect(fd, $0, $1) }
    }
}
