import Foundation
import UnderstudyModel

/// Whether a new policy widens capture beyond one the contributor consented to.
///
/// "Widens" is decided field by field and rule by rule, and conservatively: a change that
/// cannot be shown to narrow counts as widening, so it asks for consent again. With the most
/// restrictive matching rule winning, a new policy B is no wider than A when all of these hold:
/// - every capture switch (pointer, keys, text, frames, accessibility and its snapshots, URL
///   paths) on in B is on in A, and B takes frames
///   no more often;
/// - B's default action, and its treatment of unreadable pages and of private windows, are at
///   least as restrictive as A's;
/// - every rule of A has a rule in B with the same match and an action at least as restrictive;
/// - every rule of B whose match A has no rule for is at least as restrictive as A's default;
/// - B's pause cap is no shorter, its pause hotkey not turned off, its review window no
///   shorter, its retention no longer;
/// - B turns off no redaction recognizer A has on, and drops no fewer kinds of frames;
/// - B names the same organisation and the same audience (who can see the data).
public enum PolicyComparison {
    /// The ways `new` widens `old`, in words; empty when it does not.
    public static func widenings(from old: Policy, to new: Policy) -> [String] {
        var found: [String] = []
        let switches: [(String, KeyPath<Policy.Capture, Bool>)] = [
            ("pointer", \.pointer), ("key presses", \.keys), ("typed text", \.text), ("screen frames", \.frames),
            ("the paths of page addresses", \.urlPaths),
            ("what the accessibility bus says of windows (page addresses, elements aimed at)", \.accessibility),
            ("snapshots of the elements of the window in front", \.takesSnapshots),
        ]
        for (name, path) in switches where new.capture[keyPath: path] && !old.capture[keyPath: path] {
            found.append("captures \(name), which the consented policy did not")
        }
        if new.capture.frames, old.capture.frames, new.capture.framePeriodSeconds < old.capture.framePeriodSeconds {
            found.append(
                "takes periodic frames more often (every \(seconds(new.capture.framePeriodSeconds)) instead of \(seconds(old.capture.framePeriodSeconds)))"
            )
        }
        if new.privateWindows < old.privateWindows {
            found.append("private browsing windows are \(new.privateWindows.rawValue) instead of \(old.privateWindows.rawValue)")
        }
        if new.unknownSite < old.unknownSite {
            found.append("browser pages that cannot be read are \(new.unknownSite.rawValue) instead of \(old.unknownSite.rawValue)")
        }
        if new.defaultAction < old.defaultAction {
            found.append("its default action is \(new.defaultAction.rawValue) instead of \(old.defaultAction.rawValue)")
        }
        for rule in old.rules where !new.rules.contains(where: { $0.match == rule.match && $0.action >= rule.action }) {
            found.append("the rule for \(rule.match) (\(rule.action.rawValue)) is loosened or gone")
        }
        let oldMatches = Set(old.rules.map(\.match))
        for rule in new.rules where !oldMatches.contains(rule.match) && rule.action < old.defaultAction {
            found.append("a new rule makes \(rule.match) \(rule.action.rawValue), looser than the consented default (\(old.defaultAction.rawValue))")
        }
        if new.pauseCapSeconds < old.pauseCapSeconds {
            found.append("pauses are capped sooner (\(seconds(new.pauseCapSeconds)) instead of \(seconds(old.pauseCapSeconds)))")
        }
        if old.pauseHotkey != nil, new.pauseHotkey == nil {
            found.append("the pause hotkey (\(old.pauseHotkey!)) is turned off")
        }
        if new.reviewWindowSeconds < old.reviewWindowSeconds {
            found.append(
                "data waits less time for your review before upload (\(seconds(new.reviewWindowSeconds)) instead of \(seconds(old.reviewWindowSeconds)))"
            )
        }
        if new.retentionSeconds > old.retentionSeconds {
            found.append("data is kept longer (\(seconds(new.retentionSeconds)) instead of \(seconds(old.retentionSeconds)))")
        }
        for kind in old.redaction.subtracting(new.redaction).sorted(by: { $0.rawValue < $1.rawValue }) {
            found.append("\(kind.rawValue) is no longer redacted")
        }
        for kind in old.dropFrames.intersection(new.redaction).subtracting(new.dropFrames).sorted(by: { $0.rawValue < $1.rawValue }) {
            found.append("screens showing \(kind.rawValue) are stored with it filled instead of not at all")
        }
        if new.organisation != old.organisation { found.append("the organisation changed (\(new.organisation))") }
        if new.audience != old.audience { found.append("who can see the data changed (\(new.audience))") }
        return found
    }

    /// A whole number of seconds as people read it: `30m`, `7d`.
    public static func seconds(_ value: Double) -> String { DurationText.string(seconds: Int64(value.rounded())) }
}
