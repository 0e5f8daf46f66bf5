import Foundation
import Logging

enum Log {
    /// Logs go to stderr, at `LOG_LEVEL` (default info), so stdout stays the command's output.
    static func make(_ label: String) -> Logger {
        var logger = Logger(label: "poolctl.\(label)") { StreamLogHandler.standardError(label: $0) }
        let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? .info
        return logger
    }
}
