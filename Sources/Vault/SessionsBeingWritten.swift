import Synchronization

/// The sessions that ``VaultWriter``s in this process are writing, by vault.
///
/// Retention and forgetting delete a session once it has no segments left. A session being
/// written has none between a prune of its sealed segments and its next insert, and losing
/// its row then makes that insert fail. The recorder lock protects the session of a
/// recorder in another process; this protects a writer's own session in this one, whatever
/// lock its caller holds (a unit test or a tool holds none).
enum SessionsBeingWritten {
    private static let open = Mutex<[String: Set<String>]>([:])

    static func begin(_ session: String, in vault: Vault) {
        open.withLock { _ = $0[vault.id, default: []].insert(session) }
    }

    static func end(_ session: String, in vault: Vault) {
        open.withLock { open in
            open[vault.id]?.remove(session)
            if open[vault.id]?.isEmpty == true { open[vault.id] = nil }
        }
    }

    /// The sessions writers in this process hold open in `vault`.
    static func sessions(in vault: Vault) -> Set<String> {
        open.withLock { $0[vault.id] ?? [] }
    }
}
