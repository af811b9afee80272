import Capture
import Testing
import UnderstudyModel

@testable import Device

@Suite("The recorder's counters")
struct RecorderTallyTests {
    static func focus(_ app: String, url: String?, at seconds: Double) -> CapturedEvent {
        CapturedEvent(
            tNs: UInt64(seconds * 1e9),
            body: .focus(WindowContext(app: app, title: "Notes - Chromium", pid: 7, window: 1, rect: [0, 0, 9, 9], url: url)))
    }

    static func key(at seconds: Double) -> CapturedEvent {
        CapturedEvent(tNs: UInt64(seconds * 1e9), body: .keyDown(key: "a", keycode: 38, mods: [], text: "a"))
    }

    func unreadable(_ events: [CapturedEvent]) -> Int {
        let tally = RecorderTally()
        _ = tally.countUnreadablePages(events)
        return tally.counters(pipeline: FramePipelineStats(), accessibility: nil).unreadablePages
    }

    @Test(
        "A browser page counts as unreadable once it stays so for 2 s, by the events' clock; a page whose address comes sooner, as a loading page's does, does not count"
    )
    func unreadablePages() {
        #expect(
            unreadable([Self.focus("Chromium", url: nil, at: 1), Self.focus("Chromium", url: "http://a.example/", at: 1.4), Self.key(at: 5)]) == 0)
        #expect(unreadable([Self.focus("Chromium", url: nil, at: 1), Self.key(at: 2.5), Self.key(at: 3.1)]) == 1)
        // Several focus events in one unreadable run (titles changing) are one time; a new run after a readable page is another.
        let runs = [
            Self.focus("Chromium", url: nil, at: 1), Self.focus("Chromium", url: nil, at: 2), Self.key(at: 4),
            Self.focus("Chromium", url: nil, at: 5),
            Self.key(at: 6), Self.focus("XTerm", url: nil, at: 7), Self.focus("Chromium", url: nil, at: 8), Self.key(at: 10.5),
        ]
        #expect(unreadable(runs) == 2)
        #expect(unreadable([Self.focus("XTerm", url: nil, at: 1), Self.key(at: 9)]) == 0, "not a browser")
    }
}
