import Foundation
import UnderstudyModel

let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

/// One input as `events.jsonl`: each line read as an event, as the bundle check and the
/// bundle reader do. An event that reads is written back and read again: what Understudy
/// writes it must read, and reading what it wrote must change nothing more.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzEvent(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = Data(UnsafeBufferPointer(start: start, count: count))
    for line in input.split(separator: 0x0A) {
        let event: Event
        do {
            event = try Event(json: try JSONValue.parse(Data(line)))
        } catch {
            if verbose { print("refused: \(error)") }
            continue
        }
        let written = event.json.serialized
        guard let again = try? Event(json: try JSONValue.parse(Data(written.utf8))) else {
            preconditionFailure("an event Understudy wrote does not read back: \(written)")
        }
        // The first write may round the wall time to the millisecond; after that, nothing moves.
        precondition(again.json.serialized == written, "an event changed on a second round trip: \(written)")
        if verbose { print("event: \(written)") }
    }
    return 0
}
