import ArgumentParser
import Capture
import Crypto
import Datasets
import Device
import Foundation
import Privacy
import TestSupport
import UnderstudyModel
import Vault

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `make bench`'s review page figures, against the issue's goal: "a vault with 10,000 steps
/// and 1,000 frames lists in under a second; frames load lazily; pages are paginated". It
/// writes one synthetic working day into a fresh encrypted vault through the real
/// `VaultWriter`, serves the real `ReviewPageServer` in this process, and times over HTTP the
/// timeline's first and last pages, segments' Steps pages (mid-day, and the day's first and
/// last) and frames (one of the mid-day segment's, and the day's last).
struct ReviewPageBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-review-page",
        abstract: "Time the review page on a synthetic full day of 10,000 steps and 1,000 frames (for make bench)."
    )

    @Option(help: "Where to make the scratch vault and its own config and data folders.")
    var scratch: String = FileManager.default.temporaryDirectory.path

    @Option(help: "Actions in the day (clicks, typed phrases, keys, hotkeys), each one step on the page.")
    var steps = 10_000

    @Option(help: "Distinct frames stored in the day.")
    var frames = 1_000

    @Option(help: "Hours of recording the day spans (all of it today, from 08:30 when it fits).")
    var hours = 10.0

    @Option(help: "Timed requests per page, after one warm-up; the median and max are reported.")
    var runs = 5

    @Flag(help: "Keep the scratch folder (its path goes to standard error).")
    var keep = false

    /// The issue's goal for the timeline and for a segment's page.
    static let goalMs = 1000.0

    func validate() throws {
        guard steps >= frames, frames > 0, runs > 0 else { throw ValidationError("give at least one frame, no more frames than steps, and one run") }
        guard hours > 0, hours <= 23 else { throw ValidationError("the day must fit in one calendar day: give 0-23 hours") }
    }

    func run() async throws {
        let base = URL(fileURLWithPath: scratch).appendingPathComponent("bench-review-page-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        defer {
            if keep {
                FileHandle.standardError.write(Data("bench-review-page: kept \(base.path)\n".utf8))
            } else {
                try? FileManager.default.removeItem(at: base)
            }
        }
        try Self.isolate(in: base)
        let vaultURL = base.appendingPathComponent("vault")
        let clock = ContinuousClock()
        var written = SyntheticDay.Written()
        let building = try await clock.measure { written = try await writeDay(into: vaultURL) }
        let counts = try VaultCounts.read(vaultURL, day: written.day)
        Self.note("wrote \(counts.steps) steps, \(counts.frames) frames, \(counts.segmentsToday) segments in \(building)")
        let pages = try await timePages(vaultURL, counts: counts, written: written)
        let report = ReviewPageBenchReport(
            vault: counts, buildSeconds: building.seconds, framesDropped: written.framesDropped, keyframes: written.keyframes,
            settings: .init(segmentSeconds: written.segmentSeconds, runs: runs), pages: pages.timings, segmentPage: pages.segment,
            goalMet: pages.timings.allSatisfy { $0.met ?? true })
        print(try ReportCoding.line(report))
    }

    /// Points the XDG folders into `base` before anything reads them: the page reads the
    /// consent, the exemptions and the vault key from there, and the bench must never touch
    /// the user's own.
    static func isolate(in base: URL) throws {
        for (variable, folder) in [("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data")] {
            let url = base.appendingPathComponent(folder, isDirectory: true)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            setenv(variable, url.path, 1)
        }
    }

    /// The day, recorded under a consent to the built-in policy, as a real recording is (the
    /// page then explains that policy, as it does for a contributor).
    private func writeDay(into directory: URL) async throws -> SyntheticDay.Written {
        let consent = try ConsentStore().accept(try PolicyInForce.load(file: nil, allowUnsigned: false).document)
        let vault = try Vault(at: directory, create: true)
        defer { vault.close() }
        let day = SyntheticDay(steps: steps, frames: frames, seconds: hours * 3600)
        return try await day.write(into: vault, policyHash: consent.policyHash, consentedAt: consent.acceptedAt)
    }

    /// Serves the page in this process and times its pages as a browser asks for them.
    private func timePages(_ vault: URL, counts: VaultCounts, written: SyntheticDay.Written) async throws -> TimedPages {
        let (address, serving) = try await Self.serve(ReviewPageServer(vault: vault))
        defer { serving.cancel() }
        let client = try await PageClient.signIn(address)
        let pages = try await PageSet.measure(client, counts: counts, newestFrame: written.newestFrame, runs: runs)
        await Self.stop(serving)
        return pages
    }

    /// Stops the page as `understudy review` is stopped, by SIGTERM, which its service group
    /// traps while it runs: cancelling its task instead makes Hummingbird log shutdown errors.
    static func stop(_ serving: Task<Void, any Error>) async {
        kill(getpid(), SIGTERM)
        _ = await serving.result
    }

    /// A line on standard error while the bench runs; standard output is the one JSON report.
    static func note(_ line: String) {
        FileHandle.standardError.write(Data("bench-review-page: \(line)\n".utf8))
    }

    /// Starts the server; its address (token included) once it listens.
    static func serve(_ server: ReviewPageServer) async throws -> (URL, Task<Void, any Error>) {
        let (addresses, continuation) = AsyncStream<String>.makeStream()
        let task = Task {
            // Finished either way, so a server that fails to start does not leave the bench waiting.
            defer { continuation.finish() }
            try await server.run { continuation.yield($0) }
        }
        for await address in addresses {
            guard let url = URL(string: address) else { break }
            return (url, task)
        }
        task.cancel()
        try await task.value
        throw DeviceFailure("the review page stopped before it printed its address")
    }
}

extension Duration {
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    fileprivate var milliseconds: Double { seconds * 1000 }
}

// MARK: - The report

/// What `bench-review-page` prints: one JSON line, read by bench/run.sh.
struct ReviewPageBenchReport: Codable {
    /// The writer's settings the day was cut by.
    struct Settings: Codable {
        var segmentSeconds: Int64
        var screen = "\(SyntheticScreen.width)x\(SyntheticScreen.height)"
        var tileSize = SyntheticScreen.tileSize
        var flushEverySeconds = SyntheticDay.flushEveryNs / 1_000_000_000
        var runs: Int
    }

    var vault: VaultCounts
    var buildSeconds: Double
    /// Frames the writer gave up for want of tiles (0 when the day was written as intended).
    var framesDropped: Int
    var keyframes: Int
    var settings: Settings
    var pages: [PageTiming]
    var segmentPage: SegmentPageShape
    /// The timeline's pages and the segment's page each under the goal, every time.
    var goalMet: Bool
}

/// One page's timings over HTTP, from the request to the last byte of the answer.
struct PageTiming: Codable {
    var page: String
    var path: String
    var status: Int
    var bytes: Int
    var medianMs: Double
    var maxMs: Double
    var goalMs: Double?
    var met: Bool?
}

/// What the segment's Steps page holds: its steps, and whether its screens load lazily.
struct SegmentPageShape: Codable {
    var segment: String
    var steps: Int?
    var images: Int
    var lazyImages: Int
    /// Frames put into the page itself (data: addresses) rather than asked for.
    var inlineImages: Int
}

/// What the vault holds, read back from it (its index and its decrypted events), not from the
/// generator's counters.
struct VaultCounts: Codable {
    var sessions: Int
    var segments: Int
    var segmentsToday: Int
    /// Steps as the page and exports compile them (`ActionCompiler`): actions, without waits.
    var steps: Int
    /// The `wait` steps compiled from idle time between bursts of work.
    var waits: Int
    var events: Int
    var eventsByKind: [String: Int]
    /// Frame layouts stored.
    var frames: Int
    /// Distinct frame hashes the `frame` events name.
    var distinctFrames: Int
    var patches: Int
    var bytesOnDisk: Int
    var firstSegmentFrom: Date
    var lastSegmentTo: Date
    /// Today's segments, oldest first (not in the report: the pages to ask for are chosen from them).
    var todayIDs: [String] = []
    /// The oldest and newest of them holding a frame (the very last may hold only a few keys).
    var firstWithFrame: String = ""
    var lastWithFrame: String = ""
    var frameSession: String = ""

    enum CodingKeys: String, CodingKey {
        case sessions, segments, segmentsToday, steps, waits, events, eventsByKind, frames, distinctFrames, patches, bytesOnDisk
        case firstSegmentFrom, lastSegmentTo
    }

    static func read(_ directory: URL, day: Date) throws -> VaultCounts {
        let vault = try Vault(at: directory, create: false)
        defer { vault.close() }
        let summary = try vault.summary()
        let end = day.addingTimeInterval(86_400)
        let today = try vault.segments().filter { $0.to >= day && $0.from < end }.sorted { $0.from < $1.from }
        guard let first = today.first, let last = today.last else { throw DeviceFailure("the synthetic day left no segment today") }
        let (steps, waits, hashes) = try compile(vault)
        return VaultCounts(
            sessions: summary.sessions, segments: summary.segments, segmentsToday: today.count, steps: steps, waits: waits,
            events: summary.events, eventsByKind: summary.eventsByKind, frames: summary.frames, distinctFrames: hashes.count,
            patches: summary.patches, bytesOnDisk: summary.bytesOnDisk, firstSegmentFrom: first.from, lastSegmentTo: last.to,
            todayIDs: today.map(\.id), firstWithFrame: today.first { $0.frames > 0 }?.id ?? first.id,
            lastWithFrame: today.last { $0.frames > 0 }?.id ?? last.id,
            frameSession: first.session)
    }

    /// The steps and waits `ActionCompiler` makes of the vault's decrypted events (as the page
    /// and exports do), and the frames those events name.
    private static func compile(_ vault: Vault) throws -> (steps: Int, waits: Int, frames: Set<String>) {
        var (steps, waits, frames) = (0, 0, Set<String>())
        for session in try vault.sessions() {
            var events: [Event] = []
            try vault.forEachEvent(session: session.id) { _, event in events.append(event) }
            for step in ActionCompiler().compile(events) where !step.action.isTerminal {
                if case .wait = step.action { waits += 1 } else { steps += 1 }
            }
            for case .frame(let hash, _, _, _) in events.map(\.body) { frames.insert(hash) }
        }
        return (steps, waits, frames)
    }
}

// MARK: - Over HTTP

/// The pages timed, and the shape of the segment's.
struct TimedPages {
    var timings: [PageTiming]
    var segment: SegmentPageShape
}

/// The pages a contributor opens on a full day: the timeline's first page (today), its last
/// page, a segment from the middle of the day, and one screen of it (as the browser asks for
/// it when the step scrolls into view). Then the day's first and last segments with a screen,
/// and the day's last screen: a segment's page and a frame look a frame up through every
/// earlier segment of its session, so the day's end is where a long day costs most.
enum PageSet {
    static func measure(_ client: PageClient, counts: VaultCounts, newestFrame: String, runs: Int) async throws -> TimedPages {
        let ids = counts.todayIDs
        // The timeline shows 50 segments to a page.
        let lastPage = (ids.count + 49) / 50
        let middle = ids[ids.count / 2]
        var timings: [PageTiming] = []
        let first = try await time(client, "timeline, first page", "/", runs: runs, goal: true)
        try expect(first.body, holds: ids[ids.count - 1], "the timeline's first page does not list today's newest segment")
        let last = try await time(client, "timeline, last page (\(lastPage))", "/?page=\(lastPage)", runs: runs, goal: true)
        try expect(last.body, holds: ids[0], "the timeline's last page does not list today's oldest segment")
        let segment = try await time(client, "segment's steps, mid-day", "/segment/\(middle)", runs: runs, goal: true)
        timings += [first.timing, last.timing, segment.timing]
        let html = String(decoding: segment.body, as: UTF8.self)
        guard let frame = firstFramePath(in: html) else { throw DeviceFailure("the segment's page shows no screen to ask for") }
        timings.append(try await time(client, "frame of that segment (PNG)", frame, runs: runs, goal: false).timing)
        // The day's ends too: a segment's page and a frame both look through the session's earlier segments.
        for (name, id) in [("segment's steps, day's first", counts.firstWithFrame), ("segment's steps, day's last", counts.lastWithFrame)] {
            timings.append(try await time(client, name, "/segment/\(id)", runs: runs, goal: true).timing)
        }
        let newest = "/frame/\(counts.frameSession)/\(newestFrame).png"
        timings.append(try await time(client, "frame, day's last (PNG)", newest, runs: runs, goal: false).timing)
        return TimedPages(timings: timings, segment: shape(of: html, segment: middle))
    }

    /// One warm-up, then `runs` timed requests; the answer's body is the last one's.
    private static func time(_ client: PageClient, _ name: String, _ path: String, runs: Int, goal: Bool) async throws -> (
        timing: PageTiming, body: Data
    ) {
        var answer = try await client.get(path)
        guard answer.status == 200 else {
            throw DeviceFailure("\(path) answered \(answer.status): \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
        }
        var times: [Double] = []
        for _ in 0..<runs {
            answer = try await client.get(path)
            times.append(answer.ms)
        }
        times.sort()
        let median = times[times.count / 2]
        ReviewPageBenchCommand.note("\(name): median \(String(format: "%.1f", median)) ms, \(answer.body.count) bytes")
        let timing = PageTiming(
            page: name, path: path, status: answer.status, bytes: answer.body.count, medianMs: median, maxMs: times[times.count - 1],
            goalMs: goal ? ReviewPageBenchCommand.goalMs : nil, met: goal ? times[times.count - 1] < ReviewPageBenchCommand.goalMs : nil)
        return (timing, answer.body)
    }

    private static func expect(_ body: Data, holds id: String, _ failure: String) throws {
        guard String(decoding: body, as: UTF8.self).contains(id) else { throw DeviceFailure(failure) }
    }

    /// The first `/frame/SESSION/HASH.png` the page asks for.
    static func firstFramePath(in html: String) -> String? {
        guard let match = html.firstMatch(of: /\/frame\/[0-9a-zA-Z-]+\/[0-9a-f]{32}\.png/) else { return nil }
        return String(match.output)
    }

    static func shape(of html: String, segment: String) -> SegmentPageShape {
        let images = html.matches(of: /<img\b[^>]*>/).map { String($0.output) }
        let steps = html.firstMatch(of: /(\d+) steps?\./).flatMap { Int($0.output.1) }
        return SegmentPageShape(
            segment: segment, steps: steps, images: images.count, lazyImages: images.count { $0.contains("loading=\"lazy\"") },
            inlineImages: images.count { $0.contains("src=\"data:") })
    }
}

/// The page as a browser sees it: the printed address's token exchanged once for the session
/// cookie, then plain GETs carrying it. No redirect is followed (the exchange's answer is
/// where the cookie is) and nothing is cached, so every GET is served afresh.
struct PageClient: Sendable {
    /// An answer, and how long it took from the request to its last byte.
    struct Answer {
        var status: Int
        var body: Data
        var ms: Double
    }

    let origin: String
    let cookie: String
    let session: URLSession

    static func signIn(_ address: URL) async throws -> PageClient {
        let configuration = URLSessionConfiguration.ephemeral
        (configuration.httpShouldSetCookies, configuration.httpCookieStorage, configuration.urlCache) = (false, nil, nil)
        configuration.timeoutIntervalForRequest = 60
        let session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
        let (_, response) = try await session.data(for: URLRequest(url: address))
        guard let http = response as? HTTPURLResponse, http.statusCode == 303,
            let cookie = http.value(forHTTPHeaderField: "Set-Cookie")?.split(separator: ";").first,
            let port = address.port
        else { throw DeviceFailure("the token exchange at \(address) gave no session cookie") }
        return PageClient(origin: "http://127.0.0.1:\(port)", cookie: String(cookie), session: session)
    }

    func get(_ path: String) async throws -> Answer {
        guard let url = URL(string: origin + path) else { throw DeviceFailure("not a path of the page: \(path)") }
        var request = URLRequest(url: url)
        request.setValue(cookie, forHTTPHeaderField: "Cookie")
        let start = ContinuousClock.now
        let (body, response) = try await session.data(for: request)
        let ms = (ContinuousClock.now - start).milliseconds
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: body, ms: ms)
    }
}

/// Leaves redirects to the caller: the token exchange's 303 carries the cookie.
final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

// MARK: - The synthetic day

/// One thing the synthetic contributor does: a single step on the page.
enum PlannedInput {
    case click(x: Int, y: Int, button: PointerButton)
    /// A phrase typed in one go (one `type` step).
    case type(String)
    /// A key with no text: Return, Tab, an arrow (one `key` step).
    case key(String, keycode: Int)
    case hotkey(key: String, keycode: Int)

    static let keyPause: UInt64 = 140_000_000
    static let release: UInt64 = 70_000_000

    /// From its first input to its last.
    var durationNs: UInt64 {
        switch self {
        case .click, .key: Self.release
        case .type(let text): UInt64(text.count) * Self.keyPause
        case .hotkey: 3 * Self.release
        }
    }

    static func random(after previous: PlannedInput?, using random: inout SplitMix64) -> PlannedInput {
        let roll = Int.random(in: 0..<100, using: &random)
        // Two phrases in a row would be one `type` step: the second becomes a click.
        if case .type = previous, (50..<75).contains(roll) { return click(using: &random) }
        switch roll {
        case 0..<50: return click(using: &random)
        case 50..<75: return .type(phrase(using: &random))
        case 75..<90:
            let keys = [("Return", 36), ("Tab", 23), ("Escape", 9), ("Down", 116), ("Up", 111)]
            let (key, code) = keys[Int.random(in: 0..<keys.count, using: &random)]
            return .key(key, keycode: code)
        default:
            let keys = [("c", 54), ("v", 55), ("s", 39), ("z", 52), ("f", 41), ("t", 28)]
            let (key, code) = keys[Int.random(in: 0..<keys.count, using: &random)]
            return .hotkey(key: key, keycode: code)
        }
    }

    private static func click(using random: inout SplitMix64) -> PlannedInput {
        .click(
            x: Int.random(in: 0..<SyntheticScreen.width, using: &random), y: Int.random(in: 0..<SyntheticScreen.height, using: &random),
            button: Int.random(in: 0..<20, using: &random) == 0 ? .right : .left)
    }

    private static func phrase(using random: inout SplitMix64) -> String {
        let words = ["the", "report", "meeting", "budget", "review", "draft", "send", "notes", "update", "tests", "fix", "thanks", "later"]
        return (0..<Int.random(in: 1...4, using: &random)).map { _ in words[Int.random(in: 0..<words.count, using: &random)] }
            .joined(separator: " ")
    }

    /// Its events from `at`, the pointer moving from `pointer` first for a click.
    func events(at t: UInt64, pointer: inout (x: Int, y: Int)) -> [CapturedEvent] {
        switch self {
        case .click(let x, let y, let button):
            // A short path to the target over 300 ms, as pointer motion is recorded.
            let path = (1...6).map { i in
                CapturedEvent(
                    tNs: t - UInt64(7 - i) * 50_000_000,
                    body: .pointerMove(x: pointer.x + (x - pointer.x) * i / 6, y: pointer.y + (y - pointer.y) * i / 6))
            }
            pointer = (x, y)
            return path + [
                CapturedEvent(tNs: t, body: .pointerDown(x: x, y: y, button: button)),
                CapturedEvent(tNs: t + Self.release, body: .pointerUp(x: x, y: y, button: button)),
            ]
        case .type(let text):
            return text.enumerated().flatMap { i, character in
                let key = character == " " ? "space" : String(character)
                let down = t + UInt64(i) * Self.keyPause
                return [
                    CapturedEvent(tNs: down, body: .keyDown(key: key, keycode: 38, mods: [], text: String(character))),
                    CapturedEvent(tNs: down + Self.release, body: .keyUp(key: key, keycode: 38, mods: [])),
                ]
            }
        case .key(let key, let code):
            return [
                CapturedEvent(tNs: t, body: .keyDown(key: key, keycode: code, mods: [], text: nil)),
                CapturedEvent(tNs: t + Self.release, body: .keyUp(key: key, keycode: code, mods: [])),
            ]
        case .hotkey(let key, let code):
            return [
                CapturedEvent(tNs: t - 60_000_000, body: .keyDown(key: "Control_L", keycode: 37, mods: [], text: nil)),
                CapturedEvent(tNs: t, body: .keyDown(key: key, keycode: code, mods: [.ctrl], text: nil)),
                CapturedEvent(tNs: t + Self.release, body: .keyUp(key: key, keycode: code, mods: [.ctrl])),
                CapturedEvent(tNs: t + 3 * Self.release, body: .keyUp(key: "Control_L", keycode: 37, mods: [.ctrl])),
            ]
        }
    }
}

/// The apps the synthetic contributor works in; a burst of work starts in another one now
/// and then, with a `focus` event, as the recorder stores a window change.
enum SyntheticWindows {
    static let all: [WindowContext] = [
        ("XTerm", "bash: ~/src/understudy", nil), ("chromium", "Pull requests · GitHub", "https://github.com/pulls"),
        ("chromium", "Inbox (3) · Mail", "https://mail.example.com/inbox"), ("libreoffice-writer", "quarterly-report.odt", nil),
        ("code", "ReviewPageServer.swift · understudy", nil), ("chromium", "Team wiki · Docs", "https://docs.example.com/wiki/team"),
        ("Slack", "#engineering · Slack", nil),
    ].enumerated().map { i, window in
        WindowContext(
            app: window.0, title: window.1, pid: 2000 + i, window: 0x0200_0000 + UInt64(i) << 16,
            rect: [0, 0, SyntheticScreen.width, SyntheticScreen.height], url: window.2)
    }
}

/// A working day of one contributor, planned in bursts of steps (0.9-2.3 s apart, under the
/// compiler's 3 s idle wait and with no two phrases in a row, so each planned input is one
/// step) separated by idle time that fills the day's span; a frame is stored before every
/// `steps / frames`-th step, and a focus change starts some bursts.
struct SyntheticDay {
    /// One step of the plan: when its first input happens, and what comes just before it.
    struct Step {
        var atNs: UInt64
        var input: PlannedInput
        var focus: WindowContext?
        var frame: Bool
    }

    /// What writing the day gave, besides the vault: the reader gets the rest from the vault.
    struct Written {
        var day = WallClock.system.now()
        var keyframes = 0
        var framesDropped = 0
        var newestFrame = ""
        var segmentSeconds: Int64 = 0
    }

    /// Capture time between flushes (the recorder flushes every 250 ms; coarser here to keep
    /// the bench short: segments are still cut by the writer's own rule, at most this late).
    static let flushEveryNs: UInt64 = 5_000_000_000

    let steps: Int
    let frames: Int
    let seconds: Double

    /// The day's steps in time order, from 2 s after the session starts.
    func plan() -> [Step] {
        var random = SplitMix64(seed: 0x5EED)
        var bursts: [[(PlannedInput, UInt64)]] = []
        var previous: PlannedInput?
        var activeNs: UInt64 = 0
        var planned = 0
        while planned < steps {
            let size = min(Int.random(in: 4...26, using: &random), steps - planned)
            planned += size
            bursts.append(
                (0..<size).map { _ in
                    let input = PlannedInput.random(after: previous, using: &random)
                    previous = input
                    let gap = UInt64.random(in: 900_000_000...2_300_000_000, using: &random)
                    activeNs += input.durationNs + gap
                    return (input, gap)
                })
        }
        return schedule(bursts, activeNs: activeNs, using: &random)
    }

    /// Times for the bursts' steps, idle gaps scaled so the day spans `seconds`.
    private func schedule(_ bursts: [[(PlannedInput, UInt64)]], activeNs: UInt64, using random: inout SplitMix64) -> [Step] {
        let weights = bursts.map { _ in Double.random(in: 0.25...1.75, using: &random) }
        let idleNs = max(0, seconds * 1e9 - Double(activeNs)) / weights.reduce(0, +)
        var t: UInt64 = 2_000_000_000
        var planned: [Step] = []
        for (burst, weight) in zip(bursts, weights) {
            if !planned.isEmpty { t += max(3_500_000_000, UInt64(weight * idleNs)) }
            let focus = planned.isEmpty || Int.random(in: 0..<10, using: &random) < 4
            for (n, (input, gap)) in burst.enumerated() {
                let index = planned.count
                let frame = index == 0 || index * frames / steps > (index - 1) * frames / steps
                let window = focus && n == 0 ? SyntheticWindows.all[Int.random(in: 0..<SyntheticWindows.all.count, using: &random)] : nil
                planned.append(Step(atNs: t, input: input, focus: window, frame: frame))
                t += input.durationNs + gap
            }
        }
        return planned
    }

    /// Writes the day as one session starting today at 08:30 (earlier when a long day would
    /// run past midnight), through the real writer.
    func write(into vault: Vault, policyHash: String, consentedAt: Date) async throws -> Written {
        let plan = plan()
        let day = Calendar.current.startOfDay(for: WallClock.system.now())
        let spanSeconds = Double(plan.last?.atNs ?? 0) / 1e9 + 60
        let startedAt = day.addingTimeInterval(max(60, min(8.5 * 3600, 86_400 - spanSeconds - 600)))
        let session = Session(
            startedAt: startedAt, backend: "bench", display: ":bench",
            screen: ScreenGeometry(
                width: SyntheticScreen.width, height: SyntheticScreen.height,
                monitors: [Monitor(name: "eDP-1", x: 0, y: 0, width: SyntheticScreen.width, height: SyntheticScreen.height, primary: true)]),
            policyHash: policyHash, consentedAt: consentedAt)
        let writer = try await VaultWriter(vault: vault, session: session)
        var recorder = DayRecorder(writer: writer)
        for (n, step) in plan.enumerated() { try await recorder.take(step, nextAtNs: n + 1 < plan.count ? plan[n + 1].atNs : .max) }
        try await writer.close(endedAt: startedAt.addingTimeInterval(spanSeconds))
        return Written(
            day: day, keyframes: recorder.keyframes, framesDropped: await writer.framesDropped, newestFrame: recorder.newestFrame,
            segmentSeconds: try vault.settings().segmentSeconds)
    }
}

/// Plays the plan into the writer as the recorder would: a frame's tile patch and layout
/// before its `frame` event, events in time order, a flush every few seconds of capture time.
struct DayRecorder {
    let writer: VaultWriter
    var screen = SyntheticScreen()
    var pointer = (x: SyntheticScreen.width / 2, y: SyntheticScreen.height / 2)
    var nextFlushNs: UInt64 = 0
    var lastKeyframeNs: UInt64?
    /// Segments the writer had sealed when the last keyframe was stored.
    var sealedAtKeyframe = 0
    var focusChanged = true
    var keyframes = 0
    var newestFrame = ""

    /// The recorder's keyframe interval (`X11CaptureSettings.keyframeInterval`).
    static let keyframeIntervalNs: UInt64 = 60_000_000_000

    init(writer: VaultWriter) { self.writer = writer }

    /// Appends a step's events (and its frame first), and flushes when the recorder's timer
    /// would have before the next step: each burst's last events are stored before the idle.
    mutating func take(_ step: SyntheticDay.Step, nextAtNs: UInt64) async throws {
        var events = step.input.events(at: step.atNs, pointer: &pointer)
        if let window = step.focus {
            events.append(CapturedEvent(tNs: step.atNs - 450_000_000, body: .focus(window)))
            focusChanged = true
        }
        var keyframe = false
        if step.frame {
            let (event, isKeyframe) = try await storeFrame(at: step.atNs - 400_000_000)
            (keyframe, events) = (isKeyframe, events + [event])
        }
        await writer.append(events.sorted { $0.tNs < $1.tNs })
        if step.frame || nextAtNs >= nextFlushNs {
            try await writer.flush()
            nextFlushNs = step.atNs + SyntheticDay.flushEveryNs
        }
        // Flushed with its frame, so this is the count the keyframe's segment began after.
        if keyframe { sealedAtKeyframe = await writer.sealed }
    }

    /// Stores a frame's patch and layout and returns its `frame` event. A keyframe carries
    /// every tile, as capture's does once a minute; one is also taken once the segment holding
    /// the last keyframe is sealed, since the writer looks for a frame's tiles only in its
    /// segment and the one before (a real recorder drops the frame and asks for a keyframe).
    private mutating func storeFrame(at t: UInt64) async throws -> (CapturedEvent, keyframe: Bool) {
        let changed = screen.change(wide: focusChanged)
        focusChanged = false
        let sealed = await writer.sealed
        let keyframe = lastKeyframeNs.map { t - $0 >= Self.keyframeIntervalNs || sealed > sealedAtKeyframe } ?? true
        if keyframe {
            (lastKeyframeNs, keyframes) = (t, keyframes + 1)
        }
        await writer.append(patch: try screen.patch(keyframe ? Array(0..<SyntheticScreen.tileCount) : changed))
        let manifest = screen.manifest(grabbedNs: t)
        await writer.append(frame: manifest)
        newestFrame = manifest.hash
        return (CapturedEvent(tNs: t, body: .frame(frame: manifest.hash, w: manifest.width, h: manifest.height, reason: manifest.reason)), keyframe)
    }
}

/// The synthetic screen: 1920x1080 in capture's 128-pixel tiles, each a light background with
/// lines of dark glyph-like marks (rows of a line share their marks, as text does), drawn
/// anew when the tile changes, stored as PNG tile strips the way capture stores them.
struct SyntheticScreen {
    static let width = 1920
    static let height = 1080
    static let tileSize = 128
    static let columns = (width + tileSize - 1) / tileSize
    static let rows = (height + tileSize - 1) / tileSize
    static let tileCount = columns * rows

    /// Each tile's content version: its hash, and the seed of its pixels.
    private var versions: [UInt64]
    private var pixels: [[UInt8]]
    private var nextVersion: UInt64
    private var random = SplitMix64(seed: 0xF4A3E)

    init() {
        versions = Array(1...UInt64(Self.tileCount))
        pixels = versions.map(Self.tilePixels)
        nextVersion = UInt64(Self.tileCount) + 1
    }

    /// Changes a rectangle of tiles (most of the screen after a window change, else a few
    /// tiles where something was clicked or typed) and returns their indices.
    mutating func change(wide: Bool) -> [Int] {
        let w = wide ? Int.random(in: 8...Self.columns, using: &random) : Int.random(in: 1...4, using: &random)
        let h = wide ? Int.random(in: 5...Self.rows, using: &random) : Int.random(in: 1...3, using: &random)
        let x = Int.random(in: 0...(Self.columns - w), using: &random)
        let y = Int.random(in: 0...(Self.rows - h), using: &random)
        let indices = (y..<(y + h)).flatMap { row in (x..<(x + w)).map { row * Self.columns + $0 } }
        for index in indices {
            versions[index] = nextVersion
            pixels[index] = Self.tilePixels(nextVersion)
            nextVersion += 1
        }
        return indices
    }

    func hash(_ index: Int) -> TileHash { TileHash(high: UInt64(index), low: versions[index]) }

    /// The tiles at `indices` stacked top to bottom in one PNG strip, as capture encodes them (level 1).
    func patch(_ indices: [Int]) throws -> TilePatch {
        let strip = indices.flatMap { pixels[$0] }
        let size = Self.tileSize
        let data = try strip.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { throw DeviceFailure("an empty tile strip") }
            return try PixelCodec.encode(base, width: size, height: size * indices.count, stride: size * 4, codec: .png, level: 1)
        }
        let address = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        return TilePatch(hash: address, codec: .png, tileSize: size, tiles: indices.map(hash), data: data)
    }

    /// The whole screen's layout now; its hash is that of its tiles, so each frame is distinct.
    func manifest(grabbedNs: UInt64) -> FrameManifest {
        let tiles = (0..<Self.tileCount).map(hash)
        let digest = SHA256.hash(data: Data(tiles.flatMap(\.bytes)))
        return FrameManifest(
            hash: digest.prefix(16).map { String(format: "%02x", $0) }.joined(), width: Self.width, height: Self.height,
            tileSize: Self.tileSize, grabbedNs: grabbedNs, reason: .action, tiles: tiles)
    }

    /// One tile's BGRX pixels for a content version.
    static func tilePixels(_ version: UInt64) -> [UInt8] {
        var random = SplitMix64(seed: version &* 0x2545_F491_4F6C_DD1D)
        let size = tileSize
        let background = UInt8(truncatingIfNeeded: 228 + random.next() % 28)
        var out = [UInt8](repeating: background, count: size * size * 4)
        let glyphRows = (0..<8).map { _ in random.next() | random.next() }
        // 16-pixel lines, most with text: marks on 8 rows, the same columns inked on each.
        for line in stride(from: 0, to: size, by: 16) where random.next() % 10 < 6 {
            let ink = (0..<(size / 64)).map { _ in random.next() & random.next() | random.next() & random.next() }
            for row in 0..<8 {
                for (chunk, bits) in ink.enumerated() {
                    let marks = bits & glyphRows[row]
                    for bit in 0..<64 where marks >> UInt64(bit) & 1 == 1 {
                        let at = ((line + 4 + row) * size + chunk * 64 + bit) * 4
                        (out[at], out[at + 1], out[at + 2]) = (48, 40, 36)
                    }
                }
            }
        }
        for at in stride(from: 3, to: out.count, by: 4) { out[at] = 0xFF }
        return out
    }
}
