import CFrameCodec
import Foundation
import UnderstudyModel

/// Lossless encode and decode of BGRX pixel rows, wrapping libpng and libwebp.
public enum PixelCodec {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Encodes `height` rows of `width` BGRX pixels.
    public static func encode(_ pixels: UnsafeRawPointer, width: Int, height: Int, stride: Int, codec: TileCodec, level: Int) throws(Failure) -> Data
    {
        var buffer = fc_buffer()
        let bytes = pixels.assumingMemoryBound(to: UInt8.self)
        let status =
            switch codec {
            case .png: fc_encode_png(bytes, Int32(width), Int32(height), Int32(stride), Int32(level), 0x10, &buffer)
            case .webp: fc_encode_webp_lossless(bytes, Int32(width), Int32(height), Int32(stride), Int32(level), &buffer)
            }
        guard status == 0, let data = buffer.data else { throw Failure(description: "\(codec) encoder failed (\(status))") }
        defer { fc_buffer_free(&buffer) }
        return Data(bytes: data, count: buffer.size)
    }

    /// Decoded BGRX pixels (stride `width * 4`) of an encoded image.
    public static func decode(_ data: Data, codec: TileCodec) throws(Failure) -> (pixels: [UInt8], width: Int, height: Int) {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0
        var height: Int32 = 0
        let status = data.withUnsafeBytes { raw in
            let bytes = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
            return switch codec {
            case .png: fc_decode_png(bytes, raw.count, &pixels, &width, &height)
            case .webp: fc_decode_webp(bytes, raw.count, &pixels, &width, &height)
            }
        }
        guard status == 0, let pixels else { throw Failure(description: "not a readable \(codec) image (\(status))") }
        defer { fc_free(pixels) }
        return (Array(UnsafeBufferPointer(start: pixels, count: Int(width) * Int(height) * 4)), Int(width), Int(height))
    }
}

/// New tiles' pixels stacked top to bottom, each `tileSize` square, BGRX, stride `tileSize * 4`.
