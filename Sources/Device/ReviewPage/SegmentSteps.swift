import Datasets
import Foundation
import UnderstudyModel
import Vault

/// One segment's steps, as the review page shows them: built from its events and those of the
/// segment before it in the session (which hold the window in focus and the screen seen before
/// the segment's first input), so only two segments are opened however long the day.
struct SegmentSteps {
    var segment: SegmentInfo
    var episode: Episode?
    var steps: [EpisodeStep]

    static func read(_ vault: Vault, segment id: String) throws -> SegmentSteps {
        let all = try vault.segments()
        guard let index = all.firstIndex(where: { $0.id == id }) else { throw DeviceFailure("there is no segment \(id) in this vault") }
        let segment = all[index]
        let before = index > 0 && all[index - 1].session == segment.session ? [all[index - 1].id] : []
        var span: ClosedRange<UInt64>?
        try vault.forEachEvent(session: segment.session, segments: [id]) { _, event in
            span = span.map { min($0.lowerBound, event.tNs)...max($0.upperBound, event.tNs) } ?? event.tNs...event.tNs
        }
        let source = SegmentEvents(vault: vault, session: segment.session, segments: Set(before + [id]))
        let episodes = try Exporter.episodes(from: source, builder: EpisodeBuilder(settings: .stepsOnly))
        let steps = episodes.flatMap { episode in episode.steps.map { (episode, $0) } }.filter { span?.contains($0.1.startNs) ?? false }
        return SegmentSteps(segment: segment, episode: steps.first?.0, steps: steps.map(\.1).filter { !$0.action.isTerminal })
    }
}

extension SegmentSteps {
    /// What deleting steps `first` through `last` (their numbers on the page) takes, in ns
    /// since the session started: from just after the step before (so the screen the first
    /// was decided on goes too, unless that step needs it) to the end of the last.
    func span(first: Int, last: Int) -> ClosedRange<UInt64>? {
        let chosen = steps.filter { (first...last).contains($0.index) }
        guard first <= last, let start = chosen.first, let end = chosen.last else { return nil }
        let before = (episode?.steps ?? []).last { $0.index < start.index && !$0.action.isTerminal }
        var from = start.startNs
        if case .success(let seen) = start.observation { from = min(from, seen.frameNs) }
        if let before { from = max(from, before.endNs + 1) }
        return from...max(from, end.endNs)
    }
}

/// A vault's session, with only some of its segments' events.
struct SegmentEvents: RecordingSource {
    let vault: Vault
    let session: String
    let segments: Set<String>

    func sessions() throws -> [Session] { try vault.sessions().filter { $0.id == session } }

    func events(of session: Session) throws -> [Event] {
        var events: [Event] = []
        try vault.forEachEvent(session: session.id, segments: segments, damaged: { warn("skipped: \($0)") }) { _, event in events.append(event) }
        return events
    }

    func frame(_ hash: String, of session: Session) throws -> FrameRecord? { try VaultRecordingSource(vault: vault).frame(hash, of: session) }
    func png(_ hash: String, of session: Session) throws -> Data { try VaultRecordingSource(vault: vault).png(hash, of: session) }
}
