import Foundation

/// Token buckets by key (a client address, a submitted user name): what unauthenticated
/// requests and failed sign-ins and enrolments may cost before they are answered 429. Held in
/// memory, for one server process; a restart forgets them, which costs an attacker one burst.
actor RateLimiter {
    /// `burst` at once, then `perMinute` on average.
    struct Rule: Sendable {
        var burst: Double
        var perMinute: Double

        /// Failed sign-ins, per client address and per user name.
        static let failedLogins = Rule(burst: 10, perMinute: 10)
        /// Refused enrolment codes, per client address.
        static let failedEnrolments = Rule(burst: 10, perMinute: 10)
        /// Failed sign-ins or refused codes from everyone together: what bounds the audit log's
        /// growth when the failures come from many addresses.
        static let allFailures = Rule(burst: 100, perMinute: 60)
        /// Requests without credentials, per client address (`anonymous_requests_per_minute`).
        static func anonymous(perMinute: Int) -> Rule { Rule(burst: Double(perMinute), perMinute: Double(perMinute)) }
    }

    private var buckets: [String: (tokens: Double, at: Date)] = [:]
    /// Bounds the memory an attacker's many keys can take: past it, full buckets go first, then all.
    private let maxKeys = 50_000

    /// The whole seconds until `key` has a token again; nil when it has one now.
    func wait(_ key: String, _ rule: Rule, now: Date) -> Int? {
        let tokens = level(key, rule, now: now)
        guard tokens < 1 else { return nil }
        return max(1, Int(((1 - tokens) * 60 / rule.perMinute).rounded(.up)))
    }

    /// Takes a token from `key`; the whole seconds to wait when it had none (nothing taken then).
    func take(_ key: String, _ rule: Rule, now: Date) -> Int? {
        if let wait = wait(key, rule, now: now) { return wait }
        buckets[key] = (level(key, rule, now: now) - 1, now)
        if buckets.count > maxKeys { prune(rule, now: now) }
        return nil
    }

    private func level(_ key: String, _ rule: Rule, now: Date) -> Double {
        guard let bucket = buckets[key] else { return rule.burst }
        return min(rule.burst, bucket.tokens + max(0, now.timeIntervalSince(bucket.at)) * rule.perMinute / 60)
    }

    private func prune(_ rule: Rule, now: Date) {
        buckets = buckets.filter { level($0.key, rule, now: now) < rule.burst }
        if buckets.count > maxKeys { buckets = [:] }
    }
}

extension APIError {
    /// Too many requests of a kind from one client or for one user: try again after `seconds`.
    static func rateLimited(_ seconds: Int) -> APIError {
        var error = APIError(.tooManyRequests, "rate_limited", "too many requests of this kind: try again in \(seconds) s")
        error.retryAfter = seconds
        return error
    }
}
