import CollectorAPI
import Crypto
import Foundation
import Sync
import TestSupport
import Testing
import UnderstudyModel

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// HTTP/1.1 over a plain socket, one request a connection: what the fuzzer sends goes on the
/// wire byte for byte (duplicated headers, lying lengths, raw bytes), which no HTTP client allows.
struct WireClient {
    let port: Int

    struct Reply {
        var status: Int
        var headers: [(String, String)]
        var body: Data
        var code: String? { (try? APICoding.decode(ErrorBody.self, from: body))?.code }
    }

    /// The server's answer, or nil when it closed the connection without one. `halfClose`
    /// ends the sending side once the bytes are out, as a client that stops mid-body does.
    func exchange(_ bytes: Data, halfClose: Bool = false, timeout: Int = 15) -> Reply? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = FaultProxy.address(port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        var sent = 0
        bytes.withUnsafeBytes { raw in
            while sent < raw.count {
                let n = send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if n <= 0 { break }
                sent += n
            }
        }
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
            if let reply = Self.parse(received, complete: false) { return reply }
        }
        return Self.parse(received, complete: true)
    }

    /// The first response in `data`, once it is all there (or, when the connection has ended, as much as came).
    static func parse(_ data: Data, complete: Bool) -> Reply? {
        guard let end = data.firstRange(of: Data("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: data[data.startIndex..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        let headers: [(String, String)] = head.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let rest = Data(data[end.upperBound...])
        if let length = headers.first(where: { $0.0 == "content-length" }).flatMap({ Int($0.1) }) {
            guard rest.count >= length else { return complete ? Reply(status: status, headers: headers, body: rest) : nil }
            return Reply(status: status, headers: headers, body: rest.prefix(length))
        }
        if headers.contains(where: { $0.0 == "transfer-encoding" && $0.1.lowercased().contains("chunked") }) {
            var body = Data()
            var at = rest.startIndex
            while let line = rest[at...].firstRange(of: Data("\r\n".utf8)) {
                let size = Int(String(decoding: rest[at..<line.lowerBound], as: UTF8.self).split(separator: ";").first ?? "", radix: 16) ?? -1
                if size == 0 { return Reply(status: status, headers: headers, body: body) }
                guard size > 0, rest.distance(from: line.upperBound, to: rest.endIndex) >= size + 2 else { break }
                body.append(rest[line.upperBound..<rest.index(line.upperBound, offsetBy: size)])
                at = rest.index(line.upperBound, offsetBy: size + 2)
            }
            return complete ? Reply(status: status, headers: headers, body: body) : nil
        }
        return complete ? Reply(status: status, headers: headers, body: rest) : nil
    }
}

/// One request the fuzzer sends, and what it did to make it.
struct FuzzRequest {
    /// What the server must do with it.
    enum Expectation: Equatable {
        /// Anything but a 5xx; a 4xx is a JSON error with a code.
        case handled
        /// Unmutated: a 2xx.
        case accepted
        /// Its signature no longer holds: 401 or 403 (`refusedAny`: any 4xx, for a body changed after signing).
        case refused
        case refusedAny
        /// Not valid HTTP/1.1: the server may answer with a bare 4xx or close the connection, and must stay up.
        case framing
    }

    var endpoint: String
    var method: String
    var target: String
    /// The path as the OpenAPI document names it, when the method is the endpoint's own.
    var template: String?
    var headers: [(String, [UInt8])] = []
    var body = Data()
    /// nil: the body's length; otherwise the raw Content-Length values sent (none: no header).
    var contentLength: [String]?
    /// Bytes sent as the body in place of `body` (chunked framing, a lie about the length).
    var rawBody: Data?
    var requestLine: String?
    var halfClose = false
    var expectation = Expectation.handled
    var mutations: [String] = []
    /// Whose key signs it.
    var signer: Int = 0
    /// Whether its method or path is no longer the endpoint's own.
    var routeChanged = false
    /// How its HTTP framing was broken, if it was.
    var framing: String?

    mutating func header(_ name: String, _ value: String) { headers.append((name, Array(value.utf8))) }
    mutating func remove(_ name: String) { headers.removeAll { $0.0.lowercased() == name.lowercased() } }

    func wire(port: Int) -> Data {
        var out = Data((requestLine ?? "\(method) \(target) HTTP/1.1").utf8) + Data("\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n".utf8)
        for (name, value) in headers { out += Data(name.utf8) + Data(": ".utf8) + Data(value) + Data("\r\n".utf8) }
        for length in contentLength ?? [String(body.count)] { out += Data("Content-Length: \(length)\r\n".utf8) }
        return out + Data("\r\n".utf8) + (rawBody ?? body)
    }
}

/// Seeded requests to every endpoint a device signs, mutated in body, headers, method, path and
/// framing; most signed after mutation (so they reach the parsers), some signed and then changed
/// (so they must be refused).
struct DeviceRequestFuzzer {
    var rng: SplitMix64
    let policy: String
    let devices: [String]
    /// Real ids the fuzzer can name: a stored segment, open enrolment codes.
    var storedSegment: String
    var codes: [String]

    static let endpoints: [(name: String, weight: Int)] = [
        ("PUT /v1/segments/{id}", 30), ("POST /v1/consents", 8), ("POST /v1/consents/withdrawal", 5), ("GET /v1/policies", 3),
        ("GET /v1/me/audit", 5), ("GET /v1/me/segments", 3), ("GET /v1/me/segments/{id}", 5), ("DELETE /v1/me/segments/{id}", 3),
        ("GET /v1/me/exemptions", 3),
        ("POST /v1/exemption-requests", 8), ("GET /v1/me/enrolment-codes", 3), ("POST /v1/me/enrolment-codes/{id}/approve", 5),
        ("DELETE /v1/me/enrolment-codes/{id}", 4), ("DELETE /v1/me", 3), ("POST /v1/enrol", 3), ("staff endpoints, device-signed", 6),
    ]

    static let staffRoutes: [(String, String, String)] = [
        ("GET", "/v1/devices", "/v1/devices"), ("POST", "/v1/devices/{id}/revoke", "/v1/devices/{id}/revoke"),
        ("GET", "/v1/audit", "/v1/audit"), ("POST", "/v1/contributors/{id}/erase", "/v1/contributors/{id}/erase"),
        ("GET", "/v1/review/segments", "/v1/review/segments"), ("GET", "/v1/dataset/segments", "/v1/dataset/segments"),
        ("POST", "/v1/enrolment-codes", "/v1/enrolment-codes"), ("GET", "/v1/enrolment-codes", "/v1/enrolment-codes"),
        ("POST", "/v1/policies", "/v1/policies"), ("GET", "/v1/stats", "/v1/stats"), ("GET", "/v1/users", "/v1/users"),
        ("POST", "/v1/users", "/v1/users"), ("GET", "/v1/exemption-requests", "/v1/exemption-requests"),
        ("POST", "/v1/enrolment-codes/{id}/approve", "/v1/enrolment-codes/{id}/approve"),
        ("POST", "/v1/dataset/exports", "/v1/dataset/exports"), ("GET", "/v1/dataset/exports/{id}", "/v1/dataset/exports/{id}"),
    ]

    static let bundleWall = Date(timeIntervalSince1970: 1_795_000_000)

    mutating func pickEndpoint() -> String {
        var n = rng.int(0...Self.endpoints.map(\.weight).reduce(0, +) - 1)
        for (name, weight) in Self.endpoints {
            if n < weight { return name }
            n -= weight
        }
        return Self.endpoints[0].name
    }

    // MARK: the unmutated request of each endpoint

    mutating func base(_ endpoint: String) -> FuzzRequest {
        let parts = endpoint.split(separator: " ", maxSplits: 1).map(String.init)
        var request = FuzzRequest(
            endpoint: endpoint, method: parts[0], target: parts.count > 1 ? parts[1] : "", template: parts.count > 1 ? parts[1] : nil)
        switch endpoint {
        case "PUT /v1/segments/{id}":
            let id = newID()
            request.target = "/v1/segments/\(id)"
            request.body = TestBundle.make(segment: id, session: newID(), policy: policy, note: "n\(rng.int(0...999_999))")
            request.header("X-Understudy-Policy", policy)
            if rng.chance(0.5) { request.header("X-Understudy-Recorded-Until", RFC3339.string(from: Self.bundleWall.addingTimeInterval(1))) }
            request.header("Content-Type", "application/x-tar")
        case "POST /v1/consents":
            request.body = try! APICoding.encode(ConsentRequest(policyHash: policy, acceptedAt: Date(timeIntervalSince1970: 1_795_000_000)))
        case "POST /v1/consents/withdrawal":
            // Before the consent the test records: it ends none, so uploads still reach their body.
            request.body = try! APICoding.encode(ConsentWithdrawalRequest(withdrawnAt: Date(timeIntervalSince1970: 946_684_800)))
        case "GET /v1/me/audit":
            request.target = "/v1/me/audit?after=\(rng.int(0...50))&limit=\(rng.int(1...20))"
        case "GET /v1/me/segments/{id}":
            request.target = "/v1/me/segments/\(rng.chance(0.5) ? storedSegment : newID())"
        case "DELETE /v1/me/segments/{id}":
            // Never the stored segment: a deletion accepted would change what the run checks is held.
            request.target = "/v1/me/segments/\(newID())"
        case "POST /v1/exemption-requests":
            let start = Date(timeIntervalSince1970: 1_795_000_000 + Double(rng.int(0...1_000_000)))
            let kind = rng.pick(["app", "site", "title", "all"])
            request.body = try! APICoding.encode(
                ExemptionRequestBody(
                    id: "x-\(rng.int(0...999_999))", kind: kind, value: rng.pick(["Firefox", "bank.example", "Payroll"]),
                    reason: rng.pick([nil, "private"]),
                    requestedAt: start, from: rng.chance(0.5) || kind == "all" ? start : nil,
                    until: kind == "all" || rng.chance(0.3) ? start.addingTimeInterval(3600) : nil
                ))
        case "POST /v1/me/enrolment-codes/{id}/approve":
            request.target = "/v1/me/enrolment-codes/\(codeID())/approve"
            request.body = try! APICoding.encode(EnrolmentApprovalRequest(allowHistory: rng.pick([nil, true, false])))
        case "DELETE /v1/me/enrolment-codes/{id}":
            request.target = "/v1/me/enrolment-codes/\(codeID())"
        case "DELETE /v1/me":
            // Only the second device's contributor, and only ever refused: an accepted one would end the run.
            request.signer = 1
        case "POST /v1/enrol":
            request.body = try! APICoding.encode(
                EnrolRequest(code: "fuzz-\(rng.int(0...999_999))", publicKey: rng.bytes(32).base64EncodedString(), name: rng.pick([nil, "laptop"])))
        case "staff endpoints, device-signed":
            let (method, path, template) = rng.pick(Self.staffRoutes)
            request.method = method
            request.target = path.replacingOccurrences(of: "{id}", with: rng.pick(devices + ["alice", newID()]))
            request.template = template
            request.endpoint = "\(method) \(template) (staff)"
            if method == "POST" { request.body = Data(#"{"name":"x","role":"admin","contributor":"alice"}"#.utf8) }
        default: break
        }
        return request
    }

    /// A version-4 UUID from the generator, lowercased as devices write segment ids.
    mutating func newID() -> String {
        var bytes = [UInt8](rng.bytes(16))
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = bytes.hexDigits
        let cuts = [8, 12, 16, 20]
        return hex.enumerated().map { cuts.contains($0.offset) ? "-\($0.element)" : "\($0.element)" }.joined()
    }

    mutating func codeID() -> String { codes.isEmpty || rng.chance(0.3) ? String(rng.bytes(8).hexDigits) : rng.pick(codes) }

    /// Whether the endpoint reads its body (so a body changed after signing is caught by its hash).
    static func readsBody(_ endpoint: String) -> Bool {
        endpoint.hasPrefix("POST") && !endpoint.contains("(staff)") && endpoint != "POST /v1/enrol" || endpoint.hasPrefix("PUT")
    }

    // MARK: a whole request: base, mutations, signature

    /// The next request; `sign` signs it as its device would (method, target, the body's hash).
    mutating func request(sign: (inout FuzzRequest) -> Void) -> FuzzRequest {
        notes = []
        var request = build(sign: sign)
        request.mutations += notes
        return request
    }

    private mutating func build(sign: (inout FuzzRequest) -> Void) -> FuzzRequest {
        let endpoint = pickEndpoint()
        var request = base(endpoint)
        let roll = Double.random(in: 0..<1, using: &rng)
        if endpoint == "DELETE /v1/me" {
            sign(&request)
            brokenSignature(&request)
            return request
        }
        if endpoint == "POST /v1/enrol" {
            if roll < 0.85 { mutateBody(&request) }
            return request
        }
        if roll < 0.12 {
            // A valid request: it must succeed, or the fuzzer reaches nothing.
            sign(&request)
            request.expectation = request.endpoint.contains("(staff)") ? .refused : .accepted
            if endpoint.contains("{id}/approve") || endpoint.hasPrefix("DELETE /v1/me/enrolment-codes") || endpoint.hasSuffix(" /v1/me/segments/{id}")
            {
                request.expectation = .handled
            }
            request.mutations.append("none")
        } else if roll < 0.72 {
            for _ in 0..<rng.int(1...3) {
                switch rng.int(0...9) {
                case 0...4: mutateBody(&request)
                case 5...6: mutateHeaders(&request)
                case 7: mutatePath(&request)
                case 8: mutateQuery(&request)
                default: mutateMethod(&request)
                }
            }
            sign(&request)
            if rng.chance(0.15) { afterSigning(&request) }
            if request.endpoint.contains("(staff)"), !request.routeChanged { request.expectation = .refused }
        } else if roll < 0.86 {
            sign(&request)
            brokenSignature(&request)
        } else if roll < 0.93 {
            sign(&request)
            framing(&request)
        } else {
            unsigned(&request)
        }
        return request
    }

    // MARK: bodies

    mutating func mutateBody(_ request: inout FuzzRequest) {
        if request.endpoint.hasPrefix("PUT") { return mutateBundle(&request) }
        let original = request.body
        var json = (try? JSONValue.parse(original)) ?? .object([])
        let choice = rng.int(0...19)
        switch choice {
        case 0...7:
            json = mutateJSON(json, depth: 0)
            request.body = Data(json.serialized.utf8)
            return
        case 8:
            request.body = original.prefix(rng.int(0...max(0, original.count - 1)))
            request.mutations.append("body truncated to \(request.body.count) bytes")
        case 9:
            request.body = rng.bytes(rng.int(0...400))
            request.mutations.append("body of \(request.body.count) random bytes")
        case 10:
            request.body = Data()
            request.mutations.append("no body")
        case 11:
            request.body = Data(rng.pick(["[]", "null", "\"x\"", "1", "true", "{}", "[{}]", "1e999", "-0"]).utf8)
            request.mutations.append("body is the JSON \(String(decoding: request.body, as: UTF8.self))")
        case 12:
            let depth = rng.int(100...20_000)
            request.body = Data((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
            request.mutations.append("\(depth) nested arrays")
        case 13:
            request.body = Data(repeating: UInt8(ascii: " "), count: rng.int(65_000...70_000)) + original
            request.mutations.append("body padded past 64 KiB")
        case 14:
            request.body = Data([0xEF, 0xBB, 0xBF]) + original
            request.mutations.append("byte order mark")
        case 15:
            request.body = original + Data(rng.pick(["}", "garbage", "\u{0}", ",{}", "\n{}"]).utf8)
            request.mutations.append("trailing bytes after the JSON")
        case 16:
            let text = String(decoding: original, as: UTF8.self)
            request.body = Data(
                text.replacingOccurrences(of: "{", with: "{\"\(rng.pick(["policy_hash", "id", "kind", "withdrawn_at", "code"]))\":1,").utf8)
            request.mutations.append("a key given twice")
        case 17:
            var bytes = [UInt8](original)
            for _ in 0..<rng.int(1...4) where !bytes.isEmpty { bytes[rng.int(0...bytes.count - 1)] = UInt8.random(in: 0...255, using: &rng) }
            request.body = Data(bytes)
            request.mutations.append("bytes of the JSON changed")
        case 18:
            request.body = Data(String(decoding: original, as: UTF8.self).utf16.map { UInt8(truncatingIfNeeded: $0) } + [0, 0])
            request.mutations.append("JSON with NUL bytes")
        default:
            request.body = Data("{\"a\":\"\(String(repeating: "\\ud800", count: rng.int(1...50)))\"}".utf8)
            request.mutations.append("lone surrogate escapes")
        }
    }

    /// A JSON value with one thing changed: a field dropped, retyped, emptied, made huge, unicode, a date garbled.
    mutating func mutateJSON(_ value: JSONValue, depth: Int) -> JSONValue {
        guard case .object(var members) = value, !members.isEmpty else {
            let replacement = weird()
            return .object([("x", replacement)])
        }
        // Decoded keys come in the order of a hashed dictionary, which differs from run to run: sorted, a seed repeats.
        members.sort { $0.0 < $1.0 }
        let index = rng.int(0...members.count - 1)
        let key = members[index].0
        switch rng.int(0...5) {
        case 0:
            members.remove(at: index)
            notes.append("'\(key)' dropped")
        case 1:
            members.append((rng.pick(["extra", key.uppercased(), "__proto__", "\u{202E}kind", ""]), weird()))
            notes.append("an unknown field")
        case 2 where members[index].1.stringValue != nil && key.hasSuffix("_at") || key == "from" || key == "until":
            let date = rng.pick([
                "2026-02-30T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "-0001-01-01T00:00:00Z", "2026-11-23",
                "2026-11-23T25:61:61Z",
                "2026-11-23T00:00:00.123456789123456789Z", "2026-11-23T00:00:00+14:00", "1970-01-01T00:00:00Z", "now", "", "2026-11-23T00:00:00",
                "+275760-09-13T00:00:00Z", "1e308",
            ])
            members[index].1 = .string(date)
            notes.append("'\(key)' as the date \(date)")
        default:
            let replacement = weird()
            members[index].1 = replacement
            notes.append("'\(key)' = \(describe(replacement))")
        }
        return .object(members)
    }

    /// What was done to the request being built, by helpers that do not hold it.
    var notes: [String] = []

    mutating func weird() -> JSONValue {
        switch rng.int(0...14) {
        case 0: .null
        case 1: .bool(rng.chance(0.5))
        case 2: .int(-Int64(rng.int(1...Int.max)))
        case 3: .int(Int64.max)
        case 4: .double(rng.pick([1e308, -1e308, 0.5, -0.0, Double.leastNonzeroMagnitude]))
        case 5: .string("")
        case 6: .string(String(repeating: rng.pick(["a", "é", "😀", "\u{0}", "%", "\\"]), count: rng.int(1_000...20_000)))
        case 7:
            .string(rng.pick(["😀👩‍👩‍👧", "\u{202E}gnp.exe", "a\u{0}b", "\u{FEFF}", "Ω≈ç√", "\u{1F1FA}\u{1F1F8}", "\r\n", "../../etc/passwd", "<script>"]))
        case 8: .array([])
        case 9: .array((0..<rng.int(1...50)).map { _ in .string("x") })
        case 10: .object([])
        case 11: .object([("a", .object([("b", .array([.null]))]))])
        case 12: .string(String(repeating: "ab", count: 32))
        case 13: .string(RFC3339.string(from: Date(timeIntervalSince1970: Double(rng.int(-100_000_000_000...100_000_000_000)))))
        default: .int(Int64(rng.int(-5...5)))
        }
    }

    func describe(_ value: JSONValue) -> String {
        let text = value.serialized
        return text.count > 40 ? "\(text.prefix(20))… (\(text.utf8.count) bytes)" : text
    }

    // MARK: bundles

    mutating func mutateBundle(_ request: inout FuzzRequest) {
        var members = TarFormat.members(of: request.body)?.map { ($0.name, $0.data) } ?? []
        var bytes = [UInt8](request.body)
        guard members.count >= 2, bytes.count >= 1024 else {
            // Mutated already past being an archive: more random bytes.
            request.body += rng.bytes(rng.int(1...64))
            request.mutations.append("random bytes appended")
            return
        }
        switch rng.int(0...21) {
        case 0...2:
            let n = rng.int(1...16)
            for _ in 0..<n { bytes[rng.int(0...bytes.count - 1)] ^= UInt8(1 << rng.int(0...7)) }
            request.body = Data(bytes)
            request.mutations.append("\(n) bits flipped in the bundle")
            return
        case 3:
            request.body = Data(bytes.prefix(rng.int(0...bytes.count - 1)))
            request.mutations.append("bundle truncated to \(request.body.count) bytes")
            return
        case 4:
            let blocks = bytes.count / 512
            request.body = Data(bytes.prefix(512 * rng.int(1...max(1, blocks - 1))))
            request.mutations.append("bundle cut at a block, \(request.body.count) bytes")
            return
        case 5, 6:
            mangleHeader(&bytes, members: members.map(\.1.count))
            request.body = Data(bytes)
            return
        case 7:
            members.remove(at: rng.int(0...members.count - 1))
            request.mutations.append("a member dropped")
        case 8:
            members.swapAt(0, rng.int(1...members.count - 1))
            request.mutations.append("members reordered")
        case 9:
            members.append(members[rng.int(0...members.count - 1)])
            request.mutations.append("a member twice")
        case 10:
            let name = rng.pick([
                "../escape", "/etc/passwd", "frames/../../x", "extra.bin", "events.jsonl/", "frames/000001.frame", "patches/2.png", "", "a\u{0}b",
                String(repeating: "d/", count: 60) + "x", "é.json", "frames/" + String(repeating: "9", count: 90) + ".frame",
            ])
            members.insert((name, rng.bytes(rng.int(0...600))), at: rng.int(0...members.count))
            request.mutations.append("a member named \(name.prefix(30))")
        case 11:
            if let at = members.firstIndex(where: { $0.0 == "segment.json" }) {
                let before = notes.count
                members[at].1 = Data(mutateSegmentHeader(members[at].1).serialized.utf8)
                for n in before..<notes.count { notes[n] = "segment.json: " + notes[n] }
            }
        case 12:
            if let at = members.firstIndex(where: { $0.0 == "segment.json" }) {
                members[at].1 = members[at].1.prefix(rng.int(0...members[at].1.count - 1))
                request.mutations.append("segment.json truncated")
            }
        case 13:
            if let at = members.firstIndex(where: { $0.0 == "events.jsonl" }) {
                let line = rng.pick([
                    "{}", "garbage", "{\"seq\":-1,\"t_ns\":-5,\"wall\":\"x\",\"kind\":\"key.down\"}", String(repeating: "x", count: 70_000),
                    "{\"seq\":3,\"t_ns\":3000,\"wall\":\"2026-11-19T00:26:40.000Z\",\"kind\":\"pointer.move\",\"x\":1e308,\"y\":-1}",
                    "{\"seq\":3,\"t_ns\":3000,\"wall\":\"2026-11-19T00:26:40.000Z\",\"kind\":\"frame\",\"frame\":\"../../x\",\"w\":0,\"h\":-1}", "\r",
                    "\u{0}",
                ])
                members[at].1 += Data((line + "\n").utf8)
                request.mutations.append("events.jsonl with the line \(line.prefix(30))")
            }
        case 14:
            if let at = members.firstIndex(where: { $0.0.hasSuffix(".frame") }) {
                let layout = rng.pick([
                    "{\"hash\":\"x\",\"width\":-1,\"height\":1,\"tile_size\":0}", "{\"width\":100000,\"height\":100000,\"tile_size\":1}", "not json",
                    "",
                    "{\"hash\":\"000000000000000000000000000000aa\",\"width\":128,\"height\":128,\"tile_size\":128,\"grabbed_ns\":-1,\"reason\":\"x\",\"redactions\":[[1,2]],\"withheld\":5}",
                ])
                members[at].1 = Data((layout + "\n").utf8) + members[at].1.drop(while: { $0 != UInt8(ascii: "\n") }).dropFirst()
                request.mutations.append("frame layout \(layout.prefix(30))")
            }
        case 15:
            if let at = members.firstIndex(where: { $0.0 == "patches/1.json" }) {
                members[at].1 = Data(
                    rng.pick([
                        "{\"codec\":\"gif\",\"tile_size\":-1,\"tiles\":[]}", "{\"tiles\":[\"zz\"]}", "[]",
                        "{\"codec\":\"png\",\"tile_size\":128,\"tiles\":[1]}",
                    ]).utf8)
                request.mutations.append("patch layout changed")
            }
        case 16:
            request.body = Data(bytes) + rng.bytes(rng.int(1...2_000))
            request.mutations.append("random bytes after the archive")
            return
        case 17:
            request.body = rng.bytes(rng.int(1...3_000))
            request.mutations.append("\(request.body.count) random bytes as the bundle")
            return
        case 18:
            request.body = Data([0x1F, 0x8B, 0x08, 0x00]) + rng.bytes(500)
            request.mutations.append("gzip bytes as the bundle")
            return
        case 19:
            request.body = Data(count: 512 * rng.int(0...4))
            request.mutations.append("\(request.body.count) zero bytes as the bundle")
            return
        case 20:
            request.body = Data()
            request.mutations.append("empty upload")
            return
        default:
            request.body = TestBundle.make(segment: String(request.target.split(separator: "/").last ?? ""), policy: policy, padding: 1_100_000)
            request.mutations.append("a bundle over max_segment_size")
            return
        }
        request.body = TestBundle.archive(members)
    }

    /// One field of one member's tar header changed; the checksum made right again most times, so the reader goes on.
    mutating func mangleHeader(_ bytes: inout [UInt8], members sizes: [Int]) {
        var offsets: [Int] = []
        var at = 0
        for size in sizes {
            offsets.append(at)
            at += 512 + (size + 511) / 512 * 512
        }
        guard let header = offsets.isEmpty ? nil : rng.pick(offsets) else { return }
        let (field, range, value): (String, Range<Int>, [UInt8]) =
            switch rng.int(0...9) {
            case 0: ("size", 124..<136, Array(rng.pick(["-1", "77777777777", "99999999999", "0", "1", "abc", " 12", "00000001000"]).utf8))
            case 1: ("size (base-256)", 124..<136, [0x80] + [UInt8](repeating: 0xFF, count: 11))
            case 2: ("name", 0..<100, Array(rng.pick(["../../x", "/abs", "", "events.jsonl", "segment.json", "a\u{0}b", "frames/x.frame"]).utf8))
            case 3:
                (
                    "type", 156..<157,
                    [rng.pick([UInt8(ascii: "2"), UInt8(ascii: "5"), UInt8(ascii: "x"), UInt8(ascii: "L"), UInt8(ascii: "g"), 0, 0xFF])]
                )
            case 4: ("magic", 257..<263, Array(rng.pick(["xxxxx\u{0}", "ustar ", "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}"]).utf8))
            case 5: ("prefix", 345..<500, Array(rng.pick(["..", "/", String(repeating: "p", count: 155)]).utf8))
            case 6: ("mode", 100..<108, Array("9999999".utf8))
            case 7: ("mtime", 136..<148, Array("-77777777777".utf8))
            case 8: ("link name", 157..<257, Array("../../../etc/shadow".utf8))
            default: ("checksum", 148..<156, Array("0000000".utf8) + [0])
            }
        var block = Array(bytes[header..<header + 512])
        for i in range { block[i] = i - range.lowerBound < value.count ? value[i - range.lowerBound] : 0 }
        let fixed = field != "checksum" && rng.chance(0.8)
        if fixed {
            for i in 148..<156 { block[i] = 0x20 }
            let digits = Array(String(block.reduce(0) { $0 + Int($1) }, radix: 8).utf8)
            block.replaceSubrange(148..<156, with: [UInt8](repeating: UInt8(ascii: "0"), count: 6 - digits.count) + digits + [0, 0x20])
        }
        bytes.replaceSubrange(header..<header + 512, with: block)
        notes.append("tar header of member at \(header): \(field) changed\(fixed ? "" : ", checksum left wrong")")
    }

    mutating func mutateSegmentHeader(_ data: Data) -> JSONValue {
        guard case .object(var members) = (try? JSONValue.parse(data)) ?? .null else { return .null }
        if rng.chance(0.4), let at = members.firstIndex(where: { $0.0 == "session" }), case .object(let session) = members[at].1 {
            let before = notes.count
            members[at].1 = mutateJSON(.object(session), depth: 1)
            for n in before..<notes.count { notes[n] = "session " + notes[n] }
            return .object(members)
        }
        return mutateJSON(.object(members), depth: 0)
    }

    // MARK: headers, paths, queries, methods

    mutating func mutateHeaders(_ request: inout FuzzRequest) {
        let upload = request.endpoint.hasPrefix("PUT")
        switch rng.int(0...11) {
        case 0 where upload:
            request.remove("X-Understudy-Policy")
            request.mutations.append("no X-Understudy-Policy")
        case 1 where upload:
            request.remove("X-Understudy-Policy")
            let value = rng.pick([
                "", " ", String(repeating: "cd", count: 32), policy.uppercased(), String(repeating: "a", count: 8_000), "\(policy), \(policy)",
            ])
            request.header("X-Understudy-Policy", value)
            request.mutations.append("X-Understudy-Policy = \(value.prefix(20))… (\(value.count) chars)")
        case 2 where upload:
            request.header("X-Understudy-Policy", String(repeating: "ef", count: 32))
            request.mutations.append("X-Understudy-Policy twice")
        case 3 where upload:
            request.remove("X-Understudy-Recorded-Until")
            let value = rng.pick([
                "yesterday", "", "2026-11-19T00:26:41Z", "2099-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "1e308",
                RFC3339.string(from: Self.bundleWall.addingTimeInterval(500)),
            ])
            request.header("X-Understudy-Recorded-Until", value)
            request.mutations.append("X-Understudy-Recorded-Until = \(value)")
        case 4:
            request.headers.append(("X-Understudy-Policy", [0xFF, 0xFE, 0x80] + Array("é".utf8)))
            request.mutations.append("non-ASCII bytes in a header value")
        case 5:
            request.header(
                "Content-Type",
                rng.pick([
                    "text/plain", "multipart/form-data; boundary=x", "application/json; charset=utf-16", String(repeating: "x", count: 4_000), "",
                ]))
            request.mutations.append("odd Content-Type")
        case 6:
            request.header("X-Junk", String(repeating: "j", count: rng.int(1_000...30_000)))
            request.mutations.append("a long header")
        case 7:
            for n in 0..<rng.int(50...300) { request.header("X-Many-\(n)", "v") }
            request.mutations.append("many headers")
        case 8:
            request.header("Expect", "100-continue")
            request.mutations.append("Expect: 100-continue")
        case 9:
            request.header("Accept-Encoding", "gzip, br, x-nonsense")
            request.header("Accept", "*/*;q=0.0")
            request.mutations.append("odd Accept headers")
        case 10:
            request.header("Content-Encoding", "gzip")
            request.mutations.append("Content-Encoding: gzip on a plain body")
        default:
            request.header("x-understudy-policy", policy)
            request.mutations.append("a lowercase duplicate of X-Understudy-Policy")
        }
    }

    mutating func mutatePath(_ request: inout FuzzRequest) {
        guard request.template?.contains("{") == true else {
            request.target += rng.pick(["/", "//", "/x", "%00", "/.."])
            request.template = nil
            request.routeChanged = true
            request.mutations.append("path \(request.target)")
            return
        }
        let id = rng.pick([
            "not-a-uuid", "ZZZZ", String(repeating: "a", count: 81), String(repeating: "0", count: 80), "..", "%2e%2e", "%00", "%ff%fe", "%E2%80%AE",
            "00000000-0000-0000-0000-000000000000", newID().uppercased(), "-", "a%2Fb", "%",
            "😀".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
            "'%20OR%201=1--", String(repeating: "%41", count: 2_000),
        ])
        var parts = request.target.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let slot = request.template!.split(separator: "/", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("{") } ?? parts.count - 1
        if slot < parts.count { parts[slot] = id }
        request.target = parts.joined(separator: "/")
        request.mutations.append("path id \(id.prefix(24))")
    }

    mutating func mutateQuery(_ request: inout FuzzRequest) {
        let path = request.target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.target
        let query = rng.pick([
            "after=-1", "after=abc", "after=99999999999999999999", "limit=0", "limit=1001", "limit=-5", "limit=1&limit=2", "after=", "limit=%zz",
            "after=1e3", "limit=+5", "after=0x10", "x=" + String(repeating: "q", count: 5_000), "after=%F0%9F%98%80", "&&&", "=", "status=pending",
        ])
        request.target = path + "?" + query
        request.mutations.append("query \(query.prefix(30))")
    }

    mutating func mutateMethod(_ request: inout FuzzRequest) {
        // DELETE on the stored segment's path would delete it (and change what the run checks is held).
        let deletes = !request.target.hasPrefix("/v1/me/segments/")
        let method = rng.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"].filter { $0 != request.method && ($0 != "DELETE" || deletes) })
        request.method = method
        request.template = nil
        request.routeChanged = true
        request.mutations.append("method \(method)")
    }

    /// After a valid signature: headers the signature does not cover, duplicated or added.
    mutating func afterSigning(_ request: inout FuzzRequest) {
        switch rng.int(0...2) {
        case 0:
            if let signature = request.headers.first(where: { $0.0 == RequestSigning.signatureHeader }) { request.headers.append(signature) }
            request.mutations.append("the signature header twice")
        case 1:
            request.headers.append(("Authorization", Array("Bearer nothing".utf8)))
            request.mutations.append("a second Authorization header")
        default:
            let date = request.headers.first { $0.0 == RequestSigning.dateHeader }
            if let date { request.headers.append(date) }
            request.mutations.append("the date header twice")
        }
    }

    // MARK: requests that must be refused

    mutating func brokenSignature(_ request: inout FuzzRequest) {
        request.expectation = .refused
        func replace(_ name: String, _ value: String) {
            if let at = request.headers.firstIndex(where: { $0.0 == name }) { request.headers[at].1 = Array(value.utf8) }
        }
        func value(_ name: String) -> String { request.headers.first { $0.0 == name }.map { String(decoding: $0.1, as: UTF8.self) } ?? "" }
        switch rng.int(0...11) {
        case 0:
            request.target += request.target.contains("?") ? "&x=1" : "?x=1"
            request.mutations.append("query added after signing")
        case 1:
            request.target = request.target.replacingOccurrences(of: "/v1/", with: "/v1//")
            request.mutations.append("path changed after signing")
        case 2:
            request.method = request.method == "GET" ? "POST" : "GET"
            request.mutations.append("method changed after signing")
        case 3:
            replace(RequestSigning.dateHeader, String((Int64(value(RequestSigning.dateHeader)) ?? 0) + 1))
            request.mutations.append("date changed after signing")
        case 4:
            replace(RequestSigning.nonceHeader, String(rng.bytes(16).hexDigits))
            request.mutations.append("nonce changed after signing")
        case 5:
            replace(RequestSigning.contentHeader, String(rng.bytes(32).hexDigits))
            request.mutations.append("content hash changed after signing")
        case 6:
            var signature = [UInt8](Data(base64Encoded: value(RequestSigning.signatureHeader)) ?? Data(count: 64))
            signature[rng.int(0...signature.count - 1)] ^= 1 << UInt8(rng.int(0...7))
            replace(RequestSigning.signatureHeader, Data(signature).base64EncodedString())
            request.mutations.append("a signature bit flipped")
        case 7:
            let name = rng.pick([RequestSigning.signatureHeader, RequestSigning.dateHeader, RequestSigning.nonceHeader, RequestSigning.contentHeader])
            request.remove(name)
            request.mutations.append("\(name) dropped after signing")
        case 8:
            let other = devices[(request.signer + 1) % devices.count]
            replace("Authorization", "\(RequestSigning.scheme) \(rng.chance(0.5) ? other : "dev-nosuchdevice")")
            request.mutations.append("Authorization names another device")
        case 9:
            replace(RequestSigning.signatureHeader, rng.pick(["", "!!!", "AAAA", String(repeating: "A", count: 10_000)]))
            request.mutations.append("signature not a signature")
        case 10 where Self.readsBody(request.endpoint) && !request.body.isEmpty:
            var bytes = [UInt8](request.body)
            bytes[rng.int(0...bytes.count - 1)] ^= 0x20
            request.body = Data(bytes)
            request.expectation = .refusedAny
            request.mutations.append("body changed after signing")
        default:
            replace(RequestSigning.dateHeader, String(rng.pick(["-1", "abc", "99999999999999999999", " 1", "1.5", "0"])))
            request.mutations.append("date not Unix seconds after signing")
        }
    }

    mutating func unsigned(_ request: inout FuzzRequest) {
        request.expectation = .refused
        switch rng.int(0...3) {
        case 0: request.mutations.append("not signed")
        case 1:
            request.header(
                "Authorization",
                rng.pick([
                    "Bearer x", "Basic YTpi", "Understudy-Device", "Understudy-Device ", "understudy-device \(devices[0])",
                    "Understudy-Device \u{1F600}",
                ]))
            request.mutations.append("an Authorization that is no device's")
        case 2:
            request.header("Authorization", "\(RequestSigning.scheme) \(devices[0])")
            request.mutations.append("Authorization without signature headers")
        default:
            request.header("Authorization", "\(RequestSigning.scheme) \(String(repeating: "d", count: rng.int(100...6_000)))")
            request.mutations.append("a long device id")
        }
    }

    // MARK: framing

    mutating func framing(_ request: inout FuzzRequest) {
        request.expectation = .framing
        defer { request.framing = request.mutations.last }
        switch rng.int(0...10) {
        case 0 where !request.body.isEmpty:
            request.contentLength = [String(rng.int(0...request.body.count - 1))]
            request.mutations.append("Content-Length shorter than the body")
        case 1:
            request.contentLength = [String(request.body.count + rng.int(1...1_000))]
            request.halfClose = true
            request.mutations.append("Content-Length longer than the body, then the client stops sending")
        case 2:
            request.contentLength = [rng.pick(["abc", "-1", "99999999999999999999", "1.5", " ", "0x10", "+5"])]
            request.mutations.append("Content-Length \(request.contentLength![0])")
        case 3:
            request.contentLength = [String(request.body.count), String(request.body.count + 1)]
            request.mutations.append("two different Content-Lengths")
        case 4:
            request.contentLength = []
            request.header("Transfer-Encoding", "chunked")
            request.rawBody = Self.chunked(request.body, size: rng.int(1...4_096))
            request.expectation = .handled
            request.mutations.append("body in chunks")
        case 5:
            request.contentLength = []
            request.header("Transfer-Encoding", "chunked")
            request.rawBody = Data(
                rng.pick(["zz\r\nabc\r\n0\r\n\r\n", "5\r\nab", "-1\r\n\r\n", "FFFFFFFFFFFFFFFF\r\nx\r\n", "3\r\nabcdef\r\n0\r\n\r\n"]).utf8)
            request.halfClose = true
            request.mutations.append("broken chunks")
        case 6:
            request.header("Transfer-Encoding", "chunked")
            request.rawBody = Self.chunked(request.body, size: 100)
            request.mutations.append("Content-Length and Transfer-Encoding both")
        case 7:
            request.headers.append((rng.pick(["X Bad", "X:Colon", "É", "", "X\u{0}"]), Array("v".utf8)))
            request.mutations.append("a header name that is not a token")
        case 8:
            request.headers.append((rng.pick(["X-Broken", "Authorization"]), Array(rng.pick(["a\nb", "a\u{0}b", "\u{0}"]).utf8)))
            request.mutations.append("a bare LF or a NUL in a header value")
        case 9:
            request.header("X-Huge", String(repeating: "h", count: rng.int(100_000...300_000)))
            request.mutations.append("a header of over 100 KB")
        default:
            request.requestLine = rng.pick([
                "\(request.method)  \(request.target) HTTP/1.1", "\(request.method.lowercased()) \(request.target) HTTP/1.1",
                "FOO \(request.target) HTTP/1.1",
                "\(request.method) http://127.0.0.1\(request.target) HTTP/1.1", "\(request.method) \(request.target) HTTP/9.9",
                "\(request.method) \(request.target)",
                "\(request.method) \(request.target) HTTP/1.0",
            ])
            request.mutations.append("request line '\(request.requestLine!.prefix(40))'")
        }
    }

    static func chunked(_ body: Data, size: Int) -> Data {
        var out = Data()
        var at = 0
        while at < body.count {
            let piece = body[at..<min(body.count, at + size)]
            out += Data("\(String(piece.count, radix: 16))\r\n".utf8) + piece + Data("\r\n".utf8)
            at += size
        }
        return out + Data("0\r\n\r\n".utf8)
    }
}

@Suite("Device endpoints under a seeded fuzzer that signs its requests", .serialized)
struct DeviceEndpointFuzzTests {
    /// Codes the collector answers when a device's signature does not hold.
    static let authCodes: Set<String> = ["bad_signature", "unknown_device", "clock_skew", "replayed_request", "unauthenticated", "device_revoked"]

    @Test(
        "Thousands of seeded device requests, signed after their bodies, headers, paths and methods were mutated or mutated after signing: no 5xx, every 4xx a JSON error with a code the OpenAPI document declares, the collector stays up, and only valid bundles are stored"
    )
    func signedRequestsMutated() async throws {
        let environment = ProcessInfo.processInfo.environment
        let count = Int(environment["UNDERSTUDY_FUZZ_REQUESTS"] ?? "") ?? 4000
        let seed = UInt64(environment["UNDERSTUDY_FUZZ_SEED"] ?? "") ?? 17
        let started = ContinuousClock.now
        let org = try Organisation(config: "max_segment_size: 1MB\nidle_timeout: 3s\nanonymous_requests_per_minute: 1000000\n")
        let contract = try await OpenAPIContract(server: org.collector.url)
        let wire = WireClient(port: org.collector.port)
        let policy = try Data(contentsOf: URL(fileURLWithPath: org.policy)).sha256Hex

        // Two devices, enrolled as `understudy enroll` does: a key made here, the public half sent with a code.
        var credentials: [DeviceCredential] = []
        for contributor in ["alice", "bob"] {
            let key = Curve25519Key()
            let body = try APICoding.encode(EnrolRequest(code: try org.code(for: contributor), publicKey: key.publicKey, name: "fuzz"))
            let enrolled = try #require(
                wire.exchange(FuzzRequest(endpoint: "", method: "POST", target: "/v1/enrol", body: body).wire(port: wire.port)))
            let device = try APICoding.decode(Enrolled.self, from: enrolled.body).device
            credentials.append(try key.credential(server: org.collector.url, device: device, contributor: contributor))
        }
        func sign(_ request: inout FuzzRequest) {
            let credential = credentials[request.signer]
            let hash = SHA256.hash(data: request.body).hexDigits
            // The library's signer, as every device request is signed.
            for (name, value)
                in (try? credential.headers(method: request.method, target: request.target, contentSHA256: hash, now: WallClock.system.now())) ?? []
            {
                request.header(name, value)
            }
        }
        func send(_ method: String, _ target: String, body: Data = Data(), headers: [(String, String)] = []) -> WireClient.Reply? {
            var request = FuzzRequest(endpoint: "", method: method, target: target, body: body)
            for (name, value) in headers { request.header(name, value) }
            sign(&request)
            return wire.exchange(request.wire(port: wire.port))
        }
        func consent() -> Int {
            send("POST", "/v1/consents", body: try! APICoding.encode(ConsentRequest(policyHash: policy, acceptedAt: WallClock.system.now())))?.status
                ?? 0
        }
        #expect(consent() == 200)
        // Open codes for alice's second device, awaiting her approval: ids the fuzzer can approve and refuse.
        for _ in 0..<3 { _ = try org.code(for: "alice") }
        let codes = try APICoding.decode([EnrolmentCodeListing].self, from: try #require(send("GET", "/v1/me/enrolment-codes")).body).map(\.id)
        #expect(codes.count == 3)
        // One segment stored before the run, so downloads and repeats name a real one.
        var stored: [String: Data] = [:]
        let first = UUID().uuidString.lowercased()
        let firstBundle = TestBundle.make(segment: first, policy: policy)
        #expect(send("PUT", "/v1/segments/\(first)", body: firstBundle, headers: [("X-Understudy-Policy", policy)])?.status == 201)
        stored[first] = firstBundle

        var fuzzer = DeviceRequestFuzzer(
            rng: SplitMix64(seed: seed), policy: policy, devices: credentials.map(\.device), storedSegment: first, codes: codes)
        var perEndpoint: [String: [Int: Int]] = [:]
        var codesSeen: [String: Int] = [:]
        var failures = 0
        var closedWithoutAnswer = 0
        var bareRefusals = 0
        var replays = 0
        var sent = 0
        var perClass: [String: Int] = [:]
        var bareByFraming: [String: Int] = [:]
        // The generator's course, hashed: the same seed gives the same figure, whatever the server answered.
        var trace = SHA256()
        func fail(_ index: Int, _ request: FuzzRequest, _ what: String) {
            failures += 1
            guard failures <= 40 else { return }
            Issue.record(
                "seed \(seed), request \(index) (\(request.method) \(request.target.prefix(80)), \(request.endpoint)): \(what); mutations: \(request.mutations.joined(separator: "; "))"
            )
        }
        /// Checks one answer; returns it.
        func check(_ index: Int, _ request: FuzzRequest, _ reply: WireClient.Reply?) -> WireClient.Reply? {
            sent += 1
            perClass["\(request.expectation)", default: 0] += 1
            guard let reply else {
                if request.expectation != .framing { fail(index, request, "the connection closed without an answer") }
                closedWithoutAnswer += 1
                return nil
            }
            perEndpoint[request.endpoint, default: [:]][reply.status, default: 0] += 1
            if reply.status >= 500 { fail(index, request, "answered \(reply.status): \(String(decoding: reply.body.prefix(200), as: UTF8.self))") }
            if (400..<500).contains(reply.status) {
                if let code = reply.code, !code.isEmpty, code.allSatisfy({ $0.isLowercase || $0 == "_" }) {
                    codesSeen[code, default: 0] += 1
                } else if request.expectation == .framing {
                    bareRefusals += 1
                    bareByFraming[request.framing ?? "?", default: 0] += 1
                } else {
                    fail(index, request, "answered \(reply.status) without a JSON error: \(String(decoding: reply.body.prefix(200), as: UTF8.self))")
                }
            }
            switch request.expectation {
            case .accepted where !(200..<300).contains(reply.status):
                fail(index, request, "an unmutated request answered \(reply.status) \(reply.code ?? "")")
            case .refused where ![401, 403].contains(reply.status):
                fail(index, request, "a request whose signature does not hold answered \(reply.status) \(reply.code ?? ""), not 401 or 403")
            case .refusedAny where !(400..<500).contains(reply.status):
                fail(index, request, "a body changed after signing answered \(reply.status)")
            default: break
            }
            if let template = request.template, request.expectation != .framing, request.requestLine == nil,
                !contract.declares(request.method, template, reply.status)
            {
                fail(
                    index, request,
                    "answered \(reply.status) \(reply.code ?? ""), which the OpenAPI document does not declare for \(request.method) \(template)")
            }
            return reply
        }

        for index in 0..<count {
            let request = fuzzer.request(sign: sign)
            trace.update(data: Data("\(request.endpoint) \(request.mutations.count) \(fuzzer.rng.state)\n".utf8))
            let bytes = request.wire(port: wire.port)
            let reply = check(index, request, wire.exchange(bytes, halfClose: request.halfClose))
            if !org.collector.process.isRunning {
                fail(index, request, "the collector exited (status \(org.collector.process.terminationStatus))")
                break
            }
            if reply == nil, wire.exchange(Data("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))?.status != 200 {
                fail(index, request, "the collector stopped answering /health")
            }
            guard let reply else { continue }
            if reply.status == 201, request.endpoint.hasPrefix("PUT"),
                let acknowledged = try? APICoding.decode(SegmentAcknowledged.self, from: reply.body)
            {
                stored[acknowledged.segment] = request.body
            }
            if request.endpoint == "POST /v1/consents/withdrawal",
                (try? APICoding.decode(ConsentWithdrawn.self, from: reply.body))?.withdrawn ?? 0 > 0
            {
                #expect(consent() == 200, "consent again after request \(index) withdrew it")
            }
            // Now and then the same bytes again: whatever the first answer, a replay is refused.
            if [.handled, .accepted].contains(request.expectation), request.headers.contains(where: { $0.0 == RequestSigning.signatureHeader }),
                !Self.authCodes.contains(reply.code ?? ""), index % 7 == 3
            {
                var again = request
                again.mutations.append("replayed")
                again.expectation = .refused
                replays += 1
                if let answer = check(index, again, wire.exchange(bytes, halfClose: request.halfClose)), answer.code != "replayed_request" {
                    fail(index, again, "a replay answered \(answer.status) \(answer.code ?? "")")
                }
            }
        }

        // Afterwards: the collector is up, a clean upload from the same device is stored once, its listings answer.
        #expect(org.collector.process.isRunning)
        #expect(wire.exchange(Data("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))?.status == 200)
        #expect(consent() == 200)
        let clean = UUID().uuidString.lowercased()
        let cleanBundle = TestBundle.make(segment: clean, policy: policy, note: "clean")
        let put = send("PUT", "/v1/segments/\(clean)", body: cleanBundle, headers: [("X-Understudy-Policy", policy)])
        #expect(put?.status == 201, "\(put?.status ?? 0) \(put?.code ?? "")")
        #expect(send("PUT", "/v1/segments/\(clean)", body: cleanBundle, headers: [("X-Understudy-Policy", policy)])?.status == 200)
        stored[clean] = cleanBundle
        // A segment id is one segment whatever the case of its hex digits: the same bundle under its id in capitals is not stored again.
        let shouted = send("PUT", "/v1/segments/\(first.uppercased())", body: firstBundle, headers: [("X-Understudy-Policy", policy)])
        #expect(
            shouted?.status == 200 && shouted.flatMap { try? APICoding.decode(SegmentAcknowledged.self, from: $0.body) }?.segment == first,
            "\(shouted?.status ?? 0) \(shouted?.code ?? "")")
        let listing = try APICoding.decode([SegmentListing].self, from: try #require(send("GET", "/v1/me/segments")).body)
        let held = Set(listing.map(\.id))
        #expect(
            held == Set(stored.keys),
            "the server holds exactly the segments it acknowledged: held, not acknowledged \(held.subtracting(stored.keys).sorted()); acknowledged, not held \(Set(stored.keys).subtracting(held).sorted())"
        )
        for segment in listing {
            #expect(segment.sha256 == SHA256.hash(data: stored[segment.id] ?? Data()).hexDigits, "segment \(segment.id) is the bundle acknowledged")
            let back = send("GET", "/v1/me/segments/\(segment.id)")
            #expect(back?.status == 200 && back?.body == stored[segment.id] && TarFormat.members(of: back?.body ?? Data()) != nil)
        }
        let blobs = org.collector.data.appendingPathComponent("blobs")
        let files = try FileManager.default.subpathsOfDirectory(atPath: blobs.path).filter {
            $0.split(separator: "/").count == 2 && !$0.hasPrefix("tmp")
        }
        #expect(files.count == listing.count, "one blob per stored segment, none of what was refused: \(files.count) blobs")
        #expect(send("GET", "/v1/me/exemptions").map { (try? APICoding.decode([ExemptionListing].self, from: $0.body)) != nil } == true)
        #expect(send("GET", "/v1/me/audit?limit=5")?.status == 200)
        // The second device's contributor, whose erasure the fuzzer only ever sent refused, erases now.
        var erase = FuzzRequest(endpoint: "", method: "DELETE", target: "/v1/me", signer: 1)
        sign(&erase)
        #expect(wire.exchange(erase.wire(port: wire.port)).flatMap { try? APICoding.decode(ContributorErased.self, from: $0.body) }?.erased == true)
        #expect(send("GET", "/v1/me/segments")?.status == 200)

        let seconds = (ContinuousClock.now - started).components.seconds
        var summary =
            "device endpoint fuzzing, seed \(seed): \(sent) requests (\(count) generated, trace \(trace.finalize().hexDigits.prefix(12)), \(replays) replays) in \(seconds) s; "
        summary +=
            "\(closedWithoutAnswer) closed without an answer, \(bareRefusals) bare 4xx to broken framing, \(failures) failures, \(stored.count) segments stored\n"
        for (endpoint, statuses) in perEndpoint.sorted(by: { $0.key < $1.key }) {
            summary +=
                "  \(endpoint): \(statuses.values.reduce(0, +)) — "
                + statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ") + "\n"
        }
        summary += "  by kind: " + perClass.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ") + "\n"
        summary += "  bare 4xx: " + bareByFraming.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ") + "\n"
        summary += "  codes: " + codesSeen.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
        print(summary)
        #expect(
            failures == 0,
            "\(failures) failures (the first 40 are listed); repeat with UNDERSTUDY_FUZZ_SEED=\(seed) UNDERSTUDY_FUZZ_REQUESTS=\(count)")
    }
}

extension OpenAPIContract {
    /// Whether the document lists `status` among the answers of `method path` (a template).
    func declares(_ method: String, _ path: String, _ status: Int) -> Bool {
        guard let operation = (paths[path] as? [String: Any])?[method.lowercased()] as? [String: Any] else { return true }
        return (operation["responses"] as? [String: Any])?[String(status)] != nil
    }
}
