import Foundation
import TestSupport

extension XSession {
    /// The colours (0xRRGGBB) a window shows, read with `xwd` (a 24- or 32-bit ZPixmap, as Xvfb's
    /// screens are) and counted: which colour how many pixels.
    func colours(of window: String) throws -> [UInt32: Int] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/xwd")
        process.arguments = ["-id", window, "-silent", "-display", display]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Self.xwdColours(data)
    }

    /// XWD: a header of big-endian 32-bit fields, the colour map (12 bytes an entry), the image.
    static func xwdColours(_ data: Data) -> [UInt32: Int] {
        let bytes = [UInt8](data)
        func field(_ index: Int) -> Int {
            let at = index * 4
            guard at + 4 <= bytes.count else { return 0 }
            return Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
        }
        let (headerSize, width, height, byteOrder, bitsPerPixel, bytesPerLine, colours) = (
            field(0), field(4), field(5), field(7), field(11), field(12), field(19)
        )
        let start = headerSize + colours * 12
        guard bitsPerPixel == 32 || bitsPerPixel == 24, start + bytesPerLine * height <= bytes.count else { return [:] }
        var counted: [UInt32: Int] = [:]
        let step = bitsPerPixel / 8
        for y in 0..<height {
            for x in 0..<width {
                let at = start + y * bytesPerLine + x * step
                let (b0, b1, b2) = (UInt32(bytes[at]), UInt32(bytes[at + 1]), UInt32(bytes[at + 2]))
                // LSBFirst (0) stores blue, green, red; MSBFirst the other way round (past a pad byte at 32 bits).
                let pixel =
                    byteOrder == 0
                    ? b2 << 16 | b1 << 8 | b0
                    : (step == 4 ? UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3]) : b0 << 16 | b1 << 8 | b2)
                counted[pixel, default: 0] += 1
            }
        }
        return counted
    }
}
