import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import UnderstudyModel

/// Sends a stored segment's bundle: to its contributor exactly as uploaded, decrypted chunk by
/// chunk as it streams out, so a large segment is never held whole; to staff decrypted whole,
/// with its times moved and its id replaced (``StaffBundle``). Every read is audited first,
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
    /// (`segment_reviewed`, `segment_exported`).
    func toStaff(_ segment: StoredSegment, actor: String, action: String) async throws -> Response {
        let (key, stream) = try await open(segment, actor: actor, action: action)
        var opener = ContentOpener(key: key, context: segment.blob)
        var plain = Data()
        for try await chunk in stream { plain.append(try opener.feed(chunk)) }
        guard opener.finished else { throw APIError(.internalServerError, "damaged", "segment \(segment.handle) is damaged on the server") }
        guard let moved = StaffBundle.shiftingTimes(of: plain, key: key, naming: segment.handle) else {
            throw APIError(
                .unprocessableContent, "not_a_bundle", "segment \(segment.handle) is not a segment bundle: its device uploaded something else")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/x-tar", Self.shaHeader: SHA256.hash(data: moved).hexDigits],
            body: .init(byteBuffer: ByteBuffer(bytes: moved)))
    }

    /// The contributor's data key and the sealed blob, once the read is in the audit log.
    private func open(_ segment: StoredSegment, actor: String, action: String) async throws -> (SymmetricKey, AsyncThrowingStream<Data, any Error>) {
        let key = try await state.dataKey(of: segment.contributor)
        let stream = try await state.blobs.read(segment.blob)
        try await state.audit(actor, action, subject: segment.contributor, .object([("segment", .string(segment.id))]))
        return (key, stream)
    }
}
