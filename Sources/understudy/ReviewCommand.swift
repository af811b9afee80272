import ArgumentParser
import CollectorAPI
import Datasets
import Device
import Foundation
import Sync
import UnderstudyModel
import Vault

/// A reviewer's side of the collector: look through scrubbed steps under pseudonyms and judge them.
struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Quality review of the collector's scrubbed steps, under pseudonyms (reviewers).",
        discussion: """
            Steps are named by their t_ns (when their first input happened, in ns since the session \
            started), as `admin review open` and exports print it. Exports leave out every episode holding a \
            step judged bad. What you open and judge is in the audit log, under the contributor.
            """,
        subcommands: [List.self, Open.self, Judge.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The held segments, their contributors by pseudonym, and how many steps were judged.")
        @Flag(help: "One JSON object per segment.") var json = false
        @OptionGroup var staff: StaffOptions

        func run() async throws {
            for s in try await staff.session({ client, me in try await client.reviewSegments(as: me) }) {
                if json { try printJSON(s) } else { print("\(s.id)  \(s.contributor)  \(s.stepsJudged) judged, \(s.stepsBad) bad") }
            }
        }
    }

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a segment's steps, and write pages showing each on its screen (--out).")
        @Argument(help: "The segment.") var segment: String
        @Option(help: ArgumentHelp("A new or empty folder for the pages (index.html).", valueName: "dir")) var out: String?
        @Flag(help: "One JSON object per step.") var json = false
        @OptionGroup var staff: StaffOptions

        func run() async throws {
            let bundle = try await staff.session { client, me in
                let answer = try await client.send("GET", "/v1/review/segments/\(segment)", as: me)
                do { return try SegmentBundleContents(tar: try answer.verifiedBody()) } catch { throw CommandFailure("segment \(segment): \(error)") }
            }
            let source = BundleRecordingSource([bundle])
            // Every step is shown, however short its episode: the reviewer judges them all.
            var options = ExportOptions(format: .html)
            options.filter.minActions = 0
            options.filter.maxRedactedShare = 1
            options.filter.maxInterruptedShare = 1
            for episode in try Exporter.episodes(from: source, builder: EpisodeBuilder()) {
                for step in episode.steps where !step.action.isTerminal {
                    print(
                        json
                            ? JSONValue.object([
                                ("episode", .string(episode.id)), ("t_ns", .int(Int64(clamping: step.startNs))),
                                ("action", .string(step.action.verb)), ("pyautogui", .string(step.action.pyautogui)),
                            ]).serialized
                            : "\(episode.id)  t_ns \(step.startNs)  \(step.action.pyautogui)")
                }
            }
            guard let out else { return }
            _ = try Exporter(options: options).run(
                source: source, to: URL(fileURLWithPath: out),
                lineage: Lineage(vault: staff.server, generator: "understudy \(Understudy.configuration.version)", consents: []))
            if !json { print("Wrote \(URL(fileURLWithPath: out).standardizedFileURL.path)/index.html") }
        }
    }

    struct Judge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Judge steps of a segment good or bad; a later judgement of a step replaces the earlier.")
        @Argument(help: "The segment.") var segment: String
        @Option(help: ArgumentHelp("A step that is fine (its t_ns; repeatable).", valueName: "t_ns")) var good: [Int64] = []
        @Option(help: ArgumentHelp("A step that is wrong (its t_ns; repeatable).", valueName: "t_ns")) var bad: [Int64] = []
        @Option(help: ArgumentHelp("Why the bad steps are bad, e.g. unredacted, wrong_action.", valueName: "text")) var reason: String?
        @OptionGroup var staff: StaffOptions

        func validate() throws {
            guard !good.isEmpty || !bad.isEmpty else { throw ValidationError("give at least one --good or --bad step") }
            guard Set(good).isDisjoint(with: bad) else { throw ValidationError("a step cannot be judged both good and bad") }
        }

        func run() async throws {
            let verdicts =
                good.map { VerdictsRequest.Verdict(step: $0, verdict: "good", reason: nil) }
                + bad.map { VerdictsRequest.Verdict(step: $0, verdict: "bad", reason: reason) }
            let recorded = try await staff.session { client, me in try await client.judge(segment: segment, verdicts: verdicts, as: me) }
            print("Recorded \(recorded.recorded) verdict(s) on segment \(segment).")
        }
    }
}
