import CollectorAPI
import Foundation
import Hummingbird
import UnderstudyModel

/// Quality review of scrubbed steps. Reviewers see segments under their contributor's
/// pseudonym, never who it is, with wall-clock times moved (``StaffBundle``; listings carry no
/// times either), and judge steps good or bad; exports leave out episodes with
/// a bad step. Every segment opened and every verdict is audited under the contributor.
struct ReviewRoutes {
    let state: CollectorState

    func add(to router: Router<CollectorContext>) {
        router.get("/v1/review/segments", use: list)
        router.get("/v1/review/segments/{id}", use: open)
        router.post("/v1/review/segments/{id}/verdicts", use: judge)
    }

    @Sendable func list(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff([.reviewer], to: "review segments")
        let verdicts = Dictionary(grouping: try await state.metadata.verdicts(segment: nil), by: \.segment)
        return JSONResponse.make(
            try await state.metadata.pseudonymousSegments().map { s in
                let judged = verdicts[s.id] ?? []
                return ReviewListing(
                    id: s.handle, contributor: s.pseudonym, bytes: s.roundedBytes, stepsJudged: judged.count,
                    stepsBad: judged.filter { $0.verdict == .bad }.count)
            })
    }

    /// The segment's bundle, for the reviewer's tools to compile into steps.
    @Sendable func open(_ request: Request, context: CollectorContext) async throws -> Response {
        _ = try context.requireStaff([.reviewer], to: "review segments")
        let segment = try await state.segment(handle: try context.parameters.require("id"))
        return try await BundleDownload(state: state).toStaff(segment, actor: context.actor, action: "segment_reviewed")
    }

    /// `{"verdicts": [{"step": T_NS, "verdict": "good"|"bad", "reason": "..."}]}`: at most
    /// 10,000 at once; a later verdict on a step replaces the earlier one.
    @Sendable func judge(_ request: Request, context: CollectorContext) async throws -> Response {
        let reviewer = try context.requireStaff([.reviewer], to: "review segments")
        let segment = try await state.segment(handle: try context.parameters.require("id"))
        let items = try await request.decode(VerdictsRequest.self, context, limit: 1 << 20).verdicts
        guard !items.isEmpty, items.count <= 10_000 else {
            throw APIError.badRequest("'verdicts' must be a list of 1 to 10,000 {step, verdict, reason}")
        }
        let now = state.now()
        let verdicts = try items.map { item in
            let step = item.step
            guard step >= 0 else {
                throw APIError.badRequest("each verdict's 'step' is the step's t_ns (when its first input happened, ns since its session started)")
            }
            guard let verdict = StepVerdict.Verdict(rawValue: item.verdict) else {
                throw APIError.badRequest("each verdict's 'verdict' is good or bad")
            }
            let reason = item.reason
            guard (reason?.count ?? 0) <= 200 else { throw APIError.badRequest("a 'reason' is at most 200 characters") }
            return StepVerdict(segment: segment.id, step: step, verdict: verdict, reason: reason, reviewer: reviewer.name, at: now)
        }
        try await state.metadata.recordVerdicts(verdicts)
        try await state.audit(
            context.actor, "steps_reviewed", subject: segment.contributor,
            .object([
                ("segment", .string(segment.id)), ("good", .int(Int64(verdicts.filter { $0.verdict == .good }.count))),
                ("bad", .int(Int64(verdicts.filter { $0.verdict == .bad }.count))),
            ]))
        return JSONResponse.make(VerdictsRecorded(segment: segment.handle, recorded: verdicts.count))
    }
}

extension CollectorState {
    /// A stored segment by the handle staff know it by, or 404.
    func segment(handle: String) async throws -> StoredSegment {
        guard let segment = try await metadata.segment(handle: handle) else { throw APIError.notFound("segment \(handle)") }
        return segment
    }
}
