import Foundation

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
        let temporary = root.appendingPathComponent("tmp").appendingPathComponent("\(key).\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw StoreError.io("cannot create \(temporary.path)")
        }
        return try FileBlobWriter(temporary: temporary, final: final)
    }

    public func read(_ key: String) async throws -> AsyncThrowingStream<Data, any Error> {
        let path = try url(key).path
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StoreError.notFound("blob \(key)") }
        return AsyncThrowingStream { continuation in
            do {
                while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { continuation.yield(chunk) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: StoreError.io("reading blob \(key): \(error)"))
            }
            try? handle.close()
        }
    }

    public func exists(_ key: String) async throws -> Bool { FileManager.default.fileExists(atPath: try url(key).path) }

    public func delete(_ key: String) async throws {
        let file = try url(key)
        guard FileManager.default.fileExists(atPath: file.path) else { return }
        do { try FileManager.default.removeItem(at: file) } catch { throw StoreError.io("cannot delete blob \(key): \(error.localizedDescription)") }
    }
}

/// Writes to a temporary file; ``commit()`` syncs it and renames it into place.
final class FileBlobWriter: BlobWriter, @unchecked Sendable {
    private let temporary: URL
    private let final: URL
    private let handle: FileHandle
    private let lock = NSLock()

    init(temporary: URL, final: URL) throws {
        self.temporary = temporary
        self.final = final
        handle = try FileHandle(forWritingTo: temporary)
    }

    func write(_ data: Data) async throws {
        try lock.withLock {
            do { try handle.write(contentsOf: data) } catch { throw StoreError.writing(temporary.lastPathComponent, error) }
        }
    }

    func commit() async throws {
        try lock.withLock {
            do {
                try handle.synchronize()
                try handle.close()
                let folder = final.deletingLastPathComponent()
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                guard rename(temporary.path, final.path) == 0 else { throw StoreError.io(String(cString: strerror(errno))) }
                let fd = open(folder.path, O_RDONLY)
                if fd >= 0 {
                    fsync(fd)
                    close(fd)
                }
            } catch {
                throw StoreError.writing(final.lastPathComponent, error)
            }
        }
    }

    func abort() async {
        lock.withLock {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
        }
    }
}
