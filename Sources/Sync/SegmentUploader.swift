import Foundation
import Logging
import UnderstudyModel
import Vault

/// Uploads the vault's sealed segments once their review window has passed, one at a time,
/// and deletes each local copy only after the server has acknowledged it. A repeat is safe:
/// the server acknowledges a segment it holds without storing it twice. Failures without an
/// answer (network down, server restarting) are retried with growing pauses; a refusal is
/// reported and the segment kept.
public struct SegmentUploader {
    public struct Settings: Sendable {
        /// Sealed segments wait this long after their end before upload (the policy's review window).
        public var reviewWindow: TimeInterval = 86400
        public var attempts = 8
        public var firstPause: Duration = .milliseconds(250)
        public var longestPause: Duration = .seconds(15)

        public init() {}
    }

    public struct Report: Sendable, Equatable {
        public var uploaded: [String] = []
        /// Acknowledged as already held (uploaded before, the local copy not yet deleted).
        public var alreadyHeld: [String] = []
        public var refused: [(segment: String, reason: String)] = []
        public var waiting = 0
        /// Due, but kept here: the contributor withdrew consent (they go up once consent is given again).
        public var keptAfterWithdrawal = 0
        public var retries = 0

        public static func == (a: Report, b: Report) -> Bool {
            a.uploaded == b.uploaded && a.alreadyHeld == b.alreadyHeld && a.refused.map(\.segment) == b.refused.map(\.segment)
                && a.waiting == b.waiting && a.keptAfterWithdrawal == b.keptAfterWithdrawal
        }
    }

    public let vault: Vault
    public let client: CollectorClient
    public let credential: DeviceCredential
    public var settings: Settings
    public var progress: @Sendable (String) -> Void = { _ in }
    /// Segment ids, sizes, statuses and retries; never a segment's content.
    public var logger: Logger

    public init(
        vault: Vault, client: CollectorClient, credential: DeviceCredential, settings: Settings,
        logger: Logger = Logger(label: "understudy.uploader")
    ) {
        self.vault = vault
        self.client = client
        self.credential = credential
        self.settings = settings
        var logger = logger
        logger[metadataKey: "device"] = "\(credential.device)"
        self.logger = logger
    }

    /// Sends the consents first (uploads under a policy need one), then every segment whose
    /// review window has passed by the vault's clock. After a withdrawal (`withdrawnAt`, until the
    /// contributor consents again) it sends the withdrawal instead, and uploads nothing: what was
    /// recorded before stays in the vault, to review, forget, or send once they consent again.
    public func run(consents: [(policyHash: String, acceptedAt: Date)], withdrawnAt: Date? = nil) async throws -> Report {
        if let withdrawnAt {
            let ended = try await retrying { try await client.withdrawConsent(at: withdrawnAt, as: .device(credential)) }
            logger.notice("consent withdrawn: nothing uploaded", metadata: ["consents_ended": "\(ended.withdrawn)"])
            var report = Report()
            report.keptAfterWithdrawal = try vault.segments().filter(\.sealed).count
            return report
        }
        for consent in consents {
            do {
                _ = try await retrying {
                    try await client.recordConsent(policyHash: consent.policyHash, acceptedAt: consent.acceptedAt, as: .device(credential))
                }
            } catch let failure as CollectorClient.Failure where !failure.isTransient {
                continue  // a policy this organisation did not publish: uploads under it are refused, and reported then
            }
        }
        var report = Report()
        let sessions = Dictionary(uniqueKeysWithValues: try vault.sessions().map { ($0.id, $0) })
        // Bundles are decrypted: they wait inside the owner-only vault folder, never in a shared place.
        let outgoing = try ScratchFolder(in: vault.directory.appendingPathComponent("outgoing", isDirectory: true), purpose: "sync")
        let scratch = outgoing.url
        defer { outgoing.remove() }
        for segment in try vault.segments() where segment.sealed {
            guard segment.to.addingTimeInterval(settings.reviewWindow) <= vault.clock.now() else {
                report.waiting += 1
                continue
            }
            guard let policy = sessions[segment.session]?.policyHash else {
                logger.warning("segment refused locally: recorded without a policy", metadata: ["segment": "\(segment.id)"])
                report.refused.append((segment.id, "recorded without a policy: not uploaded"))
                continue
            }
            // From the bundle to the local copy's deletion, nothing else deletes from the vault;
            // a deletion that came first is seen here, and what it left is what goes.
            let lock = try await UploadLock.acquire(vault: vault)
            defer { withExtendedLifetime(lock) {} }
            guard let current = try vault.segments().first(where: { $0.id == segment.id }), current.sealed else { continue }
            let file = scratch.appendingPathComponent("\(segment.id).tar")
            let bundle = try vault.writeBundle(segment: segment.id, to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            do {
                var tries = 0
                let answer = try await retrying(counting: &tries) {
                    try await client.upload(
                        "PUT", "/v1/segments/\(segment.id)", file: file, sha256: bundle.sha256,
                        headers: [("X-Understudy-Policy", policy), ("X-Understudy-Recorded-Until", RFC3339.string(from: segment.to))],
                        as: .device(credential))
                }
                report.retries += tries
                logger.info(
                    "segment acknowledged",
                    metadata: ["segment": "\(segment.id)", "bytes": "\(bundle.bytes)", "status": "\(answer.status)", "retries": "\(tries)"])
                // Acknowledged: only now is the local copy deleted.
                _ = try vault.forget(.segments([segment.id]), holding: lock)
                if answer.status == 201 { report.uploaded.append(segment.id) } else { report.alreadyHeld.append(segment.id) }
                progress("\(segment.id): \(answer.status == 201 ? "uploaded" : "already held by the server"), \(bundle.bytes) bytes")
            } catch let failure as CollectorClient.Failure {
                guard !failure.isTransient else {
                    logger.error("upload gave up without an answer", metadata: ["segment": "\(segment.id)", "error": "\(failure)"])
                    throw failure
                }
                logger.warning("segment refused by the collector", metadata: ["segment": "\(segment.id)", "error": "\(failure)"])
                report.refused.append((segment.id, failure.description))
            }
        }
        logger.info(
            "sync finished",
            metadata: [
                "uploaded": "\(report.uploaded.count)", "already_held": "\(report.alreadyHeld.count)", "refused": "\(report.refused.count)",
                "waiting": "\(report.waiting)",
            ])
        return report
    }

    private func retrying<T>(_ body: () async throws -> T) async throws -> T {
        var tries = 0
        return try await retrying(counting: &tries, body)
    }

    /// Runs `body`, again after a growing pause while it fails without an answer.
    private func retrying<T>(counting tries: inout Int, _ body: () async throws -> T) async throws -> T {
        var pause = settings.firstPause
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let failure as CollectorClient.Failure {
                guard failure.isTransient, attempt < settings.attempts else { throw failure }
                attempt += 1
                tries += 1
                logger.notice("no answer, trying again", metadata: ["attempt": "\(attempt)", "pause": "\(pause)", "error": "\(failure)"])
                progress("no answer (\(failure)); trying again in \(pause)")
                try await Task.sleep(for: pause)
                pause = min(pause * 2, settings.longestPause)
            }
        }
    }
}
