import Capture
import Dispatch
import Foundation
import UnderstudyModel
import Vault

/// Runs one recording session: capture records flow into a ``VaultWriter``, which is flushed
/// on a timer, and the session ends cleanly on a signal, at a time limit or when capture fails.
struct Recorder {
    let backend: any CaptureBackend
    let vault: Vault
    let lock: RecorderLock
    var flushInterval: Duration = .milliseconds(250)

    struct Report {
        var eventsByKind: [String: Int] = [:]
        var framesStored = 0
        var segmentsSealed = 0
        var pipeline = FramePipelineStats()
        var captureError: Error?
        var events: Int { eventsByKind.values.reduce(0, +) }

        var json: Data {
            func summary(_ values: [Double]) -> JSONValue {
                let s = FramePipelineStats.summarize(values)
                return .object([("median", .double(s.median)), ("p95", .double(s.p95)), ("count", .int(Int64(s.count)))])
            }
            let bytes = pipeline.bytesPerFrame
            let object: JSONValue = .object([
                ("events", .object(eventsByKind.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
                ("frames_stored", .int(Int64(framesStored))),
                ("segments_sealed", .int(Int64(segmentsSealed))),
                ("pipeline", .object([
                    ("grab_ms", summary(pipeline.grabMs)),
                    ("diff_ms", summary(pipeline.diffMs)),
                    ("encode_ms", summary(pipeline.encodeMs)),
                    ("bytes_per_frame", .int(bytes.isEmpty ? 0 : Int64(bytes.reduce(0, +) / max(1, pipeline.framesStored)))),
                    ("grabs", .int(Int64(pipeline.grabMs.count))),
                    ("identical_skipped", .int(Int64(pipeline.identicalSkipped))),
                    ("missed_observations", .int(Int64(pipeline.missedObservations))),
                ])),
            ])
            return Data((object.serialized + "\n").utf8)
        }
    }

    func run(limit: Duration?) async throws -> Report {
        let elapsed = Double(MonotonicClock.nowNs() &- backend.originNs) / 1e9
        let session = Session(startedAt: Date().addingTimeInterval(-elapsed), backend: backend.name,
                              display: backend.display, screen: backend.screen)
        let writer = try await VaultWriter(vault: vault, session: session)
        let published = RecorderLock.State(pid: getpid(), session: session.id, display: backend.display, startedAt: session.startedAt)
        try lock.publish(published)
        let stopper = StopSignals { [backend] in backend.stop() }
        let timer = limit.map { limit in Task { [backend] in
            try await Task.sleep(for: limit)
            backend.stop()
        } }
        let flusher = Task { [flushInterval, backend, lock] in
            var state = published
            while !Task.isCancelled {
                try? await Task.sleep(for: flushInterval)
                do { try await writer.flush() } catch { warn("\(error) (will retry)") }
                if await writer.takeKeyframeRequest() { backend.requestKeyframe() }
                state = await Self.publish(writer.storageState, over: state, lock: lock)
            }
        }
        var report = Report()
        do {
            for try await record in backend.records {
                await store(record, in: writer, report: &report)
            }
        } catch {
            report.captureError = error
        }
        flusher.cancel()
        _ = await flusher.result
        timer?.cancel()
        stopper.cancel()
        try await writer.close(endedAt: Date())
        lock.release()
        report.pipeline = backend.pipelineStats()
        report.segmentsSealed = await writer.sealed
        return report
    }

    /// Tells `understudy status` (through the lock's state file) when storing stops or resumes.
    private static func publish(_ storage: VaultWriter.StorageState, over state: RecorderLock.State,
                                lock: RecorderLock) -> RecorderLock.State {
        var next = state
        switch storage {
        case .storing:
            (next.notStoring, next.notStoringSince) = (nil, nil)
        case let .stopped(refusal, since):
            (next.notStoring, next.notStoringSince) = (refusal.description, since)
        }
        guard next != state else { return state }
        if next.notStoring != nil { warn("not storing: \(next.notStoring!)") } else { warn("storing again") }
        do { try lock.publish(next) } catch { warn("\(error)") }
        return next
    }

    private func store(_ record: CaptureRecord, in writer: VaultWriter, report: inout Report) async {
        switch record {
        case let .events(events):
            await writer.append(events)
            for event in events { report.eventsByKind[event.body.kind, default: 0] += 1 }
        case let .frame(manifest):
            report.framesStored += 1
            await writer.append(frame: manifest)
        case let .tiles(patch):
            await writer.append(patch: patch)
        }
    }
}

/// Turns SIGINT and SIGTERM into a call, once, instead of ending the process: the recorder
/// must flush what it captured.
final class StopSignals {
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable () -> Void) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
