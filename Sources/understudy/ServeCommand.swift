import ArgumentParser
import Collector
import Foundation
import Logging
import Metrics
import Prometheus

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the collector: the organisation's server that devices upload to after the review window.",
        discussion: """
            With no options it listens on 127.0.0.1:7341 and keeps its data in $XDG_DATA_HOME/understudy/server \
            (SQLite for metadata, a directory for encrypted blobs). Settings come from --config (YAML), then \
            UNDERSTUDY_SERVER_HOST, _PORT and _DATA, then these flags. Content is encrypted with each \
            contributor's data key, wrapped by the key-encryption key in UNDERSTUDY_KEK (base64) or kek_file \
            (default $XDG_CONFIG_HOME/understudy/server.kek, created on first start). On first start an admin \
            is created and its key printed once; --admin-key-file writes it to a file instead (owner-only, outside \
            the data folder, so a copy of the data alone never signs in). SIGTERM stops it after the requests in flight.
            """
    )

    @Option(help: ArgumentHelp("A YAML config file.", valueName: "file")) var config: String?
    @Option(help: ArgumentHelp("The address to listen on.", valueName: "addr")) var host: String?
    @Option(help: ArgumentHelp("The port to listen on (0: any free one).", valueName: "n")) var port: Int?
    @Option(help: ArgumentHelp("The data directory.", valueName: "dir")) var data: String?
    @Option(
        help: ArgumentHelp(
            "On first start, write the first admin's key to this file (owner-only; not inside the data folder) instead of printing it.",
            valueName: "file")) var adminKeyFile: String?
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var settings = try CollectorConfig.load(file: config.map { URL(fileURLWithPath: $0) }, environment: environment)
        if let host { settings.host = host }
        if let port { settings.port = port }
        if let data { settings.data = URL(fileURLWithPath: data) }
        let logger = try logging.logger("understudy.collector", fallback: .warning)
        // One registry for the process: swift-metrics records into it, GET /metrics serves it.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let server = try CollectorServer.embedded(settings, environment: environment, logger: logger, metrics: registry)
        if let admin = try await server.bootstrapAdmin(keyFile: adminKeyFile.map { URL(fileURLWithPath: $0) }) {
            // Written at once, not through print's buffer: the line must be there before the ready line.
            let line =
                if let file = admin.file {
                    "Created the first admin; its key is in \(file.path) (owner-only). Sign in with `understudy admin --key-file \(file.path) ...`."
                } else {
                    // Kept nowhere: the operator saves it now, in a file outside the data folder.
                    "Created the first admin. Its key, shown only this once: \(admin.key)"
                }
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        let folder = settings.data.path
        try await server.run { address in
            // One write, so a reader of the pipe sees the whole line at once.
            FileHandle.standardOutput.write(Data("\(CollectorServer.readyLine)\(address), data in \(folder)\n".utf8))
        }
    }
}
