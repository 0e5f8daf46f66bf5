import Controller
import ServiceLifecycle
import UnixSignals

/// Reloads pool.yaml into the loop on every SIGHUP, until the service group shuts down.
public struct ReloadOnHangup: Service {
    let loop: ReconcileLoop

    public init(loop: ReconcileLoop) {
        self.loop = loop
    }

    public func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in hangups { await loop.reload() }
        }
    }
}
