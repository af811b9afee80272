import CollectorAPI
import Foundation
import UnderstudyModel

/// Every request of the collector's API, written once with its types (``CollectorAPI``):
/// what the staff commands, enrolment, sync, the recording sources and the benches send.
extension CollectorClient {
    // MARK: Staff

    /// Signs a member of staff in: the identity their next requests go under.
    public func login(user: String, key: String) async throws(Failure) -> Identity {
        let answer = try await send("POST", "/v1/login", body: LoginRequest(user: user, key: key), as: .anonymous)
        return .staff(token: try answer.decoded(LoginResponse.self).token)
    }

    public func createUser(name: String, role: String, as identity: Identity) async throws(Failure) -> CreatedUser {
        try await send("POST", "/v1/users", body: CreateUserRequest(name: name, role: role), as: identity).decoded(CreatedUser.self)
    }

    public func createEnrolmentCode(
        contributor: String, naming person: ContributorIdentity? = nil, as identity: Identity
    ) async throws(Failure) -> EnrolmentCodeIssued {
        try await send("POST", "/v1/enrolment-codes", body: EnrolmentCodeRequest(contributor: contributor, identity: person), as: identity)
            .decoded(EnrolmentCodeIssued.self)
    }

    /// Ends the session `identity` signs with.
    public func logout(as identity: Identity) async throws(Failure) -> SignedOut {
        try await send("POST", "/v1/logout", as: identity).decoded(SignedOut.self)
    }

    public func removeUser(_ name: String, as identity: Identity) async throws(Failure) -> UserRemoved {
        try await send("DELETE", "/v1/users/\(name)", as: identity).decoded(UserRemoved.self)
    }

    /// A new key for `name`; the old one and its sessions stop working.
    public func newKey(for name: String, as identity: Identity) async throws(Failure) -> NewUserKey {
        try await send("POST", "/v1/users/\(name)/key", as: identity).decoded(NewUserKey.self)
    }

    public func users(as identity: Identity) async throws(Failure) -> [StaffUserListing] {
        try await send("GET", "/v1/users", as: identity).decoded([StaffUserListing].self)
    }

    /// A privacy officer lets a user awaiting approval sign in.
    public func approveUser(_ name: String, as identity: Identity) async throws(Failure) -> UserApproved {
        try await send("POST", "/v1/users/\(name)/approve", as: identity).decoded(UserApproved.self)
    }

    /// The unused, unexpired enrolment codes (admin, privacy officer).
    public func enrolmentCodes(as identity: Identity) async throws(Failure) -> [EnrolmentCodeListing] {
        try await send("GET", "/v1/enrolment-codes", as: identity).decoded([EnrolmentCodeListing].self)
    }

    /// A privacy officer approves an enrolment code for a contributor who has a device already.
    public func approveEnrolmentCode(_ id: String, as identity: Identity) async throws(Failure) -> EnrolmentCodeApproved {
        try await send("POST", "/v1/enrolment-codes/\(id)/approve", as: identity).decoded(EnrolmentCodeApproved.self)
    }

    public func devices(as identity: Identity) async throws(Failure) -> [DeviceListing] {
        try await send("GET", "/v1/devices", as: identity).decoded([DeviceListing].self)
    }

    public func revokeDevice(_ id: String, as identity: Identity) async throws(Failure) -> DeviceRevoked {
        try await send("POST", "/v1/devices/\(id)/revoke", as: identity).decoded(DeviceRevoked.self)
    }

    /// The whole audit log (staff), page by page.
    public func auditLog(as identity: Identity) async throws(Failure) -> [AuditRecordListing] {
        try await pages("/v1/audit", as: identity)
    }

    /// Every page of an audit listing (`?after=SEQ&limit=N`), until one comes back short.
    private func pages(_ path: String, as identity: Identity) async throws(Failure) -> [AuditRecordListing] {
        let limit = 1000
        var records: [AuditRecordListing] = []
        while true {
            let page = try await send("GET", "\(path)?after=\(records.last?.seq ?? 0)&limit=\(limit)", as: identity)
                .decoded([AuditRecordListing].self)
            records += page
            if page.count < limit { return records }
        }
    }

    public func eraseContributor(_ id: String, as identity: Identity) async throws(Failure) -> ContributorErased {
        try await send("POST", "/v1/contributors/\(id)/erase", as: identity).decoded(ContributorErased.self)
    }

    /// Exemption requests, the pending ones only unless `all` (privacy officer).
    public func exemptionRequests(all: Bool, as identity: Identity) async throws(Failure) -> [ExemptionListing] {
        try await send("GET", "/v1/exemption-requests" + (all ? "" : "?status=pending"), as: identity).decoded([ExemptionListing].self)
    }

    public func decideExemption(contributor: String, id: String, approve: Bool, note: String?, as identity: Identity) async throws(Failure)
        -> ExemptionStatus
    {
        try await send(
            "POST", "/v1/exemption-requests/\(contributor)/\(id)/decision", body: ExemptionDecisionRequest(approve: approve, note: note),
            as: identity
        ).decoded(ExemptionStatus.self)
    }

    /// Publishes a policy and its signature (a privacy officer's act).
    public func publishPolicy(document: String, signature: String, as identity: Identity) async throws(Failure) -> PolicyPublished {
        try await send("POST", "/v1/policies", body: PublishPolicyRequest(document: document, signature: signature), as: identity).decoded(
            PolicyPublished.self)
    }

    // MARK: Reviewers and scientists

    public func reviewSegments(as identity: Identity) async throws(Failure) -> [ReviewListing] {
        try await send("GET", "/v1/review/segments", as: identity).decoded([ReviewListing].self)
    }

    public func judge(segment: String, verdicts: [VerdictsRequest.Verdict], as identity: Identity) async throws(Failure) -> VerdictsRecorded {
        try await send("POST", "/v1/review/segments/\(segment)/verdicts", body: VerdictsRequest(verdicts: verdicts), as: identity).decoded(
            VerdictsRecorded.self)
    }

    public func datasetSegments(as identity: Identity) async throws(Failure) -> [DatasetListing] {
        try await send("GET", "/v1/dataset/segments", as: identity).decoded([DatasetListing].self)
    }

    /// Tells the collector of an export made from it, so the exports an erasure reaches are known there.
    public func registerExport(_ export: DatasetExportRegistration, as identity: Identity) async throws(Failure) -> DatasetExportListing {
        try await send("POST", "/v1/dataset/exports", body: export, as: identity).decoded(DatasetExportListing.self)
    }

    public func erasures(as identity: Identity) async throws(Failure) -> [ErasureListing] {
        try await send("GET", "/v1/dataset/erasures", as: identity).decoded([ErasureListing].self)
    }

    // MARK: Devices

    /// Turns a one-time code into a credential for a new key pair (not saved yet), and the
    /// public keys (.pub files' text) the organisation signs its policies with.
    public func enrol(code: String, name: String, expectedKeys: [String] = []) async throws(Failure) -> (
        credential: DeviceCredential, policyKeys: [String], identity: ContributorIdentity?
    ) {
        let (fresh, publicKey) = DeviceCredential.generate()
        let request = EnrolRequest(code: code, publicKey: publicKey, name: name, policyKeys: expectedKeys.isEmpty ? nil : expectedKeys)
        let enrolled = try await send("POST", "/v1/enrol", body: request, as: .anonymous)
            .decoded(Enrolled.self)
        let credential = DeviceCredential(server: server, device: enrolled.device, contributor: enrolled.contributor, key: fresh.key)
        return (credential, enrolled.policyKeys, enrolled.identity)
    }

    /// Records the device's consent to a policy, so uploads under it (or one it only narrows) are taken.
    public func recordConsent(policyHash: String, acceptedAt: Date, as identity: Identity) async throws(Failure) -> ConsentRecorded {
        try await send("POST", "/v1/consents", body: ConsentRequest(policyHash: policyHash, acceptedAt: acceptedAt), as: identity).decoded(
            ConsentRecorded.self)
    }

    /// Ends the consents recorded here up to `withdrawnAt`, as the contributor withdrew them on the device.
    public func withdrawConsent(at withdrawnAt: Date, as identity: Identity) async throws(Failure) -> ConsentWithdrawn {
        try await send("POST", "/v1/consents/withdrawal", body: ConsentWithdrawalRequest(withdrawnAt: withdrawnAt), as: identity).decoded(
            ConsentWithdrawn.self)
    }

    /// The organisation's published policies, oldest first (devices and staff).
    public func policies(as identity: Identity) async throws(Failure) -> [PolicyListing] {
        try await send("GET", "/v1/policies", as: identity).decoded([PolicyListing].self)
    }

    public func mySegments(as identity: Identity) async throws(Failure) -> [SegmentListing] {
        try await send("GET", "/v1/me/segments", as: identity).decoded([SegmentListing].self)
    }

    /// Deletes one of the contributor's segments from the collector.
    public func deleteMySegment(_ id: String, as identity: Identity) async throws(Failure) -> SegmentDeleted {
        try await send("DELETE", "/v1/me/segments/\(id)", as: identity).decoded(SegmentDeleted.self)
    }

    /// Downloads every segment the collector holds about the contributor, as the bundles
    /// uploaded (`{segment}.tar`), into `folder`; returns how many. The bundles are decrypted
    /// recordings: a new folder is the owner's alone and each file is owner-only, whatever the umask.
    public func downloadMySegments(into folder: URL, as identity: Identity) async throws -> Int {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let list = try await mySegments(as: identity)
        for segment in list {
            // The id names a file: only a UUID, as devices make them, may.
            guard UUID(uuidString: segment.id) != nil else { throw Failure.unexpected("a segment id that is not one") }
            let bundle = try await send("GET", "/v1/me/segments/\(segment.id)", as: identity)
            try DurableFile.replace(
                folder.appendingPathComponent("\(segment.id).tar").path, contents: try bundle.verifiedBody(), syncingFolder: false)
        }
        return list.count
    }

    /// The audit records about the contributor's own data.
    public func myAudit(as identity: Identity) async throws(Failure) -> [AuditRecordListing] {
        try await pages("/v1/me/audit", as: identity)
    }

    /// The codes someone made to enrol a device as the contributor, not used yet.
    public func myEnrolmentCodes(as identity: Identity) async throws(Failure) -> [EnrolmentCodeListing] {
        try await send("GET", "/v1/me/enrolment-codes", as: identity).decoded([EnrolmentCodeListing].self)
    }

    /// The contributor lets a code enrol a device of theirs, with or without their history.
    public func approveMyEnrolmentCode(_ id: String, allowHistory: Bool, as identity: Identity) async throws(Failure) -> EnrolmentCodeApproved {
        try await send("POST", "/v1/me/enrolment-codes/\(id)/approve", body: EnrolmentApprovalRequest(allowHistory: allowHistory), as: identity)
            .decoded(EnrolmentCodeApproved.self)
    }

    /// The contributor refuses a code: it enrols nothing.
    public func refuseMyEnrolmentCode(_ id: String, as identity: Identity) async throws(Failure) -> EnrolmentCodeRefused {
        try await send("DELETE", "/v1/me/enrolment-codes/\(id)", as: identity).decoded(EnrolmentCodeRefused.self)
    }

    public func eraseMe(as identity: Identity) async throws(Failure) -> ContributorErased {
        try await send("DELETE", "/v1/me", as: identity).decoded(ContributorErased.self)
    }

    public func requestExemption(_ request: ExemptionRequestBody, as identity: Identity) async throws(Failure) -> ExemptionStatus {
        try await send("POST", "/v1/exemption-requests", body: request, as: identity).decoded(ExemptionStatus.self)
    }

    /// The contributor's exemption requests and their decisions.
    public func myExemptions(as identity: Identity) async throws(Failure) -> [ExemptionListing] {
        try await send("GET", "/v1/me/exemptions", as: identity).decoded([ExemptionListing].self)
    }
}
