/// Host names that reach this machine only: where plain HTTP is allowed (the collector's own
/// address, a device's collector URL), since nothing crosses a network.
extension String {
    /// Whether this host name is loopback: `localhost`, `::1` (bracketed or not), `127.x.y.z`.
    public var isLoopbackHost: Bool {
        self == "localhost" || self == "::1" || self == "[::1]" || hasPrefix("127.")
    }
}
