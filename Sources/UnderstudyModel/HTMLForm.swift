/// What the project's server-rendered pages (the contributor's review page, the staff console)
/// share about the forms they post: how a posted body reads, and how its CSRF token is checked.
public enum HTMLForm {
    /// The fields of an `application/x-www-form-urlencoded` body; the last of a repeated name wins.
    public static func fields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let name = parts.first { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    /// Whether two secrets (tokens, CSRF values) are equal, compared in time that does not
    /// depend on where they differ, so a guess learns nothing from how long the answer takes.
    public static func sameSecret(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
