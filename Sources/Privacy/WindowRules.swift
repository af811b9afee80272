import Foundation
import UnderstudyModel

/// Decides how a window may appear: the policy's rules (the most restrictive matching rule
/// wins; the default action when none matches), the safety floor, and the contributor's own
/// exemptions, which can only narrow.
public struct WindowRules: Sendable {
    /// Categories excluded whatever a policy says: password prompts are never anyone's
    /// training data. Private browsing windows are excluded too unless the policy's
    /// `private-windows` says otherwise (``Policy/privateWindows``).
    public static let floorCategories = ["authentication"]

    public let policy: Policy
    public let catalog: Catalog
    public var exemptions: [Exemption]
    /// What decides whether an exemption for a period holds now.
    public let clock: WallClock
    /// The contributor's own identifiers, replaced by tokens in what the gate stores as text.
    public var identity: SelfIdentity
    /// The session's pseudonyms for other people's names, shared by everything that stores
    /// text, so one person has one pseudonym in titles, typed text and task instructions.
    public let people: PersonPseudonyms

    public init(
        policy: Policy, catalog: Catalog = .shared, exemptions: [Exemption] = [], clock: WallClock = .system, identity: SelfIdentity = .none,
        people: PersonPseudonyms = PersonPseudonyms()
    ) {
        self.people = people
        self.policy = policy
        self.catalog = catalog
        self.exemptions = exemptions
        self.clock = clock
        self.identity = identity
    }

    /// The hosts of every site kept out of capture: the policy's excluded sites, the sites of
    /// the catalog categories it excludes (and of the floor's), and the contributor's site
    /// exemptions. Typing one of them anywhere (an address bar, a chat) is redacted as well.
    public var excludedSites: [String] {
        let excludedCategories = Set(Self.floorCategories + (policy.privateWindows == .exclude ? [Catalog.privateBrowsing] : [])).union(
            policy.rules.compactMap { rule in if case .category(let c) = rule.match, rule.action == .exclude { c } else { nil } })
        var hosts = policy.rules.compactMap { rule in if case .site(let host) = rule.match, rule.action == .exclude { host } else { nil } }
        hosts += catalog.entries.filter { excludedCategories.contains($0.category) }.flatMap(\.sites)
        hosts += exemptions.filter { $0.kind == .site }.map(\.value)
        return Array(Set(hosts.map { $0.lowercased() }.filter { $0.contains(".") })).sorted()
    }

    /// Whether an exemption of all capture holds at `date`: then nothing is captured, whatever has focus.
    public func exemptsAll(at date: Date) -> Bool {
        exemptions.contains { $0.kind == .all && $0.isActive(at: date) }
    }

    public func treatment(of window: WindowContext) -> WindowTreatment {
        explain(window).treatment
    }

    /// The treatment and the rule that decided it, in words.
    public func explain(_ window: WindowContext) -> (treatment: WindowTreatment, because: String) {
        let categories = catalog.categories(of: window)
        if let floor = Self.floorCategories.first(where: categories.contains) {
            return (.exclude, "always excluded (\(floor))")
        }
        let isPrivate = categories.contains(Catalog.privateBrowsing)
        if isPrivate, policy.privateWindows == .exclude {
            return (.exclude, "a private browsing window (the policy's private-windows)")
        }
        let now = clock.now()
        if let exemption = exemptions.first(where: { $0.isActive(at: now) && $0.matches(window) }) {
            return (.exclude, "your exemption of \(exemption.summary)")
        }
        let matched = policy.rules.filter { rule in matches(rule.match, window, categories) }
        var decision = (policy.defaultAction, "the policy's default action")
        if let strictest = matched.max(by: { $0.action < $1.action }) { decision = (strictest.action, "the policy's rule for \(strictest.match)") }
        if isPrivate, policy.privateWindows > decision.0 {
            decision = (policy.privateWindows, "a private browsing window (the policy's private-windows)")
        }
        // Site rules cannot be applied to a page whose address is unknown: fail closed.
        if window.url == nil, window.isBrowser, policy.unknownSite > decision.0 {
            decision = (policy.unknownSite, "a browser page whose address cannot be read (the policy's unknown-site)")
        }
        return decision
    }

    private func matches(_ match: Policy.Match, _ window: WindowContext, _ categories: Set<String>) -> Bool {
        switch match {
        case .app(let app): window.app.caseInsensitiveCompare(app) == .orderedSame
        case .title(let pattern): Glob.matches(pattern, window.title)
        case .site(let site): WindowHosts.hosts(of: window).contains { WindowHosts.host($0, isWithin: site) }
        case .category(let category): categories.contains(category)
        }
    }
}

/// Shell-style patterns on titles: `*` any run of characters, `?` one; case-insensitive.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.lowercased())
        let t = Array(text.lowercased())
        var pi = 0
        var ti = 0
        var star: Int?
        var mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if let s = star {
                pi = s + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
