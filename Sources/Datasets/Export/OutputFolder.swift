import Foundation

/// An export's output folder, written in a hidden sibling folder and moved into place only
/// when everything is written: a failed export (full disk, a killed process) leaves nothing
/// that looks like a finished one.
final class OutputFolder {
    let destination: URL
    let staging: URL
    /// Bytes of the files written.
    private(set) var bytes: Int64 = 0

    init(_ destination: URL) throws(DatasetError) {
        let fm = FileManager.default
        self.destination = destination.standardizedFileURL
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: self.destination.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .cannotWrite(self.destination.path, "it is a file, not a folder") }
            let contents = (try? fm.contentsOfDirectory(atPath: self.destination.path)) ?? ["?"]
            guard contents.isEmpty else { throw .outputNotEmpty(self.destination.path) }
        }
        let parent = self.destination.deletingLastPathComponent()
        staging = parent.appendingPathComponent(".\(self.destination.lastPathComponent).partial-\(getpid())", isDirectory: true)
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
            try? fm.removeItem(at: staging)
            try fm.createDirectory(at: staging, withIntermediateDirectories: false, attributes: Self.ownerOnlyFolder)
        } catch {
            throw .cannotWrite(self.destination.path, Self.reason(error))
        }
    }

    /// The staging location of a file or folder given relative to the output. Names are built
    /// from what devices recorded, so one that would leave the folder (absolute, `..`, `.` or
    /// empty parts) is refused, not resolved.
    func url(_ relative: String) throws(DatasetError) -> URL {
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard !relative.hasPrefix("/"), parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("\0") }) else {
            throw .cannotWrite(destination.path, "the name \(relative.debugDescription) would leave the export folder")
        }
        return staging.appendingPathComponent(relative)
    }

    func makeFolder(_ relative: String) throws {
        let folder = try url(relative)
        try wrap { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: Self.ownerOnlyFolder) }
    }

    func write(_ data: Data, to relative: String) throws {
        let file = try url(relative)
        try wrap { try data.write(to: file) }
        bytes += Int64(data.count)
    }

    /// Exports hold decrypted recordings: only their owner reads them, whatever the umask (the
    /// folder is what keeps others out, so the files in it need no mode of their own).
    static var ownerOnlyFolder: [FileAttributeKey: Any] { [.posixPermissions: 0o700] }

    func counted(_ extra: Int64) { bytes += extra }

    /// Moves the finished export into place.
    func commit() throws {
        let fm = FileManager.default
        try wrap {
            if fm.fileExists(atPath: destination.path) { try fm.removeItem(at: destination) }
            try fm.moveItem(at: staging, to: destination)
        }
    }

    /// Removes what a failed export wrote.
    func discard() { try? FileManager.default.removeItem(at: staging) }

    private func wrap(_ body: () throws -> Void) throws(DatasetError) {
        do { try body() } catch let error as DatasetError { throw error } catch { throw .cannotWrite(destination.path, Self.reason(error)) }
    }

    private static func reason(_ error: Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let code = underlying?.code, underlying?.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(code))) }
        return (error as NSError).localizedDescription
    }
}
