import Foundation

/// A page's address as it may be stored: scheme, host and path, with the query and fragment
/// dropped (they carry session tokens, search terms, reset codes) and the text recognizers
/// run over the path; or the host alone, when the policy asks.
enum StoredURL {
    static func cut(_ address: String, keepPath: Bool, redactor: TextRedactor) -> String? {
        guard let parts = URLComponents(string: address), let scheme = parts.scheme, let host = parts.host, !host.isEmpty else { return nil }
        let port = parts.port.map { ":\($0)" } ?? ""
        let origin = "\(scheme)://\(host.lowercased())\(port)"
        guard keepPath else { return origin + "/" }
        let path = parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath
        let decoded = path.removingPercentEncoding ?? path
        let (redacted, spans) = redactor.redact(decoded)
        return origin + (spans.isEmpty ? path : redacted)
    }
}
