import Collector
import CollectorAPI
import Foundation
import TestSupport
import Testing
import UnderstudyModel

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A collector started as a user would (`understudy serve`), on a free loopback port, with its
/// own data directory and key-encryption key file.
final class RunningCollector: @unchecked Sendable {
    let data: URL
    let kek: URL
    private let server: CollectorProcess
    var process: Process { server.process }
    var url: String { server.url }

    /// A loopback port nothing listens on now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = FaultProxy.address(0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A collector again on `previous`'s data, key and port (after it was killed).
    convenience init(restarting previous: RunningCollector) throws {
        try self.init(base: previous.data.deletingLastPathComponent(), port: previous.port, config: nil)
    }

    /// `folder`: where its data, key and config go (a fresh temporary folder by default).
    convenience init(config: String = "", port: Int = 0, folder: URL? = nil) throws {
        let base = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("understudy-collector-\(UUID().uuidString)")
        try self.init(base: base, port: port, config: config)
    }

    let port: Int
    private let ownsFolder: Bool

    private init(base: URL, port requested: Int, config: String?) throws {
        ownsFolder = config != nil
        data = base.appendingPathComponent("data")
        kek = base.appendingPathComponent("server.kek")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let configFile = base.appendingPathComponent("collector.yaml")
        if let config { try Data(config.utf8).write(to: configFile) }
        var environment = ProcessInfo.processInfo.environment
        environment["UNDERSTUDY_KEK_FILE"] = kek.path
        environment["XDG_CONFIG_HOME"] = base.appendingPathComponent("config").path
        // The port is chosen by the system when `requested` is 0: it is read from the "listening" line.
        server = try CollectorProcess(
            executable: Understudy.binary,
            arguments: [
                "--port", "\(requested)", "--data", data.path, "--config", configFile.path, "--log-level", "debug",
                "--admin-key-file", base.appendingPathComponent("admin.key").path,
            ],
            environment: environment)
        port = Int(server.url.split(separator: ":").last ?? "") ?? requested
    }

    /// The first admin's key: asked for outside the data folder, which never holds it.
    var adminKey: String { data.deletingLastPathComponent().appendingPathComponent("admin.key").path }

    /// SIGTERM, as an init system stops it; returns its exit status.
    func stop() -> Int32 { server.stop() }

    /// What it printed: every test collector logs at debug level.
    var log: String { server.printed }

    /// Every file under the data directory, bytes and all.
    func storedBytes() throws -> [(String, Data)] {
        let files = FileManager.default.enumerator(at: data, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        return try files.filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }.map {
            ($0.path, try Data(contentsOf: $0))
        }
    }

    /// The stored blobs' files (not the half-written ones in `blobs/tmp`).
    func blobFiles() throws -> [String] {
        let blobs = data.appendingPathComponent("blobs").path + "/"
        return try storedBytes().map(\.0).filter { $0.hasPrefix(blobs) && !$0.hasPrefix(blobs + "tmp/") }
    }

    /// SIGKILL: no chance to finish anything.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Removes the data, key and config (once no restart will need them).
    func removeFiles() { try? FileManager.default.removeItem(at: data.deletingLastPathComponent()) }

    deinit {
        if process.isRunning { process.terminate() }
        if ownsFolder { removeFiles() }
    }
}

/// An organisation with a running collector, a published signed policy, and one contributor
/// whose device is enrolled.
struct Organisation {
    let me: Contributor
    let collector: RunningCollector
    let policy: String
    let admin: [String]
    let officer: [String]
    /// The privacy officer's key file.
    let officerKey: URL

    /// `environment` is set for every command the contributor and the organisation's staff run.
    init(
        policyExtra: String = "review-window: 0s", config: String = "", port: Int = 0, environment: [String: String] = [:],
        collectorFolder: URL? = nil
    ) throws {
        me = Contributor(extraEnvironment: environment)
        policy = try me.signedPolicy(policyText(rules: "  - app: NoSuchApp\n    action: exclude", extra: policyExtra))
        let orgKey = URL(fileURLWithPath: policy).deletingLastPathComponent().appendingPathComponent("org.pub").path
        collector = try RunningCollector(config: "policy_keys: [\(orgKey)]\n" + config, port: port, folder: collectorFolder)
        admin = ["--server", collector.url, "--key-file", collector.adminKey]
        let madeOfficer = try me.run(["admin", "add-user", "olivia", "--role", "privacy_officer"] + admin)
        #expect(madeOfficer.status == 0, "\(madeOfficer.stderr)")
        officerKey = me.config.appendingPathComponent("olivia.key")
        try Data(madeOfficer.stdout.utf8).write(to: officerKey)
        officer = ["--server", collector.url, "--user", "olivia", "--key-file", officerKey.path]
        let published = try me.run(["admin", "publish-policy", policy] + officer)
        #expect(published.status == 0, "\(published.stderr)")
    }

    /// A member of staff the admin makes and the privacy officer approves: the options that sign in as them.
    func staff(_ name: String, role: String) throws -> [String] {
        let made = try me.run(["admin", "add-user", name, "--role", role] + admin)
        #expect(made.status == 0 && made.stderr.contains("approve-user \(name)"), "\(made.stderr)")
        let file = me.config.appendingPathComponent("\(name).key")
        try Data(made.stdout.utf8).write(to: file)
        let approved = try me.run(["admin", "approve-user", name] + officer)
        #expect(approved.status == 0, "\(approved.stderr)")
        return ["--server", collector.url, "--user", name, "--key-file", file.path]
    }

    /// A fresh enrolment code for `contributor`.
    func code(for contributor: String = "alice") throws -> String {
        let code = try me.run(["admin", "enroll-code", "--contributor", contributor, "--json"] + admin)
        return try JSONValue.parse(Data(code.stdout.utf8))["code"]?.stringValue ?? ""
    }

    func enrol(_ contributor: String = "alice") throws {
        let enrolled = try me.run("enroll", "--server", collector.url, "--code", try code(for: contributor))
        #expect(enrolled.status == 0 && enrolled.stdout.contains("contributor \(contributor)"), "\(enrolled.stderr)")
    }

    /// `understudy held download`, then the event lines of every bundle downloaded.
    func downloadedEvents() throws -> [String] {
        let downloads = me.config.appendingPathComponent("downloads-\(UUID().uuidString.prefix(6))")
        let downloaded = try me.run("held", "download", "--out", downloads.path)
        #expect(downloaded.status == 0, "\(downloaded.stderr)")
        func mode(_ path: String) -> Int? { (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int }
        #expect(mode(downloads.path) == 0o700, "decrypted downloads are the owner's alone, whatever the umask")
        var events: [String] = []
        for bundle in try FileManager.default.contentsOfDirectory(atPath: downloads.path).sorted() {
            #expect(mode(downloads.appendingPathComponent(bundle).path) == 0o600)
            let members = TarFormat.members(of: try Data(contentsOf: downloads.appendingPathComponent(bundle))) ?? []
            let lines = members.first { $0.name == "events.jsonl" }.map { String(decoding: $0.data, as: UTF8.self) } ?? ""
            events += lines.split(separator: "\n").map(String.init)
        }
        return events
    }

    var deviceID: String {
        (try? JSONValue.parse(Data(contentsOf: me.config.appendingPathComponent("understudy/device/device.json"))))?["device"]?.stringValue ?? ""
    }

    /// Records `text` typed into the terminal of a fresh X session, under the policy; returns the vault.
    func record(typing text: String, into vault: String = temporaryVault()) async throws -> String {
        let x = try XSession()
        defer { x.killServer() }
        try x.startApps()
        let recorder = try me.start(["record", "--display", x.display, "--vault", vault, "--policy", policy])
        try await me.waitUntilRecording(vault, recorder)
        try x.xdotool("windowactivate --sync \(try x.window(class: "UnderstudyTerm"))\ntype --delay 30 \"\(text)\"\nkey Return\nsleep 1.5")
        kill(recorder.0.processIdentifier, SIGINT)
        #expect(Understudy.finish(recorder).status == 0)
        return vault
    }

    /// Records `seconds` of the synthetic load (no X server) under the policy; returns the vault.
    func recordSynthetic(seconds: Int, frames: Int = 5, frameBytes: Int = 65536, into vault: String = temporaryVault()) throws -> String {
        let recorded = try me.run([
            "record", "--vault", vault, "--policy", policy, "--for", "\(seconds)s", "--synthetic-events", "500",
            "--synthetic-frames", "\(frames)", "--synthetic-frame-bytes", "\(frameBytes)",
        ])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        return vault
    }
}

@Suite("The collector, over real HTTP", .serialized)
struct CollectorCommandTests {
    @Test(
        "Enrol, record under Xvfb, sync, and download exactly what was recorded; a repeat upload is held once; content is unreadable on the server's disk; a revoked device is refused"
    )
    func enrolRecordSyncDownload() async throws {
        let org = try Organisation()
        let me = org.me
        let collector = org.collector
        let admin = org.admin
        let codeValue = try org.code()
        let enrolled = try me.run("enroll", "--server", collector.url, "--code", codeValue)
        #expect(enrolled.status == 0 && enrolled.stdout.contains("contributor alice"), "\(enrolled.stderr)")
        let reused = try me.run("enroll", "--server", collector.url, "--code", codeValue)
        #expect(reused.status != 0 && reused.stderr.contains("code_used"), "\(reused.stderr)")

        let vault = try await org.record(typing: "zebra quokka marmalade")
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let recorded = try me.run("log", "--vault", vault, "--json").stdout
        #expect(recorded.contains("\"text\":\"z\""))
        let copy = vault + "-copy"
        try FileManager.default.copyItem(atPath: vault, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let synced = try me.run("sync", "--vault", vault)
        #expect(synced.status == 0, "\(synced.stdout)\(synced.stderr)")
        #expect(synced.stdout.contains("Uploaded "), "\(synced.stdout)")
        #expect(try me.run("vault", "segments", "--vault", vault, "--json").stdout.isEmpty, "the local copies are deleted once acknowledged")
        // The same segments again (a copy of the vault from before): acknowledged, not stored twice.
        let repeatSync = try me.run("sync", "--vault", copy)
        #expect(repeatSync.status == 0 && repeatSync.stdout.contains("already held"), "\(repeatSync.stdout) / \(repeatSync.stderr)")

        // The contributor downloads what the server holds: exactly the events recorded.
        let events = try org.downloadedEvents()
        let recordedEvents = recorded.split(separator: "\n").map(String.init)
        let sortKey: (String) -> Int64 = { (try? JSONValue.parse(Data($0.utf8)))?["seq"]?.intValue ?? -1 }
        #expect(events.sorted { sortKey($0) < sortKey($1) } == recordedEvents, "\(events.count) events downloaded, \(recordedEvents.count) recorded")

        // On the server's disk, what was typed is nowhere in clear.
        for (path, bytes) in try collector.storedBytes() {
            #expect(bytes.range(of: Data("quokka".utf8)) == nil && bytes.range(of: Data("\"text\":\"q\"".utf8)) == nil, "plaintext in \(path)")
        }

        // The audit log holds together, and the contributor sees the records about their data.
        let verified = try me.run(["admin", "audit", "verify"] + admin)
        #expect(verified.status == 0 && verified.stdout.hasPrefix("OK:"), "\(verified.stdout)\(verified.stderr)")
        let mine = try me.run("held", "audit").stdout
        #expect(mine.contains("\"segment_stored\"") && mine.contains("\"segment_read\"") && mine.contains("\"device_enrolled\""))
        #expect(!mine.contains("\"login\""), "records about staff are not the contributor's")

        // A revoked device is refused.
        #expect(try me.run(["admin", "revoke", org.deviceID] + admin).status == 0)
        let refused = try me.run("held", "list")
        #expect(refused.status != 0 && refused.stderr.contains("device_revoked"), "\(refused.stderr)")

        #expect(collector.stop() == 0, "SIGTERM stops the collector cleanly")
        // Its log, at debug level, names requests and never what was typed.
        #expect(collector.log.contains("route=/v1/segments/{id}"), "\(collector.log.suffix(2000))")
        for word in ["zebra", "quokka", "marmalade"] { #expect(!collector.log.contains(word), "\(word) in the collector's log") }
    }

    @Test(
        "A second device for a contributor enrols only once they approve its code from their device (reading nothing from before unless they allow it) or a privacy officer does (reading nothing from before); a code they refuse enrols nothing; their next sync tells them of every waiting code"
    )
    func secondEnrolmentNeedsApproval() async throws {
        let org = try Organisation()
        try org.enrol()
        let vault = try org.recordSynthetic(seconds: 1)
        defer { try? FileManager.default.removeItem(atPath: vault) }
        #expect(try org.me.run("sync", "--vault", vault).status == 0)
        let held = try org.me.run("held", "list", "--json").stdout.split(separator: "\n").count
        #expect(held >= 1)

        /// A code for alice as the admin makes it: the code, and the id it is approved by.
        func code() throws -> (code: String, id: String) {
            let made = try org.me.run(["admin", "enroll-code", "--contributor", "alice", "--json"] + org.admin)
            let issued = try APICoding.decode(EnrolmentCodeIssued.self, from: Data(made.stdout.utf8))
            #expect(issued.awaitingApproval && issued.policyKeys.count == 1, "\(made.stdout)")
            return (issued.code, issued.id)
        }
        /// Enrols a new device (its own config folder) with `code`; the device, or nil when refused.
        func newDevice(_ code: String, refusal: String? = nil) throws -> Contributor? {
            let device = Contributor()
            let enrolled = try device.run("enroll", "--server", org.collector.url, "--code", code)
            if let refusal {
                #expect(enrolled.status != 0 && enrolled.stderr.contains(refusal), "\(enrolled.stderr)")
                #expect(!FileManager.default.fileExists(atPath: device.config.appendingPathComponent("understudy/device").path))
                return nil
            }
            #expect(enrolled.status == 0, "\(enrolled.stderr)")
            return device
        }
        func segments(of device: Contributor?) throws -> Int {
            try device?.run("held", "list", "--json").stdout.split(separator: "\n").count ?? -1
        }

        // An admin's code for someone with a device enrols nothing until approved; their sync says so.
        let unapproved = try code()
        _ = try newDevice(unapproved.code, refusal: "approval_pending")
        let synced = try org.me.run("sync", "--vault", vault)
        #expect(synced.stdout.contains("understudy held approve \(unapproved.id)"), "\(synced.stdout)")
        #expect(try org.me.run("held", "enrolments").stdout.contains(unapproved.id))

        // Approved by the contributor: it enrols, and reads nothing uploaded before it.
        #expect(try org.me.run("held", "approve", unapproved.id).status == 0)
        let second = try newDevice(unapproved.code)
        #expect(try segments(of: second) == 0)
        let secondAudit = try second?.run("held", "audit").stdout ?? ""
        #expect(!secondAudit.contains("segment_stored") && secondAudit.contains("device_enrolled"), "\(secondAudit)")

        // Approved with their history: it reads everything.
        let withHistory = try code()
        #expect(try org.me.run("held", "approve", withHistory.id, "--history").status == 0)
        #expect(try segments(of: try newDevice(withHistory.code)) == held)

        // Approved by the privacy officer instead: it enrols, without the history.
        let byOfficer = try code()
        let approved = try org.me.run(["admin", "approve-enrolment", byOfficer.id] + org.officer)
        #expect(approved.status == 0, "\(approved.stderr)")
        #expect(try segments(of: try newDevice(byOfficer.code)) == 0)
        // An admin cannot approve; a code the contributor refuses is gone.
        let refused = try code()
        #expect(try org.me.run(["admin", "approve-enrolment", refused.id] + org.admin).status != 0)
        #expect(try org.me.run("held", "refuse", refused.id).status == 0)
        _ = try newDevice(refused.code, refusal: "code_unknown")

        // Every approval is in the audit log, under the contributor.
        let audit = try org.me.run("held", "audit").stdout
        #expect(audit.components(separatedBy: "\"enrolment_code_approved\"").count == 4, "\(audit)")
        #expect(audit.contains("\"enrolment_code_refused\""))
    }

    @Test(
        "Enrolment refuses plain HTTP off this machine, and a server offering none of the policy keys given with the code: nothing is saved or trusted; with the right key it enrols"
    )
    func enrolmentChecksWhomItEnrolsWith() async throws {
        let org = try Organisation()
        let device = Contributor()
        let clear = try device.run("enroll", "--server", "http://192.0.2.1:7341", "--code", "x")
        #expect(clear.status != 0 && clear.stderr.contains("https"), "\(clear.stderr)")
        let made = try org.me.run(["admin", "enroll-code", "--contributor", "bea", "--json"] + org.admin)
        let issued = try APICoding.decode(EnrolmentCodeIssued.self, from: Data(made.stdout.utf8))
        let wrong = try device.run("enroll", "--server", org.collector.url, "--code", issued.code, "--policy-key", "00112233445566ff")
        #expect(wrong.status != 0 && wrong.stderr.contains("policy_key_mismatch"), "\(wrong.stderr)")
        let trusted = device.config.appendingPathComponent("understudy/trusted-keys")
        #expect(!FileManager.default.fileExists(atPath: device.config.appendingPathComponent("understudy/device").path))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: trusted.path)) ?? []).isEmpty)
        // The server refused before spending the code: it enrols with the right key.
        let right = try device.run(
            ["enroll", "--server", org.collector.url, "--code", issued.code] + issued.policyKeys.flatMap { ["--policy-key", $0] })
        let key = try #require(issued.policyKeys.first)
        #expect(right.status == 0 && right.stdout.contains("Trusting your organisation's policy signing key \(key)"), "\(right.stderr)")
        #expect(!right.stderr.contains("first use"))
    }

    @Test(
        "After the contributor withdraws consent, sync uploads nothing and ends their consents on the server (audited); the segments stay in the vault and go up once they consent again"
    )
    func withdrawalReachesTheServer() async throws {
        let org = try Organisation()
        try org.enrol()
        let before = try org.recordSynthetic(seconds: 1)
        let vault = try org.recordSynthetic(seconds: 1)
        defer { for folder in [before, vault] { try? FileManager.default.removeItem(atPath: folder) } }
        #expect(try org.me.run("sync", "--vault", before).status == 0, "the consent reaches the server with a first upload")
        let held = try org.me.run("held", "list", "--json").stdout.split(separator: "\n").count
        let local = try org.me.run("vault", "segments", "--vault", vault, "--json").stdout.split(separator: "\n").count
        #expect(held >= 1 && local >= 1)

        #expect(try org.me.run("consent", "withdraw").status == 0)
        let withheld = try org.me.run("sync", "--vault", vault)
        #expect(withheld.status == 0 && withheld.stdout.contains("\(local) kept here, since you withdrew consent"), "\(withheld.stdout)")
        #expect(try org.me.run("held", "list", "--json").stdout.split(separator: "\n").count == held, "nothing more uploaded")
        #expect(try org.me.run("vault", "segments", "--vault", vault, "--json").stdout.split(separator: "\n").count == local, "all kept")
        #expect(try org.me.run("held", "audit").stdout.contains("\"consent_withdrawn\""))

        #expect(try org.me.run("consent", "accept", "--policy", org.policy, "--quiet").status == 0)
        let sent = try org.me.run("sync", "--vault", vault)
        #expect(sent.status == 0 && sent.stdout.contains("Uploaded \(local) segment(s)"), "\(sent.stdout)\(sent.stderr)")
        #expect(try org.me.run("held", "list", "--json").stdout.split(separator: "\n").count == held + local)
    }

    @Test(
        "A contributor's segments stop at their quota: the upload past it is refused 507 quota_exceeded, nothing of it is stored, and sync keeps it on the device"
    )
    func contributorQuota() async throws {
        let org = try Organisation(config: "contributor_quota: 1MB\n")
        try org.enrol()
        let first = try org.recordSynthetic(seconds: 1, frames: 2, frameBytes: 262_144)
        let second = try org.recordSynthetic(seconds: 1, frames: 4, frameBytes: 262_144)
        defer { for vault in [first, second] { try? FileManager.default.removeItem(atPath: vault) } }
        #expect(try org.me.run("sync", "--vault", first).status == 0)
        let held = try org.me.run("held", "list", "--json").stdout.split(separator: "\n")
            .map { try APICoding.decode(SegmentListing.self, from: Data($0.utf8)) }
        #expect(!held.isEmpty && held.reduce(0) { $0 + $1.bytes } <= 1 << 20, "\(held.map(\.bytes))")
        let refused = try org.me.run("sync", "--vault", second, "--timeout", "5s")
        #expect(refused.status != 0 && (refused.stdout + refused.stderr).contains("quota"), "\(refused.stdout)\(refused.stderr)")
        #expect(try org.me.run("held", "list", "--json").stdout.split(separator: "\n").count == held.count, "nothing of it stored")
        #expect(!(try org.me.run("vault", "segments", "--vault", second, "--json").stdout.isEmpty), "kept on the device")
    }

    @Test(
        "A member of staff who loses a key gets a new one and the old stops working; one who leaves is removed with their sessions; the last admin cannot be removed; every command's session ends with it"
    )
    func staffLifecycle() async throws {
        let org = try Organisation()
        let rita = try org.staff("rita", role: "reviewer")
        #expect(try org.me.run(["admin", "review", "list"] + rita).status == 0)
        let file = try #require(rita.last)
        let oldKey = try String(contentsOfFile: file, encoding: .utf8)
        let replaced = try org.me.run(["admin", "new-key"] + rita)
        #expect(replaced.status == 0 && replaced.stdout.count > 20 && replaced.stderr.contains("no longer work"), "\(replaced.stderr)")
        let stale = try org.me.run(["admin", "review", "list"] + rita)
        #expect(stale.status != 0 && stale.stderr.contains("bad_credentials"), "\(stale.stderr)")
        try Data(replaced.stdout.utf8).write(to: URL(fileURLWithPath: file))
        #expect(try org.me.run(["admin", "review", "list"] + rita).status == 0, "the new key signs in")
        #expect(oldKey != replaced.stdout)
        // Another reviewer cannot change rita's key; the admin can remove her.
        let sam = try org.staff("sam", role: "reviewer")
        #expect(try org.me.run(["admin", "new-key", "rita"] + sam).status != 0)
        #expect(try org.me.run(["admin", "remove-user", "rita"] + org.admin).status == 0)
        let gone = try org.me.run(["admin", "review", "list"] + rita)
        #expect(gone.status != 0 && gone.stderr.contains("bad_credentials"), "\(gone.stderr)")
        let last = try org.me.run(["admin", "remove-user", "admin"] + org.admin)
        #expect(last.status != 0 && last.stderr.contains("last_admin"), "\(last.stderr)")
        // Each command signed in, and out: no session is left open.
        let database = org.collector.data.appendingPathComponent("collector.sqlite").path
        #expect(try Python.sqlite(database, "SELECT count(*) FROM staff_session") == "0")
        let audit = try org.me.run(["admin", "audit"] + org.officer).stdout
        #expect(audit.contains("\"key_replaced\"") && audit.contains("\"user_removed\""))
    }

    @Test(
        "A reviewer or scientist an admin makes signs in only once a privacy officer approves them; staff see segment sizes only rounded, in an order that is not the uploads', and no audit record pairs a size with a contributor"
    )
    func staffCannotLinkPseudonyms() async throws {
        let org = try Organisation()
        try org.enrol()
        var vaults: [String] = []
        defer { for vault in vaults { try? FileManager.default.removeItem(atPath: vault) } }
        for seconds in [1, 2, 1] {
            let vault = try org.recordSynthetic(seconds: seconds, frames: seconds * 3)
            vaults.append(vault)
            #expect(try org.me.run("sync", "--vault", vault).status == 0)
        }
        let made = try org.me.run(["admin", "add-user", "rita", "--role", "reviewer"] + org.admin)
        #expect(made.stderr.contains("approve-user rita"), "\(made.stderr)")
        let file = org.me.config.appendingPathComponent("rita.key")
        try Data(made.stdout.utf8).write(to: file)
        let rita = ["--server", org.collector.url, "--user", "rita", "--key-file", file.path]
        let early = try org.me.run(["admin", "review", "list"] + rita)
        #expect(early.status != 0 && early.stderr.contains("approval_pending"), "\(early.stderr)")
        #expect(try org.me.run(["admin", "approve-user", "rita"] + org.admin).status != 0, "an admin cannot approve")
        #expect(try org.me.run(["admin", "approve-user", "rita"] + org.officer).status == 0)
        #expect(try org.me.run(["admin", "users"] + org.admin).stdout.contains("rita  reviewer"))

        let listed = try org.me.run(["admin", "review", "list", "--json"] + rita).stdout.split(separator: "\n")
            .map { try APICoding.decode(ReviewListing.self, from: Data($0.utf8)) }
        let exact = try org.me.run("held", "list", "--json").stdout.split(separator: "\n")
            .map { try APICoding.decode(SegmentListing.self, from: Data($0.utf8)) }
        #expect(listed.count == exact.count && listed.count >= 3)
        for segment in listed { #expect(segment.bytes >= 65536 && segment.bytes & (segment.bytes - 1) == 0, "\(segment.bytes)") }
        #expect(Set(listed.map(\.bytes)).isDisjoint(with: exact.map(\.bytes)), "no exact size")
        #expect(listed.map(\.id) == listed.map(\.id).sorted(), "ordered by handle, which is random, not by upload")

        let audit = try org.me.run(["admin", "audit", "list"] + org.admin).stdout.split(separator: "\n")
            .map { try APICoding.decode(AuditRecordListing.self, from: Data($0.utf8)) }
        let stored = audit.filter { $0.action == "segment_stored" }
        #expect(stored.count == exact.count && stored.allSatisfy { !$0.detail.contains("bytes") }, "\(stored.map(\.detail))")
    }

    @Test(
        "Erasure destroys the contributor's data key first: afterwards no byte under the server's storage holds that key or what they typed, a tombstone and an audit record remain, and their device is refused"
    )
    func erasure() async throws {
        let org = try Organisation()
        #expect(try org.me.run("enroll", "--server", org.collector.url, "--code", try org.code(), "--name", "okapi-laptop").status == 0)
        let vault = try await org.record(typing: "okapi pangolin")
        defer { try? FileManager.default.removeItem(atPath: vault) }
        #expect(try org.me.run("sync", "--vault", vault).status == 0)
        let database = org.collector.data.appendingPathComponent("collector.sqlite").path
        let wrapped = try Python.sqlite(database, "SELECT hex(wrapped_key) FROM contributor WHERE id = 'alice'")
        #expect(wrapped.count == 2 * 60, "a wrapped 32-byte key (nonce, key, tag): \(wrapped)")
        #expect(try !org.me.run("held", "list").stdout.isEmpty)

        let refusedWithoutYes = try org.me.run("held", "erase")
        #expect(refusedWithoutYes.status != 0 && refusedWithoutYes.stderr.contains("--yes"))
        let erased = try org.me.run("held", "erase", "--yes")
        #expect(
            erased.status == 0 && erased.stdout.contains("Erased: 1 segment(s)") || erased.stdout.contains("segment(s) deleted"),
            "\(erased.stdout)\(erased.stderr)")

        let key = Data(hexString: wrapped)
        for (path, bytes) in try org.collector.storedBytes() {
            #expect(bytes.range(of: key) == nil, "the destroyed data key is still in \(path)")
            #expect(bytes.range(of: Data("pangolin".utf8)) == nil, "plaintext in \(path)")
        }
        #expect(try Python.sqlite(database, "SELECT count(*) FROM segment") == "0")
        #expect(try Python.sqlite(database, "SELECT wrapped_key IS NULL AND erased_at IS NOT NULL FROM contributor WHERE id = 'alice'") == "1")
        #expect(try Python.sqlite(database, "SELECT group_concat(name, '|') FROM device WHERE contributor = 'alice'") == "", "device names forgotten")
        let audit = try org.me.run(["admin", "audit"] + org.officer).stdout
        #expect(audit.contains("\"contributor_erased\""))
        let after = try org.me.run("held", "list")
        #expect(after.status != 0 && after.stderr.contains("device_revoked"), "\(after.stderr)")
        // A new enrolment for an erased contributor does not bring a new key.
        let again = try org.me.run("enroll", "--server", org.collector.url, "--code", try org.code())
        #expect(again.status != 0 && again.stderr.contains("erased"), "\(again.stderr)")
        #expect(org.collector.stop() == 0)
    }

    @Test(
        "The first admin's key is never kept in the data folder: printed once without --admin-key-file, refused inside it, and a DATA/admin.key left by an older version is removed at the first admin sign-in"
    )
    func bootstrapKeyNotInData() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-bootstrap-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let data = base.appendingPathComponent("data")
        var environment = ProcessInfo.processInfo.environment
        environment["UNDERSTUDY_KEK_FILE"] = base.appendingPathComponent("server.kek").path
        environment["XDG_CONFIG_HOME"] = base.appendingPathComponent("config").path
        let refused = try Understudy.run(
            "serve", "--port", "0", "--data", data.path, "--admin-key-file", data.appendingPathComponent("admin.key").path, environment: environment)
        #expect(refused.status != 0 && refused.stderr.contains("inside the data folder"), "\(refused.stdout)\(refused.stderr)")

        let server = try CollectorProcess(executable: Understudy.binary, arguments: ["--port", "0", "--data", data.path], environment: environment)
        defer { server.stop() }
        let line = server.printed.split(separator: "\n").first { $0.contains("shown only this once: ") }
        let key = String(line?.split(separator: " ").last ?? "")
        #expect(key.count >= 40, "\(server.printed)")
        let files = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        for file in files where (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            #expect(try Data(contentsOf: file).range(of: Data(key.utf8)) == nil, "the admin key is kept in \(file.path)")
        }
        // A key file an older version left in the data folder goes at the first admin sign-in.
        let legacy = data.appendingPathComponent("admin.key")
        try Data((key + "\n").utf8).write(to: legacy)
        let keyFile = base.appendingPathComponent("admin.key")
        try Data((key + "\n").utf8).write(to: keyFile)
        let devices = try Understudy.run("admin", "devices", "--server", server.url, "--key-file", keyFile.path, environment: environment)
        #expect(devices.status == 0, "\(devices.stderr)")
        #expect(!FileManager.default.fileExists(atPath: legacy.path))
    }

    @Test(
        "A contributor deletes one of their segments from the collector: held list no longer has it, its blob is gone from the server's disk, and the audit log says segment_deleted; an id not theirs is refused with one line and deletes nothing"
    )
    func contributorDeletesASegmentThere() async throws {
        let org = try Organisation()
        try org.enrol()
        let vault = try org.recordSynthetic(seconds: 1)
        _ = try org.recordSynthetic(seconds: 1, into: vault)
        defer { try? FileManager.default.removeItem(atPath: vault) }
        #expect(try org.me.run("sync", "--vault", vault).status == 0)
        func held() throws -> [String] {
            try org.me.run("held", "list", "--json").stdout.split(separator: "\n").compactMap {
                try? JSONValue.parse(Data($0.utf8))["id"]?.stringValue
            }
        }
        func blobs() throws -> Int { try org.collector.blobFiles().count }
        let before = try held()
        let blobsBefore = try blobs()
        #expect(before.count >= 2 && blobsBefore == before.count, "\(before) \(blobsBefore)")

        let stranger = try org.me.run("held", "delete", UUID().uuidString.lowercased())
        #expect(
            stranger.status != 0 && stranger.stderr.split(separator: "\n").count == 1 && stranger.stderr.contains("does not exist"),
            "\(stranger.stderr)")
        #expect(try held() == before)

        let deleted = try org.me.run("held", "delete", before[0])
        #expect(deleted.status == 0 && deleted.stdout.contains("Deleted segment \(before[0])"), "\(deleted.stderr)")
        #expect(try held() == Array(before.dropFirst()))
        #expect(try blobs() == blobsBefore - 1)
        let audit = try org.me.run("held", "audit").stdout
        #expect(audit.contains("\"segment_deleted\"") && audit.contains(before[0]), "\(audit.suffix(600))")
    }

    @Test("Rotating the key-encryption key rewraps every data key: with the new key the contributor's data opens, with the old one it no longer does")
    func keyRotation() async throws {
        let org = try Organisation()
        try org.enrol()
        let vault = try org.recordSynthetic(seconds: 1)
        defer { try? FileManager.default.removeItem(atPath: vault) }
        #expect(try org.me.run("sync", "--vault", vault).status == 0)
        #expect(org.collector.stop() == 0)

        let base = org.collector.data.deletingLastPathComponent()
        let old = base.appendingPathComponent("old.kek")
        let new = base.appendingPathComponent("new.kek")
        try FileManager.default.copyItem(at: org.collector.kek, to: old)
        let rotated = try org.me.run(
            "rotate-kek", "--data", org.collector.data.path, "--kek-file", org.collector.kek.path, "--new-kek-file", new.path)
        #expect(rotated.status == 0 && rotated.stdout.contains("Rewrapped 1 data key"), "\(rotated.stdout)\(rotated.stderr)")

        // The collector with the new key (in place of the old): the data opens.
        try FileManager.default.removeItem(at: org.collector.kek)
        try FileManager.default.copyItem(at: new, to: org.collector.kek)
        let restarted = try RunningCollector(restarting: org.collector)
        let downloads = org.me.config.appendingPathComponent("downloads")
        #expect(try org.me.run("held", "download", "--out", downloads.path).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: downloads.path).count == 1)
        _ = restarted.stop()

        // With the old key, nothing opens any more.
        try FileManager.default.removeItem(at: org.collector.kek)
        try FileManager.default.copyItem(at: old, to: org.collector.kek)
        let stale = try RunningCollector(restarting: org.collector)
        #expect(try org.me.run("held", "download", "--out", downloads.path + "-old").status != 0)
        _ = stale.stop()
    }

    @Test(
        "An exemption request goes out on sync; the privacy officer's approval comes back on the next sync as an exemption, a denial as a message; both audited; an approved period away from all capture stops capture within it"
    )
    func exemptionRequests() async throws {
        let org = try Organisation()
        try org.enrol()
        let asked = try org.me.run("exempt", "request", "--app", "Gimp", "--reason", "personal photos")
        #expect(asked.status == 0, "\(asked.stderr)")
        #expect(try org.me.run("exempt", "request", "--app", "XCalc", "--reason", "bank sums").status == 0)
        #expect(try org.me.run("exempt", "add", "--all").status != 0, "time away from all capture is not a personal exemption")
        #expect(try org.me.run("exempt", "request", "--all", "--reason", "leave").status != 0, "it is for a period")
        #expect(try org.me.run("exempt", "request", "--all", "--until", "2h", "--reason", "medical leave").status == 0)
        let vault = try org.recordSynthetic(seconds: 1)
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let first = try org.me.run("sync", "--vault", vault)
        #expect(first.status == 0 && first.stdout.contains("Sent 3 exemption request(s)"), "\(first.stdout)\(first.stderr)")

        let pending = try org.me.run(["admin", "exemptions"] + org.officer).stdout.split(separator: "\n")
        #expect(pending.count == 3 && pending.contains { $0.contains(" all * until ") }, "\(pending)")
        func id(of app: String) -> String { pending.first { $0.contains(app) }.map { String($0.split(separator: " ")[1]) } ?? "" }
        #expect(try org.me.run(["admin", "exemptions", "approve", "alice", id(of: "Gimp"), "--note", "fine"] + org.officer).status == 0)
        #expect(try org.me.run(["admin", "exemptions", "deny", "alice", id(of: "XCalc")] + org.officer).status == 0)
        #expect(try org.me.run(["admin", "exemptions", "approve", "alice", id(of: " all ")] + org.officer).status == 0)
        #expect(try org.me.run(["admin", "exemptions", "approve", "alice", id(of: "XCalc")] + org.officer).status != 0, "decided once")

        let second = try org.me.run("sync", "--vault", vault)
        #expect(
            second.stdout.contains("approved exempting app Gimp (fine)") && second.stdout.contains("denied exempting app XCalc"), "\(second.stdout)")
        let listed = try org.me.run("exempt", "list").stdout
        #expect(listed.contains("org-") && listed.contains("Gimp") && !listed.contains("request "), "\(listed)")
        let audit = try org.me.run("held", "audit").stdout
        #expect(audit.contains("\"exemption_requested\"") && audit.contains("\"exemption_decided\""))

        // The approved period is in force: a recording now stores no input, only a gap.
        #expect(second.stdout.contains("approved exempting all capture from now until "), "\(second.stdout)")
        let away = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: away) }
        #expect(try org.me.run(["record", "--vault", away, "--policy", org.policy, "--for", "1s", "--synthetic-events", "200"]).status == 0)
        let kinds = try logEvents(org.me, away).map(\.kind)
        #expect(kinds.contains("gap") && !kinds.contains { $0.hasPrefix("key.") || $0.hasPrefix("pointer.") }, "\(Set(kinds))")
    }

    @Test("Segments older than their policy's retention are erased by the sweeper and audited")
    func retention() async throws {
        let org = try Organisation(policyExtra: "review-window: 0s\nretention: 3s", config: "sweep_interval: 1s\n")
        try org.enrol()
        let vault = try org.recordSynthetic(seconds: 1)
        defer { try? FileManager.default.removeItem(atPath: vault) }
        #expect(try org.me.run("sync", "--vault", vault).status == 0)
        #expect(try !org.me.run("held", "list").stdout.isEmpty)
        var listed = "?"
        for _ in 0..<20 where !listed.isEmpty {
            try await Task.sleep(for: .milliseconds(500))
            listed = try org.me.run("held", "list").stdout
        }
        #expect(listed.isEmpty, "still held after 10 s: \(listed)")
        #expect(try org.me.run("held", "audit").stdout.contains("\"retention_erased\""))
        #expect(try org.collector.blobFiles().isEmpty)
    }

    @Test(
        "GET /metrics gives an admin Prometheus text that Prometheus' own parser reads: requests by route and status with their latency, bytes ingested, segments stored, audit records, sweeper runs; anyone else is refused"
    )
    func metrics() async throws {
        let org = try Organisation(policyExtra: "review-window: 0s", config: "sweep_interval: 1s\n")
        try org.enrol()
        let vault = try org.recordSynthetic(seconds: 1)
        defer { try? FileManager.default.removeItem(atPath: vault) }
        #expect(try org.me.run("sync", "--vault", vault).status == 0)
        try await Task.sleep(for: .milliseconds(1500))  // a sweep or two
        let url = URL(string: org.collector.url + "/metrics")!
        let (_, anonymous) = try await URLSession.shared.data(from: url)
        #expect((anonymous as? HTTPURLResponse)?.statusCode == 401)

        var login = URLRequest(url: URL(string: org.collector.url + "/v1/login")!)
        login.httpMethod = "POST"
        login.httpBody = try APICoding.encode(
            LoginRequest(
                user: "admin",
                key: String(contentsOfFile: org.collector.adminKey, encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)))
        let token = try APICoding.decode(LoginResponse.self, from: try await URLSession.shared.data(for: login).0).token
        var scrape = URLRequest(url: url)
        scrape.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (body, answer) = try await URLSession.shared.data(for: scrape)
        #expect((answer as? HTTPURLResponse)?.statusCode == 200)
        #expect((answer as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type")?.hasPrefix("text/plain") == true)

        // Every family, its type, and the labels of the samples, as Prometheus reads them.
        let parsed = try Python.run(
            """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            families = {f.name: {"type": f.type, "samples": [[s.name, s.labels, s.value] for s in f.samples]}
                        for f in text_string_to_metric_families(open(sys.argv[1]).read())}
            print(json.dumps(families))
            """, [try write(body)])
        func family(_ name: String) -> JSONValue? { parsed[name] }
        #expect(family("understudy_http_requests")?["type"]?.stringValue == "counter", "\(parsed.serialized.prefix(2000))")
        let requests = family("understudy_http_requests")?["samples"]?.arrayValue ?? []
        let uploads = requests.filter {
            $0.arrayValue?[1]["route"]?.stringValue == "/v1/segments/{id}" && $0.arrayValue?[1]["status"]?.stringValue == "201"
        }
        #expect(uploads.count == 1 && (uploads.first?.arrayValue?[2].doubleValue ?? 0) >= 1, "an upload counted under its route pattern")
        #expect(!requests.contains { ($0.arrayValue?[1]["route"]?.stringValue ?? "").contains("dev-") }, "no device or segment id in a label")
        #expect(family("understudy_http_request_duration_seconds")?["type"]?.stringValue == "histogram")
        #expect(family("understudy_collector_bytes_ingested")?["samples"]?.arrayValue?.first?.arrayValue?[2].doubleValue ?? 0 > 1000)
        #expect(family("understudy_collector_segments_stored")?["samples"]?.arrayValue?.first?.arrayValue?[2].doubleValue ?? 0 >= 1)
        #expect(family("understudy_collector_audit_records")?["type"]?.stringValue == "counter")
        #expect(family("understudy_collector_sweeper_runs")?["samples"]?.arrayValue?.first?.arrayValue?[2].doubleValue ?? 0 >= 1)
        // No one is named in metrics: neither the contributor nor their device.
        let text = String(decoding: body, as: UTF8.self)
        #expect(!text.contains("alice") && !text.contains("dev-"), "\(text.prefix(2000))")
    }

    /// `data` in a temporary file; returns its path.
    private func write(_ data: Data) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-metrics-\(UUID().uuidString).txt")
        try data.write(to: file)
        return file.path
    }

    @Test(
        "With TLS configured the collector speaks only HTTPS: a device trusting the organisation's CA enrols and syncs over it, one that does not is refused, plain HTTP to it gets nowhere; plain HTTP off loopback is refused unless allowed"
    )
    func tls() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cert = folder.appendingPathComponent("cert.pem").path
        let key = folder.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=collector.test", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert,
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0, "openssl could not make a certificate")

        let org = try Organisation(config: "tls: {certificate: \(cert), key: \(key)}\n", environment: ["UNDERSTUDY_CA_FILE": cert])
        #expect(org.collector.url.hasPrefix("https://127.0.0.1:"), "\(org.collector.url)")
        try org.enrol()
        let vault = try org.recordSynthetic(seconds: 1)
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let synced = try org.me.run("sync", "--vault", vault)
        #expect(synced.status == 0 && synced.stdout.contains("Uploaded 1 segment"), "\(synced.stdout)\(synced.stderr)")
        #expect(try !org.me.run("held", "list").stdout.isEmpty)

        // A device that does not trust the certificate, and plain HTTP to the HTTPS port, get nowhere.
        var stranger = org.me
        stranger.extraEnvironment = [:]
        let untrusted = try stranger.run("held", "list")
        #expect(untrusted.status != 0 && untrusted.stderr.contains("cannot reach the server"), "\(untrusted.stderr)")
        let plain = try stranger.run(
            "enroll", "--server", org.collector.url.replacingOccurrences(of: "https://", with: "http://"), "--code", try org.code(for: "bob"))
        #expect(plain.status != 0, "\(plain.stdout)")
        // TLS 1.0 and 1.1 are refused (offered with the client's security level lowered, so
        // only the server can be the one refusing); 1.2 is taken.
        func handshake(_ version: String) throws -> Int32 {
            let client = Process()
            client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            client.arguments = [
                "openssl", "s_client", "-connect", "127.0.0.1:\(org.collector.port)", version, "-cipher", "DEFAULT@SECLEVEL=0",
            ]
            client.standardInput = FileHandle.nullDevice
            client.standardOutput = FileHandle.nullDevice
            client.standardError = FileHandle.nullDevice
            try client.run()
            client.waitUntilExit()
            return client.terminationStatus
        }
        #expect(try handshake("-tls1") != 0 && handshake("-tls1_1") != 0, "an old TLS version was accepted")
        #expect(try handshake("-tls1_2") == 0)

        // Off loopback, plain HTTP is refused at start, unless the config allows it.
        let data = folder.appendingPathComponent("open").path
        let refused = try org.me.run("serve", "--host", "0.0.0.0", "--port", "0", "--data", data)
        #expect(refused.status != 0 && refused.stderr.contains("refusing plain HTTP on 0.0.0.0"), "\(refused.stderr)")
        let allowed = try RunningCollector(config: "host: 0.0.0.0\nallow_insecure_http: true\n")
        #expect(allowed.url.hasPrefix("http://0.0.0.0:") && allowed.stop() == 0)
    }

    @Test(
        "Enrolment trusts the organisation's policy key; a narrower policy published later applies on the device after sync without asking, and the server takes segments under it on the earlier consent; a wider one waits for consent"
    )
    func narrowerPolicyApplies() async throws {
        let org = try Organisation()
        let enrolled = try org.me.run("enroll", "--server", org.collector.url, "--code", try org.code())
        #expect(
            enrolled.status == 0 && enrolled.stdout.contains("Trusting your organisation's policy signing key"),
            "\(enrolled.stdout)\(enrolled.stderr)")
        let folder = URL(fileURLWithPath: org.policy).deletingLastPathComponent()
        func publish(_ name: String, rules: String, version: Int) throws -> String {
            let file = folder.appendingPathComponent(name).path
            let text = policyText(rules: rules, extra: "review-window: 0s").replacingOccurrences(of: "version: 1", with: "version: \(version)")
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            #expect(try org.me.run("policy", "sign", "--key", folder.appendingPathComponent("org.key").path, file).status == 0)
            let published = try org.me.run(["admin", "publish-policy", file] + org.officer)
            #expect(published.status == 0, "\(published.stderr)")
            return try Data(contentsOf: URL(fileURLWithPath: file)).sha256Hex
        }
        let first = try Data(contentsOf: URL(fileURLWithPath: org.policy)).sha256Hex

        // Version 2 excludes one more app: narrower. Sync says it applies; recording without --policy runs under it.
        let narrower = try publish("v2.yaml", rules: "  - app: NoSuchApp\n    action: exclude\n  - app: OtherApp\n    action: exclude", version: 2)
        let before = try org.recordSynthetic(seconds: 1)
        defer { try? FileManager.default.removeItem(atPath: before) }
        let synced = try org.me.run("sync", "--vault", before)
        #expect(synced.status == 0 && synced.stdout.contains("only narrows what you consented to"), "\(synced.stdout)\(synced.stderr)")
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let recorded = try org.me.run("record", "--vault", vault, "--for", "1s", "--synthetic-events", "20")
        #expect(recorded.status == 0, "recording under the narrower policy needs no new consent: \(recorded.stderr)")
        let uploaded = try org.me.run("sync", "--vault", vault)
        #expect(uploaded.status == 0 && uploaded.stdout.contains("Uploaded 1 segment"), "\(uploaded.stdout)\(uploaded.stderr)")
        let stored = try org.me.run("held", "audit").stdout.split(separator: "\n").filter { $0.contains("\"segment_stored\"") }
        #expect(stored.contains { $0.contains(narrower) && $0.contains("\\\"consent\\\":\\\"\(first)") }, "\(stored)")

        // Version 3 drops a rule: wider. Sync says so, and recording waits for consent.
        _ = try publish("v3.yaml", rules: "  - app: OtherApp\n    action: exclude", version: 3)
        let wider = try org.me.run("sync", "--vault", vault)
        #expect(wider.status == 0 && wider.stdout.contains("needs your consent") && wider.stdout.contains("NoSuchApp"), "\(wider.stdout)")
        let refused = try org.me.run("record", "--vault", vault, "--for", "1s", "--synthetic-events", "20")
        #expect(refused.status != 0 && refused.stderr.contains("consent is needed"), "\(refused.stderr)")
    }

    @Test(
        "A reviewer sees steps only under a pseudonym and judges one bad; a scientist's export from the collector names no contributor, holds the steps reviewed, then leaves out the episode judged bad; the contributor sees both in their audit records"
    )
    func reviewAndScientistExport() async throws {
        let org = try Organisation()
        try org.enrol()
        let vault = try await org.record(typing: "zebra quokka")
        defer { try? FileManager.default.removeItem(atPath: vault) }
        #expect(try org.me.run("sync", "--vault", vault).status == 0)
        let rita = try org.staff("rita", role: "reviewer")
        let sam = try org.staff("sam", role: "scientist")

        // The reviewer's list names the contributor by pseudonym only.
        let listed = try org.me.run(["admin", "review", "list", "--json"] + rita)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(!listed.stdout.contains("alice"), "\(listed.stdout)")
        let segments = listed.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
        let pseudonym = segments.first?["contributor"]?.stringValue ?? ""
        #expect(pseudonym.hasPrefix("p-") && Set(segments.compactMap { $0["contributor"]?.stringValue }) == [pseudonym])
        let segment = try #require(segments.first(where: { $0["bytes"]?.intValue ?? 0 > 0 })?["id"]?.stringValue)
        // Segments go by a handle of their own: the ids the contributor (and the audit log) know stay out of staff's sight.
        let ids = try org.me.run("held", "list", "--json").stdout.split(separator: "\n").compactMap {
            try? JSONValue.parse(Data($0.utf8))["id"]?.stringValue
        }
        #expect(!ids.isEmpty && Set(ids).isDisjoint(with: segments.compactMap { $0["id"]?.stringValue }), "\(ids)")

        // Opening a segment lists its steps by t_ns and writes pages showing them.
        let pages = org.me.config.appendingPathComponent("review-pages")
        let opened = try org.me.run(["admin", "review", "open", segment, "--json", "--out", pages.path] + rita)
        #expect(opened.status == 0, "\(opened.stderr)")
        let steps = opened.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
        #expect(steps.contains { $0["action"]?.stringValue == "type" }, "\(opened.stdout)")
        #expect(FileManager.default.fileExists(atPath: pages.appendingPathComponent("index.html").path))
        let typed = try #require(steps.first { $0["action"]?.stringValue == "type" }?["t_ns"]?.intValue)

        // The scientist's export holds the steps, under the pseudonym, and no contributor id anywhere.
        let first = org.me.config.appendingPathComponent("export-1")
        let exported = try org.me.run(["export", "--format", "jsonl", "--out", first.path, "--json"] + sam)
        #expect(exported.status == 0, "\(exported.stderr)")
        let manifest = try JSONValue.parse(Data(contentsOf: first.appendingPathComponent("manifest.json")))
        #expect(manifest["vault"]?.stringValue == org.collector.url)
        #expect(manifest["sessions"]?.arrayValue?.first?["contributor"]?.stringValue == pseudonym)
        #expect(manifest["consents"]?.arrayValue?.count == 1, "the consent each session ran under")
        let files = FileManager.default.enumerator(at: first, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        var stepLines = ""
        for file in files where !file.hasDirectoryPath {
            let bytes = try Data(contentsOf: file)
            #expect(bytes.range(of: Data("alice".utf8)) == nil, "the contributor's id is in \(file.path)")
            if file.lastPathComponent == "steps.jsonl" { stepLines += String(decoding: bytes, as: UTF8.self) }
        }
        #expect(stepLines.contains("\"t_ns\":\(typed)"), "the export names steps as review does")

        // The collector keeps what the export holds, under the pseudonym, and the console lists it.
        let console = try ConsoleSignIn(org, user: "sam", keyFile: try #require(sam.last))
        let exports = try console.get("/console/datasets")
        let export = try #require(exports.firstMatch(of: #/href="/console/datasets/exports/(x-[0-9a-f]+)"/#).map { String($0.1) }, "\(exports)")
        #expect(exports.contains("<td class=\"\">nothing</td>"), "nothing to act on before an erasure")
        let exportPage = try console.get("/console/datasets/exports/\(export)")
        #expect(exportPage.contains("No contributor in this export has been erased"), "\(exportPage)")
        #expect(exportPage.contains(pseudonym) && !exportPage.contains("alice"), "the manifest names the pseudonym only")

        // Every time in the export is moved back by one offset (a year or more): the steps keep
        // their spacing, but not when the contributor worked.
        var realWall: [Int64: Date] = [:]
        for line in try org.downloadedEvents() {
            let event = try JSONValue.parse(Data(line.utf8))
            if let t = event["t_ns"]?.intValue, let wall = event["wall"]?.stringValue.flatMap(RFC3339.date(from:)) { realWall[t] = wall }
        }
        let offsets = stepLines.split(separator: "\n").compactMap { line -> Double? in
            guard let step = try? JSONValue.parse(Data(line.utf8)), let t = step["t_ns"]?.intValue,
                let wall = step["wall"]?.stringValue.flatMap(RFC3339.date(from:)), let real = realWall[t]
            else { return nil }
            return real.timeIntervalSince(wall)
        }
        #expect(!offsets.isEmpty && (offsets.min() ?? 0) >= 365 * 86_400 && (offsets.max() ?? 0) - (offsets.min() ?? 0) < 2, "\(offsets)")
        let started = manifest["sessions"]?.arrayValue?.first?["started"]?.stringValue.flatMap(RFC3339.date(from:)) ?? WallClock.system.now()
        #expect(started < WallClock.system.now().addingTimeInterval(-365 * 86_400), "the session's start is moved too: \(started)")

        // A bad verdict on that step leaves its episode out of the next export.
        let judged = try org.me.run(["admin", "review", "judge", segment, "--bad", "\(typed)", "--reason", "wrong_action"] + rita)
        #expect(judged.status == 0 && judged.stdout.contains("Recorded 1 verdict"), "\(judged.stderr)")
        #expect(try org.me.run(["admin", "review", "list", "--json"] + rita).stdout.contains("\"steps_bad\":1"))
        let second = try org.me.run(["export", "--format", "jsonl", "--out", org.me.config.appendingPathComponent("export-2").path] + sam)
        #expect(second.status != 0 && second.stderr.contains("a reviewer judged a step bad"), "\(second.stdout)\(second.stderr)")

        // Roles stay apart, and the contributor reads what happened to their data.
        #expect(try org.me.run(["admin", "review", "list"] + sam).status != 0, "a scientist does not review")
        let rejected = try org.me.run(["export", "--format", "jsonl", "--out", org.me.config.appendingPathComponent("export-3").path] + rita)
        #expect(rejected.status != 0 && rejected.stderr.contains("forbidden"), "a reviewer does not export: \(rejected.stderr)")
        let audit = try org.me.run("held", "audit").stdout
        for action in ["segment_reviewed", "steps_reviewed", "segment_exported"] {
            #expect(audit.contains("\"\(action)\""), "\(action) is not in \(audit)")
        }

        // Once the contributor is erased, the scientist learns which of their exports hold the data.
        #expect(try org.me.run(["admin", "erasures", "--check", first.path] + sam).status == 0, "nobody is erased yet")
        #expect(try org.me.run(["admin", "erase", "alice"] + org.officer).status == 0)
        let erased = try org.me.run(["admin", "erasures"] + sam)
        #expect(erased.status == 0 && erased.stdout.hasPrefix(pseudonym + "  erased "), "\(erased.stdout)\(erased.stderr)")
        let check = try org.me.run(["admin", "erasures", "--check", first.path] + sam)
        #expect(check.status == 1 && check.stdout.contains("holds data of erased contributor(s) \(pseudonym)"), "\(check.stdout)\(check.stderr)")
        // The console says the same of the export it registered, and which sessions to delete.
        #expect(try console.get("/console/datasets").contains("<td class=\"act\">delete 1 erased contributor(s)</td>"))
        let act = try console.get("/console/datasets/exports/\(export)")
        #expect(act.contains("<li>\(pseudonym) (erased on "), "\(act)")
    }
}

extension Python {
    /// One value of a query on an SQLite file, through Python's sqlite3.
    static func sqlite(_ path: String, _ query: String) throws -> String {
        let process = Process()
        let out = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c", "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])", path, query,
        ]
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension Data {
    init(hexString: String) {
        var bytes: [UInt8] = []
        var index = hexString.startIndex
        while let next = hexString.index(index, offsetBy: 2, limitedBy: hexString.endIndex), index < hexString.endIndex {
            bytes.append(UInt8(hexString[index..<next], radix: 16) ?? 0)
            index = next
        }
        self.init(bytes)
    }
}
