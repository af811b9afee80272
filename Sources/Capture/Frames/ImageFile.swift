import Foundation
import UnderstudyModel

/// Writing BGRX pixel rows as an image file: PNG, or a binary PPM when the name ends in
/// `.ppm` (scripts read PPM without an image library).
public enum ImageFile {
    public static func write(_ pixels: [UInt8], width: Int, height: Int, to path: String) throws {
        let data =
            path.hasSuffix(".ppm")
            ? ppm(pixels, width: width, height: height)
            : try pixels.withUnsafeBytes {
                try PixelCodec.encode($0.baseAddress!, width: width, height: height, stride: width * 4, codec: .png, level: 6)
            }
        try data.write(to: URL(fileURLWithPath: path))
    }

    private static func ppm(_ pixels: [UInt8], width: Int, height: Int) -> Data {
        var data = Data("P6\n\(width) \(height)\n255\n".utf8)
        data.reserveCapacity(data.count + width * height * 3)
        for i in stride(from: 0, to: width * height * 4, by: 4) { data.append(contentsOf: [pixels[i + 2], pixels[i + 1], pixels[i]]) }
        return data
    }
}
