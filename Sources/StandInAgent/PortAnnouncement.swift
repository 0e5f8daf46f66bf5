import NIOConcurrencyHelpers

/// The port the stand-in listens on (or will, after its startup delay), for callers that
/// wait for it; or the error that stopped it from starting.
final class PortAnnouncement: Sendable {
    private enum Value {
        case waiting([CheckedContinuation<Int, any Error>])
        case known(Int)
        case failed(any Error)
    }

    private let value = NIOLockedValueBox(Value.waiting([]))

    var port: Int? {
        value.withLockedValue { if case .known(let port) = $0 { port } else { nil } }
    }

    func wait() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let answer: Result<Int, any Error>? = value.withLockedValue { v in
                switch v {
                case .waiting(let list): v = .waiting(list + [continuation]); return nil
                case .known(let port): return .success(port)
                case .failed(let error): return .failure(error)
                }
            }
            if let answer { continuation.resume(with: answer) }
        }
    }

    func announce(_ result: Result<Int, any Error>) {
        let waiting: [CheckedContinuation<Int, any Error>] = value.withLockedValue { v in
            guard case .waiting(let list) = v else { return [] }
            switch result {
            case .success(let port): v = .known(port)
            case .failure(let error): v = .failed(error)
            }
            return list
        }
        for continuation in waiting { continuation.resume(with: result) }
    }
}
