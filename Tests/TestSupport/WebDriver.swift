import Foundation

/// Headless Chromium driven over WebDriver (`chromedriver`, Debian's `chromium-driver`): pages
/// are tested in a real browser, with its cookies, redirects and Content-Security-Policy.
public final class WebDriver: @unchecked Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case notStarted(String)
        case command(String, String)

        public var description: String {
            switch self {
            case .notStarted(let why): "chromedriver did not start: \(why)"
            case .command(let what, let answer): "WebDriver \(what) failed: \(answer)"
            }
        }
    }

    private let driver = Process()
    private let base: URL
    private var session = ""

    /// Starts chromedriver on a free port and a headless Chromium session in it.
    public init() async throws {
        driver.executableURL = URL(fileURLWithPath: "/usr/bin/chromedriver")
        driver.arguments = ["--port=0"]
        let out = Pipe()
        driver.standardOutput = out
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        // "ChromeDriver was started successfully on port 36649."
        var printed = ""
        while !printed.contains("successfully on port"), printed.count < 4096 {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { throw Failure.notStarted(printed) }
            printed += String(decoding: chunk, as: UTF8.self)
        }
        guard let port = printed.split(separator: "port ").last.map({ String($0.prefix { $0.isNumber }) }), !port.isEmpty else {
            throw Failure.notStarted(printed)
        }
        base = URL(string: "http://127.0.0.1:\(port)")!
        let created: Answer<NewSession> = try await call(
            "POST", "/session",
            NewSessionRequest(
                capabilities: .init(
                    alwaysMatch: .init(
                        browserName: "chrome",
                        chromeOptions: .init(
                            binary: "/usr/bin/chromium", args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800"])))))
        session = created.value.sessionId
        // A page a form post leads to may still be loading when the next element is looked for:
        // the browser waits up to 5 s for it to appear, as a person would.
        let _: Answer<Nothing?> = try await call("POST", "/session/\(session)/timeouts", ["implicit": 5000])
    }

    deinit {
        kill(driver.processIdentifier, SIGKILL)
    }

    /// Goes to `url` and waits for the page to load.
    public func open(_ url: String) async throws {
        let _: Answer<Nothing?> = try await call("POST", "/session/\(session)/url", ["url": url])
    }

    /// The address the browser shows now.
    public func currentURL() async throws -> String {
        let answer: Answer<String> = try await call("GET", "/session/\(session)/url", Nothing?.none)
        return answer.value
    }

    /// The visible text of the first element `css` selects.
    public func text(of css: String) async throws -> String {
        let answer: Answer<String> = try await call("GET", "/session/\(session)/element/\(try await element(css))/text", Nothing?.none)
        return answer.value
    }

    /// Clicks the first element `css` selects (a button submitting a form waits for the next page).
    public func click(_ css: String) async throws {
        let _: Answer<Nothing?> = try await call("POST", "/session/\(session)/element/\(try await element(css))/click", [String: String]())
    }

    /// A DOM property of the first element `css` selects, as a number (`naturalWidth`), when it is one.
    public func number(_ name: String, of css: String) async throws -> Double? {
        let answer: Answer<Double?> = try await call("GET", "/session/\(session)/element/\(try await element(css))/property/\(name)", Nothing?.none)
        return answer.value
    }

    /// Types `text` into the first element `css` selects, as a user would.
    public func type(_ text: String, into css: String) async throws {
        let _: Answer<Nothing?> = try await call("POST", "/session/\(session)/element/\(try await element(css))/value", ["text": text])
    }

    /// What the browser draws of an element, as the bytes of a PNG file.
    public func screenshot(of css: String) async throws -> Data {
        let answer: Answer<String> = try await call("GET", "/session/\(session)/element/\(try await element(css))/screenshot", Nothing?.none)
        guard let png = Data(base64Encoded: answer.value) else { throw Failure.command("screenshot", "not base64") }
        return png
    }

    /// Empties a text or number field, so ``type(_:into:)`` then sets its value.
    public func clear(_ css: String) async throws {
        let _: Answer<Nothing?> = try await call("POST", "/session/\(session)/element/\(try await element(css))/clear", [String: String]())
    }

    /// The page's source as the browser has it.
    public func source() async throws -> String {
        let answer: Answer<String> = try await call("GET", "/session/\(session)/source", Nothing?.none)
        return answer.value
    }

    public func quit() async {
        let _: Answer<Nothing?>? = try? await call("DELETE", "/session/\(session)", Nothing?.none)
    }

    private func element(_ css: String) async throws -> String {
        let found: Answer<[String: String]> = try await call("POST", "/session/\(session)/element", ["using": "css selector", "value": css])
        guard let id = found.value.values.first else { throw Failure.command("find \(css)", "no element") }
        return id
    }

    /// One WebDriver command, sent by curl (Foundation's URLSession on Linux failed to reach
    /// chromedriver where curl did).
    private func call<Body: Encodable, Value: Decodable>(_ method: String, _ path: String, _ body: Body?) async throws -> Answer<Value> {
        var arguments = ["-s", "--max-time", "60", "-X", method, base.absoluteString + path]
        if let body {
            arguments += ["-H", "Content-Type: application/json", "--data-binary", String(decoding: try JSONEncoder().encode(body), as: UTF8.self)]
        }
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = arguments
        let out = Pipe()
        curl.standardOutput = out
        try curl.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        do {
            return try JSONDecoder().decode(Answer<Value>.self, from: data)
        } catch {
            throw Failure.command("\(method) \(path)", String(decoding: data, as: UTF8.self))
        }
    }

    private struct Answer<Value: Decodable>: Decodable { var value: Value }
    /// WebDriver's `null` value.
    private struct Nothing: Codable {
        init() {}
        init(from decoder: any Decoder) throws {}
    }
    private struct NewSession: Decodable { var sessionId: String }
    private struct NewSessionRequest: Encodable {
        struct Capabilities: Encodable {
            struct Match: Encodable {
                struct ChromeOptions: Encodable {
                    var binary: String
                    var args: [String]
                }
                var browserName: String
                var chromeOptions: ChromeOptions
                enum CodingKeys: String, CodingKey {
                    case browserName
                    case chromeOptions = "goog:chromeOptions"
                }
            }
            var alwaysMatch: Match
        }
        var capabilities: Capabilities
    }
}
