import Foundation

/// Files that survive a crash or a power cut: written to a temporary name, synced, renamed
/// into place, and the folder synced, so a name never points at a half-written file.
public enum DurableFile {
    public struct Failure: Error, CustomStringConvertible {
        let path: String
        let errno: Int32
        public var description: String { "\(path): \(String(cString: strerror(errno)))" }
        /// The disk (or the file system's quota) is full.
        var isOutOfSpace: Bool { errno == ENOSPC || errno == EDQUOT }
    }

    /// Creates `path`, which must not exist, with `contents`.
    static func create(_ path: String, contents: Data, mode: mode_t) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(path: path, errno: errno) }
        try finish(fd, path: path, contents: contents)
        try syncFolder(of: path)
    }

    /// Writes `contents` to `path` through a temporary file and a rename. The folder is not
    /// synced here: a writer placing many files syncs it once with ``syncFolder(_:)``.
    public static func replace(_ path: String, contents: Data) throws(Failure) {
        let writer = try Writer(path)
        try writer.write(contents)
        try writer.commit(syncingFolder: false)
    }

    public static func syncFolder(of path: String) throws(Failure) {
        try syncFolder((path as NSString).deletingLastPathComponent)
    }

    public static func syncFolder(_ folder: String) throws(Failure) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: folder, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(path: folder, errno: errno) }
    }

    private static func finish(_ fd: Int32, path: String, contents: Data) throws(Failure) {
        defer { close(fd) }
        try writeAll(fd, path: path, contents)
        guard fsync(fd) == 0 else { throw Failure(path: path, errno: errno) }
    }

    fileprivate static func writeAll(_ fd: Int32, path: String, _ contents: Data) throws(Failure) {
        let failed: Int32? = contents.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return nil
        }
        if let failed { throw Failure(path: path, errno: failed) }
    }

    /// A file written piece by piece under a temporary name, then synced and renamed into
    /// place by ``commit()``: until then the name holds what it held before, if anything.
    /// Dropped without a commit, the temporary file is removed.
    final class Writer {
        let path: String
        private var fd: Int32

        init(_ path: String) throws(Failure) {
            self.path = path
            fd = open(path + ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw Failure(path: path + ".tmp", errno: errno) }
        }

        func write(_ data: Data) throws(Failure) { try writeAll(fd, path: path + ".tmp", data) }

        /// Syncs the file and renames it into place, then syncs its folder unless told not to
        /// (a writer placing many files syncs the folder once).
        func commit(syncingFolder: Bool = true) throws(Failure) {
            guard fsync(fd) == 0 else { throw Failure(path: path + ".tmp", errno: errno) }
            close(fd)
            fd = -1
            guard rename(path + ".tmp", path) == 0 else {
                let failure = Failure(path: path, errno: errno)
                unlink(path + ".tmp")
                throw failure
            }
            if syncingFolder { try syncFolder(of: path) }
        }

        deinit {
            guard fd >= 0 else { return }
            close(fd)
            unlink(path + ".tmp")
        }
    }
}
