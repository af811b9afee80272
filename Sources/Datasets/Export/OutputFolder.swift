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
            try fm.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            throw .cannotWrite(self.destination.path, Self.reason(error))
        }
    }

    /// The staging location of a file or folder given relative to the output.
    func url(_ relative: String) -> URL { staging.appendingPathComponent(relative) }

    func makeFolder(_ relative: String) throws {
        try wrap { try FileManager.default.createDirectory(at: url(relative), withIntermediateDirectories: true) }
    }

    func write(_ data: Data, to relative: String) throws {
        try wrap { try data.write(to: url(relative)) }
        bytes += Int64(data.count)
    }

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
