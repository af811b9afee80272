import Foundation
import UnderstudyModel

/// The embedded blob store: one file per blob under a directory, written to a temporary name,
/// synced, then renamed into place (and the directory synced), so a blob is whole or absent.
public struct DirectoryBlobStore: BlobStore {
    public let root: URL

    public init(root: URL) throws {
        self.root = root
        do {
            try FileManager.default.createDirectory(at: root.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        } catch {
            throw StoreError.io("cannot create \(root.path): \(error.localizedDescription)")
        }
        chmod(root.path, 0o700)
        // Writes a crash interrupted were never committed: nothing refers to them.
        let temporary = root.appendingPathComponent("tmp")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [] {
            try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
        }
    }

    private func url(_ key: String) throws -> URL {
        // Keys are ours (hex ids), but a key must never name a path outside the store.
        guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }), !key.hasPrefix(".") else {
            throw StoreError.io("invalid blob key \(key)")
        }
        return root.appendingPathComponent(String(key.prefix(2)), isDirectory: true).appendingPathComponent(key)
    }

    public func create(_ key: String) async throws -> any BlobWriter {
        let final = try url(key)
        do {
            return FileBlobWriter(try DurableFile.Writer(final.path, temporaryFolder: root.appendingPathComponent("tmp").path))
        } catch {
            throw StoreError.io("cannot create blob \(key): \(error)")
        }
    }

    public func read(_ key: String) async throws -> AsyncThrowingStream<Data, any Error> {
        let path = try url(key).path
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StoreError.notFound("blob \(key)") }
        // Pulled a chunk at a time as the reader asks: a blob of any size holds one chunk in memory.
        return AsyncThrowingStream {
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 1 << 20) } catch { throw StoreError.io("reading blob \(key): \(error)") }
            guard let chunk, !chunk.isEmpty else {
                try? handle.close()
                return nil
            }
            return chunk
        }
    }

    public func exists(_ key: String) async throws -> Bool { FileManager.default.fileExists(atPath: try url(key).path) }

    public func delete(_ key: String) async throws {
        let file = try url(key)
        guard FileManager.default.fileExists(atPath: file.path) else { return }
        do { try FileManager.default.removeItem(at: file) } catch { throw StoreError.io("cannot delete blob \(key): \(error.localizedDescription)") }
    }
}

/// A blob being written: a ``DurableFile/Writer`` under a lock, since its writes and its
/// commit may come from different tasks (one at a time).
final class FileBlobWriter: BlobWriter, @unchecked Sendable {
    private var file: DurableFile.Writer?
    private let lock = NSLock()

    init(_ file: DurableFile.Writer) { self.file = file }

    func write(_ data: Data) async throws {
        try lock.withLock {
            guard let file else { throw StoreError.io("the blob was already committed or dropped") }
            do { try file.write(data) } catch { throw StoreError.writing((file.path as NSString).lastPathComponent, error) }
        }
    }

    func commit() async throws {
        try lock.withLock {
            guard let file else { throw StoreError.io("the blob was already committed or dropped") }
            defer { self.file = nil }
            // The blob's folder appears with its first blob: a refused upload leaves nothing behind.
            let folder = (file.path as NSString).deletingLastPathComponent
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                // Linked only if the name is free: a committed blob is never replaced.
                try file.commit(exclusive: true)
            } catch let failure as DurableFile.Failure where failure.alreadyExists {
                throw StoreError.duplicate("blob \((file.path as NSString).lastPathComponent)")
            } catch { throw StoreError.writing((file.path as NSString).lastPathComponent, error) }
        }
    }

    /// Dropping the writer removes its temporary file.
    func abort() async { lock.withLock { file = nil } }
}
