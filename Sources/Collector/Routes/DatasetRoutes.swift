import CollectorAPI
import Foundation
import Hummingbird
import UnderstudyModel

/// What scientists get: the held segments for building datasets, under pseudonyms and with
/// wall-clock times moved (``StaffBundle``), with the steps reviewers judged bad. Each segment
/// exported is audited under its contributor, so they can see their data went into a dataset.
/// An export made is registered with its manifest, so staff see which exports an erasure
/// reaches.
struct DatasetRoutes {
    let state: CollectorState

    func add(to router: Router<CollectorContext>) {
        router.get("/v1/dataset/segments", use: list)
        router.get("/v1/dataset/segments/{id}", use: export)
        router.get("/v1/dataset/erasures", use: erasures)
        router.post("/v1/dataset/exports", use: register)
        router.get("/v1/dataset/exports", use: exports)
        router.get("/v1/dataset/exports/{id}", use: registeredExport)
    }

    /// Registers an export its scientist made: the segments and sessions it holds, under
    /// pseudonyms, and its manifest (without the episodes' instructions, which are the
    /// recordings' own text and stay in the export).
    @Sendable func register(_ request: Request, context: CollectorContext) async throws -> Response {
        let staff = try context.requireStaff([.scientist], to: "register dataset exports")
        let body = try await request.decode(DatasetExportRegistration.self, context, limit: DatasetExportRegistration.maxManifestBytes + (4 << 20))
        try Self.check(body)
        let stored = StoredExport(id: StoredSegment.randomName("x-"), scientist: staff.name, registeredAt: state.now(), registration: body)
        let detail: JSONValue = .object([
            ("export", .string(stored.id)), ("segments", .int(Int64(body.segments.count))), ("episodes", .int(Int64(body.episodes))),
        ])
        try await state.metadata.addExport(
            stored, audit: AuditEntry(at: stored.registeredAt, actor: context.actor, action: "dataset_export_registered", detail: detail.serialized))
        return JSONResponse.make(Self.listing(stored), status: .created)
    }

    /// Every registered export, oldest first (scientists, and privacy officers acting on erasures).
    @Sendable func exports(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff([.scientist, .privacyOfficer], to: "read dataset exports")
        return JSONResponse.make(try await state.metadata.exports().map(Self.listing))
    }

    @Sendable func registeredExport(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff([.scientist, .privacyOfficer], to: "read dataset exports")
        let id = try context.parameters.require("id")
        guard let stored = try await state.metadata.export(id) else { throw APIError.notFound("export \(id)") }
        return JSONResponse.make(DatasetExport(export: Self.listing(stored), manifest: stored.registration.manifest))
    }

    /// One clear refusal for a registration no export makes.
    private static func check(_ body: DatasetExportRegistration) throws {
        guard (1...32).contains(body.format.count), body.format.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) }) else {
            throw APIError.badRequest("'format' must be an export format's name, as the manifest gives it")
        }
        guard body.episodes >= 0, body.steps >= 0, body.frames >= 0 else { throw APIError.badRequest("the counts cannot be negative") }
        guard body.manifest.utf8.count <= DatasetExportRegistration.maxManifestBytes else {
            throw APIError(.contentTooLarge, "too_large", "the manifest is larger than \(DatasetExportRegistration.maxManifestBytes) bytes")
        }
        guard (try? JSONSerialization.jsonObject(with: Data(body.manifest.utf8))) is [String: Any] else {
            throw APIError.badRequest("'manifest' must be the export's manifest.json, a JSON object")
        }
        let names = body.segments + body.sessions.flatMap { [$0.id, $0.contributor] }
        guard names.allSatisfy({ (1...128).contains($0.utf8.count) }) else {
            throw APIError.badRequest("segment handles, session ids and pseudonyms are 1 to 128 bytes")
        }
    }

    private static func listing(_ stored: StoredExport) -> DatasetExportListing {
        let r = stored.registration
        return DatasetExportListing(
            id: stored.id, scientist: stored.scientist, registeredAt: stored.registeredAt, format: r.format, episodes: r.episodes, steps: r.steps,
            frames: r.frames, segments: r.segments, sessions: r.sessions)
    }

    /// The pseudonyms of contributors erased since, with the day: an export made before holds
    /// data its scientist must now delete (`understudy admin erasures --check`).
    @Sendable func erasures(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff([.scientist], to: "export datasets")
        let day = 86_400.0
        return JSONResponse.make(
            try await state.metadata.erasedPseudonyms().map { erased in
                let date = Date(timeIntervalSince1970: (erased.erasedAt.timeIntervalSince1970 / day).rounded(.down) * day)
                return ErasureListing(contributor: erased.pseudonym, erasedOn: String(RFC3339.string(from: date).prefix(10)))
            })
    }

    @Sendable func list(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff([.scientist], to: "export datasets")
        let bad = Dictionary(grouping: try await state.metadata.verdicts(segment: nil).filter { $0.verdict == .bad }, by: \.segment)
        return JSONResponse.make(
            try await state.metadata.pseudonymousSegments().map { s in
                DatasetListing(
                    id: s.handle, contributor: s.pseudonym, bytes: s.roundedBytes, policyHash: s.policyHash,
                    rejectedSteps: (bad[s.id] ?? []).map(\.step))
            })
    }

    @Sendable func export(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff([.scientist], to: "export datasets")
        let segment = try await state.segment(handle: try context.parameters.require("id"))
        return try await BundleDownload(state: state).toStaff(segment, actor: context.actor, action: "segment_exported")
    }
}
