import Foundation
import UnderstudyModel

@testable import Device

let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

/// One input as a line on the control socket, read by both ends: the recorder's reading of a
/// request (refused, or handed to a handler that echoes it, then written as the answer line)
/// and the command line's reading of an answer. A request that reads must write back as itself.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzControl(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let line = Data(UnsafeBufferPointer(start: start, count: count))
    let answer = ControlSocket.Server.answer(to: line) { request in
        ControlAnswer(ok: true, message: request.command.rawValue, task: request.instruction)
    }
    _ = try? ControlJSON.encode(answer)
    if let request = try? ControlJSON.decode(ControlRequest.self, from: line) {
        // A request that cannot be written (a non-finite number) has nothing to compare.
        if let written = try? ControlJSON.encode(request) {
            precondition((try? ControlJSON.decode(ControlRequest.self, from: written)) == request, "a request reads differently once written back")
        }
    }
    let read = try? ControlJSON.decode(ControlAnswer.self, from: line)
    if let read { _ = try? ControlJSON.encode(read) }
    if verbose { print("recorder: \(answer)\ncommand line: \(read.map { "\($0)" } ?? "refused")") }
    return 0
}
