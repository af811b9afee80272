import Foundation
import UnderstudyModel
import Yams

/// How the collector runs: from a YAML file, overridden by the environment, overridden by
/// command-line flags. Every field has a default, so `understudy serve` needs none.
public struct CollectorConfig: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 7341
    /// Metadata database and blobs.
    public var data = UserDirectories.data.appendingPathComponent("server", isDirectory: true)
    /// The key-encryption key's file (outside `data`, so a copy of the data alone is unreadable).
    public var kekFile = UserDirectories.config.appendingPathComponent("server.kek")
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// Plain HTTP on an address other than loopback is refused unless this is set.
    public var allowInsecureHTTP = false
    /// Public keys (`.pub` files of `understudy policy keygen`) whose signatures make a policy publishable.
    public var policyKeys: [String] = []
    /// The largest segment bundle accepted, in bytes.
    public var maxSegmentBytes: Int64 = 1 << 30
    public var enrolmentCodeLifetime: TimeInterval = 86400
    public var sessionLifetime: TimeInterval = 8 * 3600
    /// How often segments past their policy's retention are looked for and erased.
    public var sweepInterval: TimeInterval = 3600

    public init() {}

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unreadable(String)
        case invalid(String)

        public var description: String {
            switch self {
            case .unreadable(let path): "cannot read the config file \(path)"
            case .invalid(let reason): "bad collector config: \(reason)"
            }
        }
    }

    static let fields: Set<String> = [
        "host", "port", "data", "kek_file", "tls", "allow_insecure_http", "policy_keys",
        "max_segment_size", "enrolment_code_lifetime", "session_lifetime", "sweep_interval",
    ]

    /// The config of `file` (when given), with `UNDERSTUDY_SERVER_*` variables over it.
    public static func load(file: URL?, environment: [String: String]) throws(Failure) -> CollectorConfig {
        var config = CollectorConfig()
        if let file {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { throw .unreadable(file.path) }
            try config.apply(yaml: text, relativeTo: file.deletingLastPathComponent())
        }
        if let host = environment["UNDERSTUDY_SERVER_HOST"] { config.host = host }
        if let port = environment["UNDERSTUDY_SERVER_PORT"] {
            guard let n = Int(port), (1...65535).contains(n) else { throw .invalid("UNDERSTUDY_SERVER_PORT must be a port number") }
            config.port = n
        }
        if let data = environment["UNDERSTUDY_SERVER_DATA"] { config.data = URL(fileURLWithPath: data) }
        if let kek = environment["UNDERSTUDY_KEK_FILE"] { config.kekFile = URL(fileURLWithPath: kek) }
        return config
    }

    private mutating func apply(yaml: String, relativeTo base: URL) throws(Failure) {
        let loaded: Any?
        do { loaded = try Yams.load(yaml: yaml) } catch { throw .invalid("not YAML: \(error)") }
        guard let map = loaded as? [String: Any] else { throw .invalid("the file must be a mapping of settings") }
        if let unknown = map.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            throw .invalid("unknown setting '\(unknown)' (known: \(Self.fields.sorted().joined(separator: ", ")))")
        }
        func path(_ value: Any?, _ name: String) throws(Failure) -> URL? {
            guard let value else { return nil }
            guard let text = value as? String else { throw .invalid("'\(name)' must be a path") }
            return text.hasPrefix("/") ? URL(fileURLWithPath: text) : base.appendingPathComponent(text)
        }
        if let host = map["host"] {
            guard let h = host as? String else { throw .invalid("'host' must be text") }
            self.host = h
        }
        if let port = map["port"] {
            guard let p = port as? Int, (1...65535).contains(p) else { throw .invalid("'port' must be a number from 1 to 65535") }
            self.port = p
        }
        if let data = try path(map["data"], "data") { self.data = data }
        if let kek = try path(map["kek_file"], "kek_file") { kekFile = kek }
        if let tls = map["tls"] {
            guard let tls = tls as? [String: Any], let cert = try path(tls["certificate"], "tls.certificate"),
                let key = try path(tls["key"], "tls.key")
            else {
                throw .invalid("'tls' needs 'certificate' and 'key' file paths")
            }
            (tlsCertificate, tlsKey) = (cert.path, key.path)
        }
        if let allow = map["allow_insecure_http"] {
            guard let a = allow as? Bool else { throw .invalid("'allow_insecure_http' must be true or false") }
            allowInsecureHTTP = a
        }
        if let keys = map["policy_keys"] {
            guard let list = keys as? [String] else { throw .invalid("'policy_keys' must be a list of .pub files") }
            policyKeys = list.map { $0.hasPrefix("/") ? $0 : base.appendingPathComponent($0).path }
        }
        if let size = map["max_segment_size"] {
            guard let text = size as? String, let bytes = ByteSizeText.parse(text) ?? (size as? Int).map(Int64.init) else {
                throw .invalid("'max_segment_size' must be a size such as 512MB")
            }
            maxSegmentBytes = bytes
        } else if let size = map["max_segment_size"] as? Int {
            maxSegmentBytes = Int64(size)
        }
        for (name, keyPath) in [
            ("enrolment_code_lifetime", \CollectorConfig.enrolmentCodeLifetime), ("session_lifetime", \CollectorConfig.sessionLifetime),
            ("sweep_interval", \CollectorConfig.sweepInterval),
        ] {
            guard let value = map[name] else { continue }
            guard let text = value as? String, let duration = DurationText.parse(text) else {
                throw .invalid("'\(name)' must be a duration such as 24h")
            }
            self[keyPath: keyPath] = Double(duration.ns) / 1e9
        }
    }

    /// Loopback addresses, where plain HTTP does not cross a network.
    public var isLoopback: Bool { ["127.0.0.1", "::1", "localhost"].contains(host) || host.hasPrefix("127.") }
}
