import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import UnderstudyModel

/// Sends a stored segment's bundle: to its contributor exactly as uploaded, decrypted chunk by
/// chunk as it streams out, so a large segment is never held whole; to staff the same way, with
/// its times moved and its id replaced as it streams (``StaffBundle``). Every read is audited first,
/// under the contributor it concerns.
struct BundleDownload {
    let state: CollectorState
    static let shaHeader = HTTPField.Name("X-Understudy-Content-SHA256")!

    /// The contributor's own read (`segment_read` in the audit log).
    func toContributor(_ segment: StoredSegment, actor: String) async throws -> Response {
        let (key, stream) = try await open(segment, actor: actor, action: "segment_read")
        let keyBytes = key.withUnsafeBytes { Data($0) }
        let blob = segment.blob
        let id = segment.id
        let logger = state.logger
        // A body damaged on the server stops the stream early: the length announced and the
        // SHA-256 header then tell the client it did not get the segment.
        let body = ResponseBody(contentLength: Int(segment.bytes)) { writer in
            var opener = ContentOpener(key: .init(data: keyBytes), context: blob)
            for try await chunk in stream {
                let plain = try opener.feed(chunk)
                if !plain.isEmpty { try await writer.write(ByteBuffer(bytes: plain)) }
            }
            guard opener.finished else {
                logger.error("segment \(id) is damaged on the server: its sealed blob ends early")
                throw APIError(.internalServerError, "damaged", "segment \(id) is damaged on the server")
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-tar", Self.shaHeader: segment.sha256], body: body)
    }

    /// What reviewers and scientists get; `action` names the read in the audit log
    /// (`segment_reviewed`, `segment_exported`). The length and hash go before the body, so a
    /// first pass over the blob rewrites it into a hash alone (a second, when its events were
    /// too many to keep while counting them), and the last pass streams it.
    func toStaff(_ segment: StoredSegment, actor: String, action: String) async throws -> Response {
        let (key, stream) = try await open(segment, actor: actor, action: action)
        var hasher = SHA256()
        var length = 0
        let first: StaffBundle
        do {
            first = try await Self.rewrite(stream, of: segment, key: key) { out in
                hasher.update(data: out)
                length += out.count
            }
            if !first.isComplete {
                (hasher, length) = (SHA256(), 0)
                _ = try await Self.rewrite(try await state.blobs.read(segment.blob), of: segment, key: key, eventsBytes: first.eventsBytes) { out in
                    hasher.update(data: out)
                    length += out.count
                }
            }
        } catch let failure as StaffBundle.Failure {
            throw APIError(
                .unprocessableContent, "not_a_bundle",
                "segment \(segment.handle) is not a segment bundle (\(failure)): its device uploaded something else")
        }
        let sending = try await state.blobs.read(segment.blob)
        let keyBytes = key.withUnsafeBytes { Data($0) }
        let eventsBytes = first.eventsBytes
        let body = ResponseBody(contentLength: length) { writer in
            _ = try await Self.rewrite(sending, of: segment, key: .init(data: keyBytes), eventsBytes: eventsBytes) { out in
                try await writer.write(ByteBuffer(bytes: out))
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "application/x-tar", Self.shaHeader: hasher.finalize().hexDigits], body: body)
    }

    /// One pass over a sealed blob: decrypted and rewritten for staff a chunk at a time, each
    /// piece handed to `sink`.
    private static func rewrite(
        _ stream: AsyncThrowingStream<Data, any Error>, of segment: StoredSegment, key: SymmetricKey, eventsBytes: Int? = nil,
        into sink: (Data) async throws -> Void
    ) async throws -> StaffBundle {
        var opener = ContentOpener(key: key, context: segment.blob)
        var bundle = StaffBundle(key: key, naming: segment.handle, eventsBytes: eventsBytes)
        for try await chunk in stream {
            let out = try bundle.feed(try opener.feed(chunk))
            if !out.isEmpty { try await sink(out) }
        }
        guard opener.finished else { throw APIError(.internalServerError, "damaged", "segment \(segment.handle) is damaged on the server") }
        try await sink(try bundle.finish())
        return bundle
    }

    /// The contributor's data key and the sealed blob, once the read is in the audit log.
    private func open(_ segment: StoredSegment, actor: String, action: String) async throws -> (SymmetricKey, AsyncThrowingStream<Data, any Error>) {
        let key = try await state.dataKey(of: segment.contributor)
        let stream = try await state.blobs.read(segment.blob)
        try await state.audit(actor, action, subject: segment.contributor, .object([("segment", .string(segment.id))]))
        return (key, stream)
    }
}
