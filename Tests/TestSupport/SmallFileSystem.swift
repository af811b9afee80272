import Foundation

/// A small tmpfs, mounted for one test (root only), to fill a file system for real.
public final class SmallFileSystem {
    public let directory: URL

    public static var available: Bool { geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount") }

    public init(megabytes: Int) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-tmpfs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.run("/bin/mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", directory.path)
    }

    deinit {
        // Lazily: a server the test started may still hold files in it (Swift may end this
        // object before the test's other values); the mount goes once they are closed.
        try? Self.run("/bin/umount", "--lazy", directory.path)
        try? FileManager.default.removeItem(at: directory)
    }

    public var freeBytes: Int64 {
        var info = statvfs()
        guard statvfs(directory.path, &info) == 0 else { return 0 }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Writes a filler file that leaves about `leaving` bytes free.
    public func fill(leaving: Int64) throws -> URL {
        let filler = directory.appendingPathComponent("filler")
        try Data(count: Int(max(0, freeBytes - leaving))).write(to: filler)
        return filler
    }

    /// Writes a filler file until the file system refuses another byte (ENOSPC): full for
    /// real, even while another process writes into it at the same time (a filler sized from
    /// the free space measured a moment earlier would then fail, or leave room).
    public func fillUp() throws -> URL {
        let filler = directory.appendingPathComponent("filler")
        let fd = open(filler.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 1 << 20)
        var size = chunk.count
        while size > 0 {
            let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress!, size) }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && errno != ENOSPC { throw CocoaError(.fileWriteUnknown) }
            // Short or refused: what is left is smaller than this piece; try smaller ones.
            if written < size { size /= 2 }
        }
        return filler
    }

    private static func run(_ tool: String, _ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
