import Foundation
import Privacy

let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

/// One input as policy YAML, read as the collector reads a published policy and a device the
/// one it is asked to consent to; a policy that reads is also explained, as `policy show` and
/// the consent prompt do.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzPolicy(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    do {
        let document = try PolicyDocument(text: text, source: "fuzz")
        let explanation = PolicyExplanation.text(document)
        if verbose { print("policy \(document.policy.name): \(document.policy.rules.count) rules\n\(explanation)") }
    } catch {
        if verbose { print(error) }
    }
    return 0
}
