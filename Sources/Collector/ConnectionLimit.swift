import HummingbirdCore
import NIOCore
import Synchronization

/// How many connections one client address may hold open at once. The idle timeout and the
/// upload pace bound how long each lives, but not how many one client opens: each holds a file
/// descriptor and buffers, and past the process's descriptor limit the server accepts no one.
/// A connection past `perAddress` is closed as soon as it is accepted, before a byte is read;
/// others' connections are not touched.
final class ConnectionLimit: Sendable {
    private let perAddress: Int
    private let open = Mutex<[String: Int]>([:])

    init(perAddress: Int) { self.perAddress = perAddress }

    /// A handler for one new connection, which counts it while it lives (or closes it).
    func handler() -> any RemovableChannelHandler { Counted(limit: self) }

    fileprivate func admit(_ address: String) -> Bool {
        open.withLock { open in
            guard open[address, default: 0] < perAddress else { return false }
            open[address, default: 0] += 1
            return true
        }
    }

    fileprivate func release(_ address: String) {
        open.withLock { open in
            let left = open[address, default: 1] - 1
            open[address] = left > 0 ? left : nil
        }
    }
}

/// One connection in the pipeline: admitted when the handler is added (the connection is
/// accepted), released when it is removed (the connection has closed). It passes everything on.
private final class Counted: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let limit: ConnectionLimit
    private var address: String?

    init(limit: ConnectionLimit) { self.limit = limit }

    func handlerAdded(context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard limit.admit(address) else {
            CollectorMetrics.connectionRefused()
            context.close(promise: nil)
            return
        }
        self.address = address
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        guard let address else { return }
        limit.release(address)
        self.address = nil
    }
}
