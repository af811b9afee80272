import Foundation

/// A folder for decrypted data a command holds for a while: a bundle on its way to the
/// collector, segments downloaded for an export. It is the owner's alone, whatever the umask;
/// it goes when ``remove()`` is called; and should the command be killed first, the next
/// scratch folder made in the same place removes it (it is named after its process, so one
/// whose process is gone is known to be left over).
public struct ScratchFolder: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let url: URL

    /// A new folder in `parent`, which is made owner-only if missing and must be the user's own
    /// and owner-only if present (a folder someone else made in a shared place is refused).
    public init(in parent: URL, purpose: String) throws(Failure) {
        try Self.ownedFolder(parent)
        Self.removeLeftovers(in: parent, purpose: purpose)
        url = parent.appendingPathComponent("\(purpose)-\(getpid())-\(UUID().uuidString.lowercased())", isDirectory: true)
        guard mkdir(url.path, 0o700) == 0 else { throw Failure(description: "cannot make \(url.path): \(String(cString: strerror(errno)))") }
    }

    /// `$TMPDIR/understudy-UID`: the user's own place for scratch folders outside any vault.
    public static var temporaryParent: URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("understudy-\(getuid())", isDirectory: true)
    }

    public func remove() { try? FileManager.default.removeItem(at: url) }

    /// Removes what killed commands left in `parent`: folders for `purpose` whose process is gone.
    public static func removeLeftovers(in parent: URL, purpose: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? [] where name.hasPrefix("\(purpose)-") {
            let fields = name.dropFirst(purpose.count + 1).split(separator: "-", maxSplits: 1)
            guard let pid = fields.first.flatMap({ pid_t($0) }), pid > 0, kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
        }
    }

    private static func ownedFolder(_ folder: URL) throws(Failure) {
        if mkdir(folder.path, 0o700) != 0, errno != EEXIST {
            throw Failure(description: "cannot make \(folder.path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(folder.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid() else {
            throw Failure(description: "\(folder.path) is not a folder of yours: remove it, or set TMPDIR to a folder of your own")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw Failure(description: "\(folder.path) can be read by others: it must be owner-only (chmod 700 it)")
        }
    }
}
