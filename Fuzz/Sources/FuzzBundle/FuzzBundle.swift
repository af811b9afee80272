import Collector
import Crypto
import Foundation
import UnderstudyModel
import Vault

/// Set FUZZ_VERBOSE=1 to see what each parser made of an input (run the target on files to
/// check what a corpus entry reaches).
let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

/// One input, read by every parser of segment bundles: the tar reader, the collector's
/// streaming upload check (whole, and in uneven pieces as bytes arrive off a network), the
/// collector's rewrite for staff reads, and the reader staff tools use. An input that starts with `=== NAME` lines is first made into a
/// well-formed tar of those members, so mutations reach past the header checksums.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzBundle(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = Data(UnsafeBufferPointer(start: start, count: count))
    read(input)
    if let members = members(in: input), let archive = try? TarFormat.archive(members, mtime: 0) { read(archive) }
    return 0
}

func read(_ archive: Data) {
    let members = TarFormat.members(of: archive)
    let whole = verdict { try SegmentBundleCheck.check(archive) }
    let streamed = verdict {
        var check = SegmentBundleCheck()
        var offset = archive.startIndex
        var steps = [1, 7, 511, 513, 4096].makeIterator()
        while offset < archive.endIndex {
            let step = steps.next() ?? 4096
            let end = min(archive.endIndex, offset + step)
            try check.feed(archive[offset..<end])
            offset = end
        }
        try check.finish()
    }
    // The collector checks uploads as they stream; the check's tests feed it whole. Both must agree.
    precondition(whole == streamed, "the streamed check said \(streamed ?? "yes"), the whole one \(whole ?? "yes")")
    let contents = Result { try SegmentBundleContents(tar: archive) }
    // What the collector stores, staff tools must read: one bundle they cannot stops an export.
    if whole == nil, case .failure(let error) = contents {
        preconditionFailure("the upload check accepts a bundle its reader refuses: \(error)")
    }
    if whole == nil { staffRead(archive) }
    if verbose {
        print("tar: \(members.map { "\($0.count) members" } ?? "refused")")
        print("check: \(whole ?? "accepted")")
        switch contents {
        case .success(let bundle): print("contents: \(bundle.events.count) events, \(bundle.frames.count) frames")
        case .failure(let error): print("contents: \(error)")
        }
    }
}

/// Nil when `body` passes, else why it failed.
func verdict(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch {
        return "\(error)"
    }
}

/// `=== NAME` lines, each followed by its member's bytes up to the next such line; nil when the
/// input does not start with one.
func members(in input: Data) -> [TarFormat.Member]? {
    let marker = Data("=== ".utf8)
    guard input.starts(with: marker) else { return nil }
    var members: [TarFormat.Member] = []
    var rest = input[...]
    while rest.starts(with: marker) {
        rest = rest.dropFirst(marker.count)
        let nameEnd = rest.firstIndex(of: 0x0A) ?? rest.endIndex
        let name = String(decoding: rest[..<nameEnd], as: UTF8.self)
        rest = nameEnd < rest.endIndex ? rest[(nameEnd + 1)...] : rest[rest.endIndex...]
        let next = rest.range(of: Data("\n=== ".utf8))
        let dataEnd = next?.lowerBound ?? rest.endIndex
        members.append(TarFormat.Member(name: name, data: Data(rest[..<dataEnd])))
        rest = next.map { rest[($0.lowerBound + 1)...] } ?? rest[rest.endIndex...]
    }
    return members
}

/// What the collector stores, it can rewrite for staff: the rewrite fed in uneven pieces, with
/// the events kept or only counted and streamed in a second pass, gives one bundle, and staff
/// tools read it.
func staffRead(_ archive: Data) {
    let staffKey = SymmetricKey(data: Data(repeating: 7, count: 32))
    func rewrite(steps: [Int], eventsBytes: Int? = nil, limit: Int = StaffBundle.bufferLimit) -> (StaffBundle, Data) {
        var bundle = StaffBundle(key: staffKey, naming: "s-fuzz", eventsBytes: eventsBytes, keepingAtMost: limit)
        var out = Data()
        var offset = archive.startIndex
        var n = 0
        do {
            while offset < archive.endIndex {
                let end = min(archive.endIndex, offset + steps[n % steps.count])
                out.append(try bundle.feed(archive[offset..<end]))
                (offset, n) = (end, n + 1)
            }
            out.append(try bundle.finish())
        } catch {
            preconditionFailure("the upload check accepts a bundle the staff rewrite refuses: \(error)")
        }
        return (bundle, out)
    }
    let (first, whole) = rewrite(steps: [1 << 20])
    let (counted, _) = rewrite(steps: [1, 7, 511, 513], limit: 16)
    let (_, streamed) = rewrite(steps: [4096, 3], eventsBytes: counted.eventsBytes, limit: 0)
    precondition(first.isComplete && first.eventsBytes == counted.eventsBytes, "the passes counted other events")
    if streamed != whole {
        let at = zip(streamed, whole).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(streamed.count, whole.count)
        let around = { (d: Data) in String(decoding: d[max(0, at - 40)..<min(d.count, at + 40)], as: UTF8.self) }
        preconditionFailure(
            "the streamed staff bundle (\(streamed.count) bytes) is not the one the first pass hashed (\(whole.count)) from byte \(at): \(around(streamed)) / \(around(whole))"
        )
    }
    if case .failure(let error) = Result(catching: { try SegmentBundleContents(tar: whole) }) {
        preconditionFailure("staff tools refuse the staff rewrite of an accepted bundle: \(error)")
    }
}
