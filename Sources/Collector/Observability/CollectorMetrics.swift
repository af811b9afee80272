import Foundation
import Hummingbird
import Metrics
import Prometheus
import UnderstudyModel

/// The collector's metrics, through swift-metrics: requests by route and status with their
/// latency, bytes ingested, segments stored, uploads in flight, audit records written, sweeper runs. None carries
/// a contributor, a device or content; a route is its pattern (`/v1/segments/{id}`), never
/// the path asked for.
///
/// `understudy serve` bootstraps swift-metrics with a Prometheus registry and serves it at
/// `GET /metrics`; without a bootstrap (a collector embedded in a test) they record nothing.
enum CollectorMetrics {
    static func segmentStored(bytes: Int64) {
        Counter(label: "understudy_collector_segments_stored_total").increment()
        Counter(label: "understudy_collector_bytes_ingested_total").increment(by: bytes)
    }

    /// Uploads in flight on all devices (``UploadSlots``).
    static func uploadsInFlight(_ count: Int) { Gauge(label: "understudy_collector_uploads_in_flight").record(count) }

    /// A connection closed when accepted: its client address held `connections_per_address` already.
    static func connectionRefused() { Counter(label: "understudy_collector_connections_refused_total").increment() }

    /// An upload refused because its device had all its slots taken.
    static func uploadRefused() {
        Counter(label: "understudy_collector_uploads_refused_total", dimensions: [("code", "too_many_uploads")]).increment()
    }

    static func auditRecordWritten(action: String) {
        Counter(label: "understudy_collector_audit_records_total", dimensions: [("action", action)]).increment()
    }

    static func sweeperRan(deleted: Int, failed: Bool) {
        Counter(label: "understudy_collector_sweeper_runs_total", dimensions: [("outcome", failed ? "failed" : "ok")]).increment()
        if deleted > 0 { Counter(label: "understudy_collector_segments_erased_by_retention_total").increment(by: deleted) }
    }
}

/// Counts every request by route, method and status, and times it.
/// Counts and times every request by its route pattern and status, and logs it (at info:
/// method, route, status, milliseconds; never a body or a query).
struct RequestObservation: RouterMiddleware {
    typealias Context = CollectorContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: Int(response.status.code), since: started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, context, status: Int(status), since: started)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, since started: ContinuousClock.Instant) {
        // An unmatched path is "unmatched", so a scanner's guesses do not each become a series.
        let route = context.endpointPath ?? "unmatched"
        let dimensions = [("route", route), ("method", request.method.rawValue), ("status", String(status))]
        Counter(label: "understudy_http_requests_total", dimensions: dimensions).increment()
        let elapsed = ContinuousClock.now - started
        Timer(label: "understudy_http_request_duration_seconds", dimensions: [("route", route)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(elapsed.ns))
        context.logger.log(
            level: status >= 500 ? .error : .info, "request",
            metadata: [
                "method": "\(request.method.rawValue)", "route": "\(route)", "status": "\(status)",
                "ms": "\((elapsed.seconds * 1000 * 1000).rounded() / 1000)",
            ])
    }
}

/// `GET /metrics`: the registry in Prometheus' text format, for admins (it holds aggregates
/// only, but when they rise says when uploads happen).
struct MetricsRoute {
    let state: CollectorState

    func add(to router: Router<CollectorContext>) {
        router.get("/metrics") { _, context in
            _ = try context.requireStaff([.admin], to: "read the collector's metrics")
            guard let registry = state.metrics else { throw APIError.notFound("metrics (this collector was started without them)") }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}
