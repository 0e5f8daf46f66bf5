import Foundation
import Logging
import Spec

/// The digest an image tag points at, checked at most once per `imageCheckInterval`.
/// A registry that fails or answers nonsense leaves the last known digest in force: no
/// rollout, no deletion, only a warning in the log, status and metrics.
public actor ImageWatch {
    public typealias Resolve = @Sendable (ImageReference, RegistryCredentials?) async throws -> String

    /// What status and metrics show.
    public struct State: Sendable, Equatable {
        /// The tag as written in pool.yaml.
        public var image: String
        /// The last digest the registry gave; nil until it first answered.
        public var digest: String?
        public var checkedAt: Date?
        /// The last check's failure; nil after a success.
        public var error: String?
        /// Failed checks in a row.
        public var failures: Int
    }

    private let resolve: Resolve
    private let logger: Logger
    private let clock: @Sendable () -> Date
    public private(set) var state: State?

    public init(logger: Logger, clock: @escaping @Sendable () -> Date = { Date() }, resolve: @escaping Resolve) {
        self.resolve = resolve
        self.logger = logger
        self.clock = clock
    }

    /// The digest to run `spec` with: asked of the registry when the last check is older
    /// than the spec's interval (or the image changed, or `force`), else the one known.
    public func digest(for spec: EnvironmentSpec, force: Bool = false) async -> String? {
        guard let image = spec.image else { return nil }
        if let pinned = image.digest { return pinned }
        if state?.image != image.tagged { state = State(image: image.tagged, failures: 0) }
        let now = clock()
        if !force, let checked = state?.checkedAt, now.timeIntervalSince(checked) < spec.imageCheckInterval {
            return state?.digest
        }
        state?.checkedAt = now
        do {
            let digest = try await resolve(image, spec.registryCredentials)
            if let old = state?.digest, old != digest {
                logger.notice("image tag moved: \(image.tagged) now points at \(digest) (was \(old)); idle instances roll to it")
            } else if state?.digest == nil {
                logger.info("image \(image.tagged) resolved to \(digest)")
            }
            state?.digest = digest
            state?.error = nil
            state?.failures = 0
        } catch {
            state?.error = "\(error)"
            state?.failures += 1
            let kept = state?.digest.map { "the last known digest \($0) stays in force (no rollout, no deletion)" }
                ?? "no digest is known yet: nothing is created, rolled or deleted until the registry answers"
            logger.warning("could not resolve image \(image.tagged): \(error); \(kept)")
        }
        return state?.digest
    }
}
