import Foundation
import Privacy
import UnderstudyModel

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
    /// The most one contributor's segments may take together: one enrolled device (or a
    /// compromised one) cannot fill the disk the audit log and everyone else need.
    public var contributorQuotaBytes: Int64 = 50 << 30
    /// Uploads are refused while the data folder's volume has less free than this (past the
    /// upload itself), so the audit log and sign-ins keep room to write.
    public var reservedBytes: Int64 = 64 << 20
    public var enrolmentCodeLifetime: TimeInterval = 86400
    public var sessionLifetime: TimeInterval = 8 * 3600
    /// How often segments past their policy's retention are looked for and erased.
    public var sweepInterval: TimeInterval = 3600
    /// How long a connection may sit without a request (none begun, or a head never finished)
    /// before it is closed: a slow or silent client cannot hold connections for ever.
    public var idleTimeout: TimeInterval = 60
    /// Past `idleTimeout` into an upload's body, it must have come at least this fast on average
    /// (bytes a second): a client dripping a byte now and then, which the idle timeout lets
    /// through, is cut off instead of holding a connection and a blob writer for days.
    public var minUploadRate: Int64 = 4096
    /// Requests without credentials one client address may make a minute (and at once) before
    /// they are answered 429: enough for a device's or a person's first steps, not for a flood.
    public var anonymousRequestsPerMinute = 300
    /// Uploads one device may have in flight at once; more are refused 429 `too_many_uploads` (``UploadSlots``).
    public var uploadsPerDevice = 8
    /// Connections one client address may hold open at once; more are closed when accepted (``ConnectionLimit``).
    public var connectionsPerAddress = 256

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

    static let fields = [
        "host", "port", "data", "kek_file", "tls", "allow_insecure_http", "policy_keys",
        "max_segment_size", "enrolment_code_lifetime", "session_lifetime", "sweep_interval", "idle_timeout",
        "anonymous_requests_per_minute", "contributor_quota", "reserved_space", "min_upload_rate",
        "uploads_per_device", "connections_per_address",
    ]

    /// The config of `file` (when given), with `UNDERSTUDY_SERVER_*` variables over it.
    public static func load(file: URL?, environment: [String: String]) throws(Failure) -> CollectorConfig {
        var config = CollectorConfig()
        if let file {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { throw .unreadable(file.path) }
            do { try config.apply(try YAMLFields.document(text, file: file.path), relativeTo: file.deletingLastPathComponent()) } catch {
                throw .invalid(error.description)
            }
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

    /// Reads the settings strictly (as policies are read): an unknown setting or a value of the
    /// wrong kind is named with its line. Relative paths are relative to the file.
    private mutating func apply(_ yaml: YAMLFields, relativeTo base: URL) throws(DocumentError) {
        try yaml.rejectUnknown(Self.fields, in: "the collector config")
        func path(_ text: String?) -> URL? { text.map { $0.hasPrefix("/") ? URL(fileURLWithPath: $0) : base.appendingPathComponent($0) } }
        if let host = try yaml.string("host") { self.host = host }
        if let port = try yaml.int("port") {
            guard (1...65535).contains(port) else { throw yaml.error("port", "must be a number from 1 to 65535") }
            self.port = port
        }
        if let data = path(try yaml.string("data")) { self.data = data }
        if let kek = path(try yaml.string("kek_file")) { kekFile = kek }
        if let tls = try yaml.mapping("tls") {
            try tls.rejectUnknown(["certificate", "key"], in: "'tls'")
            (tlsCertificate, tlsKey) = (path(try tls.requiredString("certificate"))?.path, path(try tls.requiredString("key"))?.path)
        }
        if let allow = try yaml.bool("allow_insecure_http") { allowInsecureHTTP = allow }
        if let keys = try yaml.strings("policy_keys") { policyKeys = keys.compactMap { path($0)?.path } }
        for (name, keyPath) in [
            ("max_segment_size", \CollectorConfig.maxSegmentBytes), ("contributor_quota", \CollectorConfig.contributorQuotaBytes),
            ("reserved_space", \CollectorConfig.reservedBytes), ("min_upload_rate", \CollectorConfig.minUploadRate),
        ] {
            guard let size = try yaml.string(name) else { continue }
            guard let bytes = ByteSizeText.parse(size) else { throw yaml.error(name, "must be a size such as 512MB") }
            self[keyPath: keyPath] = bytes
        }
        if let rate = try yaml.int("anonymous_requests_per_minute") {
            guard rate >= 1 else { throw yaml.error("anonymous_requests_per_minute", "must be 1 or more") }
            anonymousRequestsPerMinute = rate
        }
        for (name, keyPath) in [
            ("uploads_per_device", \CollectorConfig.uploadsPerDevice), ("connections_per_address", \CollectorConfig.connectionsPerAddress),
        ] {
            guard let count = try yaml.int(name) else { continue }
            guard count >= 1 else { throw yaml.error(name, "must be 1 or more") }
            self[keyPath: keyPath] = count
        }
        for (name, keyPath) in [
            ("enrolment_code_lifetime", \CollectorConfig.enrolmentCodeLifetime), ("session_lifetime", \CollectorConfig.sessionLifetime),
            ("sweep_interval", \CollectorConfig.sweepInterval), ("idle_timeout", \CollectorConfig.idleTimeout),
        ] {
            guard let text = try yaml.string(name) else { continue }
            guard let duration = DurationText.parse(text) else { throw yaml.error(name, "must be a duration such as 24h") }
            self[keyPath: keyPath] = Double(duration.ns) / 1e9
        }
    }

    /// Loopback addresses, where plain HTTP does not cross a network.
    public var isLoopback: Bool { host.isLoopbackHost }
}
