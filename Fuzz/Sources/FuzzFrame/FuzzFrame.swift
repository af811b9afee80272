import Foundation
import UnderstudyModel

@testable import Vault

let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

/// One input as a frame layout (`frames/N.frame` in a bundle or the vault: a JSON line, then
/// 16 bytes per tile hash). A layout that reads is used as its readers use it: every tile's
/// place, its redaction boxes filled, moved and merged, and written back, which must read the same.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzFrame(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = Data(UnsafeBufferPointer(start: start, count: count))
    guard let frame = FrameBody.decode(input) else {
        if verbose { print("refused") }
        return 0
    }
    for index in frame.tiles.indices { _ = frame.tileRect(index) }
    // A small image stands in for the frame's own: filling clips each box to it.
    let (width, height) = (min(frame.width, 64), min(frame.height, 64))
    var pixels = [UInt8](repeating: 0, count: width * height * 4)
    pixels.withUnsafeMutableBytes {
        FrameRedaction.fill(frame.redactions, in: $0.baseAddress!, width: width, height: height, stride: width * 4)
    }
    _ = FrameRedaction.merged(frame.redactions)
    for box in frame.redactions { _ = box.shifted(dx: -1, dy: 1, clippedTo: (0, 0, frame.width, frame.height)) }
    let again = FrameBody.decode(FrameBody.encode(frame))
    precondition(again == frame, "a frame layout reads differently once written back")
    if verbose { print("frame \(frame.width)×\(frame.height), \(frame.tiles.count) tiles, \(frame.redactions.count) boxes") }
    return 0
}
