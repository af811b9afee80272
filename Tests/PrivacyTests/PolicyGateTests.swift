import Foundation
import Synchronization
import Testing
import UnderstudyModel

@testable import Privacy

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let ns = Mutex<UInt64>(0)
    var now: UInt64 { ns.withLock { $0 } }
    func set(seconds: Double) { ns.withLock { $0 = UInt64(seconds * 1e9) } }
}

@Suite("Policy gate")
struct PolicyGateTests {
    let clock = TestClock()
    let origin = Date(timeIntervalSince1970: 1_795_000_000)
    /// The wall clock exemption periods are judged by; it moves only when a test moves it.
    let wall = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))

    func gate(_ text: String = basePolicy, exemptions: [Exemption] = []) throws -> PolicyGate {
        let rules = WindowRules(policy: try policy(text), exemptions: exemptions, clock: wall.wallClock)
        let gate = PolicyGate(rules: rules, clock: { [clock] in clock.now })
        gate.begin(originNs: 0, originWall: origin)
        return gate
    }

    static func at(_ seconds: Double, _ body: EventBody) -> CapturedEvent { CapturedEvent(tNs: UInt64(seconds * 1e9), body: body) }
    static func focus(_ app: String, _ title: String = "window") -> EventBody {
        .focus(WindowContext(app: app, title: title, pid: 1, window: 2, rect: [0, 0, 10, 10]))
    }
    static func key(_ c: String) -> EventBody { .keyDown(key: c, keycode: 38, mods: [], text: c) }

    @Test("While an excluded app has focus nothing passes, not even its focus event; one gap covers the span")
    func exclusion() throws {
        let gate = try gate()
        let out = gate.filter([
            Self.at(1, Self.focus("XTerm")), Self.at(1.1, Self.key("a")),
            Self.at(2, Self.focus("KeePassXC", "Passwords")), Self.at(2.1, Self.key("s")), Self.at(2.2, .pointerDown(x: 1, y: 1, button: .left)),
            Self.at(2.3, .frame(frame: "f", w: 1, h: 1, reason: .action)),
            Self.at(3, Self.focus("XTerm")), Self.at(3.1, Self.key("b")),
        ])
        #expect(
            out.map(\.body) == [
                Self.focus("XTerm"), Self.key("a"), .gap(reason: .excludedApp, fromNs: 2_000_000_000, toNs: 3_000_000_000),
                Self.focus("XTerm"), Self.key("b"),
            ])
        #expect(gate.treatment(of: WindowContext(app: "KeePassXC", title: "", pid: nil, window: 1, rect: [])) == .exclude)
    }

    @Test("A structure-only window keeps timing but loses key names, text and its title")
    func structureOnly() throws {
        let out = try gate().filter([
            Self.at(1, Self.focus("firefox", "Payroll run")), Self.at(1.1, Self.key("4")),
            Self.at(1.2, .keyUp(key: "4", keycode: 13, mods: [])), Self.at(1.3, .pointerMove(x: 5, y: 6)),
        ])
        #expect(
            out.map(\.body) == [
                Self.focus("firefox", ""), .keyDown(key: "", keycode: 0, mods: [], text: nil),
                .keyUp(key: "", keycode: 0, mods: []), .pointerMove(x: 5, y: 6),
            ])
    }

    @Test(
        "A window title passes the same recognizers as typed text before it is stored: an address, a card number, a login at a host become markers"
    )
    func titles() throws {
        let out = try gate().filter([
            Self.at(1, Self.focus("Thunderbird", "Inbox (3) – alice.smith@corp.example.com – Mail")),
            Self.at(2, Self.focus("XTerm", "alice@alice-laptop: ~/payslips")),
            Self.at(3, Self.focus("Gedit", "card 4111 1111 1111 1111.txt")),
        ])
        let titles = out.compactMap { if case .focus(let window) = $0.body { window.title } else { nil } }
        #expect(titles == ["Inbox (3) – [EMAIL] – Mail", "[EMAIL]: ~/payslips", "card [CREDIT_CARD].txt"])
    }

    @Test("An element target passes only from a window captured in full, with the text recognizers run over its name and description")
    func targets() throws {
        let named = AccessibleElement(
            role: "link", name: "Mail alice.smith@example.com", description: "card 4111 1111 1111 1111", bounds: [1, 2, 3, 4], app: "Chromium",
            id: "0/1")
        let target = { (t: Double) in Self.at(t, .target(ofNs: UInt64(t * 1e9), element: named)) }
        let out = try gate().filter([
            Self.at(1, Self.focus("XTerm")), target(1.1),
            Self.at(2, Self.focus("firefox", "Payroll run")), target(2.1),
            Self.at(3, Self.focus("KeePassXC", "Passwords")), target(3.1),
        ])
        let passed = out.compactMap { if case .target(_, let element) = $0.body { element } else { nil } }
        #expect(passed.count == 1, "only the terminal's target passes: \(passed)")
        #expect(passed.first?.name.contains("alice.smith") == false && passed.first?.name.hasPrefix("Mail ") == true, "\(passed)")
        #expect(passed.first?.description?.contains("4111") == false, "\(passed)")
    }

    @Test(
        "An accessibility snapshot passes only for the focused window, captured in full, with the recognizers run over every name; a policy can turn snapshots off"
    )
    func snapshots() throws {
        let snapshot = AccessibilitySnapshot(nodes: [
            .init(role: "document web", name: "Pay card 4111 1111 1111 1111", bounds: [0, 0, 800, 600], parent: nil),
            .init(role: "push button", name: "Send", states: ["enabled"], bounds: [600, 100, 400, 300], parent: 0),
        ])
        let of = { (t: Double, window: UInt64) in Self.at(t, .accessibilitySnapshot(frame: "f", window: window, snapshot: snapshot)) }
        let events = [
            Self.at(1, Self.focus("XTerm")), of(1.1, 2), of(1.2, 7),
            Self.at(2, Self.focus("firefox", "Payroll run")), of(2.1, 2),
            Self.at(3, Self.focus("KeePassXC", "Passwords")), of(3.1, 2),
        ]
        let passed = try gate().filter(events).compactMap { if case .accessibilitySnapshot(_, _, let s) = $0.body { s } else { nil } }
        #expect(passed.count == 1, "only the terminal's own snapshot passes, not one of window 7, nor of the structure-only or excluded window")
        #expect(passed.first?.nodes.map(\.name) == ["Pay card [CREDIT_CARD]", "Send"], "\(passed)")
        #expect(passed.first?.nodes.last?.parent == 0)

        let off = try gate(basePolicy.replacingOccurrences(of: "  frames: true\n", with: "  frames: true\n  accessibility-snapshots: false\n"))
        #expect(!off.filter(events).contains { $0.body.kind == "a11y" }, "the policy turned snapshots off")
    }

    @Test("A pause drops everything from the moment it is asked, ends at the policy's cap even when longer was asked, and is marked in order")
    func pauseCap() throws {
        let gate = try gate(basePolicy.replacingOccurrences(of: "pause-cap: 30m", with: "pause-cap: 2m"))
        clock.set(seconds: 10)
        let until = gate.pause(seconds: 3600)
        #expect(until == origin.addingTimeInterval(130))
        #expect(!gate.framesAllowed && gate.pausedUntil == until)
        // Typed before the pause, delivered after it: kept.
        var out = gate.filter([Self.at(9.9, Self.key("a")), Self.at(10.5, Self.key("s")), Self.at(100, Self.key("t"))])
        clock.set(seconds: 131)
        #expect(gate.framesAllowed && gate.pausedUntil == nil)
        out += gate.filter([Self.at(130.5, Self.key("b"))])
        #expect(out.map(\.body) == [Self.key("a"), .pause(until: until, by: .user), .resume(by: .policy), Self.key("b")])
        #expect(out.map(\.tNs) == [9_900_000_000, 10_000_000_000, 130_000_000_000, 130_500_000_000])
    }

    @Test("A pause of a negative or not-a-number length is no pause at all, and the recorder goes on (it used to trap)")
    func pauseNonsense() throws {
        let gate = try gate()
        clock.set(seconds: 10)
        for seconds in [-5, -Double.infinity, .nan] {
            #expect(gate.pause(seconds: seconds) == origin.addingTimeInterval(10))
            #expect(gate.framesAllowed)
        }
    }

    @Test("resume ends a pause at once; a pause that runs out is marked by the timer when no event comes")
    func resumeAndTick() throws {
        let gate = try gate()
        clock.set(seconds: 5)
        gate.pause(seconds: 60)
        clock.set(seconds: 7)
        #expect(gate.resume())
        #expect(!gate.resume())
        clock.set(seconds: 8)
        #expect(gate.tick().map(\.body) == [.pause(until: origin.addingTimeInterval(65), by: .user), .resume(by: .user)])
        clock.set(seconds: 20)
        gate.pause(seconds: 5)
        clock.set(seconds: 26)
        #expect(gate.tick().map(\.tNs) == [20_000_000_000, 25_000_000_000])
    }

    @Test("An exemption added while its app has focus applies to the next event")
    func exemptionNow() throws {
        let gate = try gate()
        var out = gate.filter([Self.at(1, Self.focus("XTerm")), Self.at(1.1, Self.key("a"))])
        gate.update(exemptions: [Exemption(kind: .app, value: "xterm")])
        out += gate.filter([Self.at(1.2, Self.key("b")), Self.at(2, Self.focus("Code")), Self.at(2.1, Self.key("c"))])
        #expect(
            out.map(\.body) == [
                Self.focus("XTerm"), Self.key("a"), .gap(reason: .excludedApp, fromNs: 1_200_000_000, toNs: 2_000_000_000),
                Self.focus("Code"), Self.key("c"),
            ])
    }

    @Test(
        "An approved exemption of all capture for a period holds only within it: before it starts and after it ends events pass; inside, nothing does, and a gap covers it"
    )
    func periodExemption() throws {
        let starts = wall.now.addingTimeInterval(0.4)
        let gate = try gate(exemptions: [Exemption(kind: .all, value: "*", from: starts, until: starts.addingTimeInterval(0.5))])
        var out = gate.filter([Self.at(1, Self.focus("XTerm")), Self.at(1.1, Self.key("a"))])
        wall.advance(by: 0.5)
        _ = gate.tick()
        out += gate.filter([Self.at(1.2, Self.key("b")), Self.at(1.3, Self.focus("Code")), Self.at(1.4, Self.key("c"))])
        wall.advance(by: 0.6)
        _ = gate.tick()
        out += gate.filter([Self.at(2, Self.key("d"))])
        #expect(
            out.map(\.body) == [
                Self.focus("XTerm"), Self.key("a"), .gap(reason: .excludedApp, fromNs: 1_200_000_000, toNs: 2_000_000_000),
                Self.key("d"),
            ])
    }

    @Test("A period exemption of one app excludes it only within its period; a personal one holds at once and for good")
    func periodRules() throws {
        let now = wall.now
        let xterm = WindowContext(app: "XTerm", title: "t", pid: 1, window: 2, rect: [0, 0, 1, 1])
        let rules = { (e: Exemption) in WindowRules(policy: try policy(basePolicy), exemptions: [e], clock: wall.wallClock).treatment(of: xterm) }
        #expect(try rules(Exemption(kind: .app, value: "xterm", from: now.addingTimeInterval(-60), until: now.addingTimeInterval(60))) == .exclude)
        #expect(try rules(Exemption(kind: .app, value: "xterm", from: now.addingTimeInterval(60))) != .exclude, "not started")
        #expect(try rules(Exemption(kind: .app, value: "xterm", until: now.addingTimeInterval(-1))) != .exclude, "over")
        #expect(try rules(Exemption(kind: .all, value: "*", until: now.addingTimeInterval(60))) == .exclude)
        #expect(try rules(Exemption(kind: .app, value: "xterm")) == .exclude)
    }

    @Test("A policy without text capture keeps key timing and non-printing keys only")
    func noText() throws {
        let gate = try gate(basePolicy.replacingOccurrences(of: "  text: true", with: "  text: false"))
        let out = gate.filter([Self.at(1, Self.key("x")), Self.at(1.1, .keyDown(key: "Return", keycode: 36, mods: [], text: nil))])
        #expect(out.map(\.body) == [.keyDown(key: "", keycode: 0, mods: [], text: nil), .keyDown(key: "Return", keycode: 36, mods: [], text: nil)])
    }

    @Test("At the end, an open exclusion gets its gap and an open pause its resume")
    func finish() throws {
        let gate = try gate()
        _ = gate.filter([Self.at(1, Self.focus("KeePassXC"))])
        clock.set(seconds: 3)
        gate.pause(seconds: 60)
        clock.set(seconds: 4)
        #expect(
            gate.finish().map(\.body) == [
                .gap(reason: .excludedApp, fromNs: 1_000_000_000, toNs: 4_000_000_000),
                .pause(until: origin.addingTimeInterval(63), by: .user), .resume(by: .user),
            ])
    }
}
