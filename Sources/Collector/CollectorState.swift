import Crypto
import Foundation
import Logging
import Privacy
import Prometheus
import UnderstudyModel

/// What every route needs: the stores, the key-encryption key, the config and the clock.
public struct CollectorState: Sendable {
    public let metadata: any MetadataStore
    public let blobs: any BlobStore
    public let keys: any KeyWrapper
    public let config: CollectorConfig
    public let logger: Logger
    /// What expiry, clock-skew checks, retention and audit times take as now.
    public let clock: WallClock
    /// Where swift-metrics records, served at `GET /metrics`; nil when metrics are off.
    public let metrics: PrometheusCollectorRegistry?
    /// Limits on what unauthenticated clients may cost (``RateLimiter``).
    let limits = RateLimiter()
    /// Each device's uploads in flight (``UploadSlots``).
    let uploads: UploadSlots

    public init(
        metadata: any MetadataStore, blobs: any BlobStore, keys: any KeyWrapper, config: CollectorConfig, logger: Logger,
        clock: WallClock = .system, metrics: PrometheusCollectorRegistry? = nil
    ) {
        self.metadata = metadata
        self.blobs = blobs
        self.keys = keys
        self.config = config
        self.logger = logger
        self.clock = clock
        self.metrics = metrics
        self.uploads = UploadSlots(perDevice: config.uploadsPerDevice)
    }

    /// The time now, by ``clock``.
    func now() -> Date { clock.now() }

    /// Appends an audit record; the request fails if the record cannot be written.
    @discardableResult
    func audit(_ actor: String, _ action: String, subject: String? = nil, _ detail: JSONValue = .object([])) async throws -> AuditRecord {
        let record = try await metadata.appendAudit(AuditEntry(at: now(), actor: actor, action: action, subject: subject, detail: detail.serialized))
        CollectorMetrics.auditRecordWritten(action: action)
        return record
    }

    /// The fingerprints of the keys the organisation signs policies with (`policy_keys`), as
    /// devices check them at enrolment.
    var policyKeyFingerprints: [String] {
        config.policyKeys.compactMap { try? PolicySigning.fingerprint(PolicySigning.publicKey(URL(fileURLWithPath: $0))) }
    }

    /// The contributor's data key, creating the contributor (and its key) on first use.
    func dataKey(of contributor: String) async throws -> SymmetricKey {
        guard let stored = try await metadata.contributor(contributor) else {
            let key = SymmetricKey(size: .bits256)
            let created = try await metadata.ensureContributor(
                Contributor(id: contributor, createdAt: now(), wrappedKey: try keys.wrap(key, contributor: contributor)))
            guard let wrapped = created.wrappedKey else { throw APIError(.gone, "erased", "contributor \(contributor) was erased") }
            return try keys.unwrap(wrapped, contributor: contributor)
        }
        guard let wrapped = stored.wrappedKey else { throw APIError(.gone, "erased", "contributor \(contributor) was erased") }
        return try keys.unwrap(wrapped, contributor: contributor)
    }
}

/// Random secrets as people copy them: Crockford base32, no padding.
enum Secret {
    static func make(bytes: Int) -> String {
        let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")
        var generator = SystemRandomNumberGenerator()
        return String((0..<(bytes * 8 / 5)).map { _ in alphabet[Int(generator.next() % 32)] })
    }

    static func hash(_ text: String) -> String { hash(Data(text.utf8)) }

    static func hash(_ data: Data) -> String { SHA256.hash(data: data).hexDigits }
}
