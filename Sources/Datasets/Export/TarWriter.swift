import Foundation
import UnderstudyModel

/// Writes a POSIX ustar archive, one member at a time, straight to a file: the WebDataset
/// shard format (samples are runs of members sharing a key).
final class TarWriter {
    private let handle: FileHandle
    /// Bytes written so far, headers and padding included.
    private(set) var size: Int64 = 0
    private let mtime: Int

    init(creating url: URL, mtime: Date) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw DatasetError.cannotWrite(url.path, "cannot create the file")
        }
        handle = try FileHandle(forWritingTo: url)
        self.mtime = Int(mtime.timeIntervalSince1970)
    }

    /// What a member of `count` bytes adds to the archive.
    static func footprint(_ count: Int) -> Int64 { TarFormat.footprint(count) }

    func add(_ name: String, _ data: Data) throws {
        do {
            try handle.write(contentsOf: try TarFormat.header(name, size: data.count, mtime: mtime))
        } catch let error as TarFormat.Failure {
            throw DatasetError.cannotWrite(name, error.description)
        }
        try handle.write(contentsOf: data)
        try handle.write(contentsOf: TarFormat.padding(data.count))
        size += Self.footprint(data.count)
    }

    /// Writes the end-of-archive marker (two zero blocks) and closes the file.
    func finish() throws {
        try handle.write(contentsOf: TarFormat.end)
        size += Int64(TarFormat.end.count)
        try handle.synchronize()
        try handle.close()
    }
}
