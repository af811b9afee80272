import ArgumentParser
import Collector
import Crypto
import Device
import Foundation
import Privacy
import Sync
import TestSupport
import UnderstudyModel
import Vault

/// `make bench`'s collector figures: simulated devices uploading the standard workload's
/// segments to a real `understudy serve` (embedded store), at several device counts, with the
/// server's CPU and memory read from /proc; and, in the same run, the baseline of writing the
/// same bytes durably (fsync, rename) from one process, which no server can beat.
struct IngestBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Measure the collector's ingest rate and latency with simulated devices (for make bench)."
    )

    @Option(help: "The vault whose sealed segments the devices upload (the standard workload's).")
    var vault: String

    @Option(help: "Where to keep the servers' data and the bundles.")
    var scratch: String = FileManager.default.temporaryDirectory.path

    @Option(help: "Simulated devices per run (repeatable).")
    var devices: [Int] = [1, 8, 32]

    @Option(help: "Uploads per run, shared among the devices.")
    var uploads: Int = 192

    @Option(help: "What the segments are, for the report.")
    var label = "a segment of the standard workload"

    @Option(help: "MB of a synthetic segment a reviewer reads, to measure the server's memory per staff read (0: none).")
    var staffReadMB = 256

    /// One segment as the devices upload it.
    struct Bundle {
        let segment: String
        let file: URL
        let sha256: String
        let bytes: Int64
        let events: Int
        /// Bytes of frame layouts and tile patches in it.
        let frameBytes: Int64
        let policy: String
    }

    func run() async throws {
        let base = URL(fileURLWithPath: scratch).appendingPathComponent("bench-ingest-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let source = try Vault(at: URL(fileURLWithPath: vault), create: false)
        let bundles = try makeBundles(source, into: base)
        let policy = try signedPolicy(hash: bundles[0].policy, into: base)

        var runs: [JSONValue] = []
        for count in devices {
            let run = try await measure(devices: count, bundles: bundles, policy: policy, data: base.appendingPathComponent("server-\(count)"))
            runs.append(run)
            FileHandle.standardError.write(Data("bench-ingest: \(count) device(s): \(run.serialized)\n".utf8))
        }
        let baseline = try durableWrites(bundles, into: base.appendingPathComponent("baseline"))
        let staffRead =
            staffReadMB > 0
            ? try await staffRead(megabytes: staffReadMB, policy: policy, hash: bundles[0].policy, data: base.appendingPathComponent("staff-read"))
            : .null
        print(
            JSONValue.object([
                ("label", .string(label)), ("bundle_bytes", .int(bundles[0].bytes)), ("bundle_events", .int(Int64(bundles[0].events))),
                ("bundle_frame_bytes", .int(bundles[0].frameBytes)), ("uploads_per_run", .int(Int64(uploads))),
                ("baseline_mb_per_s", .double(baseline)), ("runs", .array(runs)), ("staff_read", staffRead),
            ]).serialized)
    }

    /// The vault's sealed segments as bundle files, with what each holds.
    private func makeBundles(_ vault: Vault, into base: URL) throws -> [Bundle] {
        let sessions = Dictionary(uniqueKeysWithValues: try vault.sessions().map { ($0.id, $0) })
        let bundles = try vault.segments().filter(\.sealed).compactMap { segment -> Bundle? in
            guard let policy = sessions[segment.session]?.policyHash else { return nil }
            let file = base.appendingPathComponent("\(segment.id).tar")
            let written = try vault.writeBundle(segment: segment.id, to: file)
            let members = TarFormat.members(of: try Data(contentsOf: file)) ?? []
            let frameBytes = members.filter { $0.name.hasPrefix("frames/") || $0.name.hasPrefix("patches/") }.reduce(Int64(0)) {
                $0 + Int64($1.data.count)
            }
            return Bundle(
                segment: segment.id, file: file, sha256: written.sha256, bytes: written.bytes, events: segment.events, frameBytes: frameBytes,
                policy: policy)
        }
        guard !bundles.isEmpty, Set(bundles.map(\.policy)).count == 1 else {
            throw DeviceFailure("\(vault.directory.path) needs sealed segments recorded under one policy")
        }
        return bundles
    }

    /// The policy the segments were recorded under, from the consent records, signed by a
    /// key made for the bench (the servers trust it).
    private func signedPolicy(hash: String, into base: URL) throws -> (document: URL, publicKey: URL) {
        guard let record = try ConsentStore().load().accepted.first(where: { $0.policyHash == hash }) else {
            throw DeviceFailure("no consent record holds policy \(hash.prefix(16)), which the segments were recorded under")
        }
        let document = base.appendingPathComponent("policy.yaml")
        try Data(record.document.utf8).write(to: document)
        let (privateKey, publicKey) = try PolicySigning.generateKey(named: base.appendingPathComponent("org"))
        _ = try PolicySigning.sign(document, key: privateKey)
        return (document, publicKey)
    }

    /// One run: a fresh server, `count` enrolled devices, `uploads` uploads shared among them.
    private func measure(devices count: Int, bundles: [Bundle], policy: (document: URL, publicKey: URL), data: URL) async throws -> JSONValue {
        let server = try benchServer(data: data, policyKey: policy.publicKey)
        defer { server.stop() }
        guard let url = URL(string: server.url) else { throw DeviceFailure("the bench collector gave no address") }
        let credentials = try await organise(url, devices: count, policy: policy.document, adminKey: data.appendingPathComponent("admin.key"))

        let cpuBefore = server.cpuSeconds()
        let loadBefore = CollectorProcess.cpuSeconds(of: getpid())
        // The server holds an upload's id to its bundle's segment.json, so each upload is a copy of
        // a bundle under an id of its own (same length: the tar headers stay valid).
        let copies = try (0..<uploads).map { try renamed(bundles[$0 % bundles.count], into: data.appendingPathComponent("uploads")) }
        defer { try? FileManager.default.removeItem(at: data.appendingPathComponent("uploads")) }
        let started = DispatchTime.now().uptimeNanoseconds
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for (n, credential) in credentials.enumerated() {
                let mine = (0..<uploads).filter { $0 % count == n }
                group.addTask {
                    try await CollectorClient.with(url) { client in
                        var times: [Double] = []
                        for upload in mine {
                            let bundle = copies[upload]
                            let t0 = DispatchTime.now().uptimeNanoseconds
                            let answer = try await client.upload(
                                "PUT", "/v1/segments/\(bundle.segment)", file: bundle.file, sha256: bundle.sha256,
                                headers: [("X-Understudy-Policy", bundle.policy)], as: .device(credential))
                            guard answer.status == 201 else { throw DeviceFailure("upload answered \(answer.status)") }
                            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                        }
                        return times
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let cpu = server.cpuSeconds() - cpuBefore
        let load = CollectorProcess.cpuSeconds(of: getpid()) - loadBefore
        let sent = (0..<uploads).map { bundles[$0 % bundles.count] }
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)] }
        func rounded(_ value: Double, _ places: Double = 10) -> JSONValue { .double((value * places).rounded() / places) }
        return .object([
            ("devices", .int(Int64(count))), ("uploads", .int(Int64(uploads))), ("seconds", rounded(seconds, 1000)),
            ("events_per_s", rounded(Double(sent.reduce(0) { $0 + $1.events }) / seconds, 1)),
            ("frame_mb_per_s", rounded(Double(sent.reduce(Int64(0)) { $0 + $1.frameBytes }) / 1e6 / seconds)),
            ("mb_per_s", rounded(Double(sent.reduce(Int64(0)) { $0 + $1.bytes }) / 1e6 / seconds)),
            ("uploads_per_s", rounded(Double(uploads) / seconds)),
            ("latency_p50_ms", rounded(percentile(0.5))), ("latency_p99_ms", rounded(percentile(0.99))),
            ("server_cpu_cores", .double((cpu / seconds * 100).rounded() / 100)), ("server_peak_rss_mb", rounded(server.peakRSSMegabytes())),
            ("load_cpu_cores", .double((load / seconds * 100).rounded() / 100)),
        ])
    }

    /// What one reviewer's read of a large segment costs the server in memory: a fresh server
    /// holds one synthetic bundle of `megabytes` (its tile pixels most of it), and its peak RSS
    /// is read before and after a reviewer downloads it. The baseline is the bundle's own size:
    /// a server building the rewritten bundle in memory grows by a few times that.
    private func staffRead(megabytes: Int, policy: (document: URL, publicKey: URL), hash: String, data: URL) async throws -> JSONValue {
        let server = try benchServer(data: data, policyKey: policy.publicKey)
        defer { server.stop() }
        guard let url = URL(string: server.url) else { throw DeviceFailure("the bench collector gave no address") }
        let credential = try await organise(url, devices: 1, policy: policy.document, adminKey: data.appendingPathComponent("admin.key"))[0]
        let segment = UUID().uuidString.lowercased()
        let file = data.appendingPathComponent("large.tar")
        let bundle = TestBundle.make(segment: segment, policy: hash, padding: megabytes << 20)
        try bundle.write(to: file)
        return try await CollectorClient.with(url) { client in
            let stored = try await client.upload(
                "PUT", "/v1/segments/\(segment)", file: file, sha256: SHA256.hash(data: bundle).hexDigits,
                headers: [("X-Understudy-Policy", hash)], as: .device(credential))
            guard stored.status == 201 else { throw DeviceFailure("the large upload answered \(stored.status)") }
            let admin = try await client.login(
                user: "admin",
                key: try String(contentsOf: data.appendingPathComponent("admin.key"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            )
            let officer = try await client.login(user: "po", key: try String(contentsOf: data.appendingPathComponent("po.key"), encoding: .utf8))
            let made = try await client.createUser(name: "rita", role: "reviewer", as: admin)
            _ = try await client.approveUser("rita", as: officer)
            let reviewer = try await client.login(user: "rita", key: made.key)
            guard let handle = try await client.reviewSegments(as: reviewer).first?.id else { throw DeviceFailure("the reviewer sees no segment") }
            let before = server.peakRSSMegabytes()
            let read = try await client.send("GET", "/v1/review/segments/\(handle)", as: reviewer)
            guard (try? read.verifiedBody().count) != nil else { throw DeviceFailure("the reviewer's read was damaged") }
            let after = server.peakRSSMegabytes()
            let mb = Double(bundle.count) / 1_048_576
            return .object([
                ("bundle_mb", .double((mb * 10).rounded() / 10)), ("server_peak_rss_before_mb", .double(before.rounded())),
                ("server_peak_rss_after_mb", .double(after.rounded())),
                ("growth_per_bundle", .double(((after - before) / mb * 100).rounded() / 100)),
            ])
        }
    }

    /// A copy of `bundle` whose segment.json names a new segment id.
    private func renamed(_ bundle: Bundle, into folder: URL) throws -> Bundle {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let id = UUID().uuidString.lowercased()
        var data = try Data(contentsOf: bundle.file)
        guard let range = data.range(of: Data(bundle.segment.utf8)), bundle.segment.utf8.count == id.utf8.count else {
            throw DeviceFailure("bundle \(bundle.segment) does not name its segment id")
        }
        data.replaceSubrange(range, with: Data(id.utf8))
        let file = folder.appendingPathComponent("\(id).tar")
        try data.write(to: file)
        return Bundle(
            segment: id, file: file, sha256: SHA256.hash(data: data).hexDigits, bytes: bundle.bytes, events: bundle.events,
            frameBytes: bundle.frameBytes, policy: bundle.policy)
    }

    /// Signs in as the first admin, publishes the policy as a privacy officer, and enrols
    /// `count` devices (one contributor each) that consented to it.
    private func organise(_ url: URL, devices count: Int, policy: URL, adminKey: URL) async throws -> [DeviceCredential] {
        try await CollectorClient.with(url) { client in
            let admin = try await client.login(
                user: "admin", key: try String(contentsOf: adminKey, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
            let made = try await client.createUser(name: "po", role: "privacy_officer", as: admin)
            try Data(made.key.utf8).write(to: adminKey.deletingLastPathComponent().appendingPathComponent("po.key"))
            let officer = try await client.login(user: "po", key: made.key)
            _ = try await client.publishPolicy(
                document: try String(contentsOf: policy, encoding: .utf8),
                signature: try String(contentsOf: PolicySigning.signatureURL(policy), encoding: .utf8), as: officer)
            let hash = SHA256.hash(data: try Data(contentsOf: policy)).hexDigits
            var credentials: [DeviceCredential] = []
            for n in 0..<count {
                let code = try await client.createEnrolmentCode(contributor: "bench-\(n)", as: admin)
                let (credential, _, _) = try await client.enrol(code: code.code, name: "bench-\(n)")
                _ = try await client.recordConsent(policyHash: hash, acceptedAt: WallClock.system.now(), as: .device(credential))
                credentials.append(credential)
            }
            return credentials
        }
    }

    /// MB/s of writing the same bundles as the run uploads, each to a temporary file, fsync'd,
    /// renamed into place and its folder fsync'd, one after another: what the blob store does
    /// for each upload, without HTTP, hashing, encryption or metadata.
    private func durableWrites(_ bundles: [Bundle], into folder: URL) throws -> Double {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let contents = try bundles.map { try Data(contentsOf: $0.file) }
        let started = DispatchTime.now().uptimeNanoseconds
        var bytes = 0
        for n in 0..<uploads {
            let data = contents[n % contents.count]
            let path = folder.appendingPathComponent("\(n).tar").path
            try DurableFile.replace(path, contents: data)
            bytes += data.count
        }
        return (Double(bytes) / 1e6 / (Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9) * 10).rounded() / 10
    }
}

/// `understudy serve` as a child process on a free loopback port, trusting the bench's policy key.
private func benchServer(data: URL, policyKey: URL) throws -> CollectorProcess {
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
    let config = data.appendingPathComponent("collector.yaml")
    try Data("policy_keys: [\(policyKey.path)]\nkek_file: \(data.appendingPathComponent("server.kek").path)\n".utf8).write(to: config)
    return try CollectorProcess(
        executable: UnderstudyBench.understudy,
        arguments: [
            "--port", "0", "--data", data.appendingPathComponent("data").path, "--config", config.path,
            "--admin-key-file", data.appendingPathComponent("admin.key").path,
        ])
}
