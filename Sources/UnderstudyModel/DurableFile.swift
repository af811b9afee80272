import Foundation

/// Files that survive a crash or a power cut: written to a temporary name, synced, renamed
/// into place, and the folder synced, so a name never points at a half-written file. Every
/// file Understudy writes for its owner goes through here (owner-only unless told otherwise):
/// keys, credentials, consents, exemptions, the recorder's state, vault segments, blobs.
public enum DurableFile {
    public struct Failure: Error, CustomStringConvertible {
        public let path: String
        public let errno: Int32
        public var description: String { "\(path): \(String(cString: strerror(errno)))" }
        /// The disk (or the file system's quota) is full.
        public var isOutOfSpace: Bool { errno == ENOSPC || errno == EDQUOT }
        /// The file to create is there already.
        public var alreadyExists: Bool { errno == EEXIST }
    }

    /// Creates `path`, which must not exist, with `contents`: the whole file appears under its
    /// name at once (a hard link from the synced temporary file), or nothing does.
    public static func create(_ path: String, contents: Data, mode: mode_t = 0o600) throws(Failure) {
        let writer = try Writer(path, mode: mode)
        try writer.write(contents)
        try writer.commit(exclusive: true)
    }

    /// Writes `contents` to `path` through a temporary file and a rename, then syncs the folder
    /// unless told not to (a writer placing many files syncs it once with ``syncFolder(_:)``).
    public static func replace(_ path: String, contents: Data, mode: mode_t = 0o600, syncingFolder: Bool = true) throws(Failure) {
        let writer = try Writer(path, mode: mode)
        try writer.write(contents)
        try writer.commit(syncingFolder: syncingFolder)
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

    /// A file written piece by piece under a temporary name beside it, then synced and put in
    /// place by ``commit(syncingFolder:exclusive:)``: until then the name holds what it held
    /// before, if anything. Dropped without a commit, the temporary file is removed.
    public final class Writer {
        public let path: String
        /// Unique, so two writers of one name (two processes) never write into each other.
        private let temporary: String
        private var fd: Int32

        /// `temporaryFolder`, on the same file system, keeps half-written files apart from
        /// finished ones (a store clears it on start); beside `path` when nil.
        public init(_ path: String, mode: mode_t = 0o600, temporaryFolder: String? = nil) throws(Failure) {
            self.path = path
            let name = "\((path as NSString).lastPathComponent).\(UInt32.random(in: .min ... .max)).tmp"
            temporary =
                temporaryFolder.map { ($0 as NSString).appendingPathComponent(name) } ?? path
                + name.dropFirst((path as NSString).lastPathComponent.count)
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            guard fd >= 0 else { throw Failure(path: temporary, errno: errno) }
            // The umask must not widen or narrow what the caller asked for.
            fchmod(fd, mode)
        }

        public func write(_ data: Data) throws(Failure) { try writeAll(fd, path: temporary, data) }

        /// Syncs the file and puts it in place: renamed over what was there, or with
        /// `exclusive`, linked only if the name is free (``Failure/alreadyExists`` otherwise).
        /// Then syncs the folder unless told not to.
        public func commit(syncingFolder: Bool = true, exclusive: Bool = false) throws(Failure) {
            guard fsync(fd) == 0 else { throw Failure(path: temporary, errno: errno) }
            close(fd)
            fd = -1
            defer { unlink(temporary) }
            let placed = exclusive ? link(temporary, path) : rename(temporary, path)
            guard placed == 0 else { throw Failure(path: path, errno: errno) }
            if syncingFolder { try syncFolder(of: path) }
        }

        deinit {
            guard fd >= 0 else { return }
            close(fd)
            unlink(temporary)
        }
    }
}
