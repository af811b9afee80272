import Foundation

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
    static func footprint(_ count: Int) -> Int64 { Int64(512 + (count + 511) / 512 * 512) }

    func add(_ name: String, _ data: Data) throws {
        try handle.write(contentsOf: try Self.header(name, size: data.count, mtime: mtime))
        try handle.write(contentsOf: data)
        let padding = (512 - data.count % 512) % 512
        if padding > 0 { try handle.write(contentsOf: Data(count: padding)) }
        size += Self.footprint(data.count)
    }

    /// Writes the end-of-archive marker (two zero blocks) and closes the file.
    func finish() throws {
        try handle.write(contentsOf: Data(count: 1024))
        size += 1024
        try handle.synchronize()
        try handle.close()
    }

    private static func header(_ name: String, size: Int, mtime: Int) throws -> Data {
        var block = [UInt8](repeating: 0, count: 512)
        var path = Array(name.utf8), prefix: [UInt8] = []
        if path.count > 100 {
            // ustar keeps long names as prefix "/" name, split at a slash.
            guard let cut = path.indices.last(where: { path[$0] == UInt8(ascii: "/") && $0 <= 155 && path.count - $0 - 1 <= 100 }) else {
                throw DatasetError.cannotWrite(name, "the member name is too long for a tar archive")
            }
            prefix = Array(path[..<cut])
            path = Array(path[(cut + 1)...])
        }
        func put(_ bytes: [UInt8], at offset: Int) { block.replaceSubrange(offset..<offset + bytes.count, with: bytes) }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            Array(String(value, radix: 8).leftPadded(to: width - 1).utf8) + [0]
        }
        put(path, at: 0)
        put(octal(0o644, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(size, width: 12), at: 124)
        put(octal(mtime, width: 12), at: 136)
        put(Array(repeating: UInt8(ascii: " "), count: 8), at: 148)
        block[156] = UInt8(ascii: "0")
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        put(prefix, at: 345)
        let checksum = block.reduce(0) { $0 + Int($1) }
        put(Array(String(checksum, radix: 8).leftPadded(to: 6).utf8) + [0, UInt8(ascii: " ")], at: 148)
        return Data(block)
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
