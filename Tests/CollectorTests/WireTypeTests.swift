import CollectorAPI
import Foundation
import Testing
import Yams

/// The collector's OpenAPI document and its wire types (``CollectorAPI``) say the same thing:
/// each operation in the document is an ``Endpoint`` and each endpoint is in the document;
/// each JSON body's schema lists exactly the fields its type writes, and requires those it
/// always writes. A field renamed on one side only fails here, at build-and-test time.
@Suite("The API's wire types and its OpenAPI document")
struct WireTypeTests {
    let document: [String: Any]

    init() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/Collector/openapi.yaml")
            .standardized
        document = try #require(try Yams.load(yaml: String(contentsOf: file, encoding: .utf8)) as? [String: Any])
    }

    /// `GET /v1/devices`, … for every operation the document describes.
    var documented: Set<String> {
        let paths = document["paths"] as? [String: Any] ?? [:]
        return Set(
            paths.flatMap { path, item in
                ((item as? [String: Any]) ?? [:]).keys.filter { ["get", "put", "post", "delete", "patch"].contains($0) }.map {
                    "\($0.uppercased()) \(path)"
                }
            })
    }

    @Test("Every operation in the OpenAPI document has its endpoint and types, and every endpoint is in the document")
    func sameOperations() {
        let typed = Set(Endpoint.all.map { "\($0.method) \($0.path)" })
        #expect(typed.count == Endpoint.all.count, "an endpoint is listed twice")
        #expect(documented.subtracting(typed).sorted() == [], "documented but without types")
        #expect(typed.subtracting(documented).sorted() == [], "typed but not documented")
    }

    @Test("Each JSON body's schema has exactly the fields its type writes, and requires every field the type always writes")
    func sameFields() throws {
        for endpoint in Endpoint.all {
            let operation = try #require(
                ((document["paths"] as? [String: Any])?[endpoint.path] as? [String: Any])?[endpoint.method.lowercased()] as? [String: Any],
                "\(endpoint.method) \(endpoint.path)")
            if case .json(let type) = endpoint.request ?? .bytes {
                let content = (operation["requestBody"] as? [String: Any])?["content"] as? [String: Any]
                try check(schema: content, type, list: false, "\(endpoint.method) \(endpoint.path) request")
            }
            let responses = operation["responses"] as? [String: Any] ?? [:]
            let success = try #require(responses.keys.filter { $0.hasPrefix("2") }.min(), "\(endpoint.method) \(endpoint.path) has no 2xx answer")
            let content = (responses[success] as? [String: Any])?["content"] as? [String: Any]
            switch endpoint.response {
            case .json(let type): try check(schema: content, type, list: false, "\(endpoint.method) \(endpoint.path) \(success)")
            case .list(let type): try check(schema: content, type, list: true, "\(endpoint.method) \(endpoint.path) \(success)")
            case .bytes: #expect(content?["application/json"] == nil, "\(endpoint.method) \(endpoint.path) answers bytes, not JSON")
            }
        }
    }

    @Test("The error every refusal carries is the document's Error schema")
    func errorBody() throws {
        let schema = try #require(resolve("#/components/schemas/Error"))
        try compare(schema, ErrorBody.self, "Error")
    }

    private func check(schema content: [String: Any]?, _ type: any (Codable & Sendable).Type, list: Bool, _ name: String) throws {
        var schema = try #require((content?["application/json"] as? [String: Any])?["schema"] as? [String: Any], "\(name): no JSON schema")
        if let ref = schema["$ref"] as? String { schema = try #require(resolve(ref), "\(name): \(ref)") }
        if list {
            #expect(schema["type"] as? String == "array", "\(name): a list of \(type)")
            schema = schema["items"] as? [String: Any] ?? [:]
            if let ref = schema["$ref"] as? String { schema = try #require(resolve(ref), "\(name): \(ref)") }
        }
        try compare(schema, type, name)
    }

    private func compare(_ schema: [String: Any], _ type: any (Codable & Sendable).Type, _ name: String) throws {
        let full = try fields(of: Examples.full(type), name)
        let bare = try fields(of: Examples.bare(type), name)
        let properties = Set((schema["properties"] as? [String: Any] ?? [:]).keys)
        let required = Set(schema["required"] as? [String] ?? [])
        #expect(
            properties == full,
            "\(name) (\(type)): the schema's properties \(properties.sorted()) are not the fields the type writes \(full.sorted())")
        #expect(required == bare, "\(name) (\(type)): the schema requires \(required.sorted()), the type always writes \(bare.sorted())")
    }

    private func fields(of value: any Encodable, _ name: String) throws -> Set<String> {
        let object = try #require(try JSONSerialization.jsonObject(with: APICoding.encode(value)) as? [String: Any], "\(name): not an object")
        return Set(object.keys)
    }

    private func resolve(_ ref: String) -> [String: Any]? {
        var node: Any = document
        for part in ref.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] as Any }
        return node as? [String: Any]
    }
}

/// A value of each wire type: `full` with every optional field set, `bare` with none.
enum Examples {
    static let date = Date(timeIntervalSince1970: 1_795_000_000)

    static func full(_ type: Any.Type) throws -> any Encodable {
        try #require(values(optionals: true).first { Swift.type(of: $0) == type }, "no example of \(type)")
    }
    static func bare(_ type: Any.Type) throws -> any Encodable {
        try #require(values(optionals: false).first { Swift.type(of: $0) == type }, "no example of \(type)")
    }

    static func values(optionals: Bool) -> [any Encodable] {
        func some<T>(_ value: T) -> T? { optionals ? value : nil }
        let exportListing = DatasetExportListing(
            id: "x", scientist: "n", registeredAt: date, format: "jsonl", episodes: 1, steps: 2, frames: 3, segments: ["s"],
            sessions: [ExportedSession(id: "x", contributor: "p")])
        return [
            Health(ok: true), ErrorBody(code: "c", message: "m"),
            LoginRequest(user: "u", key: "k"), LoginResponse(token: "t", role: "admin", expiresAt: date),
            CreateUserRequest(name: "n", role: "reviewer"), CreatedUser(name: "n", role: "reviewer", key: "k", awaitingApproval: true),
            StaffUserListing(name: "n", role: "reviewer", createdAt: date, awaitingApproval: false), UserApproved(name: "n", role: "reviewer"),
            NewUserKey(name: "n", key: "k"), UserRemoved(name: "n", removed: true), SignedOut(signedOut: true),
            EnrolmentCodeRequest(contributor: "c", identity: some(ContributorIdentity(displayName: "n", email: "e@example.org"))),
            EnrolmentCodeIssued(code: "x", id: "i", contributor: "c", expiresAt: date, awaitingApproval: true, policyKeys: ["f"]),
            EnrolmentCodeListing(id: "i", contributor: "c", createdBy: "a", expiresAt: date, approvedBy: some("device:d"), allowsHistory: true),
            EnrolmentApprovalRequest(allowHistory: some(true)),
            EnrolmentCodeApproved(id: "i", contributor: "c", approvedBy: "user:o", allowsHistory: false),
            EnrolmentCodeRefused(id: "i", refused: true),
            EnrolRequest(code: "x", publicKey: "pk", name: some("laptop"), policyKeys: some(["f"])),
            Enrolled(device: "d", contributor: "c", policyKeys: ["k"], identity: some(ContributorIdentity(displayName: "n"))),
            DeviceListing(id: "d", contributor: "c", name: "n", enrolledAt: date, revokedAt: some(date)), DeviceRevoked(id: "d", revoked: true),
            PolicyListing(hash: "h", name: "n", version: 1, document: "d", signature: "s", publishedAt: date),
            PublishPolicyRequest(document: "d", signature: "s"), PolicyPublished(hash: "h", name: "n", version: 1),
            ConsentRequest(policyHash: "h", acceptedAt: date), ConsentRecorded(policyHash: "h", recorded: true),
            ConsentWithdrawalRequest(withdrawnAt: date), ConsentWithdrawn(withdrawn: 1),
            SegmentAcknowledged(segment: "s", status: .stored, sha256: "a"),
            SegmentListing(id: "s", sha256: "a", bytes: 1, policyHash: "h", receivedAt: date, device: "d"),
            AuditRecordListing(seq: 1, at: date, atMs: 1, actor: "a", action: "x", subject: some("c"), detail: "{}", previousHash: "p", hash: "h"),
            ContributorErased(contributor: "c", erased: true, segments: 1), SegmentDeleted(segment: "s", deleted: true),
            Totals(contributors: 5, segments: 1, bytes: 1),
            ExemptionRequestBody(id: "e", kind: "app", value: "v", reason: some("r"), requestedAt: date, from: some(date), until: some(date)),
            ExemptionStatus(id: "e", status: "pending"), ExemptionDecisionRequest(approve: true, note: some("n")),
            ExemptionListing(
                contributor: "c", id: "e", kind: "app", value: "v", reason: "r", requestedAt: date, status: "pending",
                decidedAt: some(date), decidedBy: some("o"), note: some("n"), from: some(date), until: some(date)),
            ReviewListing(id: "s", contributor: "p", bytes: 1, stepsJudged: 1, stepsBad: 0),
            VerdictsRequest(verdicts: [.init(step: 1, verdict: "bad", reason: some("r"))]), VerdictsRecorded(segment: "s", recorded: 1),
            DatasetListing(id: "s", contributor: "p", bytes: 1, policyHash: "h", rejectedSteps: [1]),
            ErasureListing(contributor: "p", erasedOn: "2026-11-18"),
            DatasetExportRegistration(
                format: "jsonl", episodes: 1, steps: 2, frames: 3, segments: ["s"], sessions: [ExportedSession(id: "x", contributor: "p")],
                manifest: "{}"),
            exportListing, DatasetExport(export: exportListing, manifest: "{}"),
        ]
    }
}
