import Foundation

/// Durations as people type them on the command line: `90s`, `15m`, `2h`, `7d`, `500ms`.
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            // Beyond about 292 million years the milliseconds do not fit an Int64.
            guard !number.isEmpty, let value = Double(number), value >= 0, value.isFinite, value * scale * 1000 < 9e18 else { return nil }
            return .milliseconds(Int64((value * scale * 1000).rounded()))
        }
        return nil
    }

    /// The shortest exact spelling of a whole number of seconds: `7d`, `90m`, `45s`.
    public static func string(seconds: Int64) -> String {
        for (suffix, scale) in [("d", Int64(86400)), ("h", 3600), ("m", 60)] where seconds >= scale && seconds % scale == 0 {
            return "\(seconds / scale)\(suffix)"
        }
        return "\(seconds)s"
    }
}

/// Sizes as people type them: `2GB`, `500MB`, `64KiB`, `1048576`. Decimal units are powers of
/// 1000 and binary ones (`KiB`, `MiB`, `GiB`) powers of 1024, as `df -H` and `df -h` print them.
public enum ByteSizeText {
    public static func parse(_ text: String) -> Int64? {
        let units: [(String, Double)] = [
            ("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("TiB", 1_099_511_627_776),
            ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("K", 1e3), ("M", 1e6), ("G", 1e9), ("B", 1),
        ]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (suffix, scale) in units where trimmed.uppercased().hasSuffix(suffix.uppercased()) {
            let number = trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            guard let value = Double(number), value >= 0, value.isFinite, value * scale < 9e18 else { return nil }
            return Int64((value * scale).rounded())
        }
        return Int64(trimmed).flatMap { $0 >= 0 ? $0 : nil }
    }

    /// A size for people: `1.5 GB`, `730 MB`, `12 KB`, `512 bytes` (decimal units).
    public static func string(_ bytes: Int64) -> String {
        let units: [(String, Double)] = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)]
        for (name, scale) in units where Double(bytes) >= scale {
            let value = Double(bytes) / scale
            let digits = value >= 100 || value == value.rounded() ? 0 : 1
            return String(format: "%.\(digits)f \(name)", value)
        }
        return "\(bytes) bytes"
    }
}

extension Duration {
    /// Seconds, fractions included (negative for negative durations).
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// Whole nanoseconds (zero for negative durations, `UInt64.max` past about 584 years), for
    /// arithmetic on `t_ns` clocks.
    public var ns: UInt64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = UInt64(max(0, seconds)).multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, carry) = whole.addingReportingOverflow(UInt64(max(0, attoseconds) / 1_000_000_000))
        return overflow || carry ? .max : sum
    }
}
