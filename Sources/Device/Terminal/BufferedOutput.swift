import Foundation

/// Collects lines and writes them to standard output in large chunks: a listing of a
/// million events costs a few hundred writes, not a million.
public struct BufferedOutput {
    private var buffer = ""

    public init() {}

    public mutating func write(_ line: String) {
        buffer += line
        buffer += "\n"
        if buffer.utf8.count > 1 << 16 { flush() }
    }

    public mutating func flush() {
        FileHandle.standardOutput.write(Data(buffer.utf8))
        buffer = ""
    }
}
