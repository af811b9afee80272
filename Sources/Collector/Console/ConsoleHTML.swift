import CollectorAPI
import Datasets
import Foundation
import Privacy
import UnderstudyModel

/// The console's pages, rendered on the server from the templates in `Templates/`: no script,
/// every value escaped by the template, forms that work with the keyboard alone, readable at a
/// phone's width. Each function here turns what the API answered into the view its template
/// names (``ConsoleViews``); the words and the markup are in the templates.
enum ConsoleHTML {
    static let templates = PageTemplates([
        "page": PackageResources.page_mustache, "notice": PackageResources.notice_mustache,
        "button": PackageResources.button_mustache, "login": PackageResources.login_mustache,
        "home": PackageResources.home_mustache, "exemptions": PackageResources.exemptions_mustache,
        "people": PackageResources.people_mustache, "devices": PackageResources.devices_mustache,
        "policies": PackageResources.policies_mustache, "erasures": PackageResources.erasures_mustache,
        "review": PackageResources.review_mustache, "review_segment": PackageResources.review_segment_mustache,
        "unreadable": PackageResources.unreadable_mustache, "datasets": PackageResources.datasets_mustache,
        "dataset_export": PackageResources.dataset_export_mustache, "audit": PackageResources.audit_mustache,
        "refused": PackageResources.refused_mustache, "signed_out": PackageResources.signed_out_mustache,
        "forged": PackageResources.forged_mustache,
    ])

    static func login(failure: String?) -> String {
        render("login", "Sign in", LoginView(failure: failure))
    }

    /// What each role does here, and the way to it.
    static func home(_ session: ConsoleRoutes.Session) -> String {
        let role = session.staff.role
        let view = HomeView(
            name: session.staff.name, role: roleName(role), officer: role == .privacyOfficer,
            seesPeople: role == .admin || role == .privacyOfficer, admin: role == .admin, reviewer: role == .reviewer,
            scientist: role == .scientist)
        return render("home", "Console", view, session: session)
    }

    static func exemptions(_ all: [ExemptionListing], session: ConsoleRoutes.Session) -> String {
        let pending = all.filter { $0.status == "pending" }.sorted { $0.requestedAt < $1.requestedAt }
        let decided = all.filter { $0.status != "pending" }.sorted { ($0.decidedAt ?? $0.requestedAt) > ($1.decidedAt ?? $1.requestedAt) }
        let rows = decided.prefix(100).map { r in
            DecidedRow(contributor: r.contributor, what: what(r), status: r.status, by: r.decidedBy ?? "", when: r.decidedAt.map(time))
        }
        let view = ExemptionsView(
            pending: pending.map { r in
                PendingRequest(
                    key: "\(r.contributor)-\(r.id)", id: r.id, contributor: r.contributor, what: what(r), asked: time(r.requestedAt),
                    reason: r.reason.isEmpty ? "none given" : r.reason)
            },
            decided: decided.isEmpty ? nil : DecidedTable(shown: rows.count, total: decided.count, rows: Array(rows)))
        return render("exemptions", "Exemption requests", view, session: session)
    }

    static func people(_ users: [StaffUserListing], codes: [EnrolmentCodeListing], session: ConsoleRoutes.Session) -> String {
        let officer = session.staff.role == .privacyOfficer
        let rows = users.sorted { $0.name < $1.name }.map { u in
            let approve =
                u.awaitingApproval && officer
                ? Button(action: "/console/people/approve-user", field: "name", value: u.name, id: "approve-user-\(u.name)", label: "Approve")
                : nil
            let state = approve != nil ? nil : (u.awaitingApproval ? "awaits a privacy officer's approval" : "can sign in")
            return UserRow(name: u.name, role: u.role, since: time(u.createdAt), approve: approve, state: state)
        }
        let codeRows = codes.map { c in
            let approve =
                officer && c.approvedBy == nil
                ? Button(
                    action: "/console/people/approve-code", field: "id", value: c.id, id: "approve-code-\(c.id)",
                    label: "Approve for a contributor with a device") : nil
            return CodeRow(
                id: c.id, contributor: c.contributor, createdBy: c.createdBy, expires: time(c.expiresAt), approve: approve,
                state: c.approvedBy.map { "approved by \($0)" })
        }
        let view = PeopleView(users: rows, codes: codeRows, hasCodes: !codeRows.isEmpty)
        return render("people", "People", view, session: session)
    }

    static func devices(_ devices: [DeviceListing], session: ConsoleRoutes.Session) -> String {
        let rows = devices.sorted { $0.enrolledAt > $1.enrolledAt }.map { d in
            EnrolledDeviceRow(
                id: d.id, contributor: d.contributor, name: d.name, enrolled: time(d.enrolledAt), revoked: d.revokedAt.map(time),
                revoke: d.revokedAt != nil
                    ? nil
                    : Button(
                        action: "/console/devices/revoke", field: "id", value: d.id, id: "revoke-\(d.id)", label: "Revoke",
                        ariaLabel: "Revoke \(d.name) of \(d.contributor)"))
        }
        return render("devices", "Devices", DevicesView(devices: rows, hasDevices: !rows.isEmpty), session: session)
    }

    /// Newest first, each compared with the one before it as a device compares them before it
    /// asks its contributor for consent again.
    static func policies(_ policies: [PolicyListing], session: ConsoleRoutes.Session) -> String {
        let ordered = policies.sorted { $0.publishedAt < $1.publishedAt }
        let sections = ordered.enumerated().reversed().map { (n, listing) in
            let document = try? PolicyDocument(text: listing.document, source: "policy \(listing.name) v\(listing.version)")
            var comparison: PolicySection.Comparison?
            if n > 0, let document, let before = try? PolicyDocument(text: ordered[n - 1].document, source: "the policy before") {
                let widenings = PolicyComparison.widenings(from: before.policy, to: document.policy)
                comparison = .init(before: ordered[n - 1].version, widenings: widenings, recordsMore: !widenings.isEmpty)
            }
            return PolicySection(
                name: listing.name, version: listing.version, published: time(listing.publishedAt), hash: String(listing.hash.prefix(16)),
                comparison: comparison, explanation: document.map { PolicyExplanation.text($0) }, document: listing.document)
        }
        let view = PoliciesView(policies: sections, officer: session.staff.role == .privacyOfficer)
        return render("policies", "Policies", view, session: session)
    }

    /// Erasure: a form carrying out a request to erase a contributor (a privacy officer's act),
    /// and what was erased or deleted, by whom, from the audit log.
    static func erasures(_ records: [AuditRecordListing], session: ConsoleRoutes.Session) -> String {
        let done = records.filter { ["contributor_erased", "segment_deleted", "retention_erased"].contains($0.action) }.suffix(100).reversed()
        let view = ErasuresView(done: done.map(AuditRecordRow.init), hasDone: !done.isEmpty, shown: done.count)
        return render("erasures", "Erasure", view, session: session)
    }

    /// The segments under their pseudonyms, with what has been judged of them.
    static func review(_ segments: [ReviewListing], session: ConsoleRoutes.Session) -> String {
        let rows = segments.map { r in
            ReviewRow(
                id: r.id, path: ConsoleAPI.segment(r.id), contributor: r.contributor, size: size(r.bytes), judged: r.stepsJudged, bad: r.stepsBad)
        }
        return render("review", "Review", ReviewView(segments: rows, hasSegments: !rows.isEmpty), session: session)
    }

    /// A held segment's steps, a page of them: each on the screen it was decided on, with its
    /// action drawn over it, and a form judging it good or bad (named by its t_ns, as exports
    /// name it).
    static func reviewSegment(_ id: String, _ held: HeldSegmentSteps, page: Int, session: ConsoleRoutes.Session) -> String {
        let shown = held.episode == nil ? [] : held.page(page)
        let steps = held.episode.map { episode in
            shown.map { step in
                JudgedStep(figure: StepFigure.html(step, in: episode, picture: held.picture(of: step)), index: step.index, startNs: step.startNs)
            }
        }
        let path = ConsoleAPI.segment(id)
        let links = [page > 1 ? (page - 1, "Previous page") : nil, page < held.pages ? (page + 1, "Next page") : nil].compactMap { $0 }
        let view = ReviewSegmentView(
            id: id, stepCount: held.steps.count, number: page, pages: held.pages, strips: shown.isEmpty ? "" : held.strips(for: shown),
            steps: steps ?? [], hasSteps: !(steps ?? []).isEmpty,
            links: links.map { PageLink(path: path, target: $0.0, label: $0.1) })
        return render("review_segment", "Review", view, session: session)
    }

    static func unreadable(_ id: String, session: ConsoleRoutes.Session) -> String {
        render("unreadable", "Review", id, session: session)
    }

    /// What a dataset can hold, the exports made with what each must now delete, and the
    /// erasures that exports made before must follow.
    static func datasets(
        _ segments: [DatasetListing], exports: [DatasetExportListing], erasures: [ErasureListing], session: ConsoleRoutes.Session
    ) -> String {
        let newest = exports.sorted { $0.registeredAt > $1.registeredAt }.prefix(100)
        let view = DatasetsView(
            segments: segments.count, contributors: Set(segments.map(\.contributor)).count, size: size(segments.reduce(0) { $0 + $1.bytes }),
            rejected: segments.reduce(0) { $0 + $1.rejectedSteps.count },
            exports: newest.map { ExportRow($0, erasures: erasures) }, hasExports: !newest.isEmpty, exportsShown: newest.count,
            exportsTotal: exports.count, erasures: erasures, hasErasures: !erasures.isEmpty)
        return render("datasets", "Datasets", view, session: session)
    }

    /// One export: what it holds, the erased contributors whose episodes it must lose, and its manifest.
    static func datasetExport(_ export: DatasetExport, erasures: [ErasureListing], session: ConsoleRoutes.Session) -> String {
        let listing = export.export
        let mustDelete = ExportRow.erasedSince(listing, erasures).map { erased in
            ErasedInExport(
                contributor: erased.contributor, erasedOn: erased.erasedOn, sessions: listing.sessions(of: erased.contributor).joined(separator: ", ")
            )
        }
        let view = DatasetExportView(
            id: listing.id, made: time(listing.registeredAt), scientist: listing.scientist, format: listing.format, episodes: listing.episodes,
            steps: listing.steps, frames: listing.frames, segments: listing.segments.count, contributors: listing.contributors.count,
            mustDelete: mustDelete, hasMustDelete: !mustDelete.isEmpty, manifest: export.manifest)
        return render("dataset_export", "An export", view, session: session)
    }

    static func audit(_ records: [AuditRecordListing], broken: AuditRecordListing?, session: ConsoleRoutes.Session) -> String {
        let newest = records.suffix(100).reversed()
        let view = AuditView(
            broken: broken.map { BrokenLink(seq: $0.seq, action: $0.action) }, total: records.count,
            last: String(records.last?.hash.prefix(16) ?? "none"), shown: newest.count, records: newest.map(AuditRecordRow.init))
        return render("audit", "Audit log", view, session: session)
    }

    static func refused(_ refusal: ConsoleAPI.Refusal, session: ConsoleRoutes.Session) -> String {
        let view = RefusedView(status: refusal.status.code, code: refusal.error.code, message: refusal.error.message)
        return render("refused", "Refused", view, session: session)
    }

    static let signedOut = render("signed_out", "Signed out", ())
    static let forged = render("forged", "Refused", ())

    static let style =
        HTML.pageStyle + "\n" + """
            header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: baseline; padding: .5rem 1rem; background: #eef1f5; }
            header form { display: inline; margin-left: auto; } header button { margin: 0; }
            main { max-width: 64rem; } .request { border-top: 1px solid #ccc; margin-top: 1rem; }
            td form { display: inline; } td button { padding: .1rem .6rem; margin: 0; }
            input, textarea { font: inherit; padding: .3rem; max-width: 100%; }
            pre { white-space: pre-wrap; background: #f0f0f0; padding: .5rem; }
            svg.strips { position: absolute; } form.judge legend { font-weight: normal; }
            td.act { font-weight: 600; color: #8a5a00; }
            """ + "\n" + StepFigure.style + "\n"
        + "figure.step .frame { width: fit-content; max-width: 100%; } .frame svg.picture { width: auto; max-width: 100%; height: auto; }"

    /// A page: `template` filled from `page`, inside the console's layout; signed in, with who
    /// is signed in and the sign-out button in its header.
    private static func render<Page: Sendable>(_ template: String, _ title: String, _ page: Page, session: ConsoleRoutes.Session? = nil) -> String {
        let view = ConsoleView(
            title: title, signedIn: session.map { SignedIn(name: $0.staff.name, role: roleName($0.staff.role)) }, csrf: session?.csrf,
            notice: session?.notice.flatMap { $0.isEmpty ? nil : $0 }, page: page)
        return templates.render(view, template)
    }

    private static func size(_ bytes: Int64) -> String { ByteCountFormatter.string(fromByteCount: bytes, countStyle: .file) }

    /// What a request keeps out, and for how long.
    private static func what(_ r: ExemptionListing) -> String {
        let target = r.kind == "all" ? "all capture" : "the \(r.kind) \(r.value)"
        switch (r.from, r.until) {
        case (nil, nil): return target
        case (let from, let until?): return "\(target) from \(RFC3339.string(from: from ?? r.requestedAt)) until \(RFC3339.string(from: until))"
        case (let from?, nil): return "\(target) from \(RFC3339.string(from: from))"
        }
    }

    static func roleName(_ role: StaffRole) -> String { role == .privacyOfficer ? "privacy officer" : role.rawValue }

    static func time(_ date: Date) -> PageTime {
        var time = PageTime(date, format: "d MMM yyyy, HH:mm", zone: TimeZone(identifier: "UTC"))
        time.text += " UTC"
        return time
    }
}
