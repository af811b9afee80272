import CollectorAPI
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import Prometheus
import ServiceLifecycle
import UnderstudyModel

/// The collector: where consented, scrubbed segments go after the contributor's review
/// window. Built from its config; run under swift-service-lifecycle, so SIGTERM stops it
/// gracefully (requests in flight, uploads included, finish first).
public struct CollectorServer: Sendable {
    public let state: CollectorState

    /// What `understudy serve` prints once it listens, followed by the address and `, data in DIR`:
    /// the line scripts and tests wait for.
    public static let readyLine = "Collector listening on "

    public enum Failure: Error, CustomStringConvertible {
        case insecure(String)
        case tls(String)
        case keyInData(String)

        public var description: String {
            switch self {
            case .insecure(let host):
                "refusing plain HTTP on \(host), which is not a loopback address: configure tls (certificate and key) or set allow_insecure_http: true"
            case .tls(let reason): "TLS: \(reason)"
            case .keyInData(let path):
                "refusing to write the admin key to \(path), inside the data folder: a copy of the data would then sign in as admin; choose a file elsewhere"
            }
        }
    }

    /// Opens (creating when absent) the embedded stores under `config.data`, and the key-encryption key.
    public static func embedded(
        _ config: CollectorConfig, environment: [String: String], logger: Logger,
        clock: WallClock = .system, metrics: PrometheusCollectorRegistry? = nil
    ) throws -> CollectorServer {
        try FileManager.default.createDirectory(at: config.data, withIntermediateDirectories: true)
        chmod(config.data.path, 0o700)
        let metadata = try SQLiteMetadataStore(path: config.data.appendingPathComponent("collector.sqlite").path, logger: logger)
        let blobs = try DirectoryBlobStore(root: config.data.appendingPathComponent("blobs", isDirectory: true))
        let kek = try LocalKeyEncryptionKey.load(file: config.kekFile, environment: environment, create: true)
        return CollectorServer(
            state: CollectorState(metadata: metadata, blobs: blobs, keys: kek, config: config, logger: logger, clock: clock, metrics: metrics))
    }

    public init(state: CollectorState) {
        self.state = state
    }

    /// The first admin's key, made on first start.
    public struct BootstrapAdmin: Sendable {
        /// The key itself: shown to the operator once, kept nowhere by the server.
        public var key: String
        /// Where it was written, when the operator asked for a file.
        public var file: URL?
    }

    /// The first admin: created on first start. Its key is returned to be shown once, and written
    /// (owner-only, never replacing a file) only to `keyFile`, which must lie outside the data
    /// folder: a copy of the data alone must not be enough to sign in. Nil when staff exist already.
    public func bootstrapAdmin(keyFile: URL? = nil) async throws -> BootstrapAdmin? {
        guard try await state.metadata.users().isEmpty else { return nil }
        if let keyFile, Self.isInside(keyFile, state.config.data) { throw Failure.keyInData(keyFile.path) }
        let key = Secret.make(bytes: 32)
        if let keyFile {
            do { try DurableFile.create(keyFile.path, contents: Data((key + "\n").utf8)) } catch { throw StoreError.io("cannot write \(error)") }
        }
        try await state.metadata.createUser(StaffUser(name: "admin", role: .admin, keyHash: Secret.hash(key), createdAt: state.now()))
        try await state.audit("system", "user_created", .object([("user", .string("admin")), ("role", .string("admin"))]))
        return BootstrapAdmin(key: key, file: keyFile)
    }

    /// Where versions before 2026-12 left the first admin's key; removed at the first admin sign-in.
    static func legacyAdminKey(_ config: CollectorConfig) -> URL { config.data.appendingPathComponent("admin.key") }

    static func isInside(_ file: URL, _ folder: URL) -> Bool {
        let parent = file.deletingLastPathComponent().standardizedFileURL.resolvingSymlinksInPath().path
        let root = folder.standardizedFileURL.resolvingSymlinksInPath().path
        return parent == root || parent.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    public func router() -> Router<CollectorContext> {
        let router = Router(context: CollectorContext.self)
        router.add(middleware: RequestObservation())
        router.add(middleware: MethodNotAllowed())
        router.add(middleware: Authentication(state: state))
        router.get("/health") { _, _ in JSONResponse.make(Health(ok: true)) }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.data)))
        }
        StaffRoutes(state: state).add(to: router)
        DeviceRoutes(state: state).add(to: router)
        ApprovalRoutes(state: state).add(to: router)
        SegmentRoutes(state: state).add(to: router)
        ExemptionRoutes(state: state).add(to: router)
        ReviewRoutes(state: state).add(to: router)
        DatasetRoutes(state: state).add(to: router)
        MetricsRoute(state: state).add(to: router)
        // Built before the console's routes join: the console reaches the API, never itself.
        let api = ConsoleAPI(responder: router.buildResponder())
        ConsoleRoutes(state: state, api: api, secure: state.config.tlsCertificate != nil).add(to: router)
        return router
    }

    /// Serves until SIGTERM or SIGINT. `onReady` is called with the address once it listens.
    public func run(onReady: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: try services(onReady: onReady), gracefulShutdownSignals: [.sigterm, .sigint],
                logger: state.logger))
        try await group.run()
    }

    /// The HTTP server and the retention sweeper, for a `ServiceGroup` to run: ``run(onReady:)``
    /// runs them until a signal; an embedding program (or a test) runs them in its own group
    /// and shuts them down gracefully when it is done.
    public func services(onReady: @escaping @Sendable (String) -> Void = { _ in }) throws -> [any Service] {
        let config = state.config
        let tls = try tlsConfiguration()
        guard tls != nil || config.isLoopback || config.allowInsecureHTTP else { throw Failure.insecure(config.host) }
        let scheme = tls == nil ? "http" : "https"
        let limit = ConnectionLimit(perAddress: config.connectionsPerAddress)
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [limit.handler()], idleTimeout: .milliseconds(Int64(config.idleTimeout * 1000)))
        let app = Application(
            router: router(),
            server: try tls.map { try HTTPServerBuilder.tls(.http1(configuration: http1), tlsConfiguration: $0) } ?? .http1(configuration: http1),
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "understudy-collector"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? config.port
                onReady("\(scheme)://\(config.host):\(port)")
            },
            logger: state.logger
        )
        let sweeper = RetentionSweeper(state: state, interval: .milliseconds(Int64(config.sweepInterval * 1000)))
        return [app, sweeper]
    }

    private func tlsConfiguration() throws -> TLSConfiguration? {
        guard let certificate = state.config.tlsCertificate, let key = state.config.tlsKey else { return nil }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            // NIO's default minimum is TLS 1.0.
            configuration.minimumTLSVersion = .tlsv12
            return configuration
        } catch {
            throw Failure.tls("cannot load \(certificate) and \(key): \(error)")
        }
    }
}

/// The OpenAPI 3.1 description of this API, served at `/openapi.yaml`.
enum OpenAPIDocument {
    static let data: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"), let data = try? Data(contentsOf: url) else { return Data() }
        return data
    }()
}
