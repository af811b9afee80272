/// Hashes and keys as people and protocols write them.
extension Sequence where Element == UInt8 {
    /// The bytes as lowercase hex digits, two per byte.
    public var hexDigits: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    /// Whether this is 32 lowercase hex digits, as tile hashes are written.
    public var isHex128: Bool { isHex(digits: 32) }

    /// Whether this is exactly `count` lowercase hex digits.
    public func isHex(digits count: Int) -> Bool {
        utf8.count == count
            && utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    /// Whether this can name a frame: 1 to 64 ASCII letters, digits, `-` or `_` (the recorder's
    /// are 32 hex digits; synthetic sources use readable names). Readers check it on anything a
    /// device sent, since a frame's hash becomes a file name and an HTML attribute downstream.
    public var isFrameHash: Bool {
        (1...64).contains(utf8.count)
            && utf8.allSatisfy { byte in
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
    }
}
