import CollectorAPI
import Foundation
import Sync
import TestSupport
import Testing
import UnderstudyModel
import Yams

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The collector's OpenAPI document, as it serves it: every answer a test gets is checked to
/// be one it documents, with the fields it requires.
struct OpenAPIContract {
    let paths: [String: Any]
    let components: [String: Any]

    init(server: String) async throws {
        let (data, _) = try await URLSession.shared.data(from: URL(string: server + "/openapi.yaml")!)
        let document = try Yams.load(yaml: String(decoding: data, as: UTF8.self)) as? [String: Any] ?? [:]
        #expect(document["openapi"] as? String == "3.1.0")
        paths = document["paths"] as? [String: Any] ?? [:]
        components = document["components"] as? [String: Any] ?? [:]
    }

    /// Checks that `status` is documented for `method path` (a template such as
    /// `/v1/segments/{id}`), and that a JSON body has the fields its schema requires.
    func check(_ method: String, _ path: String, _ status: Int, _ body: Data) {
        guard let operation = (paths[path] as? [String: Any])?[method.lowercased()] as? [String: Any] else {
            Issue.record("\(method) \(path) is not in the OpenAPI document")
            return
        }
        guard var response = (operation["responses"] as? [String: Any])?[String(status)] as? [String: Any] else {
            Issue.record("\(method) \(path) answered \(status), which the OpenAPI document does not list")
            return
        }
        if let ref = response["$ref"] as? String { response = resolve(ref) }
        guard var schema = ((response["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any] else {
            return
        }
        if let ref = schema["$ref"] as? String { schema = resolve(ref) }
        guard let json = try? JSONValue.parse(body) else {
            Issue.record("\(method) \(path) \(status): the body is not JSON")
            return
        }
        let object = schema["type"] as? String == "array" ? json.arrayValue?.first : json
        guard let object else { return }
        for field in schema["required"] as? [String]
            ?? (((schema["items"] as? [String: Any]).map { items in
                (items["$ref"] as? String).map { resolve($0)["required"] as? [String] ?? [] } ?? items["required"] as? [String] ?? []
            }) ?? []) where object[field] == nil
        {
            Issue.record("\(method) \(path) \(status): the required field '\(field)' is missing in \(String(decoding: body, as: UTF8.self))")
        }
    }

    private func resolve(_ ref: String) -> [String: Any] {
        var node: Any = ["components": components]
        for part in ref.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] ?? [:] }
        return node as? [String: Any] ?? [:]
    }
}

/// Raw HTTP requests, to send what the command line never would.
struct RawClient {
    let server: String
    let contract: OpenAPIContract

    struct Answer {
        var status: Int
        var body: Data
        var retryAfter: String?
        var code: String? { (try? APICoding.decode(ErrorBody.self, from: body))?.code }
    }

    /// Sends a request; `template` names its path in the OpenAPI document.
    @discardableResult
    func send(_ method: String, _ path: String, template: String? = nil, body: Data = Data(), headers: [(String, String)] = []) async throws -> Answer
    {
        var request = URLRequest(url: URL(string: server + path)!)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if !body.isEmpty { request.httpBody = body }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        contract.check(method, template ?? path, status, data)
        return Answer(status: status, body: data, retryAfter: (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Retry-After"))
    }

    /// Signs a member of staff in; the header their requests carry.
    func login(_ user: String, key: String) async throws -> [(String, String)] {
        let answer = try await send("POST", "/v1/login", body: Data("{\"user\":\"\(user)\",\"key\":\"\(key)\"}".utf8))
        return [("Authorization", "Bearer \(try APICoding.decode(LoginResponse.self, from: answer.body).token)")]
    }

    /// The signature headers of this device for a request.
    static func signed(_ credential: DeviceCredential, _ method: String, _ path: String, body: Data) throws -> [(String, String)] {
        try credential.headers(method: method, target: path, contentSHA256: body.sha256Hex, now: WallClock.system.now())
    }
}

extension Data {
    var sha256Hex: String {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum"]
        process.standardInput = input
        process.standardOutput = output
        try? process.run()
        input.fileHandleForWriting.write(self)
        try? input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return String(text.prefix(64))
    }
}

@Suite("The collector under bad input and faults", .serialized)
struct CollectorFaultTests {
    @Test(
        "Malformed JSON, a wrong content hash, an oversized body, an unknown segment, a replayed request, an expired code, a bad signature: each gets its documented 4xx and JSON error, never a 5xx"
    )
    func badInput() async throws {
        let org = try Organisation(config: "max_segment_size: 1MB\nenrolment_code_lifetime: 1s\n")
        try org.enrol()
        let raw = RawClient(server: org.collector.url, contract: try await OpenAPIContract(server: org.collector.url))
        let credential = try DeviceCredential.load(from: org.me.config.appendingPathComponent("understudy/device"))
        let key = try String(contentsOfFile: org.collector.adminKey, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let staff = try await raw.login("admin", key: key)

        // Malformed JSON, and a body over the JSON limit.
        #expect(try await raw.send("POST", "/v1/enrolment-codes", body: Data("{not json".utf8), headers: staff).code == "bad_request")
        #expect(try await raw.send("POST", "/v1/login", body: Data(repeating: 0x20, count: 70_000)).status == 413)
        #expect(try await raw.send("POST", "/v1/login", body: Data("{\"user\":\"admin\",\"key\":\"wrong\"}".utf8)).code == "bad_credentials")
        #expect(try await raw.send("GET", "/v1/devices").code == "unauthenticated")
        #expect(try await raw.send("GET", "/v1/devices", headers: [("Authorization", "Bearer nosuchtoken")]).code == "session_expired")

        // A consent, so uploads under the policy get as far as their body.
        let policy = try JSONValue.parse(try await raw.send("GET", "/v1/policies", headers: staff).body).arrayValue?.first?["hash"]?.stringValue ?? ""
        let consent = Data("{\"policy_hash\":\"\(policy)\",\"accepted_at\":\"2026-11-23T00:00:00.000Z\"}".utf8)
        #expect(
            try await raw.send("POST", "/v1/consents", body: consent, headers: RawClient.signed(credential, "POST", "/v1/consents", body: consent))
                .status == 200)

        // A body other than the one whose hash was signed.
        let signedBody = TestBundle.make(note: "signed")
        let sentBody = TestBundle.make(note: "sent")
        var headers = try RawClient.signed(credential, "PUT", "/v1/segments/00aa", body: signedBody) + [("X-Understudy-Policy", policy)]
        #expect(
            try await raw.send("PUT", "/v1/segments/00aa", template: "/v1/segments/{id}", body: sentBody, headers: headers).code == "hash_mismatch")
        // Too big for max_segment_size.
        let big = TestBundle.make(padding: 1_200_000)
        headers = try RawClient.signed(credential, "PUT", "/v1/segments/00bb", body: big) + [("X-Understudy-Policy", policy)]
        #expect(try await raw.send("PUT", "/v1/segments/00bb", template: "/v1/segments/{id}", body: big, headers: headers).status == 413)
        // Under a policy the organisation never published.
        let small = Data("small".utf8)
        headers =
            try RawClient.signed(credential, "PUT", "/v1/segments/00cc", body: small) + [("X-Understudy-Policy", String(repeating: "ab", count: 32))]
        #expect(try await raw.send("PUT", "/v1/segments/00cc", template: "/v1/segments/{id}", body: small, headers: headers).code == "policy_unknown")
        // Nothing of those was stored.
        let mine = try RawClient.signed(credential, "GET", "/v1/me/segments", body: Data())
        #expect(try await raw.send("GET", "/v1/me/segments", headers: mine).body == Data("[]\n".utf8))

        // What is not a well-formed bundle is refused before anything is stored: junk, and a tar whose
        // first member's size is "-1" (it used to trap the server's tar reader on every staff read).
        let junk = Data("not a tar file".utf8)
        let crafted = TestBundle.withSize("-1", in: TestBundle.make())
        for (n, body) in [junk, crafted].enumerated() {
            headers = try RawClient.signed(credential, "PUT", "/v1/segments/00d\(n)", body: body) + [("X-Understudy-Policy", policy)]
            let refused = try await raw.send("PUT", "/v1/segments/00d\(n)", template: "/v1/segments/{id}", body: body, headers: headers)
            #expect(refused.status == 422 && refused.code == "not_a_bundle", "\(refused.status) \(refused.code ?? "")")
        }
        #expect(
            try await raw.send("GET", "/v1/me/segments", headers: RawClient.signed(credential, "GET", "/v1/me/segments", body: Data())).body
                == Data("[]\n".utf8))
        let blobs = org.collector.data.appendingPathComponent("blobs")
        #expect(try FileManager.default.subpathsOfDirectory(atPath: blobs.path).filter { $0 != "tmp" }.isEmpty, "no blob, not even a partial one")
        // The server is still up: a well-formed bundle is stored, and a reviewer reads it.
        let good = UUID().uuidString.lowercased()
        let bundle = TestBundle.make(segment: good, policy: policy)
        // The unsigned headers must say what the signed bundle says: its id, its policy.
        let otherPolicy = TestBundle.make(segment: good, policy: String(repeating: "cd", count: 32))
        headers = try RawClient.signed(credential, "PUT", "/v1/segments/\(good)", body: otherPolicy) + [("X-Understudy-Policy", policy)]
        let mismatched = try await raw.send("PUT", "/v1/segments/\(good)", template: "/v1/segments/{id}", body: otherPolicy, headers: headers)
        #expect(mismatched.status == 422 && mismatched.code == "policy_mismatch", "\(mismatched.status) \(mismatched.code ?? "")")
        let elsewhere = "/v1/segments/\(UUID().uuidString.lowercased())"
        headers = try RawClient.signed(credential, "PUT", elsewhere, body: bundle) + [("X-Understudy-Policy", policy)]
        #expect(try await raw.send("PUT", elsewhere, template: "/v1/segments/{id}", body: bundle, headers: headers).code == "segment_mismatch")
        headers = try RawClient.signed(credential, "PUT", "/v1/segments/\(good)", body: bundle) + [("X-Understudy-Policy", policy)]
        #expect(try await raw.send("PUT", "/v1/segments/\(good)", template: "/v1/segments/{id}", body: bundle, headers: headers).status == 201)
        let made = try await raw.send("POST", "/v1/users", body: Data("{\"name\":\"rev\",\"role\":\"reviewer\"}".utf8), headers: staff)
        let olivia = try await raw.login(
            "olivia", key: try String(contentsOf: org.officerKey, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        _ = try await raw.send("POST", "/v1/users/rev/approve", template: "/v1/users/{name}/approve", headers: olivia)
        let reviewer = try await raw.login("rev", key: try APICoding.decode(CreatedUser.self, from: made.body).key)
        let handle =
            try JSONValue.parse(try await raw.send("GET", "/v1/review/segments", headers: reviewer).body).arrayValue?.first?["id"]?.stringValue ?? ""
        #expect(handle.hasPrefix("s-"), "staff know a segment by its handle")
        #expect(
            try await raw.send("GET", "/v1/review/segments/\(good)", template: "/v1/review/segments/{id}", headers: reviewer).code == "not_found",
            "not by its id")
        let reviewed = try await raw.send("GET", "/v1/review/segments/\(handle)", template: "/v1/review/segments/{id}", headers: reviewer)
        #expect(reviewed.status == 200 && TarFormat.members(of: reviewed.body)?.count == 5)
        let back = try RawClient.signed(credential, "GET", "/v1/me/segments/\(good)", body: Data())
        #expect(try await raw.send("GET", "/v1/me/segments/\(good)", template: "/v1/me/segments/{id}", headers: back).body == bundle)

        // A segment that does not exist; the same signed request again; a tampered signature.
        let unknown = try RawClient.signed(credential, "GET", "/v1/me/segments/ffff", body: Data())
        #expect(try await raw.send("GET", "/v1/me/segments/ffff", template: "/v1/me/segments/{id}", headers: unknown).code == "not_found")
        #expect(try await raw.send("GET", "/v1/me/segments/ffff", template: "/v1/me/segments/{id}", headers: unknown).code == "replayed_request")
        var forged = try RawClient.signed(credential, "GET", "/v1/me/segments", body: Data())
        forged[forged.count - 1].1 = Data(repeating: 1, count: 64).base64EncodedString()
        #expect(try await raw.send("GET", "/v1/me/segments", headers: forged).code == "bad_signature")
        var late = try credential.headers(
            method: "GET", target: "/v1/me/segments", contentSHA256: RequestSigning.emptySHA256, now: WallClock.system.now().addingTimeInterval(-900))
        late.append(("X-Extra", "1"))
        #expect(try await raw.send("GET", "/v1/me/segments", headers: late).code == "clock_skew")

        // An expired enrolment code.
        let code = try org.code(for: "bob")
        try await Task.sleep(for: .milliseconds(1300))
        let expired = Data("{\"code\":\"\(code)\",\"public_key\":\"\(Data(repeating: 9, count: 32).base64EncodedString())\"}".utf8)
        #expect(try await raw.send("POST", "/v1/enrol", body: expired).code == "code_expired")
        #expect(try await raw.send("POST", "/v1/enrol", body: Data("{\"code\":\"x\",\"public_key\":\"short\"}".utf8)).code == "bad_request")
    }

    @Test(
        "A published policy is checked against its signature before its YAML is read: unsigned YAML that would not parse is refused as unsigned, and a document over 256 KiB by its size"
    )
    func policySignatureFirst() async throws {
        let org = try Organisation()
        let raw = RawClient(server: org.collector.url, contract: try await OpenAPIContract(server: org.collector.url))
        let key = try String(contentsOf: org.me.config.appendingPathComponent("olivia.key"), encoding: .utf8)
        let officer = try await raw.login("olivia", key: key.trimmingCharacters(in: .whitespacesAndNewlines))
        func publish(_ document: String) async throws -> RawClient.Answer {
            let body = try APICoding.encode(PublishPolicyRequest(document: document, signature: "untrusted"))
            return try await raw.send("POST", "/v1/policies", body: body, headers: officer)
        }
        // An alias bomb's first lines and an Int64-trapping duration: neither reaches the YAML reader unsigned.
        let unparsable = "name: x\nversion: 1\nretention: 1e20d\na: &a [x, x]\nb: &b [*a, *a]\n: - [\n"
        #expect(try await publish(unparsable).code == "policy_signature")
        let huge = try await publish("name: x\n# " + String(repeating: "x", count: 300_000) + "\n")
        #expect(huge.status == 413 && huge.code == "too_large", "\(huge.status) \(huge.code ?? "")")
        #expect(try await raw.send("GET", "/health").status == 200)
    }

    @Test(
        "Failed sign-ins and refused enrolment codes are limited per client address: past a burst of ten they answer 429 rate_limited with Retry-After and are not recorded; a recorded user name is at most 64 characters; the right key still signs in"
    )
    func failuresRateLimited() async throws {
        let org = try Organisation()
        let raw = RawClient(server: org.collector.url, contract: try await OpenAPIContract(server: org.collector.url))
        var answers: [RawClient.Answer] = []
        for n in 0..<12 {
            // Someone typing a key into the user field: it is not kept whole.
            let name = "\(n)" + String(repeating: "k", count: 1000)
            answers.append(try await raw.send("POST", "/v1/login", body: Data("{\"user\":\"\(name)\",\"key\":\"wrong\"}".utf8)))
        }
        #expect(answers.prefix(10).allSatisfy { $0.code == "bad_credentials" }, "\(answers.map(\.status))")
        #expect(answers.suffix(2).allSatisfy { $0.status == 429 && $0.code == "rate_limited" && Int($0.retryAfter ?? "") ?? 0 >= 1 })
        let key = try String(contentsOfFile: org.collector.adminKey, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let admin = try await raw.login("admin", key: key)
        for _ in 0..<11 {
            let body = Data("{\"code\":\"nope\",\"public_key\":\"\(Data(repeating: 9, count: 32).base64EncodedString())\"}".utf8)
            answers.append(try await raw.send("POST", "/v1/enrol", body: body))
        }
        #expect(answers.suffix(11).prefix(10).allSatisfy { $0.code == "code_unknown" } && answers.last?.code == "rate_limited")
        let records = try APICoding.decode([AuditRecordListing].self, from: try await raw.send("GET", "/v1/audit", headers: admin).body)
        let failed = records.filter { $0.action == "login_failed" }
        #expect(failed.count == 10 && records.filter { $0.action == "enrol_refused" }.count == 10)
        #expect(failed.allSatisfy { (try? JSONValue.parse(Data($0.detail.utf8))["user"]?.stringValue?.count) == 64 })
    }

    @Test(
        "The audit log reads in pages (?after=SEQ&limit=N): the pages together are the whole log in order, nothing lost or repeated, the chain holds across them, a bad page is a 400, and admin audit and audit verify read every page"
    )
    func auditPages() async throws {
        let org = try Organisation()
        try org.enrol()
        let raw = RawClient(server: org.collector.url, contract: try await OpenAPIContract(server: org.collector.url))
        let key = try String(contentsOfFile: org.collector.adminKey, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let admin = try await raw.login("admin", key: key)
        let whole = try APICoding.decode([AuditRecordListing].self, from: try await raw.send("GET", "/v1/audit", headers: admin).body)
        #expect(whole.count >= 7, "\(whole.count) records")
        var paged: [AuditRecordListing] = []
        while true {
            let answer = try await raw.send("GET", "/v1/audit?after=\(paged.last?.seq ?? 0)&limit=3", template: "/v1/audit", headers: admin)
            let page = try APICoding.decode([AuditRecordListing].self, from: answer.body)
            #expect(page.count <= 3)
            paged += page
            if page.count < 3 { break }
        }
        #expect(paged.map(\.seq) == whole.prefix(paged.count).map(\.seq) && paged.count >= whole.count)
        #expect(AuditChain.firstBreak(in: paged) == nil)
        for bad in ["limit=0", "limit=1001", "after=-1", "limit=x"] {
            #expect(try await raw.send("GET", "/v1/audit?\(bad)", template: "/v1/audit", headers: admin).code == "bad_request", "\(bad)")
        }
        let listed = try org.me.run(["admin", "audit"] + org.officer)
        #expect(listed.status == 0 && listed.stdout.split(separator: "\n").count >= whole.count, "\(listed.stderr)")
        let verified = try org.me.run(["admin", "audit", "verify"] + org.officer)
        #expect(verified.status == 0 && verified.stdout.hasPrefix("OK: "), "\(verified.stdout)\(verified.stderr)")
        let mine = try org.me.run("held", "audit")
        #expect(mine.status == 0, "\(mine.stderr)")
    }

    @Test(
        "A client that opens connections and sends nothing, or half a request head, is cut off after the idle timeout, while the collector keeps answering others"
    )
    func slowClients() async throws {
        let org = try Organisation(config: "idle_timeout: 1s\n")
        // A read that waits longer than 6 s means the server kept the connection.
        let silent = try RawConnection(port: org.collector.port)
        let partial = try RawConnection(port: org.collector.port)
        partial.send(Data("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".utf8))
        let started = ContinuousClock.now
        let raw = RawClient(server: org.collector.url, contract: try await OpenAPIContract(server: org.collector.url))
        #expect(try await raw.send("GET", "/health").status == 200, "others are served while the slow ones wait")
        for connection in [silent, partial] {
            let answer = connection.read()
            #expect(answer == "", "the connection was not closed (read gave \(String(describing: answer)))")
        }
        let waited = ContinuousClock.now - started
        #expect(waited < .seconds(5), "closed after \(waited)")
        #expect(try await raw.send("GET", "/health").status == 200)
    }

    @Test(
        "A client address holding connections_per_address connections has a further one closed as soon as it is accepted, the ones it holds kept; once one closes, the next is served"
    )
    func connectionCap() async throws {
        let org = try Organisation(config: "connections_per_address: 3\n")
        let held = try (0..<3).map { _ in try RawConnection(port: org.collector.port, readTimeout: .milliseconds(300)) }
        try await Task.sleep(for: .milliseconds(300))
        let started = ContinuousClock.now
        let extra = try RawConnection(port: org.collector.port, readTimeout: .seconds(6))
        #expect(extra.read() == "", "the fourth connection was not closed")
        #expect(ContinuousClock.now - started < .seconds(3), "closed at once, not at the idle timeout")
        for connection in held { #expect(connection.read() == nil, "a held connection was closed") }

        held[0].send(Data("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        #expect(held[0].read()?.hasPrefix("HTTP/1.1 200") == true, "a held connection is served")
        held[0].close()
        var served = false
        let closed = ContinuousClock.now
        while !served, ContinuousClock.now - closed < .seconds(3) {
            try await Task.sleep(for: .milliseconds(100))
            let next = try RawConnection(port: org.collector.port, readTimeout: .seconds(2))
            next.send(Data("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
            served = next.read()?.hasPrefix("HTTP/1.1 200") == true
        }
        #expect(served, "a new connection is served once one has closed")
    }

    @Test(
        "An upload whose body drips in slower than min_upload_rate, past the idle timeout, is cut off with 408 too_slow and stores nothing, while the collector keeps answering others"
    )
    func drippingUpload() async throws {
        let org = try Organisation(config: "idle_timeout: 1s\nmin_upload_rate: 100KB\n")
        try org.enrol()
        let device = try await RawDevice(org)
        let id = UUID().uuidString.lowercased()
        let body = TestBundle.make(segment: id, policy: device.policy, padding: 1_000_000)
        let connection = try RawConnection(port: org.collector.port, readTimeout: .milliseconds(10))
        try connection.sendUploadHead(id, body: body, device: device)
        // 2 KB every 200 ms: 10 KB/s, never silent for the idle timeout, far under the rate.
        let started = ContinuousClock.now
        var answer = ""
        var offset = 0
        while answer.isEmpty, ContinuousClock.now - started < .seconds(8), offset < body.count {
            let piece = body[offset..<min(body.count, offset + 2048)]
            connection.send(piece)
            offset += piece.count
            answer = connection.read() ?? ""
            #expect(try await device.raw.send("GET", "/health").status == 200, "others are served meanwhile")
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(answer.hasPrefix("HTTP/1.1 408") && answer.contains("too_slow"), "\(answer.prefix(300))")
        #expect(ContinuousClock.now - started < .seconds(5), "cut off soon after the grace")
        #expect(try await device.send("GET", "/v1/me/segments").body == Data("[]\n".utf8), "nothing stored")
    }

    @Test(
        "A device with uploads_per_device uploads in flight has a further one refused 429 too_many_uploads, with Retry-After and nothing stored, until one of them ends; then it is stored"
    )
    func uploadsInFlight() async throws {
        let org = try Organisation(config: "uploads_per_device: 2\n")
        try org.enrol()
        let device = try await RawDevice(org)
        let slow = try (0..<2).map { _ in
            let id = UUID().uuidString.lowercased()
            let body = TestBundle.make(segment: id, policy: device.policy, padding: 200_000)
            let connection = try RawConnection(port: org.collector.port, readTimeout: .seconds(20))
            try connection.sendUploadHead(id, body: body, device: device)
            connection.send(body.prefix(4096))
            return (connection, body)
        }
        // Each slow upload takes its slot once the server has its head.
        let key = try String(contentsOfFile: org.collector.adminKey, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let admin = try await device.raw.login("admin", key: key)
        func metric(_ name: String) async throws -> Double? {
            let text = String(decoding: try await device.raw.send("GET", "/metrics", headers: admin).body, as: UTF8.self)
            return text.split(separator: "\n").first { $0.hasPrefix(name + " ") || $0.hasPrefix(name + "{") }?.split(separator: " ").last.flatMap {
                Double($0)
            }
        }
        let waiting = ContinuousClock.now
        while try await metric("understudy_collector_uploads_in_flight") != 2, ContinuousClock.now - waiting < .seconds(10) {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await metric("understudy_collector_uploads_in_flight") == 2)

        let third = UUID().uuidString.lowercased()
        let bundle = TestBundle.make(segment: third, policy: device.policy, note: "third")
        let refused = try await device.upload(third, bundle)
        #expect(refused.status == 429 && refused.code == "too_many_uploads" && refused.retryAfter == "5", "\(refused.status) \(refused.code ?? "")")
        #expect(try await metric("understudy_collector_uploads_refused_total") == 1)
        #expect(try await device.send("GET", "/v1/me/segments").body == Data("[]\n".utf8), "nothing stored yet")

        let (first, body) = slow[0]
        first.send(body.dropFirst(4096))
        #expect(first.read()?.hasPrefix("HTTP/1.1 201") == true)
        #expect(try await device.upload(third, bundle).status == 201, "a slot is free again")
        let (second, rest) = slow[1]
        second.send(rest.dropFirst(4096))
        #expect(second.read()?.hasPrefix("HTTP/1.1 201") == true)
        let held = try APICoding.decode([SegmentListing].self, from: try await device.send("GET", "/v1/me/segments").body)
        #expect(held.count == 3)
        #expect(try await metric("understudy_collector_uploads_in_flight") == 0)
    }

    @Test(
        "A method a path does not take answers 405 with Allow naming the ones it does, an unknown path stays 404, and the text fields the server refuses empty are at least one character long in its spec"
    )
    func methodsAndEmptyStrings() async throws {
        let org = try Organisation()
        let contract = try await OpenAPIContract(server: org.collector.url)
        func status(_ method: String, _ path: String) async throws -> (Int, String?, String?) {
            var request = URLRequest(url: URL(string: org.collector.url + path)!)
            request.httpMethod = method
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as? HTTPURLResponse
            return (http?.statusCode ?? 0, http?.value(forHTTPHeaderField: "Allow"), (try? APICoding.decode(ErrorBody.self, from: data))?.code)
        }
        for (method, path, allow) in [
            ("DELETE", "/v1/login", "POST"), ("PUT", "/health", "GET"), ("POST", "/v1/me/segments/abc", "DELETE, GET"),
            ("PATCH", "/v1/policies", "GET, POST"), ("GET", "/v1/contributors/x/erase", "POST"),
        ] {
            let (code, allowed, error) = try await status(method, path)
            #expect(code == 405 && allowed == allow && error == "method_not_allowed", "\(method) \(path): \(code) \(allowed ?? "-")")
        }
        let (missing, _, error) = try await status("GET", "/v1/nothing-here")
        #expect(missing == 404 && error == "not_found")
        func field(_ path: String, _ name: String) -> [String: Any]? {
            let operation = (contract.paths[path] as? [String: Any])?["post"] as? [String: Any]
            let body = ((operation?["requestBody"] as? [String: Any])?["content"] as? [String: Any])?["application/json"] as? [String: Any]
            return ((body?["schema"] as? [String: Any])?["properties"] as? [String: Any])?[name] as? [String: Any]
        }
        for (path, name) in [
            ("/v1/login", "user"), ("/v1/login", "key"), ("/v1/users", "name"), ("/v1/enrolment-codes", "contributor"), ("/v1/enrol", "code"),
        ] {
            let schema = field(path, name)
            #expect(schema?["minLength"] as? Int == 1 || (schema?["pattern"] as? String)?.contains("{1,") == true, "\(path) \(name)")
        }
        let raw = RawClient(server: org.collector.url, contract: contract)
        #expect(try await raw.send("POST", "/v1/login", body: Data("{\"user\":\"\",\"key\":\"\"}".utf8)).code == "bad_request")
    }

    @Test("Every endpoint refuses every identity its role does not allow (401 or 403), and lets the allowed ones through")
    func roleMatrix() async throws {
        let org = try Organisation()
        try org.enrol()
        let raw = RawClient(server: org.collector.url, contract: try await OpenAPIContract(server: org.collector.url))
        let credential = try DeviceCredential.load(from: org.me.config.appendingPathComponent("understudy/device"))
        let admin = try await raw.login(
            "admin", key: try String(contentsOfFile: org.collector.adminKey, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        let olivia = try await raw.login(
            "olivia", key: try String(contentsOf: org.officerKey, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        var staff: [String: [(String, String)]] = ["admin": admin]
        for role in ["privacy_officer", "reviewer", "scientist"] {
            let made = try await raw.send("POST", "/v1/users", body: Data("{\"name\":\"m-\(role)\",\"role\":\"\(role)\"}".utf8), headers: admin)
            #expect(try await raw.send("POST", "/v1/users/m-\(role)/approve", template: "/v1/users/{name}/approve", headers: olivia).status == 200)
            staff[role] = try await raw.login("m-\(role)", key: try APICoding.decode(CreatedUser.self, from: made.body).key)
        }
        let identities = ["anonymous", "device", "admin", "privacy_officer", "reviewer", "scientist"]
        // Endpoint, template, body, and who may call it. Bodies are valid enough to pass authorization.
        let endpoints: [(String, String, String?, String, Set<String>)] = [
            ("POST", "/v1/users", nil, "{\"name\":\"x\",\"role\":\"nope\"}", ["admin"]),
            ("GET", "/v1/users", nil, "", ["admin", "privacy_officer"]),
            ("DELETE", "/v1/users/nobody", "/v1/users/{name}", "", ["admin"]),
            ("POST", "/v1/users/nobody/key", "/v1/users/{name}/key", "", ["admin"]),
            ("POST", "/v1/users/nobody/approve", "/v1/users/{name}/approve", "", ["privacy_officer"]),
            ("POST", "/v1/enrolment-codes", nil, "{\"contributor\":\"carol\"}", ["admin"]),
            ("GET", "/v1/enrolment-codes", nil, "", ["admin", "privacy_officer"]),
            ("POST", "/v1/enrolment-codes/00000000000000ff/approve", "/v1/enrolment-codes/{id}/approve", "", ["privacy_officer"]),
            ("GET", "/v1/me/enrolment-codes", nil, "", ["device"]),
            (
                "POST", "/v1/me/enrolment-codes/00000000000000ff/approve", "/v1/me/enrolment-codes/{id}/approve", "{\"allow_history\":true}",
                ["device"]
            ),
            ("DELETE", "/v1/me/enrolment-codes/00000000000000ff", "/v1/me/enrolment-codes/{id}", "", ["device"]),
            ("GET", "/v1/devices", nil, "", ["admin"]),
            ("POST", "/v1/devices/none/revoke", "/v1/devices/{id}/revoke", "", ["admin"]),
            ("GET", "/v1/audit", nil, "", ["admin", "privacy_officer"]),
            ("POST", "/v1/policies", nil, "{\"document\":\"x\",\"signature\":\"y\"}", ["privacy_officer"]),
            ("GET", "/v1/policies", nil, "", ["device", "admin", "privacy_officer", "reviewer", "scientist"]),
            ("POST", "/v1/consents", nil, "{\"policy_hash\":\"00\",\"accepted_at\":\"2026-11-23T00:00:00.000Z\"}", ["device"]),
            ("POST", "/v1/consents/withdrawal", nil, "{\"withdrawn_at\":\"2020-01-01T00:00:00.000Z\"}", ["device"]),
            ("PUT", "/v1/segments/00dd", "/v1/segments/{id}", "bundle", ["device"]),
            ("GET", "/v1/me/segments", nil, "", ["device"]),
            ("GET", "/v1/me/segments/ffff", "/v1/me/segments/{id}", "", ["device"]),
            ("GET", "/v1/me/audit", nil, "", ["device"]),
            ("POST", "/v1/contributors/nobody/erase", "/v1/contributors/{id}/erase", "", ["privacy_officer"]),
            ("GET", "/v1/stats", nil, "", ["admin", "privacy_officer", "reviewer", "scientist"]),
            (
                "POST", "/v1/exemption-requests", nil,
                "{\"id\":\"r1\",\"kind\":\"app\",\"value\":\"Gimp\",\"requested_at\":\"2026-11-23T00:00:00.000Z\"}", ["device"]
            ),
            ("GET", "/v1/exemption-requests", nil, "", ["privacy_officer"]),
            (
                "POST", "/v1/exemption-requests/nobody/r9/decision", "/v1/exemption-requests/{contributor}/{id}/decision", "{\"approve\":true}",
                ["privacy_officer"]
            ),
            ("GET", "/v1/me/exemptions", nil, "", ["device"]),
            ("GET", "/v1/review/segments", nil, "", ["reviewer"]),
            ("GET", "/v1/review/segments/ffff", "/v1/review/segments/{id}", "", ["reviewer"]),
            (
                "POST", "/v1/review/segments/ffff/verdicts", "/v1/review/segments/{id}/verdicts",
                "{\"verdicts\":[{\"step\":1,\"verdict\":\"good\"}]}", ["reviewer"]
            ),
            ("GET", "/v1/dataset/segments", nil, "", ["scientist"]),
            ("GET", "/v1/dataset/erasures", nil, "", ["scientist"]),
            ("GET", "/v1/dataset/segments/ffff", "/v1/dataset/segments/{id}", "", ["scientist"]),
            (
                "POST", "/v1/dataset/exports", nil,
                "{\"format\":\"jsonl\",\"episodes\":0,\"steps\":0,\"frames\":0,\"segments\":[],\"sessions\":[],\"manifest\":\"{}\"}",
                ["scientist"]
            ),
            ("GET", "/v1/dataset/exports", nil, "", ["scientist", "privacy_officer"]),
            ("GET", "/v1/dataset/exports/x-ffff", "/v1/dataset/exports/{id}", "", ["scientist", "privacy_officer"]),
            // Last: it ends each staff session it lets through.
            ("POST", "/v1/logout", nil, "", ["admin", "privacy_officer", "reviewer", "scientist"]),
        ]
        for (method, path, template, body, allowed) in endpoints {
            for identity in identities {
                let data = Data(body.utf8)
                var headers: [(String, String)]
                switch identity {
                case "anonymous": headers = []
                case "device": headers = try RawClient.signed(credential, method, path, body: data) + [("X-Understudy-Policy", "00")]
                default: headers = staff[identity] ?? []
                }
                let answer = try await raw.send(method, path, template: template, body: data, headers: headers)
                if allowed.contains(identity) {
                    // Statistics refuse everyone while too few contributors hold data: that is not a role refusal.
                    #expect(
                        (answer.status != 401 && answer.status != 403) || answer.code == "too_few_contributors",
                        "\(identity) was refused \(method) \(path): \(answer.status) \(answer.code ?? "")")
                } else {
                    #expect(answer.status == 401 || answer.status == 403, "\(identity) was let through \(method) \(path): \(answer.status)")
                }
                #expect(answer.status < 500, "\(method) \(path) as \(identity): \(answer.status)")
            }
        }
        #expect(try await raw.send("GET", "/v1/devices", headers: admin).code == "session_expired", "a signed-out session is over")
    }

    @Test(
        "Behind a proxy that resets, cuts short, stalls and slows the connections carrying uploads, and drops the answer to one the server stored, sync retries until every segment is held once, all events with it"
    )
    func proxyFaults() async throws {
        let org = try Organisation()
        // Five failures in a row for one segment at most, within sync's eight attempts; the answer
        // dropped after the server stored the segment makes the next try an upload of a segment held.
        let faults: [FaultProxy.Fault] = [.reset, .truncate, .stall, .dropAnswer, .reset, .delay]
        let proxy = try FaultProxy(upstream: org.collector.port, threshold: 200_000, faults: faults)
        defer { proxy.close() }
        let enrolled = try org.me.run("enroll", "--server", proxy.url, "--code", try org.code())
        #expect(enrolled.status == 0, "\(enrolled.stderr)")
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        #expect(try org.me.run(["record", "--vault", vault, "--policy", org.policy, "--for", "1s", "--synthetic-events", "10"]).status == 0)
        #expect(try org.me.run("vault", "config", "--vault", vault, "--segment-duration", "1s").status == 0)
        #expect(
            try org.me.run([
                "record", "--vault", vault, "--policy", org.policy, "--for", "4s", "--synthetic-events", "300",
                "--synthetic-frames", "16", "--synthetic-frame-bytes", "65536",
            ]).status == 0)
        let events = try org.me.run("log", "--vault", vault, "--json").stdout.split(separator: "\n").map(String.init)
        let segments = try org.me.run("vault", "segments", "--vault", vault, "--json").stdout.split(separator: "\n").count

        let synced = try org.me.run("sync", "--vault", vault, "--timeout", "2s")
        #expect(synced.status == 0, "\(synced.stdout)\(synced.stderr)")
        #expect(synced.stdout.contains("trying again"), "\(synced.stdout)")
        #expect(proxy.injected == faults, "\(proxy.injected)")
        #expect(synced.stdout.contains("already held by the server"), "\(synced.stdout)")
        #expect(try org.me.run("vault", "segments", "--vault", vault, "--json").stdout.isEmpty)
        // The decrypted bundles waited inside the vault, and are gone.
        let outgoing = (try? FileManager.default.contentsOfDirectory(atPath: vault + "/outgoing")) ?? []
        #expect(outgoing.isEmpty, "\(outgoing)")
        let held = try org.me.run("held", "list", "--json").stdout.split(separator: "\n")
        #expect(held.count == segments)
        let downloaded = try org.downloadedEvents()
        #expect(downloaded.count == events.count && Set(downloaded) == Set(events))
    }

    @Test(
        "On a full disk the collector answers uploads 507 storage_full and stores nothing; sync keeps its copies and retries, and once space is freed every segment is held, all events with it",
        .enabled(if: SmallFileSystem.available, "needs root to mount a small tmpfs"))
    func fullDisk() async throws {
        let disk = try SmallFileSystem(megabytes: 24)
        // A 24 MB disk: the reserve kept for the audit log is cut to fit it.
        let org = try Organisation(config: "reserved_space: 1MB\n", collectorFolder: disk.directory.appendingPathComponent("collector"))
        try org.enrol()
        let vault = try org.recordSynthetic(seconds: 2, frames: 4, frameBytes: 262_144)
        defer { try? FileManager.default.removeItem(atPath: vault) }
        let events = try org.me.run("log", "--vault", vault, "--json").stdout.split(separator: "\n").map(String.init)
        let segments = try org.me.run("vault", "segments", "--vault", vault, "--json").stdout.split(separator: "\n").count

        // By hand: the documented answer, and nothing left behind.
        let raw = RawClient(server: org.collector.url, contract: try await OpenAPIContract(server: org.collector.url))
        let credential = try DeviceCredential.load(from: org.me.config.appendingPathComponent("understudy/device"))
        let policy = try Data(contentsOf: URL(fileURLWithPath: org.policy)).sha256Hex
        let consent = Data("{\"policy_hash\":\"\(policy)\",\"accepted_at\":\"2026-11-23T00:00:00.000Z\"}".utf8)
        _ = try await raw.send("POST", "/v1/consents", body: consent, headers: RawClient.signed(credential, "POST", "/v1/consents", body: consent))
        let filler = try disk.fill(leaving: 96 * 1024)
        let id = UUID().uuidString.lowercased()
        let big = TestBundle.make(segment: id, policy: policy, padding: 400_000)
        let headers = try RawClient.signed(credential, "PUT", "/v1/segments/\(id)", body: big) + [("X-Understudy-Policy", policy)]
        let refused = try await raw.send("PUT", "/v1/segments/\(id)", template: "/v1/segments/{id}", body: big, headers: headers)
        #expect(refused.status == 507 && refused.code == "storage_full", "\(refused.status) \(refused.code ?? "")")
        let blobs = org.collector.data.appendingPathComponent("blobs")
        #expect(try FileManager.default.subpathsOfDirectory(atPath: blobs.path).filter { $0 != "tmp" }.isEmpty, "no blob, not even a partial one")

        // Sync meets the full disk, keeps its copies and retries; space comes back; all is held once.
        let sync = try org.me.start(["sync", "--vault", vault])
        try await Task.sleep(for: .milliseconds(1500))
        #expect(
            try org.me.run("vault", "segments", "--vault", vault, "--json").stdout.split(separator: "\n").count == segments,
            "the device keeps every copy")
        try FileManager.default.removeItem(at: filler)
        let synced = Understudy.finish(sync)
        #expect(
            synced.status == 0 && synced.stdout.contains("storage_full") && synced.stdout.contains("trying again"), "\(synced.stdout)\(synced.stderr)"
        )
        #expect(try org.me.run("held", "list", "--json").stdout.split(separator: "\n").count == segments)
        let downloaded = try org.downloadedEvents()
        #expect(downloaded.count == events.count && Set(downloaded) == Set(events))
    }

    @Test("SIGTERM lets an upload in flight finish: the server acknowledges it, then exits cleanly")
    func gracefulShutdown() async throws {
        let org = try Organisation()
        try org.enrol()
        let device = try await RawDevice(org)

        // An upload sent slowly, by hand: SIGTERM arrives when a third of it is through.
        let id = UUID().uuidString.lowercased()
        let body = TestBundle.make(segment: id, policy: device.policy, padding: 3_000_000)
        let connection = try RawConnection(port: org.collector.port)
        try connection.sendUploadHead(id, body: body, device: device)
        let chunk = body.count / 10
        for n in 0..<10 {
            connection.send(body[(n * chunk)..<(n == 9 ? body.count : (n + 1) * chunk)])
            if n == 3 { kill(org.collector.process.processIdentifier, SIGTERM) }
            try await Task.sleep(for: .milliseconds(100))
        }
        let text = connection.read() ?? ""
        #expect(text.hasPrefix("HTTP/1.1 201"), "\(text)")
        org.collector.process.waitUntilExit()
        #expect(org.collector.process.terminationStatus == 0)
    }

    @Test(
        "Two uploads of one segment id with different content racing each other: one is stored, the other is a conflict, and the segment downloads as the one stored, never overwritten by the loser"
    )
    func racingUploads() async throws {
        let org = try Organisation()
        try org.enrol()
        let credential = try DeviceCredential.load(from: org.me.config.appendingPathComponent("understudy/device"))
        let policy = try Data(contentsOf: URL(fileURLWithPath: org.policy)).sha256Hex
        let raw = RawClient(server: org.collector.url, contract: try await OpenAPIContract(server: org.collector.url))
        let consent = Data("{\"policy_hash\":\"\(policy)\",\"accepted_at\":\"2026-11-23T00:00:00.000Z\"}".utf8)
        try await raw.send("POST", "/v1/consents", body: consent, headers: RawClient.signed(credential, "POST", "/v1/consents", body: consent))
        for round in 0..<3 {
            let id = UUID().uuidString.lowercased()
            let path = "/v1/segments/\(id)"
            let bodies = ["one", "two"].map { TestBundle.make(segment: id, policy: policy, note: "\($0)\(round)", padding: 4_000_000) }
            let headers = try bodies.map { try RawClient.signed(credential, "PUT", path, body: $0) + [("X-Understudy-Policy", policy)] }
            let server = org.collector.url
            async let first = Self.put(server, path, bodies[0], headers[0])
            async let second = Self.put(server, path, bodies[1], headers[1])
            let answers = try await [first, second]
            #expect(Set(answers.map(\.status)) == [201, 409], "\(answers.map(\.status))")
            guard let winner = answers.firstIndex(where: { $0.status == 201 }) else { continue }
            let mine = try RawClient.signed(credential, "GET", "/v1/me/segments/\(id)", body: Data())
            let downloaded = try await raw.send("GET", "/v1/me/segments/\(id)", template: "/v1/me/segments/{id}", headers: mine)
            #expect(downloaded.body == bodies[winner], "round \(round): the stored segment is not the one acknowledged")
        }
        let blobs = org.collector.data.appendingPathComponent("blobs")
        let files = try FileManager.default.subpathsOfDirectory(atPath: blobs.path).filter {
            $0.split(separator: "/").count == 2 && !$0.hasPrefix("tmp")
        }
        #expect(files.count == 3, "one blob per stored segment, the losers' deleted: \(files)")
    }

    /// An upload through a client of its own, so two can run at once.
    private static func put(_ server: String, _ path: String, _ body: Data, _ headers: [(String, String)]) async throws -> RawClient.Answer {
        let raw = RawClient(server: server, contract: try await OpenAPIContract(server: server))
        return try await raw.send("PUT", path, template: "/v1/segments/{id}", body: body, headers: headers)
    }

    @Test("Statistics are totals over at least 5 contributors with data, refused below that")
    func statistics() async throws {
        let org = try Organisation()
        let raw = RawClient(server: org.collector.url, contract: try await OpenAPIContract(server: org.collector.url))
        let key = try String(contentsOfFile: org.collector.adminKey, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let admin = try await raw.login("admin", key: key)
        let policy = try JSONValue.parse(try await raw.send("GET", "/v1/policies", headers: admin).body).arrayValue?.first?["hash"]?.stringValue ?? ""
        for n in 1...5 {
            #expect(try await raw.send("GET", "/v1/stats", headers: admin).code == "too_few_contributors")
            // Contributor n enrols a device, consents, and uploads one segment.
            let device = Curve25519Key()
            let code = try org.code(for: "c\(n)")
            let enrol = try await raw.send("POST", "/v1/enrol", body: Data("{\"code\":\"\(code)\",\"public_key\":\"\(device.publicKey)\"}".utf8))
            let id = try JSONValue.parse(enrol.body)["device"]?.stringValue ?? ""
            let credential = try device.credential(server: org.collector.url, device: id, contributor: "c\(n)")
            let consent = Data("{\"policy_hash\":\"\(policy)\",\"accepted_at\":\"2026-11-23T00:00:00.000Z\"}".utf8)
            try await raw.send("POST", "/v1/consents", body: consent, headers: RawClient.signed(credential, "POST", "/v1/consents", body: consent))
            let segment = UUID().uuidString.lowercased()
            let bundle = TestBundle.make(segment: segment, policy: policy, note: "c\(n)")
            let put = try await raw.send(
                "PUT", "/v1/segments/\(segment)", template: "/v1/segments/{id}", body: bundle,
                headers: RawClient.signed(credential, "PUT", "/v1/segments/\(segment)", body: bundle) + [("X-Understudy-Policy", policy)])
            #expect(put.status == 201)
        }
        let totals = try JSONValue.parse(try await raw.send("GET", "/v1/stats", headers: admin).body)
        #expect(totals["contributors"]?.intValue == 5 && totals["segments"]?.intValue == 5)
    }

    @Test(
        "Killing the collector during uploads again and again loses nothing and stores nothing twice: the device retries until every segment is acknowledged"
    )
    func killedDuringUpload() async throws {
        let kills = Int(ProcessInfo.processInfo.environment["UNDERSTUDY_SERVER_KILLS"] ?? "") ?? 20
        let org = try Organisation(config: "", port: RunningCollector.freePort())
        try org.enrol()
        let vault = temporaryVault()
        defer { try? FileManager.default.removeItem(atPath: vault) }
        // Many segments of about 1 MB: short segments (set once the vault exists), frames of 64 KB.
        #expect(try org.me.run(["record", "--vault", vault, "--policy", org.policy, "--for", "1s", "--synthetic-events", "10"]).status == 0)
        #expect(try org.me.run("vault", "config", "--vault", vault, "--segment-duration", "1s").status == 0)
        let recorded = try org.me.run([
            "record", "--vault", vault, "--policy", org.policy, "--for", "6s", "--synthetic-events", "300",
            "--synthetic-frames", "16", "--synthetic-frame-bytes", "65536",
        ])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let events = try org.me.run("log", "--vault", vault, "--json").stdout.split(separator: "\n").map(String.init)
        let segments = try org.me.run("vault", "segments", "--vault", vault, "--json").stdout.split(separator: "\n").count
        #expect(segments >= 4, "segments: \(segments)")

        var collector = org.collector
        var syncs: [(Process, Pipe, Pipe)] = []
        for kill in 0..<kills {
            if syncs.last.map({ !$0.0.isRunning }) ?? true { syncs.append(try org.me.start(["sync", "--vault", vault])) }
            try await Task.sleep(for: .milliseconds(UInt64.random(in: 30...250)))
            collector.kill()
            collector = try RunningCollector(restarting: org.collector)
            _ = kill
        }
        for sync in syncs { _ = Understudy.finish(sync) }
        let last = try org.me.run("sync", "--vault", vault)
        #expect(last.status == 0, "\(last.stdout)\(last.stderr)")
        #expect(try org.me.run("vault", "segments", "--vault", vault, "--json").stdout.isEmpty, "every local copy was acknowledged and deleted")

        // The server holds each segment once, and together they hold every event exactly once.
        let held = try org.me.run("held", "list", "--json").stdout.split(separator: "\n")
        #expect(held.count == segments)
        let downloaded = try org.downloadedEvents()
        #expect(downloaded.count == events.count && Set(downloaded) == Set(events), "\(downloaded.count) events held, \(events.count) recorded")
        _ = collector.stop()
        org.collector.removeFiles()
    }
}

/// A device key made in the test, for devices enrolled over raw HTTP.
struct Curve25519Key {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-device-\(UUID().uuidString)")
    let publicKey: String

    init() {
        // `understudy enroll` would make the key; here the test needs its raw form, so Sync's credential writes it.
        let made = DeviceCredential.generate()
        publicKey = made.publicKey
        try? made.credential.save(to: folder)
    }

    func credential(server: String, device: String, contributor: String) throws -> DeviceCredential {
        let stored = try DeviceCredential.load(from: folder)
        return DeviceCredential(server: URL(string: server)!, device: device, contributor: contributor, key: stored.key)
    }
}

/// A TCP proxy in front of the collector that breaks the connections carrying uploads: once a
/// connection has forwarded `threshold` bytes towards the server, it takes the next of `faults`
/// (one connection, one fault; when they are used up, connections pass).
final class FaultProxy: @unchecked Sendable {
    /// What happens to a connection once it has carried `threshold` bytes of a request.
    enum Fault: Sendable, Equatable {
        /// Reset (RST) both ends at once.
        case reset
        /// Forward nothing more, keep both ends open: the client waits for its timeout.
        case stall
        /// End the request there: the server sees the body end early (FIN), the client a closed connection.
        case truncate
        /// Forward the whole request, then close the client's end instead of passing the server's answer on:
        /// the server has done the work, the client does not know.
        case dropAnswer
        /// Wait half a second, then forward the rest a kilobyte at a time, a millisecond apart: it arrives.
        case delay
    }

    let port: Int
    private let listener: Int32
    private let upstream: Int
    private let threshold: Int
    private let lock = NSLock()
    private var planned: [Fault]
    private var held: [Int32] = []
    /// Server ends whose answer is to be dropped.
    private var dropping: Set<Int32> = []
    private var taken: [Fault] = []

    init(upstream: Int, threshold: Int, faults: [Fault]) throws {
        self.upstream = upstream
        self.threshold = threshold
        planned = faults
        port = RunningCollector.freePort()
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.address(port)
        guard
            withUnsafePointer(
                to: &address,
                { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }) == 0,
            listen(listener, 16) == 0
        else { throw CommandFailureForTests("the proxy cannot listen") }
        Thread { [self] in acceptLoop() }.start()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// The faults injected so far, in order.
    var injected: [Fault] { lock.withLock { taken } }

    static func address(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.address(upstream)
            guard
                withUnsafePointer(
                    to: &address,
                    { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }) == 0
            else {
                Foundation.close(client)
                Foundation.close(server)
                continue
            }
            Thread { [self] in pumpUp(client, server) }.start()
            Thread { [self] in pumpDown(server, client) }.start()
        }
    }

    /// The next fault, once a connection is past the threshold.
    private func takeFault(client: Int32, server: Int32) -> Fault? {
        lock.withLock {
            guard !planned.isEmpty else { return nil }
            let fault = planned.removeFirst()
            taken.append(fault)
            if fault == .stall { held += [client, server] }
            if fault == .dropAnswer { dropping.insert(server) }
            return fault
        }
    }

    /// Client to server, counting bytes; breaks the connection as planned once past the threshold.
    private func pumpUp(_ client: Int32, _ server: Int32) {
        var forwarded = 0
        var slow = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(client, &buffer, buffer.count)
            guard n > 0 else {
                shutdown(server, Int32(SHUT_WR))
                return
            }
            forwarded += n
            if forwarded > threshold {
                forwarded = -Int.max  // one fault a connection: it passes from now on
                switch takeFault(client: client, server: server) {
                case .reset:
                    var linger = linger(l_onoff: 1, l_linger: 0)
                    setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
                    Foundation.close(client)
                    Foundation.close(server)
                    return
                case .stall:
                    return  // keep both open, forward nothing more
                case .truncate:
                    shutdown(server, Int32(SHUT_WR))
                    shutdown(client, Int32(SHUT_RDWR))
                    return
                case .delay:
                    usleep(500_000)
                    slow = true
                case .dropAnswer, nil:
                    break
                }
            }
            guard slow ? Self.writeSlowly(server, buffer, n) : Self.put(server, buffer, n) == n else { return }
        }
    }

    /// A write to a socket whose peer may be gone: an error, not SIGPIPE (which ends the test process).
    private static func put(_ to: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
        send(to, bytes, count, Int32(MSG_NOSIGNAL))
    }

    private static func writeSlowly(_ to: Int32, _ buffer: [UInt8], _ count: Int) -> Bool {
        var start = 0
        while start < count {
            let end = min(start + 1024, count)
            let written = buffer[start..<end].withUnsafeBytes { Self.put(to, $0.baseAddress, end - start) }
            guard written == end - start else { return false }
            start = end
            usleep(1000)
        }
        return true
    }

    /// Server to client; an answer to be dropped closes the client's end instead.
    private func pumpDown(_ server: Int32, _ client: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(server, &buffer, buffer.count)
            let drop = lock.withLock { dropping.remove(server) != nil }
            if drop {
                shutdown(client, Int32(SHUT_RDWR))
                shutdown(server, Int32(SHUT_RDWR))
                return
            }
            guard n > 0, Self.put(client, buffer, n) == n else {
                shutdown(client, Int32(SHUT_WR))
                return
            }
        }
    }

    func close() {
        shutdown(listener, Int32(SHUT_RDWR))
        Foundation.close(listener)
        lock.lock()
        for fd in held { Foundation.close(fd) }
        held = []
        lock.unlock()
    }
}
