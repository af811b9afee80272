import Collector
import Foundation
import Testing

@Suite("The collector's config file")
struct CollectorConfigTests {
    private func load(_ yaml: String, environment: [String: String] = [:]) throws -> CollectorConfig {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("collector.yaml")
        try Data(yaml.utf8).write(to: file)
        return try CollectorConfig.load(file: file, environment: environment)
    }

    @Test("Every setting is read, relative paths from the file's folder, and the environment overrides the file")
    func readsEverySetting() throws {
        let config = try load(
            """
            host: 0.0.0.0
            port: 8443
            data: data
            kek_file: /etc/understudy/server.kek
            tls:
              certificate: tls/cert.pem
              key: tls/key.pem
            allow_insecure_http: false
            policy_keys: [org.pub]
            max_segment_size: 512MB
            enrolment_code_lifetime: 2h
            session_lifetime: 30m
            sweep_interval: 90s
            idle_timeout: 15s
            anonymous_requests_per_minute: 60
            contributor_quota: 2GB
            reserved_space: 10MB
            min_upload_rate: 8KB
            """, environment: ["UNDERSTUDY_SERVER_PORT": "9000"])
        #expect(config.host == "0.0.0.0" && config.port == 9000)
        #expect(config.data.lastPathComponent == "data" && config.kekFile.path == "/etc/understudy/server.kek")
        #expect(config.tlsCertificate?.hasSuffix("/tls/cert.pem") == true && config.tlsKey?.hasSuffix("/tls/key.pem") == true)
        #expect(config.policyKeys.count == 1 && config.policyKeys[0].hasSuffix("/org.pub"))
        #expect(config.maxSegmentBytes == 512_000_000)
        #expect(config.anonymousRequestsPerMinute == 60 && config.contributorQuotaBytes == 2_000_000_000 && config.reservedBytes == 10_000_000)
        #expect(config.minUploadRate == 8_000)
        #expect(config.enrolmentCodeLifetime == 7200 && config.sessionLifetime == 1800 && config.sweepInterval == 90 && config.idleTimeout == 15)
    }

    @Test(
        "A mistake is one error naming its line: an unknown setting, a setting given twice, a value of the wrong kind, a tls without its key",
        arguments: [
            ("host: a\nprot: 80\n", ":2: unknown field 'prot' in the collector config"),
            ("port: 80\nport: 81\n", ":2: 'port' is given twice"),
            ("host: a\nport: eighty\n", ":2: 'port': must be a whole number"),
            ("port: 70000\n", ":1: 'port': must be a number from 1 to 65535"),
            ("sweep_interval: often\n", ":1: 'sweep_interval': must be a duration such as 24h"),
            ("contributor_quota: lots\n", ":1: 'contributor_quota': must be a size such as 512MB"),
            ("anonymous_requests_per_minute: 0\n", ":1: 'anonymous_requests_per_minute': must be 1 or more"),
            ("tls:\n  certificate: c.pem\n", "'key' is missing"),
        ])
    func namesTheLine(yaml: String, expected: String) throws {
        #expect {
            try load(yaml)
        } throws: { error in
            "\(error)".contains(expected) && "\(error)".hasPrefix("bad collector config: ")
        }
    }
}
