import Datasets
import Foundation
import Testing
import UnderstudyModel

/// A session whose events a test writes with ``Script``, its frames' records by hash.
struct MemoryRecording: RecordingSource {
    var session = Session(
        id: "0a1b2c3d-0000-4000-8000-000000000001", startedAt: Date(timeIntervalSince1970: 1_800_000_000),
        backend: "scripted", display: ":9", screen: ScreenGeometry(width: 1000, height: 500, monitors: []),
        policyHash: "ab12", consentedAt: Date(timeIntervalSince1970: 1_799_999_000))
    var script = Script()
    var frames: [String: FrameRecord] = [:]

    func sessions() throws -> [Session] { [session] }
    func events(of session: Session) throws -> [Event] { script.events }
    func frame(_ hash: String, of session: Session) throws -> FrameRecord? { frames[hash] ?? FrameRecord(redactions: []) }
    func png(_ hash: String, of session: Session) throws -> Data { Data("PNG of \(hash)".utf8) }

    func episodes() throws -> [Episode] {
        try EpisodeBuilder().episodes(of: session, events: script.events) { try frame($0, of: session) }
    }

    static func frame(_ hash: String) -> EventBody { .frame(frame: hash, w: 1000, h: 500, reason: .action) }
    static func focus(_ app: String) -> EventBody {
        .focus(WindowContext(app: app, title: "\(app) window", pid: nil, window: 1, rect: [0, 0, 10, 10]))
    }
}

@Suite("Episodes from task markers")
struct EpisodeBuilderTests {
    @Test("Steps between task start and end are one episode with the instruction; steps outside are segmented; a failed task ends with fail")
    func markedTasks() throws {
        var r = MemoryRecording()
        r.script.at(0, MemoryRecording.focus("XTerm"))
        r.script.at(10, MemoryRecording.frame("f0"))
        r.script.click(100, 100, at: 500)  // before any task: an unmarked episode
        r.script.type("ok", from: 700)
        r.script.at(2_000, .taskStart(instruction: "Rename the report"))
        r.script.click(200, 200, at: 2_500)
        r.script.at(2_700, MemoryRecording.frame("f1"))
        r.script.type("report", from: 3_000)
        r.script.at(4_000, MemoryRecording.frame("f2"))
        r.script.at(4_500, .taskEnd(outcome: .done))
        r.script.at(5_000, .taskStart(instruction: "Email it to Ana"))
        r.script.click(300, 300, at: 5_200)
        r.script.key("Return", at: 5_400)
        r.script.at(6_000, .taskEnd(outcome: .failed))
        r.script.at(7_000, .taskStart(instruction: "Never ended"))
        r.script.click(400, 400, at: 7_200)
        r.script.click(410, 410, at: 8_200)
        let episodes = try r.episodes()
        #expect(episodes.map(\.id) == ["0a1b2c3d-001", "0a1b2c3d-002", "0a1b2c3d-003", "0a1b2c3d-004"])
        #expect(episodes.map(\.instruction) == [nil, "Rename the report", "Email it to Ana", "Never ended"])
        #expect(episodes.map(\.outcome) == [.unmarked, .done, .failed, .unfinished])
        #expect(
            episodes.map { $0.steps.map(\.action.verb) } == [
                ["click", "type", "done"], ["click", "type", "done"], ["click", "key", "fail"], ["click", "click", "done"],
            ])
        // The task's last step is at `task end`, decided on the last frame before it: the screen the task left.
        let renamed = episodes[1]
        #expect(renamed.steps.last?.startNs == 4_500_000_000)
        #expect(renamed.steps.last?.observationFrame == "f2")
        #expect(renamed.finalFrame == "f2")
        #expect(renamed.steps.map(\.index) == [0, 1, 2])
        #expect(renamed.steps[1].observationFrame == "f1")
        #expect(renamed.steps[0].window?.app == "XTerm")
    }

    @Test("Markers stored after later capture events still cut at their own time")
    func markersOutOfOrder() throws {
        var r = MemoryRecording()
        r.script.click(100, 100, at: 500)
        r.script.click(200, 200, at: 3_000)
        r.script.click(300, 300, at: 3_600)
        // Stored after the clicks (the flusher is late), but given at 2 s.
        r.script.events.append(Event(seq: 99, tNs: 2_000_000_000, wall: Date(), body: .taskStart(instruction: "Late marker")))
        let episodes = try r.episodes()
        #expect(episodes.map(\.instruction) == [nil, "Late marker"])
        #expect(episodes.map { $0.steps.count } == [2, 3])
    }

    @Test("A step carries its observation frame's redaction boxes; a withheld or paused-over frame is no observation")
    func redactionsAndMissingFrames() throws {
        var r = MemoryRecording()
        r.frames["shown"] = FrameRecord(redactions: [FrameRedaction(what: .email, box: [10, 20, 300, 18])])
        r.frames["hidden"] = FrameRecord(redactions: [], withheld: "showed credit_card")
        r.script.at(100, MemoryRecording.frame("shown"))
        r.script.click(100, 100, at: 500)
        r.script.at(1_000, MemoryRecording.frame("hidden"))
        r.script.click(200, 200, at: 1_500)
        r.script.at(1_800, MemoryRecording.frame("plain"))
        r.script.at(2_000, .pause(until: nil, by: .user))
        r.script.at(2_900, .resume(by: .user))
        r.script.click(300, 300, at: 3_000)
        let steps = try r.episodes()[0].steps
        #expect(steps[0].redactions == [FrameRedaction(what: .email, box: [10, 20, 300, 18])])
        #expect(steps[1].observation == .failure(.withheld(frame: "hidden", reason: "showed credit_card")))
        #expect(steps[2].observation == .failure(.stale(frame: "plain", ageNs: 1_200_000_000)))
        // `done` too: the last frame, "plain", was taken before the pause.
        #expect(steps.map(\.observationFrame) == ["shown", nil, nil, nil])
    }
}

@Suite("Quality filters")
struct QualityFilterTests {
    @Test("Episodes too short, mostly redacted or mostly paused are left out, each for its own reason")
    func rules() throws {
        var r = MemoryRecording()
        r.script.at(0, MemoryRecording.frame("f"))
        r.script.click(10, 10, at: 100)  // episode 1: one action
        r.script.at(400_000, .redacted(what: .email, count: 1))  // episode 2: two of three steps typed a redacted value
        r.script.click(20, 20, at: 401_000)
        r.script.at(401_500, .redacted(what: .phone, count: 1))
        r.script.click(30, 30, at: 800_000)  // episode 3: paused most of the time
        r.script.at(800_500, .pause(until: nil, by: .user))
        r.script.at(830_000, .resume(by: .user))
        r.script.click(40, 40, at: 831_000)
        r.script.click(50, 50, at: 1_200_000)  // episode 4: fine
        r.script.type("fine", from: 1_200_500)
        let episodes = try r.episodes()
        let filter = QualityFilter()
        #expect(
            episodes.map(filter.rejection) == [
                "fewer than 2 actions", "more than 50% of steps typed a redacted value", "more than 50% paused or in a gap", nil,
            ])
        var lenient = QualityFilter()
        (lenient.minActions, lenient.maxRedactedShare, lenient.maxInterruptedShare) = (1, 1, 1)
        #expect(episodes.allSatisfy { lenient.rejection(of: $0) == nil })
    }
}
