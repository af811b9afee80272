import Foundation

/// Writes one line to standard error, where a person running a command reads what the device
/// tells them: warnings, and why something stopped. Never content (typed text, titles, frames).
public func warn(_ message: String) {
    FileHandle.standardError.write(Data("understudy: \(message)\n".utf8))
}

/// `14:05:09` in local time, for messages.
public func clockTime(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "HH:mm:ss"
    return formatter.string(from: date)
}

/// Something the device cannot do, with one line saying why.
public struct DeviceFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
