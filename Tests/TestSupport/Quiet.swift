import Logging

/// Tests log nowhere: assertions, not output, say what happened.
public let quiet = Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() })
