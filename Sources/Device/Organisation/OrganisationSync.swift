import CollectorAPI
import Foundation
import Logging
import Privacy
import Sync
import UnderstudyModel
import Vault

/// What `understudy sync` exchanges besides segments: exemption requests going out, the
/// privacy officer's decisions coming back (an approval becomes an exemption the running
/// recorder picks up within a moment), and the organisation's current policy.
public struct OrganisationSync {
    public let client: CollectorClient
    public let credential: DeviceCredential
    let exemptions = ExemptionStore()

    public init(client: CollectorClient, credential: DeviceCredential) {
        self.client = client
        self.credential = credential
    }

    /// Sends the requests not sent yet; returns how many.
    public func sendRequests() async throws -> Int {
        var contents = try exemptions.load()
        var sent = 0
        for index in contents.requests.indices where contents.requests[index].sentAt == nil {
            let request = contents.requests[index]
            _ = try await client.requestExemption(
                ExemptionRequestBody(
                    id: request.id, kind: request.kind.rawValue, value: request.value, reason: request.reason,
                    requestedAt: request.requestedAt, from: request.from, until: request.until),
                as: .device(credential))
            contents.requests[index].sentAt = WallClock.system.now()
            sent += 1
        }
        if sent > 0 { try exemptions.save(contents) }
        return sent
    }

    /// Applies decided requests: approved ones become exemptions, and both leave the pending list.
    public func applyDecisions() async throws -> [String] {
        let decisions = try await client.myExemptions(as: .device(credential))
        var contents = try exemptions.load()
        var messages: [String] = []
        for decision in decisions {
            let status = decision.status
            guard status != "pending", let index = contents.requests.firstIndex(where: { $0.id == decision.id }) else { continue }
            let request = contents.requests.remove(at: index)
            let note = decision.note.map { " (\($0))" } ?? ""
            let exemption = Exemption(id: "org-\(request.id)", kind: request.kind, value: request.value, from: request.from, until: request.until)
            if status == "approved" {
                contents.exemptions.append(exemption)
                messages.append(
                    "Your organisation approved exempting \(exemption.summary)\(note): it applies \(request.from == nil ? "now" : "then").")
            } else {
                messages.append("Your organisation denied exempting \(exemption.summary)\(note).")
            }
        }
        if !messages.isEmpty { try exemptions.save(contents) }
        return messages
    }

    /// Where sync keeps the organisation's newest policy (and its `.sig`): `record` runs under
    /// it when no `--policy` is given.
    public static var policyFile: URL { UserDirectories.config.appendingPathComponent("organisation-policy.yaml") }

    /// Saves the newest published policy when it is signed by a trusted key, and says what it
    /// means under the consent rules: nothing when consented to, that it applies at once when it
    /// only narrows what was consented to, and what it widens otherwise (consent is asked).
    public func fetchPolicy() async throws -> String? {
        guard let newest = try await client.policies(as: .device(credential)).last else { return nil }
        let text = newest.document
        let signature = newest.signature
        let file = Self.policyFile
        let name = "\(newest.name) v\(newest.version)"
        do {
            _ = try PolicySigning.verify(Data(text.utf8), signature: signature, named: name, trusted: PolicySigning.trustedKeys())
        } catch {
            return "Your organisation's current policy \(name) is not signed by a key you trust (\(error)); it was not saved."
        }
        let document = try PolicyDocument(text: text, source: file.path)
        try DurableFile.replace(file.path, contents: Data(text.utf8))
        try DurableFile.replace(PolicySigning.signatureURL(file).path, contents: Data(signature.utf8))
        switch try ConsentStore().decision(for: document) {
        case .consented:
            return nil
        case .narrows:
            return
                "Your organisation's policy is now \(name). It only narrows what you consented to, so it applies from your next recording without asking."
        case .needed(let widenings):
            return
                "Your organisation's policy is now \(name), which needs your consent: \(widenings.joined(separator: "; ")). Read it with `understudy policy explain \(file.path)`, then `understudy consent accept --policy \(file.path)` to record under it."
        }
    }
}

extension OrganisationSync {
    /// A line for each code someone made to enrol another device as this contributor: the
    /// contributor hears of it at their next sync, and nothing enrols until one approves it.
    public func enrolmentNotices() async throws -> [String] {
        try await client.myEnrolmentCodes(as: .device(credential)).map { code in
            guard code.approvedBy == nil else {
                return "A device is about to enrol as you with code \(code.id), approved by \(code.approvedBy ?? "")."
            }
            return
                "\(code.createdBy) made an enrolment code (\(code.id)) for another device as you: `understudy held approve \(code.id)` if it is yours, `understudy held refuse \(code.id)` if not."
        }.map(\.terminalSafe)
    }
}

extension OrganisationSync {
    /// The whole of `understudy sync`: exemption requests out, sealed segments past their
    /// review window up (each deleted here once the server acknowledges it), the officer's
    /// decisions and the current policy back. `say` hears each line for the contributor.
    public static func run(
        vault directory: URL, reviewWindow: Duration?, timeout: Duration, logger: Logger = Logger(label: "understudy.uploader"),
        say: @escaping @Sendable (String) -> Void
    ) async throws -> SegmentUploader.Report {
        let credential = try DeviceCredential.load()
        let vault = try Vault(at: directory, create: false)
        let consents = try ConsentRecords.all()
        var settings = SegmentUploader.Settings()
        settings.reviewWindow = reviewWindow.map { Double($0.ns) / 1e9 } ?? consents.reviewWindow
        return try await CollectorClient.with(credential.server, timeout: timeout) { client in
            let organisation = OrganisationSync(client: client, credential: credential)
            let sent = try await organisation.sendRequests()
            if sent > 0 { say("Sent \(sent) exemption request(s) to your organisation.") }
            var uploader = SegmentUploader(vault: vault, client: client, credential: credential, settings: settings, logger: logger)
            uploader.progress = say
            let report = try await uploader.run(consents: consents.records, withdrawnAt: consents.withdrawnAt)
            for message in try await organisation.applyDecisions() { say(message) }
            if let notice = try await organisation.fetchPolicy() { say(notice) }
            for notice in try await organisation.enrolmentNotices() { say(notice) }
            return report
        }
    }
}

extension SegmentUploader.Report {
    /// The last line of `understudy sync`.
    public var text: String {
        "Uploaded \(uploaded.count) segment(s)\(alreadyHeld.isEmpty ? "" : ", \(alreadyHeld.count) already held")"
            + "\(waiting > 0 ? "; \(waiting) still in their review window" : "")"
            + "\(keptAfterWithdrawal > 0 ? "; \(keptAfterWithdrawal) kept here, since you withdrew consent (consent again to send them, or forget them)" : "")."
    }
}
