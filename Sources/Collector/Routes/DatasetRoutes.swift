import CollectorAPI
import Foundation
import Hummingbird
import UnderstudyModel

/// What scientists get: the held segments for building datasets, under pseudonyms and with
/// wall-clock times moved (``StaffBundle``), with the steps reviewers judged bad. Each segment
/// exported is audited under its contributor, so they can see their data went into a dataset.
struct DatasetRoutes {
    let state: CollectorState

    func add(to router: Router<CollectorContext>) {
        router.get("/v1/dataset/segments", use: list)
        router.get("/v1/dataset/segments/{id}", use: export)
        router.get("/v1/dataset/erasures", use: erasures)
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
