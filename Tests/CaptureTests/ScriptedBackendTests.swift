import Capture
import Foundation
import Testing
import UnderstudyModel

@Suite("Scripted backend")
struct ScriptedBackendTests {
    func script(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-script-\(UUID().uuidString).jsonl")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test("A JSON-lines script replays its events in order with their times")
    func replays() async throws {
        let url = try script(
            """
            {"t_ns": 0, "kind": "pointer.move", "x": 5, "y": 6}

            {"t_ns": 1000, "kind": "key.down", "key": "a", "keycode": 38, "mods": [], "text": "a"}
            """)
        let backend = try ScriptedBackend(script: url)
        var events: [(UInt64, EventBody)] = []
        for try await record in backend.records {
            if case .events(let batch) = record { events += batch.map { ($0.tNs, $0.body) } }
        }
        #expect(events.map(\.0) == [0, 1000])
        #expect(events.map(\.1) == [.pointerMove(x: 5, y: 6), .keyDown(key: "a", keycode: 38, mods: [], text: "a")])
    }

    @Test("A bad line is refused with its line number before anything replays")
    func badLine() throws {
        let url = try script("{\"t_ns\": 0, \"kind\": \"pointer.move\", \"x\": 1, \"y\": 1}\n{\"t_ns\": 5, \"kind\": \"pointer.down\", \"x\": 1}\n")
        #expect(throws: CaptureError.self) { try ScriptedBackend(script: url) }
        do {
            _ = try ScriptedBackend(script: url)
        } catch let error as CaptureError {
            guard case .badScript(let line, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(line == 2)
        }
    }
}
