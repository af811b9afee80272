import Foundation

/// The POSIX ustar archive format, as bytes: WebDataset shards and sync's segment bundles are
/// tar files. Writing them to disk is the caller's business.
public enum TarFormat {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case nameTooLong(String)

        public var description: String {
            switch self {
            case .nameTooLong(let name): "the member name \(name) is too long for a tar archive"
            }
        }
    }

    /// What a member of `count` bytes adds to an archive: its header and its padded data.
    public static func footprint(_ count: Int) -> Int64 { Int64(512 + (count + 511) / 512 * 512) }

    /// Zero bytes after a member's data, up to the next 512-byte block.
    public static func padding(_ count: Int) -> Data { Data(count: (512 - count % 512) % 512) }

    /// The end-of-archive marker: two zero blocks.
    public static let end = Data(count: 1024)

    /// The 512-byte header of a regular file member.
    public static func header(_ name: String, size: Int, mtime: Int) throws(Failure) -> Data {
        var block = [UInt8](repeating: 0, count: 512)
        var path = Array(name.utf8)
        var prefix: [UInt8] = []
        if path.count > 100 {
            // ustar keeps long names as prefix "/" name, split at a slash.
            guard let cut = path.indices.last(where: { path[$0] == UInt8(ascii: "/") && $0 <= 155 && path.count - $0 - 1 <= 100 }) else {
                throw .nameTooLong(name)
            }
            prefix = Array(path[..<cut])
            path = Array(path[(cut + 1)...])
        }
        func put(_ bytes: [UInt8], at offset: Int) { block.replaceSubrange(offset..<offset + bytes.count, with: bytes) }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
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
        put(Array(octal(checksum, width: 7).dropLast()) + [0, UInt8(ascii: " ")], at: 148)
        return Data(block)
    }

    /// One member read back: its name and its data.
    public struct Member: Sendable, Equatable {
        public var name: String
        public var data: Data

        public init(name: String, data: Data) {
            self.name = name
            self.data = data
        }
    }

    /// An archive in memory holding `members`, in order (what ``members(of:)`` reads back).
    public static func archive(_ members: [Member], mtime: Int) throws(Failure) -> Data {
        var archive = Data()
        for member in members {
            archive.append(try header(member.name, size: member.data.count, mtime: mtime))
            archive.append(member.data)
            archive.append(padding(member.data.count))
        }
        archive.append(end)
        return archive
    }

    /// The regular-file members of an archive held in memory; nil when it is not a well-formed ustar archive.
    public static func members(of archive: Data) -> [Member]? {
        var members: [Member] = []
        var offset = archive.startIndex
        while offset + 512 <= archive.endIndex {
            let header = archive[offset..<offset + 512]
            if header.allSatisfy({ $0 == 0 }) { return members }
            func field(_ start: Int, _ length: Int) -> String {
                let bytes = header[(offset + start)..<(offset + start + length)].prefix { $0 != 0 }
                return String(decoding: bytes, as: UTF8.self)
            }
            guard let size = size(of: header), let end = Self.end(of: size, at: offset + 512), end <= archive.endIndex else { return nil }
            let prefix = field(345, 155)
            let name = prefix.isEmpty ? field(0, 100) : prefix + "/" + field(0, 100)
            let data = archive[(offset + 512)..<end]
            if header[offset + 156] == UInt8(ascii: "0") || header[offset + 156] == 0 { members.append(Member(name: name, data: Data(data))) }
            offset = min(end + (512 - size % 512) % 512, archive.endIndex)
        }
        return nil
    }

    /// The size field of a member's 512-byte header; nil when it is not an ``octal(_:)`` number.
    /// `Int(_:radix:)` alone would take a sign, and a crafted "-1" then made a range whose end
    /// is before its start: a trap.
    public static func size(of header: some Collection<UInt8>) -> Int? {
        guard header.count >= 512 else { return nil }
        return octal(header.dropFirst(124).prefix(12))
    }

    /// A numeric header field: octal digits only, after optional spaces and before NULs or
    /// spaces, so never negative and never overflowing; nil when it is anything else.
    public static func octal(_ field: some Collection<UInt8>) -> Int? {
        let bytes = Array(field)
        var i = bytes.firstIndex { $0 != 0x20 } ?? bytes.endIndex
        let first = i
        var value = 0
        while i < bytes.endIndex, (0x30...0x37).contains(bytes[i]) {
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 8)
            guard !overflow else { return nil }
            value = shifted + Int(bytes[i] - 0x30)
            i += 1
        }
        guard i > first, bytes[i...].allSatisfy({ $0 == 0 || $0 == 0x20 }) else { return nil }
        return value
    }

    /// Where `size` bytes of data starting at `start` end, and after them the padding: nil when that overflows.
    private static func end(of size: Int, at start: Int) -> Int? {
        let (end, overflow) = start.addingReportingOverflow(size)
        guard !overflow, end.addingReportingOverflow(511).overflow == false else { return nil }
        return end
    }
}
