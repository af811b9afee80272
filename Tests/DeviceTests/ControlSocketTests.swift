import Foundation
import Testing
import UnderstudyModel

@testable import Device

@Suite("The recorder's control socket")
struct ControlSocketTests {
    /// A socket in a fresh folder, answered by `handle`, closed and removed after `body`.
    func withServer(_ handle: @escaping @Sendable (ControlRequest) -> ControlAnswer, _ body: (URL) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-control-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ControlSocket.Server(vault: folder, handle: handle)
        defer { server.close() }
        try body(folder)
    }

    /// Sends `line` as it is and returns the line that comes back.
    func raw(_ line: String, to folder: URL) throws -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(ControlSocket.path(vault: folder).utf8) + [0]
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(connected == 0)
        let bytes = Array((line + "\n").utf8)
        _ = write(fd, bytes, bytes.count)
        var answer = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &answer, answer.count)
        return String(decoding: answer.prefix(max(0, n)), as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    @Test("A typed request reaches the recorder's handler with its fields, and its typed answer comes back, times in RFC 3339")
    func roundTrip() throws {
        let until = Date(timeIntervalSince1970: 1_795_000_900)
        try withServer({ request in
            ControlAnswer(ok: request.command == .pause && request.seconds == 900, message: "paused", pausedUntil: until)
        }) { folder in
            let answer = try ControlSocket.send(ControlRequest(.pause, seconds: 900), vault: folder)
            #expect(answer == ControlAnswer(ok: true, message: "paused", pausedUntil: until))
            #expect(try raw(#"{"version":1,"command":"pause","seconds":900}"#, to: folder).contains(#""paused_until":"2026-11-18T11:21:40.000Z""#))
        }
    }

    @Test("A request of another protocol version, an unknown command or a line that is not JSON is refused in words; the handler never sees it")
    func refusals() throws {
        try withServer({ _ in
            Issue.record("the handler was asked")
            return ControlAnswer(ok: true)
        }) { folder in
            let newer = try raw(#"{"version":2,"command":"status"}"#, to: folder)
            #expect(newer.contains(#""ok":false"#) && newer.contains("control protocol 1, not 2"))
            #expect(try raw(#"{"version":1,"command":"dance"}"#, to: folder).contains(#""ok":false"#))
            #expect(try raw("pause please", to: folder).contains("not a control request"))
        }
    }

    @Test("A pause of a negative length is refused in words before the recorder's handler sees it")
    func negativePause() throws {
        try withServer({ _ in
            Issue.record("the handler was asked")
            return ControlAnswer(ok: true)
        }) { folder in
            let answer = try ControlSocket.send(ControlRequest(.pause, seconds: -1), vault: folder)
            #expect(!answer.ok && answer.message?.contains("zero or more seconds") == true)
        }
    }

    @Test("A vault whose socket path is longer than a socket path may be is refused on both ends, never cut short to another path")
    func longPath() throws {
        var folder = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-control-\(UUID().uuidString)")
        while folder.path.utf8.count < 120 { folder.appendPathComponent("deeper") }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory.appendingPathComponent(folder.pathComponents[2])) }
        #expect {
            _ = try ControlSocket.Server(vault: folder) { _ in ControlAnswer(ok: true) }
        } throws: { error in
            "\(error)".contains("shorter path")
        }
        #expect {
            _ = try ControlSocket.send(ControlRequest(.status), vault: folder)
        } throws: { error in
            "\(error)".contains("shorter path")
        }
    }

    @Test("Without a recorder, sending says none is running on that vault")
    func notRunning() {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-control-none-\(UUID().uuidString)")
        #expect(throws: ControlSocket.Failure.self) { try ControlSocket.send(ControlRequest(.status), vault: folder) }
    }
}
