import CollectorAPI
import HTTPTypes
import Hummingbird

/// A path the API has, asked with a method it does not take, is 405 with `Allow` naming the
/// methods it does take (HTTP's rule), not the router's 404; a path it does not have stays 404.
struct MethodNotAllowed: RouterMiddleware {
    typealias Context = CollectorContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = Self.methods(for: request.uri.path)
            guard !allowed.isEmpty else { throw APIError.notFound("\(request.uri.path)") }
            var response = try APIError(
                .methodNotAllowed, "method_not_allowed", "\(request.method.rawValue) is not allowed here: use \(allowed.joined(separator: ", "))"
            ).response(from: request, context: context)
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        }
    }

    /// The methods the API takes on `path`, by the documented endpoints' path templates.
    static func methods(for path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let methods = Endpoint.all.filter { endpoint in
            let template = endpoint.path.split(separator: "/", omittingEmptySubsequences: false)
            return template.count == parts.count
                && zip(template, parts).allSatisfy { t, p in (t.hasPrefix("{") && t.hasSuffix("}") && !p.isEmpty) || t == p }
        }.map(\.method)
        return Array(Set(methods)).sorted()
    }
}
